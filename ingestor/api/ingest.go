package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/heimsight/heimsight/ingestor/otlp"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/ingest/rest"
	"github.com/heimsight/heimsight/pkg/store"
)

// MaxJSONDepth bounds how deeply a REST ingest body may nest: a batch array, a record, its
// attributes and 64 levels of value (deeper values reject only their record) fit well within it.
const MaxJSONDepth = 100

var decoders = map[ingest.Signal]func([]byte) (rest.Result, error){
	ingest.Logs:    rest.DecodeLogs,
	ingest.Traces:  rest.DecodeSpans,
	ingest.Metrics: rest.DecodeMetrics,
}

// ingest handles POST /api/v1/{logs,metrics,traces} in the form of pkg/ingest/rest.
func (a *API) ingest(sig ingest.Signal) http.HandlerFunc {
	decode := decoders[sig]
	return func(w http.ResponseWriter, r *http.Request) {
		// A missing Content-Type is taken as JSON so that plain `curl -d @file` works.
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
					fmt.Sprintf("unsupported Content-Type %q: use application/json", ct))
				return
			}
		}
		buf, code, err := otlp.ReadBody(w, r, a.opts.MaxRequestBytes)
		if err != nil {
			otlp.PutBuffer(buf)
			writeError(w, code, bodyErrorCode(code), err.Error())
			return
		}
		size := int64(buf.Len())
		if err := ingest.CheckJSONDepth(buf.Bytes(), MaxJSONDepth); err != nil {
			otlp.PutBuffer(buf)
			writeError(w, http.StatusBadRequest, "invalid_json", err.Error())
			return
		}
		res, err := decode(buf.Bytes())
		otlp.PutBuffer(buf) // decoded rows copy what they keep
		if err != nil {
			var re *rest.RequestError
			body := ErrorBody{Error: ErrorDetail{Code: "invalid_json", Message: err.Error()}}
			if errors.As(err, &re) && re.Field != "" {
				body.Error.Code = "unknown_field"
				body.Error.Field = re.Field
			}
			writeJSON(w, http.StatusBadRequest, body)
			return
		}
		adj, err := a.opts.Pipeline.Submit(r.Context(), sig, &res.Batch, res.Rejected, size)
		if errors.Is(err, ingest.ErrTooManyRecords) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_many_records", err.Error())
			return
		}
		if err != nil {
			a.writeStoreError(w, r, err)
			return
		}
		resp := rest.IngestResponse{Accepted: int64(res.Batch.Len()), Rejected: res.Rejected, Errors: res.Errors,
			DroppedAttributes: adj.DroppedAttributes, TruncatedValues: adj.TruncatedValues, Warning: adj.Message()}
		if resp.Accepted == 0 && resp.Rejected > 0 {
			// Nothing usable: say so with an error status, and still list why.
			writeJSON(w, http.StatusBadRequest, struct {
				ErrorBody
				rest.IngestResponse
			}{ErrorBody{Error: ErrorDetail{Code: "invalid_records",
				Message: fmt.Sprintf("all %d records were rejected", resp.Rejected)}}, resp})
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

func bodyErrorCode(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	}
	return "bad_request"
}

// writeStoreError maps a write failure: overload is 429, anything else 503, both with
// Retry-After, because the store contract makes every write failure retryable.
func (a *API) writeStoreError(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Retry-After", strconv.Itoa(int((a.opts.RetryAfter+999_999_999)/1_000_000_000)))
	if errors.Is(err, store.ErrOverloaded) {
		writeError(w, http.StatusTooManyRequests, "overloaded", err.Error())
		return
	}
	if r.Context().Err() == nil && !errors.Is(err, store.ErrClosed) {
		a.opts.Logger.Error("cannot store REST ingest request", "err", err)
	}
	writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
}
