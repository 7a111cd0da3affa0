package rest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// Time is a timestamp that unmarshals from a JSON integer (Unix nanoseconds), a string holding
// one, or an RFC 3339 string, and marshals as Unix nanoseconds. An unparsable value does not fail
// decoding: it is kept, and the record holding it is rejected with a reason.
type Time struct {
	ns  int64
	bad string // the raw value when it could not be parsed
}

// UnixNano returns the Time for ns nanoseconds since the Unix epoch.
func UnixNano(ns int64) Time { return Time{ns: ns} }

// At returns the Time of t.
func At(t time.Time) Time { return Time{ns: t.UnixNano()} }

// UnixNano returns the nanoseconds since the Unix epoch; 0 when unset or invalid.
func (t Time) UnixNano() int64 { return t.ns }

// IsZero reports whether the timestamp is unset.
func (t Time) IsZero() bool { return t.ns == 0 && t.bad == "" }

// MarshalJSON writes Unix nanoseconds.
func (t Time) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, t.ns, 10), nil }

// UnmarshalJSON accepts an integer, a numeric string or an RFC 3339 string.
func (t *Time) UnmarshalJSON(b []byte) error {
	*t = Time{}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			t.bad = string(b)
			return nil
		}
	}
	ns, err := ParseTime(s)
	if err != nil {
		t.bad = s
		if t.bad == "" {
			t.bad = `""`
		}
		return nil
	}
	t.ns = ns
	return nil
}

// ParseTime parses Unix nanoseconds (an integer) or an RFC 3339 timestamp (with optional
// fractional seconds) into Unix nanoseconds.
func ParseTime(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	return tm.UnixNano(), nil
}

// LogRecord is one log record.
type LogRecord struct {
	// Timestamp is the event time. Required and non-zero.
	Timestamp         Time `json:"timestamp"`
	ObservedTimestamp Time `json:"observed_timestamp,omitzero"`
	// Severity is the severity text ("INFO", "error", ...). When SeverityNumber is absent it is
	// derived from the text (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21).
	Severity       string `json:"severity,omitempty"`
	SeverityNumber *int32 `json:"severity_number,omitempty"`
	// Body is the message: a string, or any JSON value (stored as compact JSON).
	Body any `json:"body,omitempty"`
	// Service sets the resource attribute service.name.
	Service    string         `json:"service,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Resource   map[string]any `json:"resource,omitempty"`
	TraceID    string         `json:"trace_id,omitempty"` // 32 hex digits
	SpanID     string         `json:"span_id,omitempty"`  // 16 hex digits
	Flags      uint32         `json:"flags,omitempty"`
	EventName  string         `json:"event_name,omitempty"`
}

// Span is one span.
type Span struct {
	TraceID      string `json:"trace_id"`                 // 32 hex digits, required
	SpanID       string `json:"span_id"`                  // 16 hex digits, required
	ParentSpanID string `json:"parent_span_id,omitempty"` // 16 hex digits, empty for a root
	TraceState   string `json:"trace_state,omitempty"`
	Flags        uint32 `json:"flags,omitempty"`
	Name         string `json:"name"`
	// Kind is unspecified, internal, server, client, producer or consumer (any case).
	Kind    string `json:"kind,omitempty"`
	Service string `json:"service,omitempty"`
	// StartTime is required; EndTime or DurationNanos gives the end (EndTime wins).
	StartTime     Time   `json:"start_time"`
	EndTime       Time   `json:"end_time,omitzero"`
	DurationNanos *int64 `json:"duration_ns,omitempty"`
	// Status is unset, ok or error (any case).
	Status        string         `json:"status,omitempty"`
	StatusMessage string         `json:"status_message,omitempty"`
	Attributes    map[string]any `json:"attributes,omitempty"`
	Resource      map[string]any `json:"resource,omitempty"`
	Events        []SpanEvent    `json:"events,omitempty"`
	Links         []SpanLink     `json:"links,omitempty"`
}

// SpanEvent is a timed event within a span.
type SpanEvent struct {
	Timestamp  Time           `json:"timestamp"`
	Name       string         `json:"name"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// SpanLink points to another span.
type SpanLink struct {
	TraceID    string         `json:"trace_id"`
	SpanID     string         `json:"span_id"`
	TraceState string         `json:"trace_state,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// MetricPoint is one data point. Type selects which value fields apply (see docs/rest-api.md).
type MetricPoint struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Unit        string `json:"unit,omitempty"`
	// Type is gauge (the default), sum, histogram, exponential_histogram or summary.
	Type           string         `json:"type,omitempty"`
	Timestamp      Time           `json:"timestamp"`
	StartTimestamp Time           `json:"start_timestamp,omitzero"`
	Service        string         `json:"service,omitempty"`
	Attributes     map[string]any `json:"attributes,omitempty"`
	Resource       map[string]any `json:"resource,omitempty"`

	// gauge and sum
	Value *float64 `json:"value,omitempty"`
	// sum, histogram, exponential_histogram: delta or cumulative (default cumulative)
	Temporality string `json:"temporality,omitempty"`
	Monotonic   bool   `json:"monotonic,omitempty"` // sum

	// histogram, exponential_histogram, summary
	Count *uint64  `json:"count,omitempty"`
	Sum   *float64 `json:"sum,omitempty"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`

	// histogram: len(BucketCounts) == len(ExplicitBounds)+1
	BucketCounts   []uint64  `json:"bucket_counts,omitempty"`
	ExplicitBounds []float64 `json:"explicit_bounds,omitempty"`

	// exponential_histogram
	Scale         int32    `json:"scale,omitempty"`
	ZeroCount     uint64   `json:"zero_count,omitempty"`
	ZeroThreshold float64  `json:"zero_threshold,omitempty"`
	Positive      *Buckets `json:"positive,omitempty"`
	Negative      *Buckets `json:"negative,omitempty"`

	// summary
	Quantiles []Quantile `json:"quantiles,omitempty"`
}

// Buckets is one side of an exponential histogram.
type Buckets struct {
	Offset       int32    `json:"offset"`
	BucketCounts []uint64 `json:"bucket_counts"`
}

// Quantile is one quantile of a summary point.
type Quantile struct {
	Quantile float64 `json:"quantile"`
	Value    float64 `json:"value"`
}

// IngestResponse is the reply to a well-formed ingest request.
type IngestResponse struct {
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
	// Errors lists rejected records (at most MaxReportedErrors; Rejected has the full count).
	Errors []RecordError `json:"errors,omitempty"`
	// DroppedAttributes counts attributes dropped over HEIMSIGHT_MAX_ATTRIBUTES_PER_RECORD and
	// TruncatedValues attribute values cut to HEIMSIGHT_MAX_ATTRIBUTE_VALUE_LENGTH bytes; the
	// records themselves were stored. Warning says the same in words.
	DroppedAttributes int64  `json:"dropped_attributes,omitempty"`
	TruncatedValues   int64  `json:"truncated_values,omitempty"`
	Warning           string `json:"warning,omitempty"`
}

// RecordError says why one record of a request was rejected.
type RecordError struct {
	Index   int    `json:"index"` // position in the request array (0 for a single object)
	Message string `json:"message"`
}

// MaxReportedErrors bounds IngestResponse.Errors so a huge bad batch gets a short reply.
const MaxReportedErrors = 100
