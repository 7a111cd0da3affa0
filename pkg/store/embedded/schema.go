//go:build duckdb_arrow

package embedded

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// The physical schema is exactly the logical one in docs/schema.md: the buffers, the Parquet
// parts and the Arrow views all use these schemas, so a query sees one shape whatever the source.

// Table names.
const (
	tableLogs    = "logs"
	tableSpans   = "spans"
	tableMetrics = "metrics"
)

var tableNames = [...]string{tableLogs, tableSpans, tableMetrics}

// tableIndex returns the index of a table in tableNames, or -1.
func tableIndex(name string) int {
	for i, n := range tableNames {
		if n == name {
			return i
		}
	}
	return -1
}

var (
	tsType  = &arrow.TimestampType{Unit: arrow.Nanosecond} // no zone: DuckDB reads TIMESTAMP_NS
	strType = arrow.BinaryTypes.String
	mapType = arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)
)

func req(name string, t arrow.DataType) arrow.Field { return arrow.Field{Name: name, Type: t} }
func opt(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

var logsSchema = arrow.NewSchema([]arrow.Field{
	req("timestamp", tsType),
	req("observed_timestamp", tsType),
	req("trace_id", strType),
	req("span_id", strType),
	req("trace_flags", arrow.PrimitiveTypes.Int32),
	req("severity_text", strType),
	req("severity_number", arrow.PrimitiveTypes.Int32),
	req("service", strType),
	req("body", strType),
	req("attributes", mapType),
	req("resource", mapType),
	req("resource_schema_url", strType),
	req("scope_name", strType),
	req("scope_version", strType),
	req("scope_attributes", mapType),
	req("scope_schema_url", strType),
	req("event_name", strType),
}, nil)

var (
	eventType = arrow.StructOf(
		req("timestamp", tsType),
		req("name", strType),
		req("attributes", mapType),
	)
	linkType = arrow.StructOf(
		req("trace_id", strType),
		req("span_id", strType),
		req("trace_state", strType),
		req("attributes", mapType),
	)
)

var spansSchema = arrow.NewSchema([]arrow.Field{
	req("timestamp", tsType),
	req("end_timestamp", tsType),
	req("duration_ns", arrow.PrimitiveTypes.Int64),
	req("trace_id", strType),
	req("span_id", strType),
	req("parent_span_id", strType),
	req("trace_state", strType),
	req("trace_flags", arrow.PrimitiveTypes.Int32),
	req("name", strType),
	req("kind", strType),
	req("service", strType),
	req("status_code", strType),
	req("status_message", strType),
	req("attributes", mapType),
	req("resource", mapType),
	req("scope_name", strType),
	req("scope_version", strType),
	req("events", arrow.ListOf(eventType)),
	req("links", arrow.ListOf(linkType)),
}, nil)

var (
	quantileType = arrow.StructOf(
		req("quantile", arrow.PrimitiveTypes.Float64),
		req("value", arrow.PrimitiveTypes.Float64),
	)
	exemplarType = arrow.StructOf(
		req("timestamp", tsType),
		req("value", arrow.PrimitiveTypes.Float64),
		req("trace_id", strType),
		req("span_id", strType),
		req("filtered_attributes", mapType),
	)
)

var metricsSchema = arrow.NewSchema([]arrow.Field{
	req("timestamp", tsType),
	req("start_timestamp", tsType),
	req("name", strType),
	req("description", strType),
	req("unit", strType),
	req("type", strType),
	req("service", strType),
	req("attributes", mapType),
	req("resource", mapType),
	req("scope_name", strType),
	req("scope_version", strType),
	req("flags", arrow.PrimitiveTypes.Int32),
	opt("value", arrow.PrimitiveTypes.Float64),
	opt("temporality", strType),
	opt("is_monotonic", arrow.FixedWidthTypes.Boolean),
	opt("count", arrow.PrimitiveTypes.Int64),
	opt("sum", arrow.PrimitiveTypes.Float64),
	opt("min", arrow.PrimitiveTypes.Float64),
	opt("max", arrow.PrimitiveTypes.Float64),
	opt("bucket_counts", arrow.ListOf(arrow.PrimitiveTypes.Int64)),
	opt("explicit_bounds", arrow.ListOf(arrow.PrimitiveTypes.Float64)),
	opt("scale", arrow.PrimitiveTypes.Int32),
	opt("zero_count", arrow.PrimitiveTypes.Int64),
	opt("zero_threshold", arrow.PrimitiveTypes.Float64),
	opt("positive_offset", arrow.PrimitiveTypes.Int32),
	opt("positive_bucket_counts", arrow.ListOf(arrow.PrimitiveTypes.Int64)),
	opt("negative_offset", arrow.PrimitiveTypes.Int32),
	opt("negative_bucket_counts", arrow.ListOf(arrow.PrimitiveTypes.Int64)),
	opt("quantiles", arrow.ListOf(quantileType)),
	opt("exemplars", arrow.ListOf(exemplarType)),
}, nil)

var tableSchemas = [...]*arrow.Schema{logsSchema, spansSchema, metricsSchema}
