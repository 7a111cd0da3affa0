package model

// Resource describes the entity that produced telemetry. Records of one OTLP ResourceLogs (or
// ResourceSpans, ResourceMetrics) share one *Resource; treat it as immutable once built.
type Resource struct {
	Attributes             Attributes
	DroppedAttributesCount uint32
	SchemaURL              string
}

// ServiceName returns the resource's service.name attribute rendered as a string, or "".
func (r *Resource) ServiceName() string {
	if r == nil {
		return ""
	}
	if v, ok := r.Attributes.Get("service.name"); ok {
		return v.AsString()
	}
	return ""
}

// Scope is the instrumentation scope. Shared and immutable like Resource.
type Scope struct {
	Name                   string
	Version                string
	Attributes             Attributes
	DroppedAttributesCount uint32
	SchemaURL              string
}

// SeverityNumber follows the OTLP log data model (1..24; 0 = unspecified).
type SeverityNumber int32

// LogRecord is one log record. Timestamp is the event time; when the producer left it unset the
// converter uses ObservedTimestamp, so a stored record always has Timestamp > 0.
type LogRecord struct {
	Timestamp              int64 // ns
	ObservedTimestamp      int64 // ns, 0 if unknown
	SeverityNumber         SeverityNumber
	SeverityText           string
	Body                   Value
	Attributes             Attributes
	DroppedAttributesCount uint32
	Flags                  uint32
	TraceID                TraceID
	SpanID                 SpanID
	EventName              string
	Resource               *Resource
	Scope                  *Scope
}

// SpanKind follows OTLP (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer).
type SpanKind int32

// The span kinds.
const (
	SpanKindUnspecified SpanKind = iota
	SpanKindInternal
	SpanKindServer
	SpanKindClient
	SpanKindProducer
	SpanKindConsumer
)

var spanKindNames = [...]string{"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"}

// String returns the name stored in the kind column ("Server", "Client", ...), the form the
// OpenTelemetry Collector ClickHouse exporter uses.
func (k SpanKind) String() string {
	if k >= 0 && int(k) < len(spanKindNames) {
		return spanKindNames[k]
	}
	return "Unspecified"
}

// StatusCode follows OTLP (0 unset, 1 ok, 2 error).
type StatusCode int32

// The status codes.
const (
	StatusUnset StatusCode = iota
	StatusOK
	StatusError
)

var statusNames = [...]string{"Unset", "Ok", "Error"}

// String returns the name stored in the status_code column ("Unset", "Ok", "Error").
func (c StatusCode) String() string {
	if c >= 0 && int(c) < len(statusNames) {
		return statusNames[c]
	}
	return "Unset"
}

// Span is one span. StartTimestamp and EndTimestamp are in ns; Duration = End - Start.
type Span struct {
	TraceID                TraceID
	SpanID                 SpanID
	ParentSpanID           SpanID
	TraceState             string
	Flags                  uint32
	Name                   string
	Kind                   SpanKind
	StartTimestamp         int64
	EndTimestamp           int64
	Attributes             Attributes
	DroppedAttributesCount uint32
	Events                 []SpanEvent
	DroppedEventsCount     uint32
	Links                  []SpanLink
	DroppedLinksCount      uint32
	StatusCode             StatusCode
	StatusMessage          string
	Resource               *Resource
	Scope                  *Scope
}

// DurationNanos is EndTimestamp - StartTimestamp.
func (s *Span) DurationNanos() int64 { return s.EndTimestamp - s.StartTimestamp }

// SpanEvent is a timed event within a span (OTLP Span.Event).
type SpanEvent struct {
	Timestamp              int64
	Name                   string
	Attributes             Attributes
	DroppedAttributesCount uint32
}

// SpanLink points to another span (OTLP Span.Link).
type SpanLink struct {
	TraceID                TraceID
	SpanID                 SpanID
	TraceState             string
	Attributes             Attributes
	DroppedAttributesCount uint32
	Flags                  uint32
}

// MetricType is the OTLP data point type of a metric.
type MetricType uint8

// The metric types.
const (
	MetricGauge MetricType = iota + 1
	MetricSum
	MetricHistogram
	MetricExponentialHistogram
	MetricSummary
)

var metricTypeNames = [...]string{"", "gauge", "sum", "histogram", "exponential_histogram", "summary"}

// String returns the name stored in the type column.
func (t MetricType) String() string {
	if int(t) < len(metricTypeNames) {
		return metricTypeNames[t]
	}
	return ""
}

// ParseMetricType is the inverse of MetricType.String.
func ParseMetricType(s string) (MetricType, bool) {
	for i, n := range metricTypeNames {
		if i > 0 && n == s {
			return MetricType(i), true
		}
	}
	return 0, false
}

// Temporality is the OTLP aggregation temporality (0 unspecified, 1 delta, 2 cumulative).
type Temporality int32

// The temporalities.
const (
	TemporalityUnspecified Temporality = iota
	TemporalityDelta
	TemporalityCumulative
)

var temporalityNames = [...]string{"Unspecified", "Delta", "Cumulative"}

// String returns "Unspecified", "Delta" or "Cumulative".
func (t Temporality) String() string {
	if t >= 0 && int(t) < len(temporalityNames) {
		return temporalityNames[t]
	}
	return "Unspecified"
}

// MetricPoint is one data point of one metric, flattened with its metric's name, description,
// unit and type. Which value fields are meaningful depends on Type:
//
//	gauge, sum:             Value (int points are converted to float64; IsInt records it)
//	sum:                    also Temporality, IsMonotonic
//	histogram:              Count, Sum, Min, Max (Has* flags), BucketCounts, ExplicitBounds, Temporality
//	exponential_histogram:  Count, Sum, Min, Max, Scale, ZeroCount, ZeroThreshold,
//	                        PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts, Temporality
//	summary:                Count, Sum, Quantiles
type MetricPoint struct {
	Name        string
	Description string
	Unit        string
	Type        MetricType

	StartTimestamp int64 // ns, 0 if unknown
	Timestamp      int64 // ns
	Attributes     Attributes
	Flags          uint32
	Exemplars      []Exemplar

	Value       float64
	IsInt       bool
	Temporality Temporality
	IsMonotonic bool

	Count  uint64
	Sum    float64
	HasSum bool
	Min    float64
	HasMin bool
	Max    float64
	HasMax bool

	BucketCounts   []uint64
	ExplicitBounds []float64

	Scale                int32
	ZeroCount            uint64
	ZeroThreshold        float64
	PositiveOffset       int32
	PositiveBucketCounts []uint64
	NegativeOffset       int32
	NegativeBucketCounts []uint64

	Quantiles []QuantileValue

	Resource *Resource
	Scope    *Scope
}

// QuantileValue is one quantile of a summary point.
type QuantileValue struct {
	Quantile float64
	Value    float64
}

// Exemplar is a sample measurement attached to a metric point.
type Exemplar struct {
	Timestamp          int64
	Value              float64
	IsInt              bool
	FilteredAttributes Attributes
	TraceID            TraceID
	SpanID             SpanID
}

// Batch is what one request contributes to a store: rows of any signals. The store owns nothing
// in it after Write returns (it copies what it keeps).
type Batch struct {
	Logs    []LogRecord
	Spans   []Span
	Metrics []MetricPoint
}

// Len is the number of rows in the batch.
func (b *Batch) Len() int { return len(b.Logs) + len(b.Spans) + len(b.Metrics) }
