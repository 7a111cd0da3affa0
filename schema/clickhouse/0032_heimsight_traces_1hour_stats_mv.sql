-- Fills the hourly trace tier from otel_traces as rows are inserted.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_traces_1hour_stats_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_traces_1hour_stats`
AS SELECT
    toStartOfHour(Timestamp) AS IntervalStart,
    ServiceName,
    uniqExactState(TraceId) AS Traces,
    toUInt64(count()) AS SpanCount
FROM {{.DB}}.`otel_traces`
GROUP BY IntervalStart, ServiceName
