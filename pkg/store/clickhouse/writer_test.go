package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go"
	chproto "github.com/ClickHouse/ch-go/proto"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

// fakeInserter records inserted row counts per table and fails or blocks on demand.
type fakeInserter struct {
	mu    sync.Mutex
	rows  map[string]int
	calls atomic.Int64
	fail  atomic.Pointer[error]
	block chan struct{} // when not nil, insert waits for it (or ctx)
}

func (f *fakeInserter) insert(ctx context.Context, t *tableSpec, buf colBuffer) error {
	f.calls.Add(1)
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if p := f.fail.Load(); p != nil {
		return *p
	}
	if n := len(buf.input()); n != len(t.cols) {
		return errors.New("column count mismatch")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rows == nil {
		f.rows = map[string]int{}
	}
	f.rows[t.name] += buf.len()
	return nil
}

func (f *fakeInserter) count(table string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rows[table]
}

func writerOptions() *Options {
	o := DefaultOptions()
	o.FlushRows = 10
	o.FlushInterval = 20 * time.Millisecond
	o.MaxPendingRows = 20
	o.InsertTimeout = 200 * time.Millisecond
	o.RetryBackoff = 300 * time.Millisecond
	o.Logger = slog.New(slog.DiscardHandler)
	return &o
}

func logsBatch(n int) *model.Batch {
	res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "w")}}
	b := &model.Batch{}
	for i := range n {
		b.Logs = append(b.Logs, model.LogRecord{Timestamp: int64(i + 1), Body: model.StringValue("x"), Resource: res})
	}
	return b
}

func TestWriteReturnsAfterInsertAndRoutesTables(t *testing.T) {
	ins := &fakeInserter{}
	w := newWriter(writerOptions(), ins)
	defer w.close()
	b := sampleBatch()
	if err := w.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{tableLogs: 3, tableTraces: 2, tableGauge: 1, tableSum: 1, tableHistogram: 2, tableExpHist: 1, tableSummary: 1} {
		if got := ins.count(table); got != want {
			t.Errorf("%s: %d rows inserted when Write returned, want %d", table, got, want)
		}
	}
	if st := w.statsSnapshot(); st.RowsInserted != int64(b.Len()) || st.RowsPending != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestWriteFlushesBySize(t *testing.T) {
	o := writerOptions()
	o.FlushInterval = time.Hour
	ins := &fakeInserter{}
	w := newWriter(o, ins)
	defer w.close()
	start := time.Now()
	if err := w.Write(context.Background(), logsBatch(10)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a full buffer waited %s for the interval", d)
	}
}

func TestWriteCoalescesConcurrentWriters(t *testing.T) {
	o := writerOptions()
	o.FlushInterval = 50 * time.Millisecond
	o.MaxPendingRows = 1000
	ins := &fakeInserter{}
	w := newWriter(o, ins)
	defer w.close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Write(context.Background(), logsBatch(3)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := ins.count(tableLogs); got != 24 {
		t.Fatalf("%d rows inserted, want 24", got)
	}
	if calls := ins.calls.Load(); calls >= 8 {
		t.Errorf("%d inserts for 8 small writes; want them batched", calls)
	}
}

func TestWriteFailsFastWhileDownAndRecovers(t *testing.T) {
	o := writerOptions()
	ins := &fakeInserter{}
	down := error(errors.New("dial tcp 127.0.0.1:9000: connect: connection refused"))
	ins.fail.Store(&down)
	w := newWriter(o, ins)
	defer w.close()
	err := w.Write(context.Background(), logsBatch(2))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("first write: %v, want ErrUnavailable", err)
	}
	calls := ins.calls.Load()
	start := time.Now()
	err = w.Write(context.Background(), logsBatch(2))
	if !errors.Is(err, store.ErrUnavailable) || time.Since(start) > 10*time.Millisecond || ins.calls.Load() != calls {
		t.Fatalf("write while down: %v after %s (%d inserts), want an immediate ErrUnavailable", err, time.Since(start), ins.calls.Load()-calls)
	}
	if st := w.statsSnapshot(); st.RowsFailed != 2 || st.RowsPending != 0 {
		t.Errorf("stats %+v", st)
	}
	ins.fail.Store(nil)
	time.Sleep(o.RetryBackoff)
	if err := w.Write(context.Background(), logsBatch(2)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if err := w.Write(context.Background(), logsBatch(2)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestWriteOverloadedWhenBacklogFull(t *testing.T) {
	o := writerOptions()
	o.InsertTimeout = 10 * time.Second
	ins := &fakeInserter{block: make(chan struct{})}
	w := newWriter(o, ins)
	defer w.close()
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- w.Write(context.Background(), logsBatch(10)) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.pending.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	err := w.Write(context.Background(), logsBatch(1))
	if !errors.Is(err, store.ErrOverloaded) || time.Since(start) > 10*time.Millisecond {
		t.Fatalf("write over the limit: %v after %s, want an immediate ErrOverloaded", err, time.Since(start))
	}
	close(ins.block)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := ins.count(tableLogs); got != 20 {
		t.Fatalf("%d rows inserted, want 20 (none dropped)", got)
	}
}

func TestWriteTakesOversizedBatchWhenIdle(t *testing.T) {
	ins := &fakeInserter{}
	w := newWriter(writerOptions(), ins) // MaxPendingRows 20
	defer w.close()
	if err := w.Write(context.Background(), logsBatch(50)); err != nil {
		t.Fatalf("oversized batch on an idle store: %v", err)
	}
	if got := ins.count(tableLogs); got != 50 {
		t.Fatalf("%d rows inserted, want 50", got)
	}
}

func TestWriteSlowServerTimesOut(t *testing.T) {
	o := writerOptions()
	o.InsertTimeout = 100 * time.Millisecond
	ins := &fakeInserter{block: make(chan struct{})} // never released
	w := newWriter(o, ins)
	defer w.close()
	start := time.Now()
	err := w.Write(context.Background(), logsBatch(1))
	if !errors.Is(err, store.ErrUnavailable) || time.Since(start) > 2*time.Second {
		t.Fatalf("slow insert: %v after %s, want ErrUnavailable after ~100ms", err, time.Since(start))
	}
}

func TestWriteServerErrorsMapToSentinels(t *testing.T) {
	o := writerOptions()
	ins := &fakeInserter{}
	w := newWriter(o, ins)
	defer w.close()
	tooMany := fmt.Errorf("cannot insert: %w", &ch.Exception{Code: chproto.ErrTooManyParts, Name: "DB::Exception", Message: "Too many parts"})
	ins.fail.Store(&tooMany)
	if err := w.Write(context.Background(), logsBatch(1)); !errors.Is(err, store.ErrOverloaded) {
		t.Fatalf("TOO_MANY_PARTS: %v, want ErrOverloaded", err)
	}
	other := error(&ch.Exception{Code: chproto.ErrNoSuchColumnInTable, Name: "DB::Exception", Message: "No such column"})
	ins.fail.Store(&other)
	if err := w.Write(context.Background(), logsBatch(1)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("server exception: %v, want ErrUnavailable", err)
	}
	// A server exception is no sign of a dead server: the next write tries again.
	calls := ins.calls.Load()
	_ = w.Write(context.Background(), logsBatch(1))
	if ins.calls.Load() == calls {
		t.Fatal("writes fail fast after a server exception")
	}
}

func TestCloseFlushesThenRejects(t *testing.T) {
	o := writerOptions()
	o.FlushInterval = time.Hour
	ins := &fakeInserter{}
	w := newWriter(o, ins)
	done := make(chan error, 1)
	go func() { done <- w.Write(context.Background(), logsBatch(3)) }()
	for w.pending.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	w.close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := ins.count(tableLogs); got != 3 {
		t.Fatalf("%d rows flushed at close, want 3", got)
	}
	if err := w.Write(context.Background(), logsBatch(1)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestWriteRejectsUnknownMetricTypeWholly(t *testing.T) {
	ins := &fakeInserter{}
	w := newWriter(writerOptions(), ins)
	defer w.close()
	b := logsBatch(2)
	b.Metrics = []model.MetricPoint{{Name: "x", Type: 99}}
	if err := w.Write(context.Background(), b); err == nil {
		t.Fatal("unknown metric type accepted")
	}
	time.Sleep(50 * time.Millisecond)
	if ins.count(tableLogs) != 0 || w.pending.Load() != 0 {
		t.Fatal("part of a rejected batch was buffered")
	}
}

func TestWriteCanceledContextReturnsEarly(t *testing.T) {
	o := writerOptions()
	o.InsertTimeout = 10 * time.Second
	ins := &fakeInserter{block: make(chan struct{})}
	w := newWriter(o, ins)
	defer w.close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Write(ctx, logsBatch(1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	close(ins.block)
}
