SELECT CASE WHEN severity_number >= 17 THEN 'bad' WHEN severity_number >= 13 THEN 'meh' ELSE 'ok' END AS health,
  if(trace_id = '', 'untraced', 'traced') AS traced, count(*) AS n
FROM logs GROUP BY health, traced HAVING count(*) > 0 ORDER BY n DESC
