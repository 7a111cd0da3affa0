SELECT "logs_1day_counts"."timestamp" AS "timestamp", "logs_1day_counts"."level" AS "level", "logs_1day_counts"."service" AS "service", "logs_1day_counts"."pattern" AS "pattern", "logs_1day_counts"."count" AS "count" FROM {source:logs_1day_counts} AS "logs_1day_counts" WHERE "logs_1day_counts"."level" = $1 LIMIT 30
-- args: ["error"]
