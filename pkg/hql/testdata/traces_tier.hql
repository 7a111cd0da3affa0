SELECT timestamp, service, total_spans / unique_traces AS spans_per_trace FROM traces_1day_stats WHERE service = 'api' ORDER BY timestamp
