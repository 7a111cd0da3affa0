SELECT 60000 AS "ms", TRY_CAST("metrics"."attributes"[$1] AS DOUBLE) AS "x", TRY_CAST("metrics"."attributes"[$2] AS BIGINT) AS "y", regexp_replace(CAST("metrics"."value" AS VARCHAR), '\.0$', '') AS "s" FROM {source:metrics} AS "metrics" LIMIT 1
-- args: ["x","y"]
