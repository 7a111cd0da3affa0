// Package clickhouse is the ClickHouse storage backend: the OpenTelemetry Collector ClickHouse
// exporter's table layout (so a Collector can write into a Heimsight database and Grafana's
// ClickHouse plugin can read it), a versioned migration runner over the DDL embedded from
// schema/clickhouse, a batching writer over the native protocol, and a querier that runs dialect
// SQL against logical tables mapped onto those physical tables and returns Arrow.
//
// Inserts and reads use two clients. The writer buffers each raw table's rows in reusable ch-go
// columns (chcolumns.go: Reset between flushes, ids hex-encoded into a scratch buffer, a
// resource's and scope's attributes rendered once per flush) and sends each flush as one
// `INSERT INTO … (explicit columns) VALUES` with that data block through a small pool of ch-go
// clients, LZ4-compressed (chinsert.go). Migrations and queries go through clickhouse-go/v2.
//
// Verification: the ClickHouse engine runs in-process in the tests (chDB). The writer's blocks,
// the very bytes of the native protocol's Data packet before framing and compression, are
// inserted into the migrated tables as Native data and read back; they also read back identical
// to an independent encoding of the same rows through clickhouse-go's column encoders
// (encode_ref_test.go). The network half of the insert path (dial, handshake, LZ4, the INSERT
// query's packet exchange) runs over TCP against a minimal server side of the protocol written
// for the tests (chinsert_server_test.go), which decodes the blocks back; against a real
// ClickHouse server it runs only in TestConformanceServer (HEIMSIGHT_TEST_CLICKHOUSE_ADDR),
// which cannot run on machines without one and has not run here.
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
