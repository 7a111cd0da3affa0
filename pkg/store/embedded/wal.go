//go:build duckdb_arrow

package embedded

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// WAL framing: every record is [len uint32 LE][crc32c(payload) uint32 LE][payload]. A record
// whose header or payload is cut short, or whose checksum does not match, ends the segment on
// replay: it was being written when the process died, so it was never acknowledged, and no
// acknowledged record can follow it in the same segment (records are appended in order and a
// request is acknowledged only after everything before it is fsynced).

const (
	recordHeaderSize = 8
	// maxRecordSize bounds a length field read back from disk; a request larger than this is
	// refused at Write.
	maxRecordSize = 1 << 30
	walDirName    = "wal"
	walSuffix     = ".wal"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameRecord fills the header reserved at the start of rec (rec[:8]) for the payload rec[8:].
func frameRecord(rec []byte) {
	payload := rec[recordHeaderSize:]
	binary.LittleEndian.PutUint32(rec[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(payload, castagnoli))
}

func segmentName(gen uint64) string { return fmt.Sprintf("%016x%s", gen, walSuffix) }

// listSegments returns the generations of the WAL segments in dir, ascending.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list WAL segments: %w", err)
	}
	var gens []uint64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, walSuffix) || len(name) != 16+len(walSuffix) {
			continue
		}
		g, err := strconv.ParseUint(strings.TrimSuffix(name, walSuffix), 16, 64)
		if err != nil {
			continue
		}
		gens = append(gens, g)
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i] < gens[j] })
	return gens, nil
}

// readSegment calls fn with each intact record payload of the segment, in order, and returns
// the number of records read and whether it stopped at a torn or corrupt tail. fn must not keep
// the payload.
func readSegment(path string, fn func(payload []byte) error) (n int, torn bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, fmt.Errorf("cannot open WAL segment: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [recordHeaderSize]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return n, false, nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return n, true, nil
			}
			return n, false, fmt.Errorf("cannot read WAL segment: %w", err)
		}
		size := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		if size > maxRecordSize {
			return n, true, nil
		}
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
				return n, true, nil
			}
			return n, false, fmt.Errorf("cannot read WAL segment: %w", err)
		}
		if crc32.Checksum(buf, castagnoli) != sum {
			return n, true, nil
		}
		if err := fn(buf); err != nil {
			return n, false, err
		}
		n++
	}
}

// round is one group commit: the WAL bytes of every request that arrived while the previous
// round was being written. Requests wait on done.
type round struct {
	chunks []walChunk
	bytes  int64
	reqs   int
	done   chan struct{}
	err    error // set before done is closed
}

// walChunk is the run of records of one generation within a round (a flush may rotate the
// generation in the middle of a round).
type walChunk struct {
	gen  uint64
	recs [][]byte
}

func newRound() *round { return &round{done: make(chan struct{})} }

func (r *round) add(gen uint64, rec []byte) {
	if n := len(r.chunks); n == 0 || r.chunks[n-1].gen != gen {
		r.chunks = append(r.chunks, walChunk{gen: gen})
	}
	c := &r.chunks[len(r.chunks)-1]
	c.recs = append(c.recs, rec)
	r.bytes += int64(len(rec))
	r.reqs++
}

// walWriter owns the open segment file. Only the committer goroutine uses it.
type walWriter struct {
	dir  string
	f    *os.File
	gen  uint64
	buf  []byte
	sync func(*os.File) error
}

// write appends the round's records to their segments and fsyncs every segment it touched.
func (w *walWriter) write(r *round) (fsync time.Duration, err error) {
	for _, c := range r.chunks {
		if w.f == nil || w.gen != c.gen {
			if err := w.open(c.gen); err != nil {
				return fsync, err
			}
		}
		w.buf = w.buf[:0]
		for _, rec := range c.recs {
			w.buf = append(w.buf, rec...)
		}
		if _, err := w.f.Write(w.buf); err != nil {
			return fsync, fmt.Errorf("cannot write WAL segment: %w", err)
		}
		start := time.Now()
		if err := w.sync(w.f); err != nil {
			return fsync, fmt.Errorf("cannot sync WAL segment: %w", err)
		}
		fsync += time.Since(start)
	}
	if cap(w.buf) > 8<<20 {
		w.buf = nil // do not pin a burst's buffer forever
	}
	return fsync, nil
}

func (w *walWriter) open(gen uint64) error {
	if w.f != nil {
		// Everything written to it was fsynced at the end of the round that wrote it.
		_ = w.f.Close()
		w.f = nil
	}
	f, err := os.OpenFile(filepath.Join(w.dir, segmentName(gen)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cannot create WAL segment: %w", err)
	}
	// The new name must be durable too, or a crash could lose a segment whose data was fsynced.
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	w.f, w.gen = f, gen
	return nil
}

func (w *walWriter) close() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// syncDir fsyncs a directory so that entries created, renamed or removed in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot open directory for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync directory: %w", err)
	}
	return nil
}
