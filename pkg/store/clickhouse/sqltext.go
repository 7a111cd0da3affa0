package clickhouse

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/heimsight/heimsight/pkg/rollup"
)

// QuoteIdent quotes a ClickHouse identifier (database, table, column, cluster name). It is the
// only way an identifier that is not a constant of this package reaches SQL text.
func QuoteIdent(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 2)
	b.WriteByte('`')
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '`', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('`')
	return b.String()
}

// Literal renders a value as a ClickHouse SQL literal. It is the one audited escaper for the
// places where a value cannot be bound as a parameter: the in-process verification engine (chDB)
// that takes SQL text only, and nothing else in production code paths. Supported: nil, string,
// []byte, bool, signed and unsigned integers, float32/64 (nan, inf), time.Time (as a nanosecond
// DateTime64 in UTC), and slices and string maps of those.
func Literal(v any) (string, error) {
	var b strings.Builder
	if err := appendLiteral(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

func appendLiteral(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("NULL")
	case string:
		appendStringLiteral(b, x)
	case []byte:
		appendStringLiteral(b, string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int8:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		// Wrapped so that the smallest int64 is not parsed as a negated out-of-range literal.
		b.WriteString("toInt64(" + strconv.FormatInt(x, 10) + ")")
	case uint:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint8:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint16:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint64:
		b.WriteString("toUInt64(" + strconv.FormatUint(x, 10) + ")")
	case float32:
		appendFloat(b, float64(x))
	case float64:
		appendFloat(b, x)
	case time.Time:
		b.WriteString("fromUnixTimestamp64Nano(toInt64(" + strconv.FormatInt(x.UnixNano(), 10) + "), 'UTC')")
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			appendStringLiteral(b, e)
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendLiteral(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("map(")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			appendStringLiteral(b, k)
			b.WriteByte(',')
			appendStringLiteral(b, x[k])
		}
		b.WriteByte(')')
	default:
		return fmt.Errorf("cannot render literal of type %T", v)
	}
	return nil
}

func appendFloat(b *strings.Builder, f float64) {
	switch {
	case math.IsNaN(f):
		b.WriteString("nan")
	case math.IsInf(f, 1):
		b.WriteString("inf")
	case math.IsInf(f, -1):
		b.WriteString("-inf")
	default:
		b.WriteString("toFloat64(" + strconv.FormatFloat(f, 'g', -1, 64) + ")")
	}
}

// appendStringLiteral writes s in single quotes. Quote and backslash are escaped, and every
// control byte is written as \xHH so the text survives any transport; other bytes (UTF-8 or not)
// pass unchanged, as ClickHouse strings are byte strings.
func appendStringLiteral(b *strings.Builder, s string) {
	const hexdigits = "0123456789ABCDEF"
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hexdigits[c>>4])
			b.WriteByte(hexdigits[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
}

// Signals whose retention can be set.
const (
	SignalLogs    = "logs"
	SignalTraces  = "traces"
	SignalMetrics = "metrics"
)

// ttlTable is a physical table with a TTL: the signal whose retention governs it and the
// DateTime expression the TTL counts from (the exporter's choice for each table).
type ttlTable struct {
	table, signal, timeExpr string
}

// ttlTables is the single list of TTL'd tables: the schema templates ({{ttl "table"}}) and the
// retention statements both read it.
var ttlTables = []ttlTable{
	{"otel_logs", SignalLogs, "toDateTime(Timestamp)"},
	{"otel_traces", SignalTraces, "toDateTime(Timestamp)"},
	{"otel_traces_trace_id_ts", SignalTraces, "toDateTime(Start)"},
	{"otel_metrics_gauge", SignalMetrics, "toDateTime(TimeUnix)"},
	{"otel_metrics_sum", SignalMetrics, "toDateTime(TimeUnix)"},
	{"otel_metrics_histogram", SignalMetrics, "toDateTime(TimeUnix)"},
	{"otel_metrics_exponential_histogram", SignalMetrics, "toDateTime(TimeUnix)"},
	{"otel_metrics_summary", SignalMetrics, "toDateTime(TimeUnix)"},
	// The aggregation tiers (migrations 0013-0034): each is governed by the retention policy of
	// its own tier, named as the logical table.
	{"heimsight_metrics_1min", "metrics_1min", "IntervalStart"},
	{"heimsight_metrics_5min", "metrics_5min", "IntervalStart"},
	{"heimsight_metrics_1hour", "metrics_1hour", "IntervalStart"},
	{"heimsight_metrics_1day", "metrics_1day", "IntervalStart"},
	{"heimsight_logs_1hour_counts", "logs_1hour_counts", "IntervalStart"},
	{"heimsight_logs_1day_counts", "logs_1day_counts", "IntervalStart"},
	{"heimsight_spans_1hour_stats", "spans_1hour_stats", "IntervalStart"},
	{"heimsight_spans_1day_stats", "spans_1day_stats", "IntervalStart"},
	{"heimsight_traces_1hour_stats", "traces_1hour_stats", "IntervalStart"},
	{"heimsight_traces_1day_stats", "traces_1day_stats", "IntervalStart"},
}

func lookupTTLTable(table string) (ttlTable, bool) {
	for _, t := range ttlTables {
		if t.table == table {
			return t, true
		}
	}
	return ttlTable{}, false
}

// TTLExpr renders the TTL clause for a retention of ttl counted from timeExpr, in the largest
// whole unit (days, hours, minutes, else seconds) so SHOW CREATE TABLE reads naturally. Zero or
// negative: no TTL, "". timeExpr is a constant expression of this package, never user input.
func TTLExpr(ttl time.Duration, timeExpr string) string {
	if ttl <= 0 {
		return ""
	}
	switch {
	case ttl%day == 0:
		return fmt.Sprintf("TTL %s + toIntervalDay(%d)", timeExpr, ttl/day)
	case ttl%time.Hour == 0:
		return fmt.Sprintf("TTL %s + toIntervalHour(%d)", timeExpr, ttl/time.Hour)
	case ttl%time.Minute == 0:
		return fmt.Sprintf("TTL %s + toIntervalMinute(%d)", timeExpr, ttl/time.Minute)
	default:
		return fmt.Sprintf("TTL %s + toIntervalSecond(%d)", timeExpr, (ttl+time.Second-1)/time.Second)
	}
}

// RetentionStatement is one ALTER TABLE that sets a table's TTL, with the clause SHOW CREATE
// TABLE shows afterwards (empty when the TTL is removed) so the caller can verify it applied.
type RetentionStatement struct {
	Table string
	SQL   string
	TTL   string
}

// RetentionStatements renders the ALTER TABLE … MODIFY TTL statements that set the retention of
// signal ("logs", "traces" or "metrics"; "spans" is an alias of "traces") to ttl on every table
// of that signal, or on the table of the tier named signal ("metrics_1hour", ...). ttl 0 removes
// the TTL (keep forever).
func RetentionStatements(o *Options, signal string, ttl time.Duration) ([]RetentionStatement, error) {
	if signal == "spans" {
		signal = SignalTraces
	}
	if ttl < 0 || (ttl > 0 && ttl < time.Second) {
		return nil, fmt.Errorf("cannot set retention of %s to %s: want 0 (none) or at least 1s", signal, ttl)
	}
	var out []RetentionStatement
	for _, t := range ttlTables {
		if t.signal != signal {
			continue
		}
		head := "ALTER TABLE " + QuoteIdent(o.Database) + "." + QuoteIdent(t.table) + onCluster(o)
		expr := TTLExpr(ttl, t.timeExpr)
		st := RetentionStatement{Table: t.table, TTL: expr}
		if expr == "" {
			st.SQL = head + " REMOVE TTL"
		} else {
			st.SQL = head + " MODIFY " + expr
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cannot set retention of %q: unknown signal (want logs, traces, metrics or a tier)", signal)
	}
	return out, nil
}

// onCluster is " ON CLUSTER `name`" in cluster mode, else "".
func onCluster(o *Options) string {
	if o.Cluster == "" {
		return ""
	}
	return " ON CLUSTER " + QuoteIdent(o.Cluster)
}

// ddlData is what the schema templates see.
type ddlData struct {
	DB        string // quoted database name
	OnCluster string // "ON CLUSTER `name`" or ""
}

// renderDDL renders one schema template. The placeholders are {{.DB}}, {{.OnCluster}},
// {{engine "Family"}} (MergeTree family, Replicated in cluster mode), {{ttl "table"}} (the
// table's TTL clause from Options) and {{normalize "Column"}} (the log message normalization of
// pkg/rollup over a column of this package's constant text); anything else fails here, before
// any statement runs.
//
// The normalization is rendered, not written into the file, so that the rules exist once. A
// migration's checksum covers its template only: when the rules change, views created before
// keep the old expression until a new migration recreates them.
func renderDDL(o *Options, name, text string) (string, error) {
	funcs := template.FuncMap{
		"engine": func(family string) (string, error) {
			if !strings.HasSuffix(family, "MergeTree") || strings.HasPrefix(family, "Replicated") {
				return "", fmt.Errorf("unknown engine family %q", family)
			}
			if o.Cluster != "" {
				// No arguments: the server's default_replica_path/default_replica_name apply.
				return "Replicated" + family, nil
			}
			return family, nil
		},
		"ttl": func(table string) (string, error) {
			t, ok := lookupTTLTable(table)
			if !ok {
				return "", fmt.Errorf("no TTL defined for table %q", table)
			}
			return TTLExpr(o.signalTTL(t.signal), t.timeExpr), nil
		},
		"normalize": func(column string) (string, error) {
			return rollup.SQLExpr(rollup.ClickHouse, QuoteIdent(column), func(s string) string {
				var b strings.Builder
				appendStringLiteral(&b, s)
				return b.String()
			})
		},
	}
	tmpl, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("cannot parse schema template %s: %w", name, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, ddlData{DB: QuoteIdent(o.Database), OnCluster: strings.TrimSpace(onCluster(o))}); err != nil {
		return "", fmt.Errorf("cannot render schema template %s: %w", name, err)
	}
	return b.String(), nil
}

func (o *Options) signalTTL(signal string) time.Duration {
	switch signal {
	case SignalLogs:
		return o.LogsTTL
	case SignalTraces:
		return o.TracesTTL
	case SignalMetrics:
		return o.MetricsTTL
	}
	// A tier's table is created with the tier's default retention; the retention manager
	// applies the configured policy at start (ApplyRetention).
	if t, ok := rollup.LookupTier(signal); ok {
		return t.DefaultRetention
	}
	return 0
}

// bindLiterals replaces each ? placeholder outside quotes with Literal of the next argument,
// for engines that take SQL text only (the in-process verification engine). Production
// statements bind parameters through clickhouse-go instead.
func bindLiterals(query string, args []any) (string, error) {
	if len(args) == 0 {
		return query, nil
	}
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(query) {
				i++
				b.WriteByte(query[i])
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`' || c == '"':
			quote = c
			b.WriteByte(c)
		case c == '?':
			if n >= len(args) {
				return "", fmt.Errorf("cannot bind query: more placeholders than %d arguments", len(args))
			}
			if err := appendLiteral(&b, args[n]); err != nil {
				return "", err
			}
			n++
		default:
			b.WriteByte(c)
		}
	}
	if n != len(args) {
		return "", fmt.Errorf("cannot bind query: %d placeholders, %d arguments", n, len(args))
	}
	return b.String(), nil
}
