SELECT "logs"."body" AS "body" FROM {source:logs} AS "logs" WHERE ((("logs"."body" LIKE $1 ESCAPE '\') OR ("logs"."body" ILIKE $2 ESCAPE '\')) OR (regexp_matches("logs"."body", $3))) OR ((NOT regexp_matches("logs"."body", $4)) AND ("logs"."trace_id" != $5)) LIMIT 1000
-- args: ["GET /api/%","%error%","(?i)conn(ection)? refused","^health",""]
