// Package embedded is Heimsight's zero-setup store: everything lives in one directory.
//
// It owns the write path (a binary write-ahead log with group commit, per-table Arrow buffers),
// the Parquet parts the buffers are flushed to (partitioned by UTC hour), their compaction, and
// the read path (DuckDB in-process over the pruned parts plus an Arrow view of the unflushed
// buffers). Layout under Options.Dir:
//
//	wal/<gen>.wal                                 WAL segment of one generation (16 hex digits)
//	checkpoint                                    highest generation whose parts are all on disk
//	<table>/date=YYYY-MM-DD/hour=HH/g-<gen>.parquet         flushed part of one generation
//	<table>/date=YYYY-MM-DD/hour=HH/c-<low>-<high>.parquet  compaction of generations low..high
//
// Recovery on Open: parts of generations above the checkpoint are deleted (their flush did not
// finish), parts covered by a compacted part are deleted (the compaction finished but its inputs
// were not yet removed), and WAL segments above the checkpoint are replayed into the buffers,
// stopping at the first torn or corrupt record of each segment (never acknowledged).
//
// The package needs the build tag duckdb_arrow (DuckDB's Arrow interface). It must not import
// protocol packages (ingestor/..., pkg/otlpconv) or other backends.
package embedded
