-- Fills the hourly span tier from otel_traces as rows are inserted.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_spans_1hour_stats_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_spans_1hour_stats`
AS SELECT
    toStartOfHour(Timestamp) AS IntervalStart,
    ServiceName,
    SpanName,
    toUInt64(count()) AS SpanCount,
    toUInt64(countIf(StatusCode = 'Error')) AS ErrorCount,
    toUInt64(sum(Duration)) AS DurationSum,
    quantilesTDigestState(0.5, 0.95, 0.99)(Duration) AS DurationQuantiles
FROM {{.DB}}.`otel_traces`
GROUP BY IntervalStart, ServiceName, SpanName
