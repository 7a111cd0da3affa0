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

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
)

// t0 is 2024-01-01T00:00:00Z in ns.
const t0 = int64(1704067200) * 1e9

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

func ts(ns int64) string {
	return fmt.Sprintf("make_timestamp_ns(%d)", ns)
}

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
	logRow := func(off int64, sevNum int, sevText, svc, body, attrs string) string {
		return fmt.Sprintf(`INSERT INTO logs VALUES (%s, %s, '', '', 0, '%s', %d, '%s', '%s', %s, MAP{'service.name': '%s'}, '', 'scope', '1', MAP{}, '', '')`,
			ts(t0+off), ts(t0+off), sevText, sevNum, svc, strings.ReplaceAll(body, "'", "''"), attrs, svc)
	}
	stmts = append(stmts,
		logRow(500_000_123, 9, "INFO", "checkout", "request done", `MAP{'http.method': 'GET', 'http.status_code': '200'}`),
		logRow(30e9, 17, "ERROR", "checkout", "Connection TIMEOUT to db", `MAP{'http.method': 'POST', 'http.status_code': '500'}`),
		logRow(61e9, 13, "WARN", "cart", "slow request", `MAP{}`),
		logRow(125e9, 0, "Notice", "cart", "user said 'hi' 100% done", `MAP{'http.method': 'GET'}`),
		logRow(3600e9, 21, "FATAL", "cart", "fatal crash: timeout", `MAP{}`),
	)
	spanRow := func(off, dur int64, name, svc, status string) string {
		return fmt.Sprintf(`INSERT INTO spans VALUES (%s, %s, %d, 'trace%d', 'span%d', '', '', 0, '%s', 'Server', '%s', '%s', '', MAP{'k': 'v'}, MAP{}, '', '',
			[{'timestamp': %s, 'name': 'ev', 'attributes': MAP{}}], [])`,
			ts(t0+off), ts(t0+off+dur), dur, off%2, off, name, svc, status, ts(t0+off))
	}
	stmts = append(stmts,
		spanRow(1e9, 100, "GET /a", "api", "Ok"),
		spanRow(2e9, 200, "GET /a", "api", "Error"),
		spanRow(3e9, 300, "GET /a", "api", "Ok"),
		spanRow(4e9, 400, "GET /a", "api", "Unset"),
		spanRow(5e9, 1000, "POST /b", "api", "Ok"),
	)
	stmts = append(stmts,
		fmt.Sprintf(`INSERT INTO metrics (timestamp, start_timestamp, name, type, service, attributes, resource, value, temporality, is_monotonic)
			VALUES (%s, %s, 'requests', 'sum', 'api', MAP{'route': '/a'}, MAP{}, 10, 'Cumulative', true),
			       (%s, %s, 'requests', 'sum', 'api', MAP{'route': '/a'}, MAP{}, 70, 'Cumulative', true),
			       (%s, %s, 'requests', 'sum', 'api', MAP{'route': '/a'}, MAP{}, 130, 'Cumulative', true)`,
			ts(t0), ts(t0), ts(t0+30e9), ts(t0), ts(t0+60e9), ts(t0)),
		fmt.Sprintf(`INSERT INTO metrics (timestamp, name, type, service, attributes, resource, count, sum, min, max, bucket_counts, explicit_bounds,
			quantiles, exemplars) VALUES (%s, 'latency', 'histogram', 'api', MAP{}, MAP{}, 6, 21.5, 0.5, 9, [1, 2, 3], [1.0, 5.0],
			[{'quantile': 0.5, 'value': 2.0}], [{'timestamp': %s, 'value': 1.5, 'trace_id': 't', 'span_id': 's', 'filtered_attributes': MAP{}}])`,
			ts(t0), ts(t0)),
		fmt.Sprintf(`INSERT INTO spans_1day_stats VALUES (%s, 'api', 'GET /a', 4, 1, 0.25, 250, 250, 385, 397000000),
			(%s, 'api', 'POST /b', 1, 0, 0, 1000, 1000, 1000, 1000000000), (%s, 'api', 'POST /b', 1, 0, 0, 1000, 1000, 1000, 3000000000)`,
			ts(t0), ts(t0+86400e9), ts(t0+2*86400e9)),
		fmt.Sprintf(`INSERT INTO metrics_1hour VALUES (%s, 'cpu_usage', 'api', MAP{}, 'gauge', 60, 30, 0.1, 0.9, 0.5, NULL, NULL)`, ts(t0)),
		fmt.Sprintf(`INSERT INTO logs_1day_counts VALUES (%s, 'error', 'api', 'Error at <TIMESTAMP>', 7), (%s, 'info', 'api', 'ok', 9)`, ts(t0), ts(t0)),
	)
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

func format(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		return fmt.Sprintf("%g", x)
	case []byte:
		return string(x)
	case map[any]any:
		keys := make([]string, 0, len(x))
		for k, v := range x {
			keys = append(keys, fmt.Sprintf("%v=%v", k, v))
		}
		sort.Strings(keys)
		return "{" + strings.Join(keys, ",") + "}"
	}
	return fmt.Sprint(v)
}

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
			row[i] = format(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sqlText, err)
	}
	return out
}

func render(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, " | "))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestExecute(t *testing.T) {
	db := openDB(t)
	cat := hql.DefaultCatalog()
	if err := cat.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	params := hql.Params{From: t0 + 30e9, To: t0 + 125e9, Interval: time.Minute, Now: t0 + 3600e9 + 1}
	cases := []struct {
		name, hql, want string
	}{
		{"level", "SELECT level, count(*) AS n FROM logs GROUP BY level ORDER BY level",
			"error | 1\nfatal | 1\ninfo | 1\nnotice | 1\nwarn | 1\n"},
		{"bucket", "SELECT bucket(timestamp, '1m') AS t, count(*) AS n FROM logs GROUP BY t ORDER BY t",
			"2024-01-01T00:00:00Z | 2\n2024-01-01T00:01:00Z | 1\n2024-01-01T00:02:00Z | 1\n2024-01-01T01:00:00Z | 1\n"},
		{"bucket group by expression", "SELECT bucket(timestamp, 1m), level, count(*) FROM logs WHERE service = 'checkout' GROUP BY bucket(timestamp, 1m), level ORDER BY 1, 2",
			"2024-01-01T00:00:00Z | error | 1\n2024-01-01T00:00:00Z | info | 1\n"},
		{"timeGroup", "SELECT $__timeGroup(timestamp, $__interval) AS t, count(*) FROM logs WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY t",
			"2024-01-01T00:00:00Z | 1\n2024-01-01T00:01:00Z | 1\n2024-01-01T00:02:00Z | 1\n"},
		{"nanoseconds", "SELECT timestamp, timestamp + 1ns AS next FROM logs WHERE timestamp = '2024-01-01T00:00:00.500000123Z'",
			"2024-01-01T00:00:00.500000123Z | 2024-01-01T00:00:00.500000124Z\n"},
		{"missing key is NULL", "SELECT attributes['http.method'] AS m FROM logs ORDER BY timestamp",
			"GET\nPOST\nNULL\nGET\nNULL\n"},
		{"is null", "SELECT count(*) FROM logs WHERE attributes['http.method'] IS NULL", "2\n"},
		{"contains", "SELECT count(*) FROM logs WHERE body CONTAINS 'TimeOut'", "2\n"},
		{"not contains", "SELECT count(*) FROM logs WHERE body NOT CONTAINS 'timeout'", "3\n"},
		{"like escape", `SELECT service FROM logs WHERE body LIKE '%100\% done'`, "cart\n"},
		{"ilike", "SELECT count(*) FROM logs WHERE body ILIKE '%TIMEOUT%'", "2\n"},
		{"regexp", "SELECT body FROM logs WHERE body =~ '^slow' OR body =~ 'said .hi.'", "slow request\nuser said 'hi' 100% done\n"},
		{"quote in literal", "SELECT count(*) FROM logs WHERE body = 'user said ''hi'' 100% done'", "1\n"},
		{"hostile literal", "SELECT count(*) FROM logs WHERE body = 'x''; DROP TABLE logs; --' OR service = '\\' OR service = '\"'", "0\n"},
		{"in between", "SELECT severity_number FROM logs WHERE severity_number IN (9, 13, 21) AND severity_number NOT BETWEEN 20 AND 30 ORDER BY 1", "9\n13\n"},
		{"to_int", "SELECT count(*) FROM logs WHERE to_int(attributes['http.status_code']) >= 500", "1\n"},
		{"time filter", "SELECT count(*) FROM logs WHERE $__timeFilter(timestamp)", "3\n"},
		{"now", "SELECT count(*) FROM logs WHERE timestamp > now() - 1s", "1\n"},
		{"case", "SELECT CASE service WHEN 'cart' THEN 1 ELSE 0 END AS c, count(*) FROM logs GROUP BY c ORDER BY c", "0 | 2\n1 | 3\n"},
		{"having alias", "SELECT service, count(*) AS n FROM logs GROUP BY service HAVING n > 2", "cart | 3\n"},
		{"distinct", "SELECT DISTINCT service FROM logs ORDER BY service", "cart\ncheckout\n"},
		{"count distinct", "SELECT count(DISTINCT service), count(attributes['http.method']) FROM logs", "2 | 3\n"},
		{"limit offset", "SELECT severity_number FROM logs ORDER BY severity_number DESC LIMIT 2 OFFSET 1", "17\n13\n"},
		{"quantiles", "SELECT p50(duration_ns), quantile(0.25, duration_ns), median(duration_ns), max(duration_ns) FROM spans WHERE name = 'GET /a'",
			"250 | 175 | 250 | 400\n"},
		{"sum int stays int", "SELECT sum(duration_ns), avg(duration_ns), count_if(status_code = 'Error') FROM spans", "2000 | 400 | 1\n"},
		{"empty aggregate", "SELECT count(*), sum(duration_ns), avg(duration_ns), min(name), p95(duration_ns) FROM spans WHERE name = 'nope'", "0 | NULL | NULL | NULL | NULL\n"},
		{"division", "SELECT 7 / 2, 1 / 0, 7 % 0, duration_ns / 100 FROM spans WHERE duration_ns = 100", "3.5 | NULL | NULL | 1\n"},
		{"round halves to even", "SELECT round(2.5), round(3.5), round(1.2345, 2), abs(-3), floor(2.7), ceil(2.1) FROM spans LIMIT 1", "2 | 4 | 1.23 | 3 | 2 | 3\n"},
		{"strings", "SELECT lower(name), upper(service), length(name), substring(name, 1, 3), replace(name, '/', '_'), starts_with(name, 'GET'), name || '!' FROM spans WHERE duration_ns = 100",
			"get /a | API | 6 | GET | GET _a | true | GET /a!\n"},
		{"coalesce if", "SELECT coalesce(attributes['nope'], attributes['k'], 'x'), if(duration_ns > 150, 'slow', 'fast'), nullif(service, 'api') FROM spans WHERE duration_ns = 100",
			"v | fast | NULL\n"},
		{"duration arithmetic", "SELECT end_timestamp - timestamp AS d, to_unix_nano(timestamp) - 1704067200000000000 AS off FROM spans WHERE duration_ns = 300", "300 | 3000000000\n"},
		{"rate", "SELECT rate(value) FROM metrics WHERE name = 'requests'", "2\n"},
		{"list and struct columns", "SELECT bucket_counts, explicit_bounds, count FROM metrics WHERE type = 'histogram'", "[1 2 3] | [1 5] | 6\n"},
		{"group by attribute", "SELECT attributes['http.method'] AS m, count(*) FROM logs GROUP BY attributes['http.method'] ORDER BY m",
			"GET | 2\nPOST | 1\nNULL | 2\n"},
		{"group by expression with literals", "SELECT service || '/' || coalesce(attributes['http.method'], '-') AS k, count(*) FROM logs GROUP BY k ORDER BY k",
			"cart/- | 2\ncart/GET | 1\ncheckout/GET | 1\ncheckout/POST | 1\n"},
		{"alias shadows column", "SELECT upper(service) AS service, count(*) AS count FROM logs WHERE service = 'cart' GROUP BY upper(service)",
			"CART | 3\n"},
		{"order by non-selected expression", "SELECT body FROM logs WHERE severity_number > 10 ORDER BY length(body) DESC, body LIMIT 2",
			"Connection TIMEOUT to db\nfatal crash: timeout\n"},
		{"offset without limit", "SELECT severity_number FROM logs ORDER BY 1 OFFSET 3", "17\n21\n"},
		{"tier example 1", "SELECT timestamp, avg FROM metrics_1hour WHERE name = 'cpu_usage' LIMIT 100", "2024-01-01T00:00:00Z | 0.5\n"},
		{"tier example 2", "SELECT * FROM logs_1day_counts WHERE level = 'error' LIMIT 30", "2024-01-01T00:00:00Z | error | api | Error at <TIMESTAMP> | 7\n"},
		{"tier example 3", "SELECT timestamp, service, operation, p95_duration_ns / 1000000 as p95_ms FROM spans_1hour_stats LIMIT 100", ""},
		{"tier example 4", "SELECT service, operation, avg(p99_duration_ns) / 1000000 as p99_ms FROM spans_1day_stats GROUP BY service, operation ORDER BY p99_ms DESC LIMIT 10",
			"api | POST /b | 2000\napi | GET /a | 397\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stmt, err := hql.Parse(c.hql)
			if err != nil {
				t.Fatal(err)
			}
			p, err := hql.Plan(stmt, cat, params)
			if err != nil {
				t.Fatal(err)
			}
			sqlText, args, err := duckdb.Emit(p, source)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(query(t, db, sqlText, args)); got != c.want {
				t.Errorf("%s\nSQL: %s %v\ngot:\n%swant:\n%s", c.hql, sqlText, args, got, c.want)
			}
			// The inlined rendering must return the same rows.
			inl, err := duckdb.EmitInline(p, source)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(query(t, db, inl, nil)); got != c.want {
				t.Errorf("inline: %s\nSQL: %s\ngot:\n%swant:\n%s", c.hql, inl, got, c.want)
			}
		})
	}
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
			bound := render(query(t, db, sqlText, args))
			inl, err := duckdb.EmitInline(plan, source)
			if err != nil {
				t.Fatal(err)
			}
			if inlined := render(query(t, db, inl, nil)); inlined != bound {
				t.Errorf("bound and inlined results differ:\n%s\n%s", bound, inlined)
			}
		})
	}
}
