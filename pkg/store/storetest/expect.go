package storetest

import (
	"github.com/heimsight/heimsight/pkg/model"
)

// The expected rows follow docs/schema.md, written independently of any backend.

// Column lists of the logical tables, in schema order.
var (
	LogColumns = []string{"timestamp", "observed_timestamp", "trace_id", "span_id", "trace_flags",
		"severity_text", "severity_number", "service", "body", "attributes", "resource",
		"resource_schema_url", "scope_name", "scope_version", "scope_attributes", "scope_schema_url",
		"event_name"}
	SpanColumns = []string{"timestamp", "end_timestamp", "duration_ns", "trace_id", "span_id",
		"parent_span_id", "trace_state", "trace_flags", "name", "kind", "service", "status_code",
		"status_message", "attributes", "resource", "scope_name", "scope_version", "events", "links"}
	MetricColumns = []string{"timestamp", "start_timestamp", "name", "description", "unit", "type",
		"service", "attributes", "resource", "scope_name", "scope_version", "flags", "value",
		"temporality", "is_monotonic", "count", "sum", "min", "max", "bucket_counts",
		"explicit_bounds", "scale", "zero_count", "zero_threshold", "positive_offset",
		"positive_bucket_counts", "negative_offset", "negative_bucket_counts", "quantiles", "exemplars"}
)

func attrMap(a model.Attributes) map[string]string {
	m := make(map[string]string, len(a))
	for _, kv := range a {
		m[kv.Key] = kv.Value.AsString()
	}
	return m
}

func resAttrs(r *model.Resource) map[string]string {
	if r == nil {
		return map[string]string{}
	}
	return attrMap(r.Attributes)
}

func scopeOf(s *model.Scope) model.Scope {
	if s == nil {
		return model.Scope{}
	}
	return *s
}

// ExpectLog is the row docs/schema.md prescribes for l.
func ExpectLog(l *model.LogRecord) Row {
	s := scopeOf(l.Scope)
	url := ""
	if l.Resource != nil {
		url = l.Resource.SchemaURL
	}
	return Row{
		"timestamp":           l.Timestamp,
		"observed_timestamp":  l.ObservedTimestamp,
		"trace_id":            l.TraceID.String(),
		"span_id":             l.SpanID.String(),
		"trace_flags":         int64(l.Flags & 0xff),
		"severity_text":       l.SeverityText,
		"severity_number":     int64(l.SeverityNumber),
		"service":             l.Resource.ServiceName(),
		"body":                l.Body.AsString(),
		"attributes":          attrMap(l.Attributes),
		"resource":            resAttrs(l.Resource),
		"resource_schema_url": url,
		"scope_name":          s.Name,
		"scope_version":       s.Version,
		"scope_attributes":    attrMap(s.Attributes),
		"scope_schema_url":    s.SchemaURL,
		"event_name":          l.EventName,
	}
}

// ExpectSpan is the row docs/schema.md prescribes for sp.
func ExpectSpan(sp *model.Span) Row {
	s := scopeOf(sp.Scope)
	events := []any{}
	for _, e := range sp.Events {
		events = append(events, map[string]any{"timestamp": e.Timestamp, "name": e.Name, "attributes": attrMap(e.Attributes)})
	}
	links := []any{}
	for _, l := range sp.Links {
		links = append(links, map[string]any{"trace_id": l.TraceID.String(), "span_id": l.SpanID.String(),
			"trace_state": l.TraceState, "attributes": attrMap(l.Attributes)})
	}
	return Row{
		"timestamp":      sp.StartTimestamp,
		"end_timestamp":  sp.EndTimestamp,
		"duration_ns":    sp.DurationNanos(),
		"trace_id":       sp.TraceID.String(),
		"span_id":        sp.SpanID.String(),
		"parent_span_id": sp.ParentSpanID.String(),
		"trace_state":    sp.TraceState,
		"trace_flags":    int64(sp.Flags & 0xff),
		"name":           sp.Name,
		"kind":           sp.Kind.String(),
		"service":        sp.Resource.ServiceName(),
		"status_code":    sp.StatusCode.String(),
		"status_message": sp.StatusMessage,
		"attributes":     attrMap(sp.Attributes),
		"resource":       resAttrs(sp.Resource),
		"scope_name":     s.Name,
		"scope_version":  s.Version,
		"events":         events,
		"links":          links,
	}
}

func u64s(vs []uint64) []any {
	out := []any{}
	for _, v := range vs {
		out = append(out, int64(v))
	}
	return out
}

func f64s(vs []float64) []any {
	out := []any{}
	for _, v := range vs {
		out = append(out, v)
	}
	return out
}

// ExpectMetric is the row docs/schema.md prescribes for p: columns that do not apply to the
// point's type are NULL.
func ExpectMetric(p *model.MetricPoint) Row {
	s := scopeOf(p.Scope)
	r := Row{
		"timestamp":       p.Timestamp,
		"start_timestamp": p.StartTimestamp,
		"name":            p.Name,
		"description":     p.Description,
		"unit":            p.Unit,
		"type":            p.Type.String(),
		"service":         p.Resource.ServiceName(),
		"attributes":      attrMap(p.Attributes),
		"resource":        resAttrs(p.Resource),
		"scope_name":      s.Name,
		"scope_version":   s.Version,
		"flags":           int64(p.Flags),
	}
	for _, c := range MetricColumns {
		if _, ok := r[c]; !ok {
			r[c] = nil
		}
	}
	t := p.Type
	hist, exp, summary := t == model.MetricHistogram, t == model.MetricExponentialHistogram, t == model.MetricSummary
	if t == model.MetricGauge || t == model.MetricSum {
		r["value"] = p.Value
	}
	if t == model.MetricSum || hist || exp {
		r["temporality"] = p.Temporality.String()
	}
	if t == model.MetricSum {
		r["is_monotonic"] = p.IsMonotonic
	}
	if hist || exp || summary {
		r["count"] = int64(p.Count)
		if p.HasSum {
			r["sum"] = p.Sum
		}
	}
	if (hist || exp) && p.HasMin {
		r["min"] = p.Min
	}
	if (hist || exp) && p.HasMax {
		r["max"] = p.Max
	}
	if hist {
		r["bucket_counts"] = u64s(p.BucketCounts)
		r["explicit_bounds"] = f64s(p.ExplicitBounds)
	}
	if exp {
		r["scale"] = int64(p.Scale)
		r["zero_count"] = int64(p.ZeroCount)
		r["zero_threshold"] = p.ZeroThreshold
		r["positive_offset"] = int64(p.PositiveOffset)
		r["positive_bucket_counts"] = u64s(p.PositiveBucketCounts)
		r["negative_offset"] = int64(p.NegativeOffset)
		r["negative_bucket_counts"] = u64s(p.NegativeBucketCounts)
	}
	if summary {
		q := []any{}
		for _, v := range p.Quantiles {
			q = append(q, map[string]any{"quantile": v.Quantile, "value": v.Value})
		}
		r["quantiles"] = q
	} else {
		ex := []any{}
		for _, e := range p.Exemplars {
			ex = append(ex, map[string]any{"timestamp": e.Timestamp, "value": e.Value,
				"trace_id": e.TraceID.String(), "span_id": e.SpanID.String(),
				"filtered_attributes": attrMap(e.FilteredAttributes)})
		}
		r["exemplars"] = ex
	}
	return r
}
