SELECT `logs`.`body` AS `body` FROM {source:logs} AS `logs` WHERE (((`logs`.`body` LIKE ?) OR (`logs`.`body` ILIKE ?)) OR (match(`logs`.`body`, ?))) OR ((NOT match(`logs`.`body`, ?)) AND (`logs`.`trace_id` != ?)) LIMIT 1000
-- args: ["GET /api/%","%error%","(?i)conn(ection)? refused","^health",""]
