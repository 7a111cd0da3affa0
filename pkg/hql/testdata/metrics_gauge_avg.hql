SELECT bucket(timestamp, $__interval) AS t, service, avg(value), min(value), max(value), sum(value)
FROM metrics WHERE name = 'cpu_usage' AND timestamp > $__timeFrom AND timestamp <= $__timeTo GROUP BY t, service ORDER BY t, 2
