//go:build duckdb_arrow && unix

package query_test

import (
	"context"
	"errors"
	"testing"
	"time"

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
