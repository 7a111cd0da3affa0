// Package duckdb emits DuckDB SQL for HQL plans: the dialect of the embedded store.
//
// Parameters are $1, $2, ... (equal values share one placeholder, so an expression repeated in
// SELECT and GROUP BY renders identically). Map access m['k'] returns the value or NULL for a
// missing key (DuckDB 1.5 semantics for MAP(VARCHAR, VARCHAR)). Timestamps are TIMESTAMP_NS and
// are bucketed and shifted in integer nanoseconds (epoch_ns / make_timestamp_ns), because
// time_bucket on TIMESTAMP_NS returns microsecond TIMESTAMPs.
//
// This package must not import the DuckDB driver (its tests may).
package duckdb
