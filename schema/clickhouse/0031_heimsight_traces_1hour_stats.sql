-- Heimsight's 1hour trace tier: per interval start and service the distinct trace ids (an exact
-- set, so the daily tier's union of hourly sets is exact too) and the span count. A trace that
-- crosses an interval or service boundary counts in each.
CREATE TABLE IF NOT EXISTS {{.DB}}.`heimsight_traces_1hour_stats` {{.OnCluster}} (
    IntervalStart DateTime CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Traces AggregateFunction(uniqExact, String) CODEC(ZSTD(1)),
    SpanCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1))
) ENGINE = {{engine "AggregatingMergeTree"}}
PARTITION BY toYYYYMM(IntervalStart)
ORDER BY (ServiceName, IntervalStart)
{{ttl "heimsight_traces_1hour_stats"}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
