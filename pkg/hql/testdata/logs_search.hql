SELECT timestamp, service, level, body, attributes['http.method'] AS method
FROM logs
WHERE $__timeFilter(timestamp)
  AND body CONTAINS 'timeout'
  AND body NOT CONTAINS 'retry'
  AND attributes['http.status_code'] IN ('500', '503')
  AND resource['k8s.pod.name'] IS NOT NULL
ORDER BY timestamp DESC
LIMIT 100
