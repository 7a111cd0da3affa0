-- From the OpenTelemetry Collector ClickHouse exporter v0.156.0, internal/sqltemplates/traces_id_ts_lookup_mv.sql.
-- Only the placeholders (database, ON CLUSTER, engine, TTL) differ; see README.md.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`otel_traces_trace_id_ts_mv` {{.OnCluster}}
TO {{.DB}}.`otel_traces_trace_id_ts`
AS SELECT
              TraceId,
              min(Timestamp) as Start,
              max(Timestamp) as End
   FROM {{.DB}}.`otel_traces`
   WHERE TraceId != ''
   GROUP BY TraceId
