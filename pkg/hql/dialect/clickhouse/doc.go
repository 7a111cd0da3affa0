// Package clickhouse emits ClickHouse SQL for HQL plans.
//
// Parameters are positional '?' as clickhouse-go binds them (one argument per occurrence). Map
// access reads NULL for a missing key (if(mapContains(m, k), m[k], NULL)), as DuckDB does, so both
// backends return the same rows. Aggregates use the -OrNull combinators so an empty input gives
// NULL as in DuckDB; quantiles are exact and interpolated (quantileExactInclusive), matching
// DuckDB's quantile_cont. Timestamps are DateTime64(9, 'UTC') handled in integer nanoseconds.
//
// This package must not import the ClickHouse driver.
package clickhouse
