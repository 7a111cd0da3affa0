SELECT count(*) AS "count(*)" FROM {source:logs} AS "logs" WHERE ("logs"."timestamp" BETWEEN make_timestamp_ns(1704067200000000000) AND make_timestamp_ns(1704110400123456789)) AND ("logs"."observed_timestamp" > make_timestamp_ns(1704067200000000000)) LIMIT 1000
-- args: null
