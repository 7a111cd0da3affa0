package otlpconv

import (
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// gen builds random but valid protobuf requests that exercise every field, value kind, metric
// type and rejection rule, for the differential test. Byte-level fuzzing mostly produces
// bodies that proto.Unmarshal refuses; this reaches the semantics.
type gen struct{ r *rand.Rand }

func (g gen) n(max int) int { return g.r.IntN(max + 1) }

func (g gen) str() string {
	return []string{"", "a", "service.name", "http.method", "GET", "ünïcode", "k", "a"}[g.r.IntN(8)]
}

func (g gen) id(size int) []byte {
	switch g.r.IntN(12) {
	case 0:
		return nil
	case 1:
		return make([]byte, size) // all zero
	case 2:
		return make([]byte, g.n(20)) // likely wrong length
	}
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(g.r.IntN(256))
	}
	return b
}

func (g gen) ts() uint64 {
	switch g.r.IntN(10) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64 - uint64(g.n(3))
	}
	return tBase + uint64(g.r.IntN(1000))
}

func (g gen) value(depth int) *commonpb.AnyValue {
	if depth > 3 {
		return sv(g.str())
	}
	switch g.r.IntN(11) {
	case 0:
		return nil
	case 1:
		return &commonpb.AnyValue{}
	case 2:
		return bv(g.r.IntN(2) == 0)
	case 3:
		return iv(g.r.Int64() - math.MaxInt64/2)
	case 4:
		return dv([]float64{0, -1.5, math.Inf(1), math.NaN(), 1e300}[g.r.IntN(5)])
	case 5:
		return byv(g.id(g.n(4)))
	case 6:
		vs := make([]*commonpb.AnyValue, g.n(3))
		for i := range vs {
			vs[i] = g.value(depth + 1)
			if vs[i] == nil {
				vs[i] = &commonpb.AnyValue{}
			}
		}
		return av(vs...)
	case 7:
		return kvl(g.attrs(depth + 1)...)
	case 8:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: int32(g.n(5))}}
	}
	return sv(g.str())
}

func (g gen) attrs(depth int) []*commonpb.KeyValue {
	kvs := make([]*commonpb.KeyValue, g.n(6))
	for i := range kvs {
		kvs[i] = &commonpb.KeyValue{Key: g.str(), Value: g.value(depth)}
	}
	return kvs
}

func (g gen) resource() *resourcepb.Resource {
	if g.r.IntN(5) == 0 {
		return nil
	}
	return &resourcepb.Resource{Attributes: g.attrs(1), DroppedAttributesCount: uint32(g.n(3))}
}

func (g gen) scope() *commonpb.InstrumentationScope {
	if g.r.IntN(5) == 0 {
		return nil
	}
	return &commonpb.InstrumentationScope{Name: g.str(), Version: g.str(), Attributes: g.attrs(1), DroppedAttributesCount: uint32(g.n(2))}
}

func (g gen) logs() *collogspb.ExportLogsServiceRequest {
	req := &collogspb.ExportLogsServiceRequest{}
	for range g.n(2) {
		rl := &logspb.ResourceLogs{Resource: g.resource(), SchemaUrl: g.str()}
		for range g.n(2) {
			sl := &logspb.ScopeLogs{Scope: g.scope(), SchemaUrl: g.str()}
			for range g.n(4) {
				sl.LogRecords = append(sl.LogRecords, &logspb.LogRecord{
					TimeUnixNano: g.ts(), ObservedTimeUnixNano: g.ts(), SeverityNumber: logspb.SeverityNumber(g.n(30)),
					SeverityText: g.str(), Body: g.value(1), Attributes: g.attrs(1), DroppedAttributesCount: uint32(g.n(2)),
					Flags: g.r.Uint32(), TraceId: g.id(16), SpanId: g.id(8), EventName: g.str(),
				})
			}
			rl.ScopeLogs = append(rl.ScopeLogs, sl)
		}
		req.ResourceLogs = append(req.ResourceLogs, rl)
	}
	return req
}

func (g gen) traces() *coltracepb.ExportTraceServiceRequest {
	req := &coltracepb.ExportTraceServiceRequest{}
	for range g.n(2) {
		rs := &tracepb.ResourceSpans{Resource: g.resource(), SchemaUrl: g.str()}
		for range g.n(2) {
			ss := &tracepb.ScopeSpans{Scope: g.scope()}
			for range g.n(4) {
				start := g.ts()
				sp := &tracepb.Span{
					TraceId: g.id(16), SpanId: g.id(8), ParentSpanId: g.id(8), TraceState: g.str(), Flags: g.r.Uint32(),
					Name: g.str(), Kind: tracepb.Span_SpanKind(g.n(7)), StartTimeUnixNano: start,
					EndTimeUnixNano: start + uint64(g.r.IntN(100)) - 10, Attributes: g.attrs(1),
					DroppedAttributesCount: uint32(g.n(2)), DroppedEventsCount: uint32(g.n(2)), DroppedLinksCount: uint32(g.n(2)),
				}
				if g.r.IntN(2) == 0 {
					sp.Status = &tracepb.Status{Code: tracepb.Status_StatusCode(g.n(3)), Message: g.str()}
				}
				for range g.n(2) {
					sp.Events = append(sp.Events, &tracepb.Span_Event{TimeUnixNano: g.ts(), Name: g.str(), Attributes: g.attrs(1), DroppedAttributesCount: uint32(g.n(2))})
				}
				for range g.n(2) {
					sp.Links = append(sp.Links, &tracepb.Span_Link{TraceId: g.id(16), SpanId: g.id(8), TraceState: g.str(), Attributes: g.attrs(1), Flags: g.r.Uint32()})
				}
				ss.Spans = append(ss.Spans, sp)
			}
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		req.ResourceSpans = append(req.ResourceSpans, rs)
	}
	return req
}

func (g gen) optF() *float64 {
	if g.r.IntN(2) == 0 {
		return nil
	}
	f := g.r.Float64() * 100
	return &f
}

func (g gen) exemplars() []*metricspb.Exemplar {
	var out []*metricspb.Exemplar
	for range g.n(2) {
		ex := &metricspb.Exemplar{FilteredAttributes: g.attrs(1), TimeUnixNano: g.ts(), TraceId: g.id(16), SpanId: g.id(8)}
		switch g.r.IntN(3) {
		case 0:
			ex.Value = &metricspb.Exemplar_AsDouble{AsDouble: g.r.Float64()}
		case 1:
			ex.Value = &metricspb.Exemplar_AsInt{AsInt: g.r.Int64()}
		}
		out = append(out, ex)
	}
	return out
}

func (g gen) u64s(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = g.r.Uint64() >> g.r.IntN(64)
	}
	return out
}

func (g gen) numberPoints() []*metricspb.NumberDataPoint {
	var out []*metricspb.NumberDataPoint
	for range g.n(3) {
		p := &metricspb.NumberDataPoint{Attributes: g.attrs(1), StartTimeUnixNano: g.ts(), TimeUnixNano: g.ts(), Exemplars: g.exemplars(), Flags: uint32(g.n(3))}
		switch g.r.IntN(3) {
		case 0:
			p.Value = &metricspb.NumberDataPoint_AsDouble{AsDouble: g.r.NormFloat64()}
		case 1:
			p.Value = &metricspb.NumberDataPoint_AsInt{AsInt: g.r.Int64()}
		}
		out = append(out, p)
	}
	return out
}

func (g gen) metric() *metricspb.Metric {
	m := &metricspb.Metric{Name: g.str(), Description: g.str(), Unit: g.str()}
	temp := metricspb.AggregationTemporality(g.n(3))
	switch g.r.IntN(6) {
	case 0:
		m.Data = &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: g.numberPoints()}}
	case 1:
		m.Data = &metricspb.Metric_Sum{Sum: &metricspb.Sum{DataPoints: g.numberPoints(), AggregationTemporality: temp, IsMonotonic: g.r.IntN(2) == 0}}
	case 2:
		h := &metricspb.Histogram{AggregationTemporality: temp}
		for range g.n(3) {
			nb := g.n(4)
			counts := nb + 1
			if g.r.IntN(4) == 0 {
				counts = g.n(5)
			}
			bounds := make([]float64, nb)
			for i := range bounds {
				bounds[i] = float64(i * 10)
			}
			h.DataPoints = append(h.DataPoints, &metricspb.HistogramDataPoint{
				Attributes: g.attrs(1), StartTimeUnixNano: g.ts(), TimeUnixNano: g.ts(), Count: g.r.Uint64(),
				Sum: g.optF(), Min: g.optF(), Max: g.optF(), BucketCounts: g.u64s(counts), ExplicitBounds: bounds,
				Exemplars: g.exemplars(), Flags: uint32(g.n(1)),
			})
		}
		m.Data = &metricspb.Metric_Histogram{Histogram: h}
	case 3:
		e := &metricspb.ExponentialHistogram{AggregationTemporality: temp}
		for range g.n(3) {
			p := &metricspb.ExponentialHistogramDataPoint{
				Attributes: g.attrs(1), StartTimeUnixNano: g.ts(), TimeUnixNano: g.ts(), Count: g.r.Uint64(), Sum: g.optF(),
				Scale: int32(g.r.IntN(40) - 20), ZeroCount: g.r.Uint64(), ZeroThreshold: g.r.Float64(), Min: g.optF(), Max: g.optF(),
				Exemplars: g.exemplars(), Flags: uint32(g.n(1)),
			}
			if g.r.IntN(3) > 0 {
				p.Positive = &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: int32(g.r.IntN(200) - 100), BucketCounts: g.u64s(g.n(5))}
			}
			if g.r.IntN(3) > 0 {
				p.Negative = &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: int32(g.r.IntN(200) - 100), BucketCounts: g.u64s(g.n(5))}
			}
			e.DataPoints = append(e.DataPoints, p)
		}
		m.Data = &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: e}
	case 4:
		s := &metricspb.Summary{}
		for range g.n(3) {
			p := &metricspb.SummaryDataPoint{Attributes: g.attrs(1), StartTimeUnixNano: g.ts(), TimeUnixNano: g.ts(), Count: g.r.Uint64(), Sum: g.r.Float64(), Flags: uint32(g.n(1))}
			for range g.n(3) {
				p.QuantileValues = append(p.QuantileValues, &metricspb.SummaryDataPoint_ValueAtQuantile{Quantile: g.r.Float64(), Value: g.r.Float64()})
			}
			s.DataPoints = append(s.DataPoints, p)
		}
		m.Data = &metricspb.Metric_Summary{Summary: s}
	}
	return m
}

func (g gen) metrics() *colmetricspb.ExportMetricsServiceRequest {
	req := &colmetricspb.ExportMetricsServiceRequest{}
	for range g.n(2) {
		rm := &metricspb.ResourceMetrics{Resource: g.resource(), SchemaUrl: g.str()}
		for range g.n(2) {
			sm := &metricspb.ScopeMetrics{Scope: g.scope(), SchemaUrl: g.str()}
			for range g.n(3) {
				sm.Metrics = append(sm.Metrics, g.metric())
			}
			rm.ScopeMetrics = append(rm.ScopeMetrics, sm)
		}
		req.ResourceMetrics = append(req.ResourceMetrics, rm)
	}
	return req
}

// TestRandomRequestsAgree compares DecodeProto with the struct path on random requests, alone
// and concatenated (which protobuf decodes as a merge).
func TestRandomRequestsAgree(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	rejected := map[Signal]int64{}
	for i := 0; i < 400; i++ {
		for _, c := range []struct {
			sig Signal
			msg func() proto.Message
		}{
			{SignalLogs, func() proto.Message { return g.logs() }},
			{SignalTraces, func() proto.Message { return g.traces() }},
			{SignalMetrics, func() proto.Message { return g.metrics() }},
		} {
			body := mustMarshal(t, c.msg())
			if i%4 == 0 {
				body = append(body, mustMarshal(t, c.msg())...)
			}
			mustAgree(t, c.sig, body)
			res := mustDecode(t, c.sig, body)
			rejected[c.sig] += res.Rejected
		}
	}
	// The generator must reach the rejection paths, or the comparison proves little.
	for _, sig := range []Signal{SignalLogs, SignalTraces, SignalMetrics} {
		if rejected[sig] == 0 {
			t.Errorf("%s: no rejections generated", sig)
		}
	}
}

// TestLargeRequestsAgree covers what small random requests do not reach: the attribute slab
// filling up and being replaced, also in the middle of an item that is then rejected. Items
// get varied attribute counts so the slab estimate is wrong in both directions.
func TestLargeRequestsAgree(t *testing.T) {
	for _, n := range []int{257, 1500} {
		logs := logsRequest(n)
		for i, r := range logs.ResourceLogs[0].ScopeLogs[0].LogRecords {
			r.Attributes = append(r.Attributes, attrs10(i)[:i%11]...) // duplicates too
			if i%40 > 30 {
				r.Attributes = append(r.Attributes, attrs10(i+1000)...)
				r.Attributes = append(r.Attributes, kv("extra", sv("x")), kv("more", iv(int64(i))))
			}
			switch {
			case i%5 == 0:
				r.TimeUnixNano, r.ObservedTimeUnixNano = 0, 0
			case i%7 == 0:
				r.TraceId = r.TraceId[:3]
			}
		}
		res := mustDecode(t, SignalLogs, mustMarshal(t, logs))
		mustAgree(t, SignalLogs, mustMarshal(t, logs))
		if res.Rejected == 0 || len(res.Batch.Logs) == 0 {
			t.Fatalf("logs: %d kept, %d rejected", len(res.Batch.Logs), res.Rejected)
		}

		spans := tracesRequest(n)
		for i, s := range spans.ResourceSpans[0].ScopeSpans[0].Spans {
			s.Events = append(s.Events, &tracepb.Span_Event{TimeUnixNano: tBase, Attributes: attrs10(i)[:i%9]})
			if i%6 == 0 {
				s.Links = append(s.Links, &tracepb.Span_Link{TraceId: tid1, SpanId: make([]byte, 8), Attributes: attrs10(i)})
			}
		}
		mustAgree(t, SignalTraces, mustMarshal(t, spans))

		metrics := metricsRequest(n)
		for i, p := range metrics.ResourceMetrics[0].ScopeMetrics[0].Metrics[1].GetHistogram().DataPoints {
			if i%4 == 0 {
				p.BucketCounts = p.BucketCounts[:2]
			}
			p.Attributes = append(p.Attributes, attrs10(i+7)...)
		}
		mustAgree(t, SignalMetrics, mustMarshal(t, metrics))
	}

	// Small records first, so that the slab estimate is far too low when big records come,
	// and every other big record rejected: the slab is replaced while a rejected record is
	// open.
	logs := logsRequest(400)
	for i, r := range logs.ResourceLogs[0].ScopeLogs[0].LogRecords {
		if i < 300 {
			r.Attributes = r.Attributes[:1]
			continue
		}
		for j := 0; j < 40; j++ {
			r.Attributes = append(r.Attributes, kv("k"+string(rune('a'+j%26))+string(rune('a'+j/26)), iv(int64(j))))
		}
		if i%2 == 0 {
			r.TimeUnixNano, r.ObservedTimeUnixNano = 0, 0
		}
	}
	mustAgree(t, SignalLogs, mustMarshal(t, logs))
}
