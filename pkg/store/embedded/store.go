//go:build duckdb_arrow

package embedded

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

// Store is the embedded store. Safe for concurrent use.
type Store struct {
	opts    Options
	mem     memory.Allocator
	metrics *metrics
	lock    *os.File
	walDir  string

	encoders sync.Pool // *encoder
	records  sync.Pool // *[]byte

	// mu guards everything below. Appending a request's rows to the buffers and its WAL record
	// to the pending round happen under one hold of mu, so a generation's buffers always hold
	// exactly the rows of its WAL segment.
	mu           sync.Mutex
	closed       bool
	walErr       error // sticky: once the WAL failed nothing is acknowledged any more
	cur          *generation
	flushing     []*generation // sealed, being written; still visible to queries
	pending      *round
	pendingBytes int64 // WAL bytes not yet fsynced
	parts        [len(tableNames)][]*part
	checkpoint   uint64
	// flushed is closed and replaced whenever a flush publishes parts (or fails), waking
	// writers that wait for buffer space.
	flushed chan struct{}

	commitKick chan struct{}
	flushKick  chan struct{}
	stop       chan struct{}
	wg         sync.WaitGroup
	flushMu    sync.Mutex // one flush at a time
	compactMu  sync.Mutex // one compaction at a time
	rollup     *rollupState

	db        *duckDB // queries
	compactDB *duckDB // compaction, with its own threads so it never waits for or slows queries

	// hooks let tests stop a flush or compaction at its most delicate point.
	hooks struct {
		beforeCheckpoint     func() error
		beforeCompactPublish func() error
	}
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the store in opts.Dir, repairs what a crash left behind and replays the
// WAL. The caller must Close the store.
func Open(opts Options) (*Store, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &Store{
		opts:       opts,
		mem:        opts.Allocator,
		walDir:     filepath.Join(opts.Dir, walDirName),
		commitKick: make(chan struct{}, 1),
		flushKick:  make(chan struct{}, 1),
		stop:       make(chan struct{}),
		pending:    newRound(),
		flushed:    make(chan struct{}),
	}
	s.encoders.New = func() any { return &encoder{} }
	if err := ensureDir(s.walDir); err != nil {
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	s.metrics = newMetrics(opts.Registerer)
	if err := s.recover(); err != nil {
		s.releaseLock()
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	db, err := openDuckDB(&s.opts, opts.DuckDBThreads, opts.QueryConns, opts.DuckDBMemoryLimit, ".duckdb_tmp", nil)
	if err != nil {
		s.cur.release()
		s.releaseLock()
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	s.db = db
	if s.compactDB, err = openDuckDB(&s.opts, opts.CompactThreads, 1, opts.CompactMemoryLimit, ".duckdb_tmp_compact",
		// With insertion order preserved, COPY buffers more and ran out of memory under 64MB;
		// one thread keeps arrival order anyway (and order only helps pruning).
		url.Values{"preserve_insertion_order": {"false"}}); err != nil {
		db.close()
		s.cur.release()
		s.releaseLock()
		return nil, fmt.Errorf("cannot open store: %w", err)
	}
	s.metrics.setParts(s.parts)
	if s.rollup, err = s.loadRollupState(); err != nil {
		s.compactDB.close()
		db.close()
		s.cur.release()
		s.releaseLock()
		return nil, fmt.Errorf("cannot open store: %w", err)
	}

	s.wg.Add(2)
	go s.commitLoop()
	go s.flushLoop()
	if opts.CompactInterval > 0 {
		s.wg.Add(1)
		go s.compactLoop()
	}
	if opts.RollupInterval > 0 {
		s.wg.Add(1)
		go s.rollupLoop()
	}
	return s, nil
}

func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock data directory %s (another store has it open?): %w", dir, err)
	}
	return f, nil
}

func (s *Store) releaseLock() {
	if s.lock != nil {
		syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
}

// recover loads the checkpoint and parts and replays the WAL segments above the checkpoint into
// a fresh generation numbered above every segment, so its flush (checkpoint at the new
// generation) makes all replayed segments obsolete at once.
func (s *Store) recover() error {
	cp, found, err := readCheckpoint(s.opts.Dir)
	if err != nil {
		return err
	}
	os.Remove(filepath.Join(s.opts.Dir, checkpointName+".tmp"))
	if !found {
		// A new store starts with checkpoint 0, so a missing checkpoint next to parts means it
		// was deleted: recovery would then remove every part as unfinished. Refuse instead.
		for _, table := range tableNames {
			if _, err := os.Stat(filepath.Join(s.opts.Dir, table)); err == nil {
				return fmt.Errorf("cannot recover: %s is missing but %s holds parts; restore it (the highest g-<gen> of a complete flush)",
					filepath.Join(s.opts.Dir, checkpointName), s.opts.Dir)
			}
		}
		if err := writeCheckpoint(s.opts.Dir, 0); err != nil {
			return err
		}
	}
	s.checkpoint = cp
	log := func(msg string, args ...any) { s.opts.Logger.Warn(msg, args...) }
	parts, err := scanParts(s.opts.Dir, cp, log)
	if err != nil {
		return err
	}
	for _, p := range parts {
		s.parts[p.table] = append(s.parts[p.table], p)
	}
	segs, err := listSegments(s.walDir)
	if err != nil {
		return err
	}
	next := cp + 1
	if n := len(segs); n > 0 && segs[n-1] >= next {
		next = segs[n-1] + 1
	}
	s.cur = newGeneration(next, s.opts.now(), s.mem)
	var replayed, records int
	for _, g := range segs {
		path := filepath.Join(s.walDir, segmentName(g))
		if g <= cp {
			// Its flush completed; only the deletion was interrupted.
			os.Remove(path)
			continue
		}
		n, torn, err := readSegment(path, func(payload []byte) error {
			b, err := decodeBatch(payload)
			if err != nil {
				// The checksum matched, so this is not a torn write but a bug or a format
				// change; refuse to start rather than silently drop acknowledged rows.
				return fmt.Errorf("cannot decode WAL record in %s: %w", path, err)
			}
			s.cur.appendBatch(b)
			s.cur.walBytes += int64(len(payload) + recordHeaderSize)
			replayed += b.Len()
			return nil
		})
		if err != nil {
			return err
		}
		records += n
		if torn {
			s.opts.Logger.Warn("WAL segment ends in a torn record; it was never acknowledged", "segment", path, "records", n)
		}
	}
	if records > 0 {
		s.opts.Logger.Info("replayed WAL", "segments", len(segs), "records", records, "rows", replayed)
	}
	s.metrics.bufferedRows.Set(float64(s.cur.totalRows()))
	return nil
}

// Backend implements store.Store.
func (s *Store) Backend() string { return "embedded" }

// Dialect implements store.Querier.
func (s *Store) Dialect() string { return "duckdb" }

// Write implements store.Writer: it returns once the batch's WAL record is fsynced; the rows are
// visible to queries from the moment the record is queued.
func (s *Store) Write(ctx context.Context, b *model.Batch) error {
	if b == nil || b.Len() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	enc := s.encoders.Get().(*encoder)
	var buf []byte
	if p, ok := s.records.Get().(*[]byte); ok {
		buf = (*p)[:0]
	}
	rec := enc.encodeBatch(append(buf, make([]byte, recordHeaderSize)...), b)
	s.encoders.Put(enc)
	if len(rec)-recordHeaderSize > maxRecordSize {
		return fmt.Errorf("cannot write batch: %d bytes encoded, the limit is %d", len(rec), maxRecordSize)
	}
	frameRecord(rec)

	var deadline <-chan time.Time
	s.mu.Lock()
	for {
		if s.closed {
			s.mu.Unlock()
			return store.ErrClosed
		}
		if s.walErr != nil {
			err := s.walErr
			s.mu.Unlock()
			return fmt.Errorf("cannot write batch: %w: %w", store.ErrUnavailable, err)
		}
		if s.pendingBytes <= s.opts.MaxPendingBytes && s.bufferedBytesLocked() <= s.opts.MaxBufferedBytes {
			break
		}
		// Full: give the flush a moment to free memory before refusing, so a burst slows
		// writers down instead of failing them.
		wake := s.flushed
		s.mu.Unlock()
		s.kickFlush()
		if deadline == nil {
			t := time.NewTimer(s.opts.OverloadWait)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-wake:
		case <-s.stop:
		case <-deadline:
			s.metrics.rejected.Inc()
			return fmt.Errorf("cannot write batch: %w", store.ErrOverloaded)
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	g := s.cur
	g.appendBatch(b)
	g.walBytes += int64(len(rec))
	r := s.pending
	r.add(g.gen, rec)
	g.last = r
	s.pendingBytes += int64(len(rec))
	needFlush := g.walBytes >= s.opts.FlushBytes
	s.mu.Unlock()

	s.metrics.addRows(b)
	select {
	case s.commitKick <- struct{}{}:
	default:
	}
	if needFlush {
		s.kickFlush()
	}
	select {
	case <-r.done:
		rec = rec[:0]
		s.records.Put(&rec)
		if r.err != nil {
			return fmt.Errorf("cannot write batch: %w: %w", store.ErrUnavailable, r.err)
		}
		return nil
	case <-ctx.Done():
		// The committer still references rec: leave it to the garbage collector.
		return ctx.Err()
	}
}

func (s *Store) bufferedBytesLocked() int64 {
	n := s.cur.walBytes
	for _, g := range s.flushing {
		n += g.walBytes
	}
	return n
}

func (s *Store) kickFlush() {
	select {
	case s.flushKick <- struct{}{}:
	default:
	}
}

// commitLoop is the group committer: it takes every record queued since the last round, writes
// them with one write per segment and fsyncs once, then releases the waiting writers.
func (s *Store) commitLoop() {
	defer s.wg.Done()
	w := &walWriter{dir: s.walDir, sync: fdatasync}
	defer w.close()
	for {
		stopping := false
		select {
		case <-s.commitKick:
		case <-s.stop:
			stopping = true
		}
		if !stopping && s.opts.CommitWindow > 0 {
			time.Sleep(s.opts.CommitWindow)
		}
		s.mu.Lock()
		r := s.pending
		if r.reqs == 0 {
			s.mu.Unlock()
			if stopping {
				return
			}
			continue
		}
		s.pending = newRound()
		s.mu.Unlock()

		fsync, err := w.write(r)
		if err != nil {
			s.opts.Logger.Error("WAL write failed; the store stops acknowledging writes", "err", err)
		}
		s.metrics.observeCommit(r, fsync)
		r.err = err
		s.mu.Lock()
		s.pendingBytes -= r.bytes
		if err != nil && s.walErr == nil {
			s.walErr = err
		}
		s.mu.Unlock()
		close(r.done)
		if stopping {
			// Drain what arrived during the last round, then stop.
			select {
			case s.commitKick <- struct{}{}:
			default:
			}
		}
	}
}

func (s *Store) flushLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.FlushInterval / 4)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.flushKick:
		case <-t.C:
			s.mu.Lock()
			due := s.cur.totalRows() > 0 && s.opts.now().Sub(s.cur.created) >= s.opts.FlushInterval
			s.mu.Unlock()
			if !due {
				continue
			}
		}
		if err := s.Flush(context.Background()); err != nil {
			s.opts.Logger.Error("flush failed; will retry", "err", err)
		}
	}
}

// Flush seals the current generation and writes every sealed generation to Parquet parts. It is
// called by the flush loop and by Close; tests call it to force parts onto disk.
func (s *Store) Flush(ctx context.Context) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	if g := s.cur; g.totalRows() > 0 {
		g.seal()
		s.flushing = append(s.flushing, g)
		s.cur = newGeneration(g.gen+1, s.opts.now(), s.mem)
	}
	todo := append([]*generation(nil), s.flushing...)
	s.mu.Unlock()
	for _, g := range todo {
		if err := s.flushGeneration(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// flushGeneration writes g's parts, records the checkpoint, publishes the parts in place of
// the buffers and deletes the WAL segments the checkpoint covers.
func (s *Store) flushGeneration(ctx context.Context, g *generation) error {
	start := time.Now()
	if g.last != nil {
		select {
		case <-g.last.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var written []*part
	fail := func(err error) error {
		for _, p := range written {
			os.Remove(p.path)
		}
		return err
	}
	for ti := range tableNames {
		for hour, h := range g.tables[ti] {
			if h.rows == 0 {
				continue
			}
			path := filepath.Join(partitionDir(s.opts.Dir, ti, hour), flushPartName(g.gen))
			size, err := writeParquet(path, tableSchemas[ti], h.chunks, partWriterProps(&s.opts, s.mem, tableSchemas[ti], h.rows))
			if err != nil {
				return fail(fmt.Errorf("cannot flush generation %d: %w", g.gen, err))
			}
			written = append(written, &part{table: ti, hour: hour, low: g.gen, high: g.gen, path: path, bytes: size, rows: h.rows})
			s.metrics.partBytes.WithLabelValues(tableNames[ti]).Add(float64(size))
		}
	}
	if h := s.hooks.beforeCheckpoint; h != nil {
		if err := h(); err != nil {
			return err // a simulated crash: leave the parts for Open to clean up
		}
	}
	if err := writeCheckpoint(s.opts.Dir, g.gen); err != nil {
		// Keep the parts: the checkpoint may be on disk already (the rename done, the directory
		// fsync failed), and then the next Open drops the WAL segments it covers, leaving these
		// parts the only copy. If it is not, Open deletes them as above the checkpoint, and a
		// retry rewrites them under the same names.
		return fmt.Errorf("cannot flush generation %d: %w", g.gen, err)
	}
	s.mu.Lock()
	s.checkpoint = g.gen
	for _, p := range written {
		s.parts[p.table] = append(s.parts[p.table], p)
	}
	for i, f := range s.flushing {
		if f == g {
			s.flushing = append(s.flushing[:i], s.flushing[i+1:]...)
			break
		}
	}
	rows := s.cur.totalRows()
	for _, f := range s.flushing {
		rows += f.totalRows()
	}
	s.metrics.setParts(s.parts)
	close(s.flushed)
	s.flushed = make(chan struct{})
	s.mu.Unlock()
	s.metrics.bufferedRows.Set(float64(rows))
	// Queries that took a snapshot retained the chunks they use.
	g.release()

	segs, err := listSegments(s.walDir)
	if err == nil {
		for _, sg := range segs {
			if sg <= g.gen {
				os.Remove(filepath.Join(s.walDir, segmentName(sg)))
			}
		}
	}
	s.metrics.flushSeconds.Observe(time.Since(start).Seconds())
	s.opts.Logger.Debug("flushed generation", "gen", g.gen, "rows", g.totalRows(), "parts", len(written), "took", time.Since(start))
	return nil
}

// Close stops accepting writes, waits for pending WAL commits, flushes every buffer to Parquet
// and releases the directory.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	err := s.Flush(context.Background())
	if cerr := s.db.close(); cerr != nil && err == nil {
		err = cerr
	}
	if cerr := s.compactDB.close(); cerr != nil && err == nil {
		err = cerr
	}
	s.mu.Lock()
	s.cur.release()
	for _, g := range s.flushing {
		g.release()
	}
	s.flushing = nil
	s.mu.Unlock()
	s.releaseLock()
	if err != nil {
		return fmt.Errorf("cannot close store: %w", err)
	}
	return nil
}

// crash stops the store as a killed process would: no flush, no checkpoint; only what is on
// disk survives. Tests use it to exercise recovery.
func (s *Store) crash() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	s.db.close()
	s.compactDB.close()
	s.mu.Lock()
	s.cur.release()
	for _, g := range s.flushing {
		g.release()
	}
	s.flushing = nil
	s.mu.Unlock()
	s.releaseLock()
}

// snapshot returns retained buffered chunks and referenced parts of table overlapping
// [from, to). The caller must release both with releaseSnapshot.
func (s *Store) snapshot(table int, from, to int64) ([]arrow.RecordBatch, []*part) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []arrow.RecordBatch
	for _, g := range s.flushing {
		recs = g.snapshot(recs, table, from, to)
	}
	recs = s.cur.snapshot(recs, table, from, to)
	var parts []*part
	for _, p := range s.parts[table] {
		if hourOverlaps(p.hour, from, to) {
			p.refs++
			parts = append(parts, p)
		}
	}
	return recs, parts
}

func (s *Store) releaseParts(parts []*part) {
	if len(parts) == 0 {
		return
	}
	var del []string
	s.mu.Lock()
	for _, p := range parts {
		p.refs--
		if p.refs == 0 && p.removed {
			del = append(del, p.path)
		}
	}
	s.mu.Unlock()
	for _, path := range del {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.opts.Logger.Warn("cannot remove replaced part", "path", path, "err", err)
		}
	}
}
