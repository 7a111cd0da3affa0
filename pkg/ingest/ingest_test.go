package ingest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

// blockingWriter holds every Write until release is closed.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	err     error
	mu      sync.Mutex
	rows    int
}

func (w *blockingWriter) Write(ctx context.Context, b *model.Batch) error {
	if w.entered != nil {
		w.entered <- struct{}{}
	}
	if w.release != nil {
		<-w.release
	}
	if w.err != nil {
		return w.err
	}
	w.mu.Lock()
	w.rows += b.Len()
	w.mu.Unlock()
	return nil
}

func logs(n int) *model.Batch {
	return &model.Batch{Logs: make([]model.LogRecord, n)}
}

func TestSubmitCountsAndWrites(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	w := &blockingWriter{}
	opts := DefaultOptions()
	opts.Registerer = reg
	p, err := New(w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Submit(context.Background(), Logs, logs(3), 2, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Submit(context.Background(), Traces, &model.Batch{}, 4, 10); err != nil {
		t.Fatal(err)
	}
	if w.rows != 3 {
		t.Fatalf("written rows = %d, want 3", w.rows)
	}
	want := `
# HELP heimsight_ingest_records_accepted_total Records durably written by signal.
# TYPE heimsight_ingest_records_accepted_total counter
heimsight_ingest_records_accepted_total{signal="logs"} 3
heimsight_ingest_records_accepted_total{signal="metrics"} 0
heimsight_ingest_records_accepted_total{signal="traces"} 0
# HELP heimsight_ingest_records_received_total Records received by signal, valid or not.
# TYPE heimsight_ingest_records_received_total counter
heimsight_ingest_records_received_total{signal="logs"} 5
heimsight_ingest_records_received_total{signal="metrics"} 0
heimsight_ingest_records_received_total{signal="traces"} 4
# HELP heimsight_ingest_records_rejected_total Invalid records dropped from otherwise accepted requests (reported in partial_success).
# TYPE heimsight_ingest_records_rejected_total counter
heimsight_ingest_records_rejected_total{signal="logs"} 2
heimsight_ingest_records_rejected_total{signal="metrics"} 0
heimsight_ingest_records_rejected_total{signal="traces"} 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"heimsight_ingest_records_accepted_total", "heimsight_ingest_records_received_total",
		"heimsight_ingest_records_rejected_total"); err != nil {
		t.Fatal(err)
	}
	if rows, bytes := p.Inflight(); rows != 0 || bytes != 0 {
		t.Fatalf("inflight after writes = %d rows %d bytes", rows, bytes)
	}
}

func TestSubmitOverloaded(t *testing.T) {
	w := &blockingWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	p, err := New(w, Options{MaxInflightRows: 10, MaxInflightBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	// A request bigger than the limit is still admitted into an empty pipeline.
	go func() { done <- submitErr(p.Submit(context.Background(), Logs, logs(15), 0, 10)) }()
	<-w.entered
	if rows, _ := p.Inflight(); rows != 15 {
		t.Fatalf("inflight rows = %d, want 15", rows)
	}
	_, err = p.Submit(context.Background(), Logs, logs(1), 0, 10)
	if !errors.Is(err, store.ErrOverloaded) {
		t.Fatalf("second submit error = %v, want ErrOverloaded", err)
	}
	close(w.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rows, bytes := p.Inflight(); rows != 0 || bytes != 0 {
		t.Fatalf("inflight after release = %d rows %d bytes", rows, bytes)
	}
	if _, err := p.Submit(context.Background(), Logs, logs(5), 0, 2000); err != nil {
		t.Fatalf("submit after release: %v", err)
	}
	if w.rows != 20 {
		t.Fatalf("written rows = %d, want 20", w.rows)
	}
}

func TestSubmitOverloadedByBytes(t *testing.T) {
	w := &blockingWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	p, _ := New(w, Options{MaxInflightRows: 1000, MaxInflightBytes: 100})
	done := make(chan error, 1)
	go func() {
		done <- submitErr(p.Submit(context.Background(), Metrics, &model.Batch{Metrics: make([]model.MetricPoint, 1)}, 0, 90))
	}()
	<-w.entered
	if _, err := p.Submit(context.Background(), Metrics, &model.Batch{Metrics: make([]model.MetricPoint, 1)}, 0, 20); !errors.Is(err, store.ErrOverloaded) {
		t.Fatalf("error = %v, want ErrOverloaded", err)
	}
	close(w.release)
	<-done
}

func TestSubmitStoreError(t *testing.T) {
	w := &blockingWriter{err: store.ErrClosed}
	p, _ := New(w, DefaultOptions())
	_, err := p.Submit(context.Background(), Logs, logs(2), 0, 0)
	if !errors.Is(err, store.ErrClosed) {
		t.Fatalf("error = %v, want ErrClosed", err)
	}
	if rows, _ := p.Inflight(); rows != 0 {
		t.Fatalf("inflight rows = %d after failure", rows)
	}
}

func BenchmarkSubmit(b *testing.B) {
	p, _ := New(&blockingWriter{}, Options{MaxInflightRows: 1 << 30, MaxInflightBytes: 1 << 40, Registerer: prometheus.NewRegistry()})
	batch := logs(1000)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Submit(ctx, Logs, batch, 0, 300_000); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func submitErr(_ Adjusted, err error) error { return err }
