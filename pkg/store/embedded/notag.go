//go:build !duckdb_arrow

package embedded

// The embedded store reads its in-memory buffers through DuckDB's Arrow interface, which
// duckdb-go compiles only with the build tag duckdb_arrow. Build and test with
// `-tags duckdb_arrow`; this undefined identifier makes a plain `go build` say so.
var _ = requires_build_tag_duckdb_arrow
