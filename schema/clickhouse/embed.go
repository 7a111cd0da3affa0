// Package clickhouseschema embeds the ClickHouse DDL: the numbered migrations (NNNN_name.sql,
// applied in order and recorded) and the bootstrap statements the migration runner needs before
// it can record anything (the database, the migrations table, the lock).
//
// The files are templates; pkg/store/clickhouse renders them (database name, ON CLUSTER clause,
// table engine, TTL) and applies them. This package holds data only and imports nothing but embed.
package clickhouseschema

import "embed"

// Migrations holds the numbered migration files at the root of this directory.
//
//go:embed [0-9][0-9][0-9][0-9]_*.sql
var Migrations embed.FS

// Bootstrap holds bootstrap/*.sql: 0001_database.sql and 0002_schema_migrations.sql (idempotent,
// run before the lock), lock.sql and unlock.sql.
//
//go:embed bootstrap/*.sql
var Bootstrap embed.FS
