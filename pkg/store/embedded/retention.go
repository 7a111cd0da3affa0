//go:build duckdb_arrow

package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/rollup"
	"github.com/heimsight/heimsight/pkg/store"
)

// Retention deletes whole hour partitions: a part is deleted once every row it can hold is
// older than now - TTL, i.e. once its hour ended before that cutoff. Rows are never rewritten,
// so enforcement costs a directory listing and unlinks, and data stays at most an hour (plus
// the enforcement interval) past its TTL. Parts used by running queries or a compaction are
// unlinked when the last of them lets go, exactly as compaction's inputs are. Rows still in
// memory are left to the flush that writes them and the enforcement after it.

var (
	_ retention.Applier  = (*Store)(nil)
	_ retention.Enforcer = (*Store)(nil)
)

// retentionDataType maps a table to the data type whose policy governs it.
var retentionDataType = [len(tableNames)]string{rollup.Logs, rollup.Traces, rollup.Metrics}

// ApplyRetention implements retention.Applier. The embedded store keeps no TTL of its own (the
// Manager hands the policies to every enforcement), so applying is enforcing once: it returns
// after every partition the policies expire is gone from queries.
func (s *Store) ApplyRetention(ctx context.Context, p retention.Policies) error {
	return s.EnforceRetention(ctx, p)
}

// EnforceRetention implements retention.Enforcer: it removes every part whose hour ended before
// now minus its table's TTL, then the partition directories left empty.
func (s *Store) EnforceRetention(ctx context.Context, p retention.Policies) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.opts.now()
	var cutoff [len(tableNames)]int64
	for ti := range tableNames {
		ttl := p.TTL(retentionDataType[ti])
		if ttl <= 0 {
			return fmt.Errorf("cannot enforce retention: no TTL for %s", retentionDataType[ti])
		}
		cutoff[ti] = now.Add(-ttl).UnixNano()
	}

	var del []*part
	var deletedTo [len(tableNames)]int64 // end of the newest hour deleted, per table
	dirs := map[string]bool{}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	for ti := range tableNames {
		kept := s.parts[ti][:0]
		for _, pt := range s.parts[ti] {
			if (pt.hour+1)*nsPerHour <= cutoff[ti] {
				// Like a compaction input: unlinked now if unused, else by releaseParts.
				pt.removed = true
				deletedTo[ti] = max(deletedTo[ti], (pt.hour+1)*nsPerHour)
				if pt.refs == 0 {
					del = append(del, pt)
				}
				dirs[filepath.Dir(pt.path)] = true
				continue
			}
			kept = append(kept, pt)
		}
		// Clear the tail so the dropped parts are not kept alive by the backing array.
		for i := len(kept); i < len(s.parts[ti]); i++ {
			s.parts[ti][i] = nil
		}
		s.parts[ti] = kept
	}
	s.metrics.setParts(s.parts)
	s.mu.Unlock()

	var errs []error
	var bytes int64
	for _, pt := range del {
		if err := os.Remove(pt.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("cannot remove expired part: %w", err))
			continue
		}
		bytes += pt.bytes
	}
	if len(dirs) > 0 {
		s.opts.Logger.Info("retention removed expired partitions", "partitions", len(dirs), "parts", len(del), "bytes", bytes)
	}
	// Hours whose last part was still in use at the previous enforcement were left behind
	// empty: sweep every hour of the days that ended before the cutoff.
	for ti, table := range tableNames {
		day := time.Unix(0, cutoff[ti]).UTC().Format("2006-01-02")
		dates, _ := os.ReadDir(filepath.Join(s.opts.Dir, table))
		for _, d := range dates {
			if len(d.Name()) == len("date=2006-01-02") && d.Name()[len("date="):] < day {
				hours, _ := os.ReadDir(filepath.Join(s.opts.Dir, table, d.Name()))
				for _, h := range hours {
					dirs[filepath.Join(s.opts.Dir, table, d.Name(), h.Name())] = true
				}
			}
		}
	}
	if len(dirs) > 0 {
		errs = append(errs, s.removeEmptyPartitions(dirs)...)
	}
	if err := s.enforceTierRetention(p, deletedTo); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("cannot enforce retention: %w", errors.Join(errs...))
	}
	return nil
}

// removeEmptyPartitions removes the hour directories in dirs that are empty, then their date
// directories if empty, fsyncing each parent. It holds flushMu so that a flush cannot be
// between creating a directory and writing its part there (a late row of an expired hour).
func (s *Store) removeEmptyPartitions(dirs map[string]bool) []error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	var errs []error
	parents := map[string]bool{}
	for d := range dirs {
		if err := syncDir(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		if removeIfEmpty(d) {
			parents[filepath.Dir(d)] = true
		}
	}
	tables := map[string]bool{}
	for d := range parents {
		if removeIfEmpty(d) {
			tables[filepath.Dir(d)] = true
		} else if err := syncDir(d); err != nil {
			errs = append(errs, err)
		}
	}
	for d := range tables {
		if err := syncDir(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// removeIfEmpty removes dir if it has no entries (os.Remove refuses a non-empty directory).
func removeIfEmpty(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) > 0 {
		return false
	}
	return os.Remove(dir) == nil
}

// DataAge implements retention.Applier: per table, the row count, the bytes of its parts, and
// the oldest and newest row time from the Parquet statistics of the parts of its first and last
// hour (the hour bounds when a part has none) and from the rows still in memory.
func (s *Store) DataAge(ctx context.Context) ([]retention.TableAge, error) {
	out := make([]retention.TableAge, 0, len(tableNames))
	for ti := range tableNames {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := s.tableAge(ti)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	tiers, err := s.tierAges(ctx)
	if err != nil {
		return nil, err
	}
	return append(out, tiers...), nil
}

func (s *Store) tableAge(ti int) (retention.TableAge, error) {
	a := retention.TableAge{DataType: retentionDataType[ti], Table: tableNames[ti]}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return a, store.ErrClosed
	}
	s.mu.Unlock()
	recs, parts := s.snapshot(ti, 0, 0)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
		s.releaseParts(parts)
	}()

	var oldest, newest int64
	var have bool
	see := func(lo, hi int64) {
		if !have || lo < oldest {
			oldest = lo
		}
		if !have || hi > newest {
			newest = hi
		}
		have = true
	}
	for _, r := range recs {
		a.Rows += r.NumRows()
		idx := r.Schema().FieldIndices("timestamp")
		if len(idx) == 0 {
			continue
		}
		col, ok := r.Column(idx[0]).(*array.Timestamp)
		if !ok {
			continue
		}
		for i := 0; i < col.Len(); i++ {
			if col.IsValid(i) {
				v := int64(col.Value(i))
				see(v, v)
			}
		}
	}

	// Row counts read from footers are remembered in the registry (parts found on disk at
	// start have none), so the monitor does not reread every footer each round.
	type counted struct {
		pt   *part
		rows int64
	}
	var learned []counted
	defer func() {
		if len(learned) == 0 {
			return
		}
		s.mu.Lock()
		for _, c := range learned {
			// Only while this snapshot is the part's one user: a compaction reads rows of the
			// parts it holds without the lock.
			if c.pt.rows == 0 && c.pt.refs == 1 {
				c.pt.rows = c.rows
			}
		}
		s.mu.Unlock()
	}()
	if len(parts) > 0 {
		sort.Slice(parts, func(i, j int) bool { return parts[i].hour < parts[j].hour })
		first, last := parts[0].hour, parts[len(parts)-1].hour
		for _, pt := range parts {
			a.Bytes += pt.bytes
			edge := pt.hour == first || pt.hour == last
			if pt.rows > 0 && !edge {
				a.Rows += pt.rows
				continue
			}
			rows, lo, hi, ok, err := readPartFooter(pt.path)
			if err != nil {
				return a, fmt.Errorf("cannot read data age of %s: %w", tableNames[ti], err)
			}
			a.Rows += rows
			if pt.rows == 0 && rows > 0 {
				learned = append(learned, counted{pt, rows})
			}
			if !edge || rows == 0 {
				continue
			}
			if !ok { // no statistics: the partition's bounds
				lo, hi = pt.hour*nsPerHour, (pt.hour+1)*nsPerHour-1
			}
			see(lo, hi)
		}
	}
	if have {
		a.Oldest, a.Newest = time.Unix(0, oldest).UTC(), time.Unix(0, newest).UTC()
	}
	return a, nil
}

// readPartFooter returns a part's row count and the min and max of its timestamp column from
// the footer statistics (ok false when a row group has none).
func readPartFooter(path string) (rows, lo, hi int64, ok bool, err error) {
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, 0, 0, false, err
	}
	defer r.Close()
	md := r.MetaData()
	rows = r.NumRows()
	col := md.Schema.ColumnIndexByName("timestamp")
	if col < 0 {
		return rows, 0, 0, false, nil
	}
	scale := int64(1)
	if ts, isTS := md.Schema.Column(col).LogicalType().(*pqschema.TimestampLogicalType); isTS {
		switch ts.TimeUnit() {
		case pqschema.TimeUnitMicros:
			scale = 1_000
		case pqschema.TimeUnitMillis:
			scale = 1_000_000
		}
	}
	ok = true
	first := true
	for i := 0; i < r.NumRowGroups(); i++ {
		cc, err := md.RowGroup(i).ColumnChunk(col)
		if err != nil {
			return rows, 0, 0, false, err
		}
		if set, _ := cc.StatsSet(); !set {
			return rows, 0, 0, false, nil
		}
		st, err := cc.Statistics()
		if err != nil {
			return rows, 0, 0, false, nil
		}
		is, isInt := st.(*metadata.Int64Statistics)
		if !isInt || !is.HasMinMax() {
			if md.RowGroup(i).NumRows() == 0 {
				continue
			}
			return rows, 0, 0, false, nil
		}
		mn, mx := is.Min()*scale, is.Max()*scale
		if first || mn < lo {
			lo = mn
		}
		if first || mx > hi {
			hi = mx
		}
		first = false
	}
	return rows, lo, hi, ok && !first, nil
}
