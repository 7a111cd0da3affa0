SELECT service, name, count(*) AS calls, p50(duration_ns) / 1e6 AS p50_ms, p95(duration_ns) / 1e6 AS p95_ms,
  p99(duration_ns) / 1e6 AS p99_ms, quantile(0.999, duration_ns) AS q999, avg(duration_ns), max(duration_ns)
FROM spans
WHERE $__timeFilter(timestamp) AND kind = 'Server'
GROUP BY service, name
ORDER BY p95_ms DESC
LIMIT 20
