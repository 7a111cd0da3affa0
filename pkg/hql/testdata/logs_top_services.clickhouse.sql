SELECT `logs`.`service` AS `service`, count() AS `n`, count(DISTINCT `logs`.`trace_id`) AS `traces` FROM {source:logs} AS `logs` GROUP BY `logs`.`service` ORDER BY `n` DESC NULLS LAST, `service` ASC NULLS LAST LIMIT 10 OFFSET 10
-- args: null
