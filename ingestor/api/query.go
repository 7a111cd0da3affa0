package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/ingest/rest"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/store"
)

// Querier runs HQL; *query.Engine implements it.
type Querier interface {
	Run(ctx context.Context, src string, p hql.Params) (*query.Response, error)
	RunSelect(ctx context.Context, stmt *hql.Select, p hql.Params) (*query.Response, error)
}

// ArrowStreamType is the media type of an Arrow IPC stream; POST /api/v1/query answers with
// one when the request's Accept header asks for it.
const ArrowStreamType = "application/vnd.apache.arrow.stream"

// maxQueryBody bounds a POST /api/v1/query body: the query text is at most hql.MaxQueryLength.
const maxQueryBody = 2 * hql.MaxQueryLength

// maxQueryJSONDepth bounds the nesting of a query request body.
const maxQueryJSONDepth = 8

// queryRequest mirrors client.QueryRequest for strict decoding.
type queryRequest struct {
	Query    string          `json:"query"`
	From     json.RawMessage `json:"from"`
	To       json.RawMessage `json:"to"`
	Interval string          `json:"interval"`
	MaxRows  int             `json:"max_rows"`
	Raw      bool            `json:"raw"`
}

func (a *API) query(w http.ResponseWriter, r *http.Request) {
	if a.opts.Query == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "queries are not available on this server")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
				fmt.Sprintf("unsupported Content-Type %q: use application/json", ct))
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxQueryBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "query request is over "+strconv.Itoa(maxQueryBody)+" bytes")
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "cannot read query request: "+err.Error())
		return
	}
	// The request is one flat object; nothing legitimate nests.
	if err := ingest.CheckJSONDepth(body, maxQueryJSONDepth); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", err.Error())
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req queryRequest
	if err := dec.Decode(&req); err != nil {
		d := ErrorDetail{Code: "invalid_json", Message: "cannot decode query request: " + err.Error()}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			d.Code, d.Field = "unknown_field", strings.Trim(f, `"`)
		}
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: d})
		return
	}
	if strings.TrimSpace(req.Query) == "" {
		writeError(w, http.StatusBadRequest, "invalid_query", "missing query")
		return
	}
	var p hql.Params
	if p.From, err = rawTime("from", req.From); err == nil {
		p.To, err = rawTime("to", req.To)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if req.Interval != "" {
		if p.Interval, err = time.ParseDuration(req.Interval); err != nil || p.Interval <= 0 {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("invalid interval %q: want a Go duration such as 1m", req.Interval))
			return
		}
	}
	if req.MaxRows < 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "invalid max_rows: want a positive number")
		return
	}
	p.MaxLimit = req.MaxRows
	ctx := r.Context()
	if req.Raw {
		ctx = query.ForceRaw(ctx)
	}
	resp, err := a.opts.Query.Run(ctx, req.Query, p)
	if err != nil {
		a.writeQueryError(w, r, err)
		return
	}
	defer resp.Release()
	truncated := resp.Result.Truncated || (resp.Plan != nil && resp.Plan.LimitCapped && resp.Result.Rows >= resp.Plan.Limit)
	if acceptsArrow(r.Header.Get("Accept")) {
		writeArrow(w, resp, truncated)
		return
	}
	out := client.QueryResponse{
		Columns: make([]client.Column, len(resp.Columns)),
		Data:    make([][]any, len(resp.Columns)),
		Stats: client.Stats{Rows: resp.Result.Rows, ElapsedMS: float64(resp.Elapsed.Microseconds()) / 1000,
			Truncated: truncated, Tier: resp.Tier, TierFrom: resp.TierFrom, TierTo: resp.TierTo},
	}
	for i, c := range resp.Columns {
		out.Columns[i] = client.Column{Name: c.Name, Type: c.Type.String()}
		out.Data[i] = make([]any, 0, resp.Result.Rows)
	}
	for _, rec := range resp.Result.Records {
		for i := range out.Data {
			if i < int(rec.NumCols()) {
				out.Data[i] = appendColumn(out.Data[i], rec.Column(i))
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func acceptsArrow(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == ArrowStreamType {
			return true
		}
	}
	return false
}

// writeArrow streams the result as Arrow IPC; the stats travel in headers.
func writeArrow(w http.ResponseWriter, resp *query.Response, truncated bool) {
	h := w.Header()
	h.Set("Content-Type", ArrowStreamType)
	h.Set("X-Heimsight-Rows", strconv.FormatInt(resp.Result.Rows, 10))
	h.Set("X-Heimsight-Elapsed-Ms", strconv.FormatFloat(float64(resp.Elapsed.Microseconds())/1000, 'f', 3, 64))
	h.Set("X-Heimsight-Truncated", strconv.FormatBool(truncated))
	if resp.Tier != "" {
		h.Set("X-Heimsight-Tier", resp.Tier)
		h.Set("X-Heimsight-Tier-From", strconv.FormatInt(resp.TierFrom, 10))
		h.Set("X-Heimsight-Tier-To", strconv.FormatInt(resp.TierTo, 10))
	}
	w.WriteHeader(http.StatusOK)
	iw := ipc.NewWriter(w, ipc.WithSchema(resp.Result.Schema))
	for _, rec := range resp.Result.Records {
		if err := iw.Write(rec); err != nil {
			break // the client went away; the status line is already sent
		}
	}
	iw.Close()
}

// rawTime parses a JSON time argument: a number or string of Unix nanoseconds, or an RFC 3339
// string. Absent or null is 0 (unbounded).
func rawTime(name string, raw json.RawMessage) (int64, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("invalid %s: %v", name, err)
		}
	}
	if s == "" {
		return 0, nil
	}
	ns, err := rest.ParseTime(s)
	if err != nil {
		return 0, fmt.Errorf("invalid %s %q: want RFC 3339 or Unix nanoseconds", name, s)
	}
	return ns, nil
}

// writeQueryError maps engine errors: the user's mistakes are 400 with the position, limits
// 422, a closing or failing store 503.
func (a *API) writeQueryError(w http.ResponseWriter, r *http.Request, err error) {
	var qe *query.Error
	switch {
	case errors.As(err, &qe):
		d := ErrorDetail{Code: "invalid_query", Message: qe.Err.Msg}
		if qe.Err.Pos.IsValid() {
			d.Line, d.Column = qe.Err.Pos.Line, qe.Err.Pos.Column
		}
		d.Expected = qe.Err.Expected
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: d})
	case errors.Is(err, store.ErrInvalidQuery):
		writeError(w, http.StatusBadRequest, "invalid_query", err.Error())
	case errors.Is(err, store.ErrQueryLimit):
		writeError(w, http.StatusUnprocessableEntity, "query_limit", err.Error())
	case errors.Is(err, store.ErrClosed), errors.Is(err, store.ErrUnavailable):
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	case r.Context().Err() != nil:
		writeError(w, http.StatusServiceUnavailable, "canceled", "request canceled")
	default:
		a.opts.Logger.Error("cannot run query", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}
