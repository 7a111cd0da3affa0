package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/heimsight/heimsight/ingestor/otlp"
	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/retention"
)

// Options configures the REST API.
type Options struct {
	// Pipeline receives ingested batches. Required.
	Pipeline *ingest.Pipeline
	// OTLP serves /v1/logs, /v1/metrics and /v1/traces on this port too. Nil leaves them out.
	OTLP *otlp.HTTP
	// Query runs listings and HQL queries. Nil answers those endpoints with 503.
	Query Querier
	// Gatherer is served on /metrics. Nil: prometheus.DefaultGatherer.
	Gatherer prometheus.Gatherer
	// Version and Backend are reported by /health.
	Version string
	Backend string
	// MaxRequestBytes bounds ingest bodies after decompression.
	MaxRequestBytes int64
	// RetryAfter is advised to clients refused with 429/503.
	RetryAfter time.Duration
	// Logger receives failures that need an operator (never one line per request).
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Auth, when not nil, requires bearer tokens as requiredAccess describes. The OTLP routes
	// are authorized by the OTLP handlers, which must be built with the same authenticator.
	Auth *auth.Authenticator
	// MaxConcurrentQueries bounds the queries (HQL, listings, traces by id) running at once;
	// 0 means unlimited. A query that finds no free slot within QueryQueueWait is refused with
	// 429 and Retry-After.
	MaxConcurrentQueries int
	// QueryQueueWait is how long a query may wait for a slot; 0 means one second. The wait
	// absorbs a dashboard's burst of panels without refusing any.
	QueryQueueWait time.Duration
	// Retention serves the /api/v1/config/retention endpoints. Nil answers them with 503.
	Retention *retention.Manager
}

// API is the REST API handler. Safe for concurrent use.
type API struct {
	opts     Options
	started  time.Time
	stopping atomic.Bool
	router   *mux.Router
	querySem chan struct{} // nil: unlimited
}

// New builds the API.
func New(opts Options) (*API, error) {
	if opts.Pipeline == nil {
		return nil, errors.New("cannot create REST API: nil pipeline")
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = 16 << 20
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.QueryQueueWait <= 0 {
		opts.QueryQueueWait = time.Second
	}
	a := &API{opts: opts, started: opts.Now()}
	if opts.MaxConcurrentQueries > 0 {
		a.querySem = make(chan struct{}, opts.MaxConcurrentQueries)
	}
	a.router = a.routes()
	return a, nil
}

// ServeHTTP implements http.Handler. Authorization runs before routing, so unknown paths are
// not revealed to clients without a token.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.authorize(w, r) {
		return
	}
	a.router.ServeHTTP(w, r)
}

// SetStopping makes /health report 503 "stopping", so load balancers move away while the
// process drains.
func (a *API) SetStopping() { a.stopping.Store(true) }

func (a *API) routes() *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no endpoint at "+r.URL.Path)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method "+r.Method+" not allowed on "+r.URL.Path)
	})
	r.HandleFunc("/health", a.health).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", promhttp.HandlerFor(a.opts.Gatherer, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	if a.opts.OTLP != nil {
		// The OTLP handlers answer other methods with 405 in the OTLP error format themselves.
		r.Handle(otlp.PathLogs, a.opts.OTLP.Logs())
		r.Handle(otlp.PathMetrics, a.opts.OTLP.Metrics())
		r.Handle(otlp.PathTraces, a.opts.OTLP.Traces())
	}
	// Full paths on the root router: gorilla/mux subrouters answer 404 instead of 405 on a
	// method mismatch.
	const v1 = "/api/v1"
	r.HandleFunc(v1+"/logs", a.ingest(ingest.Logs)).Methods(http.MethodPost)
	r.HandleFunc(v1+"/metrics", a.ingest(ingest.Metrics)).Methods(http.MethodPost)
	r.HandleFunc(v1+"/traces", a.ingest(ingest.Traces)).Methods(http.MethodPost)
	r.HandleFunc(v1+"/logs", a.limitQueries(a.listLogs)).Methods(http.MethodGet)
	r.HandleFunc(v1+"/metrics", a.limitQueries(a.listMetrics)).Methods(http.MethodGet)
	r.HandleFunc(v1+"/traces", a.limitQueries(a.listSpans)).Methods(http.MethodGet)
	r.HandleFunc(v1+"/traces/{trace_id}", a.limitQueries(a.getTrace)).Methods(http.MethodGet)
	r.HandleFunc(v1+"/query", a.limitQueries(a.query)).Methods(http.MethodPost)
	a.retentionRoutes(r)
	return r
}

// limitQueries runs h when one of MaxConcurrentQueries slots is free, waiting at most
// QueryQueueWait for one, and answers 429 otherwise. The engine's own limits (rows, time) bound
// each query; this bounds how many compete for the machine at once.
func (a *API) limitQueries(h http.HandlerFunc) http.HandlerFunc {
	if a.querySem == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case a.querySem <- struct{}{}:
		default:
			t := time.NewTimer(a.opts.QueryQueueWait)
			select {
			case a.querySem <- struct{}{}:
				t.Stop()
			case <-t.C:
				w.Header().Set("Retry-After", strconv.Itoa(a.retryAfterSeconds()))
				writeError(w, http.StatusTooManyRequests, "too_many_queries",
					fmt.Sprintf("too many concurrent queries: %d are running (HEIMSIGHT_QUERY_MAX_CONCURRENT) and none finished within %s; retry after %d s",
						cap(a.querySem), a.opts.QueryQueueWait, a.retryAfterSeconds()))
				return
			case <-r.Context().Done():
				t.Stop()
				writeError(w, http.StatusServiceUnavailable, "canceled", "request canceled")
				return
			}
		}
		defer func() { <-a.querySem }()
		h(w, r)
	}
}

func (a *API) retryAfterSeconds() int {
	return int((a.opts.RetryAfter + time.Second - 1) / time.Second)
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	up := a.opts.Now().Sub(a.started)
	resp := client.HealthResponse{Status: "ok", Version: a.opts.Version, Storage: a.opts.Backend,
		UptimeSeconds: up.Seconds(), Uptime: up.Round(time.Second).String()}
	code := http.StatusOK
	if a.stopping.Load() {
		resp.Status = "stopping"
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, resp)
}

// The response types are pkg/client's, so server and client share one definition.
type (
	ErrorBody   = client.ErrorBody
	ErrorDetail = client.ErrorDetail
)

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"cannot encode response"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}
