package clickhouse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/heimsight/heimsight/pkg/store/clickhouse/chdbtest"
)

// chdbConn runs the package's statements on chDB. Arguments are bound by bindLiterals, since
// chDB takes SQL text only.
type chdbConn struct{ e *chdbtest.Engine }

func (c chdbConn) Exec(_ context.Context, query string, args ...any) error {
	q, err := bindLiterals(query, args)
	if err != nil {
		return err
	}
	return c.e.Exec(q)
}

func (c chdbConn) QueryStrings(_ context.Context, query string, args ...any) ([][]string, error) {
	q, err := bindLiterals(query, args)
	if err != nil {
		return nil, err
	}
	out, err := c.e.Query(q, "JSONCompactEachRow")
	if err != nil {
		return nil, err
	}
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var row []string
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("cannot decode row %q: %w", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

func newEngine(t *testing.T) (*chdbtest.Engine, chdbConn) {
	t.Helper()
	e := chdbtest.Start(t, t.TempDir())
	t.Logf("chDB engine: ClickHouse %s", e.Version)
	return e, chdbConn{e}
}

// insertBlock inserts buf's rows into its table on chDB: the block a flush sends (the native
// protocol's Data packet body, before the packet framing and LZ4), read by the engine in
// ClickHouse's Native format, which is that very block layout. chDB has no network server, so
// this is how the engine ingests exactly the bytes the store sends.
func insertBlock(e *chdbtest.Engine, db string, t *tableSpec, buf colBuffer) error {
	var out chproto.Buffer
	if err := encodeColBlock(&out, buf); err != nil {
		return err
	}
	return e.QueryInput(insertSQL(db, t)+" SELECT * FROM file('{input}', 'Native')", out.Buf)
}

// refBlock encodes a reference buffer (encode_ref_test.go) with clickhouse-go's column
// encoders, the ones its batch API feeds, as a Native block.
func refBlock(t *tableSpec, buf tableBuffer) ([]byte, error) {
	block := proto.NewBlock()
	for _, c := range t.cols {
		if err := block.AddColumn(c.name, column.Type(c.typ)); err != nil {
			return nil, fmt.Errorf("cannot add column %s: %w", c.name, err)
		}
	}
	for i, v := range buf.columns() {
		if _, err := block.Columns[i].Append(v); err != nil {
			return nil, fmt.Errorf("cannot append column %s: %w", t.cols[i].name, err)
		}
	}
	var out chproto.Buffer
	if err := block.Encode(&out, 0); err != nil {
		return nil, err
	}
	return out.Buf, nil
}

// insertRef inserts a reference buffer's rows into its table on chDB through refBlock.
func insertRef(e *chdbtest.Engine, db string, t *tableSpec, buf tableBuffer) error {
	data, err := refBlock(t, buf)
	if err != nil {
		return err
	}
	return e.QueryInput(insertSQL(db, t)+" SELECT * FROM file('{input}', 'Native')", data)
}

// nativeReader decodes the engine's Native output with clickhouse-go's column decoders and
// serves it row by row, as driver.Rows would.
type nativeReader struct {
	blocks []*proto.Block
	bi, ri int
}

func queryNative(e *chdbtest.Engine, sql string) (*nativeReader, error) {
	out, err := e.Query(sql, "Native")
	if err != nil {
		return nil, err
	}
	r := chproto.NewReader(bytes.NewReader(out))
	nr := &nativeReader{ri: -1}
	for {
		b := proto.NewBlock()
		if err := b.Decode(r, 0); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("cannot decode Native output: %w", err)
		}
		nr.blocks = append(nr.blocks, b)
	}
	return nr, nil
}

func (r *nativeReader) Columns() (names, types []string, scanTypes []reflect.Type) {
	if len(r.blocks) == 0 {
		return nil, nil, nil
	}
	for _, c := range r.blocks[0].Columns {
		names = append(names, c.Name())
		types = append(types, string(c.Type()))
		scanTypes = append(scanTypes, c.ScanType())
	}
	return
}

func (r *nativeReader) Next() bool {
	for r.bi < len(r.blocks) {
		r.ri++
		if r.ri < r.blocks[r.bi].Rows() {
			return true
		}
		r.bi, r.ri = r.bi+1, -1
	}
	return false
}

func (r *nativeReader) Scan(dest ...any) error {
	for i, c := range r.blocks[r.bi].Columns {
		if err := c.ScanRow(dest[i], r.ri); err != nil {
			return err
		}
	}
	return nil
}

func (r *nativeReader) Err() error { return nil }

// columnValues returns every value of every column, decoded, as [column][row].
func (r *nativeReader) columnValues() (names []string, values [][]any) {
	names, _, _ = r.Columns()
	values = make([][]any, len(names))
	for _, b := range r.blocks {
		for i, c := range b.Columns {
			for row := 0; row < c.Rows(); row++ {
				values[i] = append(values[i], c.Row(row, false))
			}
		}
	}
	return names, values
}

// sqlList joins quoted column names.
func sqlList(cols []colDef) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = QuoteIdent(c.name)
	}
	return strings.Join(parts, ", ")
}

// chdbInserter is the writer's insert path on chDB: the same column buffers, encoded into the
// same block, handed to the engine instead of a connection.
type chdbInserter struct {
	e  *chdbtest.Engine
	db string
}

func (c chdbInserter) insert(_ context.Context, t *tableSpec, buf colBuffer) error {
	return insertBlock(c.e, c.db, t, buf)
}

// chdbQuery is the query path on chDB: arguments bound as literals, the per-query settings as
// a SETTINGS clause, the result decoded from Native output.
type chdbQuery struct{ e *chdbtest.Engine }

func (c chdbQuery) run(_ context.Context, sql string, args []any, settings clickhouse.Settings) (resultReader, func(), error) {
	q, err := bindLiterals(sql, args)
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		lit, err := Literal(settings[k])
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, k+" = "+lit)
	}
	r, err := queryNative(c.e, q+" SETTINGS "+strings.Join(parts, ", "))
	if err != nil {
		return nil, nil, err
	}
	return r, func() {}, nil
}

// openChDBStore opens a Store whose three paths (DDL, inserts, queries) run on chDB.
func openChDBStore(t testing.TB, e *chdbtest.Engine, db string) *Store {
	t.Helper()
	o := DefaultOptions()
	o.Database = db
	o.FlushInterval = 5 * time.Millisecond
	o.Logger = slog.New(slog.DiscardHandler)
	s, err := newStore(context.Background(), o, chdbConn{e}, chdbInserter{e, db}, chdbQuery{e})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
