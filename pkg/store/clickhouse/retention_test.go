package clickhouse

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/rollup"
)

// countingConn counts the ALTER statements that reach the engine.
type countingConn struct {
	sqlConn
	alters atomic.Int64
}

func (c *countingConn) Exec(ctx context.Context, query string, args ...any) error {
	if strings.HasPrefix(query, "ALTER TABLE") {
		c.alters.Add(1)
	}
	return c.sqlConn.Exec(ctx, query, args...)
}

func TestApplyRetentionPolicies(t *testing.T) {
	_, conn := newEngine(t)
	o := testOptions()
	ctx := context.Background()
	if _, err := Migrate(ctx, conn, o); err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{sqlConn: conn}
	// The tables were created with the defaults: nothing to alter.
	if err := applyPolicies(ctx, cc, o, retention.Defaults()); err != nil {
		t.Fatal(err)
	}
	if n := cc.alters.Load(); n != 0 {
		t.Errorf("%d ALTERs for unchanged policies, want 0", n)
	}
	p := retention.Defaults()
	for name, days := range map[string]int{"logs": 7, "traces": 45, "metrics": 180} {
		var err error
		if p, err = p.Set(name, days); err != nil {
			t.Fatal(err)
		}
	}
	if err := applyPolicies(ctx, cc, o, p); err != nil {
		t.Fatal(err)
	}
	// The tiers have policies of their own, unchanged here.
	rawTables := 0
	for _, tt := range ttlTables {
		if _, tier := rollup.LookupTier(tt.signal); !tier {
			rawTables++
		}
	}
	if n := cc.alters.Load(); n != int64(rawTables) {
		t.Errorf("%d ALTERs, want one per raw table (%d)", n, rawTables)
	}
	for table, want := range map[string]string{
		"otel_logs":                          "TTL toDateTime(Timestamp) + toIntervalDay(7)",
		"otel_traces":                        "TTL toDateTime(Timestamp) + toIntervalDay(45)",
		"otel_traces_trace_id_ts":            "TTL toDateTime(Start) + toIntervalDay(45)",
		"otel_metrics_gauge":                 "TTL toDateTime(TimeUnix) + toIntervalDay(180)",
		"otel_metrics_sum":                   "TTL toDateTime(TimeUnix) + toIntervalDay(180)",
		"otel_metrics_histogram":             "TTL toDateTime(TimeUnix) + toIntervalDay(180)",
		"otel_metrics_exponential_histogram": "TTL toDateTime(TimeUnix) + toIntervalDay(180)",
		"otel_metrics_summary":               "TTL toDateTime(TimeUnix) + toIntervalDay(180)",
	} {
		out, err := conn.e.Query("SHOW CREATE TABLE "+QuoteIdent(o.Database)+"."+QuoteIdent(table), "TSVRaw")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("SHOW CREATE TABLE %s lacks %q:\n%s", table, want, out)
		}
	}
	// Applying the same policies again (a restart) alters nothing.
	if err := applyPolicies(ctx, cc, o, p); err != nil {
		t.Fatal(err)
	}
	if n := cc.alters.Load(); n != int64(rawTables) {
		t.Errorf("re-applying altered again: %d ALTERs in total", n)
	}
	// One policy changed: only its tables are altered.
	p, _ = p.Set("logs", 60)
	if err := applyPolicies(ctx, cc, o, p); err != nil {
		t.Fatal(err)
	}
	if n := cc.alters.Load(); n != int64(rawTables)+1 {
		t.Errorf("changing logs only: %d ALTERs in total, want %d", n, rawTables+1)
	}
	if got, _ := tableTTL(ctx, conn, o, "otel_logs"); got != "TTL toDateTime(Timestamp) + toIntervalDay(60)" {
		t.Errorf("otel_logs TTL %q", got)
	}
}

func TestDataAgeChDB(t *testing.T) {
	e, _ := newEngine(t)
	s := openChDBStore(t, e, "heimsight_age")
	defer s.Close()
	ctx := context.Background()
	ages, err := s.DataAge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ages) != len(ttlTables) {
		t.Fatalf("%d tables, want %d", len(ages), len(ttlTables))
	}
	for _, a := range ages {
		if a.Rows != 0 || !a.Oldest.IsZero() {
			t.Errorf("empty store: %+v", a)
		}
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 123456789, time.UTC)
	// Within every default TTL: ClickHouse drops expired rows as soon as it merges.
	old := now.Add(-20 * 24 * time.Hour)
	res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "age")}}
	b := &model.Batch{}
	for _, ts := range []time.Time{old, now.Add(-time.Hour), now} {
		b.Logs = append(b.Logs, model.LogRecord{Timestamp: ts.UnixNano(), Body: model.StringValue("x"), Resource: res})
	}
	b.Spans = append(b.Spans, model.Span{TraceID: model.TraceID{1}, SpanID: model.SpanID{1}, Name: "op",
		StartTimestamp: now.UnixNano(), EndTimestamp: now.UnixNano() + 1000, Resource: res})
	b.Metrics = append(b.Metrics, model.MetricPoint{Name: "m", Type: model.MetricGauge, Timestamp: old.UnixNano(), Value: 1, Resource: res},
		model.MetricPoint{Name: "m", Type: model.MetricGauge, Timestamp: now.UnixNano(), Value: 2, Resource: res})
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	ages, err = s.DataAge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]retention.TableAge{}
	for _, a := range ages {
		by[a.Table] = a
	}
	if a := by["otel_logs"]; a.DataType != "logs" || a.Rows != 3 || a.Bytes == 0 || !a.Oldest.Equal(old) || !a.Newest.Equal(now) {
		t.Errorf("otel_logs: %+v", a)
	}
	if a := by["otel_metrics_gauge"]; a.DataType != "metrics" || a.Rows != 2 || !a.Oldest.Equal(old) {
		t.Errorf("otel_metrics_gauge: %+v", a)
	}
	if a := by["otel_traces"]; a.DataType != "traces" || a.Rows != 1 {
		t.Errorf("otel_traces: %+v", a)
	}
	if a := by["otel_traces_trace_id_ts"]; a.Rows != 0 {
		t.Errorf("the trace-id lookup table counts rows: %+v", a)
	}
	// Fifteen days later the logs are past their 30 days, the metrics not past their 90.
	st := retention.Summarize(retention.Defaults(), ages, now.Add(15*24*time.Hour), 26*time.Hour)
	// The raw data types come first, then the tiers (rolled up from the same rows).
	if len(st) != 3+len(rollup.Tiers) || !st[0].Expired || st[1].Expired || st[2].Rows != 1 || st[1].Rows != 2 {
		t.Errorf("summary: %+v", st)
	}
}
