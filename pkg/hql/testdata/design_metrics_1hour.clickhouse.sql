SELECT `metrics_1hour`.`timestamp` AS `timestamp`, `metrics_1hour`.`avg` AS `avg` FROM {source:metrics_1hour} AS `metrics_1hour` WHERE `metrics_1hour`.`name` = ? LIMIT 100
-- args: ["cpu_usage"]
