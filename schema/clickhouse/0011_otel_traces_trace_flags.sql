-- Heimsight extension: the logical spans table has trace_flags (W3C flags), which the exporter
-- schema does not store. Rows written by a Collector read 0.
ALTER TABLE {{.DB}}.`otel_traces` {{.OnCluster}}
    ADD COLUMN IF NOT EXISTS TraceFlags UInt32 CODEC(ZSTD(1))
