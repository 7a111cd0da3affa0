package hqltest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect/clickhouse"
	"github.com/heimsight/heimsight/pkg/store/clickhouse/chdbtest"
)

// ClickHouse side of the corpus: tables with the logical columns in a chDB session, loaded
// with the fixture, and query results normalised to the text Format produces for DuckDB.

const db = "hql"

// ChSource maps a logical table to its chDB test table.
func ChSource(table string) (string, error) { return db + ".`" + table + "`", nil }

// structTypes gives the ClickHouse types of the list-of-struct columns.
var structTypes = map[string]string{
	"events":    "Array(Tuple(timestamp DateTime64(9, 'UTC'), name String, attributes Map(String, String)))",
	"links":     "Array(Tuple(trace_id String, span_id String, trace_state String, attributes Map(String, String)))",
	"quantiles": "Array(Tuple(quantile Float64, value Float64))",
	"exemplars": "Array(Tuple(timestamp DateTime64(9, 'UTC'), value Float64, trace_id String, span_id String, filtered_attributes Map(String, String)))",
}

// ddl creates a table with the catalog's columns. Only the metrics table has NULLs (columns
// that do not apply to a point's type), so only its scalar columns are Nullable.
func ddl(t *hql.Table) string {
	var cols []string
	for _, c := range t.Columns {
		if c.Derived != nil {
			continue
		}
		typ := map[hql.Type]string{hql.TypeTimestamp: "DateTime64(9, 'UTC')", hql.TypeString: "String", hql.TypeInt: "Int64",
			hql.TypeFloat: "Float64", hql.TypeBool: "Bool", hql.TypeMap: "Map(String, String)"}[c.Type]
		switch {
		case c.Elem == "list<int64>":
			typ = "Array(Int64)"
		case c.Elem == "list<float64>":
			typ = "Array(Float64)"
		case c.Type == hql.TypeList:
			typ = structTypes[c.Name]
		case t.Name == "metrics" && c.Type != hql.TypeMap:
			typ = "Nullable(" + typ + ")"
		}
		cols = append(cols, fmt.Sprintf("`%s` %s", c.Name, typ))
	}
	return fmt.Sprintf("CREATE TABLE %s.`%s` (%s) ENGINE = Memory", db, t.Name, strings.Join(cols, ", "))
}

func chValue(t testing.TB, v any) string {
	if _, ok := v.(EmptyList); ok {
		return "[]"
	}
	switch x := v.(type) {
	case TS:
		return fmt.Sprintf("fromUnixTimestamp64Nano(toInt64(%d), 'UTC')", int64(x))
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var kv []string
		for _, k := range keys {
			kv = append(kv, lit(t, k), lit(t, x[k]))
		}
		return "map(" + strings.Join(kv, ", ") + ")"
	case []int64:
		var e []string
		for _, i := range x {
			e = append(e, fmt.Sprint(i))
		}
		return "[" + strings.Join(e, ", ") + "]"
	case []float64:
		var e []string
		for _, f := range x {
			e = append(e, lit(t, f))
		}
		return "[" + strings.Join(e, ", ") + "]"
	}
	return lit(t, v)
}

func lit(t testing.TB, v any) string {
	s, err := clickhouse.Dialect{}.Literal(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// StartChDB starts a chDB session holding the fixture (the test is skipped without chDB).
func StartChDB(t testing.TB) *chdbtest.Engine {
	t.Helper()
	e := chdbtest.Start(t, t.TempDir())
	t.Logf("ClickHouse %s (chDB)", e.Version)
	if err := e.Exec("CREATE DATABASE IF NOT EXISTS " + db); err != nil {
		t.Fatal(err)
	}
	for _, tab := range hql.DefaultCatalog().Tables() {
		if err := e.Exec(ddl(tab)); err != nil {
			t.Fatalf("%s: %v", ddl(tab), err)
		}
	}
	for table := range Fixture() {
		for _, r := range Rows(table) {
			var cols, vals []string
			for c, v := range r {
				cols = append(cols, "`"+c+"`")
				vals = append(vals, chValue(t, v))
			}
			q := fmt.Sprintf("INSERT INTO %s.`%s` (%s) VALUES (%s)", db, table, strings.Join(cols, ", "), strings.Join(vals, ", "))
			if err := e.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	return e
}

// normalize renders a JSON value of a result column of HQL type typ as hqltest.Format renders
// the DuckDB driver's values.
func normalize(v any, typ hql.Type) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case bool:
		return fmt.Sprint(x)
	case json.Number:
		switch typ {
		case hql.TypeBool:
			return fmt.Sprint(x.String() != "0")
		case hql.TypeFloat:
			f, _ := x.Float64()
			return fmt.Sprintf("%.15g", f)
		}
		return x.String()
	case string:
		if typ == hql.TypeTimestamp {
			if ts, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", x, time.UTC); err == nil {
				return ts.Format(time.RFC3339Nano)
			}
		}
		if typ == hql.TypeFloat {
			var f float64
			if _, err := fmt.Sscan(x, &f); err == nil {
				return fmt.Sprintf("%.15g", f)
			}
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if n, ok := e.(json.Number); ok {
				f, _ := n.Float64()
				parts[i] = fmt.Sprintf("%.15g", f)
				continue
			}
			parts[i] = normalize(e, hql.TypeString)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[string]any:
		var kv []string
		for k, v := range x {
			kv = append(kv, fmt.Sprintf("%s=%v", k, v))
		}
		sort.Strings(kv)
		return "{" + strings.Join(kv, ",") + "}"
	}
	return fmt.Sprint(v)
}

// RunChDB runs p (inlined) on e and returns the rows normalised, and the SQL.
func RunChDB(t testing.TB, e *chdbtest.Engine, p *hql.QueryPlan) ([][]string, string) {
	t.Helper()
	sql, err := clickhouse.EmitInline(p, ChSource)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Query(sql, "JSONCompactEachRow")
	if err != nil {
		t.Fatalf("%s\n%v", sql, err)
	}
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var vals []any
		if err := dec.Decode(&vals); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = normalize(v, p.Columns[i].Type)
		}
		rows = append(rows, row)
	}
	return rows, sql
}
