package clickhouse

import (
	"fmt"
	"math/big"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// chType is a parsed ClickHouse column type, as far as the Arrow mapping needs it.
type chType struct {
	base     string // String, Int64, DateTime64, Array, Map, Tuple, Nothing, ...
	nullable bool
	elem     *chType   // Array
	key, val *chType   // Map
	fields   []*chType // Tuple
	names    []string  // Tuple field names ("" when unnamed)
}

// parseType parses a ClickHouse type name. LowCardinality is transparent; unknown types parse
// as their name and map to utf8 through fmt.
func parseType(s string) (*chType, error) {
	s = strings.TrimSpace(s)
	name, args, hasArgs := s, "", false
	if i := strings.IndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		name, args, hasArgs = s[:i], s[i+1:len(s)-1], true
	}
	switch name {
	case "LowCardinality":
		return parseType(args)
	case "Nullable":
		t, err := parseType(args)
		if err != nil {
			return nil, err
		}
		t.nullable = true
		return t, nil
	case "Array":
		e, err := parseType(args)
		if err != nil {
			return nil, err
		}
		return &chType{base: "Array", elem: e}, nil
	case "Map":
		parts := splitTopLevel(args)
		if len(parts) != 2 {
			return nil, fmt.Errorf("cannot parse type %q", s)
		}
		k, err := parseType(parts[0])
		if err != nil {
			return nil, err
		}
		v, err := parseType(parts[1])
		if err != nil {
			return nil, err
		}
		return &chType{base: "Map", key: k, val: v}, nil
	case "Tuple":
		t := &chType{base: "Tuple"}
		for _, p := range splitTopLevel(args) {
			fname, ftype := tupleElement(p)
			ft, err := parseType(ftype)
			if err != nil {
				return nil, err
			}
			t.fields, t.names = append(t.fields, ft), append(t.names, fname)
		}
		return t, nil
	case "Nested":
		return nil, fmt.Errorf("cannot map type %q: Nested is read as separate arrays", s)
	}
	if !hasArgs {
		name = s
	}
	return &chType{base: name}, nil
}

// splitTopLevel splits on commas outside parentheses, quotes and backquotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// tupleElement splits "name Type" (name possibly backquoted) from a plain "Type".
func tupleElement(p string) (string, string) {
	if strings.HasPrefix(p, "`") {
		if end := strings.Index(p[1:], "`"); end >= 0 {
			return p[1 : end+1], strings.TrimSpace(p[end+2:])
		}
	}
	sp := strings.IndexByte(p, ' ')
	par := strings.IndexByte(p, '(')
	if sp > 0 && (par < 0 || sp < par) {
		return p[:sp], strings.TrimSpace(p[sp+1:])
	}
	return "", p
}

var tsType = &arrow.TimestampType{Unit: arrow.Nanosecond} // as the embedded store: no zone

// arrowType maps a ClickHouse type to the Arrow type of the result column.
func arrowType(t *chType) arrow.DataType {
	switch t.base {
	case "Int8":
		return arrow.PrimitiveTypes.Int8
	case "Int16":
		return arrow.PrimitiveTypes.Int16
	case "Int32":
		return arrow.PrimitiveTypes.Int32
	case "Int64":
		return arrow.PrimitiveTypes.Int64
	case "UInt8":
		return arrow.PrimitiveTypes.Uint8
	case "UInt16":
		return arrow.PrimitiveTypes.Uint16
	case "UInt32":
		return arrow.PrimitiveTypes.Uint32
	case "UInt64":
		return arrow.PrimitiveTypes.Uint64
	case "Float32":
		return arrow.PrimitiveTypes.Float32
	case "Float64":
		return arrow.PrimitiveTypes.Float64
	case "Bool":
		return arrow.FixedWidthTypes.Boolean
	case "Date", "Date32":
		return arrow.FixedWidthTypes.Date32
	case "DateTime", "DateTime64":
		return tsType
	case "Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256":
		return arrow.PrimitiveTypes.Float64
	case "Nothing":
		return arrow.Null
	case "Array":
		return arrow.ListOf(arrowType(t.elem))
	case "Map":
		return arrow.MapOf(arrowType(t.key), arrowType(t.val))
	case "Tuple":
		fields := make([]arrow.Field, len(t.fields))
		for i, f := range t.fields {
			name := t.names[i]
			if name == "" {
				name = "_" + strconv.Itoa(i+1)
			}
			fields[i] = arrow.Field{Name: name, Type: arrowType(f), Nullable: f.nullable || f.base == "Nothing"}
		}
		return arrow.StructOf(fields...)
	}
	return arrow.BinaryTypes.String
}

// appendValue appends one scanned value (what clickhouse-go scans a column of type t into) to b.
func appendValue(b array.Builder, t *chType, v reflect.Value) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			b.AppendNull()
			return nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.NullBuilder:
		bb.AppendNull()
	case *array.Int8Builder:
		bb.Append(int8(v.Int()))
	case *array.Int16Builder:
		bb.Append(int16(v.Int()))
	case *array.Int32Builder:
		bb.Append(int32(v.Int()))
	case *array.Int64Builder:
		bb.Append(v.Int())
	case *array.Uint8Builder:
		bb.Append(uint8(v.Uint()))
	case *array.Uint16Builder:
		bb.Append(uint16(v.Uint()))
	case *array.Uint32Builder:
		bb.Append(uint32(v.Uint()))
	case *array.Uint64Builder:
		bb.Append(v.Uint())
	case *array.Float32Builder:
		bb.Append(float32(v.Float()))
	case *array.Float64Builder:
		switch x := v.Interface().(type) {
		case decimal.Decimal:
			bb.Append(x.InexactFloat64())
		default:
			bb.Append(v.Float())
		}
	case *array.BooleanBuilder:
		bb.Append(v.Bool())
	case *array.Date32Builder:
		tm, ok := v.Interface().(time.Time)
		if !ok {
			return fmt.Errorf("cannot convert %s to date", v.Type())
		}
		bb.Append(arrow.Date32FromTime(tm))
	case *array.TimestampBuilder:
		tm, ok := v.Interface().(time.Time)
		if !ok {
			return fmt.Errorf("cannot convert %s to timestamp", v.Type())
		}
		bb.Append(arrow.Timestamp(tm.UnixNano()))
	case *array.StringBuilder:
		bb.Append(stringOf(v))
	case *array.ListBuilder:
		if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
			return fmt.Errorf("cannot convert %s to list", v.Type())
		}
		bb.Append(true)
		for i := 0; i < v.Len(); i++ {
			if err := appendValue(bb.ValueBuilder(), t.elem, v.Index(i)); err != nil {
				return err
			}
		}
	case *array.MapBuilder:
		if v.Kind() != reflect.Map {
			return fmt.Errorf("cannot convert %s to map", v.Type())
		}
		bb.Append(true)
		keys := v.MapKeys()
		// Go maps have no order; sorted keys make results reproducible.
		if v.Type().Key().Kind() == reflect.String {
			sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		} else {
			sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface()) })
		}
		for _, k := range keys {
			if err := appendValue(bb.KeyBuilder(), t.key, k); err != nil {
				return err
			}
			if err := appendValue(bb.ItemBuilder(), t.val, v.MapIndex(k)); err != nil {
				return err
			}
		}
	case *array.StructBuilder:
		bb.Append(true)
		for i, ft := range t.fields {
			var fv reflect.Value
			switch v.Kind() {
			case reflect.Slice:
				if i < v.Len() {
					fv = v.Index(i)
				}
			case reflect.Map:
				name := t.names[i]
				fv = v.MapIndex(reflect.ValueOf(name))
			default:
				return fmt.Errorf("cannot convert %s to struct", v.Type())
			}
			if !fv.IsValid() {
				bb.FieldBuilder(i).AppendNull()
				continue
			}
			if err := appendValue(bb.FieldBuilder(i), ft, fv); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("cannot append to %T", b)
	}
	return nil
}

func stringOf(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case uuid.UUID:
		return x.String()
	case net.IP:
		return x.String()
	case *big.Int:
		return x.String()
	case big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	}
	if v.Kind() == reflect.String {
		return v.String()
	}
	return fmt.Sprint(v.Interface())
}

// resultReader is a query result row by row: clickhouse-go's driver.Rows, or (in tests) blocks
// decoded from the engine's Native output. Both scan through the same column decoders.
type resultReader interface {
	Columns() (names, types []string, scanTypes []reflect.Type)
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// readArrow reads up to maxRows rows (reading one more to detect truncation) into Arrow records
// of at most batchRows rows each.
func readArrow(r resultReader, maxRows int, mem memory.Allocator) (*storeResult, error) {
	const batchRows = 8192
	names, types, scanTypes := r.Columns()
	parsed := make([]*chType, len(types))
	fields := make([]arrow.Field, len(types))
	for i, ts := range types {
		t, err := parseType(ts)
		if err != nil {
			return nil, fmt.Errorf("cannot read column %s: %w", names[i], err)
		}
		parsed[i] = t
		fields[i] = arrow.Field{Name: names[i], Type: arrowType(t), Nullable: t.nullable || t.base == "Nothing"}
	}
	schema := arrow.NewSchema(fields, nil)
	res := &storeResult{schema: schema}
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	dest := make([]any, len(scanTypes))
	for i, st := range scanTypes {
		dest[i] = reflect.New(st).Interface()
	}
	inBatch := 0
	flush := func() {
		if inBatch > 0 {
			res.records = append(res.records, rb.NewRecordBatch())
			inBatch = 0
		}
	}
	for r.Next() {
		if maxRows > 0 && res.rows >= int64(maxRows) {
			res.truncated = true
			break
		}
		if err := r.Scan(dest...); err != nil {
			res.release()
			return nil, fmt.Errorf("cannot scan row: %w", err)
		}
		for i := range dest {
			if err := appendValue(rb.Field(i), parsed[i], reflect.ValueOf(dest[i]).Elem()); err != nil {
				res.release()
				return nil, fmt.Errorf("cannot convert column %s: %w", names[i], err)
			}
		}
		res.rows++
		inBatch++
		if inBatch == batchRows {
			flush()
		}
	}
	if err := r.Err(); err != nil {
		res.release()
		return nil, err
	}
	flush()
	return res, nil
}

// storeResult is the backend-neutral result before it becomes a store.Result.
type storeResult struct {
	schema    *arrow.Schema
	records   []arrow.RecordBatch
	rows      int64
	truncated bool
}

func (r *storeResult) release() {
	for _, rec := range r.records {
		rec.Release()
	}
	r.records = nil
}
