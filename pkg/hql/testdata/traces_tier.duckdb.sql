SELECT "traces_1day_stats"."timestamp" AS "timestamp", "traces_1day_stats"."service" AS "service", "traces_1day_stats"."total_spans" / nullif("traces_1day_stats"."unique_traces", 0) AS "spans_per_trace" FROM {source:traces_1day_stats} AS "traces_1day_stats" WHERE "traces_1day_stats"."service" = $1 ORDER BY "timestamp" ASC NULLS LAST LIMIT 1000
-- args: ["api"]
