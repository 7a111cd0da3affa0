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
	// Limits bound each request; see Limits.
	Limits Limits
	// Registerer receives the pipeline's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// DefaultOptions returns limits sized for a small machine: about 64 requests of 1,000 records
// in flight, and at most 256 MiB of request bodies.
func DefaultOptions() Options {
	return Options{
		MaxInflightRows:  64 * 1000,
		MaxInflightBytes: 256 << 20,
		Limits:           DefaultLimits(),
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
	dropped  [numSignals]prometheus.Counter
	truncd   [numSignals]prometheus.Counter
}

type reason uint8

const (
	reasonOverloaded reason = iota
	reasonUnavailable
	reasonCanceled
	reasonError
	reasonTooMany
	numReasons
)

var reasonNames = [numReasons]string{"overloaded", "unavailable", "canceled", "error", "too_many_records"}

// New returns a pipeline writing to w.
func New(w store.Writer, opts Options) (*Pipeline, error) {
	if w == nil {
		return nil, errors.New("cannot create ingest pipeline: nil writer")
	}
	if opts.Limits.MaxRecords < 0 || opts.Limits.MaxAttributes < 0 || opts.Limits.MaxValueLength < 0 {
		return nil, fmt.Errorf("cannot create ingest pipeline: limits must not be negative (%+v)", opts.Limits)
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
		Help: "Valid records not written because the request failed, by reason (too_many_records is not retryable; the others are).",
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
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "heimsight", Subsystem: "ingest", Name: "attributes_dropped_total",
		Help: "Attributes dropped over the per-record limit (HEIMSIGHT_MAX_ATTRIBUTES_PER_RECORD).",
	}, []string{"signal"})
	truncd := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "heimsight", Subsystem: "ingest", Name: "attribute_values_truncated_total",
		Help: "Attribute values truncated to HEIMSIGHT_MAX_ATTRIBUTE_VALUE_LENGTH bytes.",
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
		p.dropped[s] = dropped.WithLabelValues(n)
		p.truncd[s] = truncd.WithLabelValues(n)
	}
	if opts.Registerer != nil {
		collectors := []prometheus.Collector{received, accepted, rejected, refused, batch, latency, dropped, truncd,
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

// Submit applies the limits to the valid rows of one request and writes them. rejected is the
// number of invalid records the decoder dropped from it (counted, not written); size is the
// request's decoded size in bytes (0 if unknown).
//
// It returns once the rows are durable, with what the limits changed in the batch (dropped
// attributes, truncated values), or with an error and nothing to be assumed written: one
// wrapping ErrTooManyRecords when the request holds more than Limits.MaxRecords records (not
// retryable), one wrapping store.ErrOverloaded when the pipeline is full (nothing was
// attempted), or the store's error (store.ErrUnavailable, store.ErrClosed, a context error).
// Submit edits the batch in place; it may be reused after Submit returns.
func (p *Pipeline) Submit(ctx context.Context, sig Signal, b *model.Batch, rejected int64, size int64) (Adjusted, error) {
	adj := Adjusted{limits: p.opts.Limits}
	if sig >= numSignals {
		return adj, fmt.Errorf("cannot submit batch: unknown signal %d", sig)
	}
	n := int64(b.Len())
	p.received[sig].Add(float64(n + rejected))
	if max := int64(p.opts.Limits.MaxRecords); max > 0 && n+rejected > max {
		p.rejected[sig].Add(float64(rejected))
		p.refused[sig][reasonTooMany].Add(float64(n))
		return adj, fmt.Errorf("cannot accept %d %s records in one request: the limit is %d (HEIMSIGHT_MAX_RECORDS_PER_REQUEST); send smaller batches: %w",
			n+rejected, sig, max, ErrTooManyRecords)
	}
	if rejected > 0 {
		p.rejected[sig].Add(float64(rejected))
	}
	if n == 0 {
		return adj, nil
	}
	if size < 0 {
		size = 0
	}
	if p.opts.Limits.MaxAttributes > 0 || p.opts.Limits.MaxValueLength > 0 {
		l := limiter{maxAttrs: p.opts.Limits.MaxAttributes, maxLen: p.opts.Limits.MaxValueLength}
		l.apply(b)
		adj.DroppedAttributes, adj.TruncatedValues = l.dropped, l.truncated
		if l.dropped > 0 {
			p.dropped[sig].Add(float64(l.dropped))
		}
		if l.truncated > 0 {
			p.truncd[sig].Add(float64(l.truncated))
		}
	}
	if !p.admit(n, size) {
		p.refused[sig][reasonOverloaded].Add(float64(n))
		return adj, fmt.Errorf("cannot admit %d %s records: %d records and %d bytes already in flight: %w",
			n, sig, p.inflightRows.Load(), p.inflightBytes.Load(), store.ErrOverloaded)
	}
	start := time.Now()
	err := p.w.Write(ctx, b)
	p.release(n, size)
	if err != nil {
		p.refused[sig][classify(ctx, err)].Add(float64(n))
		return adj, fmt.Errorf("cannot write %d %s records: %w", n, sig, err)
	}
	p.latency[sig].Observe(time.Since(start).Seconds())
	p.accepted[sig].Add(float64(n))
	p.batch[sig].Observe(float64(n))
	return adj, nil
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
