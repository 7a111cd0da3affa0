package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

// Signal names the telemetry signal of a request, for counters and error messages.
type Signal uint8

// The signals.
const (
	Logs Signal = iota
	Traces
	Metrics
	numSignals
)

var signalNames = [numSignals]string{"logs", "traces", "metrics"}

// String returns "logs", "traces" or "metrics".
func (s Signal) String() string {
	if s < numSignals {
		return signalNames[s]
	}
	return "unknown"
}

// Options configures a Pipeline.
type Options struct {
	// MaxInflightRows bounds the rows of all requests being written at once. A request larger
	// than the bound on its own is still admitted when nothing else is in flight, so it can
	// never be refused forever.
	MaxInflightRows int64
	// MaxInflightBytes bounds the encoded (decompressed) request bytes being written at once,
	// with the same exception.
	MaxInflightBytes int64
	// Registerer receives the pipeline's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// DefaultOptions returns limits sized for a small machine: about 64 requests of 1,000 records
// in flight, and at most 256 MiB of request bodies.
func DefaultOptions() Options {
	return Options{
		MaxInflightRows:  64 * 1000,
		MaxInflightBytes: 256 << 20,
	}
}

// Pipeline admits batches and writes them to a store.Writer. Safe for concurrent use.
type Pipeline struct {
	w    store.Writer
	opts Options

	inflightRows  atomic.Int64
	inflightBytes atomic.Int64
	inflightReqs  atomic.Int64

	// Label values are resolved once so the hot path touches no maps.
	received [numSignals]prometheus.Counter
	accepted [numSignals]prometheus.Counter
	rejected [numSignals]prometheus.Counter
	refused  [numSignals][numReasons]prometheus.Counter
	batch    [numSignals]prometheus.Observer
	latency  [numSignals]prometheus.Observer
}

type reason uint8

const (
	reasonOverloaded reason = iota
	reasonUnavailable
	reasonCanceled
	reasonError
	numReasons
)

var reasonNames = [numReasons]string{"overloaded", "unavailable", "canceled", "error"}

// New returns a pipeline writing to w.
func New(w store.Writer, opts Options) (*Pipeline, error) {
	if w == nil {
		return nil, errors.New("cannot create ingest pipeline: nil writer")
	}
	if opts.MaxInflightRows <= 0 || opts.MaxInflightBytes <= 0 {
		return nil, fmt.Errorf("cannot create ingest pipeline: in-flight limits must be positive (rows %d, bytes %d)",
			opts.MaxInflightRows, opts.MaxInflightBytes)
	}
	p := &Pipeline{w: w, opts: opts}

	received := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "heimsight", Subsystem: "ingest", Name: "records_received_total",
		Help: "Records received by signal, valid or not.",
	}, []string{"signal"})
	accepted := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "heimsight", Subsystem: "ingest", Name: "records_accepted_total",
		Help: "Records durably written by signal.",
	}, []string{"signal"})
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "heimsight", Subsystem: "ingest", Name: "records_rejected_total",
		Help: "Invalid records dropped from otherwise accepted requests (reported in partial_success).",
	}, []string{"signal"})
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "heimsight", Subsystem: "ingest", Name: "records_refused_total",
		Help: "Valid records not written because the request failed with a retryable error, by reason.",
	}, []string{"signal", "reason"})
	batch := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "heimsight", Subsystem: "ingest", Name: "batch_records",
		Help:    "Valid records per request.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 10), // 1 .. 262144
	}, []string{"signal"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "heimsight", Subsystem: "ingest", Name: "write_duration_seconds",
		Help:    "Time to write one admitted request durably to the store.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5ms .. ~4s
	}, []string{"signal"})
	for s := range numSignals {
		n := s.String()
		p.received[s] = received.WithLabelValues(n)
		p.accepted[s] = accepted.WithLabelValues(n)
		p.rejected[s] = rejected.WithLabelValues(n)
		for r := range numReasons {
			p.refused[s][r] = refused.WithLabelValues(n, reasonNames[r])
		}
		p.batch[s] = batch.WithLabelValues(n)
		p.latency[s] = latency.WithLabelValues(n)
	}
	if opts.Registerer != nil {
		collectors := []prometheus.Collector{received, accepted, rejected, refused, batch, latency,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: "heimsight", Subsystem: "ingest", Name: "inflight_records",
				Help: "Records admitted and not yet durably written (the queue depth).",
			}, func() float64 { return float64(p.inflightRows.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: "heimsight", Subsystem: "ingest", Name: "inflight_bytes",
				Help: "Request bytes admitted and not yet durably written.",
			}, func() float64 { return float64(p.inflightBytes.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: "heimsight", Subsystem: "ingest", Name: "inflight_requests",
				Help: "Requests admitted and not yet durably written.",
			}, func() float64 { return float64(p.inflightReqs.Load()) }),
		}
		for _, c := range collectors {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("cannot register ingest metrics: %w", err)
			}
		}
	}
	return p, nil
}

// Submit writes the valid rows of one request. rejected is the number of invalid records the
// decoder dropped from it (counted, not written); size is the request's decoded size in bytes
// (0 if unknown). It returns once the rows are durable, or with an error and nothing to be
// assumed written: one wrapping store.ErrOverloaded when the pipeline is full (nothing was
// attempted), or the store's error (store.ErrUnavailable, store.ErrClosed, a context error).
// The batch may be reused after Submit returns.
func (p *Pipeline) Submit(ctx context.Context, sig Signal, b *model.Batch, rejected int64, size int64) error {
	if sig >= numSignals {
		return fmt.Errorf("cannot submit batch: unknown signal %d", sig)
	}
	n := int64(b.Len())
	p.received[sig].Add(float64(n + rejected))
	if rejected > 0 {
		p.rejected[sig].Add(float64(rejected))
	}
	if n == 0 {
		return nil
	}
	if size < 0 {
		size = 0
	}
	if !p.admit(n, size) {
		p.refused[sig][reasonOverloaded].Add(float64(n))
		return fmt.Errorf("cannot admit %d %s records: %d records and %d bytes already in flight: %w",
			n, sig, p.inflightRows.Load(), p.inflightBytes.Load(), store.ErrOverloaded)
	}
	start := time.Now()
	err := p.w.Write(ctx, b)
	p.release(n, size)
	if err != nil {
		p.refused[sig][classify(ctx, err)].Add(float64(n))
		return fmt.Errorf("cannot write %d %s records: %w", n, sig, err)
	}
	p.latency[sig].Observe(time.Since(start).Seconds())
	p.accepted[sig].Add(float64(n))
	p.batch[sig].Observe(float64(n))
	return nil
}

// admit reserves room for n rows and size bytes. The first request into an empty pipeline
// always fits, whatever its size.
func (p *Pipeline) admit(n, size int64) bool {
	rows := p.inflightRows.Add(n)
	bytes := p.inflightBytes.Add(size)
	if (rows > p.opts.MaxInflightRows && rows != n) || (bytes > p.opts.MaxInflightBytes && bytes != size) {
		p.inflightRows.Add(-n)
		p.inflightBytes.Add(-size)
		return false
	}
	p.inflightReqs.Add(1)
	return true
}

func (p *Pipeline) release(n, size int64) {
	p.inflightRows.Add(-n)
	p.inflightBytes.Add(-size)
	p.inflightReqs.Add(-1)
}

// Inflight returns the rows and bytes currently admitted and not yet written.
func (p *Pipeline) Inflight() (rows, bytes int64) {
	return p.inflightRows.Load(), p.inflightBytes.Load()
}

func classify(ctx context.Context, err error) reason {
	switch {
	case errors.Is(err, store.ErrOverloaded):
		return reasonOverloaded
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed):
		return reasonUnavailable
	case ctx.Err() != nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return reasonCanceled
	}
	return reasonError
}
