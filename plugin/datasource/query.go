package datasource

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
)

// Query types (the query model's queryType).
const (
	QueryTypeHQL        = "hql"
	QueryTypeLogs       = "logs"
	QueryTypeTraces     = "traces"
	QueryTypeTraceID    = "traceId"
	QueryTypeMetrics    = "metrics"
	QueryTypeLogsVolume = "logsVolume"
	QueryTypeLogContext = "logContext"
)

// Formats (the query model's format).
const (
	FormatTable      = "table"
	FormatTimeSeries = "time_series"
	FormatLogs       = "logs"
	FormatTrace      = "trace"
)

// Limits on rows asked of the ingestor.
const (
	defaultLogsLimit   = 1000
	defaultTracesLimit = 500
	maxBuilderLimit    = 100000
	traceMaxSpans      = 20000
	defaultContextRows = 50
	// contextWindow is how far before or after a log record log context looks: wide enough
	// for a quiet service, narrow enough that the scan stays cheap.
	contextWindow = 24 * time.Hour
)

// QueryModel is the JSON a panel, Explore or an alert rule sends for one query.
type QueryModel struct {
	QueryType string `json:"queryType"`
	// Format is table, time_series, logs or trace; each query type has a default.
	Format string `json:"format"`

	// HQL is the query text for queryType hql. It may use $__timeFilter(col), $__timeGroup(col,
	// $__interval), $__interval and template variables ($name, ${name}) whose values come from
	// Variables.
	HQL string `json:"hql"`
	// Variables holds template variable values by name (without "$"). A value is always a string
	// literal in the query; a multi-value variable belongs in an IN list.
	Variables map[string][]string `json:"variables"`
	// AdhocFilters are Grafana's ad hoc filters, ANDed into the WHERE clause of every query type.
	AdhocFilters []Filter `json:"adhocFilters"`

	// Builder fields shared by logs, traces, metrics and the Explore queries.
	Service string   `json:"service"`
	Filters []Filter `json:"filters"`
	Limit   int64    `json:"limit"`

	// Logs: severity levels (trace, debug, info, warn, error, fatal) and a case-insensitive
	// substring of the body.
	Severity []string `json:"severity"`
	Search   string   `json:"search"`

	// Traces search: operation (span name), duration bounds (Go durations: "250ms") and status
	// (Unset, Ok, Error).
	Operation   string `json:"operation"`
	MinDuration string `json:"minDuration"`
	MaxDuration string `json:"maxDuration"`
	Status      string `json:"status"`

	// TraceID is the trace to show for queryType traceId (32 hex digits).
	TraceID string `json:"traceId"`

	// Metrics: metric name, aggregation (avg, sum, min, max, count), group-by keys (columns such
	// as service, or attributes.<key> / resource.<key>) and tier (auto, raw, 1m, 5m, 1h, 1d).
	Metric      string   `json:"metric"`
	Aggregation string   `json:"aggregation"`
	GroupBy     []string `json:"groupBy"`
	Tier        string   `json:"tier"`

	// Log context: the reference record's time (Unix ns as a number or string, or RFC 3339),
	// direction (backward: records before it, forward: records after it) and service.
	ContextTimestamp json.RawMessage `json:"contextTimestamp"`
	ContextDirection string          `json:"contextDirection"`
}

// Filter is one condition: key is a column (service, severity_text) or a map key written
// attributes.<key>, resource.<key>, scope_attributes.<key> or attributes['<key>']. Operators:
// = != < <= > >= =~ !~ contains !contains, and =| !=| (one of / none of Values).
type Filter struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Value    string   `json:"value"`
	Values   []string `json:"values"`
}

// UserError is a mistake in a query or its parameters. QueryData reports it as a downstream
// error so it is not counted against the plugin.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

func userErrorf(format string, args ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, args...)}
}

// mapColumns are the map<string,string> columns an attribute key can address.
var mapColumns = []string{"attributes", "resource", "scope_attributes"}

// numericColumns lists the non-string scalar columns per table (docs/schema.md), so a filter value
// typed into a text box becomes a number literal where the column is a number.
var numericColumns = map[string]map[string]bool{
	"logs":    {"trace_flags": true, "severity_number": true},
	"spans":   {"duration_ns": true, "trace_flags": true},
	"metrics": {"flags": true, "value": true, "count": true, "sum": true, "min": true, "max": true, "scale": true, "zero_count": true, "zero_threshold": true, "positive_offset": true, "negative_offset": true},
}

// keyExpr turns a filter or group-by key into a column or map-key node. It never produces
// anything but an identifier or a map reference, whatever the key holds.
func keyExpr(key string) (hql.Expr, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, userErrorf("a filter has an empty key")
	}
	for _, m := range mapColumns {
		if rest, ok := strings.CutPrefix(key, m+"."); ok && rest != "" {
			return hql.Attr(m, rest), nil
		}
	}
	if e, err := hql.ParseExpr(key); err == nil {
		switch e.(type) {
		case *hql.Ident, *hql.AttrRef:
			return e, nil
		}
	}
	// Any other text names a column; the ingestor's planner rejects it if there is none.
	return hql.Col(key), nil
}

// literal turns a filter value into a literal node: a number for numeric columns when the text
// is a number, a string otherwise.
func literal(table string, key hql.Expr, value string) hql.Expr {
	if id, ok := key.(*hql.Ident); ok && numericColumns[table][id.Name] {
		if i, err := strconv.ParseInt(value, 10, 64); err == nil {
			return hql.Int(i)
		}
		if f, err := strconv.ParseFloat(value, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return hql.Float(f)
		}
	}
	return hql.Str(value)
}

// filterExpr builds the condition of one filter.
func filterExpr(table string, f Filter) (hql.Expr, error) {
	k, err := keyExpr(f.Key)
	if err != nil {
		return nil, err
	}
	lit := func() hql.Expr { return literal(table, k, f.Value) }
	switch strings.ToLower(strings.TrimSpace(f.Operator)) {
	case "", "=", "==":
		return hql.Eq(k, lit()), nil
	case "!=", "<>":
		return hql.Ne(k, lit()), nil
	case "<":
		return hql.Lt(k, lit()), nil
	case "<=":
		return hql.Le(k, lit()), nil
	case ">":
		return hql.Gt(k, lit()), nil
	case ">=":
		return hql.Ge(k, lit()), nil
	case "=~":
		return hql.Match(k, hql.Str(f.Value)), nil
	case "!~":
		return hql.NotMatch(k, hql.Str(f.Value)), nil
	case "contains":
		return hql.Contains(k, hql.Str(f.Value)), nil
	case "!contains", "not contains":
		return hql.Bin("NOT CONTAINS", k, hql.Str(f.Value)), nil
	case "=|", "in", "!=|", "not in":
		vals := f.Values
		if len(vals) == 0 {
			vals = []string{f.Value}
		}
		list := make([]hql.Expr, len(vals))
		for i, v := range vals {
			list[i] = literal(table, k, v)
		}
		if op := strings.ToLower(strings.TrimSpace(f.Operator)); op == "!=|" || op == "not in" {
			return hql.NotInList(k, list...), nil
		}
		return hql.InList(k, list...), nil
	}
	return nil, userErrorf("filter on %q has an unknown operator %q (use = != < <= > >= =~ !~ contains !contains =| !=|)", f.Key, f.Operator)
}

// filtersExpr ANDs filters.
func filtersExpr(table string, fs []Filter) (hql.Expr, error) {
	var out hql.Expr
	for _, f := range fs {
		e, err := filterExpr(table, f)
		if err != nil {
			return nil, err
		}
		out = hql.And(out, e)
	}
	return out, nil
}

// resolve returns the value of a builder field, substituting a whole-value template variable
// ("$service" or "${service}"): builder fields are single values, so a multi-value variable is
// an error here.
func (m *QueryModel) resolve(field, v string) (string, error) {
	name, n := variableAt(v)
	if n == 0 || n != len(v) {
		return v, nil
	}
	vals, ok := m.Variables[name]
	if !ok {
		// Unknown variables stay literal text: a service may really be called "$x".
		return v, nil
	}
	if len(vals) != 1 {
		return "", userErrorf("%s: template variable $%s has %d values, but this field takes one", field, name, len(vals))
	}
	return vals[0], nil
}

// builtQuery is what QueryData sends and how it shapes the answer.
type builtQuery struct {
	Sel *hql.Select
	// Text is the printed query: what is sent and what executedQueryString shows.
	Text string
	// From and To override the panel's time range (log context); zero means the panel's.
	From, To time.Time
	// NoTimeRange sends no time range at all (a trace by id may be older than the panel's range).
	NoTimeRange bool
	// Raw asks the ingestor to read the table the query names, never an aggregation tier it
	// would choose instead (the metrics builder's "raw" tier).
	Raw     bool
	MaxRows int
	Format  string
}

func (b *builtQuery) finish() *builtQuery {
	b.Text = b.Sel.String()
	return b
}

// defaultFormat is the format each query type produces when the model leaves it empty.
func defaultFormat(queryType string) string {
	switch queryType {
	case QueryTypeLogs, QueryTypeLogContext:
		return FormatLogs
	case QueryTypeTraceID:
		return FormatTrace
	case QueryTypeMetrics, QueryTypeLogsVolume:
		return FormatTimeSeries
	}
	return FormatTable
}

// build turns the model into the HQL to run.
func (m *QueryModel) build() (*builtQuery, error) {
	if m.QueryType == "" {
		m.QueryType = QueryTypeHQL
	}
	if m.Format == "" {
		m.Format = defaultFormat(m.QueryType)
	}
	switch m.Format {
	case FormatTable, FormatTimeSeries, FormatLogs, FormatTrace:
	default:
		return nil, userErrorf("unknown format %q (use table, time_series, logs or trace)", m.Format)
	}
	var (
		b   *builtQuery
		err error
	)
	switch m.QueryType {
	case QueryTypeHQL:
		b, err = m.buildHQL()
	case QueryTypeLogs:
		b, err = m.buildLogs()
	case QueryTypeTraces:
		b, err = m.buildTraces()
	case QueryTypeTraceID:
		b, err = m.buildTraceID()
	case QueryTypeMetrics:
		b, err = m.buildMetrics()
	case QueryTypeLogsVolume:
		b, err = m.buildLogsVolume()
	case QueryTypeLogContext:
		b, err = m.buildLogContext()
	default:
		return nil, userErrorf("unknown queryType %q (use hql, logs, traces, traceId, metrics, logsVolume or logContext)", m.QueryType)
	}
	if err != nil {
		return nil, err
	}
	b.Format = m.Format
	return b.finish(), nil
}

func (m *QueryModel) buildHQL() (*builtQuery, error) {
	if strings.TrimSpace(m.HQL) == "" {
		return nil, userErrorf("the HQL query is empty")
	}
	sel, err := hql.Parse(markVariables(m.HQL))
	if err != nil {
		return nil, hqlUserError(err)
	}
	if err := expandVariables(sel, m.Variables); err != nil {
		return nil, &UserError{Msg: err.Error()}
	}
	table := ""
	if sel.From != nil {
		table = sel.From.Name
	}
	adhoc, err := filtersExpr(table, m.AdhocFilters)
	if err != nil {
		return nil, err
	}
	sel.Filter(adhoc)
	return &builtQuery{Sel: sel}, nil
}

// hqlUserError keeps the position of a parse error in the message.
func hqlUserError(err error) error {
	var he *hql.Error
	if errors.As(err, &he) {
		msg := he.Msg
		if len(he.Expected) > 0 && !strings.Contains(msg, "expected") {
			msg += " (expected " + strings.Join(he.Expected, " or ") + ")"
		}
		if he.Pos.IsValid() {
			return userErrorf("HQL error at line %d, column %d: %s", he.Pos.Line, he.Pos.Column, msg)
		}
		return userErrorf("HQL error: %s", msg)
	}
	return &UserError{Msg: err.Error()}
}

// commonFilters are the service, builder and ad hoc filters of table.
func (m *QueryModel) commonFilters(table string) (hql.Expr, error) {
	var where hql.Expr
	svc, err := m.resolve("service", strings.TrimSpace(m.Service))
	if err != nil {
		return nil, err
	}
	if svc != "" {
		where = hql.Eq(hql.Col("service"), hql.Str(svc))
	}
	fs := make([]Filter, 0, len(m.Filters)+len(m.AdhocFilters))
	for _, list := range [][]Filter{m.Filters, m.AdhocFilters} {
		for _, f := range list {
			if f.Value, err = m.resolve("filter "+f.Key, f.Value); err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
	}
	extra, err := filtersExpr(table, fs)
	if err != nil {
		return nil, err
	}
	return hql.And(where, extra), nil
}

func (m *QueryModel) limit(def int64) (int64, error) {
	switch {
	case m.Limit == 0:
		return def, nil
	case m.Limit < 0 || m.Limit > maxBuilderLimit:
		return 0, userErrorf("limit %d is out of range (1..%d)", m.Limit, maxBuilderLimit)
	}
	return m.Limit, nil
}

// levelNames maps the severities a user may pick to the values of the catalog's derived
// logs.level column.
var levelNames = map[string]string{
	"trace": "trace", "debug": "debug", "info": "info", "information": "info", "warn": "warn", "warning": "warn",
	"error": "error", "err": "error", "fatal": "fatal", "critical": "fatal",
}

// levelOf maps a severity number to the same names as logs.level (for results without it).
func levelOf(n int64) string {
	switch {
	case n >= 1 && n <= 4:
		return "trace"
	case n >= 5 && n <= 8:
		return "debug"
	case n >= 9 && n <= 12:
		return "info"
	case n >= 13 && n <= 16:
		return "warn"
	case n >= 17 && n <= 20:
		return "error"
	case n >= 21:
		return "fatal"
	}
	return "unknown"
}

// logsWhere is the WHERE of the logs builder, also used by logs volume.
func (m *QueryModel) logsWhere() (hql.Expr, error) {
	where, err := m.commonFilters("logs")
	if err != nil {
		return nil, err
	}
	var levels []string
	for _, s := range m.Severity {
		s, err := m.resolve("severity", strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		l, ok := levelNames[strings.ToLower(s)]
		if !ok {
			return nil, userErrorf("unknown severity %q (use trace, debug, info, warn, error or fatal)", s)
		}
		if !slices.Contains(levels, l) {
			levels = append(levels, l)
		}
	}
	var sev hql.Expr
	if len(levels) > 0 {
		sev = hql.InStrings(hql.Col("level"), levels...)
	}
	search, err := m.resolve("search", m.Search)
	if err != nil {
		return nil, err
	}
	var text hql.Expr
	if search != "" {
		text = hql.Contains(hql.Col("body"), hql.Str(search))
	}
	return hql.And(where, sev, text), nil
}

// logColumns are the columns the logs view needs.
func logColumns() []hql.Expr {
	return []hql.Expr{hql.Col("timestamp"), hql.Col("severity_text"), hql.Col("severity_number"), hql.Col("body"),
		hql.Col("level"), hql.Col("trace_id"), hql.Col("span_id"), hql.Col("service"), hql.Col("attributes"),
		hql.Col("resource"), hql.Col("scope_name"), hql.Col("scope_attributes")}
}

func (m *QueryModel) buildLogs() (*builtQuery, error) {
	where, err := m.logsWhere()
	if err != nil {
		return nil, err
	}
	n, err := m.limit(defaultLogsLimit)
	if err != nil {
		return nil, err
	}
	sel := hql.SelectFrom("logs", logColumns()...).
		Filter(hql.TimeFilter(hql.Col("timestamp"))).
		SortBy(hql.Desc(hql.Col("timestamp"))).
		WithLimit(n)
	filterAll(sel, where)
	return &builtQuery{Sel: sel, MaxRows: int(n)}, nil
}

func (m *QueryModel) buildLogsVolume() (*builtQuery, error) {
	where, err := m.logsWhere()
	if err != nil {
		return nil, err
	}
	bucket := hql.TimeGroup(hql.Col("timestamp"))
	sel := hql.SelectFrom("logs").
		Filter(hql.TimeFilter(hql.Col("timestamp"))).
		GroupOn(hql.TimeGroup(hql.Col("timestamp")), hql.Col("level")).
		SortBy(hql.Asc(hql.Col("time")))
	sel.Items = []*hql.SelectItem{{Expr: bucket, Alias: "time"}, {Expr: hql.Col("level")}, {Expr: hql.CountAll(), Alias: "count"}}
	filterAll(sel, where)
	return &builtQuery{Sel: sel}, nil
}

// parseContextTime reads the reference time of a log context query.
func parseContextTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, userErrorf("log context needs contextTimestamp (the record's time)")
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, userErrorf("contextTimestamp %s is not valid", raw)
		}
	}
	if ns, err := strconv.ParseInt(s, 10, 64); err == nil {
		// Grafana's log rows carry milliseconds; a record's own id carries nanoseconds.
		if ns < 1e14 {
			return time.UnixMilli(ns), nil
		}
		return time.Unix(0, ns), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, userErrorf("contextTimestamp %q is not Unix nanoseconds, milliseconds or RFC 3339", s)
}

// buildLogContext selects the records just before (backward) or after (forward) a record of the
// same service. The boundary is carried by the time range, not by a timestamp literal.
// $__timeFilter is inclusive on both ends (Grafana's convention), so the range is
// [t-window, t-1ns] going back and [t, t+window] going forward: records sharing the reference
// time appear after it, and the reference record itself is among them.
func (m *QueryModel) buildLogContext() (*builtQuery, error) {
	t, err := parseContextTime(m.ContextTimestamp)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(m.Service) == "" {
		return nil, userErrorf("log context needs the record's service")
	}
	where, err := m.commonFilters("logs")
	if err != nil {
		return nil, err
	}
	n, err := m.limit(defaultContextRows)
	if err != nil {
		return nil, err
	}
	b := &builtQuery{MaxRows: int(n)}
	order := hql.Desc(hql.Col("timestamp"))
	switch strings.ToLower(m.ContextDirection) {
	case "", "backward", "before":
		b.From, b.To = t.Add(-contextWindow), t.Add(-time.Nanosecond)
	case "forward", "after":
		b.From, b.To = t, t.Add(contextWindow)
		order = hql.Asc(hql.Col("timestamp"))
	default:
		return nil, userErrorf("contextDirection %q is not backward or forward", m.ContextDirection)
	}
	b.Sel = hql.SelectFrom("logs", logColumns()...).
		Filter(hql.TimeFilter(hql.Col("timestamp"))).
		SortBy(order).
		WithLimit(n)
	filterAll(b.Sel, where)
	return b, nil
}

func parseDurationField(field, v string) (int64, bool, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, false, userErrorf("%s %q is not a duration such as 250ms or 2s", field, v)
	}
	return d.Nanoseconds(), true, nil
}

// traceSearchColumns are what a trace search table shows.
func traceSearchColumns() []hql.Expr {
	return []hql.Expr{hql.Col("timestamp"), hql.Col("trace_id"), hql.Col("span_id"), hql.Col("parent_span_id"),
		hql.Col("service"), hql.Col("name"), hql.Col("kind"), hql.Col("duration_ns"), hql.Col("status_code")}
}

func (m *QueryModel) buildTraces() (*builtQuery, error) {
	where, err := m.commonFilters("spans")
	if err != nil {
		return nil, err
	}
	op, err := m.resolve("operation", strings.TrimSpace(m.Operation))
	if err != nil {
		return nil, err
	}
	if op != "" {
		where = hql.And(where, hql.Eq(hql.Col("name"), hql.Str(op)))
	}
	if ns, ok, err := parseDurationField("minDuration", m.MinDuration); err != nil {
		return nil, err
	} else if ok {
		where = hql.And(where, hql.Ge(hql.Col("duration_ns"), hql.Int(ns)))
	}
	if ns, ok, err := parseDurationField("maxDuration", m.MaxDuration); err != nil {
		return nil, err
	} else if ok {
		where = hql.And(where, hql.Le(hql.Col("duration_ns"), hql.Int(ns)))
	}
	if st := strings.TrimSpace(m.Status); st != "" {
		var canon string
		switch strings.ToLower(st) {
		case "unset":
			canon = "Unset"
		case "ok":
			canon = "Ok"
		case "error":
			canon = "Error"
		default:
			return nil, userErrorf("status %q is not Unset, Ok or Error", st)
		}
		where = hql.And(where, hql.Eq(hql.Col("status_code"), hql.Str(canon)))
	}
	n, err := m.limit(defaultTracesLimit)
	if err != nil {
		return nil, err
	}
	sel := hql.SelectFrom("spans", traceSearchColumns()...).
		Filter(hql.TimeFilter(hql.Col("timestamp"))).
		SortBy(hql.Desc(hql.Col("timestamp"))).
		WithLimit(n)
	filterAll(sel, where)
	return &builtQuery{Sel: sel, MaxRows: int(n)}, nil
}

// normalizeTraceID validates and lowercases a trace id.
func normalizeTraceID(id string) (string, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" {
		return "", userErrorf("enter a trace id")
	}
	if len(id) != 32 {
		return "", userErrorf("trace id %q must be 32 hex digits", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", userErrorf("trace id %q must be 32 hex digits", id)
		}
	}
	return id, nil
}

// traceColumns are what the trace view needs.
func traceColumns() []hql.Expr {
	return []hql.Expr{hql.Col("trace_id"), hql.Col("span_id"), hql.Col("parent_span_id"), hql.Col("trace_state"),
		hql.Col("name"), hql.Col("kind"), hql.Col("service"), hql.Col("timestamp"), hql.Col("duration_ns"),
		hql.Col("status_code"), hql.Col("status_message"), hql.Col("attributes"), hql.Col("resource"),
		hql.Col("scope_name"), hql.Col("scope_version"), hql.Col("events"), hql.Col("links")}
}

func (m *QueryModel) buildTraceID() (*builtQuery, error) {
	raw, err := m.resolve("traceId", m.TraceID)
	if err != nil {
		return nil, err
	}
	id, err := normalizeTraceID(raw)
	if err != nil {
		return nil, err
	}
	sel := hql.SelectFrom("spans", traceColumns()...).
		Filter(hql.Eq(hql.Col("trace_id"), hql.Str(id))).
		SortBy(hql.Asc(hql.Col("timestamp"))).
		WithLimit(traceMaxSpans)
	return &builtQuery{Sel: sel, NoTimeRange: true, MaxRows: traceMaxSpans}, nil
}

// valueTypes are the metric types whose points carry the value column the builder aggregates.
var valueTypes = []string{"gauge", "sum"}

// aggregations maps the builder's aggregation to the function applied to the value column.
var aggregations = map[string]string{"avg": "avg", "sum": "sum", "min": "min", "max": "max", "count": "count"}

func (m *QueryModel) buildMetrics() (*builtQuery, error) {
	name, err := m.resolve("metric", strings.TrimSpace(m.Metric))
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, userErrorf("choose a metric")
	}
	agg := strings.ToLower(strings.TrimSpace(m.Aggregation))
	if agg == "" {
		agg = "avg"
	}
	fn, ok := aggregations[agg]
	if !ok {
		return nil, userErrorf("unknown aggregation %q (use avg, sum, min, max or count)", m.Aggregation)
	}
	table, err := metricsTable(m.Tier)
	if err != nil {
		return nil, err
	}
	where, err := m.commonFilters("metrics")
	if err != nil {
		return nil, err
	}
	sel := hql.SelectFrom(table).
		Filter(hql.TimeFilter(hql.Col("timestamp"))).
		Filter(hql.Eq(hql.Col("name"), hql.Str(name)))
	if table == "metrics" {
		// Only gauge and sum points have a value (a histogram's or summary's groups were all
		// NULL), and the restriction lets the ingestor answer auto from an aggregation tier,
		// which holds the aggregates of gauges and sums. raw has it too: both give the same rows.
		sel.Filter(hql.InStrings(hql.Col("type"), valueTypes...))
	}
	filterAll(sel, where)
	sel.Items = []*hql.SelectItem{{Expr: hql.TimeGroup(hql.Col("timestamp")), Alias: "time"}}
	sel.GroupBy = []hql.Expr{hql.TimeGroup(hql.Col("timestamp"))}
	for _, g := range m.GroupBy {
		k, err := keyExpr(g)
		if err != nil {
			return nil, err
		}
		alias := ""
		if a, ok := k.(*hql.AttrRef); ok {
			alias = a.Key
		}
		sel.Items = append(sel.Items, &hql.SelectItem{Expr: k, Alias: alias})
		sel.GroupBy = append(sel.GroupBy, k)
	}
	sel.Items = append(sel.Items, &hql.SelectItem{Expr: tierAggregate(table, fn), Alias: name})
	sel.SortBy(hql.Asc(hql.Col("time")))
	// auto and raw both read the raw table; only auto lets the server answer from a tier.
	return &builtQuery{Sel: sel, Raw: strings.EqualFold(strings.TrimSpace(m.Tier), "raw")}, nil
}

// metricsTable maps the builder's tier to the table it reads. auto reads the raw table and
// leaves tier choice to the ingestor's planner, which knows which rollups exist; raw reads the
// same table with tier choice turned off (builtQuery.Raw).
func metricsTable(tier string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(tier)) {
	case "", "auto", "raw":
		return "metrics", nil
	case "1m":
		return "metrics_1min", nil
	case "5m":
		return "metrics_5min", nil
	case "1h":
		return "metrics_1hour", nil
	case "1d":
		return "metrics_1day", nil
	}
	return "", userErrorf("unknown tier %q (use auto, raw, 1m, 5m, 1h or 1d)", tier)
}

// tierAggregate is the aggregate of fn over table: over raw points it applies fn to value; over
// a rollup it combines the per-bucket aggregates (an average of averages would weigh buckets
// equally, so avg is sum(sum) / sum(count)).
func tierAggregate(table, fn string) hql.Expr {
	if table == "metrics" {
		return hql.Fn(fn, hql.Col("value"))
	}
	switch fn {
	case "min":
		return hql.Fn("min", hql.Col("min"))
	case "max":
		return hql.Fn("max", hql.Col("max"))
	case "sum":
		return hql.Fn("sum", hql.Col("sum"))
	case "count":
		return hql.Fn("sum", hql.Col("count"))
	}
	return hql.Div(hql.Fn("sum", hql.Col("sum")), hql.Fn("sum", hql.Col("count")))
}

// filterAll ANDs each top-level AND term of cond into sel's WHERE, so the printed query reads
// "a AND b AND c" rather than nesting parenthesised groups.
func filterAll(sel *hql.Select, cond hql.Expr) {
	if b, ok := cond.(*hql.Binary); ok && b.Op == "AND" {
		filterAll(sel, b.L)
		filterAll(sel, b.R)
		return
	}
	sel.Filter(cond)
}
