package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heimsight/heimsight/pkg/ingest/rest"
)

// Client talks to one Heimsight server. Safe for concurrent use.
type Client struct {
	base string
	http *http.Client
}

// New returns a client for the server at baseURL ("http://localhost:8080"). httpClient nil
// means a client with a 60-second timeout.
func New(baseURL string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("cannot use API URL %q: want http://host:port", baseURL)
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 60 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: httpClient}, nil
}

// APIError is an error response from the server.
type APIError struct {
	StatusCode int
	Detail     ErrorDetail
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("server answered %d %s: %s", e.StatusCode, e.Detail.Code, e.Detail.Message)
	if e.Detail.Line > 0 {
		msg += fmt.Sprintf(" (line %d, column %d)", e.Detail.Line, e.Detail.Column)
	}
	return msg
}

// Health calls GET /health. A server that answers but is not healthy returns its response and
// an *APIError.
func (c *Client) Health(ctx context.Context) (HealthResponse, error) {
	var h HealthResponse
	err := c.do(ctx, http.MethodGet, "/health", nil, &h)
	var ae *APIError
	if errors.As(err, &ae) && h.Status == "" {
		h.Status = ae.Detail.Message
	}
	return h, err
}

// Query runs HQL through POST /api/v1/query.
func (c *Client) Query(ctx context.Context, req QueryRequest) (*QueryResponse, error) {
	var out QueryResponse
	if err := c.do(ctx, http.MethodPost, "/api/v1/query", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IngestLogs, IngestSpans and IngestMetrics post records in the REST form. A request the server
// accepted with some records rejected returns the response and no error.
func (c *Client) IngestLogs(ctx context.Context, recs []rest.LogRecord) (rest.IngestResponse, error) {
	return c.ingest(ctx, "/api/v1/logs", recs)
}

func (c *Client) IngestSpans(ctx context.Context, recs []rest.Span) (rest.IngestResponse, error) {
	return c.ingest(ctx, "/api/v1/traces", recs)
}

func (c *Client) IngestMetrics(ctx context.Context, recs []rest.MetricPoint) (rest.IngestResponse, error) {
	return c.ingest(ctx, "/api/v1/metrics", recs)
}

func (c *Client) ingest(ctx context.Context, path string, body any) (rest.IngestResponse, error) {
	var out rest.IngestResponse
	err := c.do(ctx, http.MethodPost, path, body, &out)
	return out, err
}

// List calls a GET listing (path "/api/v1/logs", "/api/v1/traces", "/api/v1/metrics" or
// "/api/v1/traces/<id>") with the given filters.
func (c *Client) List(ctx context.Context, path string, params url.Values) (*ListResponse, error) {
	if len(params) > 0 {
		path += "?" + params.Encode()
	}
	var out ListResponse
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("cannot encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("cannot build request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return fmt.Errorf("cannot read response from %s: %w", c.base, err)
	}
	if resp.StatusCode >= 300 {
		ae := &APIError{StatusCode: resp.StatusCode}
		var eb ErrorBody
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
			ae.Detail = eb.Error
		} else {
			ae.Detail = ErrorDetail{Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(raw))}
		}
		// Bodies that carry data besides the error (an unhealthy /health, an ingest whose records
		// were all rejected) still fill out.
		if out != nil {
			_ = json.Unmarshal(raw, out)
		}
		return ae
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("cannot decode response from %s: %w", c.base, err)
	}
	return nil
}
