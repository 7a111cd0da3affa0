package otlp

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/otlpconv"
)

// Media types of OTLP/HTTP.
const (
	ContentTypeProtobuf = "application/x-protobuf"
	ContentTypeJSON     = "application/json"
)

// The OTLP/HTTP paths.
const (
	PathLogs    = "/v1/logs"
	PathMetrics = "/v1/metrics"
	PathTraces  = "/v1/traces"
)

// HTTP serves OTLP/HTTP. Safe for concurrent use.
type HTTP struct {
	opts                  Options
	retryAfter            string
	logs, metrics, traces http.Handler
}

// NewHTTP returns the OTLP/HTTP handlers.
func NewHTTP(opts Options) (*HTTP, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	secs := int64((opts.RetryAfter + 999_999_999) / 1_000_000_000)
	h := &HTTP{opts: opts, retryAfter: strconv.FormatInt(secs, 10)}
	h.logs = &signalHandler{h: h, sig: otlpconv.SignalLogs}
	h.metrics = &signalHandler{h: h, sig: otlpconv.SignalMetrics}
	h.traces = &signalHandler{h: h, sig: otlpconv.SignalTraces}
	return h, nil
}

// Logs, Metrics and Traces handle POST /v1/logs, /v1/metrics and /v1/traces. They answer
// every other method with 405 themselves, so mount them for all methods.
func (h *HTTP) Logs() http.Handler    { return h.logs }
func (h *HTTP) Metrics() http.Handler { return h.metrics }
func (h *HTTP) Traces() http.Handler  { return h.traces }

// Handler returns the OTLP/HTTP listener's whole routing: the three signal paths, and 404 with
// a Status body for anything else.
func (h *HTTP) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case PathLogs:
			h.logs.ServeHTTP(w, r)
		case PathMetrics:
			h.metrics.ServeHTTP(w, r)
		case PathTraces:
			h.traces.ServeHTTP(w, r)
		default:
			// Unknown paths need a token too, so that the listener tells strangers nothing.
			// (The signal handlers check it themselves.)
			if !h.authorize(w, r) {
				return
			}
			writeStatus(w, encodingOf(r.Header.Get("Content-Type")), http.StatusNotFound, codes.NotFound,
				"no OTLP endpoint at "+r.URL.Path+": use "+PathLogs+", "+PathMetrics+" or "+PathTraces)
		}
	})
}

type encoding uint8

const (
	encUnsupported encoding = iota
	encProtobuf
	encJSON
)

// encodingOf maps a Content-Type header to an encoding, ignoring parameters such as charset.
func encodingOf(contentType string) encoding {
	// The common cases, without allocating.
	switch contentType {
	case ContentTypeProtobuf:
		return encProtobuf
	case ContentTypeJSON:
		return encJSON
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return encUnsupported
	}
	switch mt {
	case ContentTypeProtobuf:
		return encProtobuf
	case ContentTypeJSON:
		return encJSON
	}
	return encUnsupported
}

type signalHandler struct {
	h   *HTTP
	sig otlpconv.Signal
}

// authorize answers 401 or 403 and returns false when the request lacks a token with the ingest
// scope. It runs before the body is read.
func (h *HTTP) authorize(w http.ResponseWriter, r *http.Request) bool {
	if !h.opts.Auth.Enabled() {
		return true
	}
	err := h.opts.Auth.Authorize(r.Header.Get("Authorization"), auth.ScopeIngest)
	if err == nil {
		return true
	}
	WriteAuthError(w, r, err, auth.ScopeIngest)
	return false
}

// WriteAuthError answers an auth.Authorize failure in the OTLP error format: 401 with a
// WWW-Authenticate challenge and Status code Unauthenticated, or 403 and PermissionDenied.
func WriteAuthError(w http.ResponseWriter, r *http.Request, err error, need auth.Scope) {
	enc := encodingOf(r.Header.Get("Content-Type"))
	if enc == encUnsupported {
		enc = encProtobuf
	}
	w.Header().Set("WWW-Authenticate", auth.Challenge(err, need))
	if errors.Is(err, auth.ErrForbidden) {
		writeStatus(w, enc, http.StatusForbidden, codes.PermissionDenied, err.Error())
		return
	}
	writeStatus(w, enc, http.StatusUnauthorized, codes.Unauthenticated, err.Error())
}

func (s *signalHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := s.h
	if !h.authorize(w, r) {
		return
	}
	enc := encodingOf(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, enc, http.StatusMethodNotAllowed, codes.Unimplemented, "method "+r.Method+" not allowed: use POST")
		return
	}
	if enc == encUnsupported {
		writeStatus(w, encProtobuf, http.StatusUnsupportedMediaType, codes.InvalidArgument,
			fmt.Sprintf("unsupported Content-Type %q: use %s or %s", r.Header.Get("Content-Type"), ContentTypeProtobuf, ContentTypeJSON))
		return
	}
	buf, code, err := ReadBody(w, r, h.opts.MaxRequestBytes)
	if err != nil {
		PutBuffer(buf)
		grpcCode := codes.InvalidArgument
		if code == http.StatusRequestEntityTooLarge {
			grpcCode = codes.ResourceExhausted
		}
		writeStatus(w, enc, code, grpcCode, err.Error())
		return
	}
	size := int64(buf.Len())
	var res otlpconv.Result
	if enc == encProtobuf {
		res, err = otlpconv.DecodeProto(s.sig, buf.Bytes())
	} else if err = ingest.CheckJSONDepth(buf.Bytes(), MaxJSONDepth); err == nil {
		res, err = otlpconv.DecodeJSON(s.sig, buf.Bytes())
	}
	// The decoded rows never alias the body, so the buffer can serve the next request while
	// this one waits for the store.
	PutBuffer(buf)
	if err != nil {
		writeStatus(w, enc, http.StatusBadRequest, codes.InvalidArgument, fmt.Sprintf("cannot decode %s export request: %v", s.sig, err))
		return
	}
	adj, err := h.opts.Pipeline.Submit(r.Context(), ingestSignal[s.sig], &res.Batch, res.Rejected, size)
	if err != nil {
		f := classify(r.Context(), err)
		h.opts.logFailure(f, s.sig, err)
		if f == failTooMany {
			// Not retryable: OTLP/HTTP clients retry only 429, 502, 503 and 504.
			writeStatus(w, enc, http.StatusRequestEntityTooLarge, codes.ResourceExhausted, err.Error())
			return
		}
		w.Header().Set("Retry-After", h.retryAfter)
		if f == failOverloaded {
			writeStatus(w, enc, http.StatusTooManyRequests, codes.ResourceExhausted, err.Error())
		} else {
			writeStatus(w, enc, http.StatusServiceUnavailable, codes.Unavailable, err.Error())
		}
		return
	}
	// Dropped and truncated attributes are a warning in partial_success.error_message with
	// nothing rejected, as the OTLP specification allows.
	writeSuccess(w, enc, s.sig, res.Rejected, ingest.JoinMessages(res.ErrorMessage, adj.Message()))
}

// errTooLarge marks bodies over the limit.
var errTooLarge = errors.New("request body too large")

// ReadBody reads the whole request body, decompressed (identity or gzip), into a pooled buffer
// that the caller hands back with PutBuffer. It returns the HTTP status for a failure (400 bad
// gzip or truncated body, 413 over the limit, 415 unknown Content-Encoding). The limit applies to the decompressed bytes, and reading stops one byte
// past it, so a gzip bomb costs at most limit bytes of memory. The compressed stream is held to
// the same limit.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) (*bytes.Buffer, int, error) {
	buf := getBuffer()
	if r.ContentLength > limit {
		return buf, http.StatusRequestEntityTooLarge,
			fmt.Errorf("cannot read request body: %d bytes is over the limit of %d bytes", r.ContentLength, limit)
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	var gz *gzip.Reader
	switch ce := r.Header.Get("Content-Encoding"); strings.ToLower(strings.TrimSpace(ce)) {
	case "", "identity":
		if r.ContentLength > 0 {
			// ReadFrom wants MinRead bytes of room to see EOF; without them it would double a
			// buffer that already fits the body.
			buf.Grow(int(r.ContentLength) + bytes.MinRead)
		}
	case "gzip", "x-gzip":
		gz = getGzip()
		if err := gz.Reset(body); err != nil {
			putGzip(gz)
			return buf, readStatus(err), fmt.Errorf("cannot read gzip request body: %w", err)
		}
		defer putGzip(gz)
		body = gz
	default:
		return buf, http.StatusUnsupportedMediaType,
			fmt.Errorf("unsupported Content-Encoding %q: use gzip or identity", ce)
	}
	n, err := buf.ReadFrom(io.LimitReader(body, limit+1))
	if err != nil {
		return buf, readStatus(err), fmt.Errorf("cannot read request body: %w", err)
	}
	if n > limit {
		return buf, http.StatusRequestEntityTooLarge,
			fmt.Errorf("cannot read request body: over the limit of %d bytes after decompression", limit)
	}
	return buf, 0, nil
}

func readStatus(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// Pools: the OTLP/HTTP protobuf path is the throughput benchmark, and a fresh buffer per
// request would make the garbage collector the bottleneck.
var (
	bufferPool sync.Pool
	gzipPool   sync.Pool
)

// maxPooledBuffer keeps rare huge bodies from pinning memory in the pool.
const maxPooledBuffer = 4 << 20

func getBuffer() *bytes.Buffer {
	if b, ok := bufferPool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// PutBuffer returns a buffer from ReadBody to the pool; nil is ignored.
func PutBuffer(b *bytes.Buffer) {
	if b == nil || b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	bufferPool.Put(b)
}

func getGzip() *gzip.Reader {
	if z, ok := gzipPool.Get().(*gzip.Reader); ok {
		return z
	}
	return new(gzip.Reader)
}

func putGzip(z *gzip.Reader) { gzipPool.Put(z) }

var emptyJSON = []byte("{}")

func writeSuccess(w http.ResponseWriter, enc encoding, sig otlpconv.Signal, rejected int64, msg string) {
	if rejected == 0 && msg == "" {
		// An empty response: no allocation for the common case.
		if enc == encJSON {
			writeBody(w, enc, http.StatusOK, emptyJSON)
		} else {
			writeBody(w, enc, http.StatusOK, nil)
		}
		return
	}
	writeMessage(w, enc, http.StatusOK, partialResponse(sig, rejected, msg))
}

// partialResponse builds the Export*ServiceResponse carrying partial_success.
func partialResponse(sig otlpconv.Signal, rejected int64, msg string) proto.Message {
	switch sig {
	case otlpconv.SignalLogs:
		return &collogspb.ExportLogsServiceResponse{PartialSuccess: &collogspb.ExportLogsPartialSuccess{
			RejectedLogRecords: rejected, ErrorMessage: msg}}
	case otlpconv.SignalTraces:
		return &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{
			RejectedSpans: rejected, ErrorMessage: msg}}
	default:
		return &colmetricspb.ExportMetricsServiceResponse{PartialSuccess: &colmetricspb.ExportMetricsPartialSuccess{
			RejectedDataPoints: rejected, ErrorMessage: msg}}
	}
}

// writeStatus writes a google.rpc.Status body, as the OTLP specification requires of every 4xx
// and 5xx response.
func writeStatus(w http.ResponseWriter, enc encoding, httpCode int, code codes.Code, msg string) {
	writeMessage(w, enc, httpCode, &spb.Status{Code: int32(code), Message: msg})
}

func writeMessage(w http.ResponseWriter, enc encoding, httpCode int, m proto.Message) {
	var b []byte
	var err error
	if enc == encJSON {
		b, err = protojson.Marshal(m)
	} else {
		b, err = proto.Marshal(m)
	}
	if err != nil {
		// Only a programming error can get here: the messages are built above.
		http.Error(w, "cannot encode response", http.StatusInternalServerError)
		return
	}
	writeBody(w, enc, httpCode, b)
}

func writeBody(w http.ResponseWriter, enc encoding, httpCode int, b []byte) {
	h := w.Header()
	if enc == encJSON {
		h.Set("Content-Type", ContentTypeJSON)
	} else {
		h.Set("Content-Type", ContentTypeProtobuf)
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(httpCode)
	w.Write(b)
}
