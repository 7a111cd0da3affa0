package otlpconv

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/heimsight/heimsight/pkg/model"
)

func wantResource(i int) *model.Resource {
	return &model.Resource{
		Attributes: model.Attributes{
			model.StringKV("service.name", "svc-"+string(rune('0'+i))),
			model.StringKV("host.name", "host-a"),
			model.KV("process.pid", model.IntValue(4242)),
		},
		DroppedAttributesCount: 1,
	}
}

func wantScope() *model.Scope {
	return &model.Scope{Name: "io.heimsight.test", Version: "1.2.3",
		Attributes: model.Attributes{model.KV("scope.attr", model.BoolValue(true))}, DroppedAttributesCount: 2}
}

func wrapLogs(recs ...*logspb.LogRecord) *collogspb.ExportLogsServiceRequest {
	return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: testResource(0), ScopeLogs: []*logspb.ScopeLogs{{Scope: testScope(), LogRecords: recs}},
	}}}
}

func wrapSpans(spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: testResource(1), ScopeSpans: []*tracepb.ScopeSpans{{Scope: testScope(), Spans: spans}},
	}}}
}

func wrapMetrics(ms ...*metricspb.Metric) *colmetricspb.ExportMetricsServiceRequest {
	return &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: testResource(2), ScopeMetrics: []*metricspb.ScopeMetrics{{Scope: testScope(), Metrics: ms}},
	}}}
}

type logCase struct {
	name     string
	req      *collogspb.ExportLogsServiceRequest
	want     []model.LogRecord // Resource and Scope are filled in by the test
	rejected int64
	msg      string // ErrorMessage must equal this
}

func nested(depth int) *commonpb.AnyValue {
	v := sv("leaf")
	for i := 1; i < depth; i++ {
		v = av(v)
	}
	return v
}

func nestedModel(depth int) model.Value {
	v := model.StringValue("leaf")
	for i := 1; i < depth; i++ {
		v = model.ArrayValue(v)
	}
	return v
}

func logCases() []logCase {
	ok := func(ts uint64) *logspb.LogRecord { return &logspb.LogRecord{TimeUnixNano: ts} }
	return []logCase{
		{
			name: "every field and value kind",
			req: wrapLogs(&logspb.LogRecord{
				TimeUnixNano: 10, ObservedTimeUnixNano: 20, SeverityNumber: logspb.SeverityNumber_SEVERITY_NUMBER_WARN,
				SeverityText: "WARN", Flags: 0x1ff, TraceId: tid1, SpanId: sid1, EventName: "app.event",
				DroppedAttributesCount: 7,
				Body:                   kvl(kv("msg", sv("hello")), kv("n", iv(-3))),
				Attributes: []*commonpb.KeyValue{
					kv("s", sv("str")), kv("b", bv(true)), kv("i", iv(math.MinInt64)), kv("d", dv(2.5)),
					kv("nan", dv(math.NaN())), kv("bytes", byv([]byte{0, 1, 2})), kv("nobytes", byv(nil)),
					kv("arr", av(sv("x"), iv(1), av())), kv("map", kvl(kv("k", bv(false)), kv("k", bv(true)))),
					kv("empty", &commonpb.AnyValue{}), kv("novalue", nil), kv("emptymap", kvl()),
					kv("strindex", &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: 3}}),
				},
			}),
			want: []model.LogRecord{{
				Timestamp: 10, ObservedTimestamp: 20, SeverityNumber: 13, SeverityText: "WARN", Flags: 0x1ff,
				TraceID: model.TraceID(tid1), SpanID: model.SpanID(sid1), EventName: "app.event", DroppedAttributesCount: 7,
				Body: model.MapValue(model.StringKV("msg", "hello"), model.KV("n", model.IntValue(-3))),
				Attributes: model.Attributes{
					model.StringKV("s", "str"), model.KV("b", model.BoolValue(true)), model.KV("i", model.IntValue(math.MinInt64)),
					model.KV("d", model.DoubleValue(2.5)), model.KV("nan", model.DoubleValue(math.NaN())),
					model.KV("bytes", model.BytesValue([]byte{0, 1, 2})), model.KV("nobytes", model.Value{Kind: model.KindBytes}),
					model.KV("arr", model.ArrayValue(model.StringValue("x"), model.IntValue(1), model.Value{Kind: model.KindArray})),
					model.KV("map", model.MapValue(model.KV("k", model.BoolValue(true)))),
					model.KV("empty", model.Value{}), model.KV("novalue", model.Value{}), model.KV("emptymap", model.Value{Kind: model.KindMap}),
					model.KV("strindex", model.Value{}),
				},
			}},
		},
		{
			name: "duplicate keys keep the last value at the first position",
			req:  wrapLogs(&logspb.LogRecord{TimeUnixNano: 1, Attributes: []*commonpb.KeyValue{kv("a", iv(1)), kv("b", iv(2)), kv("a", iv(3))}}),
			want: []model.LogRecord{{Timestamp: 1, Attributes: model.Attributes{model.KV("a", model.IntValue(3)), model.KV("b", model.IntValue(2))}}},
		},
		{
			name: "observed time stands in for a missing time",
			req:  wrapLogs(&logspb.LogRecord{ObservedTimeUnixNano: 99}),
			want: []model.LogRecord{{Timestamp: 99, ObservedTimestamp: 99}},
		},
		{
			name: "ids may be absent",
			req:  wrapLogs(ok(5)),
			want: []model.LogRecord{{Timestamp: 5}},
		},
		{
			name: "value nested 64 levels deep is fine",
			req:  wrapLogs(&logspb.LogRecord{TimeUnixNano: 1, Body: nested(64)}),
			want: []model.LogRecord{{Timestamp: 1, Body: nestedModel(64)}},
		},
		{name: "no timestamp", req: wrapLogs(&logspb.LogRecord{}), rejected: 1, msg: "log record has no timestamp"},
		{name: "timestamp out of range", req: wrapLogs(ok(math.MaxInt64 + 1)), rejected: 1, msg: "log record timestamp is out of range"},
		{name: "short trace id", req: wrapLogs(&logspb.LogRecord{TimeUnixNano: 1, TraceId: []byte{1, 2, 3, 4, 5}}), rejected: 1,
			msg: "log record has a 5-byte trace_id (want 16)"},
		{name: "long span id", req: wrapLogs(&logspb.LogRecord{TimeUnixNano: 1, SpanId: tid1}), rejected: 1,
			msg: "log record has a 16-byte span_id (want 8)"},
		{name: "value nested too deep", req: wrapLogs(&logspb.LogRecord{TimeUnixNano: 1, Attributes: []*commonpb.KeyValue{kv("x", nested(65))}}),
			rejected: 1, msg: "log record has a value nested more than 64 levels deep"},
		{name: "resource nested too deep rejects its records", req: func() *collogspb.ExportLogsServiceRequest {
			r := wrapLogs(ok(1), ok(2))
			r.ResourceLogs[0].Resource.Attributes = append(r.ResourceLogs[0].Resource.Attributes, kv("deep", nested(70)))
			return r
		}(), rejected: 2, msg: "resource has a value nested more than 64 levels deep (2 times)"},
		{
			name: "valid records of the batch are kept",
			req:  wrapLogs(ok(1), &logspb.LogRecord{}, ok(3), &logspb.LogRecord{}),
			want: []model.LogRecord{{Timestamp: 1}, {Timestamp: 3}}, rejected: 2,
			msg: "log record has no timestamp (2 times)",
		},
		{
			name: "message lists three reasons and counts the rest",
			req: wrapLogs(&logspb.LogRecord{}, &logspb.LogRecord{TimeUnixNano: 1, TraceId: []byte{1}},
				&logspb.LogRecord{TimeUnixNano: 1, SpanId: []byte{1}}, &logspb.LogRecord{TimeUnixNano: 1, TraceId: []byte{1, 2}},
				&logspb.LogRecord{}, &logspb.LogRecord{TimeUnixNano: 1, SpanId: []byte{1, 2}}, ok(7)),
			want: []model.LogRecord{{Timestamp: 7}}, rejected: 6,
			msg: "log record has no timestamp (2 times); log record has a 1-byte trace_id (want 16); log record has a 1-byte span_id (want 8); and 2 more",
		},
	}
}

func TestLogs(t *testing.T) {
	for _, c := range logCases() {
		t.Run(c.name, func(t *testing.T) {
			res := wantResource(0)
			sc := wantScope()
			var want []model.LogRecord
			for _, r := range c.want {
				r.Resource, r.Scope = res, sc
				want = append(want, r)
			}
			wantRes := Result{Batch: model.Batch{Logs: want}, Rejected: c.rejected, ErrorMessage: c.msg}
			assertBothPaths(t, SignalLogs, c.req, wantRes)
		})
	}
}

// assertBothPaths checks the struct path and, after marshalling, the wire path.
func assertBothPaths(t *testing.T, sig Signal, req proto.Message, want Result) {
	t.Helper()
	var got Result
	switch r := req.(type) {
	case *collogspb.ExportLogsServiceRequest:
		got = Logs(r)
	case *coltracepb.ExportTraceServiceRequest:
		got = Traces(r)
	case *colmetricspb.ExportMetricsServiceRequest:
		got = Metrics(r)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("struct path: %s", d)
	}
	fast, err := DecodeProto(sig, mustMarshal(t, req))
	if err != nil {
		t.Fatalf("DecodeProto: %v", err)
	}
	if d := diff(want, fast); d != "" {
		t.Errorf("wire path: %s", d)
	}
}

func TestResourceAndScopeShared(t *testing.T) {
	req := logsRequest(3)
	req.ResourceLogs = append(req.ResourceLogs, logsRequest(2).ResourceLogs...)
	for _, res := range []Result{Logs(req), mustDecode(t, SignalLogs, mustMarshal(t, req))} {
		logs := res.Batch.Logs
		if len(logs) != 5 {
			t.Fatalf("got %d records", len(logs))
		}
		if logs[0].Resource != logs[2].Resource || logs[0].Scope != logs[2].Scope {
			t.Error("records of one ResourceLogs/ScopeLogs do not share Resource/Scope")
		}
		if logs[2].Resource == logs[3].Resource || logs[2].Scope == logs[3].Scope {
			t.Error("records of different ResourceLogs share a Resource/Scope")
		}
		if logs[0].Resource.SchemaURL != "https://opentelemetry.io/schemas/1.26.0" || logs[0].Scope.SchemaURL != "https://opentelemetry.io/schemas/1.26.0" {
			t.Errorf("schema urls: %q %q", logs[0].Resource.SchemaURL, logs[0].Scope.SchemaURL)
		}
		if got := logs[0].Resource.ServiceName(); got != "svc-0" {
			t.Errorf("service name %q", got)
		}
	}
}

func mustDecode(t *testing.T, sig Signal, body []byte) Result {
	t.Helper()
	res, err := DecodeProto(sig, body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRealisticRequestsAgree(t *testing.T) {
	for _, body := range [][]byte{
		mustMarshal(t, logsRequest(50)), mustMarshal(t, tracesRequest(50)), mustMarshal(t, metricsRequest(50)),
	} {
		for _, sig := range []Signal{SignalLogs, SignalTraces, SignalMetrics} {
			// Decoding a body as the wrong signal must not panic, and must still agree when
			// proto.Unmarshal accepts it.
			checkDifferential(t, sig, body)
		}
	}
	mustAgree(t, SignalLogs, mustMarshal(t, logsRequest(50)))
	mustAgree(t, SignalTraces, mustMarshal(t, tracesRequest(50)))
	mustAgree(t, SignalMetrics, mustMarshal(t, metricsRequest(50)))
	res := mustDecode(t, SignalLogs, mustMarshal(t, logsRequest(50)))
	if len(res.Batch.Logs) != 50 || res.Rejected != 0 {
		t.Fatalf("got %d logs, %d rejected", len(res.Batch.Logs), res.Rejected)
	}
	if v, _ := res.Batch.Logs[7].Attributes.Get("user.id"); v.Str != "user-000007" {
		t.Errorf("user.id = %+v", v)
	}
}

type spanCase struct {
	name     string
	req      *coltracepb.ExportTraceServiceRequest
	want     []model.Span
	rejected int64
	msg      string
}

func goodSpan() *tracepb.Span {
	return &tracepb.Span{TraceId: tid1, SpanId: sid1, StartTimeUnixNano: 100, EndTimeUnixNano: 150}
}

func spanWith(f func(*tracepb.Span)) *tracepb.Span {
	s := goodSpan()
	f(s)
	return s
}

func spanCases() []spanCase {
	base := model.Span{TraceID: model.TraceID(tid1), SpanID: model.SpanID(sid1), StartTimestamp: 100, EndTimestamp: 150}
	zero16, zero8 := make([]byte, 16), make([]byte, 8)
	return []spanCase{
		{
			name: "every field",
			req: wrapSpans(&tracepb.Span{
				TraceId: tid1, SpanId: sid1, ParentSpanId: sid2, TraceState: "k=v", Flags: 0x301, Name: "op",
				Kind: tracepb.Span_SPAN_KIND_CONSUMER, StartTimeUnixNano: 100, EndTimeUnixNano: 100,
				Attributes: []*commonpb.KeyValue{kv("a", sv("b"))}, DroppedAttributesCount: 1,
				Events:             []*tracepb.Span_Event{{TimeUnixNano: 100, Name: "ev", Attributes: []*commonpb.KeyValue{kv("e", iv(1))}, DroppedAttributesCount: 2}, {Name: "bare"}},
				DroppedEventsCount: 3,
				Links: []*tracepb.Span_Link{{TraceId: tid1, SpanId: sid2, TraceState: "x=y", Attributes: []*commonpb.KeyValue{kv("l", bv(true))},
					DroppedAttributesCount: 4, Flags: 0x100}},
				DroppedLinksCount: 5,
				Status:            &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom"},
			}),
			want: []model.Span{{
				TraceID: model.TraceID(tid1), SpanID: model.SpanID(sid1), ParentSpanID: model.SpanID(sid2), TraceState: "k=v",
				Flags: 0x301, Name: "op", Kind: model.SpanKindConsumer, StartTimestamp: 100, EndTimestamp: 100,
				Attributes: model.Attributes{model.StringKV("a", "b")}, DroppedAttributesCount: 1,
				Events:             []model.SpanEvent{{Timestamp: 100, Name: "ev", Attributes: model.Attributes{model.KV("e", model.IntValue(1))}, DroppedAttributesCount: 2}, {Name: "bare"}},
				DroppedEventsCount: 3,
				Links: []model.SpanLink{{TraceID: model.TraceID(tid1), SpanID: model.SpanID(sid2), TraceState: "x=y",
					Attributes: model.Attributes{model.KV("l", model.BoolValue(true))}, DroppedAttributesCount: 4, Flags: 0x100}},
				DroppedLinksCount: 5, StatusCode: model.StatusError, StatusMessage: "boom",
			}},
		},
		{name: "minimal span", req: wrapSpans(goodSpan()), want: []model.Span{base}},
		{name: "no trace id", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.TraceId = nil })), rejected: 1, msg: "span has no trace_id"},
		{name: "short trace id", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.TraceId = sid1 })), rejected: 1, msg: "span has a 8-byte trace_id (want 16)"},
		{name: "zero trace id", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.TraceId = zero16 })), rejected: 1, msg: "span has an all-zero trace_id"},
		{name: "no span id", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.SpanId = nil })), rejected: 1, msg: "span has no span_id"},
		{name: "zero span id", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.SpanId = zero8 })), rejected: 1, msg: "span has an all-zero span_id"},
		{name: "bad parent id", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.ParentSpanId = []byte{1, 2, 3} })), rejected: 1, msg: "span has a 3-byte parent_span_id (want 8)"},
		{name: "no start", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.StartTimeUnixNano = 0 })), rejected: 1, msg: "span has no start time"},
		{name: "ends before start", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.EndTimeUnixNano = 99 })), rejected: 1, msg: "span ends before it starts"},
		{name: "end out of range", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.EndTimeUnixNano = math.MaxUint64 })), rejected: 1, msg: "span timestamp is out of range"},
		{name: "event time out of range", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.Events = []*tracepb.Span_Event{{TimeUnixNano: math.MaxUint64}} })),
			rejected: 1, msg: "span event timestamp is out of range"},
		{name: "bad link trace id", req: wrapSpans(spanWith(func(s *tracepb.Span) { s.Links = []*tracepb.Span_Link{{TraceId: sid1, SpanId: sid1}} })),
			rejected: 1, msg: "span link has a 8-byte trace_id (want 16)"},
		{name: "link without span id", req: wrapSpans(goodSpan(), spanWith(func(s *tracepb.Span) { s.Links = []*tracepb.Span_Link{{TraceId: tid1}} })),
			want: []model.Span{base}, rejected: 1, msg: "span link has no span_id"},
	}
}

func TestTraces(t *testing.T) {
	for _, c := range spanCases() {
		t.Run(c.name, func(t *testing.T) {
			res, sc := wantResource(1), wantScope()
			var want []model.Span
			for _, s := range c.want {
				s.Resource, s.Scope = res, sc
				want = append(want, s)
			}
			assertBothPaths(t, SignalTraces, c.req, Result{Batch: model.Batch{Spans: want}, Rejected: c.rejected, ErrorMessage: c.msg})
		})
	}
}

type metricCase struct {
	name     string
	req      *colmetricspb.ExportMetricsServiceRequest
	want     []model.MetricPoint
	rejected int64
	msg      string
}

func f64(f float64) *float64 { return &f }

func metricCases() []metricCase {
	gauge := func(dps ...*metricspb.NumberDataPoint) *metricspb.Metric {
		return &metricspb.Metric{Name: "g", Description: "d", Unit: "u", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: dps}}}
	}
	hist := func(dps ...*metricspb.HistogramDataPoint) *metricspb.Metric {
		return &metricspb.Metric{Name: "h", Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
			AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA, DataPoints: dps}}}
	}
	g := model.MetricPoint{Name: "g", Description: "d", Unit: "u", Type: model.MetricGauge}
	h := model.MetricPoint{Name: "h", Type: model.MetricHistogram, Temporality: model.TemporalityDelta}
	return []metricCase{
		{
			name: "gauge double and int with exemplars",
			req: wrapMetrics(gauge(
				&metricspb.NumberDataPoint{TimeUnixNano: 10, StartTimeUnixNano: 5, Flags: 1, Attributes: []*commonpb.KeyValue{kv("a", sv("b"))},
					Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 1.5},
					Exemplars: []*metricspb.Exemplar{
						{TimeUnixNano: 9, Value: &metricspb.Exemplar_AsDouble{AsDouble: 0.5}, TraceId: tid1, SpanId: sid1, FilteredAttributes: []*commonpb.KeyValue{kv("f", iv(1))}},
						{Value: &metricspb.Exemplar_AsInt{AsInt: -7}},
					}},
				&metricspb.NumberDataPoint{TimeUnixNano: 11, Value: &metricspb.NumberDataPoint_AsInt{AsInt: -42}},
				&metricspb.NumberDataPoint{TimeUnixNano: 12},
			)),
			want: []model.MetricPoint{
				func() model.MetricPoint {
					p := g
					p.Timestamp, p.StartTimestamp, p.Flags, p.Value = 10, 5, 1, 1.5
					p.Attributes = model.Attributes{model.StringKV("a", "b")}
					p.Exemplars = []model.Exemplar{
						{Timestamp: 9, Value: 0.5, TraceID: model.TraceID(tid1), SpanID: model.SpanID(sid1), FilteredAttributes: model.Attributes{model.KV("f", model.IntValue(1))}},
						{Value: -7, IsInt: true},
					}
					return p
				}(),
				func() model.MetricPoint { p := g; p.Timestamp, p.Value, p.IsInt = 11, -42, true; return p }(),
				func() model.MetricPoint { p := g; p.Timestamp = 12; return p }(),
			},
		},
		{
			name: "monotonic cumulative sum",
			req: wrapMetrics(&metricspb.Metric{Name: "s", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
				AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE, IsMonotonic: true,
				DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: 3, Value: &metricspb.NumberDataPoint_AsInt{AsInt: 9}}}}}}),
			want: []model.MetricPoint{{Name: "s", Type: model.MetricSum, Temporality: model.TemporalityCumulative, IsMonotonic: true, Timestamp: 3, Value: 9, IsInt: true}},
		},
		{
			name: "histograms with and without optional fields",
			req: wrapMetrics(hist(
				&metricspb.HistogramDataPoint{TimeUnixNano: 1, Count: 6, Sum: f64(12), Min: f64(0), Max: f64(9),
					BucketCounts: []uint64{1, 2, 3}, ExplicitBounds: []float64{1, 5}, Flags: 1},
				&metricspb.HistogramDataPoint{TimeUnixNano: 2, Count: 0},
			)),
			want: []model.MetricPoint{
				func() model.MetricPoint {
					p := h
					p.Timestamp, p.Count, p.Sum, p.HasSum, p.Min, p.HasMin, p.Max, p.HasMax, p.Flags = 1, 6, 12, true, 0, true, 9, true, 1
					p.BucketCounts, p.ExplicitBounds = []uint64{1, 2, 3}, []float64{1, 5}
					return p
				}(),
				func() model.MetricPoint { p := h; p.Timestamp = 2; return p }(),
			},
		},
		{
			name: "histogram bucket count mismatch",
			req: wrapMetrics(hist(&metricspb.HistogramDataPoint{TimeUnixNano: 1, BucketCounts: []uint64{1, 2}, ExplicitBounds: []float64{1, 5}},
				&metricspb.HistogramDataPoint{TimeUnixNano: 1, BucketCounts: []uint64{1, 2}},
				&metricspb.HistogramDataPoint{TimeUnixNano: 2, BucketCounts: []uint64{7}})),
			rejected: 2,
			msg:      "histogram data point has 2 bucket counts for 2 explicit bounds (want bounds+1); histogram data point has 2 bucket counts for 0 explicit bounds (want bounds+1)",
			want:     []model.MetricPoint{func() model.MetricPoint { p := h; p.Timestamp, p.BucketCounts = 2, []uint64{7}; return p }()},
		},
		{
			name: "exponential histogram",
			req: wrapMetrics(&metricspb.Metric{Name: "e", Data: &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: &metricspb.ExponentialHistogram{
				AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE,
				DataPoints: []*metricspb.ExponentialHistogramDataPoint{{
					TimeUnixNano: 4, Count: 10, Sum: f64(3), Scale: -3, ZeroCount: 2, ZeroThreshold: 1e-9, Max: f64(7),
					Positive:  &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: -2, BucketCounts: []uint64{1, 1 << 40}},
					Negative:  &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: 5},
					Exemplars: []*metricspb.Exemplar{{TimeUnixNano: 4, Value: &metricspb.Exemplar_AsDouble{AsDouble: 2}}},
				}}}}}),
			want: []model.MetricPoint{{Name: "e", Type: model.MetricExponentialHistogram, Temporality: model.TemporalityCumulative,
				Timestamp: 4, Count: 10, Sum: 3, HasSum: true, Max: 7, HasMax: true, Scale: -3, ZeroCount: 2, ZeroThreshold: 1e-9,
				PositiveOffset: -2, PositiveBucketCounts: []uint64{1, 1 << 40}, NegativeOffset: 5,
				Exemplars: []model.Exemplar{{Timestamp: 4, Value: 2}}}},
		},
		{
			name: "summary",
			req: wrapMetrics(&metricspb.Metric{Name: "q", Data: &metricspb.Metric_Summary{Summary: &metricspb.Summary{
				DataPoints: []*metricspb.SummaryDataPoint{{TimeUnixNano: 8, Count: 3, Sum: 0, QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{
					{Quantile: 0.5, Value: 1}, {Quantile: 0.99, Value: 4}}}}}}}),
			want: []model.MetricPoint{{Name: "q", Type: model.MetricSummary, Timestamp: 8, Count: 3, HasSum: true,
				Quantiles: []model.QuantileValue{{Quantile: 0.5, Value: 1}, {Quantile: 0.99, Value: 4}}}},
		},
		{name: "metric without data has no points", req: wrapMetrics(&metricspb.Metric{Name: "empty"})},
		{name: "point without time", req: wrapMetrics(gauge(&metricspb.NumberDataPoint{StartTimeUnixNano: 1}, &metricspb.NumberDataPoint{TimeUnixNano: 1})),
			want: []model.MetricPoint{func() model.MetricPoint { p := g; p.Timestamp = 1; return p }()}, rejected: 1, msg: "data point has no timestamp"},
		{name: "start time out of range", req: wrapMetrics(gauge(&metricspb.NumberDataPoint{TimeUnixNano: 1, StartTimeUnixNano: math.MaxUint64})),
			rejected: 1, msg: "data point timestamp is out of range"},
		{name: "bad exemplar span id", req: wrapMetrics(gauge(&metricspb.NumberDataPoint{TimeUnixNano: 1, Exemplars: []*metricspb.Exemplar{{SpanId: []byte{1}}}})),
			rejected: 1, msg: "exemplar has a 1-byte span_id (want 8)"},
		{name: "bad exemplar trace id", req: wrapMetrics(hist(&metricspb.HistogramDataPoint{TimeUnixNano: 1, Exemplars: []*metricspb.Exemplar{{TraceId: sid1}}})),
			rejected: 1, msg: "exemplar has a 8-byte trace_id (want 16)"},
	}
}

func TestMetrics(t *testing.T) {
	for _, c := range metricCases() {
		t.Run(c.name, func(t *testing.T) {
			res, sc := wantResource(2), wantScope()
			var want []model.MetricPoint
			for _, p := range c.want {
				p.Resource, p.Scope = res, sc
				want = append(want, p)
			}
			assertBothPaths(t, SignalMetrics, c.req, Result{Batch: model.Batch{Metrics: want}, Rejected: c.rejected, ErrorMessage: c.msg})
		})
	}
}

func TestSignalString(t *testing.T) {
	for sig, want := range map[Signal]string{SignalLogs: "logs", SignalTraces: "traces", SignalMetrics: "metrics", 0: "signal(0)"} {
		if got := sig.String(); got != want {
			t.Errorf("%d: %q, want %q", sig, got, want)
		}
	}
}

func TestInvalidUTF8InStructs(t *testing.T) {
	req := wrapLogs(&logspb.LogRecord{TimeUnixNano: 1, SeverityText: "ok"}, &logspb.LogRecord{TimeUnixNano: 2, Attributes: []*commonpb.KeyValue{kv("k", sv("bad\xff"))}})
	res := Logs(req)
	if len(res.Batch.Logs) != 1 || res.Rejected != 1 || res.ErrorMessage != "log record contains invalid UTF-8" {
		t.Fatalf("got %d logs, %d rejected, %q", len(res.Batch.Logs), res.Rejected, res.ErrorMessage)
	}
	req.ResourceLogs[0].Resource.Attributes[0].Key = "\xc3"
	res = Logs(req)
	if len(res.Batch.Logs) != 0 || res.Rejected != 2 || !strings.HasPrefix(res.ErrorMessage, "resource contains invalid UTF-8") {
		t.Fatalf("got %d logs, %d rejected, %q", len(res.Batch.Logs), res.Rejected, res.ErrorMessage)
	}
}

func TestNilRequests(t *testing.T) {
	for _, res := range []Result{Logs(nil), Traces(nil), Metrics(nil)} {
		if res.Batch.Len() != 0 || res.Rejected != 0 || res.ErrorMessage != "" || res.Batch.Logs != nil {
			t.Errorf("%+v", res)
		}
	}
	// Nil elements inside a request are empty messages: a nil record has no timestamp.
	res := Logs(&collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{nil, {ScopeLogs: []*logspb.ScopeLogs{nil, {LogRecords: []*logspb.LogRecord{nil}}}}}})
	if res.Rejected != 1 || res.ErrorMessage != "log record has no timestamp" {
		t.Errorf("%+v", res)
	}
}
