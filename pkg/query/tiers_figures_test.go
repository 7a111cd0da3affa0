//go:build duckdb_arrow && unix

package query_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/store/embedded"
)

// TestTierFigures measures what the tiers save on the embedded store; it runs only with
// HEIMSIGHT_TIER_FIGURES=1 (minutes of CPU):
//
//	HEIMSIGHT_TIER_FIGURES=1 go test -tags duckdb_arrow -run TestTierFigures -v -timeout 30m ./pkg/query/
//
// Storage: a day (HEIMSIGHT_TIER_FIGURES_HOURS, default 24) of 1,000 gauge series at 10 s
// resolution, raw parts compacted (zstd) against the metrics_1hour tier. Latency: a 30-day
// p95-by-service query over raw spans against spans_1hour_stats (HEIMSIGHT_TIER_FIGURES_SPANS
// spans per hour, default 2,000).
func TestTierFigures(t *testing.T) {
	if os.Getenv("HEIMSIGHT_TIER_FIGURES") != "1" {
		t.Skip("set HEIMSIGHT_TIER_FIGURES=1 to measure the tiers")
	}
	hours := envInt("HEIMSIGHT_TIER_FIGURES_HOURS", 24)
	spansPerHour := envInt("HEIMSIGHT_TIER_FIGURES_SPANS", 2000)
	ctx := context.Background()
	opts := embedded.DefaultOptions(t.TempDir())
	opts.CompactInterval = 0
	opts.RollupInterval = 0
	s, err := embedded.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	end := time.Now().UTC().Truncate(24 * time.Hour)
	scope := &model.Scope{Name: "bench"}
	var resources []*model.Resource
	for i := range 10 {
		resources = append(resources, &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "svc-"+strconv.Itoa(i))}})
	}
	// 1,000 series: 10 services x 10 metric names x 10 attribute sets.
	start := time.Now()
	mstart := end.Add(-time.Duration(hours) * time.Hour)
	points := 0
	for ts := mstart; ts.Before(end); ts = ts.Add(10 * time.Second) {
		b := &model.Batch{}
		for sv := range 10 {
			for m := range 10 {
				for a := range 10 {
					b.Metrics = append(b.Metrics, model.MetricPoint{Name: "metric_" + strconv.Itoa(m), Type: model.MetricGauge, Unit: "1",
						Timestamp: ts.UnixNano() + int64(sv*100+m*10+a), Value: noisy(ts.Unix(), sv*100+m*10+a),
						Attributes: model.Attributes{model.StringKV("instance", "i-"+strconv.Itoa(a)), model.StringKV("region", "eu-west-1")},
						Resource:   resources[sv], Scope: scope})
				}
			}
		}
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		points += len(b.Metrics)
	}
	t.Logf("wrote %d metric points (%d h) in %s", points, hours, time.Since(start).Round(time.Millisecond))

	// 30 days of spans: 10 services x 5 operations.
	start = time.Now()
	sstart := end.Add(-30 * 24 * time.Hour)
	nspans := 0
	for h := sstart; h.Before(end); h = h.Add(time.Hour) {
		b := &model.Batch{}
		for i := range spansPerHour {
			ts := h.UnixNano() + int64(i)*int64(time.Hour)/int64(spansPerHour)
			dur := int64(1+(i*7919)%1000) * int64(time.Millisecond/10)
			b.Spans = append(b.Spans, model.Span{TraceID: model.TraceID{byte(i), byte(i >> 8), byte(h.Unix())}, SpanID: model.SpanID{byte(i), 1},
				Name: "op-" + strconv.Itoa(i%5), StartTimestamp: ts, EndTimestamp: ts + dur, StatusCode: model.StatusCode(i % 3),
				Resource: resources[i%10], Scope: scope})
		}
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		nspans += len(b.Spans)
	}
	t.Logf("wrote %d spans (30 days) in %s", nspans, time.Since(start).Round(time.Millisecond))

	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("compacted in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	units, err := s.Rollup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rolled up %d units in %s", units, time.Since(start).Round(time.Millisecond))

	ages, err := s.DataAge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size := map[string][2]int64{}
	for _, a := range ages {
		name := a.Tier
		if name == "" {
			name = a.Table
		}
		size[name] = [2]int64{a.Rows, a.Bytes}
	}
	raw, tier := size["metrics"], size["metrics_1hour"]
	t.Logf("metrics raw: %d rows, %d bytes; metrics_1hour: %d rows, %d bytes; saved %.2f%% (raw/tier %.0fx); metrics_1min %d bytes, metrics_5min %d bytes",
		raw[0], raw[1], tier[0], tier[1], 100*(1-float64(tier[1])/float64(raw[1])), float64(raw[1])/float64(tier[1]), size["metrics_1min"][1], size["metrics_5min"][1])
	t.Logf("spans raw: %d rows, %d bytes; spans_1hour_stats: %d rows, %d bytes", size["spans"][0], size["spans"][1], size["spans_1hour_stats"][0], size["spans_1hour_stats"][1])

	eng := &query.Engine{Store: s}
	p := hql.Params{From: sstart.UnixNano(), To: end.UnixNano()}
	for _, q := range []string{
		"SELECT service, p95(duration_ns) AS p95 FROM spans WHERE $__timeFilter(timestamp) GROUP BY service ORDER BY service",
		"SELECT service, avg(p95_duration_ns) AS p95 FROM spans_1hour_stats WHERE $__timeFilter(timestamp) GROUP BY service ORDER BY service",
	} {
		var best time.Duration
		var out string
		for i := range 5 {
			start := time.Now()
			resp, err := eng.Run(ctx, q, p)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			el := time.Since(start)
			if i == 0 || el < best {
				best = el
			}
			out = fmt.Sprint(resp.Result.Rows)
			if i == 0 {
				t.Logf("%s:\n%s", q, rows(t, resp))
			}
			resp.Release()
		}
		t.Logf("best of 5: %s (%s rows): %s", best.Round(time.Microsecond), out, q)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// noisy is a reproducible gauge value with two decimals that varies from point to point, as
// real measurements do (a constant or linear series would compress unrealistically well).
func noisy(sec int64, series int) float64 {
	h := uint64(sec)*0x9E3779B97F4A7C15 ^ uint64(series)*0xC2B2AE3D27D4EB4F
	h ^= h >> 29
	return float64(h%100000) / 100
}
