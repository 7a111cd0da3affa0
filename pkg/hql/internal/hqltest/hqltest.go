// Package hqltest holds the execution test corpus shared by the dialect packages: known rows
// for the logical tables, HQL queries with their expected results, and a canonical text
// rendering of result rows, so the same HQL must return the same rows on DuckDB and on
// ClickHouse (chDB). It is test support: it imports no database package.
package hqltest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
)

// T0 is 2024-01-01T00:00:00Z in Unix ns; fixture times are offsets from it.
const T0 = int64(1704067200) * 1e9

// Params are the planning parameters of every case.
var Params = hql.Params{From: T0 + 30e9, To: T0 + 125e9, Interval: time.Minute, Now: T0 + 3600e9 + 1}

// TS is a timestamp value in a fixture row.
type TS int64

// Row is one fixture row: column name → value (string, int64, float64, bool, TS,
// map[string]string, []int64, []float64, or nil). Columns left out take the engine's default
// (empty string, 0, empty map or list).
type Row map[string]any

// Fixture returns the rows of every table the cases read.
func Fixture() map[string][]Row {
	logs := func(off int64, sev int64, sevText, svc, body string, attrs map[string]string) Row {
		return Row{"timestamp": TS(T0 + off), "observed_timestamp": TS(T0 + off), "severity_number": sev,
			"severity_text": sevText, "service": svc, "body": body, "attributes": attrs,
			"resource": map[string]string{"service.name": svc}, "scope_name": "scope", "scope_version": "1"}
	}
	spans := func(off, dur int64, name, svc, status string) Row {
		return Row{"timestamp": TS(T0 + off), "end_timestamp": TS(T0 + off + dur), "duration_ns": dur,
			"trace_id": fmt.Sprintf("trace%d", off%2), "span_id": fmt.Sprintf("span%d", off), "name": name,
			"kind": "Server", "service": svc, "status_code": status, "attributes": map[string]string{"k": "v"}}
	}
	sum := func(off int64, v float64) Row {
		return Row{"timestamp": TS(T0 + off), "start_timestamp": TS(T0), "name": "requests", "type": "sum", "service": "api",
			"attributes": map[string]string{"route": "/a"}, "value": v, "temporality": "Cumulative", "is_monotonic": true,
			"count": nil, "sum": nil, "min": nil, "max": nil}
	}
	stats := func(off int64, op string, n, errs int64, rate, avg, p50, p95, p99 float64) Row {
		return Row{"timestamp": TS(T0 + off), "service": "api", "operation": op, "span_count": n, "error_count": errs,
			"error_rate": rate, "avg_duration_ns": avg, "p50_duration_ns": p50, "p95_duration_ns": p95, "p99_duration_ns": p99}
	}
	return map[string][]Row{
		"logs": {
			logs(500_000_123, 9, "INFO", "checkout", "request done", map[string]string{"http.method": "GET", "http.status_code": "200"}),
			logs(30e9, 17, "ERROR", "checkout", "Connection TIMEOUT to db", map[string]string{"http.method": "POST", "http.status_code": "500"}),
			logs(61e9, 13, "WARN", "cart", "slow request", map[string]string{}),
			logs(125e9, 0, "Notice", "cart", "user said 'hi' 100% done", map[string]string{"http.method": "GET"}),
			logs(3600e9, 21, "FATAL", "cart", "fatal crash: timeout", map[string]string{}),
		},
		"spans": {
			spans(1e9, 100, "GET /a", "api", "Ok"),
			spans(2e9, 200, "GET /a", "api", "Error"),
			spans(3e9, 300, "GET /a", "api", "Ok"),
			spans(4e9, 400, "GET /a", "api", "Unset"),
			spans(5e9, 1000, "POST /b", "api", "Ok"),
		},
		"metrics": {
			sum(0, 10), sum(30e9, 70), sum(60e9, 130),
			{"timestamp": TS(T0), "start_timestamp": TS(0), "name": "latency", "type": "histogram", "service": "api",
				"attributes": map[string]string{}, "value": nil, "count": int64(6), "sum": 21.5, "min": 0.5, "max": 9.0,
				"bucket_counts": []int64{1, 2, 3}, "explicit_bounds": []float64{1, 5}},
		},
		"spans_1day_stats": {
			stats(0, "GET /a", 4, 1, 0.25, 250, 250, 385, 397000000),
			stats(86400e9, "POST /b", 1, 0, 0, 1000, 1000, 1000, 1000000000),
			stats(2*86400e9, "POST /b", 1, 0, 0, 1000, 1000, 1000, 3000000000),
		},
		"metrics_1hour": {
			{"timestamp": TS(T0), "name": "cpu_usage", "service": "api", "attributes": map[string]string{}, "type": "gauge",
				"count": int64(60), "sum": 30.0, "min": 0.1, "max": 0.9, "avg": 0.5},
		},
		"logs_1day_counts": {
			{"timestamp": TS(T0), "level": "error", "service": "api", "pattern": "Error at <TIMESTAMP>", "count": int64(7)},
			{"timestamp": TS(T0), "level": "info", "service": "api", "pattern": "ok", "count": int64(9)},
		},
	}
}

// Rows returns the fixture rows of table with every catalog column present: columns a row
// leaves out get the value a store holds for an absent field (empty string, 0, epoch, empty map
// or list), except on metrics, where fields that do not apply are NULL. Both engines thus hold
// identical rows.
func Rows(table string) []Row {
	t, ok := hql.DefaultCatalog().Table(table)
	if !ok {
		return nil
	}
	var out []Row
	for _, r := range Fixture()[table] {
		full := Row{}
		for _, c := range t.Columns {
			if c.Derived != nil {
				continue
			}
			if v, ok := r[c.Name]; ok {
				full[c.Name] = v
				continue
			}
			full[c.Name] = zero(table, c)
		}
		out = append(out, full)
	}
	return out
}

func zero(table string, c *hql.Column) any {
	switch c.Type {
	case hql.TypeMap:
		return map[string]string{}
	case hql.TypeList:
		switch c.Elem {
		case "list<int64>":
			return []int64{}
		case "list<float64>":
			return []float64{}
		}
		return EmptyList{}
	}
	if table == "metrics" {
		return nil
	}
	switch c.Type {
	case hql.TypeTimestamp:
		return TS(0)
	case hql.TypeString:
		return ""
	case hql.TypeInt:
		return int64(0)
	case hql.TypeFloat:
		return float64(0)
	case hql.TypeBool:
		return false
	}
	return nil
}

// EmptyList is an empty list of structs.
type EmptyList struct{}

// Case is one query with its expected rows, rendered by Render.
type Case struct {
	Name, HQL, Want string
}

// Cases is the shared corpus.
var Cases = []Case{
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
	{"regexp", "SELECT body FROM logs WHERE body =~ '^slow' OR body =~ 'said .hi.' ORDER BY body", "slow request\nuser said 'hi' 100% done\n"},
	{"quote in literal", "SELECT count(*) FROM logs WHERE body = 'user said ''hi'' 100% done'", "1\n"},
	{"hostile literal", "SELECT count(*) FROM logs WHERE body = 'x''; DROP TABLE logs; --' OR service = '\\' OR service = '\"' OR service = '?'", "0\n"},
	{"in between", "SELECT severity_number FROM logs WHERE severity_number IN (9, 13, 21) AND severity_number NOT BETWEEN 20 AND 30 ORDER BY 1", "9\n13\n"},
	{"to_int", "SELECT count(*) FROM logs WHERE to_int(attributes['http.status_code']) >= 500", "1\n"},
	{"time filter", "SELECT count(*) FROM logs WHERE $__timeFilter(timestamp)", "3\n"},
	{"now", "SELECT count(*) FROM logs WHERE timestamp > now() - 1s", "1\n"},
	{"case", "SELECT CASE service WHEN 'cart' THEN 1 ELSE 0 END AS c, count(*) FROM logs GROUP BY c ORDER BY c", "0 | 2\n1 | 3\n"},
	{"having alias", "SELECT service, count(*) AS n FROM logs GROUP BY service HAVING n > 2", "cart | 3\n"},
	{"distinct", "SELECT DISTINCT service FROM logs ORDER BY service", "cart\ncheckout\n"},
	{"count distinct", "SELECT count(DISTINCT service), count(attributes['http.method']) FROM logs", "2 | 3\n"},
	{"limit offset", "SELECT severity_number FROM logs ORDER BY severity_number DESC LIMIT 2 OFFSET 1", "17\n13\n"},
	{"offset without limit", "SELECT severity_number FROM logs ORDER BY 1 OFFSET 3", "17\n21\n"},
	{"group by attribute", "SELECT attributes['http.method'] AS m, count(*) FROM logs GROUP BY attributes['http.method'] ORDER BY m",
		"GET | 2\nPOST | 1\nNULL | 2\n"},
	{"group by expression with literals", "SELECT service || '/' || coalesce(attributes['http.method'], '-') AS k, count(*) FROM logs GROUP BY k ORDER BY k",
		"cart/- | 2\ncart/GET | 1\ncheckout/GET | 1\ncheckout/POST | 1\n"},
	{"alias shadows column", "SELECT upper(service) AS service, count(*) AS count FROM logs WHERE service = 'cart' GROUP BY upper(service)",
		"CART | 3\n"},
	{"order by non-selected expression", "SELECT body FROM logs WHERE severity_number > 10 ORDER BY length(body) DESC, body LIMIT 2",
		"Connection TIMEOUT to db\nfatal crash: timeout\n"},
	{"quantiles", "SELECT p50(duration_ns), quantile(0.25, duration_ns), median(duration_ns), max(duration_ns), quantile(1, duration_ns), quantile(0, duration_ns) FROM spans WHERE name = 'GET /a'",
		"250 | 175 | 250 | 400 | 400 | 100\n"},
	{"sum int stays int", "SELECT sum(duration_ns), avg(duration_ns), count_if(status_code = 'Error') FROM spans", "2000 | 400 | 1\n"},
	{"empty aggregate", "SELECT count(*), sum(duration_ns), avg(duration_ns), min(name), p95(duration_ns) FROM spans WHERE name = 'nope'",
		"0 | NULL | NULL | NULL | NULL\n"},
	{"division", "SELECT 7 / 2, 1 / 0, 7 % 0, duration_ns / 100 FROM spans WHERE duration_ns = 100", "3.5 | NULL | NULL | 1\n"},
	{"round halves to even", "SELECT round(2.5), round(3.5), round(1.2345, 2), abs(-3), floor(2.7), ceil(2.1) FROM spans LIMIT 1", "2 | 4 | 1.23 | 3 | 2 | 3\n"},
	{"strings", "SELECT lower(name), upper(service), length(name), substring(name, 1, 3), replace(name, '/', '_'), starts_with(name, 'GET'), name || '!' FROM spans WHERE duration_ns = 100",
		"get /a | API | 6 | GET | GET _a | true | GET /a!\n"},
	{"coalesce if", "SELECT coalesce(attributes['nope'], attributes['k'], 'x'), if(duration_ns > 150, 'slow', 'fast'), nullif(service, 'api') FROM spans WHERE duration_ns = 100",
		"v | fast | NULL\n"},
	{"duration arithmetic", "SELECT end_timestamp - timestamp AS d, to_unix_nano(timestamp) - 1704067200000000000 AS off FROM spans WHERE duration_ns = 300", "300 | 3000000000\n"},
	{"rate", "SELECT rate(value) FROM metrics WHERE name = 'requests'", "2\n"},
	{"list columns", "SELECT bucket_counts, explicit_bounds, count FROM metrics WHERE type = 'histogram'", "[1 2 3] | [1 5] | 6\n"},
	{"nullable metric columns", "SELECT count(value), count(sum), sum(sum) FROM metrics", "3 | 1 | 21.5\n"},
	{"like wildcards", `SELECT count(*) FROM logs WHERE body LIKE 'slow_request' OR body LIKE 'fatal crash\_%'`, "1\n"},
	{"not in with null", "SELECT count(*) FROM logs WHERE severity_number NOT IN (9, 17)", "3\n"},
	{"regexp case-insensitive", "SELECT count(*) FROM logs WHERE body =~ '(?i)^CONNECTION' AND body !~ 'x{3}'", "1\n"},
	{"unicode strings", "SELECT lower('ÄÖÜ É'), upper('crème'), length('日本語'), substring('日本語', 2, 1), 'é' < 'z' FROM logs LIMIT 1",
		"äöü é | CRÈME | 3 | 本 | false\n"},
	{"contains empty", "SELECT count(*) FROM logs WHERE body CONTAINS ''", "5\n"},
	{"negative arithmetic", "SELECT -7 / 2, -7 % 2, -(3 - 5), abs(-2.5) FROM logs LIMIT 1", "-3.5 | -1 | 2 | 2.5\n"},
	{"five minute buckets", "SELECT $__timeGroup(timestamp, '5m') AS t, count(*) FROM logs GROUP BY t ORDER BY t", "2024-01-01T00:00:00Z | 4\n2024-01-01T01:00:00Z | 1\n"},
	{"timestamp comparisons", "SELECT count(*) FROM logs WHERE timestamp BETWEEN '2024-01-01T00:00:30Z' AND '2024-01-01 00:02:05' AND observed_timestamp >= timestamp", "3\n"},
	{"order by alias named like a column", "SELECT severity_text AS service FROM logs ORDER BY service LIMIT 3", "ERROR\nFATAL\nINFO\n"},
	{"distinct order by expression", "SELECT DISTINCT service || '!' AS s FROM logs ORDER BY service || '!' DESC", "checkout!\ncart!\n"},
	{"tier example 1", "SELECT timestamp, avg FROM metrics_1hour WHERE name = 'cpu_usage' LIMIT 100", "2024-01-01T00:00:00Z | 0.5\n"},
	{"tier example 2", "SELECT * FROM logs_1day_counts WHERE level = 'error' LIMIT 30", "2024-01-01T00:00:00Z | error | api | Error at <TIMESTAMP> | 7\n"},
	{"tier example 3", "SELECT timestamp, service, operation, p95_duration_ns / 1000000 as p95_ms FROM spans_1hour_stats LIMIT 100", ""},
	{"tier example 4", "SELECT service, operation, avg(p99_duration_ns) / 1000000 as p99_ms FROM spans_1day_stats GROUP BY service, operation ORDER BY p99_ms DESC LIMIT 10",
		"api | POST /b | 2000\napi | GET /a | 397\n"},
}

// Format renders one value canonically: timestamps RFC 3339 in UTC, floats to 15 significant
// digits (the backends may differ in the last bit of interpolated quantiles), NULL,
// lists as [a b], maps as {k=v,...} sorted.
func Format(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		return fmt.Sprintf("%.15g", x)
	case []byte:
		return string(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Format(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
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

// Render joins formatted rows as the cases' Want strings are written.
func Render(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, " | "))
		b.WriteByte('\n')
	}
	return b.String()
}
