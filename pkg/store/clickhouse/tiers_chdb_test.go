//go:build duckdb_arrow && unix

package clickhouse

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/rollup"
	"github.com/heimsight/heimsight/pkg/store"
)

// queryCells runs SQL built over the store's logical relations and renders every row as the
// differential test does (floats to 12 significant digits, timestamps in ns).
func queryCells(t *testing.T, s store.Querier, build func(src store.TableSource) (string, error)) []string {
	t.Helper()
	res, err := s.Query(context.Background(), &store.Query{Build: func(src store.TableSource) (string, []any, error) {
		q, err := build(src)
		return q, nil, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	var rows []string
	for _, rec := range res.Records {
		for i := 0; i < int(rec.NumRows()); i++ {
			var cells []string
			for _, col := range rec.Columns() {
				cells = append(cells, cell(col, i))
			}
			rows = append(rows, strings.Join(cells, " | "))
		}
	}
	slices.Sort(rows)
	return rows
}

func chLiteral(s string) string { l, _ := Literal(s); return l }

// TestTiersEqualRawAggregation writes rows in several inserts (partial aggregates of one
// interval land in different parts) and checks that every tier, read through TableSource,
// equals the same aggregation computed over the raw logical tables.
func TestTiersEqualRawAggregation(t *testing.T) {
	e, _ := newEngine(t)
	s := openChDBStore(t, e, "heimsight_tiers")
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	// Recent enough for the raw tables' TTL, which drops expired parts at once.
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-4*time.Hour + 10*time.Minute + 123).UnixNano()
	for _, start := range []int64{t0, t0, t0 + int64(3*time.Hour)} {
		if err := s.Write(ctx, differentialBatch(start)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil { // flush
		t.Fatal(err)
	}
	s = openChDBStore(t, e, "heimsight_tiers")
	t.Cleanup(func() { s.Close() })

	compare := func(name string, tier, raw func(src store.TableSource) (string, error)) {
		t.Helper()
		got, want := queryCells(t, s, tier), queryCells(t, s, raw)
		if len(want) == 0 {
			t.Fatalf("%s: raw aggregation is empty", name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s differs from the raw aggregation\ntier:\n  %s\nraw:\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		} else {
			t.Logf("%s: %d rows equal the raw aggregation", name, len(got))
		}
	}
	rel := func(src store.TableSource, table string) string {
		r, err := src(table)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	for tier, fn := range map[string]string{"metrics_1min": "toStartOfMinute", "metrics_5min": "toStartOfFiveMinutes",
		"metrics_1hour": "toStartOfHour", "metrics_1day": "toStartOfDay"} {
		compare(tier, func(src store.TableSource) (string, error) {
			return "SELECT timestamp, name, service, type, attributes, count, sum, min, max, avg, bucket_counts, explicit_bounds FROM " + rel(src, tier), nil
		}, func(src store.TableSource) (string, error) {
			return "SELECT toDateTime64(" + fn + "(timestamp), 9), name, service, type, attributes, " +
				"toInt64(sum(if(type = 'histogram', count, 1))) AS c, sum(if(type = 'histogram', sum, value)) AS s, " +
				"min(if(type = 'histogram', min, value)), max(if(type = 'histogram', max, value)), s / c, " +
				"CAST(sumForEach(bucket_counts), 'Array(Int64)'), explicit_bounds FROM " + rel(src, "metrics") +
				" WHERE type IN ('gauge', 'sum', 'histogram') GROUP BY 1, name, service, type, attributes, explicit_bounds", nil
		})
	}
	norm, err := rollup.SQLExpr(rollup.ClickHouse, "body", chLiteral)
	if err != nil {
		t.Fatal(err)
	}
	level := `CASE WHEN severity_number = 0 THEN lower(severity_text) WHEN severity_number <= 4 THEN 'trace' WHEN severity_number <= 8 THEN 'debug'
		WHEN severity_number <= 12 THEN 'info' WHEN severity_number <= 16 THEN 'warn' WHEN severity_number <= 20 THEN 'error' ELSE 'fatal' END`
	for tier, fn := range map[string]string{"logs_1hour_counts": "toStartOfHour", "logs_1day_counts": "toStartOfDay"} {
		compare(tier, func(src store.TableSource) (string, error) {
			return "SELECT timestamp, level, service, pattern, count FROM " + rel(src, tier), nil
		}, func(src store.TableSource) (string, error) {
			return "SELECT toDateTime64(" + fn + "(timestamp), 9), " + level + ", service, " + norm + ", toInt64(count()) FROM " +
				rel(src, "logs") + " GROUP BY 1, 2, 3, 4", nil
		})
	}
	for tier, fn := range map[string]string{"spans_1hour_stats": "toStartOfHour", "spans_1day_stats": "toStartOfDay"} {
		// Counts, rates and averages are exact; the quantiles are t-digests merged across
		// inserts, compared below.
		compare(tier, func(src store.TableSource) (string, error) {
			return "SELECT timestamp, service, operation, span_count, error_count, error_rate, avg_duration_ns FROM " + rel(src, tier), nil
		}, func(src store.TableSource) (string, error) {
			return "SELECT toDateTime64(" + fn + "(timestamp), 9), service, name, toInt64(count()), toInt64(countIf(status_code = 'Error')), " +
				"countIf(status_code = 'Error') / count(), avg(duration_ns) FROM " + rel(src, "spans") + " GROUP BY 1, 2, 3", nil
		})
		got := queryCells(t, s, func(src store.TableSource) (string, error) {
			return "SELECT t.p50_duration_ns, t.p95_duration_ns, t.p99_duration_ns, r.q[1], r.q[2], r.q[3], r.lo, r.hi FROM " + rel(src, tier) + " AS t " +
				"JOIN (SELECT toDateTime64(" + fn + "(timestamp), 9) AS ts, service, name, quantilesTDigest(0.5, 0.95, 0.99)(toUInt64(duration_ns)) AS q, " +
				"min(duration_ns) AS lo, max(duration_ns) AS hi FROM " + rel(src, "spans") + " GROUP BY ts, service, name) AS r " +
				"ON t.timestamp = r.ts AND t.service = r.service AND t.operation = r.name", nil
		})
		if len(got) == 0 {
			t.Fatalf("%s: no quantile rows", tier)
		}
		for _, row := range got {
			f := strings.Split(row, " | ")
			v := make([]float64, len(f))
			for i := range f {
				v[i], _ = strconv.ParseFloat(f[i], 64)
			}
			for i := 0; i < 3; i++ {
				if math.Abs(v[i]-v[i+3]) > 1e-6*math.Max(1, math.Abs(v[i+3])) || v[i] < v[6] || v[i] > v[7] {
					t.Errorf("%s: quantiles %v differ from a t-digest over raw spans %v or leave [min, max] %v", tier, v[:3], v[3:6], v[6:])
				}
			}
		}
	}
	for tier, fn := range map[string]string{"traces_1hour_stats": "toStartOfHour", "traces_1day_stats": "toStartOfDay"} {
		compare(tier, func(src store.TableSource) (string, error) {
			return "SELECT timestamp, service, unique_traces, total_spans FROM " + rel(src, tier), nil
		}, func(src store.TableSource) (string, error) {
			return "SELECT toDateTime64(" + fn + "(timestamp), 9), service, toInt64(uniqExact(trace_id)), toInt64(count()) FROM " +
				rel(src, "spans") + " GROUP BY 1, 2", nil
		})
	}

	// The original design's example queries run verbatim through HQL on the tiers, which the
	// engine enables because the store says it builds them.
	eng := &query.Engine{Store: s}
	for _, src := range designExampleQueries {
		resp, err := eng.Run(ctx, src, hql.Params{})
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if resp.Result.Rows == 0 {
			t.Errorf("%s: no rows", src)
		}
		resp.Release()
	}
}

// Rows inserted before the tier views existed are not in the tiers: tier selection starts the
// day after the migrations, and never answers percentiles (t-digest estimates).
func TestTierInfoChDB(t *testing.T) {
	e, _ := newEngine(t)
	s := openChDBStore(t, e, "heimsight_tierinfo")
	defer s.Close()
	from, to, exact := s.TierInfo("spans_1hour_stats")
	tomorrow := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).UnixNano()
	if from != tomorrow || to < time.Now().Add(-time.Minute).UnixNano() || exact {
		t.Errorf("TierInfo: [%d, %d) exact %v, want from %d (the day after the migrations)", from, to, exact, tomorrow)
	}
	if _, _, exact := s.TierInfo("nope"); exact {
		t.Error("unknown tier reported")
	}
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour)
	resp, err := (&query.Engine{Store: s}).Run(context.Background(),
		"SELECT $__timeGroup(timestamp, '1h') AS t, count(*) AS n FROM spans WHERE $__timeFilter(timestamp) GROUP BY t",
		hql.Params{From: day.UnixNano(), To: day.Add(24*time.Hour).UnixNano() - 1})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Release()
	if resp.Tier != "" {
		t.Errorf("a range before the tiers existed was answered by %s", resp.Tier)
	}
}

// designExampleQueries are the tier queries of the original design, verbatim.
var designExampleQueries = []string{
	"SELECT timestamp, avg FROM metrics_1hour WHERE name = 'cpu_usage' LIMIT 100",
	"SELECT * FROM logs_1day_counts WHERE level = 'error' LIMIT 30",
	"SELECT timestamp, service, operation, p95_duration_ns / 1000000 as p95_ms FROM spans_1hour_stats LIMIT 100",
	"SELECT service, operation, avg(p99_duration_ns) / 1000000 as p99_ms FROM spans_1day_stats GROUP BY service, operation ORDER BY p99_ms DESC LIMIT 10",
}

// The tier tables get their tier's default TTL at creation and follow the tier's policy.
func TestTierRetention(t *testing.T) {
	_, conn := newEngine(t)
	o := testOptions()
	ctx := context.Background()
	if _, err := Migrate(ctx, conn, o); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]string{
		"heimsight_metrics_1min":       "TTL IntervalStart + toIntervalDay(30)",
		"heimsight_metrics_5min":       "TTL IntervalStart + toIntervalDay(90)",
		"heimsight_metrics_1hour":      "TTL IntervalStart + toIntervalDay(365)",
		"heimsight_metrics_1day":       "TTL IntervalStart + toIntervalDay(730)",
		"heimsight_logs_1hour_counts":  "TTL IntervalStart + toIntervalDay(365)",
		"heimsight_spans_1day_stats":   "TTL IntervalStart + toIntervalDay(730)",
		"heimsight_traces_1hour_stats": "TTL IntervalStart + toIntervalDay(365)",
	} {
		if got, err := tableTTL(ctx, conn, o, table); err != nil || got != want {
			t.Errorf("%s: TTL %q (%v), want %q", table, got, err, want)
		}
	}
	p, err := retention.Defaults().Set("spans_1hour_stats", 400)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyPolicies(ctx, conn, o, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := tableTTL(ctx, conn, o, "heimsight_spans_1hour_stats"); got != "TTL IntervalStart + toIntervalDay(400)" {
		t.Errorf("spans_1hour_stats TTL after the change: %q", got)
	}
	if got, _ := tableTTL(ctx, conn, o, "heimsight_spans_1day_stats"); got != "TTL IntervalStart + toIntervalDay(730)" {
		t.Errorf("spans_1day_stats changed with the hourly policy: %q", got)
	}
}
