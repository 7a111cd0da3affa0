//go:build duckdb_arrow

package embedded

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/heimsight/heimsight/pkg/store"
)

// Query implements store.Querier. Each logical table the statement names becomes the union of
// its Parquet parts pruned by the table's time range and an Arrow view of a snapshot of the
// unflushed rows, taken atomically with the list of parts so that no row is seen twice or
// missed while a flush publishes parts.
func (s *Store) Query(ctx context.Context, q *store.Query) (*store.Result, error) {
	if q == nil || q.Build == nil {
		return nil, fmt.Errorf("cannot run query: %w: no statement", store.ErrInvalidQuery)
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, store.ErrClosed
	}
	// Close waits for every connection to come back: a query whose caller set no deadline must
	// not hold it forever, so closing the store interrupts running queries.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	c, err := s.db.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot run query: %w", s.closedOr(err))
	}
	defer s.db.put(c)

	qs := &querySources{s: s, c: c, q: q, sql: map[string]string{}}
	defer qs.release(ctx)
	text, args, err := q.Build(qs.source)
	if err != nil {
		if qs.err != nil {
			return nil, qs.err
		}
		return nil, fmt.Errorf("cannot build query: %w: %w", store.ErrInvalidQuery, err)
	}
	if qs.err != nil {
		return nil, qs.err
	}
	maxRows := q.MaxRows
	if maxRows <= 0 {
		maxRows = s.opts.MaxQueryRows
	}
	rr, err := c.arrow.QueryContext(ctx, text, args...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("cannot run query: %w", s.closedOr(ctx.Err()))
		}
		return nil, fmt.Errorf("cannot run query: %w: %w", classifyDuckDB(err), err)
	}
	defer rr.Release()
	res := &store.Result{Schema: rr.Schema()}
	for rr.Next() {
		rec := rr.RecordBatch()
		n := rec.NumRows()
		if res.Rows+n > int64(maxRows) {
			n = int64(maxRows) - res.Rows
			res.Truncated = true
		}
		if n > 0 {
			own, err := s.ownRecord(rec, n)
			if err != nil {
				res.Release()
				return nil, err
			}
			res.Records = append(res.Records, own)
			res.Rows += n
		}
		if res.Truncated {
			break
		}
	}
	if err := rr.Err(); err != nil && !res.Truncated {
		res.Release()
		return nil, fmt.Errorf("cannot read query result: %w", err)
	}
	return res, nil
}

// querySources renders the relation of each table on first use and remembers what to release.
type querySources struct {
	s     *Store
	c     *dconn
	q     *store.Query
	sql   map[string]string
	views []string
	rels  []func()
	parts []*part
	err   error
}

// bufferViewSeq numbers buffer views so that concurrent queries never share one.
var bufferViewSeq atomic.Uint64

func (qs *querySources) source(table string) (string, error) {
	if rel, ok := qs.sql[table]; ok {
		return rel, nil
	}
	ti := tableIndex(table)
	from, to, found := int64(0), int64(0), false
	for _, sc := range qs.q.Tables {
		if sc.Table != table {
			continue
		}
		if !found {
			from, to, found = sc.From, sc.To, true
			continue
		}
		// A table scanned twice needs the union of both ranges.
		if sc.From == 0 || (from != 0 && sc.From < from) {
			from = sc.From
		}
		if sc.To == 0 || (to != 0 && sc.To > to) {
			to = sc.To
		}
	}
	if ti < 0 {
		rel, ok, err := qs.s.tierSource(table, from, to)
		if !ok {
			return "", fmt.Errorf("unknown table %q", table)
		}
		if err != nil {
			qs.err = err
			return "", err
		}
		qs.sql[table] = rel
		return rel, nil
	}
	recs, parts := qs.s.snapshot(ti, from, to)
	qs.parts = append(qs.parts, parts...)
	reader, err := wrapRows(ti, recs)
	for _, r := range recs {
		r.Release() // the reader retains what it needs
	}
	if err != nil {
		qs.err = fmt.Errorf("cannot snapshot buffers: %w", err)
		return "", qs.err
	}
	// Views live in DuckDB's shared catalog, not per connection: each query needs a name of its
	// own, or concurrent queries replace and drop each other's views.
	view := "heimsight_buffer_" + table + "_" + strconv.FormatUint(bufferViewSeq.Add(1), 10)
	release, err := qs.c.arrow.RegisterView(reader, view)
	reader.Release() // the exported stream holds its own reference
	if err != nil {
		qs.err = fmt.Errorf("cannot register buffer view: %w", err)
		return "", qs.err
	}
	qs.rels = append(qs.rels, release)
	qs.views = append(qs.views, view)

	var rel string
	if len(parts) == 0 {
		rel = "(SELECT unnest(" + quoteIdent(bufferColumn) + ") FROM " + quoteIdent(view) + ")"
	} else {
		var b strings.Builder
		b.WriteString("(SELECT * FROM read_parquet([")
		for i, p := range parts {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(quoteString(p.path))
		}
		b.WriteString("], union_by_name=true, hive_partitioning=false) UNION ALL BY NAME SELECT unnest(")
		b.WriteString(quoteIdent(bufferColumn))
		b.WriteString(") FROM ")
		b.WriteString(quoteIdent(view))
		b.WriteByte(')')
		rel = b.String()
	}
	qs.sql[table] = rel
	return rel, nil
}

func (qs *querySources) release(ctx context.Context) {
	for _, v := range qs.views {
		// A view over a released stream must not outlive the query on this connection.
		if err := qs.c.exec(context.WithoutCancel(ctx), "DROP VIEW IF EXISTS "+quoteIdent(v)); err != nil {
			qs.s.opts.Logger.Warn("cannot drop buffer view", "view", v, "err", err)
		}
	}
	for _, r := range qs.rels {
		r()
	}
	qs.s.releaseParts(qs.parts)
}

// ownRecord copies the first n rows of rec into Go memory. DuckDB's exported batches point
// into its result chunks, which it frees when the next chunk is fetched or the result closes,
// while a store.Result must outlive the query. Go memory, not Options.Allocator: a caller
// that forgets Release then leaks nothing.
func (s *Store) ownRecord(rec arrow.RecordBatch, n int64) (arrow.RecordBatch, error) {
	if n < rec.NumRows() {
		rec = rec.NewSlice(0, n)
		defer rec.Release()
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		cp, err := array.Concatenate([]arrow.Array{c}, memory.DefaultAllocator)
		if err != nil {
			return nil, fmt.Errorf("cannot copy query result: %w", err)
		}
		cols[i] = cp
	}
	return array.NewRecordBatch(rec.Schema(), cols, n), nil
}

// DuckDB 1.5's arrow_scan over a C stream (RegisterView) pushes projections and filters into
// the stream and trusts it to apply them, but a stream exported from Go cannot see them: a
// projection reads the wrong columns (and crashes on nested ones) and a pushed filter is
// silently not applied. So the view exposes one struct column holding the whole row; the
// relation unnests it, and DuckDB filters and projects after the scan. Wrapping is zero-copy,
// but every query converts every buffered row in full (~1 µs of CPU per log row: a count over
// 50k buffered rows costs ~55 ms; selecting single fields instead of unnest does not help).
const bufferColumn = "r"

var bufferSchemas [len(tableNames)]*arrow.Schema

func init() {
	for i, sc := range tableSchemas {
		bufferSchemas[i] = arrow.NewSchema([]arrow.Field{{Name: bufferColumn, Type: arrow.StructOf(sc.Fields()...)}}, nil)
	}
}

// wrapRows returns a reader of recs, each wrapped as a single struct column.
func wrapRows(table int, recs []arrow.RecordBatch) (array.RecordReader, error) {
	wrapped := make([]arrow.RecordBatch, 0, len(recs))
	defer func() {
		for _, w := range wrapped {
			w.Release()
		}
	}()
	for _, r := range recs {
		st, err := array.NewStructArrayWithFields(r.Columns(), tableSchemas[table].Fields())
		if err != nil {
			return nil, err
		}
		wrapped = append(wrapped, array.NewRecordBatch(bufferSchemas[table], []arrow.Array{st}, r.NumRows()))
		st.Release()
	}
	return array.NewRecordReader(bufferSchemas[table], wrapped)
}

// closedOr returns store.ErrClosed when the store is closing (its interruption is why a query
// stopped), else err.
func (s *Store) closedOr(err error) error {
	select {
	case <-s.stop:
		return store.ErrClosed
	default:
		return err
	}
}

// classifyDuckDB tells what an execution error means to the caller: running out of memory is a
// query limit, an I/O failure (a part unreadable, the disk full) is the store's fault, and the
// rest (conversion, invalid input, binder errors the planner let through) is the query's.
func classifyDuckDB(err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch de.Type {
		case duckdb.ErrorTypeOutOfMemory:
			return store.ErrQueryLimit
		case duckdb.ErrorTypeIO:
			return store.ErrUnavailable
		}
	}
	return store.ErrInvalidQuery
}
