package clickhouse

import (
	"fmt"
	"math"

	"github.com/heimsight/heimsight/pkg/model"
)

// A physical table's insert columns: names and ClickHouse types exactly as the migrated table
// reports them (system.columns; a test checks this against the real engine). The writer inserts
// with this explicit column list, so columns added later (or a Collector's extra ones) never
// shift values.
type colDef struct {
	name, typ string
}

const (
	tDT64   = "DateTime64(9)"
	tStr    = "String"
	tLCStr  = "LowCardinality(String)"
	tAttrs  = "Map(LowCardinality(String), String)"
	tU8     = "UInt8"
	tU32    = "UInt32"
	tU64    = "UInt64"
	tI32    = "Int32"
	tF64    = "Float64"
	tBool   = "Bool"
	tArrDT  = "Array(DateTime64(9))"
	tArrStr = "Array(String)"
	tArrLC  = "Array(LowCardinality(String))"
	tArrMap = "Array(Map(LowCardinality(String), String))"
	tArrU64 = "Array(UInt64)"
	tArrF64 = "Array(Float64)"
)

// Physical table names, as the exporter names them.
const (
	tableLogs       = "otel_logs"
	tableTraces     = "otel_traces"
	tableGauge      = "otel_metrics_gauge"
	tableSum        = "otel_metrics_sum"
	tableHistogram  = "otel_metrics_histogram"
	tableExpHist    = "otel_metrics_exponential_histogram"
	tableSummary    = "otel_metrics_summary"
	tableTraceIDTs  = "otel_traces_trace_id_ts"
	tableMigrations = "heimsight_schema_migrations"
)

var logsCols = []colDef{
	{"Timestamp", tDT64}, {"TraceId", tStr}, {"SpanId", tStr}, {"TraceFlags", tU8},
	{"SeverityText", tLCStr}, {"SeverityNumber", tU8}, {"ServiceName", tLCStr}, {"Body", tStr},
	{"ResourceSchemaUrl", tLCStr}, {"ResourceAttributes", tAttrs}, {"ScopeSchemaUrl", tLCStr},
	{"ScopeName", tStr}, {"ScopeVersion", tLCStr}, {"ScopeAttributes", tAttrs}, {"LogAttributes", tAttrs},
	{"EventName", tStr}, {"ObservedTimestamp", tDT64},
}

var tracesCols = []colDef{
	{"Timestamp", tDT64}, {"TraceId", tStr}, {"SpanId", tStr}, {"ParentSpanId", tStr}, {"TraceState", tStr},
	{"SpanName", tLCStr}, {"SpanKind", tLCStr}, {"ServiceName", tLCStr}, {"ResourceAttributes", tAttrs},
	{"ScopeName", tStr}, {"ScopeVersion", tStr}, {"SpanAttributes", tAttrs}, {"Duration", tU64},
	{"StatusCode", tLCStr}, {"StatusMessage", tStr},
	{"Events.Timestamp", tArrDT}, {"Events.Name", tArrLC}, {"Events.Attributes", tArrMap},
	{"Links.TraceId", tArrStr}, {"Links.SpanId", tArrStr}, {"Links.TraceState", tArrStr}, {"Links.Attributes", tArrMap},
	{"TraceFlags", tU32},
}

var metricCommonCols = []colDef{
	{"ResourceAttributes", tAttrs}, {"ResourceSchemaUrl", tStr}, {"ScopeName", tStr}, {"ScopeVersion", tStr},
	{"ScopeAttributes", tAttrs}, {"ScopeDroppedAttrCount", tU32}, {"ScopeSchemaUrl", tStr}, {"ServiceName", tLCStr},
	{"MetricName", tStr}, {"MetricDescription", tStr}, {"MetricUnit", tStr}, {"Attributes", tAttrs},
	{"StartTimeUnix", tDT64}, {"TimeUnix", tDT64}, {"Flags", tU32},
}

var exemplarCols = []colDef{
	{"Exemplars.FilteredAttributes", tArrMap}, {"Exemplars.TimeUnix", tArrDT}, {"Exemplars.Value", tArrF64},
	{"Exemplars.SpanId", tArrStr}, {"Exemplars.TraceId", tArrStr},
}

func concatCols(parts ...[]colDef) []colDef {
	var out []colDef
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var (
	gaugeCols = concatCols(metricCommonCols, exemplarCols, []colDef{{"Value", tF64}})
	sumCols   = concatCols(metricCommonCols, exemplarCols, []colDef{{"Value", tF64}, {"AggregationTemporality", tI32}, {"IsMonotonic", tBool}})
	histCols  = concatCols(metricCommonCols, exemplarCols, []colDef{
		{"Count", tU64}, {"Sum", tF64}, {"BucketCounts", tArrU64}, {"ExplicitBounds", tArrF64},
		{"Min", tF64}, {"Max", tF64}, {"AggregationTemporality", tI32}})
	expHistCols = concatCols(metricCommonCols, exemplarCols, []colDef{
		{"Count", tU64}, {"Sum", tF64}, {"Scale", tI32}, {"ZeroCount", tU64},
		{"PositiveOffset", tI32}, {"PositiveBucketCounts", tArrU64}, {"NegativeOffset", tI32}, {"NegativeBucketCounts", tArrU64},
		{"Min", tF64}, {"Max", tF64}, {"AggregationTemporality", tI32}, {"ZeroThreshold", tF64}})
	summaryCols = concatCols(metricCommonCols, []colDef{
		{"Count", tU64}, {"Sum", tF64}, {"ValueAtQuantiles.Quantile", tArrF64}, {"ValueAtQuantiles.Value", tArrF64}})
)

func resourceSchema(r *model.Resource) string {
	if r == nil {
		return ""
	}
	return r.SchemaURL
}

func scopeFields(s *model.Scope) (name, version, schema string, dropped uint32) {
	if s == nil {
		return "", "", "", 0
	}
	return s.Name, s.Version, s.SchemaURL, s.DroppedAttributesCount
}

func clampU8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > math.MaxUint8 {
		return math.MaxUint8
	}
	return uint8(v)
}

// optional encodes an absent histogram/summary sum, min or max as NaN: the exporter schema has
// no NULL there, and NaN is no value a producer sends. The logical tables read NaN back as NULL.
func optional(v float64, ok bool) float64 {
	if !ok {
		return math.NaN()
	}
	return v
}

// tableSpec ties a physical table to its columns; newColBuffer makes its buffer.
type tableSpec struct {
	name string
	cols []colDef
}

// The physical tables the writer inserts into, in a fixed order (the writer's table index).
const (
	idxLogs = iota
	idxTraces
	idxGauge
	idxSum
	idxHistogram
	idxExpHist
	idxSummary
	numTables
)

var tableSpecs = [numTables]tableSpec{
	idxLogs:      {tableLogs, logsCols},
	idxTraces:    {tableTraces, tracesCols},
	idxGauge:     {tableGauge, gaugeCols},
	idxSum:       {tableSum, sumCols},
	idxHistogram: {tableHistogram, histCols},
	idxExpHist:   {tableExpHist, expHistCols},
	idxSummary:   {tableSummary, summaryCols},
}

// metricTable maps a metric type to its table index.
func metricTable(t model.MetricType) (int, error) {
	switch t {
	case model.MetricGauge:
		return idxGauge, nil
	case model.MetricSum:
		return idxSum, nil
	case model.MetricHistogram:
		return idxHistogram, nil
	case model.MetricExponentialHistogram:
		return idxExpHist, nil
	case model.MetricSummary:
		return idxSummary, nil
	}
	return 0, fmt.Errorf("cannot store metric point: unknown type %d", t)
}

// insertSQL is the INSERT of a flush into table t: explicit column list, no values (the insert
// path appends " VALUES"; the block follows on the native protocol).
func insertSQL(database string, t *tableSpec) string {
	s := "INSERT INTO " + QuoteIdent(database) + "." + QuoteIdent(t.name) + " ("
	for i, c := range t.cols {
		if i > 0 {
			s += ", "
		}
		s += QuoteIdent(c.name)
	}
	return s + ")"
}
