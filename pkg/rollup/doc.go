// Package rollup owns the aggregation tiers' definitions (names, source data type, interval,
// default retention) and log message normalization: the one function that turns a log body
// into its pattern, and the SQL expressions that compute the same pattern inside ClickHouse and
// DuckDB.
//
// The normalization rules are regular expressions in RE2 syntax applied in a fixed order. Go's
// regexp, ClickHouse's replaceRegexpAll and DuckDB's regexp_replace all use RE2 semantics
// (leftmost-first alternation, ASCII \b), so one list of rules renders into all three and the
// differential tests in rolluptest prove the outputs identical. Normalize itself runs
// hand-written matchers (scan.go) that find exactly the regexps' matches, tested and fuzzed
// against the regexp chain, because Go's regexp costs tens of microseconds a message.
//
// This package must not import any database or store package: the Grafana plugin and the
// HQL planner may import it, and the plugin's import graph must stay free of cgo.
package rollup
