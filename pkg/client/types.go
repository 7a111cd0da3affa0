package client

import (
	"encoding/json"
	"strconv"
)

// HealthResponse is the body of GET /health.
type HealthResponse struct {
	Status        string  `json:"status"` // "ok", or "stopping" (with HTTP 503) while shutting down
	Version       string  `json:"version"`
	Storage       string  `json:"storage"` // "embedded" or "clickhouse"
	UptimeSeconds float64 `json:"uptime_seconds"`
	Uptime        string  `json:"uptime"` // Go duration, rounded to seconds
}

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes one error. Field, Line and Column are set when they apply: the unknown
// JSON field of an ingest request; the 1-based position of an HQL error.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	// Expected lists what an HQL parser wanted at Line:Column, for syntax errors.
	Expected []string `json:"expected,omitempty"`
}

// QueryRequest is the body of POST /api/v1/query.
type QueryRequest struct {
	Query string `json:"query"`
	// From and To bound $__timeFilter and time-range pruning: RFC 3339 or Unix nanoseconds
	// (as a JSON string or number). Empty: unbounded.
	From json.RawMessage `json:"from,omitempty"`
	To   json.RawMessage `json:"to,omitempty"`
	// Interval is $__interval, a Go duration ("1m"); empty lets the server choose.
	Interval string `json:"interval,omitempty"`
	// MaxRows bounds the rows returned (0: server default; never above the server maximum).
	MaxRows int `json:"max_rows,omitempty"`
	// Raw makes a query over a raw table read that table, never an aggregation tier the server
	// would choose to answer it.
	Raw bool `json:"raw,omitempty"`
}

// TimeArg renders a Unix-nanosecond timestamp for QueryRequest.From and To.
func TimeArg(ns int64) json.RawMessage { return json.RawMessage(strconv.FormatInt(ns, 10)) }

// QueryResponse is the JSON body of POST /api/v1/query. Data is columnar: Data[i] holds the
// values of Columns[i], one per row. Timestamps are Unix nanoseconds, maps JSON objects, lists
// arrays, NULL null.
type QueryResponse struct {
	Columns []Column `json:"columns"`
	Data    [][]any  `json:"data"`
	Stats   Stats    `json:"stats"`
}

// Column names one result column and its type ("timestamp", "string", "int64", "float64",
// "bool", "map", "list<int64>", ...).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Stats describes how a query ran.
type Stats struct {
	Rows      int64   `json:"rows"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Truncated bool    `json:"truncated"`
	// Tier names the aggregation tier that answered a query over a raw table; empty when the
	// table the query names answered it.
	Tier string `json:"tier,omitempty"`
	// TierFrom and TierTo (Unix ns, inclusive) are the part of the range the tier answered:
	// the whole range, or its whole buckets when raw rows answered the ragged start and the
	// newest buckets the tier does not hold yet.
	TierFrom int64 `json:"tier_from,omitempty"`
	TierTo   int64 `json:"tier_to,omitempty"`
}

// ListResponse is the body of the GET listings (/api/v1/logs, /api/v1/traces, /api/v1/metrics)
// and of GET /api/v1/traces/{trace_id}. Each item is one row as a JSON object keyed by column
// name (see docs/schema.md), timestamps as Unix nanoseconds with an RFC 3339 copy in a sibling
// field suffixed "_rfc3339". NextCursor, when not empty, fetches the next (older) page.
type ListResponse struct {
	Items      []map[string]any `json:"items"`
	Count      int              `json:"count"`
	NextCursor string           `json:"next_cursor,omitempty"`
}
