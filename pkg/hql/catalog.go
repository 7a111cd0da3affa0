package hql

import (
	"fmt"
	"slices"
)

// Column is one column of a logical table.
type Column struct {
	Name string
	Type Type
	// Elem describes list and struct columns for documentation ("list<int64>").
	Elem string
	Doc  string
	// Derived, when set, is an HQL expression over the table's stored columns that the planner
	// substitutes wherever the column is used; stores never see the name. Derived columns are not
	// part of SELECT *.
	Derived Expr
}

// Table is a logical table. Every store exposes exactly these column names.
type Table struct {
	Name    string
	Doc     string
	Columns []*Column
	// TimeColumn is the column the time range (and partition pruning) applies to.
	TimeColumn string
	// Tier marks an aggregation tier. Materialized says this server builds and fills it; the
	// planner refuses tiers that are not materialized.
	Tier         bool
	Materialized bool
	byName       map[string]*Column
}

// Column returns the named column (case-insensitive).
func (t *Table) Column(name string) (*Column, bool) {
	c, ok := t.byName[name]
	if !ok {
		c, ok = t.byName[lower(name)]
	}
	return c, ok
}

// ColumnNames lists the column names, in table order.
func (t *Table) ColumnNames() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// Catalog is the set of logical tables the planner resolves names against. A Catalog is not
// safe for concurrent mutation; configure it (EnableTiers) before sharing it, then it is
// read-only and safe for concurrent use.
type Catalog struct {
	tables map[string]*Table
	order  []string
}

// NewCatalog builds a catalog from tables.
func NewCatalog(tables ...*Table) *Catalog {
	c := &Catalog{tables: map[string]*Table{}}
	for _, t := range tables {
		t.byName = make(map[string]*Column, len(t.Columns))
		for _, col := range t.Columns {
			t.byName[col.Name] = col
		}
		c.tables[t.Name] = t
		c.order = append(c.order, t.Name)
	}
	return c
}

// Table returns the named table (case-insensitive).
func (c *Catalog) Table(name string) (*Table, bool) {
	t, ok := c.tables[name]
	if !ok {
		t, ok = c.tables[lower(name)]
	}
	return t, ok
}

// Tables lists the tables in catalog order.
func (c *Catalog) Tables() []*Table {
	out := make([]*Table, len(c.order))
	for i, n := range c.order {
		out[i] = c.tables[n]
	}
	return out
}

// TableNames lists table names in catalog order.
func (c *Catalog) TableNames() []string { return slices.Clone(c.order) }

// EnableTiers marks the named tier tables (all tiers when none is named) as materialized, so
// the planner accepts queries on them. Call it once the rollups that fill them run.
func (c *Catalog) EnableTiers(names ...string) error {
	for _, t := range c.tables {
		if t.Tier && (len(names) == 0 || slices.Contains(names, t.Name)) {
			t.Materialized = true
		}
	}
	for _, n := range names {
		if t, ok := c.tables[n]; !ok || !t.Tier {
			return fmt.Errorf("cannot enable tier %q: no such tier table", n)
		}
	}
	return nil
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func col(name string, t Type, doc string) *Column { return &Column{Name: name, Type: t, Doc: doc} }

func listCol(name, elem, doc string) *Column {
	return &Column{Name: name, Type: TypeList, Elem: elem, Doc: doc}
}

// levelExpr derives the lowercase level from the OTLP severity number (ranges of four per
// level), falling back to the producer's severity text when the number is unspecified.
const levelExpr = `CASE WHEN severity_number = 0 THEN lower(severity_text)
	WHEN severity_number <= 4 THEN 'trace' WHEN severity_number <= 8 THEN 'debug'
	WHEN severity_number <= 12 THEN 'info' WHEN severity_number <= 16 THEN 'warn'
	WHEN severity_number <= 20 THEN 'error' ELSE 'fatal' END`

// DefaultCatalog returns a new catalog with the raw tables of docs/schema.md, the derived
// logs.level column, and the aggregation tiers of the original design (not materialized).
// Each call returns a fresh catalog, so enabling tiers on one does not affect another.
func DefaultCatalog() *Catalog {
	level, err := ParseExpr(levelExpr)
	if err != nil {
		panic("hql: invalid level expression: " + err.Error())
	}
	logs := &Table{Name: "logs", Doc: "log records", TimeColumn: "timestamp", Columns: []*Column{
		col("timestamp", TypeTimestamp, "event time; the observed time when the producer left it unset"),
		col("observed_timestamp", TypeTimestamp, "0 when unknown"),
		col("trace_id", TypeString, "32 hex digits or empty"),
		col("span_id", TypeString, "16 hex digits or empty"),
		col("trace_flags", TypeInt, "W3C trace flags"),
		col("severity_text", TypeString, "as sent"),
		col("severity_number", TypeInt, "OTLP 0..24"),
		col("service", TypeString, "resource service.name"),
		col("body", TypeString, "log body as text"),
		col("attributes", TypeMap, "record attributes"),
		col("resource", TypeMap, "resource attributes"),
		col("resource_schema_url", TypeString, ""),
		col("scope_name", TypeString, ""),
		col("scope_version", TypeString, ""),
		col("scope_attributes", TypeMap, ""),
		col("scope_schema_url", TypeString, ""),
		col("event_name", TypeString, "OTLP event_name"),
		{Name: "level", Type: TypeString, Derived: level,
			Doc: "trace, debug, info, warn, error or fatal from severity_number; lower(severity_text) when the number is 0"},
	}}
	spans := &Table{Name: "spans", Doc: "spans", TimeColumn: "timestamp", Columns: []*Column{
		col("timestamp", TypeTimestamp, "span start"),
		col("end_timestamp", TypeTimestamp, "span end"),
		col("duration_ns", TypeInt, "end - start, ns"),
		col("trace_id", TypeString, ""),
		col("span_id", TypeString, ""),
		col("parent_span_id", TypeString, "empty for a root span"),
		col("trace_state", TypeString, ""),
		col("trace_flags", TypeInt, ""),
		col("name", TypeString, "span (operation) name"),
		col("kind", TypeString, "Unspecified, Internal, Server, Client, Producer, Consumer"),
		col("service", TypeString, "resource service.name"),
		col("status_code", TypeString, "Unset, Ok, Error"),
		col("status_message", TypeString, ""),
		col("attributes", TypeMap, "span attributes"),
		col("resource", TypeMap, "resource attributes"),
		col("scope_name", TypeString, ""),
		col("scope_version", TypeString, ""),
		listCol("events", "list<struct<timestamp timestamp, name string, attributes map>>", "span events"),
		listCol("links", "list<struct<trace_id string, span_id string, trace_state string, attributes map>>", "span links"),
	}}
	metrics := &Table{Name: "metrics", Doc: "metric data points of every type", TimeColumn: "timestamp", Columns: []*Column{
		col("timestamp", TypeTimestamp, ""),
		col("start_timestamp", TypeTimestamp, "0 when unknown"),
		col("name", TypeString, ""),
		col("description", TypeString, ""),
		col("unit", TypeString, ""),
		col("type", TypeString, "gauge, sum, histogram, exponential_histogram, summary"),
		col("service", TypeString, "resource service.name"),
		col("attributes", TypeMap, "data point attributes"),
		col("resource", TypeMap, "resource attributes"),
		col("scope_name", TypeString, ""),
		col("scope_version", TypeString, ""),
		col("flags", TypeInt, ""),
		col("value", TypeFloat, "gauge, sum"),
		col("temporality", TypeString, "Delta, Cumulative, Unspecified"),
		col("is_monotonic", TypeBool, "sum"),
		col("count", TypeInt, "histogram, exponential_histogram, summary"),
		col("sum", TypeFloat, "histogram, exponential_histogram, summary"),
		col("min", TypeFloat, "histogram, exponential_histogram"),
		col("max", TypeFloat, "histogram, exponential_histogram"),
		listCol("bucket_counts", "list<int64>", "histogram"),
		listCol("explicit_bounds", "list<float64>", "histogram"),
		col("scale", TypeInt, "exponential_histogram"),
		col("zero_count", TypeInt, "exponential_histogram"),
		col("zero_threshold", TypeFloat, "exponential_histogram"),
		col("positive_offset", TypeInt, "exponential_histogram"),
		listCol("positive_bucket_counts", "list<int64>", "exponential_histogram"),
		col("negative_offset", TypeInt, "exponential_histogram"),
		listCol("negative_bucket_counts", "list<int64>", "exponential_histogram"),
		listCol("quantiles", "list<struct<quantile float64, value float64>>", "summary"),
		listCol("exemplars", "list<struct<timestamp timestamp, value float64, trace_id string, span_id string, filtered_attributes map>>", "all but summary"),
	}}
	tables := []*Table{logs, spans, metrics}
	for _, iv := range []string{"1min", "5min", "1hour", "1day"} {
		tables = append(tables, metricsTier("metrics_"+iv))
	}
	for _, iv := range []string{"1hour", "1day"} {
		tables = append(tables, logsTier("logs_"+iv+"_counts"))
	}
	for _, iv := range []string{"1hour", "1day"} {
		tables = append(tables, spansTier("spans_"+iv+"_stats"))
	}
	for _, iv := range []string{"1hour", "1day"} {
		tables = append(tables, tracesTier("traces_"+iv+"_stats"))
	}
	return NewCatalog(tables...)
}

// Tier tables: one row per (interval start, group). Their columns follow the original design's
// descriptions and its example queries.

func metricsTier(name string) *Table {
	return &Table{Name: name, Tier: true, TimeColumn: "timestamp",
		Doc: "metric points aggregated per interval, metric name, service and attribute set",
		Columns: []*Column{
			col("timestamp", TypeTimestamp, "interval start"),
			col("name", TypeString, "metric name"),
			col("service", TypeString, ""),
			col("attributes", TypeMap, "data point attributes"),
			col("type", TypeString, "gauge, sum, histogram, ..."),
			col("count", TypeInt, "points (or, for histograms, observations) in the interval"),
			col("sum", TypeFloat, ""),
			col("min", TypeFloat, ""),
			col("max", TypeFloat, ""),
			col("avg", TypeFloat, "sum / count"),
			listCol("bucket_counts", "list<int64>", "histograms: merged bucket counts"),
			listCol("explicit_bounds", "list<float64>", "histograms: bucket bounds"),
		}}
}

func logsTier(name string) *Table {
	return &Table{Name: name, Tier: true, TimeColumn: "timestamp",
		Doc: "log record counts per interval, level, service and normalized message pattern",
		Columns: []*Column{
			col("timestamp", TypeTimestamp, "interval start"),
			col("level", TypeString, "as logs.level"),
			col("service", TypeString, ""),
			col("pattern", TypeString, "normalized message: <TIMESTAMP>, <IP>, <NUM>, ..."),
			col("count", TypeInt, ""),
		}}
}

func spansTier(name string) *Table {
	return &Table{Name: name, Tier: true, TimeColumn: "timestamp",
		Doc: "span statistics per interval, service and operation",
		Columns: []*Column{
			col("timestamp", TypeTimestamp, "interval start"),
			col("service", TypeString, ""),
			col("operation", TypeString, "span name"),
			col("span_count", TypeInt, ""),
			col("error_count", TypeInt, "spans with status Error"),
			col("error_rate", TypeFloat, "error_count / span_count"),
			col("avg_duration_ns", TypeFloat, ""),
			col("p50_duration_ns", TypeFloat, ""),
			col("p95_duration_ns", TypeFloat, ""),
			col("p99_duration_ns", TypeFloat, ""),
		}}
}

func tracesTier(name string) *Table {
	return &Table{Name: name, Tier: true, TimeColumn: "timestamp",
		Doc: "trace statistics per interval and service",
		Columns: []*Column{
			col("timestamp", TypeTimestamp, "interval start"),
			col("service", TypeString, ""),
			col("unique_traces", TypeInt, ""),
			col("total_spans", TypeInt, ""),
		}}
}
