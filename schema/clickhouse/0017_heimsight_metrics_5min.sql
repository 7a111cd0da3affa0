-- Heimsight's 5min metric tier: one row per interval start, service, metric, type, attribute set
-- and (histograms) bucket bounds, holding partial aggregates that merges and queries combine.
-- Gauges and sums: PointCount points, ValueSum/ValueMin/ValueMax of their values. Histograms:
-- PointCount observations (the sum of Count), the sum of Sum, the min of Min, the max of Max, and
-- Buckets, the element-wise sum of the bucket counts of points with the same ExplicitBounds (so
-- percentiles can be estimated from any tier). Absent histogram sums, mins and maxes (NaN in
-- the raw table) are NULL and ignored.
CREATE TABLE IF NOT EXISTS {{.DB}}.`heimsight_metrics_5min` {{.OnCluster}} (
    IntervalStart DateTime CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricType LowCardinality(String) CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
    PointCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    ValueSum SimpleAggregateFunction(sum, Nullable(Float64)) CODEC(ZSTD(1)),
    ValueMin SimpleAggregateFunction(min, Nullable(Float64)) CODEC(ZSTD(1)),
    ValueMax SimpleAggregateFunction(max, Nullable(Float64)) CODEC(ZSTD(1)),
    Buckets AggregateFunction(sumForEach, Array(UInt64)) CODEC(ZSTD(1))
) ENGINE = {{engine "AggregatingMergeTree"}}
PARTITION BY toDate(IntervalStart)
ORDER BY (ServiceName, MetricName, MetricType, Attributes, ExplicitBounds, IntervalStart)
{{ttl "heimsight_metrics_5min"}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
