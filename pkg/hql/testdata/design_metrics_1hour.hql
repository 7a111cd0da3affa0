SELECT timestamp, avg FROM metrics_1hour WHERE name = 'cpu_usage' LIMIT 100
