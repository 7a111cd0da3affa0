package datasource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	hsclient "github.com/heimsight/heimsight/pkg/client"
)

// jsonMetaKey marks a string column that holds JSON text (lists and structs of a JSON answer),
// so the table frame shows it as JSON.
const jsonMetaKey = "heimsight.json"

// jsonResponse mirrors client.QueryResponse with every cell kept raw: decoding into any would
// turn nanosecond timestamps into float64 and lose precision.
type jsonResponse struct {
	Columns []hsclient.Column   `json:"columns"`
	Data    [][]json.RawMessage `json:"data"`
	Stats   hsclient.Stats      `json:"stats"`
}

// readJSONResult decodes the JSON answer of POST /api/v1/query into Arrow records, so both
// transports feed the same frame code.
func readJSONResult(r io.Reader) (*result, error) {
	var jr jsonResponse
	if err := json.NewDecoder(r).Decode(&jr); err != nil {
		return nil, fmt.Errorf("cannot decode JSON result: %w", err)
	}
	if len(jr.Data) != len(jr.Columns) {
		return nil, fmt.Errorf("cannot decode JSON result: %d columns but %d data arrays", len(jr.Columns), len(jr.Data))
	}
	rows := 0
	if len(jr.Data) > 0 {
		rows = len(jr.Data[0])
	}
	fields := make([]arrow.Field, len(jr.Columns))
	arrays := make([]arrow.Array, len(jr.Columns))
	for i, c := range jr.Columns {
		if len(jr.Data[i]) != rows {
			return nil, fmt.Errorf("cannot decode JSON result: column %q has %d values, want %d", c.Name, len(jr.Data[i]), rows)
		}
		a, isJSON, err := jsonColumn(c.Type, jr.Data[i])
		if err != nil {
			return nil, fmt.Errorf("cannot decode column %q: %w", c.Name, err)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: a.DataType(), Nullable: true}
		if isJSON {
			fields[i].Metadata = arrow.NewMetadata([]string{jsonMetaKey}, []string{"true"})
		}
		arrays[i] = a
	}
	schema := arrow.NewSchema(fields, nil)
	rec := array.NewRecordBatch(schema, arrays, int64(rows))
	for _, a := range arrays {
		a.Release()
	}
	res := &result{Schema: schema, Records: []arrow.RecordBatch{rec}, Rows: int64(rows), Truncated: jr.Stats.Truncated, Tier: jr.Stats.Tier}
	if res.Tier != "" && jr.Stats.TierFrom <= jr.Stats.TierTo {
		res.TierFrom, res.TierTo = jr.Stats.TierFrom, jr.Stats.TierTo
	}
	return res, nil
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || bytes.Equal(v, []byte("null")) }

// jsonColumn builds one Arrow array from the cells of a column of HQL type typ.
func jsonColumn(typ string, cells []json.RawMessage) (arrow.Array, bool, error) {
	mem := memory.DefaultAllocator
	t := strings.ToLower(typ)
	switch {
	case t == "timestamp":
		b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"})
		defer b.Release()
		for _, v := range cells {
			if isNull(v) {
				b.AppendNull()
				continue
			}
			ns, err := strconv.ParseInt(string(bytes.Trim(v, `"`)), 10, 64)
			if err != nil {
				return nil, false, fmt.Errorf("timestamp %s is not Unix nanoseconds", v)
			}
			b.Append(arrow.Timestamp(ns))
		}
		return b.NewArray(), false, nil
	case t == "int" || t == "int64" || t == "int32" || t == "duration":
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for _, v := range cells {
			if isNull(v) {
				b.AppendNull()
				continue
			}
			n, err := strconv.ParseInt(string(bytes.Trim(v, `"`)), 10, 64)
			if err != nil {
				return nil, false, fmt.Errorf("%s is not an integer", v)
			}
			b.Append(n)
		}
		return b.NewArray(), false, nil
	case t == "float" || t == "float64" || t == "double":
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for _, v := range cells {
			if isNull(v) {
				b.AppendNull()
				continue
			}
			f, err := strconv.ParseFloat(string(bytes.Trim(v, `"`)), 64)
			if err != nil {
				return nil, false, fmt.Errorf("%s is not a number", v)
			}
			b.Append(f)
		}
		return b.NewArray(), false, nil
	case t == "bool":
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		for _, v := range cells {
			if isNull(v) {
				b.AppendNull()
				continue
			}
			b.Append(bytes.Equal(v, []byte("true")))
		}
		return b.NewArray(), false, nil
	case t == "map":
		b := array.NewMapBuilder(mem, arrow.BinaryTypes.String, arrow.BinaryTypes.String, false)
		defer b.Release()
		kb, ib := b.KeyBuilder().(*array.StringBuilder), b.ItemBuilder().(*array.StringBuilder)
		for _, v := range cells {
			if isNull(v) {
				b.AppendNull()
				continue
			}
			var m map[string]*string
			if err := json.Unmarshal(v, &m); err != nil {
				return nil, false, fmt.Errorf("map value %s: %w", v, err)
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			b.Append(true)
			for _, k := range keys {
				kb.Append(k)
				if m[k] == nil {
					ib.AppendNull()
				} else {
					ib.Append(*m[k])
				}
			}
		}
		return b.NewArray(), false, nil
	case t == "string":
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for _, v := range cells {
			if isNull(v) {
				b.AppendNull()
				continue
			}
			// Most strings have no escapes: take the bytes between the quotes as they are.
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && bytes.IndexByte(v, '\\') < 0 {
				b.Append(string(v[1 : len(v)-1]))
				continue
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, false, fmt.Errorf("%s is not a string", v)
			}
			b.Append(s)
		}
		return b.NewArray(), false, nil
	}
	// Lists, structs and anything newer: keep the JSON text.
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, v := range cells {
		if isNull(v) {
			b.AppendNull()
			continue
		}
		b.Append(string(v))
	}
	return b.NewArray(), true, nil
}
