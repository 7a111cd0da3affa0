SELECT $__timeGroup(timestamp, $__interval) AS t, attributes['route'] AS route, rate(value) AS rps
FROM metrics WHERE name = 'http.server.requests' AND type = 'sum' AND is_monotonic AND $__timeFilter(timestamp)
GROUP BY t, route ORDER BY t
