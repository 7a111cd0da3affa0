package duckdb_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
	"github.com/heimsight/heimsight/pkg/hql/internal/hqltest"
)

const t0 = hqltest.T0

const ddl = `
CREATE TABLE logs (
	timestamp TIMESTAMP_NS, observed_timestamp TIMESTAMP_NS, trace_id VARCHAR, span_id VARCHAR,
	trace_flags INTEGER, severity_text VARCHAR, severity_number INTEGER, service VARCHAR, body VARCHAR,
	attributes MAP(VARCHAR, VARCHAR), resource MAP(VARCHAR, VARCHAR), resource_schema_url VARCHAR,
	scope_name VARCHAR, scope_version VARCHAR, scope_attributes MAP(VARCHAR, VARCHAR),
	scope_schema_url VARCHAR, event_name VARCHAR);
CREATE TABLE spans (
	timestamp TIMESTAMP_NS, end_timestamp TIMESTAMP_NS, duration_ns BIGINT, trace_id VARCHAR,
	span_id VARCHAR, parent_span_id VARCHAR, trace_state VARCHAR, trace_flags INTEGER, name VARCHAR,
	kind VARCHAR, service VARCHAR, status_code VARCHAR, status_message VARCHAR,
	attributes MAP(VARCHAR, VARCHAR), resource MAP(VARCHAR, VARCHAR), scope_name VARCHAR,
	scope_version VARCHAR,
	events STRUCT(timestamp TIMESTAMP_NS, name VARCHAR, attributes MAP(VARCHAR, VARCHAR))[],
	links STRUCT(trace_id VARCHAR, span_id VARCHAR, trace_state VARCHAR, attributes MAP(VARCHAR, VARCHAR))[]);
CREATE TABLE metrics (
	timestamp TIMESTAMP_NS, start_timestamp TIMESTAMP_NS, name VARCHAR, description VARCHAR,
	unit VARCHAR, type VARCHAR, service VARCHAR, attributes MAP(VARCHAR, VARCHAR),
	resource MAP(VARCHAR, VARCHAR), scope_name VARCHAR, scope_version VARCHAR, flags INTEGER,
	value DOUBLE, temporality VARCHAR, is_monotonic BOOLEAN, count BIGINT, sum DOUBLE, min DOUBLE,
	max DOUBLE, bucket_counts BIGINT[], explicit_bounds DOUBLE[], scale INTEGER, zero_count BIGINT,
	zero_threshold DOUBLE, positive_offset INTEGER, positive_bucket_counts BIGINT[],
	negative_offset INTEGER, negative_bucket_counts BIGINT[],
	quantiles STRUCT(quantile DOUBLE, value DOUBLE)[],
	exemplars STRUCT(timestamp TIMESTAMP_NS, value DOUBLE, trace_id VARCHAR, span_id VARCHAR, filtered_attributes MAP(VARCHAR, VARCHAR))[]);
`

func openDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	stmts := []string{
		"SET autoinstall_known_extensions=false", "SET autoload_known_extensions=false",
	}
	stmts = append(stmts, strings.Split(ddl, ";")...)
	stmts = append(stmts, tierDDL()...)
	stmts = append(stmts, fixtureInserts()...)
	for _, s := range stmts {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return db
}

// tierDDL creates every tier table from the catalog, so the catalog's types are what is tested.
func tierDDL() []string {
	var out []string
	for _, t := range hql.DefaultCatalog().Tables() {
		if !t.Tier {
			continue
		}
		var cols []string
		for _, c := range t.Columns {
			typ := map[hql.Type]string{hql.TypeTimestamp: "TIMESTAMP_NS", hql.TypeString: "VARCHAR", hql.TypeInt: "BIGINT",
				hql.TypeFloat: "DOUBLE", hql.TypeMap: "MAP(VARCHAR, VARCHAR)", hql.TypeBool: "BOOLEAN"}[c.Type]
			switch c.Elem {
			case "list<int64>":
				typ = "BIGINT[]"
			case "list<float64>":
				typ = "DOUBLE[]"
			}
			cols = append(cols, fmt.Sprintf("%q %s", c.Name, typ))
		}
		out = append(out, fmt.Sprintf("CREATE TABLE %q (%s)", t.Name, strings.Join(cols, ", ")))
	}
	return out
}

// source maps each logical table to the test table of the same name.
func source(table string) (string, error) { return `"` + table + `"`, nil }

func query(t testing.TB, db *sql.DB, sqlText string, args []any) [][]string {
	t.Helper()
	rows, err := db.Query(sqlText, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", sqlText, args, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if m, ok := v.(duckdbdriver.OrderedMap); ok {
				plain := map[any]any{}
				keys, values := m.Keys(), m.Values()
				for j := range keys {
					plain[keys[j]] = values[j]
				}
				v = plain
			}
			row[i] = hqltest.Format(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sqlText, err)
	}
	return out
}

func render(rows [][]string) string { return hqltest.Render(rows) }

func TestExecute(t *testing.T) {
	db := openDB(t)
	cat := hql.DefaultCatalog()
	if err := cat.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	for _, c := range hqltest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			stmt, err := hql.Parse(c.HQL)
			if err != nil {
				t.Fatal(err)
			}
			p, err := hql.Plan(stmt, cat, hqltest.Params)
			if err != nil {
				t.Fatal(err)
			}
			sqlText, args, err := duckdb.Emit(p, source)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(query(t, db, sqlText, args)); got != c.Want {
				t.Errorf("%s\nSQL: %s %v\ngot:\n%swant:\n%s", c.HQL, sqlText, args, got, c.Want)
			}
			// The inlined rendering must return the same rows.
			inl, err := duckdb.EmitInline(p, source)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(query(t, db, inl, nil)); got != c.Want {
				t.Errorf("inline: %s\nSQL: %s\ngot:\n%swant:\n%s", c.HQL, inl, got, c.Want)
			}
		})
	}
}

// fixtureInserts renders the shared fixture as DuckDB INSERT statements.
func fixtureInserts() []string {
	var out []string
	for table := range hqltest.Fixture() {
		for _, r := range hqltest.Rows(table) {
			var cols, vals []string
			for c, v := range r {
				cols = append(cols, fmt.Sprintf("%q", c))
				vals = append(vals, duckValue(v))
			}
			out = append(out, fmt.Sprintf("INSERT INTO %q (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(vals, ", ")))
		}
	}
	return out
}

func duckValue(v any) string {
	switch x := v.(type) {
	case hqltest.EmptyList:
		return "[]"
	case hqltest.TS:
		return fmt.Sprintf("make_timestamp_ns(%d)", int64(x))
	case map[string]string:
		var kv []string
		for k, v := range x {
			kv = append(kv, mustLit(k)+": "+mustLit(v))
		}
		sort.Strings(kv)
		return "MAP{" + strings.Join(kv, ", ") + "}"
	case []int64:
		var e []string
		for _, i := range x {
			e = append(e, fmt.Sprint(i))
		}
		return "[" + strings.Join(e, ", ") + "]::BIGINT[]"
	case []float64:
		var e []string
		for _, f := range x {
			e = append(e, mustLit(f))
		}
		return "[" + strings.Join(e, ", ") + "]::DOUBLE[]"
	}
	return mustLit(v)
}

func mustLit(v any) string {
	s, err := duckdb.Dialect{}.Literal(v)
	if err != nil {
		panic(err)
	}
	return s
}

// TestGoldenCorpusRuns executes every golden query on DuckDB, bound and inlined, and checks
// that both give the same rows.
func TestGoldenCorpusRuns(t *testing.T) {
	db := openDB(t)
	cat := hql.DefaultCatalog()
	if err := cat.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../testdata/*.hql")
	if len(files) == 0 {
		t.Fatal("no golden queries")
	}
	p := hql.Params{From: t0, To: t0 + 3600e9, Interval: time.Minute, Now: t0 + 7200e9}
	for _, f := range files {
		src, _ := os.ReadFile(f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			stmt, err := hql.Parse(string(src))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := hql.Plan(stmt, cat, p)
			if err != nil {
				t.Fatal(err)
			}
			sqlText, args, err := duckdb.Emit(plan, source)
			if err != nil {
				t.Fatal(err)
			}
			// Rows are compared as sets: some golden queries order by values with ties.
			bound := sortedRender(query(t, db, sqlText, args))
			inl, err := duckdb.EmitInline(plan, source)
			if err != nil {
				t.Fatal(err)
			}
			if inlined := sortedRender(query(t, db, inl, nil)); inlined != bound {
				t.Errorf("bound and inlined results differ:\n%s\n%s", bound, inlined)
			}
		})
	}
}

func sortedRender(rows [][]string) string {
	lines := strings.Split(render(rows), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestDifferentialClickHouse runs the golden corpus and the cases on DuckDB and on the
// ClickHouse engine (chDB) over the same rows and requires the same results (as sets: some
// queries order with ties). Skipped without chDB.
func TestDifferentialClickHouse(t *testing.T) {
	ch := hqltest.StartChDB(t)
	db := openDB(t)
	cat := hql.DefaultCatalog()
	if err := cat.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../testdata/*.hql")
	queries := map[string]string{}
	for _, f := range files {
		src, _ := os.ReadFile(f)
		queries[filepath.Base(f)] = string(src)
	}
	for _, c := range hqltest.Cases {
		queries[c.Name] = c.HQL
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			stmt, err := hql.Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := hql.Plan(stmt, cat, hqltest.Params)
			if err != nil {
				t.Fatal(err)
			}
			sqlText, args, err := duckdb.Emit(plan, source)
			if err != nil {
				t.Fatal(err)
			}
			duck := sortedRender(query(t, db, sqlText, args))
			chRows, chSQL := hqltest.RunChDB(t, ch, plan)
			if got := sortedRender(chRows); got != duck {
				t.Errorf("%s\nDuckDB: %s\n%s\nClickHouse: %s\n%s", q, sqlText, duck, chSQL, got)
			}
		})
	}
}
