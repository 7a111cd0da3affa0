-- Heimsight extension: the logical logs table has observed_timestamp, which the exporter schema
-- does not store. A separate ALTER (not a changed CREATE) keeps 0001 identical to the exporter's
-- DDL, so a database first created by a Collector gains the column too. Rows written by a
-- Collector read 0 ("unknown"), which is what the logical schema says for a missing value.
ALTER TABLE {{.DB}}.`otel_logs` {{.OnCluster}}
    ADD COLUMN IF NOT EXISTS ObservedTimestamp DateTime64(9) CODEC(Delta(8), ZSTD(1))
