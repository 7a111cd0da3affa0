SELECT "spans_1hour_stats"."timestamp" AS "timestamp", "spans_1hour_stats"."service" AS "service", "spans_1hour_stats"."operation" AS "operation", "spans_1hour_stats"."p95_duration_ns" / $1 AS "p95_ms" FROM {source:spans_1hour_stats} AS "spans_1hour_stats" LIMIT 100
-- args: [1000000]
