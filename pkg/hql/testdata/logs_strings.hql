SELECT lower(body), upper(service), length(body), trim(body), substring(body, 1, 20), replace(body, 'a', 'b'),
  starts_with(body, 'GET'), ends_with(body, '!'), match(body, 'x+'), service || ':' || body, coalesce(attributes['user'], 'anonymous')
FROM logs LIMIT 10
