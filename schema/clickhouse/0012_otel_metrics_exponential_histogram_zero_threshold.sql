-- Heimsight extension: OTLP exponential histograms carry a zero_threshold that the exporter
-- schema drops; the logical metrics table exposes it. Rows written by a Collector read 0, the
-- OTLP default.
ALTER TABLE {{.DB}}.`otel_metrics_exponential_histogram` {{.OnCluster}}
    ADD COLUMN IF NOT EXISTS ZeroThreshold Float64 CODEC(ZSTD(1))
