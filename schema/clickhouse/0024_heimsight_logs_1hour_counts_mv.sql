-- Fills the hourly log tier from otel_logs as rows are inserted. Level is the logical logs.level
-- expression; Pattern is the message normalization of pkg/rollup (rollup.SQLExpr) rendered at
-- migration time: the same rules the embedded store applies.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.`heimsight_logs_1hour_counts_mv` {{.OnCluster}}
TO {{.DB}}.`heimsight_logs_1hour_counts`
AS SELECT
    toStartOfHour(Timestamp) AS IntervalStart,
    CASE WHEN SeverityNumber = 0 THEN lower(SeverityText)
        WHEN SeverityNumber <= 4 THEN 'trace' WHEN SeverityNumber <= 8 THEN 'debug'
        WHEN SeverityNumber <= 12 THEN 'info' WHEN SeverityNumber <= 16 THEN 'warn'
        WHEN SeverityNumber <= 20 THEN 'error' ELSE 'fatal' END AS Level,
    ServiceName,
    {{normalize "Body"}} AS Pattern,
    count() AS Count
FROM {{.DB}}.`otel_logs`
GROUP BY IntervalStart, Level, ServiceName, Pattern
