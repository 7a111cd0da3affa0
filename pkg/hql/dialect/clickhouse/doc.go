// Package clickhouse emits ClickHouse SQL for HQL plans.
//
// Parameters are positional '?' as clickhouse-go binds them (one argument per occurrence, in
// text order); EmitInline renders literals through QuoteString instead, for chDB, which takes
// SQL text only. Map access reads NULL for a missing key (if(mapContains(m, k), m[k], NULL)),
// as DuckDB does. Aggregates use the -OrNull combinators so an empty input gives NULL as in
// DuckDB; quantiles are exact and interpolated (quantileExactInclusive, R-7), like DuckDB's
// quantile_cont. Timestamps are DateTime64(9, 'UTC') handled in integer nanoseconds.
//
// The execution corpus (pkg/hql/internal/hqltest) runs on both engines and must return the
// same rows. Known differences it does not cover: comparisons and boolean functions return
// UInt8 (0/1) rather than Bool; case mapping of a few special characters differs (DuckDB
// upper('ß') is 'ẞ', ClickHouse's 'SS'); case-insensitive search follows English rules in
// ClickHouse.
//
// This package must not import the ClickHouse driver.
package clickhouse
