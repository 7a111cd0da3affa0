-- Heimsight's 1day span tier: per interval start, service and operation (span name) the span
-- and error counts, the duration sum (for the average) and a t-digest of durations (p50, p95,
-- p99): bounded in size and mergeable, so the daily tier merges the hourly digests. The
-- quantiles are estimates (see docs/schema.md); counts and averages are exact.
CREATE TABLE IF NOT EXISTS {{.DB}}.`heimsight_spans_1day_stats` {{.OnCluster}} (
    IntervalStart DateTime CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    ErrorCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    DurationSum SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    DurationQuantiles AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt64) CODEC(ZSTD(1))
) ENGINE = {{engine "AggregatingMergeTree"}}
PARTITION BY toYYYYMM(IntervalStart)
ORDER BY (ServiceName, SpanName, IntervalStart)
{{ttl "heimsight_spans_1day_stats"}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
