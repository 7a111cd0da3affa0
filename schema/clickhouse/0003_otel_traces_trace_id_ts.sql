-- From the OpenTelemetry Collector ClickHouse exporter v0.156.0, internal/sqltemplates/traces_id_ts_lookup_table.sql.
-- Only the placeholders (database, ON CLUSTER, engine, TTL) differ; see README.md.
CREATE TABLE IF NOT EXISTS {{.DB}}.`otel_traces_trace_id_ts` {{.OnCluster}} (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = {{engine "MergeTree"}}
    PARTITION BY toDate(Start)
    ORDER BY (TraceId, Start)
    {{ttl "otel_traces_trace_id_ts"}}
    SETTINGS index_granularity=8192, ttl_only_drop_parts = 1
