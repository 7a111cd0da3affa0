SELECT "spans_1day_stats"."service" AS "service", "spans_1day_stats"."operation" AS "operation", avg("spans_1day_stats"."p99_duration_ns") / $1 AS "p99_ms" FROM {source:spans_1day_stats} AS "spans_1day_stats" GROUP BY "spans_1day_stats"."service", "spans_1day_stats"."operation" ORDER BY "p99_ms" DESC NULLS LAST LIMIT 10
-- args: [1000000]
