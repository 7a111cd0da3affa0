SELECT DISTINCT service, level FROM logs ORDER BY service, level
