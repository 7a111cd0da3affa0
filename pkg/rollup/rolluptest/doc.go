// Package rolluptest holds the normalization cases shared by the Go unit tests and the
// differential tests that run the same cases through ClickHouse (chDB) and DuckDB. Its test
// files import database drivers; its non-test files import none, so pkg/rollup's tests can use
// the cases without pulling a driver into the package's import graph.
package rolluptest
