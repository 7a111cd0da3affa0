-- The dashboard's log volume panel.
SELECT $__timeGroup(timestamp, $__interval) AS time, level, count(*) AS count
FROM logs
WHERE $__timeFilter(timestamp) AND service = 'checkout'
GROUP BY time, level
ORDER BY time
