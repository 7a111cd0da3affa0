package clickhouse

import (
	"math"
	"time"

	"github.com/heimsight/heimsight/pkg/model"
)

// baseNS is an hour ago, with all nanosecond digits used. Recent on purpose: rows older than a
// table's TTL may vanish in the engine's background TTL merges during the test.
var baseNS = time.Now().Add(-time.Hour).Unix()*1e9 + 123_456_789

// sampleBatch has every row shape the store writes, with awkward values: quotes, backslashes,
// newlines, NUL, non-ASCII, empty attribute sets, absent ids, unset optional fields.
func sampleBatch() *model.Batch {
	res := &model.Resource{
		Attributes: model.Attributes{model.StringKV("service.name", "checkout"), model.KV("host.cpu", model.IntValue(8)),
			model.KV("k8s.pod.name", model.StringValue("pod-'1'"))},
		SchemaURL: "https://opentelemetry.io/schemas/1.26.0",
	}
	res2 := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "ünïcødé \"svc\"")}}
	scope := &model.Scope{Name: "io.heimsight.test", Version: "1.2.3", Attributes: model.Attributes{model.StringKV("lib", "x")},
		SchemaURL: "https://scope", DroppedAttributesCount: 2}
	tid, _ := model.ParseTraceID("0af7651916cd43dd8448eb211c80319c")
	sid, _ := model.ParseSpanID("b7ad6b7169203331")
	pid, _ := model.ParseSpanID("00f067aa0ba902b7")

	b := &model.Batch{}
	b.Logs = []model.LogRecord{
		{Timestamp: baseNS, ObservedTimestamp: baseNS + 5, SeverityNumber: 9, SeverityText: "INFO",
			Body: model.StringValue("hello 'world'\nline2 \\ back\x00nul"), TraceID: tid, SpanID: sid, Flags: 0x101,
			Attributes: model.Attributes{model.StringKV("http.method", "GET"), model.KV("http.status_code", model.IntValue(200)),
				model.KV("ratio", model.DoubleValue(0.1)), model.KV("ok", model.BoolValue(true)),
				model.KV("tags", model.ArrayValue(model.StringValue("a"), model.IntValue(1))), model.KV("raw", model.BytesValue([]byte{0, 1, 2}))},
			EventName: "app.start", Resource: res, Scope: scope},
		{Timestamp: baseNS + 2, Body: model.StringValue(""), Resource: res, Scope: scope},
		{Timestamp: baseNS + 1_000_000_000, SeverityNumber: 17, SeverityText: "ERROR", Body: model.MapValue(model.StringKV("k", "v")),
			Resource: res2},
	}
	b.Spans = []model.Span{
		{TraceID: tid, SpanID: pid, Name: "root", Kind: model.SpanKindInternal, StartTimestamp: baseNS - 100, EndTimestamp: baseNS + 5_000_000,
			Resource: res2},
		{TraceID: tid, SpanID: sid, ParentSpanID: pid, TraceState: "k=v", Flags: 1, Name: "GET /cart", Kind: model.SpanKindServer,
			StartTimestamp: baseNS, EndTimestamp: baseNS + 1_500_000, Attributes: model.Attributes{model.StringKV("http.route", "/cart")},
			Events: []model.SpanEvent{{Timestamp: baseNS + 10, Name: "exception", Attributes: model.Attributes{model.StringKV("exception.message", "boom")}},
				{Timestamp: baseNS + 20, Name: "retry"}},
			Links:      []model.SpanLink{{TraceID: tid, SpanID: pid, TraceState: "a=b", Attributes: model.Attributes{model.StringKV("l", "1")}}},
			StatusCode: model.StatusError, StatusMessage: "it's broken", Resource: res, Scope: scope},
	}
	ex := []model.Exemplar{{Timestamp: baseNS - 7, Value: 3.5, TraceID: tid, SpanID: sid, FilteredAttributes: model.Attributes{model.StringKV("f", "1")}}}
	b.Metrics = []model.MetricPoint{
		{Name: "cpu.usage", Description: "CPU", Unit: "1", Type: model.MetricGauge, Timestamp: baseNS, StartTimestamp: baseNS - 1000,
			Attributes: model.Attributes{model.StringKV("cpu", "0")}, Value: 0.25, Exemplars: ex, Resource: res, Scope: scope},
		{Name: "requests", Type: model.MetricSum, Timestamp: baseNS + 1, Value: 42, IsInt: true, Temporality: model.TemporalityCumulative,
			IsMonotonic: true, Resource: res, Scope: scope, Flags: 1},
		{Name: "latency", Unit: "ms", Type: model.MetricHistogram, Timestamp: baseNS + 2, Count: 10, Sum: 55.5, HasSum: true,
			Min: 0.5, HasMin: true, Max: 20, HasMax: true, BucketCounts: []uint64{1, 4, 5}, ExplicitBounds: []float64{1, 10},
			Temporality: model.TemporalityDelta, Exemplars: ex, Resource: res, Scope: scope},
		{Name: "latency.nominmax", Type: model.MetricHistogram, Timestamp: baseNS + 3, Count: 0, Temporality: model.TemporalityDelta,
			BucketCounts: []uint64{}, ExplicitBounds: []float64{}, Resource: res2},
		{Name: "size", Type: model.MetricExponentialHistogram, Timestamp: baseNS + 4, Count: 7, Sum: 70, HasSum: true, Scale: -2,
			ZeroCount: 1, ZeroThreshold: 1e-9, PositiveOffset: 3, PositiveBucketCounts: []uint64{1, 2, 3}, NegativeOffset: -1,
			NegativeBucketCounts: []uint64{1}, Temporality: model.TemporalityCumulative, Resource: res, Scope: scope},
		{Name: "rpc.duration", Type: model.MetricSummary, Timestamp: baseNS + 5, Count: 3, Sum: 9, HasSum: true,
			Quantiles: []model.QuantileValue{{Quantile: 0.5, Value: 2}, {Quantile: 0.99, Value: math.MaxFloat64}}, Resource: res, Scope: scope},
	}
	return b
}
