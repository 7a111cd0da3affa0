// Package embedded is Heimsight's zero-setup store: everything lives in one directory.
//
// It owns the write path (a binary write-ahead log with group commit, per-table Arrow buffers),
// the Parquet parts the buffers are flushed to (partitioned by UTC hour), their compaction, and
// the read path (DuckDB in-process over the pruned parts plus an Arrow view of the unflushed
// buffers). Layout under Options.Dir:
//
//	LOCK                                                    flock: one process per directory
//	wal/<gen>.wal                                           WAL segment of one generation (16 hex digits)
//	checkpoint                                              highest generation whose parts are all on disk
//	<table>/date=YYYY-MM-DD/hour=HH/g-<gen>.parquet         flushed part of one generation (lz4)
//	<table>/date=YYYY-MM-DD/hour=HH/c-<low>-<high>.parquet  compaction of generations low..high (zstd)
//	rollup/<tier>/YYYY-MM-DD.parquet                        aggregation tier rows of one day (rollup.go)
//	rollup/state.json                                       generations rolled up per table and hour/day
//
// Write path: a request is encoded into one WAL record ([len][crc32c][payload], see codec.go)
// and, under one lock, appended to the current generation's Arrow builders (one per table and
// UTC hour) and to the pending group commit. The committer goroutine writes everything pending
// with one write and one fdatasync per segment and then releases the waiting writers. Rows are
// visible to queries as soon as they are in the builders.
//
// Flush: the current generation is sealed and replaced atomically with respect to writers;
// its buffers become one Parquet part per (table, hour), each written to a temporary name,
// fsynced, renamed and its directory fsynced; then the checkpoint file records the generation
// (same protocol) and the WAL segments up to it are deleted. Until its parts are published the
// sealed generation stays visible to queries, so a row is never missing or seen twice.
//
// Recovery on Open: parts of generations above the checkpoint are deleted (their flush did not
// finish), parts covered by a compacted part are deleted (the compaction finished but its
// inputs were not yet removed), temporary files are deleted, and WAL segments above the
// checkpoint are replayed into a new generation numbered above all of them, stopping at the
// first torn or corrupt record of each segment (never acknowledged).
//
// Compaction merges the parts of an hour with DuckDB's COPY into one zstd part with Parquet V2
// encodings: closed hours entirely, open hours once they have many flushed parts. Parts still
// read by running queries are deleted when the last of them finishes.
//
// Reads: a query gets, per logical table, read_parquet over the parts whose hour meets the
// table's time range, UNION ALL BY NAME with an Arrow view of the buffered rows, registered
// on a pooled DuckDB connection for the duration of the query.
//
// Trace lookups: trace ids are random, so min/max statistics cannot prune them; flushed parts
// carry a bloom filter on trace_id (sized per part, ~1 B/row) and DuckDB writes one on the
// dictionary-encoded trace_id of compacted span parts, so an equality filter skips row groups.
// Not done: a trace-id -> time-window index (a small sidecar per span part, merged at
// compaction) that would let a lookup without a time range skip whole parts.
//
// The package needs the build tag duckdb_arrow (DuckDB's Arrow interface). It must not import
// protocol packages (ingestor/..., pkg/otlpconv), pkg/hql or other backends.
package embedded
