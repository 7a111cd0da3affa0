package clickhouse

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// arrowValue reads one cell as a plain Go value for assertions.
func arrowValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch c := a.(type) {
	case *array.Timestamp:
		return int64(c.Value(i))
	case *array.String:
		return c.Value(i)
	case *array.Int32:
		return c.Value(i)
	case *array.Int64:
		return c.Value(i)
	case *array.Uint8:
		return c.Value(i)
	case *array.Uint32:
		return c.Value(i)
	case *array.Uint64:
		return c.Value(i)
	case *array.Float64:
		return c.Value(i)
	case *array.Boolean:
		return c.Value(i)
	case *array.Map:
		start, end := c.ValueOffsets(i)
		keys, items := c.Keys(), c.Items()
		var out []string
		for j := start; j < end; j++ {
			out = append(out, fmt.Sprintf("%v=%v", arrowValue(keys, int(j)), arrowValue(items, int(j))))
		}
		return out
	case *array.List:
		start, end := c.ValueOffsets(i)
		out := []any{}
		for j := start; j < end; j++ {
			out = append(out, arrowValue(c.ListValues(), int(j)))
		}
		return out
	case *array.Struct:
		var out []any
		for f := 0; f < c.NumField(); f++ {
			out = append(out, arrowValue(c.Field(f), i))
		}
		return out
	}
	return fmt.Sprintf("<%s>", a.DataType())
}
