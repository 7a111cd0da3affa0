SELECT 60000 AS `ms`, toFloat64OrNull(toString(if(mapContains(`metrics`.`attributes`, ?), `metrics`.`attributes`[?], NULL))) AS `x`, toInt64OrNull(toString(if(mapContains(`metrics`.`attributes`, ?), `metrics`.`attributes`[?], NULL))) AS `y`, toString(`metrics`.`value`) AS `s` FROM {source:metrics} AS `metrics` LIMIT 1
-- args: ["x","x","y","y"]
