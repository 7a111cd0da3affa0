//go:build duckdb_arrow && unix

package query_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/store"
)

// designTierQueries are the tier queries of the original design, verbatim.
var designTierQueries = []string{
	"SELECT timestamp, avg FROM metrics_1hour WHERE name = 'cpu_usage' LIMIT 100",
	"SELECT * FROM logs_1day_counts WHERE level = 'error' LIMIT 30",
	"SELECT timestamp, service, operation, p95_duration_ns / 1000000 as p95_ms FROM spans_1hour_stats LIMIT 100",
	"SELECT service, operation, avg(p99_duration_ns) / 1000000 as p99_ms FROM spans_1day_stats GROUP BY service, operation ORDER BY p99_ms DESC LIMIT 10",
}

// The engine enables the tiers the store builds; the design's queries run on the embedded
// store's rolled-up tiers.
func TestDesignTierQueriesEmbedded(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour)
	b := &model.Batch{}
	res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "checkout")}}
	for i := range 48 {
		ts := day.Add(time.Duration(i) * 30 * time.Minute).UnixNano()
		b.Logs = append(b.Logs, logRecord(ts, 17, "checkout", "payment 42 failed for 10.0.0.1"))
		b.Spans = append(b.Spans, model.Span{TraceID: model.TraceID{byte(i)}, SpanID: model.SpanID{1}, Name: "POST /pay",
			StartTimestamp: ts, EndTimestamp: ts + int64(i+1)*int64(time.Millisecond), StatusCode: model.StatusCode(i % 3), Resource: res, Scope: &model.Scope{}})
		b.Metrics = append(b.Metrics, model.MetricPoint{Name: "cpu_usage", Type: model.MetricGauge, Timestamp: ts, Value: float64(i), Resource: res, Scope: &model.Scope{}})
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rollup(ctx); err != nil {
		t.Fatal(err)
	}
	eng := &query.Engine{Store: s}
	for _, src := range designTierQueries {
		resp, err := eng.Run(ctx, src, hql.Params{})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if resp.Result.Rows == 0 {
			t.Errorf("%s: no rows", src)
		}
		t.Logf("%s:\n%s", src, rows(t, resp))
		resp.Release()
	}
}

// A store that builds no tiers still refuses tier queries as user errors.
func TestTierQueryRefusedWithoutTiers(t *testing.T) {
	eng := &query.Engine{Store: querierOnly{}}
	_, err := eng.Run(context.Background(), designTierQueries[0], hql.Params{})
	var qe *query.Error
	if !errors.As(err, &qe) || !errors.Is(err, store.ErrInvalidQuery) {
		t.Fatalf("got %v, want a query.Error", err)
	}
}

type querierOnly struct{}

func (querierOnly) Dialect() string { return "duckdb" }
func (querierOnly) Query(context.Context, *store.Query) (*store.Result, error) {
	return nil, errors.New("not reached")
}

// cellsOf renders a result for comparison: floats to 10 significant digits (a weighted mean of
// interval means differs from the mean of the rows in the last bits), timestamps in ns.
func cellsOf(r *query.Response) []string {
	var out []string
	for _, rec := range r.Result.Records {
		for i := 0; i < int(rec.NumRows()); i++ {
			var cells []string
			for _, col := range rec.Columns() {
				if col.IsNull(i) {
					cells = append(cells, "NULL")
					continue
				}
				switch c := col.(type) {
				case *array.Float64:
					cells = append(cells, strconv.FormatFloat(c.Value(i), 'g', 10, 64))
				case *array.Timestamp:
					unit := c.DataType().(*arrow.TimestampType).Unit
					cells = append(cells, strconv.FormatInt(int64(c.Value(i))*int64(unit.Multiplier()), 10))
				default:
					cells = append(cells, col.ValueStr(i))
				}
			}
			out = append(out, strings.Join(cells, " | "))
		}
	}
	return out
}

// Tier selection answers raw span queries from a tier only when the result is the same, says
// so in Response.Tier, and ForceRaw turns it off.
func TestTierSelection(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-72 * time.Hour)
	b := &model.Batch{}
	for i := range 600 {
		ts := day.Add(time.Duration(i) * 5 * time.Minute).Add(time.Duration(i%7) * time.Second).UnixNano()
		svc := []string{"checkout", "cart"}[i%2]
		res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", svc)}}
		b.Spans = append(b.Spans, model.Span{TraceID: model.TraceID{byte(i), byte(i >> 8)}, SpanID: model.SpanID{1}, Name: []string{"GET /a", "POST /b", "GET /c"}[i%3],
			StartTimestamp: ts, EndTimestamp: ts + int64(1+(i*7919)%997)*int64(time.Millisecond), StatusCode: model.StatusCode(i % 3), Resource: res, Scope: &model.Scope{}})
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rollup(ctx); err != nil {
		t.Fatal(err)
	}
	eng := &query.Engine{Store: s}
	aligned := hql.Params{From: day.UnixNano(), To: day.Add(48*time.Hour).UnixNano() - 1}
	for _, tc := range []struct {
		src  string
		p    hql.Params
		tier string
	}{
		{"SELECT $__timeGroup(timestamp, '1h') AS t, service, name, count(*) AS n, count_if(status_code = 'Error') AS errors, avg(duration_ns) AS mean, p95(duration_ns) AS p95 " +
			"FROM spans WHERE $__timeFilter(timestamp) GROUP BY t, service, name ORDER BY t, service, name", aligned, "spans_1hour_stats"},
		{"SELECT bucket(timestamp, 1d) AS d, service, count(*), avg(duration_ns) AS mean FROM spans WHERE $__timeFilter(timestamp) AND service = 'cart' GROUP BY d, service ORDER BY d",
			aligned, "spans_1day_stats"},
		{"SELECT $__timeGroup(timestamp, '6h') AS t, name, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) AND name IN ('GET /a', 'GET /c') GROUP BY t, name ORDER BY t, name",
			aligned, "spans_1hour_stats"},
		// A percentile over several tier rows is not a tier row's percentile.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, service, p95(duration_ns) AS p95 FROM spans WHERE $__timeFilter(timestamp) GROUP BY t, service ORDER BY t, service", aligned, ""},
		// A range that cuts an hour: raw rows up to the first whole hour, the tier after.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY t",
			hql.Params{From: aligned.From + int64(time.Minute), To: aligned.To}, "spans_1hour_stats"},
		// The same with Grafana's $__interval, a millisecond range, and newest first.
		{"SELECT $__timeGroup(timestamp, $__interval) AS t, service, count(*) AS n, avg(duration_ns) AS mean FROM spans WHERE $__timeFilter(timestamp) GROUP BY t, service ORDER BY t DESC, service",
			hql.Params{From: aligned.From + 1_234_000_000, To: aligned.To - 56_789_000_000, Interval: 2 * time.Hour}, "spans_1hour_stats"},
		// LIMIT applies to the whole result.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY 1 LIMIT 7",
			hql.Params{From: aligned.From + int64(time.Minute), To: aligned.To}, "spans_1hour_stats"},
		// '1h1d' is 25 hours, as the planner reads it: whole hours, not whole days.
		{"SELECT $__timeGroup(timestamp, '1h1d') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY t",
			aligned, "spans_1hour_stats"},
		// The LIMIT is reached in the newest raw part: the tier is not read, so not reported.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY t DESC LIMIT 1",
			hql.Params{From: aligned.From, To: aligned.To - int64(43*time.Minute)}, ""},
		// Not ordered by time first, or with an OFFSET: the parts would not simply follow each other.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, service, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t, service ORDER BY service, t",
			hql.Params{From: aligned.From + int64(time.Minute), To: aligned.To}, ""},
		{"SELECT $__timeGroup(timestamp, '1h') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY t LIMIT 5 OFFSET 3",
			hql.Params{From: aligned.From + int64(time.Minute), To: aligned.To}, ""},
		// Columns the tier does not have.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) AND kind != 'Server' GROUP BY t ORDER BY t", aligned, ""},
		// The range reaches into the open hour, which the tier does not hold yet: raw rows answer it.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY t",
			hql.Params{From: aligned.From, To: time.Now().Truncate(time.Hour).Add(time.Hour).UnixNano() - 1}, "spans_1hour_stats"},
		// Inclusive end on a boundary: the raw rows at that instant only, not its whole hour.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY t",
			hql.Params{From: aligned.From, To: aligned.To + 1}, "spans_1hour_stats"},
		// A 90 minute bucket is whole hours, but a range shorter than one bucket has none.
		{"SELECT $__timeGroup(timestamp, '90m') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t ORDER BY t",
			hql.Params{From: aligned.From + int64(time.Minute), To: aligned.From + int64(80*time.Minute)}, ""},
	} {
		got, err := eng.Run(ctx, tc.src, tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		raw, err := eng.Run(query.ForceRaw(ctx), tc.src, tc.p)
		if err != nil {
			t.Fatalf("%s (raw): %v", tc.src, err)
		}
		if got.Tier != tc.tier || raw.Tier != "" {
			t.Errorf("%s: answered by %q (forced raw: %q), want %q", tc.src, got.Tier, raw.Tier, tc.tier)
		}
		// The tier answers whole hours inside the range.
		if got.Tier != "" && (got.TierFrom < tc.p.From || got.TierTo > tc.p.To || got.TierFrom%int64(time.Hour) != 0 ||
			(got.TierTo+1)%int64(time.Hour) != 0 || got.TierTo <= got.TierFrom) {
			t.Errorf("%s: tier answered [%d, %d] of [%d, %d]", tc.src, got.TierFrom, got.TierTo, tc.p.From, tc.p.To)
		}
		a, r := cellsOf(got), cellsOf(raw)
		if len(r) == 0 || !slices.Equal(a, r) {
			t.Errorf("%s: tier and raw results differ\ntier:\n  %s\nraw:\n  %s", tc.src, strings.Join(a, "\n  "), strings.Join(r, "\n  "))
		}
		if names := func(r *query.Response) (n []string) {
			for _, c := range r.Columns {
				n = append(n, c.Name)
			}
			return n
		}; !slices.Equal(names(got), names(raw)) {
			t.Errorf("%s: columns %v, raw %v", tc.src, names(got), names(raw))
		}
		got.Release()
		raw.Release()
	}

	// A tier answers only for a range its retention still holds: with the hourly tier kept 2
	// days, a range starting 3 days ago must read the raw table (the tier's rows there may
	// already be deleted), and with 10 years it may read the tier.
	src := "SELECT $__timeGroup(timestamp, '1h') AS t, service, name, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t, service, name ORDER BY t, service, name"
	for _, c := range []struct {
		kept time.Duration
		want string
	}{{2 * 24 * time.Hour, ""}, {3650 * 24 * time.Hour, "spans_1hour_stats"}} {
		e := &query.Engine{Store: s, TierRetention: func(string) time.Duration { return c.kept }}
		got, err := e.Run(ctx, src, aligned)
		if err != nil {
			t.Fatal(err)
		}
		if got.Tier != c.want {
			t.Errorf("tiers kept %s: answered by %q, want %q", c.kept, got.Tier, c.want)
		}
		got.Release()
	}
}

func TestTierSelectionMetrics(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-72 * time.Hour)
	b := &model.Batch{}
	for i := range 2000 {
		ts := day.Add(time.Duration(i) * 90 * time.Second).UnixNano()
		res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", []string{"checkout", "cart"}[i%2])}}
		attrs := model.Attributes{model.StringKV("cpu", strconv.Itoa(i%4))}
		b.Metrics = append(b.Metrics,
			model.MetricPoint{Name: "cpu_usage", Type: model.MetricGauge, Timestamp: ts, Value: float64((i*7919)%1000) / 8, Attributes: attrs, Resource: res, Scope: &model.Scope{}},
			model.MetricPoint{Name: "latency", Type: model.MetricHistogram, Timestamp: ts, Count: 3, Sum: 7.5, HasSum: true,
				BucketCounts: []uint64{1, 2}, ExplicitBounds: []float64{5}, Attributes: attrs, Resource: res, Scope: &model.Scope{}})
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rollup(ctx); err != nil {
		t.Fatal(err)
	}
	eng := &query.Engine{Store: s}
	p := hql.Params{From: day.UnixNano(), To: day.Add(48*time.Hour).UnixNano() - 1}
	for _, tc := range []struct{ src, tier string }{
		{"SELECT $__timeGroup(timestamp, '5m') AS t, service, attributes['cpu'] AS cpu, avg(value) AS a, min(value), max(value), sum(value), count(value) " +
			"FROM metrics WHERE $__timeFilter(timestamp) AND name = 'cpu_usage' AND type = 'gauge' GROUP BY t, service, cpu ORDER BY t, service, cpu", "metrics_5min"},
		{"SELECT $__timeGroup(timestamp, '3h') AS t, name, avg(value) AS a FROM metrics WHERE $__timeFilter(timestamp) AND type IN ('gauge', 'sum') GROUP BY t, name ORDER BY t, name", "metrics_1hour"},
		{"SELECT $__timeGroup(timestamp, '1d') AS t, max(value) AS m FROM metrics WHERE $__timeFilter(timestamp) AND type = 'gauge' GROUP BY t ORDER BY t", "metrics_1day"},
		// Without a type restriction the raw query has histogram groups (NULL values).
		{"SELECT $__timeGroup(timestamp, '1h') AS t, name, avg(value) AS a FROM metrics WHERE $__timeFilter(timestamp) GROUP BY t, name ORDER BY t, name", ""},
		// Resource attributes are not in the tiers.
		{"SELECT $__timeGroup(timestamp, '1h') AS t, avg(value) AS a FROM metrics WHERE $__timeFilter(timestamp) AND type = 'gauge' AND resource['service.name'] = 'cart' GROUP BY t ORDER BY t", ""},
		// A 90 s bucket is not whole minutes.
		{"SELECT $__timeGroup(timestamp, '90s') AS t, avg(value) AS a FROM metrics WHERE $__timeFilter(timestamp) AND type = 'gauge' GROUP BY t ORDER BY t", ""},
	} {
		got, err := eng.Run(ctx, tc.src, p)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		raw, err := eng.Run(query.ForceRaw(ctx), tc.src, p)
		if err != nil {
			t.Fatalf("%s (raw): %v", tc.src, err)
		}
		if got.Tier != tc.tier {
			t.Errorf("%s: answered by %q, want %q", tc.src, got.Tier, tc.tier)
		}
		if a, r := cellsOf(got), cellsOf(raw); len(r) == 0 || !slices.Equal(a, r) {
			t.Errorf("%s: tier and raw results differ (%d vs %d rows)\ntier:\n  %s\nraw:\n  %s", tc.src, len(a), len(r),
				strings.Join(a[:min(len(a), 5)], "\n  "), strings.Join(r[:min(len(r), 5)], "\n  "))
		}
		got.Release()
		raw.Release()
	}

	// A dashboard panel as Grafana sends it: a millisecond range up to now and $__interval.
	// Raw rows answer the ragged start and the hours not rolled up yet, the hourly tier the rest.
	now := time.Now()
	grafana := hql.Params{From: day.Add(1500 * time.Millisecond).UnixNano(), To: now.Truncate(time.Millisecond).UnixNano(), Interval: time.Hour}
	src := "SELECT $__timeGroup(timestamp, $__interval) AS time, attributes['cpu'] AS cpu, avg(value) AS cpu_usage FROM metrics " +
		"WHERE $__timeFilter(timestamp) AND name = 'cpu_usage' AND type IN ('gauge', 'sum') GROUP BY time, cpu ORDER BY time ASC, cpu"
	got, err := eng.Run(ctx, src, grafana)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	raw, err := eng.Run(query.ForceRaw(ctx), src, grafana)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Release()
	if got.Tier != "metrics_1hour" || got.TierFrom != day.Add(time.Hour).UnixNano() || got.TierTo >= grafana.To {
		t.Errorf("Grafana panel: answered by %q over [%d, %d], range [%d, %d]", got.Tier, got.TierFrom, got.TierTo, grafana.From, grafana.To)
	}
	if a, r := cellsOf(got), cellsOf(raw); len(r) == 0 || !slices.Equal(a, r) {
		for i := range min(len(a), len(r)) {
			if a[i] != r[i] {
				t.Errorf("Grafana panel: tier and raw results differ (%d vs %d rows) at row %d:\n  %s\n  %s", len(a), len(r), i, a[i], r[i])
				break
			}
		}
	}
}
