-- Fills the daily span tier from the blocks inserted into the hourly one (digests merge).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_spans_1day_stats_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_spans_1day_stats`
AS SELECT
    toStartOfDay(IntervalStart) AS IntervalStart,
    ServiceName,
    SpanName,
    sum(SpanCount) AS SpanCount,
    sum(ErrorCount) AS ErrorCount,
    sum(DurationSum) AS DurationSum,
    quantilesTDigestMergeState(0.5, 0.95, 0.99)(DurationQuantiles) AS DurationQuantiles
FROM {{.DB}}.`heimsight_spans_1hour_stats`
GROUP BY IntervalStart, ServiceName, SpanName
