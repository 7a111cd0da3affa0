SELECT $__timeGroup(timestamp, '5m') AS t, service, count_if(status_code = 'Error') / count(*) AS error_rate
FROM spans WHERE $__timeFilter(timestamp) GROUP BY t, service ORDER BY t
