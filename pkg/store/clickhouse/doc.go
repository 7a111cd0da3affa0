// Package clickhouse is the ClickHouse storage backend: the OpenTelemetry Collector ClickHouse
// exporter's table layout (so a Collector can write into a Heimsight database and Grafana's
// ClickHouse plugin can read it), a versioned migration runner over the DDL embedded from
// schema/clickhouse, a batching writer over clickhouse-go/v2's native protocol, and a querier that
// runs dialect SQL against logical tables mapped onto those physical tables and returns Arrow.
//
// What it owns: everything that knows the physical ClickHouse schema (column names, types, TTL
// clauses). Callers see only the logical tables of docs/schema.md through Store and TableSource.
//
// Use: o, err := OptionsFromEnv(os.LookupEnv) (HEIMSIGHT_DB_URL, _NAME, _USER, _PASSWORD,
// _CLUSTER), set o.Logger, o.QueryMaxRows and o.QueryTimeout from the process configuration,
// then Open(ctx, o): it connects, applies pending migrations and returns a store.Store.
// SetRetention changes a signal's TTL; RetentionStatements renders the ALTERs without running
// them.
//
// It must not import protocol packages (ingestor/...), the HQL front end or another backend.
// DDL lives only in schema/clickhouse; identifiers are quoted by QuoteIdent; values reach SQL
// as bound parameters, or, where a statement cannot take parameters, through Literal.
package clickhouse
