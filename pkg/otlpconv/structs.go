package otlpconv

import (
	"unicode/utf8"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/heimsight/heimsight/pkg/model"
)

// structConv converts generated structs. It is the reference for the wire decoder, so it is
// written for clarity, in the same check order as the shared check functions.
type structConv struct {
	rej rejections
	// flags collects the problems of the item being converted.
	flags   uint8
	hexMode bool
}

// Logs converts a decoded OTLP logs export request. Rows may share byte slices with req.
func Logs(req *collogspb.ExportLogsServiceRequest) Result {
	return logsFromStructs(req, false)
}

// Traces converts a decoded OTLP traces export request. Rows may share byte slices with req.
func Traces(req *coltracepb.ExportTraceServiceRequest) Result {
	return tracesFromStructs(req, false)
}

// Metrics converts a decoded OTLP metrics export request. Rows may share byte slices with req.
func Metrics(req *colmetricspb.ExportMetricsServiceRequest) Result {
	return metricsFromStructs(req, false)
}

func logsFromStructs(req *collogspb.ExportLogsServiceRequest, hexMode bool) Result {
	c := structConv{hexMode: hexMode}
	var out []model.LogRecord
	n := 0
	for _, rl := range req.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			n += len(sl.GetLogRecords())
		}
	}
	if n > 0 {
		out = make([]model.LogRecord, 0, n)
	}
	for _, rl := range req.GetResourceLogs() {
		res, resFlags := c.resource(rl.GetResource(), rl.GetSchemaUrl())
		for _, sl := range rl.GetScopeLogs() {
			scope, scopeFlags := c.scope(sl.GetScope(), sl.GetSchemaUrl())
			parent := parentReason(resFlags, scopeFlags, 0)
			for _, lr := range sl.GetLogRecords() {
				if parent != "" {
					c.rej.add(parent)
					continue
				}
				c.flags = 0
				rec := model.LogRecord{
					ObservedTimestamp:      int64(lr.GetObservedTimeUnixNano()),
					SeverityNumber:         model.SeverityNumber(lr.GetSeverityNumber()),
					SeverityText:           c.str(lr.GetSeverityText()),
					Body:                   c.value(lr.GetBody(), 1),
					Attributes:             c.attrs(lr.GetAttributes()),
					DroppedAttributesCount: lr.GetDroppedAttributesCount(),
					Flags:                  lr.GetFlags(),
					TraceID:                toID16(lr.GetTraceId()),
					SpanID:                 toID8(lr.GetSpanId()),
					EventName:              c.str(lr.GetEventName()),
					Resource:               res,
					Scope:                  scope,
				}
				ts, reason := checkLog(c.flags, lr.GetTimeUnixNano(), lr.GetObservedTimeUnixNano(), lr.GetTraceId(), lr.GetSpanId(), c.hexMode)
				if reason != "" {
					c.rej.add(reason)
					continue
				}
				rec.Timestamp = ts
				out = append(out, rec)
			}
		}
	}
	return c.result(model.Batch{Logs: nilIfEmpty(out)})
}

func tracesFromStructs(req *coltracepb.ExportTraceServiceRequest, hexMode bool) Result {
	c := structConv{hexMode: hexMode}
	var out []model.Span
	n := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	if n > 0 {
		out = make([]model.Span, 0, n)
	}
	for _, rs := range req.GetResourceSpans() {
		res, resFlags := c.resource(rs.GetResource(), rs.GetSchemaUrl())
		for _, ss := range rs.GetScopeSpans() {
			scope, scopeFlags := c.scope(ss.GetScope(), ss.GetSchemaUrl())
			parent := parentReason(resFlags, scopeFlags, 0)
			for _, sp := range ss.GetSpans() {
				if parent != "" {
					c.rej.add(parent)
					continue
				}
				if s, reason := c.span(sp, res, scope); reason != "" {
					c.rej.add(reason)
				} else {
					out = append(out, s)
				}
			}
		}
	}
	return c.result(model.Batch{Spans: nilIfEmpty(out)})
}

func (c *structConv) span(sp *tracepb.Span, res *model.Resource, scope *model.Scope) (model.Span, string) {
	c.flags = 0
	s := model.Span{
		TraceID:                toID16(sp.GetTraceId()),
		SpanID:                 toID8(sp.GetSpanId()),
		ParentSpanID:           toID8(sp.GetParentSpanId()),
		TraceState:             c.str(sp.GetTraceState()),
		Flags:                  sp.GetFlags(),
		Name:                   c.str(sp.GetName()),
		Kind:                   model.SpanKind(sp.GetKind()),
		StartTimestamp:         int64(sp.GetStartTimeUnixNano()),
		EndTimestamp:           int64(sp.GetEndTimeUnixNano()),
		Attributes:             c.attrs(sp.GetAttributes()),
		DroppedAttributesCount: sp.GetDroppedAttributesCount(),
		DroppedEventsCount:     sp.GetDroppedEventsCount(),
		DroppedLinksCount:      sp.GetDroppedLinksCount(),
		StatusCode:             model.StatusCode(sp.GetStatus().GetCode()),
		StatusMessage:          c.str(sp.GetStatus().GetMessage()),
		Resource:               res,
		Scope:                  scope,
	}
	if evs := sp.GetEvents(); len(evs) > 0 {
		s.Events = make([]model.SpanEvent, len(evs))
		for i, ev := range evs {
			s.Events[i] = model.SpanEvent{
				Timestamp:              int64(ev.GetTimeUnixNano()),
				Name:                   c.str(ev.GetName()),
				Attributes:             c.attrs(ev.GetAttributes()),
				DroppedAttributesCount: ev.GetDroppedAttributesCount(),
			}
		}
	}
	if links := sp.GetLinks(); len(links) > 0 {
		s.Links = make([]model.SpanLink, len(links))
		for i, l := range links {
			s.Links[i] = model.SpanLink{
				TraceID:                toID16(l.GetTraceId()),
				SpanID:                 toID8(l.GetSpanId()),
				TraceState:             c.str(l.GetTraceState()),
				Attributes:             c.attrs(l.GetAttributes()),
				DroppedAttributesCount: l.GetDroppedAttributesCount(),
				Flags:                  l.GetFlags(),
			}
		}
	}
	if r := checkSpan(c.flags, sp.GetTraceId(), sp.GetSpanId(), sp.GetParentSpanId(), sp.GetStartTimeUnixNano(), sp.GetEndTimeUnixNano(), c.hexMode); r != "" {
		return s, r
	}
	for _, ev := range sp.GetEvents() {
		if r := checkEvent(ev.GetTimeUnixNano()); r != "" {
			return s, r
		}
	}
	for _, l := range sp.GetLinks() {
		if r := checkLink(l.GetTraceId(), l.GetSpanId(), c.hexMode); r != "" {
			return s, r
		}
	}
	return s, ""
}

func metricsFromStructs(req *colmetricspb.ExportMetricsServiceRequest, hexMode bool) Result {
	c := structConv{hexMode: hexMode}
	var out []model.MetricPoint
	n := 0
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				n += metricPointCount(m)
			}
		}
	}
	if n > 0 {
		out = make([]model.MetricPoint, 0, n)
	}
	for _, rm := range req.GetResourceMetrics() {
		res, resFlags := c.resource(rm.GetResource(), rm.GetSchemaUrl())
		for _, sm := range rm.GetScopeMetrics() {
			scope, scopeFlags := c.scope(sm.GetScope(), sm.GetSchemaUrl())
			for _, m := range sm.GetMetrics() {
				out = c.metric(out, m, res, scope, resFlags, scopeFlags)
			}
		}
	}
	return c.result(model.Batch{Metrics: nilIfEmpty(out)})
}

func metricPointCount(m *metricspb.Metric) int {
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		return len(d.Gauge.GetDataPoints())
	case *metricspb.Metric_Sum:
		return len(d.Sum.GetDataPoints())
	case *metricspb.Metric_Histogram:
		return len(d.Histogram.GetDataPoints())
	case *metricspb.Metric_ExponentialHistogram:
		return len(d.ExponentialHistogram.GetDataPoints())
	case *metricspb.Metric_Summary:
		return len(d.Summary.GetDataPoints())
	}
	return 0
}

func (c *structConv) metric(out []model.MetricPoint, m *metricspb.Metric, res *model.Resource, scope *model.Scope, resFlags, scopeFlags uint8) []model.MetricPoint {
	c.flags = 0
	base := model.MetricPoint{
		Name:        c.str(m.GetName()),
		Description: c.str(m.GetDescription()),
		Unit:        c.str(m.GetUnit()),
		Resource:    res,
		Scope:       scope,
	}
	parent := parentReason(resFlags, scopeFlags, c.flags)
	// emit validates and appends one point; p already holds the type-specific fields.
	emit := func(p model.MetricPoint, attrs []*commonpb.KeyValue, start, t uint64, flags uint32, exs []*metricspb.Exemplar, extra string) {
		if parent != "" {
			c.rej.add(parent)
			return
		}
		c.flags = 0
		p.Attributes = c.attrs(attrs)
		p.StartTimestamp = int64(start)
		p.Timestamp = int64(t)
		p.Flags = flags
		p.Exemplars = c.exemplars(exs)
		if r := checkPoint(c.flags, t, start); r != "" {
			c.rej.add(r)
			return
		}
		if extra != "" {
			c.rej.add(extra)
			return
		}
		for _, ex := range exs {
			if r := checkExemplar(ex.GetTimeUnixNano(), ex.GetTraceId(), ex.GetSpanId(), c.hexMode); r != "" {
				c.rej.add(r)
				return
			}
		}
		out = append(out, p)
	}
	number := func(typ model.MetricType, temp metricspb.AggregationTemporality, mono bool, dps []*metricspb.NumberDataPoint) {
		for _, dp := range dps {
			p := base
			p.Type = typ
			p.Temporality = model.Temporality(temp)
			p.IsMonotonic = mono
			switch v := dp.GetValue().(type) {
			case *metricspb.NumberDataPoint_AsDouble:
				p.Value = v.AsDouble
			case *metricspb.NumberDataPoint_AsInt:
				p.Value, p.IsInt = float64(v.AsInt), true
			}
			emit(p, dp.GetAttributes(), dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano(), dp.GetFlags(), dp.GetExemplars(), "")
		}
	}
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		number(model.MetricGauge, 0, false, d.Gauge.GetDataPoints())
	case *metricspb.Metric_Sum:
		number(model.MetricSum, d.Sum.GetAggregationTemporality(), d.Sum.GetIsMonotonic(), d.Sum.GetDataPoints())
	case *metricspb.Metric_Histogram:
		for _, dp := range d.Histogram.GetDataPoints() {
			p := base
			p.Type = model.MetricHistogram
			p.Temporality = model.Temporality(d.Histogram.GetAggregationTemporality())
			p.Count = dp.GetCount()
			p.Sum, p.HasSum = dp.GetSum(), dp.Sum != nil
			p.Min, p.HasMin = dp.GetMin(), dp.Min != nil
			p.Max, p.HasMax = dp.GetMax(), dp.Max != nil
			p.BucketCounts = nilIfEmpty(dp.GetBucketCounts())
			p.ExplicitBounds = nilIfEmpty(dp.GetExplicitBounds())
			emit(p, dp.GetAttributes(), dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano(), dp.GetFlags(), dp.GetExemplars(),
				checkBuckets(len(p.BucketCounts), len(p.ExplicitBounds)))
		}
	case *metricspb.Metric_ExponentialHistogram:
		for _, dp := range d.ExponentialHistogram.GetDataPoints() {
			p := base
			p.Type = model.MetricExponentialHistogram
			p.Temporality = model.Temporality(d.ExponentialHistogram.GetAggregationTemporality())
			p.Count = dp.GetCount()
			p.Sum, p.HasSum = dp.GetSum(), dp.Sum != nil
			p.Min, p.HasMin = dp.GetMin(), dp.Min != nil
			p.Max, p.HasMax = dp.GetMax(), dp.Max != nil
			p.Scale = dp.GetScale()
			p.ZeroCount = dp.GetZeroCount()
			p.ZeroThreshold = dp.GetZeroThreshold()
			p.PositiveOffset = dp.GetPositive().GetOffset()
			p.PositiveBucketCounts = nilIfEmpty(dp.GetPositive().GetBucketCounts())
			p.NegativeOffset = dp.GetNegative().GetOffset()
			p.NegativeBucketCounts = nilIfEmpty(dp.GetNegative().GetBucketCounts())
			emit(p, dp.GetAttributes(), dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano(), dp.GetFlags(), dp.GetExemplars(), "")
		}
	case *metricspb.Metric_Summary:
		for _, dp := range d.Summary.GetDataPoints() {
			p := base
			p.Type = model.MetricSummary
			p.Count = dp.GetCount()
			p.Sum, p.HasSum = dp.GetSum(), true
			if qs := dp.GetQuantileValues(); len(qs) > 0 {
				p.Quantiles = make([]model.QuantileValue, len(qs))
				for i, q := range qs {
					p.Quantiles[i] = model.QuantileValue{Quantile: q.GetQuantile(), Value: q.GetValue()}
				}
			}
			emit(p, dp.GetAttributes(), dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano(), dp.GetFlags(), nil, "")
		}
	}
	return out
}

func (c *structConv) exemplars(exs []*metricspb.Exemplar) []model.Exemplar {
	if len(exs) == 0 {
		return nil
	}
	out := make([]model.Exemplar, len(exs))
	for i, ex := range exs {
		e := model.Exemplar{
			Timestamp:          int64(ex.GetTimeUnixNano()),
			FilteredAttributes: c.attrs(ex.GetFilteredAttributes()),
			TraceID:            toID16(ex.GetTraceId()),
			SpanID:             toID8(ex.GetSpanId()),
		}
		switch v := ex.GetValue().(type) {
		case *metricspb.Exemplar_AsDouble:
			e.Value = v.AsDouble
		case *metricspb.Exemplar_AsInt:
			e.Value, e.IsInt = float64(v.AsInt), true
		}
		out[i] = e
	}
	return out
}

func (c *structConv) resource(r *resourcepb.Resource, schemaURL string) (*model.Resource, uint8) {
	c.flags = 0
	res := &model.Resource{
		Attributes:             c.attrs(r.GetAttributes()),
		DroppedAttributesCount: r.GetDroppedAttributesCount(),
		SchemaURL:              c.str(schemaURL),
	}
	return res, c.flags
}

func (c *structConv) scope(s *commonpb.InstrumentationScope, schemaURL string) (*model.Scope, uint8) {
	c.flags = 0
	sc := &model.Scope{
		Name:                   c.str(s.GetName()),
		Version:                c.str(s.GetVersion()),
		Attributes:             c.attrs(s.GetAttributes()),
		DroppedAttributesCount: s.GetDroppedAttributesCount(),
		SchemaURL:              c.str(schemaURL),
	}
	return sc, c.flags
}

func (c *structConv) str(s string) string {
	if !utf8.ValidString(s) {
		c.flags |= flagBadUTF8
	}
	return s
}

func (c *structConv) attrs(kvs []*commonpb.KeyValue) model.Attributes {
	return c.attrsDepth(kvs, 1)
}

func (c *structConv) attrsDepth(kvs []*commonpb.KeyValue, depth int) model.Attributes {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]model.KeyValue, len(kvs))
	for i, kv := range kvs {
		out[i] = model.KeyValue{Key: c.str(kv.GetKey()), Value: c.value(kv.GetValue(), depth)}
	}
	return dedupKVs(out)
}

// value converts an AnyValue at nesting level depth (1 for an attribute value or a body).
func (c *structConv) value(av *commonpb.AnyValue, depth int) model.Value {
	if av == nil {
		return model.Value{}
	}
	if depth > maxValueDepth {
		c.flags |= flagTooDeep
		return model.Value{}
	}
	switch v := av.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return model.Value{Kind: model.KindString, Str: c.str(v.StringValue)}
	case *commonpb.AnyValue_BoolValue:
		return model.Value{Kind: model.KindBool, Bool: v.BoolValue}
	case *commonpb.AnyValue_IntValue:
		return model.Value{Kind: model.KindInt, Int: v.IntValue}
	case *commonpb.AnyValue_DoubleValue:
		return model.Value{Kind: model.KindDouble, Double: v.DoubleValue}
	case *commonpb.AnyValue_BytesValue:
		return model.Value{Kind: model.KindBytes, Bytes: nilIfEmpty(v.BytesValue)}
	case *commonpb.AnyValue_ArrayValue:
		vals := v.ArrayValue.GetValues()
		out := model.Value{Kind: model.KindArray}
		if len(vals) > 0 {
			out.Array = make([]model.Value, len(vals))
			for i, e := range vals {
				out.Array[i] = c.value(e, depth+1)
			}
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		return model.Value{Kind: model.KindMap, Map: c.attrsDepth(v.KvlistValue.GetValues(), depth+1)}
	}
	// Empty, or string_value_strindex, which only means something inside a profiles
	// dictionary.
	return model.Value{}
}

func (c *structConv) result(b model.Batch) Result {
	return Result{Batch: b, Rejected: c.rej.n, ErrorMessage: c.rej.message()}
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}
