SELECT $__interval_ms AS ms, to_float(attributes['x']) AS x, to_int(attributes['y']) AS y, to_string(value) AS s FROM metrics LIMIT 1
