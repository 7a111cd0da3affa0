package api

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Converting Arrow results to JSON values: timestamps become Unix nanoseconds (int64), maps
// objects, lists arrays, structs objects, NULL null. Floats that JSON cannot carry (NaN, ±Inf)
// become the strings "NaN", "Infinity", "-Infinity"; 128-bit decimals (DuckDB's sum of
// integers) become exact JSON numbers.

// appendColumn appends the JSON values of arr to dst.
func appendColumn(dst []any, arr arrow.Array) []any {
	for i := 0; i < arr.Len(); i++ {
		dst = append(dst, jsonValue(arr, i))
	}
	return dst
}

func jsonValue(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Timestamp:
		return timestampNanos(a, i)
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Uint64:
		return a.Value(i)
	case *array.Uint32:
		return uint64(a.Value(i))
	case *array.Uint16:
		return uint64(a.Value(i))
	case *array.Uint8:
		return uint64(a.Value(i))
	case *array.Float64:
		return jsonFloat(a.Value(i))
	case *array.Float32:
		return jsonFloat(float64(a.Value(i)))
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.StringView:
		return a.Value(i)
	case *array.Binary:
		return a.Value(i) // encoding/json writes []byte as base64
	case *array.Duration:
		return int64(a.Value(i)) * durationUnit(a.DataType().(*arrow.DurationType).Unit)
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		return json.Number(a.Value(i).ToString(dt.Scale))
	case *array.Map:
		return mapValue(a, i)
	case *array.List:
		start, end := a.ValueOffsets(i)
		return sliceValues(a.ListValues(), int(start), int(end))
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		return sliceValues(a.ListValues(), int(start), int(end))
	case *array.FixedSizeList:
		n := a.DataType().(*arrow.FixedSizeListType).Len()
		return sliceValues(a.ListValues(), i*int(n), (i+1)*int(n))
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		obj := make(map[string]any, a.NumField())
		for f := 0; f < a.NumField(); f++ {
			obj[st.Field(f).Name] = jsonValue(a.Field(f), i)
		}
		return obj
	case *array.Dictionary:
		return jsonValue(a.Dictionary(), a.GetValueIndex(i))
	case *array.Null:
		return nil
	}
	return arr.GetOneForMarshal(i)
}

func timestampNanos(a *array.Timestamp, i int) int64 {
	v := int64(a.Value(i))
	switch a.DataType().(*arrow.TimestampType).Unit {
	case arrow.Second:
		return v * 1e9
	case arrow.Millisecond:
		return v * 1e6
	case arrow.Microsecond:
		return v * 1e3
	}
	return v
}

func durationUnit(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 1e9
	case arrow.Millisecond:
		return 1e6
	case arrow.Microsecond:
		return 1e3
	}
	return 1
}

func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}

func sliceValues(values arrow.Array, start, end int) []any {
	out := make([]any, 0, end-start)
	for j := start; j < end; j++ {
		out = append(out, jsonValue(values, j))
	}
	return out
}

func mapValue(a *array.Map, i int) map[string]any {
	start, end := a.ValueOffsets(i)
	keys, items := a.Keys(), a.Items()
	obj := make(map[string]any, end-start)
	for j := int(start); j < int(end); j++ {
		var k string
		switch kv := jsonValue(keys, j).(type) {
		case string:
			k = kv
		case int64:
			k = strconv.FormatInt(kv, 10)
		default:
			b, _ := json.Marshal(kv)
			k = string(b)
		}
		obj[k] = jsonValue(items, j)
	}
	return obj
}
