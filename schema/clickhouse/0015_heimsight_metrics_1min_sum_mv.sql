-- Fills the 1-minute metric tier from otel_metrics_sum as rows are inserted (rows inserted
-- before this view existed are not rolled up). The coarser tiers cascade from this one.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_metrics_1min_sum_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_metrics_1min`
AS SELECT
    toStartOfMinute(TimeUnix) AS IntervalStart,
    ServiceName,
    MetricName,
    'sum' AS MetricType,
    Attributes,
    CAST([], 'Array(Float64)') AS ExplicitBounds,
    toUInt64(count()) AS PointCount,
    CAST(sum(Value), 'Nullable(Float64)') AS ValueSum,
    CAST(min(Value), 'Nullable(Float64)') AS ValueMin,
    CAST(max(Value), 'Nullable(Float64)') AS ValueMax,
    sumForEachState(CAST([], 'Array(UInt64)')) AS Buckets
FROM {{.DB}}.`otel_metrics_sum`
GROUP BY IntervalStart, ServiceName, MetricName, Attributes
