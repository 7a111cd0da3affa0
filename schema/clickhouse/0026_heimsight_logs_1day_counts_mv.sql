-- Fills the daily log tier from the blocks inserted into the hourly one.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_logs_1day_counts_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_logs_1day_counts`
AS SELECT
    toStartOfDay(IntervalStart) AS IntervalStart,
    Level,
    ServiceName,
    Pattern,
    sum(Count) AS Count
FROM {{.DB}}.`heimsight_logs_1hour_counts`
GROUP BY IntervalStart, Level, ServiceName, Pattern
