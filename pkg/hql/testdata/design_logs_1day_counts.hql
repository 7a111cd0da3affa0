SELECT * FROM logs_1day_counts WHERE level = 'error' LIMIT 30
