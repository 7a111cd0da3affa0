SELECT bucket(timestamp, '1m') AS minute, severity_text, count(*) FROM logs WHERE timestamp >= now() - 24h GROUP BY minute, severity_text ORDER BY minute, severity_text
