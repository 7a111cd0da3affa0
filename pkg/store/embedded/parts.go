//go:build duckdb_arrow

package embedded

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// part is one immutable Parquet file. Its generation range says which flushes it holds: a
// flushed part has low == high == its generation; a compacted part covers every part of its
// hour whose range lies within [low, high].
type part struct {
	table     int
	hour      int64
	low, high uint64
	path      string
	bytes     int64
	rows      int64 // 0 when unknown (found on disk at open)
	// refs counts running queries using the file; removed is set when compaction replaced it.
	// The file is deleted when both say so. Guarded by Store.mu.
	refs    int
	removed bool
}

func (p *part) compacted() bool {
	return p.low != p.high || strings.HasPrefix(filepath.Base(p.path), "c-")
}

func partitionDir(root string, table int, hour int64) string {
	t := time.Unix(hour*3600, 0).UTC()
	return filepath.Join(root, tableNames[table], "date="+t.Format("2006-01-02"), fmt.Sprintf("hour=%02d", t.Hour()))
}

func flushPartName(gen uint64) string { return fmt.Sprintf("g-%016x.parquet", gen) }
func compactPartName(low, high uint64) string {
	return fmt.Sprintf("c-%016x-%016x.parquet", low, high)
}

// parsePartName parses g-<gen>.parquet and c-<low>-<high>.parquet.
func parsePartName(name string) (low, high uint64, ok bool) {
	base, found := strings.CutSuffix(name, ".parquet")
	if !found {
		return 0, 0, false
	}
	switch {
	case strings.HasPrefix(base, "g-") && len(base) == 18:
		g, err := strconv.ParseUint(base[2:], 16, 64)
		return g, g, err == nil
	case strings.HasPrefix(base, "c-") && len(base) == 35 && base[18] == '-':
		lo, err1 := strconv.ParseUint(base[2:18], 16, 64)
		hi, err2 := strconv.ParseUint(base[19:], 16, 64)
		return lo, hi, err1 == nil && err2 == nil && lo <= hi
	}
	return 0, 0, false
}

// parseHourDir turns date=YYYY-MM-DD and hour=HH into hours since the epoch.
func parseHourDir(dateDir, hourDir string) (int64, bool) {
	d, ok1 := strings.CutPrefix(dateDir, "date=")
	h, ok2 := strings.CutPrefix(hourDir, "hour=")
	if !ok1 || !ok2 {
		return 0, false
	}
	t, err := time.Parse("2006-01-02", d)
	hh, err2 := strconv.Atoi(h)
	if err != nil || err2 != nil || hh < 0 || hh > 23 {
		return 0, false
	}
	return t.Unix()/3600 + int64(hh), true
}

// scanParts lists the parts of every table and repairs what an interrupted flush or compaction
// left behind: temporary files, parts of generations above the checkpoint, and parts covered by
// a compacted part.
func scanParts(root string, checkpoint uint64, log func(msg string, args ...any)) ([]*part, error) {
	var parts []*part
	for ti, table := range tableNames {
		dates, err := os.ReadDir(filepath.Join(root, table))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot list partitions: %w", err)
		}
		for _, d := range dates {
			hours, err := os.ReadDir(filepath.Join(root, table, d.Name()))
			if err != nil {
				continue // not a directory
			}
			for _, h := range hours {
				hour, ok := parseHourDir(d.Name(), h.Name())
				if !ok {
					continue
				}
				dir := filepath.Join(root, table, d.Name(), h.Name())
				found, err := scanHourDir(dir, ti, hour, checkpoint, log)
				if err != nil {
					return nil, err
				}
				parts = append(parts, found...)
			}
		}
	}
	return parts, nil
}

func scanHourDir(dir string, table int, hour int64, checkpoint uint64, log func(string, ...any)) ([]*part, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list partition: %w", err)
	}
	var parts []*part
	changed := false
	for _, e := range ents {
		name := e.Name()
		path := filepath.Join(dir, name)
		if strings.HasSuffix(name, ".tmp") {
			log("removing temporary file of an interrupted write", "path", path)
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("cannot remove temporary file: %w", err)
			}
			changed = true
			continue
		}
		low, high, ok := parsePartName(name)
		if !ok {
			continue
		}
		if high > checkpoint {
			// Written by a flush that did not reach its checkpoint: the WAL still has the rows.
			log("removing part of an incomplete flush", "path", path, "checkpoint", checkpoint)
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("cannot remove part: %w", err)
			}
			changed = true
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("cannot stat part: %w", err)
		}
		parts = append(parts, &part{table: table, hour: hour, low: low, high: high, path: path, bytes: info.Size()})
	}
	// A part whose range lies within a compacted part's range is one of its inputs, left behind
	// by a compaction interrupted before it removed them.
	sort.Slice(parts, func(i, j int) bool {
		wi, wj := parts[i].high-parts[i].low, parts[j].high-parts[j].low
		if wi != wj {
			return wi > wj
		}
		return parts[i].low < parts[j].low
	})
	var kept []*part
	for _, p := range parts {
		covered := false
		for _, k := range kept {
			if k.low <= p.low && p.high <= k.high {
				covered = true
				break
			}
		}
		if covered {
			log("removing part replaced by a compaction", "path", p.path)
			if err := os.Remove(p.path); err != nil {
				return nil, fmt.Errorf("cannot remove part: %w", err)
			}
			changed = true
			continue
		}
		kept = append(kept, p)
	}
	if changed {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// ensureDir creates dir and any missing parents, fsyncing each parent whose entries changed.
func ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := ensureDir(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("cannot create directory: %w", err)
	}
	return syncDir(parent)
}

// writerOnly hides Close: the Parquet writer closes its sink, but the file must be fsynced
// before it is closed.
type writerOnly struct{ io.Writer }

func codecFor(name string) (compress.Compression, error) {
	switch name {
	case "none", "":
		return compress.Codecs.Uncompressed, nil
	case "snappy":
		return compress.Codecs.Snappy, nil
	case "lz4":
		return compress.Codecs.Lz4Raw, nil
	case "zstd":
		return compress.Codecs.Zstd, nil
	}
	return 0, fmt.Errorf("unknown compression %q", name)
}

// partWriterProps are the Parquet settings of flushed parts, chosen with BenchmarkParquetFlush
// (flushed parts live only until their hour is compacted, so write cost matters more than size;
// 100k realistic log rows, CPU per row):
//   - no dictionaries: arrow-go's dictionary encoder allocates for every value it looks up
//     (~27 allocations per log row with dictionaries on the repetitive columns only) and costs
//     ~15% more CPU, for 7% smaller lz4 parts;
//   - statistics only on the columns queries prune by: min/max of every string leaf is wasted
//     work on ids, bodies and map entries;
//   - 64 KiB data pages (see below);
//   - lz4: about the cost of no compression (2.5-2.9 µs/row either way) for parts 4.8x smaller
//     (135 vs 647 B/row); zstd costs ~40% more CPU for 79 B/row, which compaction gets anyway.
//
// rows is the part's row count: it sizes the trace-id bloom filters (the default assumes a
// million distinct values per row group and costs ~20 B/row; sized, ~1.2 B/row at 1% false
// positives).
func partWriterProps(o *Options, mem memory.Allocator, schema *arrow.Schema, rows int64) *parquet.WriterProperties {
	codec, _ := codecFor(o.Compression)
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(codec),
		parquet.WithDictionaryDefault(false),
		parquet.WithStats(false),
		parquet.WithMaxRowGroupLength(o.RowGroupRows),
	}
	// 64 KiB pages instead of 1 MiB: the encoders' page buffers grow by doubling in Go
	// memory, so big pages cost memmoves and garbage (2.4 -> 1.7 µs/row, 2.2 KB -> 0.8 KB
	// of garbage per row) for 3% larger parts.
	opts = append(opts, parquet.WithDataPageSize(64<<10))
	for _, f := range schema.Fields() {
		switch f.Name {
		case "timestamp", "service", "severity_number", "name", "duration_ns", "type":
			opts = append(opts, parquet.WithStatsFor(f.Name, true))
		case "trace_id":
			// "Every row of this trace" is a hot read and ids are random, so min/max cannot
			// prune; DuckDB skips row groups by bloom filter on equality instead (compacted
			// parts get them from DuckDB, which writes them on dictionary-encoded columns).
			opts = append(opts, parquet.WithBloomFilterEnabledFor(f.Name, true),
				parquet.WithBloomFilterFPPFor(f.Name, 0.01),
				parquet.WithBloomFilterNDVFor(f.Name, max(1024, min(rows, o.RowGroupRows))))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

// dictWriterProps is partWriterProps with dictionaries on the repetitive columns, kept for the
// benchmark that justifies leaving them off.
func dictWriterProps(o *Options, mem memory.Allocator, schema *arrow.Schema) *parquet.WriterProperties {
	codec, _ := codecFor(o.Compression)
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(codec),
		parquet.WithDictionaryDefault(false),
		parquet.WithStats(false),
		parquet.WithMaxRowGroupLength(o.RowGroupRows),
	}
	for _, f := range schema.Fields() {
		switch f.Name {
		case "service", "severity_text", "scope_name", "scope_version", "scope_schema_url",
			"resource_schema_url", "event_name", "kind", "status_code", "name", "description",
			"unit", "type", "temporality", "trace_state":
			opts = append(opts, parquet.WithDictionaryFor(f.Name, true))
		case "attributes", "scope_attributes":
			opts = append(opts, parquet.WithDictionaryFor(f.Name+".key_value.key", true))
		case "resource":
			opts = append(opts, parquet.WithDictionaryFor(f.Name+".key_value.key", true),
				parquet.WithDictionaryFor(f.Name+".key_value.value", true))
		}
		switch f.Name {
		case "timestamp", "service", "severity_number", "name", "duration_ns", "type":
			opts = append(opts, parquet.WithStatsFor(f.Name, true))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

// writeParquet writes recs to path atomically: a temporary file, fsynced, renamed, directory
// fsynced. It returns the file size.
func writeParquet(path string, schema *arrow.Schema, recs []arrow.RecordBatch, props *parquet.WriterProperties) (int64, error) {
	dir := filepath.Dir(path)
	if err := ensureDir(dir); err != nil {
		return 0, err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("cannot create part: %w", err)
	}
	fail := func(err error) (int64, error) {
		f.Close()
		os.Remove(tmp)
		return 0, err
	}
	w, err := pqarrow.NewFileWriter(schema, writerOnly{f}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return fail(fmt.Errorf("cannot start part: %w", err))
	}
	for _, r := range recs {
		if err := w.WriteBuffered(r); err != nil {
			w.Close()
			return fail(fmt.Errorf("cannot write part: %w", err))
		}
	}
	if err := w.Close(); err != nil {
		return fail(fmt.Errorf("cannot finish part: %w", err))
	}
	return commitFile(f, tmp, path)
}

// commitFile fsyncs and closes f (written at tmp), renames it to path and fsyncs the directory.
func commitFile(f *os.File, tmp, path string) (int64, error) {
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("cannot sync part: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("cannot stat part: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("cannot close part: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("cannot rename part: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// The checkpoint file holds the highest generation whose parts are all on disk.
const checkpointName = "checkpoint"

// readCheckpoint returns the checkpoint and whether the file exists.
func readCheckpoint(dir string) (uint64, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, checkpointName))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("cannot read checkpoint: %w", err)
	}
	g, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("cannot parse checkpoint %q: %w", b, err)
	}
	return g, true, nil
}

func writeCheckpoint(dir string, gen uint64) error {
	path := filepath.Join(dir, checkpointName)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("cannot create checkpoint: %w", err)
	}
	if _, err := f.WriteString(strconv.FormatUint(gen, 10) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("cannot write checkpoint: %w", err)
	}
	if _, err := commitFile(f, tmp, path); err != nil {
		return fmt.Errorf("cannot commit checkpoint: %w", err)
	}
	return nil
}
