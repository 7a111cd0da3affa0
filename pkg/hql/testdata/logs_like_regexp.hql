SELECT body FROM logs WHERE body LIKE 'GET /api/%' OR body ILIKE '%error%' OR body =~ '(?i)conn(ection)? refused' OR body !~ '^health' AND trace_id != ''
