// Package hql is Heimsight's query language front end: a SQL subset over logical tables
// (logs, spans, metrics and the aggregation tiers).
//
// The pipeline is Parse (lexer and recursive-descent parser to a sealed syntax tree whose
// nodes carry positions and print back to equivalent HQL), then Plan (names resolved against a
// Catalog, types checked against the one function table, Grafana macros replaced by values
// from Params, time range extracted for partition pruning, LIMIT policy applied). Emitters for
// each backend SQL dialect live in hql/dialect/...; they read the plan and the function table.
//
// Code that builds queries (REST filters, Grafana builder queries, template variables, ad hoc
// filters) constructs trees with the helpers in build.go rather than concatenating text, so
// every query goes through the same checks and user values always stay literals.
//
// Language summary:
//
//	SELECT [DISTINCT] expr [AS alias], ... FROM table
//	  [WHERE cond] [GROUP BY expr, ...] [HAVING cond]
//	  [ORDER BY expr [ASC|DESC], ...] [LIMIT n] [OFFSET m]
//
// Expressions: 'strings', 42, 1.5, TRUE, NULL, durations (5m, 1h30m, 250ms), columns,
// map access (attributes['http.method']), + - * / % ||, comparisons, AND OR NOT,
// IN (...), BETWEEN, LIKE, ILIKE, IS [NOT] NULL, CASE, body CONTAINS 'text' (case-insensitive
// substring), s =~ 'regexp' and s !~ 'regexp' (RE2), function calls (see Functions), and the
// macros $__timeFilter(col), $__timeFrom, $__timeTo, $__interval, $__interval_ms and
// $__timeGroup(col, interval). Timestamps compare with RFC 3339 strings; timestamp ± duration
// and now() are supported. '/' always divides as floats and yields NULL for a zero divisor.
//
// Catalog: the raw tables logs, spans and metrics have exactly the columns of docs/schema.md;
// logs also has the derived column level (trace, debug, info, warn, error or fatal from
// severity_number, or lower(severity_text) when the number is 0), which the planner expands
// and SELECT * leaves out. The aggregation tiers (metrics_1min/5min/1hour/1day,
// logs_1hour_counts/1day_counts, spans_1hour_stats/1day_stats, traces_1hour_stats/1day_stats)
// are typed tables that are refused, after a full check, until Catalog.EnableTiers marks them
// as materialized.
//
// Literals never become SQL text directly: emitters bind them as parameters, or render them
// through one audited escaper per dialect; identifiers come only from the catalog (and output
// aliases) and are quoted by one function per dialect.
//
// This package imports no database package and nothing outside the standard library.
package hql
