package otlp

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/otlpconv"
	"github.com/heimsight/heimsight/pkg/store"
)

// Options configures the OTLP receivers.
type Options struct {
	// Pipeline receives decoded batches. Required.
	Pipeline *ingest.Pipeline
	// MaxRequestBytes is the largest request accepted, measured after decompression.
	MaxRequestBytes int64
	// RetryAfter is the delay advised to clients refused with 429/503 (ResourceExhausted,
	// Unavailable). It is rounded up to whole seconds for the HTTP Retry-After header.
	RetryAfter time.Duration
	// Logger receives store failures (never one line per successful request). Nil: slog.Default().
	Logger *slog.Logger
	// Auth, when not nil, requires a bearer token with the ingest scope on every request:
	// the Authorization header over HTTP, the authorization metadata over gRPC.
	Auth *auth.Authenticator
}

// MaxJSONDepth bounds how deeply an OTLP/JSON body may nest. Each level of a nested AnyValue
// costs three or four JSON levels, so this leaves room for the 64 value levels otlpconv
// accepts (deeper values reject only their record); anything deeper fails the whole request.
const MaxJSONDepth = 512

// DefaultOptions returns options with the documented defaults and no pipeline.
func DefaultOptions() Options {
	return Options{MaxRequestBytes: 16 << 20, RetryAfter: time.Second}
}

func (o *Options) check() error {
	if o.Pipeline == nil {
		return errors.New("cannot create OTLP receiver: nil pipeline")
	}
	if o.MaxRequestBytes <= 0 {
		return errors.New("cannot create OTLP receiver: MaxRequestBytes must be positive")
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

var ingestSignal = map[otlpconv.Signal]ingest.Signal{
	otlpconv.SignalLogs:    ingest.Logs,
	otlpconv.SignalTraces:  ingest.Traces,
	otlpconv.SignalMetrics: ingest.Metrics,
}

// failure classifies a Submit error for the status mapping.
type failure uint8

const (
	failOverloaded failure = iota + 1
	failUnavailable
	failCanceled
	failTooMany
)

func classify(ctx context.Context, err error) failure {
	switch {
	case errors.Is(err, ingest.ErrTooManyRecords):
		return failTooMany
	case errors.Is(err, store.ErrOverloaded):
		return failOverloaded
	case ctx.Err() != nil:
		return failCanceled
	}
	// The store contract: on any write error nothing may be assumed durable and the client
	// should retry, so every other failure is reported as retryable unavailability.
	return failUnavailable
}

// logFailure records failures operators must see; overload is visible in the metrics and
// would flood the log exactly when the machine is busiest.
func (o *Options) logFailure(f failure, sig otlpconv.Signal, err error) {
	if f == failUnavailable && !errors.Is(err, store.ErrClosed) {
		o.Logger.Error("cannot store OTLP export", "signal", sig.String(), "err", err)
	}
}
