//go:build duckdb_arrow

package embedded

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/rollup"
	"github.com/heimsight/heimsight/pkg/store"
)

func TestTierSpecsCoverRollupTiers(t *testing.T) {
	for _, tier := range rollup.Tiers {
		spec, ok := lookupTierSpec(tier.Name)
		if !ok {
			t.Errorf("tier %s is not built", tier.Name)
			continue
		}
		if spec.day != (tier.Interval == 24*time.Hour) || tableNames[spec.table] != map[string]string{
			rollup.Logs: tableLogs, rollup.Traces: tableSpans, rollup.Metrics: tableMetrics}[tier.DataType] {
			t.Errorf("tier %s: unit or source table disagrees with pkg/rollup", tier.Name)
		}
	}
	if len(tierSpecs) != len(rollup.Tiers) {
		t.Errorf("%d tier specs, %d tiers", len(tierSpecs), len(rollup.Tiers))
	}
}

// rollupBatch has n logs, spans and metric points spread over the hour starting at hour.
func rollupBatch(g *logGen, hour time.Time, n int) *model.Batch {
	b := &model.Batch{}
	g.ts = hour.UnixNano()
	b.Logs = g.batch(n)
	g.ts = hour.UnixNano()
	b.Spans = g.spans(n)
	g.ts = hour.UnixNano()
	b.Metrics = g.points(n)
	// Spread over the hour (the generator advances ~0.1 ms per row).
	step := int64(time.Hour) / int64(n+1)
	for i := range b.Logs {
		off := hour.UnixNano() + int64(i)*step
		b.Logs[i].Timestamp = off
		b.Spans[i].EndTimestamp = off + (b.Spans[i].EndTimestamp - b.Spans[i].StartTimestamp)
		b.Spans[i].StartTimestamp = off
		b.Metrics[i].Timestamp = off + 1
	}
	return b
}

func cellText(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch c := a.(type) {
	case *array.Float64:
		return strconv.FormatFloat(c.Value(i), 'g', 12, 64)
	case *array.Map:
		start, end := c.ValueOffsets(i)
		var kv []string
		for j := start; j < end; j++ {
			kv = append(kv, cellText(c.Keys(), int(j))+":"+cellText(c.Items(), int(j)))
		}
		slices.Sort(kv)
		return "{" + strings.Join(kv, ",") + "}"
	case *array.List:
		start, end := c.ValueOffsets(i)
		var items []string
		for j := start; j < end; j++ {
			items = append(items, cellText(c.ListValues(), int(j)))
		}
		return "[" + strings.Join(items, ",") + "]"
	}
	return a.ValueStr(i)
}

func sqlRows(t *testing.T, s *Store, build func(src store.TableSource) (string, error)) []string {
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
				cells = append(cells, cellText(col, i))
			}
			rows = append(rows, strings.Join(cells, " | "))
		}
	}
	slices.Sort(rows)
	return rows
}

// rawAggregations are, per tier, the tier's columns and the same aggregation written over the
// raw logical table, independently of the rollup's SQL.
func rawAggregations() map[string][2]string {
	norm, err := rollup.SQLExpr(rollup.DuckDB, "body", quoteString)
	if err != nil {
		panic(err)
	}
	out := map[string][2]string{}
	for tier, trunc := range map[string]string{"metrics_1min": "date_trunc('minute', timestamp)", "metrics_5min": "time_bucket(INTERVAL 5 MINUTE, CAST(timestamp AS TIMESTAMP))",
		"metrics_1hour": "date_trunc('hour', timestamp)", "metrics_1day": "date_trunc('day', timestamp)"} {
		out[tier] = [2]string{
			"SELECT timestamp, name, service, attributes, type, count, sum, min, max, avg, bucket_counts, explicit_bounds FROM {rel}",
			"SELECT CAST(" + trunc + " AS TIMESTAMP_NS), name, service, attributes, type, " +
				"sum(if(type = 'histogram', count, 1)) AS c, sum(if(type = 'histogram', sum, value)) AS s, min(if(type = 'histogram', min, value)), " +
				"max(if(type = 'histogram', max, value)), s / c, " +
				"if(type = 'histogram', [sum(bucket_counts[i]) FOR i IN range(1, max(len(bucket_counts)) + 1)], NULL), explicit_bounds " +
				"FROM {rel} WHERE type <> 'summary' AND type <> 'exponential_histogram' GROUP BY ALL"}
	}
	// The element-wise sum above is not an aggregate DuckDB accepts; compute it by unnesting.
	for tier, trunc := range map[string]string{"metrics_1min": "date_trunc('minute', timestamp)", "metrics_5min": "time_bucket(INTERVAL 5 MINUTE, CAST(timestamp AS TIMESTAMP))",
		"metrics_1hour": "date_trunc('hour', timestamp)", "metrics_1day": "date_trunc('day', timestamp)"} {
		key := "CAST(" + trunc + " AS TIMESTAMP_NS) AS ts, name, service, attributes, type, explicit_bounds"
		out[tier] = [2]string{out[tier][0],
			"WITH m AS (SELECT * FROM {rel} WHERE type IN ('gauge', 'sum', 'histogram')), " +
				"a AS (SELECT " + key + ", sum(if(type = 'histogram', count, 1)) AS c, sum(if(type = 'histogram', sum, value)) AS s, " +
				"min(if(type = 'histogram', min, value)) AS lo, max(if(type = 'histogram', max, value)) AS hi FROM m GROUP BY ALL), " +
				"e AS (SELECT " + key + ", u.i, sum(u.v) AS v FROM m, LATERAL (SELECT unnest(bucket_counts) AS v, unnest(range(1, len(bucket_counts) + 1)) AS i) u GROUP BY ALL), " +
				"l AS (SELECT ts, name, service, attributes, type, explicit_bounds, list(v ORDER BY i) AS b FROM e GROUP BY ALL) " +
				"SELECT a.ts, a.name, a.service, a.attributes, a.type, a.c, a.s, a.lo, a.hi, a.s / a.c, l.b, a.explicit_bounds FROM a LEFT JOIN l " +
				"ON a.ts = l.ts AND a.name = l.name AND a.service = l.service AND a.attributes = l.attributes AND a.type = l.type AND a.explicit_bounds IS NOT DISTINCT FROM l.explicit_bounds"}
	}
	level := `CASE WHEN severity_number = 0 THEN lower(severity_text) WHEN severity_number <= 4 THEN 'trace' WHEN severity_number <= 8 THEN 'debug'
		WHEN severity_number <= 12 THEN 'info' WHEN severity_number <= 16 THEN 'warn' WHEN severity_number <= 20 THEN 'error' ELSE 'fatal' END`
	for tier, unit := range map[string]string{"logs_1hour_counts": "hour", "logs_1day_counts": "day"} {
		out[tier] = [2]string{"SELECT timestamp, level, service, pattern, count FROM {rel}",
			"SELECT CAST(date_trunc('" + unit + "', timestamp) AS TIMESTAMP_NS), " + level + ", service, " + norm + ", count(*) FROM {rel} GROUP BY ALL"}
	}
	for tier, unit := range map[string]string{"spans_1hour_stats": "hour", "spans_1day_stats": "day"} {
		out[tier] = [2]string{"SELECT * FROM {rel}",
			"SELECT CAST(date_trunc('" + unit + "', timestamp) AS TIMESTAMP_NS), service, name, count(*), count(*) FILTER (status_code = 'Error'), " +
				"count(*) FILTER (status_code = 'Error') / count(*), avg(duration_ns), quantile_cont(duration_ns, 0.5), " +
				"quantile_cont(duration_ns, 0.95), quantile_cont(duration_ns, 0.99) FROM {rel} GROUP BY ALL"}
	}
	for tier, unit := range map[string]string{"traces_1hour_stats": "hour", "traces_1day_stats": "day"} {
		out[tier] = [2]string{"SELECT * FROM {rel}",
			"SELECT CAST(date_trunc('" + unit + "', timestamp) AS TIMESTAMP_NS), service, count(DISTINCT trace_id), count(*) FROM {rel} GROUP BY ALL"}
	}
	return out
}

// checkTiersEqualRaw compares every tier with the aggregation of the raw rows before closed
// (the rows of open intervals are not rolled up yet).
func checkTiersEqualRaw(t *testing.T, s *Store, closed time.Time) {
	t.Helper()
	raw := map[string]string{}
	for _, tier := range rollup.Tiers {
		raw[tier.Name] = map[string]string{rollup.Logs: "logs", rollup.Traces: "spans", rollup.Metrics: "metrics"}[tier.DataType]
	}
	for tier, q := range rawAggregations() {
		got := sqlRows(t, s, func(src store.TableSource) (string, error) {
			rel, err := src(tier)
			return strings.ReplaceAll(q[0], "{rel}", rel), err
		})
		want := sqlRows(t, s, func(src store.TableSource) (string, error) {
			rel, err := src(raw[tier])
			rel = "(SELECT * FROM " + rel + " WHERE timestamp < make_timestamp_ns(" + strconv.FormatInt(closed.UnixNano(), 10) + "))"
			return strings.ReplaceAll(q[1], "{rel}", rel), err
		})
		if len(want) == 0 {
			t.Fatalf("%s: raw aggregation is empty", tier)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s differs from the raw aggregation (%d vs %d rows)\ntier:\n  %s\nraw:\n  %s", tier, len(got), len(want),
				strings.Join(head(got), "\n  "), strings.Join(head(want), "\n  "))
		}
	}
}

func head(rows []string) []string { return rows[:min(len(rows), 6)] }

func rollupTestStore(t *testing.T, dir string, now time.Time) *Store {
	t.Helper()
	o := DefaultOptions(dir)
	o.CompactInterval = 0
	o.RollupInterval = 0
	o.FlushInterval = time.Hour
	o.QueryConns = 1
	o.now = func() time.Time { return now }
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRollupTiersEqualRaw: every tier equals the same aggregation over the raw rows, after the
// first rollup, after late rows, after a compaction and after a restart that catches up.
func TestRollupTiersEqualRaw(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	base := time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC) // four hours across a midnight
	now := base.Add(48 * time.Hour)
	s := rollupTestStore(t, dir, now)
	g := newLogGen(1, base)
	for h := range 4 {
		if err := s.Write(ctx, rollupBatch(g, base.Add(time.Duration(h)*time.Hour), 150)); err != nil {
			t.Fatal(err)
		}
	}
	// An open hour is not rolled up yet.
	if err := s.Write(ctx, rollupBatch(g, now.Truncate(time.Hour), 10)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := s.Rollup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * (4 + 2); n != want { // per table: 4 hours and 2 days
		t.Fatalf("rolled up %d units, want %d", n, want)
	}
	checkTiersEqualRaw(t, s, now.Truncate(24*time.Hour))
	if n, _ := s.Rollup(ctx); n != 0 {
		t.Errorf("second run rolled up %d units, want 0", n)
	}

	// Late rows for the second hour: that hour and its day are recomputed, nothing else.
	if err := s.Write(ctx, rollupBatch(g, base.Add(time.Hour), 20)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Rollup(ctx); err != nil || n != 3*2 {
		t.Fatalf("late rows: rolled up %d units (%v), want 6", n, err)
	}
	checkTiersEqualRaw(t, s, now.Truncate(24*time.Hour))

	// Compaction rewrites parts without new rows: nothing to recompute.
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Rollup(ctx); n != 0 {
		t.Errorf("after compaction rolled up %d units, want 0", n)
	}

	// Late rows written, then a restart before the job ran: the next run catches up.
	if err := s.Write(ctx, rollupBatch(g, base.Add(3*time.Hour), 20)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A rollup interrupted by a crash left a temporary file: Open removes it.
	tmp := filepath.Join(dir, rollupDirName, "spans_1hour_stats", "2026-11-20.parquet.tmp")
	if err := os.WriteFile(tmp, []byte("torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = rollupTestStore(t, dir, now)
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary rollup file left after Open: %v", err)
	}
	defer s.Close()
	if n, err := s.Rollup(ctx); err != nil || n != 3*2 {
		t.Fatalf("after restart: rolled up %d units (%v), want 6", n, err)
	}
	checkTiersEqualRaw(t, s, now.Truncate(24*time.Hour))

	// Data age and retention cover the tiers.
	ages, err := s.DataAge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byTier := map[string]retention.TableAge{}
	for _, a := range ages {
		byTier[a.Tier] = a
	}
	if a := byTier["spans_1hour_stats"]; a.Rows == 0 || a.Bytes == 0 || !a.Oldest.Equal(base) {
		t.Errorf("spans_1hour_stats age: %+v", a)
	}
	p, err := retention.Defaults().Set("metrics_1min", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnforceRetention(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Tier parts hold a day each: the day that ended before now - 1 day is gone, the next one
	// (which ends after that cutoff) stays.
	if rows := sqlRows(t, s, func(src store.TableSource) (string, error) {
		rel, err := src("metrics_1min")
		return "SELECT count(*) FILTER (timestamp < TIMESTAMP '2026-11-21'), count(*) FROM " + rel, err
	}); rows[0] != "0 | 320" {
		t.Errorf("metrics_1min after a 1-day retention: %v, want no rows of 2026-11-20 and the 320 of 2026-11-21", rows)
	}
	if rows := sqlRows(t, s, func(src store.TableSource) (string, error) {
		rel, err := src("metrics_5min")
		return "SELECT count(*) FROM " + rel, err
	}); rows[0] == "0" {
		t.Error("metrics_5min emptied by the metrics_1min policy")
	}
}

// TestRollupLateRowsPastRawRetention: a late row for an interval whose raw parts retention
// deleted must not replace the tier rows built from the full data with an aggregation of the
// late row alone. Day D has rows at 02:00 and 20:00; a 1-day raw TTL at D+1 12:00 deletes the
// 02:00 hour and keeps the 20:00 one.
func TestRollupLateRowsPastRawRetention(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	expired, kept := day.Add(2*time.Hour), day.Add(20*time.Hour)
	now := day.Add(36 * time.Hour)
	s := rollupTestStore(t, dir, now)
	defer func() { s.Close() }()
	g := newLogGen(3, expired)
	for _, h := range []time.Time{expired, kept} {
		if err := s.Write(ctx, rollupBatch(g, h, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Rollup(ctx); err != nil || n != 3*(2+1) {
		t.Fatalf("rolled up %d units (%v), want 9", n, err)
	}
	checkTiersEqualRaw(t, s, day.Add(24*time.Hour))
	tierRows := func(where string) map[string][]string {
		out := map[string][]string{}
		for _, tier := range rollup.Tiers {
			out[tier.Name] = sqlRows(t, s, func(src store.TableSource) (string, error) {
				rel, err := src(tier.Name)
				return "SELECT * FROM " + rel + " WHERE " + where, err
			})
		}
		return out
	}
	before := tierRows("true")

	p := retention.Defaults()
	for _, dt := range []string{rollup.Logs, rollup.Traces, rollup.Metrics} {
		var err error
		if p, err = p.Set(dt, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EnforceRetention(ctx, p); err != nil {
		t.Fatal(err)
	}
	for _, table := range tableNames {
		if got := countRows(t, s, table); got != 100 {
			t.Fatalf("%s: %d raw rows after retention, want the 100 of %s", table, got, kept)
		}
	}

	// One late log, span and metric point (service "ret") in each of the two hours.
	late := func(hours ...time.Time) {
		t.Helper()
		var at []time.Time
		for _, h := range hours {
			at = append(at, h.Add(30*time.Minute))
		}
		if err := s.Write(ctx, retentionBatch(1, at, at, at)); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check := func(stage string) {
		t.Helper()
		// The rows built from the full data are all still there, unchanged.
		for tier, rows := range tierRows("service <> 'ret'") {
			if !slices.Equal(rows, before[tier]) {
				t.Errorf("%s: %s changed (%d rows, had %d)\nnow:\n  %s\nhad:\n  %s", stage, tier, len(rows), len(before[tier]),
					strings.Join(head(rows), "\n  "), strings.Join(head(before[tier]), "\n  "))
			}
		}
		// The late rows of the kept hour are rolled up into the hour tiers and the day tiers
		// merged from them; the day tiers read from raw parts keep the day as it was, as the
		// day's raw rows are no longer all there; the late rows of the expired hour are in no
		// tier.
		want := map[string]string{"spans_1day_stats": "0 | NULL", "traces_1day_stats": "0 | NULL"}
		counts := map[string]string{"metrics": `"count"`, "logs": `"count"`, "spans": "span_count", "traces": "total_spans"}
		for _, tier := range rollup.Tiers {
			w, ok := want[tier.Name]
			if !ok {
				w = "1 | 1"
			}
			col := counts[strings.SplitN(tier.Name, "_", 2)[0]]
			got := sqlRows(t, s, func(src store.TableSource) (string, error) {
				rel, err := src(tier.Name)
				return "SELECT count(*), sum(" + col + ") FROM " + rel + " WHERE service = 'ret'", err
			})
			if len(got) != 1 || got[0] != w {
				t.Errorf("%s: %s rows of the late data (rows | count): %v, want %s", stage, tier.Name, got, w)
			}
		}
	}
	late(expired, kept)
	if n, err := s.Rollup(ctx); err != nil || n != 3 {
		t.Errorf("late rows: rolled up %d units (%v), want the 3 kept hours", n, err)
	}
	check("late rows")
	if n, _ := s.Rollup(ctx); n != 0 {
		t.Errorf("second run rolled up %d units, want 0", n)
	}

	// The horizon survives a restart, and a longer TTL applied later does not move it back
	// over the hours already deleted: another late row in the expired hour changes nothing.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = rollupTestStore(t, dir, now)
	if err := s.EnforceRetention(ctx, retention.Defaults()); err != nil {
		t.Fatal(err)
	}
	late(expired)
	if n, err := s.Rollup(ctx); err != nil || n != 0 {
		t.Errorf("after a restart: rolled up %d units (%v), want 0", n, err)
	}
	check("after a restart")
}

// One enforcement under a clock briefly set in the future (a wrong hardware clock at boot, a
// restored snapshot) must not stop the rollup of the hours that come after it: the horizon
// records what retention deleted, not the clock's idea of now - TTL.
func TestRollupAfterClockJump(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	clk := day.Add(36 * time.Hour)
	o := testOptions(t.TempDir())
	o.RollupInterval = 0
	o.FlushInterval = time.Hour
	o.now = func() time.Time { return clk }
	s := openTest(t, o)
	defer s.Close()
	real := clk
	clk = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := s.EnforceRetention(ctx, retention.Defaults()); err != nil {
		t.Fatal(err)
	}
	clk = real
	hour := day.Add(30 * time.Hour)
	if err := s.Write(ctx, rollupBatch(newLogGen(3, hour), hour, 100)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := s.Rollup(ctx)
	if err != nil || n == 0 {
		t.Fatalf("an on-time hour after a clock jump: %d units rolled up, %v", n, err)
	}
	got := sqlRows(t, s, func(src store.TableSource) (string, error) {
		rel, err := src("logs_1hour_counts")
		return "SELECT sum(count) FROM " + rel, err
	})
	if len(got) != 1 || got[0] != "100" {
		t.Errorf("logs_1hour_counts holds %v logs, want 100", got)
	}
}
