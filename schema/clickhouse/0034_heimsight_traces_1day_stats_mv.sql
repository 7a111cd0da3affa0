-- Fills the daily trace tier from the blocks inserted into the hourly one.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_traces_1day_stats_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_traces_1day_stats`
AS SELECT
    toStartOfDay(IntervalStart) AS IntervalStart,
    ServiceName,
    uniqExactMergeState(Traces) AS Traces,
    sum(SpanCount) AS SpanCount
FROM {{.DB}}.`heimsight_traces_1hour_stats`
GROUP BY IntervalStart, ServiceName
