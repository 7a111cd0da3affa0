package storetest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/heimsight/heimsight/pkg/store"
)

// Row is one result row with values normalised to: nil (NULL), int64 (integers and timestamps
// in ns), float64, bool, string, map[string]string (maps), []any (lists), map[string]any
// (structs).
type Row map[string]any

// Rows converts a result into normalised rows.
func Rows(res *store.Result) ([]Row, error) {
	var out []Row
	for _, rec := range res.Records {
		for i := 0; i < int(rec.NumRows()); i++ {
			r := Row{}
			for c, col := range rec.Columns() {
				v, err := value(col, i)
				if err != nil {
					return nil, fmt.Errorf("column %s: %w", rec.ColumnName(c), err)
				}
				r[rec.ColumnName(c)] = v
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func value(a arrow.Array, i int) (any, error) {
	if a.IsNull(i) {
		return nil, nil
	}
	switch a := a.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return int64(a.Value(i)) * int64(unit.Multiplier()), nil
	case *array.String:
		return a.Value(i), nil
	case *array.LargeString:
		return a.Value(i), nil
	case *array.StringView:
		return a.Value(i), nil
	case *array.Binary:
		return string(a.Value(i)), nil
	case *array.Int8:
		return int64(a.Value(i)), nil
	case *array.Int16:
		return int64(a.Value(i)), nil
	case *array.Int32:
		return int64(a.Value(i)), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Uint8:
		return int64(a.Value(i)), nil
	case *array.Uint16:
		return int64(a.Value(i)), nil
	case *array.Uint32:
		return int64(a.Value(i)), nil
	case *array.Uint64:
		return int64(a.Value(i)), nil
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Map:
		start, end := a.ValueOffsets(i)
		keys, items := a.Keys(), a.Items()
		m := make(map[string]string, end-start)
		for j := start; j < end; j++ {
			k, err := value(keys, int(j))
			if err != nil {
				return nil, err
			}
			v, err := value(items, int(j))
			if err != nil {
				return nil, err
			}
			ks, _ := k.(string)
			vs, _ := v.(string)
			m[ks] = vs
		}
		return m, nil
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		vals := a.ListValues()
		l := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			v, err := value(vals, int(j))
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		m := make(map[string]any, a.NumField())
		for f := 0; f < a.NumField(); f++ {
			v, err := value(a.Field(f), i)
			if err != nil {
				return nil, err
			}
			m[st.Field(f).Name] = v
		}
		return m, nil
	}
	return nil, fmt.Errorf("unsupported Arrow type %s", a.DataType())
}

// diff describes the first differences between want and got, or "" when equal. lenient makes
// NULL equal to the zero value of the expected type (for backends without nullable columns).
func diff(want, got Row, lenient bool) string {
	var b strings.Builder
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			fmt.Fprintf(&b, "  column %s missing\n", k)
			continue
		}
		if !equal(want[k], g, lenient) {
			fmt.Fprintf(&b, "  column %s: want %#v, got %#v\n", k, want[k], g)
		}
	}
	return b.String()
}

func equal(want, got any, lenient bool) bool {
	if want == nil || got == nil {
		if want == nil && got == nil {
			return true
		}
		if !lenient {
			return false
		}
		other := want
		if other == nil {
			other = got
		}
		return isZero(other)
	}
	switch w := want.(type) {
	case map[string]string:
		g, ok := got.(map[string]string)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if gv, ok := g[k]; !ok || gv != v {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !equal(w[i], g[i], lenient) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if !equal(v, g[k], lenient) {
				return false
			}
		}
		return true
	}
	return want == got
}

func isZero(v any) bool {
	switch v := v.(type) {
	case int64:
		return v == 0
	case float64:
		return v == 0
	case bool:
		return !v
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]string:
		return len(v) == 0
	}
	return false
}
