SELECT count() AS `count(*)` FROM {source:logs} AS `logs` WHERE (`logs`.`timestamp` BETWEEN fromUnixTimestamp64Nano(toInt64(1704067200000000000), 'UTC') AND fromUnixTimestamp64Nano(toInt64(1704110400123456789), 'UTC')) AND (`logs`.`observed_timestamp` > fromUnixTimestamp64Nano(toInt64(1704067200000000000), 'UTC')) LIMIT 1000
-- args: null
