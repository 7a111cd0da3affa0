package datasource

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// table is a query result seen column by column: each column is the list of its chunks, one per
// record batch, so frames are built without concatenating Arrow arrays first.
type table struct {
	schema *arrow.Schema
	cols   [][]arrow.Array
	rows   int
}

func newTable(res *result) *table {
	t := &table{schema: res.Schema, cols: make([][]arrow.Array, res.Schema.NumFields())}
	for _, rec := range res.Records {
		for i := range t.cols {
			t.cols[i] = append(t.cols[i], rec.Column(i))
		}
		t.rows += int(rec.NumRows())
	}
	return t
}

// index returns the column named name, or -1.
func (t *table) index(name string) int {
	for i, f := range t.schema.Fields() {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// firstOf returns the first column present among names, or -1.
func (t *table) firstOf(names ...string) int {
	for _, n := range names {
		if i := t.index(n); i >= 0 {
			return i
		}
	}
	return -1
}

// cursor walks one column row by row across its chunks.
type cursor struct {
	chunks []arrow.Array
	c      int // current chunk
	off    int // row index where chunk c starts
}

// at returns the chunk and the index within it of row r. Rows must be visited in increasing
// order (the usual case); going back restarts from the first chunk.
func (cu *cursor) at(r int) (arrow.Array, int) {
	if r < cu.off {
		cu.c, cu.off = 0, 0
	}
	for cu.c < len(cu.chunks) && r-cu.off >= cu.chunks[cu.c].Len() {
		cu.off += cu.chunks[cu.c].Len()
		cu.c++
	}
	if cu.c >= len(cu.chunks) {
		return nil, 0
	}
	return cu.chunks[cu.c], r - cu.off
}

func hasNulls(chunks []arrow.Array) bool {
	for _, c := range chunks {
		if c.NullN() > 0 {
			return true
		}
	}
	return false
}

// tableFrame converts every column of t into a frame field.
func tableFrame(name string, t *table) (*data.Frame, error) {
	f := data.NewFrame(name)
	for i, af := range t.schema.Fields() {
		fld, err := arrowField(af.Name, t.cols[i], t.rows)
		if err == nil && af.Metadata.FindKey(jsonMetaKey) >= 0 {
			fld = jsonTextField(af.Name, t.cols[i], t.rows)
		}
		if err != nil {
			return nil, err
		}
		f.Fields = append(f.Fields, fld)
	}
	return f, nil
}

// arrowField converts one column. Nullable field types are used only when the column holds
// nulls, because Grafana's time series code wants a non-nullable time field and non-nullable
// values are cheaper. Timestamps become time.Time; maps, lists and structs become JSON.
func arrowField(name string, chunks []arrow.Array, n int) (*data.Field, error) {
	var dt arrow.DataType = arrow.Null
	if len(chunks) > 0 {
		dt = chunks[0].DataType()
	}
	nulls := hasNulls(chunks)
	switch dt.ID() {
	case arrow.TIMESTAMP:
		toTime, err := dt.(*arrow.TimestampType).GetToTimeFunc()
		if err != nil {
			return nil, fmt.Errorf("cannot convert column %q: %w", name, err)
		}
		if !nulls {
			out := make([]time.Time, 0, n)
			for _, c := range chunks {
				for _, v := range c.(*array.Timestamp).Values() {
					out = append(out, toTime(v))
				}
			}
			return data.NewField(name, nil, out), nil
		}
		out := make([]*time.Time, 0, n)
		for _, c := range chunks {
			a := c.(*array.Timestamp)
			for i := 0; i < a.Len(); i++ {
				if a.IsNull(i) {
					out = append(out, nil)
					continue
				}
				tm := toTime(a.Value(i))
				out = append(out, &tm)
			}
		}
		return data.NewField(name, nil, out), nil
	case arrow.DATE32, arrow.DATE64:
		out := make([]*time.Time, 0, n)
		for _, c := range chunks {
			for i := 0; i < c.Len(); i++ {
				if c.IsNull(i) {
					out = append(out, nil)
					continue
				}
				var tm time.Time
				switch a := c.(type) {
				case *array.Date32:
					tm = a.Value(i).ToTime()
				case *array.Date64:
					tm = a.Value(i).ToTime()
				}
				out = append(out, &tm)
			}
		}
		return data.NewField(name, nil, out), nil
	case arrow.STRING:
		if !nulls {
			out := make([]string, 0, n)
			for _, c := range chunks {
				a := c.(*array.String)
				for i := 0; i < a.Len(); i++ {
					out = append(out, a.Value(i))
				}
			}
			return data.NewField(name, nil, out), nil
		}
		out := make([]*string, 0, n)
		for _, c := range chunks {
			a := c.(*array.String)
			for i := 0; i < a.Len(); i++ {
				if a.IsNull(i) {
					out = append(out, nil)
					continue
				}
				s := a.Value(i)
				out = append(out, &s)
			}
		}
		return data.NewField(name, nil, out), nil
	case arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.DECIMAL128, arrow.DECIMAL256, arrow.BINARY, arrow.LARGE_BINARY:
		out := make([]*string, 0, n)
		for _, c := range chunks {
			for i := 0; i < c.Len(); i++ {
				if c.IsNull(i) {
					out = append(out, nil)
					continue
				}
				s := c.ValueStr(i)
				out = append(out, &s)
			}
		}
		return data.NewField(name, nil, out), nil
	case arrow.BOOL:
		return numField(name, chunks, n, nulls, func(a *array.Boolean, i int) bool { return a.Value(i) }), nil
	// Integers are widened to int64 and floats to float64 so a frame has the same types whatever
	// the transport (the JSON answer only says "int") and whatever the store's integer widths.
	case arrow.INT8:
		return numField(name, chunks, n, nulls, func(a *array.Int8, i int) int64 { return int64(a.Value(i)) }), nil
	case arrow.INT16:
		return numField(name, chunks, n, nulls, func(a *array.Int16, i int) int64 { return int64(a.Value(i)) }), nil
	case arrow.INT32:
		return numField(name, chunks, n, nulls, func(a *array.Int32, i int) int64 { return int64(a.Value(i)) }), nil
	case arrow.INT64:
		return numField(name, chunks, n, nulls, func(a *array.Int64, i int) int64 { return a.Value(i) }), nil
	case arrow.UINT8:
		return numField(name, chunks, n, nulls, func(a *array.Uint8, i int) int64 { return int64(a.Value(i)) }), nil
	case arrow.UINT16:
		return numField(name, chunks, n, nulls, func(a *array.Uint16, i int) int64 { return int64(a.Value(i)) }), nil
	case arrow.UINT32:
		return numField(name, chunks, n, nulls, func(a *array.Uint32, i int) int64 { return int64(a.Value(i)) }), nil
	case arrow.UINT64:
		return numField(name, chunks, n, nulls, func(a *array.Uint64, i int) uint64 { return a.Value(i) }), nil
	case arrow.FLOAT32:
		return numField(name, chunks, n, nulls, func(a *array.Float32, i int) float64 { return float64(a.Value(i)) }), nil
	case arrow.FLOAT64:
		return numField(name, chunks, n, nulls, func(a *array.Float64, i int) float64 { return a.Value(i) }), nil
	case arrow.DURATION:
		return numField(name, chunks, n, nulls, func(a *array.Duration, i int) int64 { return int64(a.Value(i)) }), nil
	case arrow.NULL:
		return data.NewField(name, nil, make([]*string, n)), nil
	default:
		// Maps, lists, structs: JSON, which Grafana's table and logs views display as is.
		out := make([]*json.RawMessage, 0, n)
		var buf []byte
		for _, c := range chunks {
			for i := 0; i < c.Len(); i++ {
				if c.IsNull(i) {
					out = append(out, nil)
					continue
				}
				buf = appendJSON(buf[:0], c, i)
				m := json.RawMessage(append([]byte(nil), buf...))
				out = append(out, &m)
			}
		}
		return jsonField(name, out, nulls), nil
	}
}

// jsonField makes a JSON field, nullable only when some value is null.
func jsonField(name string, vals []*json.RawMessage, nulls bool) *data.Field {
	if nulls {
		return data.NewField(name, nil, vals)
	}
	out := make([]json.RawMessage, len(vals))
	for i, v := range vals {
		out[i] = *v
	}
	return data.NewField(name, nil, out)
}

// jsonTextField turns a string column holding JSON text into a JSON field.
func jsonTextField(name string, chunks []arrow.Array, n int) *data.Field {
	out := make([]*json.RawMessage, 0, n)
	for _, c := range chunks {
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				out = append(out, nil)
				continue
			}
			m := json.RawMessage(c.ValueStr(i))
			out = append(out, &m)
		}
	}
	return jsonField(name, out, hasNulls(chunks))
}

// numField builds a []T or []*T field from chunks of array type A.
func numField[A arrow.Array, T any](name string, chunks []arrow.Array, n int, nulls bool, get func(A, int) T) *data.Field {
	if !nulls {
		out := make([]T, 0, n)
		for _, c := range chunks {
			a := c.(A)
			for i := 0; i < a.Len(); i++ {
				out = append(out, get(a, i))
			}
		}
		return data.NewField(name, nil, out)
	}
	out := make([]*T, 0, n)
	for _, c := range chunks {
		a := c.(A)
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) {
				out = append(out, nil)
				continue
			}
			v := get(a, i)
			out = append(out, &v)
		}
	}
	return data.NewField(name, nil, out)
}

// appendJSON appends the JSON form of row i of a: maps as objects, lists as arrays, structs as
// objects, timestamps as RFC 3339 strings, NaN and infinities as null.
func appendJSON(b []byte, a arrow.Array, i int) []byte {
	if a.IsNull(i) {
		return append(b, "null"...)
	}
	switch a := a.(type) {
	case *array.String:
		return appendJSONString(b, a.Value(i))
	case *array.Map:
		start, end := a.ValueOffsets(i)
		keys, items := a.Keys(), a.Items()
		b = append(b, '{')
		for j := start; j < end; j++ {
			if j > start {
				b = append(b, ',')
			}
			b = appendJSONKey(b, keys, int(j))
			b = append(b, ':')
			b = appendJSON(b, items, int(j))
		}
		return append(b, '}')
	case *array.List:
		start, end := a.ValueOffsets(i)
		vals := a.ListValues()
		b = append(b, '[')
		for j := start; j < end; j++ {
			if j > start {
				b = append(b, ',')
			}
			b = appendJSON(b, vals, int(j))
		}
		return append(b, ']')
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		vals := a.ListValues()
		b = append(b, '[')
		for j := start; j < end; j++ {
			if j > start {
				b = append(b, ',')
			}
			b = appendJSON(b, vals, int(j))
		}
		return append(b, ']')
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		b = append(b, '{')
		for f := 0; f < a.NumField(); f++ {
			if f > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, st.Field(f).Name)
			b = append(b, ':')
			b = appendJSON(b, a.Field(f), i)
		}
		return append(b, '}')
	case *array.Timestamp:
		toTime, err := a.DataType().(*arrow.TimestampType).GetToTimeFunc()
		if err != nil {
			return append(b, "null"...)
		}
		return appendJSONString(b, toTime(a.Value(i)).UTC().Format(time.RFC3339Nano))
	case *array.Boolean:
		return strconv.AppendBool(b, a.Value(i))
	case *array.Int32:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.AppendInt(b, a.Value(i), 10)
	case *array.Uint64:
		return strconv.AppendUint(b, a.Value(i), 10)
	case *array.Float64:
		return appendJSONFloat(b, a.Value(i))
	case *array.Float32:
		return appendJSONFloat(b, float64(a.Value(i)))
	}
	// Other scalars: their text form, which for numbers is valid JSON; quote everything else.
	s := a.ValueStr(i)
	if json.Valid([]byte(s)) {
		return append(b, s...)
	}
	return appendJSONString(b, s)
}

func appendJSONKey(b []byte, keys arrow.Array, j int) []byte {
	if s, ok := keys.(*array.String); ok {
		return appendJSONString(b, s.Value(j))
	}
	return appendJSONString(b, keys.ValueStr(j))
}

func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	// Plain notation like JavaScript's for the magnitudes Grafana shows (millisecond times).
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. It is the hot path of logs labels, so it copies
// runs of safe bytes at once instead of going through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
