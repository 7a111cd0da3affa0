//go:build duckdb_arrow && !(linux && cgo)

package embedded

func tuneMalloc() {}
