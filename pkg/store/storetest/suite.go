package storetest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

// Harness tells the suite how to reach a backend.
type Harness struct {
	// NewEnv prepares an empty, isolated place for one test (a directory, a database) and
	// returns its name. It registers its own cleanup with t.
	NewEnv func(t *testing.T) string
	// Open opens a store on env. Opening an env again after Close must find what was written.
	Open func(t *testing.T, env string) store.Store
	// Placeholder renders the n-th (1-based) statement parameter; nil means DuckDB's "$n".
	Placeholder func(n int) string
	// LenientNulls treats NULL as equal to the zero value of the expected type, for backends
	// whose columns cannot be NULL.
	LenientNulls bool
}

// Compactor is implemented by stores that rewrite persisted rows in the background; the suite
// calls it so that rewritten rows are checked too.
type Compactor interface {
	Compact(ctx context.Context) error
}

// Flusher is implemented by stores that buffer rows in memory; the suite calls it to make sure
// both buffered and persisted rows are checked.
type Flusher interface {
	Flush(ctx context.Context) error
}

func (h Harness) ph(n int) string {
	if h.Placeholder != nil {
		return h.Placeholder(n)
	}
	return "$" + strconv.Itoa(n)
}

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("RoundTripLogs", func(t *testing.T) { testRoundTripLogs(t, h) })
	t.Run("RoundTripSpans", func(t *testing.T) { testRoundTripSpans(t, h) })
	t.Run("RoundTripMetrics", func(t *testing.T) { testRoundTripMetrics(t, h) })
	t.Run("VisibleAfterWrite", func(t *testing.T) { testVisibleAfterWrite(t, h) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, h) })
	t.Run("Reopen", func(t *testing.T) { testReopen(t, h) })
	t.Run("MaxRows", func(t *testing.T) { testMaxRows(t, h) })
	t.Run("TimeRangePruning", func(t *testing.T) { testTimeRange(t, h) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, h) })
	t.Run("TraceByID", func(t *testing.T) { testTraceByID(t, h) })
	t.Run("UnknownTable", func(t *testing.T) { testUnknownTable(t, h) })
}

func quoteCols(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = `"` + c + `"`
	}
	return strings.Join(q, ", ")
}

// selectWhere builds a query of table's columns filtered by "col = param".
func (h Harness) selectWhere(table string, cols []string, col string, val any, from, to int64) *store.Query {
	return &store.Query{
		Tables: []store.TableScan{{Table: table, From: from, To: to}},
		Build: func(src store.TableSource) (string, []any, error) {
			rel, err := src(table)
			if err != nil {
				return "", nil, err
			}
			return "SELECT " + quoteCols(cols) + " FROM " + rel + ` AS t WHERE "` + col + `" = ` + h.ph(1) +
				` ORDER BY "timestamp"`, []any{val}, nil
		},
	}
}

func (h Harness) count(t *testing.T, s store.Store, table, col string, val any) int64 {
	t.Helper()
	q := &store.Query{
		Tables: []store.TableScan{{Table: table}},
		Build: func(src store.TableSource) (string, []any, error) {
			rel, err := src(table)
			if err != nil {
				return "", nil, err
			}
			return `SELECT count(*) AS n FROM ` + rel + ` AS t WHERE "` + col + `" = ` + h.ph(1), []any{val}, nil
		},
	}
	rows := query(t, s, q)
	if len(rows) != 1 {
		t.Fatalf("count returned %d rows", len(rows))
	}
	n, _ := rows[0]["n"].(int64)
	return n
}

func query(t *testing.T, s store.Store, q *store.Query) []Row {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := s.Query(ctx, q)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer res.Release()
	rows, err := Rows(res)
	if err != nil {
		t.Fatalf("read result: %v", err)
	}
	if int64(len(rows)) != res.Rows {
		t.Fatalf("Result.Rows = %d, records hold %d", res.Rows, len(rows))
	}
	return rows
}

func write(t *testing.T, s store.Store, b *model.Batch) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Write(ctx, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func flush(t *testing.T, s store.Store) {
	t.Helper()
	if f, ok := s.(Flusher); ok {
		if err := f.Flush(context.Background()); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
}

func closeStore(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// checkRows compares got with want row by row (both ordered by timestamp).
func (h Harness) checkRows(t *testing.T, stage string, want, got []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d rows, want %d", stage, len(got), len(want))
	}
	bad := 0
	for i := range want {
		if d := diff(want[i], got[i], h.LenientNulls); d != "" {
			t.Errorf("%s: row %d differs:\n%s", stage, i, d)
			if bad++; bad > 3 {
				t.FailNow()
			}
		}
	}
}

// roundTrip checks the rows while buffered, after a flush and after a reopen.
func (h Harness) roundTrip(t *testing.T, table string, cols []string, service string, b *model.Batch, want []Row) {
	env := h.NewEnv(t)
	s := h.Open(t, env)
	write(t, s, b)
	h.checkRows(t, "right after write", want, query(t, s, h.selectWhere(table, cols, "service", service, 0, 0)))
	flush(t, s)
	h.checkRows(t, "after flush", want, query(t, s, h.selectWhere(table, cols, "service", service, 0, 0)))
	if c, ok := s.(Compactor); ok {
		if err := c.Compact(context.Background()); err != nil {
			t.Fatalf("compact: %v", err)
		}
		h.checkRows(t, "after compaction", want, query(t, s, h.selectWhere(table, cols, "service", service, 0, 0)))
	}
	closeStore(t, s)
	s = h.Open(t, env)
	defer closeStore(t, s)
	h.checkRows(t, "after reopen", want, query(t, s, h.selectWhere(table, cols, "service", service, 0, 0)))
}

func testRoundTripLogs(t *testing.T, h Harness) {
	logs := fixtureLogs("svc-logs", 12)
	want := make([]Row, len(logs))
	for i := range logs {
		want[i] = ExpectLog(&logs[i])
	}
	h.roundTrip(t, "logs", LogColumns, "svc-logs", &model.Batch{Logs: logs}, want)
}

func testRoundTripSpans(t *testing.T, h Harness) {
	spans := fixtureSpans("svc-spans", 9)
	want := make([]Row, len(spans))
	for i := range spans {
		want[i] = ExpectSpan(&spans[i])
	}
	h.roundTrip(t, "spans", SpanColumns, "svc-spans", &model.Batch{Spans: spans}, want)
}

func testRoundTripMetrics(t *testing.T, h Harness) {
	ms := fixtureMetrics("svc-metrics")
	want := make([]Row, len(ms))
	for i := range ms {
		want[i] = ExpectMetric(&ms[i])
	}
	h.roundTrip(t, "metrics", MetricColumns, "svc-metrics", &model.Batch{Metrics: ms}, want)
}

func simpleLogs(service string, n, offset int, t0 int64, step time.Duration) []model.LogRecord {
	res := resource(service)
	logs := make([]model.LogRecord, n)
	for i := range logs {
		k := offset + i
		logs[i] = model.LogRecord{
			Timestamp:      t0 + int64(k)*int64(step),
			SeverityNumber: 9,
			SeverityText:   "INFO",
			Body:           model.StringValue("message " + strconv.Itoa(k)),
			Attributes:     model.Attributes{model.KV("seq", model.IntValue(int64(k)))},
			Resource:       res,
		}
	}
	return logs
}

func testVisibleAfterWrite(t *testing.T, h Harness) {
	s := h.Open(t, h.NewEnv(t))
	defer closeStore(t, s)
	t0 := time.Now().UnixNano()
	for i := 0; i < 10; i++ {
		write(t, s, &model.Batch{Logs: simpleLogs("svc-visible", 7, i*7, t0, time.Millisecond)})
		if n := h.count(t, s, "logs", "service", "svc-visible"); n != int64((i+1)*7) {
			t.Fatalf("after write %d: %d rows visible, want %d", i, n, (i+1)*7)
		}
		if i == 4 {
			flush(t, s)
		}
	}
}

func testConcurrentWriters(t *testing.T, h Harness) {
	s := h.Open(t, h.NewEnv(t))
	defer closeStore(t, s)
	const writers, batches, per = 8, 20, 50
	t0 := time.Now().UnixNano()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				logs := simpleLogs("svc-concurrent", per, (w*batches+b)*per, t0, time.Microsecond)
				if err := s.Write(context.Background(), &model.Batch{Logs: logs}); err != nil {
					errs <- err
					return
				}
				if w == 0 && b == batches/2 {
					if f, ok := s.(Flusher); ok {
						if err := f.Flush(context.Background()); err != nil {
							errs <- err
							return
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent write: %v", err)
	}
	q := &store.Query{
		Tables: []store.TableScan{{Table: "logs"}},
		Build: func(src store.TableSource) (string, []any, error) {
			rel, err := src("logs")
			if err != nil {
				return "", nil, err
			}
			return `SELECT count(*) AS n, count(DISTINCT "body") AS d FROM ` + rel + ` AS t WHERE "service" = ` + h.ph(1), []any{"svc-concurrent"}, nil
		},
	}
	rows := query(t, s, q)
	const total = writers * batches * per
	if rows[0]["n"] != int64(total) || rows[0]["d"] != int64(total) {
		t.Fatalf("got %v rows (%v distinct), want %d", rows[0]["n"], rows[0]["d"], total)
	}
}

func testReopen(t *testing.T, h Harness) {
	env := h.NewEnv(t)
	s := h.Open(t, env)
	t0 := time.Now().UnixNano()
	write(t, s, &model.Batch{Logs: simpleLogs("svc-reopen", 100, 0, t0, time.Millisecond)})
	flush(t, s)
	write(t, s, &model.Batch{Logs: simpleLogs("svc-reopen", 100, 100, t0, time.Millisecond)})
	closeStore(t, s)
	for round := 0; round < 2; round++ {
		s = h.Open(t, env)
		if n := h.count(t, s, "logs", "service", "svc-reopen"); n != 200+int64(round)*50 {
			t.Fatalf("reopen %d: %d rows, want %d", round, n, 200+round*50)
		}
		write(t, s, &model.Batch{Logs: simpleLogs("svc-reopen", 50, 200+round*50, t0, time.Millisecond)})
		closeStore(t, s)
	}
}

func testMaxRows(t *testing.T, h Harness) {
	s := h.Open(t, h.NewEnv(t))
	defer closeStore(t, s)
	t0 := time.Now().UnixNano()
	write(t, s, &model.Batch{Logs: simpleLogs("svc-max", 40, 0, t0, time.Millisecond)})
	flush(t, s)
	write(t, s, &model.Batch{Logs: simpleLogs("svc-max", 40, 40, t0, time.Millisecond)})
	for _, tc := range []struct {
		max       int
		rows      int
		truncated bool
	}{{10, 10, true}, {79, 79, true}, {80, 80, false}, {1000, 80, false}} {
		q := h.selectWhere("logs", []string{"timestamp", "body"}, "service", "svc-max", 0, 0)
		q.MaxRows = tc.max
		ctx := context.Background()
		res, err := s.Query(ctx, q)
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		rows, err := Rows(res)
		res.Release()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != tc.rows || res.Rows != int64(tc.rows) || res.Truncated != tc.truncated {
			t.Fatalf("MaxRows %d: got %d rows (Rows %d), truncated %v; want %d, %v", tc.max, len(rows), res.Rows, res.Truncated, tc.rows, tc.truncated)
		}
		for i, r := range rows { // the first rows in statement order
			if want := t0 + int64(i)*int64(time.Millisecond); r["timestamp"] != want {
				t.Fatalf("MaxRows %d: row %d timestamp %v, want %d", tc.max, i, r["timestamp"], want)
			}
		}
	}
}

func testTimeRange(t *testing.T, h Harness) {
	s := h.Open(t, h.NewEnv(t))
	defer closeStore(t, s)
	hour := int64(time.Hour)
	t0 := time.Now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour).UnixNano()
	// Rows on hour boundaries, one ns either side of them, and across day boundaries.
	var stamps []int64
	for hh := int64(0); hh < 60; hh += 5 {
		stamps = append(stamps, t0+hh*hour-1, t0+hh*hour, t0+hh*hour+1, t0+hh*hour+hour/2)
	}
	res := resource("svc-range")
	mk := func(ts []int64, from int) []model.LogRecord {
		logs := make([]model.LogRecord, len(ts))
		for i, v := range ts {
			logs[i] = model.LogRecord{Timestamp: v, Body: model.StringValue("r" + strconv.Itoa(from+i)), Resource: res}
		}
		return logs
	}
	half := len(stamps) / 2
	write(t, s, &model.Batch{Logs: mk(stamps[:half], 0)})
	flush(t, s)
	write(t, s, &model.Batch{Logs: mk(stamps[half:], half)})
	ranges := [][2]int64{
		{0, 0}, {t0, 0}, {0, t0}, {t0, t0 + hour}, {t0 - 1, t0 + 1}, {t0 + 5*hour, t0 + 5*hour + 1},
		{t0 + 5*hour - 1, t0 + 5*hour}, {t0 + 23*hour, t0 + 26*hour}, {t0 + 24*hour + hour/2, t0 + 40*hour + 1},
		{t0 + 59*hour, 0}, {t0 + 1000*hour, 0},
	}
	for _, r := range ranges {
		q := &store.Query{
			Tables: []store.TableScan{{Table: "logs", From: r[0], To: r[1]}},
			Build: func(src store.TableSource) (string, []any, error) {
				rel, err := src("logs")
				if err != nil {
					return "", nil, err
				}
				return `SELECT "timestamp", "body" FROM ` + rel + ` AS t WHERE "service" = ` + h.ph(1), []any{"svc-range"}, nil
			},
		}
		got := map[string]bool{}
		for _, row := range query(t, s, q) {
			got[row["body"].(string)] = true
		}
		var missing []string
		for i, v := range stamps {
			if (r[0] == 0 || v >= r[0]) && (r[1] == 0 || v < r[1]) && !got["r"+strconv.Itoa(i)] {
				missing = append(missing, fmt.Sprintf("r%d@%d", i, v))
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			t.Errorf("range [%d, %d): pruning dropped %d rows in range: %v", r[0], r[1], len(missing), missing)
		}
	}
}

func testUnknownTable(t *testing.T, h Harness) {
	s := h.Open(t, h.NewEnv(t))
	defer closeStore(t, s)
	q := &store.Query{
		Tables: []store.TableScan{{Table: "no_such_table"}},
		Build: func(src store.TableSource) (string, []any, error) {
			rel, err := src("no_such_table")
			if err != nil {
				return "", nil, err
			}
			return "SELECT * FROM " + rel, nil, nil
		},
	}
	if res, err := s.Query(context.Background(), q); err == nil {
		res.Release()
		t.Fatal("query of an unknown table succeeded")
	}
}

// testFilters checks that filters and projections on every kind of column select exactly the
// matching rows, in buffered and persisted rows alike.
func testFilters(t *testing.T, h Harness) {
	s := h.Open(t, h.NewEnv(t))
	defer closeStore(t, s)
	t0 := time.Now().Add(-time.Minute).UnixNano()
	mk := func(offset int) []model.LogRecord {
		logs := append(simpleLogs("svc-filter-a", 30, offset, t0, time.Millisecond),
			simpleLogs("svc-filter-b", 30, offset+30, t0, time.Millisecond)...)
		for i := range logs {
			logs[i].SeverityNumber = model.SeverityNumber(i % 3)
			logs[i].Attributes = append(logs[i].Attributes, model.StringKV("parity", strconv.Itoa(i%2)))
		}
		return logs
	}
	write(t, s, &model.Batch{Logs: mk(0)})
	flush(t, s)
	write(t, s, &model.Batch{Logs: mk(60)})
	for _, tc := range []struct {
		where string
		arg   any
		want  int64
	}{
		{`"service" = ` + h.ph(1), "svc-filter-a", 60},
		{`"service" = ` + h.ph(1), "svc-filter-b", 60},
		{`"severity_number" = ` + h.ph(1), int32(1), 40},
		{`"body" = ` + h.ph(1), "message 61", 1},
		{`"attributes"['parity'] = ` + h.ph(1), "1", 60},
		{`"timestamp" >= ` + h.ph(1), time.Unix(0, t0+int64(100*time.Millisecond)).UTC(), 20},
	} {
		q := &store.Query{
			Tables: []store.TableScan{{Table: "logs"}},
			Build: func(src store.TableSource) (string, []any, error) {
				rel, err := src("logs")
				if err != nil {
					return "", nil, err
				}
				return `SELECT count(*) AS n, min("body") AS b FROM ` + rel + ` AS t WHERE "service" LIKE 'svc-filter-%' AND ` + tc.where, []any{tc.arg}, nil
			},
		}
		rows := query(t, s, q)
		if rows[0]["n"] != tc.want {
			t.Errorf("WHERE %s (%v): %v rows, want %d", tc.where, tc.arg, rows[0]["n"], tc.want)
		}
	}
}

// testTraceByID reads every span of one trace, the hot read of the trace view, from buffered
// and persisted spans.
func testTraceByID(t *testing.T, h Harness) {
	s := h.Open(t, h.NewEnv(t))
	defer closeStore(t, s)
	spans := fixtureSpans("svc-trace", 12) // traces of two spans each: traceID(i/2)
	write(t, s, &model.Batch{Spans: spans[:6]})
	flush(t, s)
	write(t, s, &model.Batch{Spans: spans[6:]})
	for _, k := range []int{0, 2, 5} {
		tid := traceID(k).String()
		rows := query(t, s, h.selectWhere("spans", []string{"timestamp", "trace_id", "span_id", "parent_span_id"}, "trace_id", tid, 0, 0))
		if len(rows) != 2 {
			t.Fatalf("trace %s: %d spans, want 2", tid, len(rows))
		}
		for i, r := range rows {
			want := &spans[2*k+i]
			if r["trace_id"] != tid || r["span_id"] != want.SpanID.String() || r["parent_span_id"] != want.ParentSpanID.String() {
				t.Errorf("trace %s span %d: got %v, want span %s parent %q", tid, i, r, want.SpanID, want.ParentSpanID)
			}
		}
	}
}
