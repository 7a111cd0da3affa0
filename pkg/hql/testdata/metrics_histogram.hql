SELECT timestamp, name, count, sum, min, max, bucket_counts, explicit_bounds FROM metrics WHERE type = 'histogram' AND sum / count > 0.5 LIMIT 50
