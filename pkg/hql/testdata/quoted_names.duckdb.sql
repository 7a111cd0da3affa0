SELECT "logs"."service" AS "Service Name", count(*) AS "it's `odd`" FROM {source:logs} AS "logs" GROUP BY "logs"."service" ORDER BY "Service Name" ASC NULLS LAST LIMIT 1000
-- args: null
