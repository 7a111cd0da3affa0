//go:build duckdb_arrow

package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configures a Store. Start from DefaultOptions and change what you need.
type Options struct {
	// Dir is the data directory; it is created if missing. One Store per directory.
	Dir string

	// FlushInterval is the longest time rows stay only in the WAL and memory before they are
	// written to Parquet parts. Longer means fewer, larger parts and a longer WAL replay.
	FlushInterval time.Duration
	// FlushBytes starts a flush once this many WAL bytes are buffered; it bounds the memory the
	// Arrow buffers hold (they take about 1.5-3x the WAL bytes).
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
	// CompactRowGroupRows is the row group length of compacted parts.
	CompactRowGroupRows int64
	// CompactSort sorts each compacted hour by timestamp. Off, parts are concatenated in
	// arrival order, which is nearly time order, for a third of the CPU.
	CompactSort bool

	// DuckDBThreads and DuckDBMemoryLimit ("256MB") bound the query engine. QueryConns is the
	// number of pooled DuckDB connections, i.e. how many queries run at once.
	DuckDBThreads     int
	DuckDBMemoryLimit string
	QueryConns        int
	// MaxQueryRows applies when a Query leaves MaxRows at 0.
	MaxQueryRows int

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
		FlushBytes:          48 << 20,
		CommitWindow:        time.Millisecond,
		MaxPendingBytes:     64 << 20,
		MaxBufferedBytes:    128 << 20,
		Compression:         "lz4",
		RowGroupRows:        64 * 1024,
		CompactAfter:        5 * time.Minute,
		CompactInterval:     time.Minute,
		CompactRowGroupRows: 128 * 1024,
		DuckDBThreads:       2,
		DuckDBMemoryLimit:   "256MB",
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
	if o.CompactAfter < 0 || o.CompactInterval < 0 {
		errs = append(errs, errors.New("CompactAfter and CompactInterval must not be negative"))
	}
	if o.DuckDBThreads <= 0 || o.QueryConns <= 0 || o.MaxQueryRows <= 0 {
		errs = append(errs, errors.New("DuckDBThreads, QueryConns and MaxQueryRows must be positive"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("cannot use options: %w", errors.Join(errs...))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.now == nil {
		o.now = time.Now
	}
	return nil
}
