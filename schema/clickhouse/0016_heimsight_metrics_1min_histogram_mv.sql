-- Fills the 1-minute metric tier from otel_metrics_histogram as rows are inserted (rows inserted
-- before this view existed are not rolled up). The coarser tiers cascade from this one.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_metrics_1min_histogram_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_metrics_1min`
AS SELECT
    toStartOfMinute(TimeUnix) AS IntervalStart,
    ServiceName,
    MetricName,
    'histogram' AS MetricType,
    Attributes,
    ExplicitBounds,
    toUInt64(sum(Count)) AS PointCount,
    sum(if(isNaN(Sum), NULL, Sum)) AS ValueSum,
    min(if(isNaN(Min), NULL, Min)) AS ValueMin,
    max(if(isNaN(Max), NULL, Max)) AS ValueMax,
    sumForEachState(BucketCounts) AS Buckets
FROM {{.DB}}.`otel_metrics_histogram`
GROUP BY IntervalStart, ServiceName, MetricName, Attributes, ExplicitBounds
