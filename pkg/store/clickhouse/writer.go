package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/ch-go"
	chproto "github.com/ClickHouse/ch-go/proto"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

// inserter sends one flush's rows. The store's is chInserter (ch-go's native protocol client);
// tests substitute the ClickHouse engine in-process, or failing or slow fakes. insert only reads
// buf, and not after it returns.
type inserter interface {
	insert(ctx context.Context, t *tableSpec, buf colBuffer) error
}

// generation is the set of rows of one table that will go out in one batch. Writers whose rows
// are in it wait on done and then read err.
type generation struct {
	buf   colBuffer
	rows  int
	first time.Time
	done  chan struct{}
	err   error
}

// tableQueue buffers one table and owns the goroutine that flushes it, so a table's batches are
// sent one at a time and in order while other tables flush in parallel.
type tableQueue struct {
	spec  *tableSpec
	index int // of spec in tableSpecs
	mu    sync.Mutex
	cur   *generation
	spare colBuffer // the previous generation's buffer, reused to keep its columns' capacity
	kick  chan struct{}
}

// Stats are the writer's counters since Open.
type Stats struct {
	RowsInserted  int64 // rows acknowledged by ClickHouse
	Batches       int64 // batches sent successfully
	RowsFailed    int64 // rows whose batch failed (their writers got an error)
	FailedBatches int64
	RowsPending   int64 // rows buffered or in flight now
}

type writer struct {
	opts    *Options
	ins     inserter
	queues  [numTables]*tableQueue
	pending atomic.Int64
	stats   struct{ rows, batches, failedRows, failedBatches atomic.Int64 }

	// downUntil (Unix ns) is when writes stop failing fast after a connection-level failure.
	downUntil atomic.Int64
	downErr   atomic.Pointer[error]

	closeMu sync.RWMutex
	closed  bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

func newWriter(o *Options, ins inserter) *writer {
	w := &writer{opts: o, ins: ins, stop: make(chan struct{})}
	for i := range w.queues {
		q := &tableQueue{spec: &tableSpecs[i], index: i, kick: make(chan struct{}, 1)}
		q.cur = q.newGeneration()
		w.queues[i] = q
		w.wg.Add(1)
		go w.flushLoop(q)
	}
	return w
}

func (q *tableQueue) newGeneration() *generation {
	buf := q.spare
	q.spare = nil
	if buf == nil {
		buf = newColBuffer(q.index)
	}
	return &generation{buf: buf, done: make(chan struct{})}
}

func (q *tableQueue) signal() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Write buffers the batch's rows and waits until every table they went to has been flushed.
func (w *writer) Write(ctx context.Context, b *model.Batch) error {
	n := b.Len()
	if n == 0 {
		return nil
	}
	gens, err := w.buffer(b, n)
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range gens {
		if g == nil {
			continue
		}
		select {
		case <-g.done:
			if g.err != nil {
				errs = append(errs, g.err)
			}
		case <-ctx.Done():
			// The rows stay queued and may still be inserted; the caller retries, so a
			// cancelled request can be stored twice but never silently lost.
			return fmt.Errorf("cannot write: %w", ctx.Err())
		}
	}
	return errors.Join(errs...)
}

// buffer admits the batch's n rows and appends them to the current generation of each table
// they go to, which it returns. Close waits for it, so rows buffered before Close are flushed
// by Close.
func (w *writer) buffer(b *model.Batch, n int) ([numTables]*generation, error) {
	var gens [numTables]*generation
	w.closeMu.RLock()
	defer w.closeMu.RUnlock()
	if w.closed {
		return gens, fmt.Errorf("cannot write: %w", store.ErrClosed)
	}
	if until := w.downUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		cause := errors.New("unknown error")
		if p := w.downErr.Load(); p != nil {
			cause = *p
		}
		return gens, fmt.Errorf("cannot write: %w (last insert failed: %v)", store.ErrUnavailable, cause)
	}
	// Check metric types before buffering anything, so a bad point leaves no partial batch.
	tables := make([]int, len(b.Metrics))
	for i := range b.Metrics {
		t, err := metricTable(b.Metrics[i].Type)
		if err != nil {
			return gens, err
		}
		tables[i] = t
	}
	// A batch larger than the whole limit is still taken when nothing else is pending, so that
	// no request is refused forever.
	if total := w.pending.Add(int64(n)); total > int64(w.opts.MaxPendingRows) && total > int64(n) {
		w.pending.Add(-int64(n))
		return gens, fmt.Errorf("cannot write %d rows: %w (%d rows already pending, limit %d)", n, store.ErrOverloaded, total-int64(n), w.opts.MaxPendingRows)
	}
	var counts [numTables]int
	counts[idxLogs], counts[idxTraces] = len(b.Logs), len(b.Spans)
	for _, t := range tables {
		counts[t]++
	}
	for t, c := range counts {
		if c == 0 {
			continue
		}
		q := w.queues[t]
		q.mu.Lock()
		g := q.cur
		if g.rows == 0 {
			g.first = time.Now()
		}
		switch t {
		case idxLogs:
			buf := g.buf.(*colLogs)
			for i := range b.Logs {
				buf.addLog(&b.Logs[i])
			}
		case idxTraces:
			buf := g.buf.(*colTraces)
			for i := range b.Spans {
				buf.addSpan(&b.Spans[i])
			}
		default:
			buf := g.buf.(*colMetrics)
			for i := range b.Metrics {
				if tables[i] == t {
					buf.addPoint(&b.Metrics[i])
				}
			}
		}
		first := g.rows == 0
		g.rows += c
		full := g.rows >= w.opts.FlushRows
		q.mu.Unlock()
		if first || full {
			q.signal()
		}
		gens[t] = g
	}
	return gens, nil
}

// flushLoop sends q's generations: when one reaches FlushRows, or FlushInterval after its first
// row, or at Close.
func (w *writer) flushLoop(q *tableQueue) {
	defer w.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-q.kick:
		case <-w.stop:
			w.flush(q)
			return
		}
		q.mu.Lock()
		rows, first := q.cur.rows, q.cur.first
		q.mu.Unlock()
		if rows == 0 {
			continue
		}
		if rows < w.opts.FlushRows {
			if wait := time.Until(first.Add(w.opts.FlushInterval)); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-q.kick: // filled up
					timer.Stop()
				case <-w.stop:
					timer.Stop()
					w.flush(q)
					return
				}
			}
		}
		w.flush(q)
		// Rows that arrived during the insert start their own interval.
		q.mu.Lock()
		more := q.cur.rows > 0
		q.mu.Unlock()
		if more {
			q.signal()
		}
	}
}

// flush sends the current generation of q, if any, and wakes its writers.
func (w *writer) flush(q *tableQueue) {
	q.mu.Lock()
	g := q.cur
	if g.rows == 0 {
		q.mu.Unlock()
		return
	}
	q.cur = q.newGeneration()
	q.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), w.opts.InsertTimeout)
	err := w.ins.insert(ctx, q.spec, g.buf)
	cancel()
	if err != nil {
		g.err = w.classify(q.spec.name, g.rows, err)
		w.stats.failedRows.Add(int64(g.rows))
		w.stats.failedBatches.Add(1)
	} else {
		w.stats.rows.Add(int64(g.rows))
		w.stats.batches.Add(1)
		w.downUntil.Store(0)
	}
	w.pending.Add(-int64(g.rows))
	close(g.done)
	g.buf.reset()
	q.mu.Lock()
	q.spare = g.buf
	q.mu.Unlock()
	g.buf = nil
}

// Server error codes that mean "slow down" rather than "broken".
var overloadCodes = []chproto.Error{
	chproto.ErrTooManySimultaneousQueries,
	chproto.ErrMemoryLimitExceeded,
	chproto.ErrTooManyParts,
	chproto.ErrTooManyRowsOrBytes,
}

// classify wraps an insert failure in the store's sentinel errors. Every failure is retryable
// for the client: rows of a failed batch are not stored and nothing is dropped silently. A
// server exception (ch-go's *ch.Exception) is ErrOverloaded for the codes above and
// ErrUnavailable otherwise. Anything else means the connection failed, timed out or was refused:
// ErrUnavailable, and Write also fails fast for RetryBackoff, so a down server costs callers
// nothing but an error; the next write after the backoff probes it again (on a new connection).
func (w *writer) classify(table string, rows int, err error) error {
	if ex, ok := ch.AsException(err); ok {
		if ex.IsCode(overloadCodes...) {
			return fmt.Errorf("cannot insert %d rows into %s: %w: %v", rows, table, store.ErrOverloaded, err)
		}
		return fmt.Errorf("cannot insert %d rows into %s: %w: %v", rows, table, store.ErrUnavailable, err)
	}
	w.downErr.Store(&err)
	w.downUntil.Store(time.Now().Add(w.opts.RetryBackoff).UnixNano())
	w.opts.logger().Warn("ClickHouse insert failed; failing writes fast until the next probe", "table", table, "rows", rows, "err", err, "backoff", w.opts.RetryBackoff)
	return fmt.Errorf("cannot insert %d rows into %s: %w: %v", rows, table, store.ErrUnavailable, err)
}

// close flushes every queue, stops the flushers and closes the inserter's connections. Writes
// after close fail with ErrClosed.
func (w *writer) close() {
	w.closeMu.Lock()
	if w.closed {
		w.closeMu.Unlock()
		return
	}
	w.closed = true
	w.closeMu.Unlock()
	close(w.stop)
	w.wg.Wait()
	// The inserter's connections are the writer's alone (reads and DDL have their own).
	if c, ok := w.ins.(io.Closer); ok {
		_ = c.Close()
	}
}

func (w *writer) statsSnapshot() Stats {
	return Stats{
		RowsInserted:  w.stats.rows.Load(),
		Batches:       w.stats.batches.Load(),
		RowsFailed:    w.stats.failedRows.Load(),
		FailedBatches: w.stats.failedBatches.Load(),
		RowsPending:   w.pending.Load(),
	}
}
