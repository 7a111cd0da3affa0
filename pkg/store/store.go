// Package store defines the boundary between Heimsight's protocol layers and its storage
// backends: the Writer and Querier interfaces, the query result type and the sentinel errors that
// callers map to protocol status codes. Backends live in sub-packages (embedded, clickhouse) and
// all pass the conformance suite in storetest.
//
// This package must not import any backend or protocol package.
package store

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/heimsight/heimsight/pkg/model"
)

// Sentinel errors. Protocol layers map them to status codes; wrap them with %w.
var (
	// ErrOverloaded: the store cannot take more right now (queue full); the client should retry
	// later. HTTP 429 with Retry-After, gRPC ResourceExhausted.
	ErrOverloaded = errors.New("store overloaded")
	// ErrUnavailable: the backend is down or failing; the client should retry. HTTP 503, gRPC
	// Unavailable.
	ErrUnavailable = errors.New("store unavailable")
	// ErrClosed: the store is shutting down or closed. HTTP 503, gRPC Unavailable.
	ErrClosed = errors.New("store closed")
	// ErrInvalidQuery: the query cannot run as asked (a user mistake). HTTP 400.
	ErrInvalidQuery = errors.New("invalid query")
	// ErrQueryLimit: the query hit a row, time or concurrency limit. HTTP 422 or 429.
	ErrQueryLimit = errors.New("query limit exceeded")
)

// Writer persists rows.
//
// Write returns nil only once every row of the batch is durable: for the embedded store, in the
// fsynced write-ahead log; for ClickHouse, inserted (or in a durable local buffer). A row is
// visible to queries no later than when Write returns. On error nothing may be assumed durable
// and the caller should report a retryable failure. Write copies what it keeps: the caller may
// reuse the batch after it returns. Safe for concurrent use.
type Writer interface {
	Write(ctx context.Context, b *model.Batch) error
}

// Querier executes read-only SQL produced by a dialect emitter.
//
// The statement refers to logical tables (logs, spans, metrics, tiers) only through the
// TableSource the querier hands to the emitter, so the backend decides how a table is reached
// (parts pruned by time range plus in-memory rows, or a ClickHouse table). Safe for concurrent use.
type Querier interface {
	// Dialect is the SQL dialect name of the backend ("duckdb" or "clickhouse").
	Dialect() string
	// Query runs q and returns its whole result. The caller must Release the result.
	Query(ctx context.Context, q *Query) (*Result, error)
}

// Query is one statement to run, produced by an emitter for the querier's dialect.
type Query struct {
	// Build renders the statement given the SQL text that stands for each logical table in the
	// FROM clause (a relation expression: a table name or a parenthesised subquery). It returns
	// the SQL and its positional parameters ($1.. for DuckDB, ? for ClickHouse).
	Build func(source TableSource) (sql string, args []any, err error)
	// Tables lists every logical table the statement reads, with the time range it needs, so the
	// backend can prune partitions and prepare in-memory rows.
	Tables []TableScan
	// MaxRows bounds the rows returned (0: backend default). Exceeding it is not an error: the
	// result is truncated and Result.Truncated is set.
	MaxRows int
}

// TableScan is one logical table a query reads and the time range it needs.
type TableScan struct {
	Table string
	// From and To bound the table's time column, inclusive from, exclusive to, in Unix ns.
	// Zero means unbounded on that side. Pruning may return more rows than the range, never fewer.
	From, To int64
}

// TableSource returns the relation SQL for a logical table, or an error for an unknown table.
type TableSource func(table string) (string, error)

// Result is a query result as Arrow record batches sharing one schema. Column types are the
// Arrow types of the backend's result (timestamps as timestamp[ns], maps as map<utf8,utf8>).
type Result struct {
	Schema  *arrow.Schema
	Records []arrow.RecordBatch
	// Rows is the total number of rows across Records.
	Rows int64
	// Truncated is set when MaxRows cut the result short.
	Truncated bool
}

// Release frees the record batches. Safe to call on nil and more than once.
func (r *Result) Release() {
	if r == nil {
		return
	}
	for _, rec := range r.Records {
		rec.Release()
	}
	r.Records = nil
}

// TierBuilder is implemented by a store that builds aggregation tiers: Tiers names the tier
// tables (pkg/rollup.Tiers names) its TableSource serves, so the query layer accepts queries on
// them.
type TierBuilder interface {
	Tiers() []string
}

// TierInfo is implemented by a store whose tiers can stand in for raw queries (tier selection).
// TierInfo returns the time range [completeFrom, completeTo) (Unix ns) in which the named tier
// holds every interval of the raw data, and whether its quantiles are exact (equal to
// quantiles over the raw rows).
type TierInfo interface {
	TierInfo(tier string) (completeFrom, completeTo int64, exactQuantiles bool)
}

// Store is a complete backend.
type Store interface {
	Writer
	Querier
	// Backend names the backend for /health ("embedded", "clickhouse").
	Backend() string
	// Close flushes buffered data and releases resources. Writes after Close fail with ErrClosed.
	Close() error
}
