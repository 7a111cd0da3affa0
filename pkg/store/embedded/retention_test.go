//go:build duckdb_arrow

package embedded

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/rollup"
	"github.com/heimsight/heimsight/pkg/store"
)

func retentionTestStore(t *testing.T, dir string, now time.Time) *Store {
	t.Helper()
	o := DefaultOptions(dir)
	o.CompactInterval = 0
	o.FlushInterval = time.Hour
	o.QueryConns = 1
	o.now = func() time.Time { return now }
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// retentionBatch has, per table, n rows at each of the given times.
func retentionBatch(n int, logs, spans, metrics []time.Time) *model.Batch {
	b := &model.Batch{}
	res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "ret")}}
	for _, ts := range logs {
		for i := 0; i < n; i++ {
			b.Logs = append(b.Logs, model.LogRecord{Timestamp: ts.UnixNano() + int64(i), SeverityText: "INFO",
				Body: model.StringValue("log " + strconv.Itoa(i)), Resource: res})
		}
	}
	for _, ts := range spans {
		for i := 0; i < n; i++ {
			b.Spans = append(b.Spans, model.Span{TraceID: model.TraceID{1}, SpanID: model.SpanID{byte(i + 1)}, Name: "op",
				StartTimestamp: ts.UnixNano() + int64(i), EndTimestamp: ts.UnixNano() + int64(i) + 1000, Resource: res})
		}
	}
	for _, ts := range metrics {
		for i := 0; i < n; i++ {
			b.Metrics = append(b.Metrics, model.MetricPoint{Name: "m", Type: model.MetricGauge, Timestamp: ts.UnixNano() + int64(i),
				Value: float64(i), Resource: res})
		}
	}
	return b
}

func countRows(t *testing.T, s *Store, table string) int64 {
	t.Helper()
	res, err := s.Query(context.Background(), &store.Query{
		Tables: []store.TableScan{{Table: table}},
		Build: func(src store.TableSource) (string, []any, error) {
			rel, err := src(table)
			return `SELECT count(*) FROM ` + rel + ` AS t`, nil, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	v, _ := strconv.ParseInt(res.Records[0].Column(0).ValueStr(0), 10, 64)
	return v
}

func ageOf(t *testing.T, s *Store, table string) retention.TableAge {
	t.Helper()
	ages, err := s.DataAge(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ages {
		if a.Table == table {
			return a
		}
	}
	t.Fatalf("no data age for %s", table)
	return retention.TableAge{}
}

func TestRetentionDeletesExpiredPartitions(t *testing.T) {
	const day = 24 * time.Hour
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 12, 30, 0, 0, time.UTC)
	s := retentionTestStore(t, dir, now)
	defer s.Close()

	// logs: 40 d and 29 d old and now; spans: 31 d and 1 d; metrics: 100 d, 89 d 23 h (inside
	// the hour that straddles the cutoff: kept) and now.
	logsAt := []time.Time{now.Add(-40 * day), now.Add(-29 * day), now.Add(-time.Minute)}
	spansAt := []time.Time{now.Add(-31 * day), now.Add(-day)}
	metricsAt := []time.Time{now.Add(-100 * day), now.Add(-90*day + 10*time.Minute), now.Add(-time.Minute)}
	if err := s.Write(context.Background(), retentionBatch(50, logsAt, spansAt, metricsAt)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countFiles(t, dir, ".parquet"); n != 8 {
		t.Fatalf("%d parts before retention, want 8", n)
	}
	before := ageOf(t, s, "logs")
	if before.Rows != 150 || !before.Oldest.Equal(logsAt[0]) || !before.Newest.Equal(logsAt[2].Add(49)) || before.Bytes == 0 {
		t.Fatalf("logs age before: %+v", before)
	}

	// A query in flight holds the expired spans part: it must keep its file until it ends.
	_, held := s.snapshot(1, 0, 0)

	if err := s.ApplyRetention(context.Background(), retention.Defaults()); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int64{"logs": 100, "spans": 50, "metrics": 100} {
		if got := countRows(t, s, table); got != want {
			t.Errorf("%s: %d rows after retention, want %d", table, got, want)
		}
	}
	after := ageOf(t, s, "logs")
	if after.Rows != 100 || !after.Oldest.Equal(logsAt[1]) || after.Bytes >= before.Bytes {
		t.Errorf("logs age after: %+v (bytes before %d)", after, before.Bytes)
	}
	if m := ageOf(t, s, "metrics"); !m.Oldest.Equal(metricsAt[1]) || m.DataType != "metrics" {
		t.Errorf("metrics age after: %+v", m)
	}
	if sp := ageOf(t, s, "spans"); sp.DataType != "traces" || sp.Rows != 50 {
		t.Errorf("spans age after: %+v", sp)
	}
	// Expired partitions' directories are gone, except the one the query still reads.
	for _, ts := range []time.Time{logsAt[0], metricsAt[0]} {
		table := "logs"
		if ts.Equal(metricsAt[0]) {
			table = "metrics"
		}
		date := filepath.Join(dir, table, "date="+ts.Format("2006-01-02"))
		if _, err := os.Stat(date); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists: %v", date, err)
		}
	}
	var heldExpired string
	for _, p := range held {
		if p.removed {
			heldExpired = p.path
		}
	}
	if heldExpired == "" {
		t.Fatal("the expired spans part was not marked removed")
	}
	if _, err := os.Stat(heldExpired); err != nil {
		t.Errorf("a part used by a running query was deleted: %v", err)
	}
	s.releaseParts(held)
	if _, err := os.Stat(heldExpired); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("expired part still there after the query ended: %v", err)
	}
	// The next enforcement sweeps the directory the query kept.
	if err := s.EnforceRetention(context.Background(), retention.Defaults()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(heldExpired))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty partition of the held part not swept: %v", err)
	}
	if n := countFiles(t, dir, ".parquet"); n != 5 {
		t.Errorf("%d parts after retention, want 5", n)
	}

	// A shorter policy applies at once; a reopened store finds only what is left.
	p, err := retention.Defaults().Set("logs", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyRetention(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, s, "logs"); got != 50 {
		t.Errorf("logs after 1-day retention: %d rows, want 50", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.EnforceRetention(context.Background(), p); !errors.Is(err, store.ErrClosed) {
		t.Errorf("enforcement on a closed store: %v", err)
	}
	s2 := retentionTestStore(t, dir, now)
	defer s2.Close()
	if got := countRows(t, s2, "logs"); got != 50 {
		t.Errorf("reopened: %d logs, want 50", got)
	}
	// Parts found on disk have no row count until DataAge reads their footers once.
	if a := ageOf(t, s2, "metrics"); a.Rows != 100 {
		t.Errorf("reopened metrics age: %+v", a)
	}
	for _, pt := range s2.parts[2] {
		if pt.rows != 50 {
			t.Errorf("part %s: rows %d after DataAge, want 50 remembered", pt.path, pt.rows)
		}
	}
}

// Rows still in memory count in the data age; an expired row in memory is written by the next
// flush and deleted by the enforcement after it.
func TestRetentionBufferedRows(t *testing.T) {
	const day = 24 * time.Hour
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 12, 30, 0, 0, time.UTC)
	s := retentionTestStore(t, dir, now)
	defer s.Close()
	old, recent := now.Add(-45*day), now.Add(-2*time.Hour)
	if err := s.Write(context.Background(), retentionBatch(3, []time.Time{old, recent}, nil, nil)); err != nil {
		t.Fatal(err)
	}
	a := ageOf(t, s, "logs")
	if a.Rows != 6 || !a.Oldest.Equal(old) || !a.Newest.Equal(recent.Add(2)) || a.Bytes != 0 {
		t.Fatalf("buffered age: %+v", a)
	}
	if err := s.EnforceRetention(context.Background(), retention.Defaults()); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, s, "logs"); got != 6 {
		t.Errorf("in-memory rows deleted: %d left", got)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.EnforceRetention(context.Background(), retention.Defaults()); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, s, "logs"); got != 3 {
		t.Errorf("after flush and enforcement: %d logs, want 3", got)
	}
	if a := ageOf(t, s, "logs"); !a.Oldest.Equal(recent) || a.Rows != 3 {
		t.Errorf("age after: %+v", a)
	}
	// Compacted parts (written by DuckDB) carry statistics too.
	s.opts.CompactAfter = 0
	if err := s.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries := countFiles(t, dir, ".parquet")
	if a := ageOf(t, s, "logs"); !a.Oldest.Equal(recent) || !a.Newest.Equal(recent.Add(2)) || a.Rows != 3 {
		t.Errorf("age after compaction (%d parts): %+v", entries, a)
	}
	if !strings.HasPrefix(filepath.Base(s.parts[0][0].path), "c-") {
		t.Errorf("part not compacted: %s", s.parts[0][0].path)
	}
}

// An hour that retention expires while it is being compacted stays gone: the compaction's new
// part is dropped, not published.
func TestRetentionDuringCompaction(t *testing.T) {
	s := openTest(t, testOptions(t.TempDir()))
	ctx := context.Background()
	old := time.Now().UTC().Truncate(time.Hour).Add(-72 * time.Hour).UnixNano()
	for k := 0; k < 2; k++ {
		mustWrite(t, s, seqLogs(k*10, 10, old+int64(k)*int64(time.Minute), time.Second))
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p, err := retention.Defaults().Set(rollup.Logs, 1)
	if err != nil {
		t.Fatal(err)
	}
	enforced := false
	s.hooks.beforeCompactPublish = func() error {
		enforced = true
		return s.EnforceRetention(ctx, p)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if !enforced {
		t.Fatal("the hour was not compacted")
	}
	if got := bodies(t, s); len(got) != 0 {
		t.Errorf("rows of an expired hour are back after its compaction: %d", len(got))
	}
	if n := countFiles(t, s.opts.Dir, ".parquet"); n != 0 {
		t.Errorf("%d Parquet files left of an expired hour", n)
	}
}
