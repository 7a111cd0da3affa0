-- Fills the 5min metric tier from the blocks inserted into the 1min tier: merging partial
-- aggregates of finer intervals gives exactly the aggregates of the coarser interval.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_metrics_5min_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_metrics_5min`
AS SELECT
    toStartOfFiveMinutes(IntervalStart) AS IntervalStart,
    ServiceName,
    MetricName,
    MetricType,
    Attributes,
    ExplicitBounds,
    sum(PointCount) AS PointCount,
    sum(ValueSum) AS ValueSum,
    min(ValueMin) AS ValueMin,
    max(ValueMax) AS ValueMax,
    sumForEachMergeState(Buckets) AS Buckets
FROM {{.DB}}.`heimsight_metrics_1min`
GROUP BY IntervalStart, ServiceName, MetricName, MetricType, Attributes, ExplicitBounds
