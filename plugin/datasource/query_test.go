package datasource

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/heimsight/heimsight/pkg/hql"
)

// planParams is a time range and interval like a dashboard's.
var planParams = hql.Params{
	From:     time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC).UnixNano(),
	To:       time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC).UnixNano(),
	Interval: time.Minute,
}

// mustPlan checks that text parses and plans against the ingestor's catalog: every builder
// query must be valid HQL the server accepts.
func mustPlan(t *testing.T, text string) *hql.QueryPlan {
	t.Helper()
	sel, err := hql.Parse(text)
	if err != nil {
		t.Fatalf("cannot parse %q: %v", text, err)
	}
	plan, err := hql.Plan(sel, hql.DefaultCatalog(), planParams)
	if err != nil {
		t.Fatalf("cannot plan %q: %v", text, err)
	}
	return plan
}

func model(t *testing.T, js string) *QueryModel {
	t.Helper()
	var m QueryModel
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func TestBuildQueries(t *testing.T) {
	cases := []struct {
		name, model, want string
		format            string
	}{
		{"hql", `{"queryType":"hql","hql":"SELECT service, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY service"}`,
			`SELECT service, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY service`, FormatTable},
		{"hql with variables and adhoc", `{"queryType":"hql","format":"table","hql":"SELECT body FROM logs WHERE service IN ($svc) AND level = ${lvl}","variables":{"svc":["a","b"],"lvl":["error"]},"adhocFilters":[{"key":"attributes.http.method","operator":"=","value":"GET"}]}`,
			`SELECT body FROM logs WHERE service IN ('a', 'b') AND level = 'error' AND attributes['http.method'] = 'GET'`, FormatTable},
		{"logs", `{"queryType":"logs","service":"checkout","severity":["error","WARNING"],"search":"timeout","filters":[{"key":"attributes['user.id']","operator":"!=","value":"42"}],"limit":50}`,
			`SELECT timestamp, severity_text, severity_number, body, level, trace_id, span_id, service, attributes, resource, scope_name, scope_attributes FROM logs WHERE $__timeFilter(timestamp) AND service = 'checkout' AND attributes['user.id'] != '42' AND level IN ('error', 'warn') AND body CONTAINS 'timeout' ORDER BY timestamp DESC LIMIT 50`, FormatLogs},
		{"traces", `{"queryType":"traces","service":"api","operation":"GET /","minDuration":"100ms","maxDuration":"2s","status":"error"}`,
			`SELECT timestamp, trace_id, span_id, parent_span_id, service, name, kind, duration_ns, status_code FROM spans WHERE $__timeFilter(timestamp) AND service = 'api' AND name = 'GET /' AND duration_ns >= 100000000 AND duration_ns <= 2000000000 AND status_code = 'Error' ORDER BY timestamp DESC LIMIT 500`, FormatTable},
		{"traceId", `{"queryType":"traceId","traceId":"0123456789ABCDEF0123456789abcdef"}`,
			`SELECT trace_id, span_id, parent_span_id, trace_state, name, kind, service, timestamp, duration_ns, status_code, status_message, attributes, resource, scope_name, scope_version, events, links FROM spans WHERE trace_id = '0123456789abcdef0123456789abcdef' ORDER BY timestamp LIMIT 20000`, FormatTrace},
		{"metrics", `{"queryType":"metrics","metric":"http.server.duration","aggregation":"max","groupBy":["service","attributes.http.route"],"filters":[{"key":"value","operator":">","value":"0.5"}]}`,
			`SELECT $__timeGroup(timestamp, $__interval) AS time, service, attributes['http.route'] AS "http.route", max(value) AS "http.server.duration" FROM metrics WHERE $__timeFilter(timestamp) AND name = 'http.server.duration' AND type IN ('gauge', 'sum') AND value > 0.5 GROUP BY $__timeGroup(timestamp, $__interval), service, attributes['http.route'] ORDER BY time`, FormatTimeSeries},
		{"logsVolume", `{"queryType":"logsVolume","service":"checkout"}`,
			`SELECT $__timeGroup(timestamp, $__interval) AS time, level, count(*) AS count FROM logs WHERE $__timeFilter(timestamp) AND service = 'checkout' GROUP BY $__timeGroup(timestamp, $__interval), level ORDER BY time`, FormatTimeSeries},
		{"logContext", `{"queryType":"logContext","service":"checkout","contextTimestamp":"1767322800000000000","contextDirection":"forward","limit":5}`,
			`SELECT timestamp, severity_text, severity_number, body, level, trace_id, span_id, service, attributes, resource, scope_name, scope_attributes FROM logs WHERE $__timeFilter(timestamp) AND service = 'checkout' ORDER BY timestamp LIMIT 5`, FormatLogs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := model(t, c.model).build()
			if err != nil {
				t.Fatal(err)
			}
			if b.Text != c.want {
				t.Errorf("query\n got: %s\nwant: %s", b.Text, c.want)
			}
			if b.Format != c.format {
				t.Errorf("format %q, want %q", b.Format, c.format)
			}
			mustPlan(t, b.Text)
		})
	}
}

func TestQueryInterval(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		q    backend.DataQuery
		want time.Duration
	}{
		{backend.DataQuery{Interval: 20 * time.Second}, 20 * time.Second},
		{backend.DataQuery{TimeRange: backend.TimeRange{From: now.Add(-time.Hour), To: now}}, 5 * time.Second},
		{backend.DataQuery{MaxDataPoints: 100, TimeRange: backend.TimeRange{From: now.Add(-24 * time.Hour), To: now}}, 15 * time.Minute},
		{backend.DataQuery{TimeRange: backend.TimeRange{From: now.Add(-time.Second), To: now}}, time.Second},
		{backend.DataQuery{MaxDataPoints: 10, TimeRange: backend.TimeRange{From: now.Add(-1000 * 24 * time.Hour), To: now}}, 2400 * time.Hour},
	} {
		if got := queryInterval(c.q); got != c.want {
			t.Errorf("interval %v range %v points %d: %v, want %v", c.q.Interval, c.q.TimeRange.Duration(), c.q.MaxDataPoints, got, c.want)
		}
	}
}
