// Package dialect turns a checked HQL plan (hql.QueryPlan) into SQL for one backend. The
// rendering walk is shared; a Dialect supplies what differs between backends: identifier
// quoting, the audited literal escaper, parameter placeholders and the SQL templates of
// operators. Function templates live in hql's function table.
//
// The emitted SQL never names a physical table: the FROM clause is whatever relation the
// store's TableSource returns for the logical table. Identifiers come only from the catalog or
// from output aliases, and always pass through Dialect.QuoteIdent; user literals are bound as
// parameters (or, for EmitInline, rendered by Dialect.Literal).
//
// This package imports pkg/store for the TableSource type only; it must not import a database
// driver. Backends live in the duckdb and clickhouse sub-packages.
package dialect
