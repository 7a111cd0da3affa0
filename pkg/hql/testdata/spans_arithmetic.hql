SELECT duration_ns * 2 + 1, -duration_ns, duration_ns % 7, round(duration_ns / 3, 2), abs(-5), floor(1.5), ceil(1.5), sqrt(4), pow(2, 10),
  to_unix_nano(timestamp), from_unix_nano(to_unix_nano(timestamp) + 1), timestamp + 1ms, timestamp - 1h30m
FROM spans LIMIT 3
