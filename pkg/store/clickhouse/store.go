package clickhouse

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

// Store is the ClickHouse backend. Safe for concurrent use.
type Store struct {
	opts  Options
	conn  driver.Conn // nil when the store runs on another engine (tests)
	ddl   sqlConn
	query queryRunner
	w     *writer
	// tiersSince is when the tier migrations were applied (Unix ns; 0: unknown, tier
	// selection off). Read once at Open: a query must never wait on it.
	tiersSince int64
}

// queryRunner runs one read-only statement with per-query settings.
type queryRunner interface {
	run(ctx context.Context, sql string, args []any, settings clickhouse.Settings) (resultReader, func(), error)
}

// newStore assembles a store from its three paths and applies the migrations.
func newStore(ctx context.Context, o Options, ddl sqlConn, ins inserter, qr queryRunner) (*Store, error) {
	s := &Store{opts: o, ddl: ddl, query: qr}
	if _, err := Migrate(ctx, ddl, &s.opts); err != nil {
		return nil, fmt.Errorf("cannot migrate ClickHouse schema: %w", err)
	}
	s.w = newWriter(&s.opts, ins)
	if since, err := s.readTiersSince(ctx); err != nil {
		s.opts.logger().Warn("cannot tell since when the tiers are complete; queries read raw tables", "err", err)
	} else {
		s.tiersSince = since
	}
	return s, nil
}

var _ store.Store = (*Store)(nil)

// Open connects to ClickHouse, applies pending migrations and starts the writer. It fails with
// store.ErrUnavailable (wrapped) when the server cannot be reached.
func Open(ctx context.Context, o Options) (*Store, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("cannot open ClickHouse store: %w", err)
	}
	copts := &clickhouse.Options{
		Addr: []string{o.Addr},
		Auth: clickhouse.Auth{
			// The server's default database: ours may not exist until the migrations ran, and
			// every statement of this package names its database explicitly.
			Database: "default",
			Username: o.Username,
			Password: o.Password,
		},
		DialTimeout:      o.DialTimeout,
		MaxOpenConns:     o.MaxOpenConns,
		MaxIdleConns:     o.MaxOpenConns,
		ConnMaxLifetime:  time.Hour,
		Compression:      &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		ClientInfo:       clickhouse.ClientInfo{Products: []struct{ Name, Version string }{{Name: "heimsight"}}},
		ConnOpenStrategy: clickhouse.ConnOpenInOrder,
	}
	if o.Secure {
		copts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	conn, err := clickhouse.Open(copts)
	if err != nil {
		return nil, fmt.Errorf("cannot open ClickHouse connection to %s: %w: %v", o.Addr, store.ErrUnavailable, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	err = conn.Ping(pingCtx)
	cancel()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("cannot reach ClickHouse at %s: %w: %v", o.Addr, store.ErrUnavailable, err)
	}
	s, err := newStore(ctx, o, connAdapter{conn}, newChInserter(&o), connQuery{conn})
	if err != nil {
		conn.Close()
		return nil, err
	}
	s.conn = conn
	return s, nil
}

// Backend implements store.Store.
func (s *Store) Backend() string { return "clickhouse" }

// Dialect implements store.Querier.
func (s *Store) Dialect() string { return "clickhouse" }

// Write implements store.Writer: it returns once the rows are inserted (see writer.Write).
func (s *Store) Write(ctx context.Context, b *model.Batch) error { return s.w.Write(ctx, b) }

// Stats returns the writer's counters.
func (s *Store) Stats() Stats { return s.w.statsSnapshot() }

// Ping checks the server.
func (s *Store) Ping(ctx context.Context) error {
	if s.conn == nil {
		return nil
	}
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("cannot reach ClickHouse: %w: %v", store.ErrUnavailable, err)
	}
	return nil
}

// Close flushes buffered rows and closes the connections.
func (s *Store) Close() error {
	s.w.close()
	if s.conn == nil {
		return nil
	}
	return s.conn.Close()
}

// querySettings are the per-query limits. readonly=2 forbids writes and DDL but still lets the
// query carry its own settings (readonly=1 would reject these very settings).
func querySettings(o *Options, maxRows int) clickhouse.Settings {
	secs := int((o.QueryTimeout + time.Second - 1) / time.Second)
	return clickhouse.Settings{
		"readonly":             2,
		"max_execution_time":   secs,
		"max_result_rows":      maxRows + 1, // one more than asked, to detect truncation
		"result_overflow_mode": "break",
	}
}

// Query implements store.Querier.
func (s *Store) Query(ctx context.Context, q *store.Query) (*store.Result, error) {
	sql, args, err := q.Build(tableSource(s.opts.Database, q.Tables))
	if err != nil {
		return nil, fmt.Errorf("cannot build query: %w", err)
	}
	maxRows := q.MaxRows
	if maxRows <= 0 {
		maxRows = s.opts.QueryMaxRows
	}
	// A client-side deadline a little after the server's, should the server not stop in time.
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout+5*time.Second)
	defer cancel()
	rows, done, err := s.query.run(ctx, sql, args, querySettings(&s.opts, maxRows))
	if err != nil {
		return nil, classifyQueryError(ctx, err)
	}
	defer done()
	res, err := readArrow(rows, maxRows, memory.DefaultAllocator)
	if err != nil {
		return nil, classifyQueryError(ctx, err)
	}
	return &store.Result{Schema: res.schema, Records: res.records, Rows: res.rows, Truncated: res.truncated}, nil
}

var (
	limitCodes = map[int32]bool{
		159: true, // TIMEOUT_EXCEEDED
		158: true, // TOO_MANY_ROWS
		241: true, // MEMORY_LIMIT_EXCEEDED
		202: true, // TOO_MANY_SIMULTANEOUS_QUERIES
		307: true, // TOO_MANY_BYTES
		396: true, // TOO_MANY_ROWS_OR_BYTES
	}
	invalidCodes = map[int32]bool{
		6: true, 27: true, 36: true, 38: true, 41: true, 42: true, 43: true, 44: true, 46: true, 47: true,
		53: true, 60: true, 62: true, 69: true, 70: true, 72: true, 164: true, 184: true, 215: true, 386: true,
	}
)

func classifyQueryError(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("cannot run query: %w", err)
	}
	if code, ok := errorCode(err); ok {
		switch {
		case limitCodes[code]:
			return fmt.Errorf("cannot run query: %w: %v", store.ErrQueryLimit, err)
		case invalidCodes[code]:
			return fmt.Errorf("cannot run query: %w: %v", store.ErrInvalidQuery, err)
		}
		var ex *clickhouse.Exception
		if errors.As(err, &ex) {
			return fmt.Errorf("cannot run query: %w", err)
		}
	}
	return fmt.Errorf("cannot run query: %w: %v", store.ErrUnavailable, err)
}

// SetRetention sets the retention of a signal ("logs", "traces", "metrics") on every table that
// holds it and verifies that the table definitions show the new TTL. ttl 0 removes the TTL.
func (s *Store) SetRetention(ctx context.Context, signal string, ttl time.Duration) error {
	return applyRetention(ctx, s.ddl, &s.opts, signal, ttl)
}

func applyRetention(ctx context.Context, conn sqlConn, o *Options, signal string, ttl time.Duration) error {
	stmts, err := RetentionStatements(o, signal, ttl)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if err := conn.Exec(ctx, st.SQL); err != nil {
			return fmt.Errorf("cannot set retention of %s: %w", st.Table, err)
		}
		rows, err := conn.QueryStrings(ctx, "SELECT create_table_query FROM system.tables WHERE database = ? AND name = ?", o.Database, st.Table)
		if err != nil {
			return fmt.Errorf("cannot verify retention of %s: %w", st.Table, err)
		}
		if len(rows) != 1 {
			return fmt.Errorf("cannot verify retention of %s: table not found", st.Table)
		}
		got := ttlClause(rows[0][0])
		if got != st.TTL {
			return fmt.Errorf("cannot verify retention of %s: table shows %q, want %q", st.Table, got, st.TTL)
		}
	}
	return nil
}

// ttlClause extracts the table-level TTL clause from a CREATE TABLE statement ("" if none):
// from " TTL " up to the SETTINGS clause or the end.
func ttlClause(create string) string {
	i := strings.LastIndex(create, " TTL ")
	if i < 0 {
		return ""
	}
	s := create[i+1:]
	if j := strings.Index(s, " SETTINGS "); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSpace(s)
}

// connAdapter gives a clickhouse-go connection the sqlConn shape.
type connAdapter struct{ conn driver.Conn }

func (c connAdapter) Exec(ctx context.Context, query string, args ...any) error {
	return c.conn.Exec(ctx, query, args...)
}

func (c connAdapter) QueryStrings(ctx context.Context, query string, args ...any) ([][]string, error) {
	rows, err := c.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	n := len(rows.Columns())
	var out [][]string
	for rows.Next() {
		row := make([]string, n)
		dest := make([]any, n)
		for i := range row {
			dest[i] = &row[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// connQuery runs queries through clickhouse-go, the settings travelling in the query context.
type connQuery struct{ conn driver.Conn }

func (c connQuery) run(ctx context.Context, sql string, args []any, settings clickhouse.Settings) (resultReader, func(), error) {
	rows, err := c.conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(settings)), sql, args...)
	if err != nil {
		return nil, nil, err
	}
	return rowsReader{rows}, func() { rows.Close() }, nil
}

// rowsReader adapts driver.Rows to resultReader.
type rowsReader struct{ rows driver.Rows }

func (r rowsReader) Columns() (names, types []string, scanTypes []reflect.Type) {
	for _, ct := range r.rows.ColumnTypes() {
		names = append(names, ct.Name())
		types = append(types, ct.DatabaseTypeName())
		scanTypes = append(scanTypes, ct.ScanType())
	}
	return names, types, scanTypes
}
func (r rowsReader) Next() bool             { return r.rows.Next() }
func (r rowsReader) Scan(dest ...any) error { return r.rows.Scan(dest...) }
func (r rowsReader) Err() error             { return r.rows.Err() }
