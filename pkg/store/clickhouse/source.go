package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heimsight/heimsight/pkg/rollup"
	"github.com/heimsight/heimsight/pkg/store"
)

// The logical tables (docs/schema.md) as relations over the exporter tables. Columns are renamed,
// not converted, where the physical type already is the logical one, so the server still sees
// the raw column under the alias: predicates pushed into the subquery use the ORDER BY key, the
// partition key and the skip indexes. LowCardinality(String) and Map(LowCardinality(String),
// String) read as utf8 and map<utf8,utf8>. ClickHouse has no nullable arrays: array columns that
// do not apply to a metric type are empty, not NULL.

type logicalCol struct {
	name string
	expr string
}

func logsColumns() []logicalCol {
	return []logicalCol{
		{"timestamp", "Timestamp"},
		{"observed_timestamp", "ObservedTimestamp"},
		{"trace_id", "TraceId"},
		{"span_id", "SpanId"},
		{"trace_flags", "toInt32(TraceFlags)"},
		{"severity_text", "SeverityText"},
		{"severity_number", "toInt32(SeverityNumber)"},
		{"service", "ServiceName"},
		{"body", "Body"},
		{"attributes", "LogAttributes"},
		{"resource", "ResourceAttributes"},
		{"resource_schema_url", "ResourceSchemaUrl"},
		{"scope_name", "ScopeName"},
		{"scope_version", "ScopeVersion"},
		{"scope_attributes", "ScopeAttributes"},
		{"scope_schema_url", "ScopeSchemaUrl"},
		{"event_name", "EventName"},
	}
}

const (
	attrsType    = "Map(String, String)"
	eventType    = "Tuple(timestamp DateTime64(9), name String, attributes " + attrsType + ")"
	linkType     = "Tuple(trace_id String, span_id String, trace_state String, attributes " + attrsType + ")"
	quantileType = "Tuple(quantile Float64, value Float64)"
	exemplarType = "Tuple(timestamp DateTime64(9), value Float64, trace_id String, span_id String, filtered_attributes " + attrsType + ")"
)

func spansColumns() []logicalCol {
	return []logicalCol{
		{"timestamp", "Timestamp"},
		{"end_timestamp", "addNanoseconds(Timestamp, Duration)"},
		{"duration_ns", "toInt64(Duration)"},
		{"trace_id", "TraceId"},
		{"span_id", "SpanId"},
		{"parent_span_id", "ParentSpanId"},
		{"trace_state", "TraceState"},
		// The column keeps all OTLP span flags; the logical column is the W3C trace flags byte.
		{"trace_flags", "toInt32(bitAnd(TraceFlags, 255))"},
		{"name", "SpanName"},
		{"kind", "SpanKind"},
		{"service", "ServiceName"},
		{"status_code", "StatusCode"},
		{"status_message", "StatusMessage"},
		{"attributes", "SpanAttributes"},
		{"resource", "ResourceAttributes"},
		{"scope_name", "ScopeName"},
		{"scope_version", "ScopeVersion"},
		{"events", "arrayMap((t, n, a) -> CAST((t, n, a), '" + eventType + "'), `Events.Timestamp`, `Events.Name`, `Events.Attributes`)"},
		{"links", "arrayMap((ti, si, ts, a) -> CAST((ti, si, ts, a), '" + linkType + "'), `Links.TraceId`, `Links.SpanId`, `Links.TraceState`, `Links.Attributes`)"},
	}
}

// metricCol is one logical metrics column: its ClickHouse type (what a branch without it
// produces: NULL, or an empty array) and its expression per metric table.
type metricCol struct {
	name, typ string
	expr      map[string]string // physical table -> expression; absent: the type's empty value
}

const allMetricTables = "*"

var (
	exemplarsExpr = "arrayMap((t, v, ti, si, a) -> CAST((t, v, ti, si, a), '" + exemplarType + "'), `Exemplars.TimeUnix`, `Exemplars.Value`, `Exemplars.TraceId`, `Exemplars.SpanId`, `Exemplars.FilteredAttributes`)"
	temporality   = "CAST(transform(AggregationTemporality, [1, 2], ['Delta', 'Cumulative'], 'Unspecified'), 'Nullable(String)')"
	// Absent sums, mins and maxes are stored as NaN (see optional in encode.go).
	nanToNull = func(col string) string { return "if(isNaN(" + col + "), NULL, " + col + ")" }
)

func metricsColumns() []metricCol {
	all := func(e string) map[string]string { return map[string]string{allMetricTables: e} }
	return []metricCol{
		{"timestamp", "", all("TimeUnix")},
		{"start_timestamp", "", all("StartTimeUnix")},
		{"name", "", all("MetricName")},
		{"description", "", all("MetricDescription")},
		{"unit", "", all("MetricUnit")},
		{"type", "", map[string]string{tableGauge: "'gauge'", tableSum: "'sum'", tableHistogram: "'histogram'",
			tableExpHist: "'exponential_histogram'", tableSummary: "'summary'"}},
		{"service", "", all("ServiceName")},
		{"attributes", "", all("Attributes")},
		{"resource", "", all("ResourceAttributes")},
		{"scope_name", "", all("ScopeName")},
		{"scope_version", "", all("ScopeVersion")},
		{"flags", "", all("toInt32(Flags)")},
		{"value", "Nullable(Float64)", map[string]string{tableGauge: "CAST(Value, 'Nullable(Float64)')", tableSum: "CAST(Value, 'Nullable(Float64)')"}},
		{"temporality", "Nullable(String)", map[string]string{tableSum: temporality, tableHistogram: temporality, tableExpHist: temporality}},
		{"is_monotonic", "Nullable(Bool)", map[string]string{tableSum: "CAST(IsMonotonic, 'Nullable(Bool)')"}},
		{"count", "Nullable(Int64)", map[string]string{tableHistogram: "CAST(Count, 'Nullable(Int64)')", tableExpHist: "CAST(Count, 'Nullable(Int64)')", tableSummary: "CAST(Count, 'Nullable(Int64)')"}},
		{"sum", "Nullable(Float64)", map[string]string{tableHistogram: nanToNull("Sum"), tableExpHist: nanToNull("Sum"), tableSummary: nanToNull("Sum")}},
		{"min", "Nullable(Float64)", map[string]string{tableHistogram: nanToNull("Min"), tableExpHist: nanToNull("Min")}},
		{"max", "Nullable(Float64)", map[string]string{tableHistogram: nanToNull("Max"), tableExpHist: nanToNull("Max")}},
		{"bucket_counts", "Array(Int64)", map[string]string{tableHistogram: "CAST(BucketCounts, 'Array(Int64)')"}},
		{"explicit_bounds", "Array(Float64)", map[string]string{tableHistogram: "ExplicitBounds"}},
		{"scale", "Nullable(Int32)", map[string]string{tableExpHist: "CAST(Scale, 'Nullable(Int32)')"}},
		{"zero_count", "Nullable(Int64)", map[string]string{tableExpHist: "CAST(ZeroCount, 'Nullable(Int64)')"}},
		{"zero_threshold", "Nullable(Float64)", map[string]string{tableExpHist: "CAST(ZeroThreshold, 'Nullable(Float64)')"}},
		{"positive_offset", "Nullable(Int32)", map[string]string{tableExpHist: "CAST(PositiveOffset, 'Nullable(Int32)')"}},
		{"positive_bucket_counts", "Array(Int64)", map[string]string{tableExpHist: "CAST(PositiveBucketCounts, 'Array(Int64)')"}},
		{"negative_offset", "Nullable(Int32)", map[string]string{tableExpHist: "CAST(NegativeOffset, 'Nullable(Int32)')"}},
		{"negative_bucket_counts", "Array(Int64)", map[string]string{tableExpHist: "CAST(NegativeBucketCounts, 'Array(Int64)')"}},
		{"quantiles", "Array(" + quantileType + ")", map[string]string{tableSummary: "arrayMap((q, v) -> CAST((q, v), '" + quantileType + "'), `ValueAtQuantiles.Quantile`, `ValueAtQuantiles.Value`)"}},
		{"exemplars", "Array(" + exemplarType + ")", map[string]string{tableGauge: exemplarsExpr, tableSum: exemplarsExpr, tableHistogram: exemplarsExpr, tableExpHist: exemplarsExpr}},
	}
}

var metricTables = []string{tableGauge, tableSum, tableHistogram, tableExpHist, tableSummary}

// LogicalTables lists the logical tables TableSource serves: the raw tables, then the tiers.
var LogicalTables = append([]string{"logs", "spans", "metrics"}, tierNames()...)

// tierSource is a tier's relation: its physical table, the logical columns as expressions over
// it (aggregate functions that finalize the partial states: -Merge for AggregateFunction
// columns, the plain function for SimpleAggregateFunction ones) and the key it groups by.
// Grouping at read time is what makes the result exact whether or not the background merges
// have combined the rows of one key yet.
type tierSource struct {
	table   string
	cols    []logicalCol
	groupBy string
}

func metricsTierSource(table string) tierSource {
	return tierSource{table: table, groupBy: "IntervalStart, ServiceName, MetricName, MetricType, Attributes, ExplicitBounds",
		cols: []logicalCol{
			{"timestamp", "toDateTime64(IntervalStart, 9)"},
			{"name", "MetricName"},
			{"service", "ServiceName"},
			{"attributes", "Attributes"},
			{"type", "MetricType"},
			{"count", "toInt64(sum(PointCount))"},
			{"sum", "sum(ValueSum)"},
			{"min", "min(ValueMin)"},
			{"max", "max(ValueMax)"},
			{"avg", "sum(ValueSum) / nullIf(sum(PointCount), 0)"},
			{"bucket_counts", "CAST(sumForEachMerge(Buckets), 'Array(Int64)')"},
			{"explicit_bounds", "ExplicitBounds"},
		}}
}

func logsTierSource(table string) tierSource {
	return tierSource{table: table, groupBy: "IntervalStart, Level, ServiceName, Pattern",
		cols: []logicalCol{
			{"timestamp", "toDateTime64(IntervalStart, 9)"},
			{"level", "Level"},
			{"service", "ServiceName"},
			{"pattern", "Pattern"},
			{"count", "toInt64(sum(Count))"},
		}}
}

const spanQuantiles = "quantilesTDigestMerge(0.5, 0.95, 0.99)(DurationQuantiles)"

func spansTierSource(table string) tierSource {
	return tierSource{table: table, groupBy: "IntervalStart, ServiceName, SpanName",
		cols: []logicalCol{
			{"timestamp", "toDateTime64(IntervalStart, 9)"},
			{"service", "ServiceName"},
			{"operation", "SpanName"},
			{"span_count", "toInt64(sum(SpanCount))"},
			{"error_count", "toInt64(sum(ErrorCount))"},
			{"error_rate", "sum(ErrorCount) / sum(SpanCount)"},
			{"avg_duration_ns", "sum(DurationSum) / sum(SpanCount)"},
			{"p50_duration_ns", "toFloat64(" + spanQuantiles + "[1])"},
			{"p95_duration_ns", "toFloat64(" + spanQuantiles + "[2])"},
			{"p99_duration_ns", "toFloat64(" + spanQuantiles + "[3])"},
		}}
}

func tracesTierSource(table string) tierSource {
	return tierSource{table: table, groupBy: "IntervalStart, ServiceName",
		cols: []logicalCol{
			{"timestamp", "toDateTime64(IntervalStart, 9)"},
			{"service", "ServiceName"},
			{"unique_traces", "toInt64(uniqExactMerge(Traces))"},
			{"total_spans", "toInt64(sum(SpanCount))"},
		}}
}

// tierSources maps each tier's logical name (rollup.Tiers) to its relation. The physical tables
// are created by migrations 0013-0034 and listed with their TTL in ttlTables.
var tierSources = map[string]tierSource{
	"metrics_1min":       metricsTierSource("heimsight_metrics_1min"),
	"metrics_5min":       metricsTierSource("heimsight_metrics_5min"),
	"metrics_1hour":      metricsTierSource("heimsight_metrics_1hour"),
	"metrics_1day":       metricsTierSource("heimsight_metrics_1day"),
	"logs_1hour_counts":  logsTierSource("heimsight_logs_1hour_counts"),
	"logs_1day_counts":   logsTierSource("heimsight_logs_1day_counts"),
	"spans_1hour_stats":  spansTierSource("heimsight_spans_1hour_stats"),
	"spans_1day_stats":   spansTierSource("heimsight_spans_1day_stats"),
	"traces_1hour_stats": tracesTierSource("heimsight_traces_1hour_stats"),
	"traces_1day_stats":  tracesTierSource("heimsight_traces_1day_stats"),
}

func tierNames() []string {
	var out []string
	for _, t := range rollup.Tiers {
		if _, ok := tierSources[t.Name]; ok {
			out = append(out, t.Name)
		}
	}
	return out
}

// timeFilter renders the pruning condition for a scan's time range on a physical time column.
// The bounds are integers rendered by Literal; the condition may keep more rows than the range,
// never fewer, which is what store.TableScan asks.
func timeFilter(col string, scan *store.TableScan) string {
	if scan == nil || (scan.From == 0 && scan.To == 0) {
		return ""
	}
	var conds []string
	if scan.From != 0 {
		lit, _ := Literal(scan.From)
		conds = append(conds, col+" >= fromUnixTimestamp64Nano("+lit+")")
	}
	if scan.To != 0 {
		lit, _ := Literal(scan.To)
		conds = append(conds, col+" < fromUnixTimestamp64Nano("+lit+")")
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func selectList(cols []logicalCol) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.expr + " AS " + QuoteIdent(c.name)
	}
	return strings.Join(parts, ", ")
}

// tableSource returns the TableSource for database db. scans, if not nil, narrows each logical
// table to its scan's time range.
func tableSource(db string, scans []store.TableScan) store.TableSource {
	qdb := QuoteIdent(db)
	find := func(table string) *store.TableScan {
		for i := range scans {
			if scans[i].Table == table {
				return &scans[i]
			}
		}
		return nil
	}
	return func(table string) (string, error) {
		scan := find(table)
		switch table {
		case "logs":
			return "(SELECT " + selectList(logsColumns()) + " FROM " + qdb + "." + QuoteIdent(tableLogs) + timeFilter("Timestamp", scan) + ")", nil
		case "spans":
			return "(SELECT " + selectList(spansColumns()) + " FROM " + qdb + "." + QuoteIdent(tableTraces) + timeFilter("Timestamp", scan) + ")", nil
		case "metrics":
			var branches []string
			for _, t := range metricTables {
				var parts []string
				for _, c := range metricsColumns() {
					e, ok := c.expr[t]
					if !ok {
						e, ok = c.expr[allMetricTables]
					}
					if !ok {
						if strings.HasPrefix(c.typ, "Array(") {
							e = "CAST([], '" + c.typ + "')"
						} else {
							e = "CAST(NULL, '" + c.typ + "')"
						}
					}
					parts = append(parts, e+" AS "+QuoteIdent(c.name))
				}
				branches = append(branches, "SELECT "+strings.Join(parts, ", ")+" FROM "+qdb+"."+QuoteIdent(t)+timeFilter("TimeUnix", scan))
			}
			return "(" + strings.Join(branches, " UNION ALL ") + ")", nil
		}
		if ts, ok := tierSources[table]; ok {
			return "(SELECT " + selectList(ts.cols) + " FROM " + qdb + "." + QuoteIdent(ts.table) +
				timeFilter("IntervalStart", scan) + " GROUP BY " + ts.groupBy + ")", nil
		}
		return "", fmt.Errorf("cannot read table %q: %w", table, store.ErrInvalidQuery)
	}
}

// TableSource returns the relation SQL of each logical table (logs, spans, metrics, tiers) over
// database db, for emitters and tools that need it without a Store.
func TableSource(db string) store.TableSource { return tableSource(db, nil) }

// Tiers implements store.TierBuilder: migrations 0013-0034 build every tier of pkg/rollup.
func (s *Store) Tiers() []string { return tierNames() }

// TierInfo implements store.TierInfo: the materialized views aggregate rows as they are
// inserted, so a tier is complete up to now, from the first day after the tier migrations
// were applied (rows inserted before are not in the tiers); the span quantiles are t-digest
// estimates, not exact.
func (s *Store) TierInfo(tier string) (completeFrom, completeTo int64, exactQuantiles bool) {
	if _, ok := tierSources[tier]; !ok || s.tiersSince == 0 {
		return 0, 0, false
	}
	const day = int64(24 * time.Hour)
	return (s.tiersSince/day + 1) * day, time.Now().UnixNano(), false
}

// readTiersSince reads when the last tier migration was applied: rows inserted before the
// materialized views existed are not in the tiers.
func (s *Store) readTiersSince(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := s.ddl.QueryStrings(ctx, "SELECT toString(toUnixTimestamp64Nano(max(applied_at))) FROM "+QuoteIdent(s.opts.Database)+
		".`heimsight_schema_migrations` FINAL WHERE version BETWEEN 13 AND 34")
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return 0, fmt.Errorf("cannot read the tier migrations: got %v", rows)
	}
	v, err := strconv.ParseInt(rows[0][0], 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("cannot read the tier migrations: applied at %q", rows[0][0])
	}
	return v, nil
}
