package datasource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	hsclient "github.com/heimsight/heimsight/pkg/client"
)

// arrowStreamType is the media type that asks the ingestor for an Arrow IPC stream instead of
// JSON: it decodes without per-value parsing, which matters for 100k-row log results.
const arrowStreamType = "application/vnd.apache.arrow.stream"

// maxErrorBody bounds how much of a failed response is read for its message.
const maxErrorBody = 64 << 10

// client is the plugin's view of the ingestor's REST API. Safe for concurrent use.
type client struct {
	base  string
	token string
	http  *http.Client
	// json forces JSON responses (benchmarks and tests compare the two transports).
	json bool
}

func newClient(s Settings) *client {
	return &client{base: s.URL, token: s.APIToken, http: &http.Client{Timeout: s.Timeout}}
}

// queryRequest is the body of POST /api/v1/query (the server's own type).
type queryRequest = hsclient.QueryRequest

// result is one query result: Arrow record batches sharing a schema. The records are built on
// the Go allocator, so dropping them without Release is safe (strings taken from them stay valid).
type result struct {
	Schema    *arrow.Schema
	Records   []arrow.RecordBatch
	Rows      int64
	Truncated bool
	// Tier names the aggregation tier the ingestor read instead of the raw table the query
	// names (stats.tier in JSON, X-Heimsight-Tier with Arrow); empty when that table answered.
	Tier string
	// TierFrom and TierTo (Unix ns, inclusive) are the part of the range the tier answered
	// (stats.tier_from and stats.tier_to, X-Heimsight-Tier-From and -To): the whole range, or
	// its whole buckets when raw rows answered the rest. Both 0 when the ingestor does not say.
	TierFrom, TierTo int64
}

// APIError is an error answer of the ingestor: {"error": {"code", "message", "line", "column"}}.
type APIError struct {
	Status  int // HTTP status
	Code    string
	Message string
	// Line and Column locate an HQL error in the query text (0 when not an HQL error);
	// Expected lists what the parser wanted there.
	Line, Column int
	Expected     []string
}

func (e *APIError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "HQL error at line %d, column %d: ", e.Line, e.Column)
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	b.WriteString(msg)
	if len(e.Expected) > 0 && !strings.Contains(msg, "expected") {
		b.WriteString(" (expected " + strings.Join(e.Expected, " or ") + ")")
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s, HTTP %d)", e.Code, e.Status)
	} else {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	return b.String()
}

// UnreachableError wraps a transport failure (connection refused, DNS, timeout).
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the Heimsight ingestor at %s: %v", e.URL, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

func (c *client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("cannot build request %s %s: %w", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "heimsight-grafana-datasource")
	return req, nil
}

func (c *client) do(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &UnreachableError{URL: c.base, Err: err}
	}
	return resp, nil
}

// decodeAPIError reads an error response. Non-JSON bodies (a proxy's HTML page) become the
// message, shortened.
func decodeAPIError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{Status: resp.StatusCode}
	var eb hsclient.ErrorBody
	var h hsclient.HealthResponse
	if json.Unmarshal(body, &eb) == nil && (eb.Error.Code != "" || eb.Error.Message != "") {
		e.Code, e.Message, e.Line, e.Column, e.Expected = eb.Error.Code, eb.Error.Message, eb.Error.Line, eb.Error.Column, eb.Error.Expected
	} else if json.Unmarshal(body, &h) == nil && h.Status != "" {
		// An unhealthy /health answers with its own body ("stopping" while shutting down).
		e.Message = "status " + h.Status
	} else {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		e.Message = msg
	}
	return e
}

// Query runs HQL on the ingestor.
func (c *client) Query(ctx context.Context, q queryRequest) (*result, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("cannot encode query request: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/api/v1/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.json {
		req.Header.Set("Accept", "application/json")
	} else {
		req.Header.Set("Accept", arrowStreamType+", application/json;q=0.5")
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, decodeAPIError(resp)
	}
	ct := resp.Header.Get("Content-Type")
	var res *result
	if strings.HasPrefix(ct, arrowStreamType) {
		res, err = readArrowStream(resp.Body)
	} else {
		res, err = readJSONResult(resp.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read query result: %w", err)
	}
	if t := resp.Header.Get("X-Heimsight-Truncated"); t == "true" || t == "1" {
		res.Truncated = true
	}
	if t := strings.TrimSpace(resp.Header.Get("X-Heimsight-Tier")); t != "" {
		res.Tier = t
		from, errFrom := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-Heimsight-Tier-From")), 10, 64)
		to, errTo := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-Heimsight-Tier-To")), 10, 64)
		if errFrom == nil && errTo == nil && from <= to {
			res.TierFrom, res.TierTo = from, to
		}
	}
	return res, nil
}

// readArrowStream decodes an Arrow IPC stream. Records are retained past the reader's lifetime.
func readArrowStream(r io.Reader) (*result, error) {
	rd, err := ipc.NewReader(r, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, fmt.Errorf("cannot open Arrow stream: %w", err)
	}
	defer rd.Release()
	res := &result{Schema: rd.Schema()}
	for rd.Next() {
		rec := rd.RecordBatch()
		rec.Retain()
		res.Records = append(res.Records, rec)
		res.Rows += rec.NumRows()
	}
	if err := rd.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("cannot read Arrow stream: %w", err)
	}
	if md := res.Schema.Metadata(); md.Len() > 0 {
		if i := md.FindKey("truncated"); i >= 0 && md.Values()[i] == "true" {
			res.Truncated = true
		}
	}
	return res, nil
}

// Health is the answer of GET /health.
type Health = hsclient.HealthResponse

// Health calls GET /health.
func (c *client) Health(ctx context.Context) (*Health, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/health", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, decodeAPIError(resp)
	}
	var h Health
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&h); err != nil {
		return nil, fmt.Errorf("cannot decode /health answer (is this URL a Heimsight ingestor?): %w", err)
	}
	return &h, nil
}

// Proxy forwards a request to path on the ingestor with the token and returns the raw answer;
// the caller owns resp.Body.
func (c *client) Proxy(ctx context.Context, method, path string, body io.Reader, contentType string) (*http.Response, error) {
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	return c.do(req)
}

// timeArg renders t for QueryRequest.From and To (Unix ns); zero time means unbounded.
func timeArg(t time.Time) json.RawMessage {
	if t.IsZero() {
		return nil
	}
	return hsclient.TimeArg(t.UnixNano())
}
