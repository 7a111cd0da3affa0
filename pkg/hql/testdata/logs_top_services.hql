SELECT service, count(*) AS n, count(DISTINCT trace_id) AS traces FROM logs GROUP BY service ORDER BY n DESC, service LIMIT 10 OFFSET 10
