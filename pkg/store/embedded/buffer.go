//go:build duckdb_arrow

package embedded

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/heimsight/heimsight/pkg/model"
)

const (
	nsPerHour = int64(time.Hour)
	// chunkRows is where a builder is cut into an immutable record: it bounds the slack of the
	// builders' doubling growth and gives the Parquet writer reasonably sized batches.
	chunkRows = 16 * 1024
)

// hourOf returns the UTC hour (hours since the epoch) holding the timestamp in ns.
func hourOf(ns int64) int64 {
	h := ns / nsPerHour
	if ns < 0 && ns%nsPerHour != 0 {
		h--
	}
	return h
}

// hourBuf holds the rows of one table and one hour of one generation: immutable chunks plus a
// builder for the rows appended since the last cut.
type hourBuf struct {
	hour    int64
	builder tableBuilder
	pending int // rows in builder
	chunks  []arrow.RecordBatch
	rows    int64
}

// cut moves the builder's rows into a chunk. Callers hold Store.mu.
func (h *hourBuf) cut() {
	if h.pending == 0 {
		return
	}
	rec := h.builder.newRecord()
	h.chunks = append(h.chunks, rec)
	if h.pending >= chunkRows {
		reserveLike(h.builder, rec)
	}
	h.pending = 0
}

// seal cuts the last rows and frees the builder: the buffer becomes immutable.
func (h *hourBuf) seal() {
	h.cut()
	if h.builder != nil {
		h.builder.release()
		h.builder = nil
	}
}

func (h *hourBuf) release() {
	if h.builder != nil {
		h.builder.release()
		h.builder = nil
	}
	for _, c := range h.chunks {
		c.Release()
	}
	h.chunks = nil
}

// generation is the set of rows whose WAL records are in segment gen. Mutable (builders) while
// it is the current generation, immutable once sealed by a flush.
type generation struct {
	gen      uint64
	tables   [len(tableNames)]map[int64]*hourBuf
	rows     [len(tableNames)]int64
	walBytes int64
	created  time.Time
	// last is the round holding the generation's last WAL bytes; the flush waits for it before
	// it deletes the segment.
	last *round
	mem  memory.Allocator
	// lastLogs etc. avoid a map lookup per row when consecutive rows share an hour.
	lastHour [len(tableNames)]*hourBuf
}

func newGeneration(gen uint64, now time.Time, mem memory.Allocator) *generation {
	g := &generation{gen: gen, created: now, mem: mem}
	for i := range g.tables {
		g.tables[i] = make(map[int64]*hourBuf)
	}
	return g
}

func (g *generation) totalRows() int64 {
	var n int64
	for _, r := range g.rows {
		n += r
	}
	return n
}

func (g *generation) hourBuf(table int, ns int64) *hourBuf {
	hour := hourOf(ns)
	if h := g.lastHour[table]; h != nil && h.hour == hour {
		return h
	}
	h := g.tables[table][hour]
	if h == nil {
		h = &hourBuf{hour: hour}
		switch table {
		case 0:
			h.builder = newLogsBuilder(g.mem)
		case 1:
			h.builder = newSpansBuilder(g.mem)
		default:
			h.builder = newMetricsBuilder(g.mem)
		}
		g.tables[table][hour] = h
	}
	g.lastHour[table] = h
	return h
}

func (h *hourBuf) added() {
	h.pending++
	h.rows++
	if h.pending >= chunkRows {
		h.cut()
	}
}

// appendBatch adds the batch's rows. Callers hold Store.mu.
func (g *generation) appendBatch(b *model.Batch) {
	for i := range b.Logs {
		h := g.hourBuf(0, b.Logs[i].Timestamp)
		h.builder.(*logsBuilder).append(&b.Logs[i])
		h.added()
	}
	for i := range b.Spans {
		h := g.hourBuf(1, b.Spans[i].StartTimestamp)
		h.builder.(*spansBuilder).append(&b.Spans[i])
		h.added()
	}
	for i := range b.Metrics {
		h := g.hourBuf(2, b.Metrics[i].Timestamp)
		h.builder.(*metricsBuilder).append(&b.Metrics[i])
		h.added()
	}
	g.rows[0] += int64(len(b.Logs))
	g.rows[1] += int64(len(b.Spans))
	g.rows[2] += int64(len(b.Metrics))
}

// seal makes the generation immutable. Callers hold Store.mu.
func (g *generation) seal() {
	for _, t := range g.tables {
		for _, h := range t {
			h.seal()
		}
	}
	g.lastHour = [len(tableNames)]*hourBuf{}
}

func (g *generation) release() {
	for _, t := range g.tables {
		for _, h := range t {
			h.release()
		}
	}
}

// snapshot appends retained chunks of table whose hour overlaps [from, to) (0 = unbounded),
// cutting builders first so the rows appended so far are included. Callers hold Store.mu.
func (g *generation) snapshot(dst []arrow.RecordBatch, table int, from, to int64) []arrow.RecordBatch {
	for _, h := range g.tables[table] {
		if !hourOverlaps(h.hour, from, to) {
			continue
		}
		h.cut()
		for _, c := range h.chunks {
			c.Retain()
			dst = append(dst, c)
		}
	}
	return dst
}

// hourOverlaps reports whether [hour start, hour end) meets [from, to); zero bounds are open.
func hourOverlaps(hour, from, to int64) bool {
	start := hour * nsPerHour
	end := start + nsPerHour
	if from != 0 && end <= from {
		return false
	}
	if to != 0 && start >= to {
		return false
	}
	return true
}
