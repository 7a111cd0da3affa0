package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/heimsight/heimsight/ingestor/otlp"
	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/ingest"
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
}

// API is the REST API handler. Safe for concurrent use.
type API struct {
	opts     Options
	started  time.Time
	stopping atomic.Bool
	router   *mux.Router
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
	a := &API{opts: opts, started: opts.Now()}
	a.router = a.routes()
	return a, nil
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.router.ServeHTTP(w, r) }

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
	r.HandleFunc(v1+"/logs", a.listLogs).Methods(http.MethodGet)
	r.HandleFunc(v1+"/metrics", a.listMetrics).Methods(http.MethodGet)
	r.HandleFunc(v1+"/traces", a.listSpans).Methods(http.MethodGet)
	r.HandleFunc(v1+"/traces/{trace_id}", a.getTrace).Methods(http.MethodGet)
	r.HandleFunc(v1+"/query", a.query).Methods(http.MethodPost)
	return r
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
