SELECT service AS "Service Name", count(*) AS "it's `odd`" FROM logs GROUP BY service ORDER BY "Service Name"
