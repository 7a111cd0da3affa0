SELECT count(*) FROM metrics WHERE value IS NULL OR is_monotonic = TRUE OR NOT is_monotonic OR value IN (1, 2.5, NULL) OR nullif(unit, '') IS NULL
