SELECT count() AS `count(*)` FROM {source:metrics} AS `metrics` WHERE ((((`metrics`.`value` IS NULL) OR (`metrics`.`is_monotonic` = ?)) OR (NOT (`metrics`.`is_monotonic`))) OR (`metrics`.`value` IN (?, ?, NULL))) OR (nullIf(`metrics`.`unit`, ?) IS NULL) LIMIT 1000
-- args: [true,1,2.5,""]
