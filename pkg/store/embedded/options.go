//go:build duckdb_arrow

package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/memory/mallocator"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configures a Store. Start from DefaultOptions and change what you need.
type Options struct {
	// Dir is the data directory; it is created if missing. One Store per directory.
	Dir string

	// FlushInterval is the longest time rows stay only in the WAL and memory before they are
	// written to Parquet parts. Longer means fewer, larger parts and a longer WAL replay.
	FlushInterval time.Duration
	// FlushBytes starts a flush once this many WAL bytes are buffered. The Arrow buffers take
	// about 2.5x the WAL bytes (860 vs 343 B per typical log row), so this and
	// MaxBufferedBytes set most of the store's memory.
	FlushBytes int64
	// CommitWindow is how long the WAL committer waits after the first pending request before it
	// writes and fsyncs, so that one fsync covers the requests arriving meanwhile. Zero relies on
	// the natural batching of requests that arrive during the previous fsync.
	CommitWindow time.Duration
	// MaxPendingBytes bounds WAL bytes accepted but not yet fsynced; beyond it Write fails with
	// store.ErrOverloaded.
	MaxPendingBytes int64
	// MaxBufferedBytes bounds WAL bytes buffered in memory and not yet flushed (the current
	// generation plus one being flushed); beyond it Write fails with store.ErrOverloaded.
	MaxBufferedBytes int64
	// OverloadWait is how long Write waits for a flush to free buffer space before it fails
	// with store.ErrOverloaded.
	OverloadWait time.Duration

	// Compression of flushed parts: "none", "snappy", "lz4" or "zstd". Compacted parts always
	// use zstd.
	Compression string
	// RowGroupRows is the row group length of flushed parts.
	RowGroupRows int64
	// CompactAfter is how long after an hour ends its parts are compacted into one (late rows
	// of a compacted hour make a new part, merged in the next round). CompactInterval is how
	// often the compactor looks for work; zero disables background compaction.
	CompactAfter    time.Duration
	CompactInterval time.Duration
	// CompactMinParts compacts the flushed parts of an hour that is still open once it has this
	// many, so that queries over recent data do not open hundreds of small files when
	// ingest is fast. Zero compacts closed hours only.
	CompactMinParts int
	// RollupDelay is how long after an hour (or day) ends the rollup job aggregates it into the
	// tiers (rows arriving later make it aggregate that interval again). RollupInterval is how
	// often the job looks for work; zero disables the background job (Rollup still works).
	RollupDelay    time.Duration
	RollupInterval time.Duration
	// CompactRowGroupRows is the row group length of compacted parts.
	CompactRowGroupRows int64
	// CompactSort sorts each compacted hour by timestamp. Off, parts are concatenated in
	// arrival order, which is nearly time order. Sorting costs more CPU and needs memory in
	// proportion to the hour: DuckDB could not sort 200k log rows (maps included) within a
	// 256MB memory limit. Leave it off unless hours are small.
	CompactSort bool

	// DuckDBThreads and DuckDBMemoryLimit ("256MB") bound the query engine; the limit applies
	// to the query and the compaction databases each. QueryConns is the number of pooled
	// DuckDB connections, i.e. how many queries run at once.
	DuckDBThreads     int
	DuckDBMemoryLimit string
	QueryConns        int
	// CompactThreads are the threads of the separate DuckDB database that compacts. One is
	// best on a small busy machine: measured on 2 cores under load, a compaction took 4.3 µs
	// of CPU per row with one thread and 14 µs with two (DuckDB's workers contend with the
	// ingest for the cores).
	CompactThreads int
	// CompactMemoryLimit bounds the compaction database. DuckDB's Parquet writer holds a row
	// group in memory, so this and CompactRowGroupRows bound what a compaction adds to RSS:
	// BenchmarkCompaction (200k log rows) measured +67 MiB with 48MB and 16k-row groups,
	// ~+100 MiB with 64MB and 32k rows, +160 MiB with 96MB and 64k rows, +270 MiB with 256MB
	// and 128k rows; 64MB with 64k-row groups ran out of memory. BenchmarkQuery found 32k-row
	// groups as fast as 64k (67/219/125 ms vs 74/291/115 ms) and 16k ones much slower in a
	// loaded run (2.7 s vs 0.54 s for "latest 100 matching"), hence the 32k default.
	CompactMemoryLimit string
	// MaxQueryRows applies when a Query leaves MaxRows at 0.
	MaxQueryRows int

	// Allocator holds the Arrow buffers and the Parquet writer's pages. Nil means C malloc:
	// the buffers are most of the store's memory, and outside the Go heap they are freed as
	// soon as they are flushed instead of when the garbage collector gets to them (with the Go
	// allocator peak RSS is about twice the buffered data).
	Allocator memory.Allocator

	// Logger receives lifecycle and error messages (never one per batch). Nil means slog.Default().
	Logger *slog.Logger
	// Registerer receives the store's metrics; nil registers none.
	Registerer prometheus.Registerer

	// now is the clock (tests).
	now func() time.Time
}

// DefaultOptions returns the options for a store in dir, sized for a small machine.
func DefaultOptions(dir string) Options {
	return Options{
		Dir:                 dir,
		FlushInterval:       10 * time.Second,
		FlushBytes:          12 << 20,
		CommitWindow:        time.Millisecond,
		MaxPendingBytes:     32 << 20,
		MaxBufferedBytes:    36 << 20,
		OverloadWait:        2 * time.Second,
		Compression:         "lz4",
		RowGroupRows:        64 * 1024,
		CompactAfter:        5 * time.Minute,
		CompactInterval:     time.Minute,
		CompactRowGroupRows: 32 * 1024,
		CompactMinParts:     32,
		RollupDelay:         5 * time.Minute,
		RollupInterval:      time.Minute,
		DuckDBThreads:       2,
		DuckDBMemoryLimit:   "192MB",
		CompactThreads:      1,
		CompactMemoryLimit:  "64MB",
		QueryConns:          4,
		MaxQueryRows:        1_000_000,
	}
}

func (o *Options) validate() error {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New("Dir is empty"))
	}
	if o.FlushInterval <= 0 {
		errs = append(errs, errors.New("FlushInterval must be positive"))
	}
	if o.FlushBytes <= 0 {
		errs = append(errs, errors.New("FlushBytes must be positive"))
	}
	if o.CommitWindow < 0 {
		errs = append(errs, errors.New("CommitWindow must not be negative"))
	}
	if o.MaxPendingBytes <= 0 || o.MaxBufferedBytes <= 0 {
		errs = append(errs, errors.New("MaxPendingBytes and MaxBufferedBytes must be positive"))
	}
	if _, err := codecFor(o.Compression); err != nil {
		errs = append(errs, err)
	}
	if o.RowGroupRows <= 0 || o.CompactRowGroupRows <= 0 {
		errs = append(errs, errors.New("RowGroupRows and CompactRowGroupRows must be positive"))
	}
	if o.CompactAfter < 0 || o.CompactInterval < 0 || o.CompactMinParts < 0 {
		errs = append(errs, errors.New("CompactAfter and CompactInterval must not be negative"))
	}
	if o.DuckDBThreads <= 0 || o.CompactThreads <= 0 || o.QueryConns <= 0 || o.MaxQueryRows <= 0 {
		errs = append(errs, errors.New("DuckDBThreads, CompactThreads, QueryConns and MaxQueryRows must be positive"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("cannot use options: %w", errors.Join(errs...))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Allocator == nil {
		tuneMalloc()
		o.Allocator = mallocator.NewMallocator()
	}
	if o.now == nil {
		o.now = time.Now
	}
	return nil
}
