SELECT timestamp, end_timestamp, end_timestamp - timestamp AS took, duration_ns, span_id, parent_span_id, name, events, links
FROM spans WHERE trace_id = '4bf92f3577b34da6a3ce929d0e0e4736' ORDER BY timestamp LIMIT 1000
