SELECT "logs"."body" AS "body" FROM {source:logs} AS "logs" WHERE ((((((("logs"."body" = $1) OR ("logs"."body" = $2)) OR ("logs"."body" = $3)) OR ("logs"."service" = $4)) OR ("logs"."body" = $5)) OR ("logs"."body" = $6)) OR ("logs"."body" = $7)) OR ("logs"."attributes"[$8] = $9) LIMIT 1000
-- args: ["x'; DROP TABLE logs; --","\\","\\\\'","a`b\"c","?","$1","line\nbreak\ttab","it's","/* no */"]
