SELECT "logs"."body" AS "body" FROM {source:logs} AS "logs" WHERE ((((((("logs"."body" = 'x''; DROP TABLE logs; --') OR ("logs"."body" = '\')) OR ("logs"."body" = '\\''')) OR ("logs"."service" = 'a`b"c')) OR ("logs"."body" = '?')) OR ("logs"."body" = '$1')) OR ("logs"."body" = 'line
break	tab')) OR ("logs"."attributes"['it''s'] = '/* no */') LIMIT 1000
