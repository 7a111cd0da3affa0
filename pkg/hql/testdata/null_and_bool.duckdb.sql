SELECT count(*) AS "count(*)" FROM {source:metrics} AS "metrics" WHERE (((("metrics"."value" IS NULL) OR ("metrics"."is_monotonic" = $1)) OR (NOT ("metrics"."is_monotonic"))) OR ("metrics"."value" IN ($2, $3, NULL))) OR (nullif("metrics"."unit", $4) IS NULL) LIMIT 1000
-- args: [true,1,2.5,""]
