-- Heimsight's 1day log tier: log record counts per interval start, level (as the logical
-- logs.level), service and normalized message pattern. Counts add up exactly, so rows with the
-- same key are summed by merges.
CREATE TABLE IF NOT EXISTS {{.DB}}.`heimsight_logs_1day_counts` {{.OnCluster}} (
    IntervalStart DateTime CODEC(Delta, ZSTD(1)),
    Level LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Pattern String CODEC(ZSTD(1)),
    Count UInt64 CODEC(ZSTD(1))
) ENGINE = {{engine "SummingMergeTree"}}
PARTITION BY toYYYYMM(IntervalStart)
ORDER BY (Level, ServiceName, Pattern, IntervalStart)
{{ttl "heimsight_logs_1day_counts"}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
