-- Fills the 1day metric tier from the blocks inserted into the 1hour tier: merging partial
-- aggregates of finer intervals gives exactly the aggregates of the coarser interval.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_metrics_1day_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_metrics_1day`
AS SELECT
    toStartOfDay(IntervalStart) AS IntervalStart,
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
FROM {{.DB}}.`heimsight_metrics_1hour`
GROUP BY IntervalStart, ServiceName, MetricName, MetricType, Attributes, ExplicitBounds
