package clickhouse

import (
	"fmt"
	"testing"

	chproto "github.com/ClickHouse/ch-go/proto"

	"github.com/heimsight/heimsight/pkg/model"
)

func benchResources() []*model.Resource {
	var resources []*model.Resource
	for r := range 4 {
		resources = append(resources, &model.Resource{Attributes: model.Attributes{
			model.StringKV("service.name", fmt.Sprintf("svc-%d", r)), model.StringKV("service.version", "1.4.2"),
			model.StringKV("host.name", "node-17"), model.StringKV("k8s.pod.name", "checkout-7d9f8b6c5-x2x4q"),
			model.StringKV("k8s.namespace.name", "shop"), model.StringKV("telemetry.sdk.language", "go"),
			model.KV("process.pid", model.IntValue(4242)),
		}})
	}
	return resources
}

// benchSpans is a realistic flush of 8192 spans: 4 resources, 6 span attributes, an event on
// every fourth span and a link on every eighth.
func benchSpans() []model.Span {
	resources := benchResources()
	scope := &model.Scope{Name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", Version: "0.58.0"}
	tid, _ := model.ParseTraceID("0af7651916cd43dd8448eb211c80319c")
	spans := make([]model.Span, 8192)
	for i := range spans {
		start := int64(1_764_201_600_000_000_000) + int64(i)*1000
		s := model.Span{
			TraceID: tid, SpanID: model.SpanID{1, 2, 3, 4, 5, 6, byte(i >> 8), byte(i)}, ParentSpanID: model.SpanID{9, 9, 9, 9, 9, 9, 9, byte(i % 7)},
			Name: "POST /api/orders", Kind: model.SpanKind(2), StartTimestamp: start, EndTimestamp: start + 12_500_000 + int64(i),
			Attributes: model.Attributes{model.StringKV("http.request.method", "POST"), model.KV("http.response.status_code", model.IntValue(201)),
				model.StringKV("http.route", "/api/orders"), model.StringKV("url.scheme", "https"),
				model.KV("server.port", model.IntValue(8443)), model.KV("sampled", model.BoolValue(true))},
			StatusCode: model.StatusCode(1), Resource: resources[i%len(resources)], Scope: scope,
		}
		if i%4 == 0 {
			s.Events = []model.SpanEvent{{Timestamp: start + 500, Name: "exception", Attributes: model.Attributes{
				model.StringKV("exception.type", "io.EOF"), model.StringKV("exception.message", "unexpected end of stream")}}}
		}
		if i%8 == 0 {
			s.Links = []model.SpanLink{{TraceID: tid, SpanID: model.SpanID{7, 7, 7, 7, 7, 7, 7, 7}, TraceState: "rojo=00f067aa0ba902b7"}}
		}
		spans[i] = s
	}
	return spans
}

// benchMetrics is a realistic flush of 8192 sum points: 4 resources, 3 point attributes, an
// exemplar on every sixteenth point.
func benchMetrics() []model.MetricPoint {
	resources := benchResources()
	scope := &model.Scope{Name: "go.opentelemetry.io/otel/sdk/metric", Version: "1.34.0"}
	tid, _ := model.ParseTraceID("0af7651916cd43dd8448eb211c80319c")
	pts := make([]model.MetricPoint, 8192)
	for i := range pts {
		ts := int64(1_764_201_600_000_000_000) + int64(i)*1000
		p := model.MetricPoint{
			Name: "http.server.request.count", Description: "Requests served", Unit: "{request}", Type: model.MetricSum,
			StartTimestamp: 1_764_201_000_000_000_000, Timestamp: ts, Value: float64(i), Temporality: model.TemporalityCumulative, IsMonotonic: true,
			Attributes: model.Attributes{model.StringKV("http.request.method", "GET"), model.KV("http.response.status_code", model.IntValue(200)),
				model.StringKV("http.route", fmt.Sprintf("/api/items/%d", i%32))},
			Resource: resources[i%len(resources)], Scope: scope,
		}
		if i%16 == 0 {
			p.Exemplars = []model.Exemplar{{Timestamp: ts - 10, Value: 3, TraceID: tid, SpanID: model.SpanID{1, 1, 1, 1, 1, 1, 1, 1}}}
		}
		pts[i] = p
	}
	return pts
}

// benchColEncode measures everything a flush does on the client before compression and the
// network: model rows into the table's reused ch-go columns, and the columns serialised as the
// native protocol's data block (what ch-go's client then compresses and writes).
func benchColEncode(b *testing.B, table int, n int, add func(colBuffer)) {
	buf := newColBuffer(table)
	var out chproto.Buffer
	b.ReportAllocs()
	var bytes int
	cpu0 := cpuTime()
	for b.Loop() {
		buf.reset()
		add(buf)
		out.Reset()
		if err := encodeColBlock(&out, buf); err != nil {
			b.Fatal(err)
		}
		bytes = len(out.Buf)
	}
	reportRows(b, n, cpu0)
	b.ReportMetric(float64(bytes)/float64(n), "B/row")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() { buf.reset(); add(buf); out.Reset(); _ = encodeColBlock(&out, buf) }))/float64(n), "allocs/row")
}

func BenchmarkSpansEncodeBlock(b *testing.B) {
	spans := benchSpans()
	benchColEncode(b, idxTraces, len(spans), func(buf colBuffer) {
		for i := range spans {
			buf.add(&spans[i])
		}
	})
}

func BenchmarkMetricsEncodeBlock(b *testing.B) {
	pts := benchMetrics()
	benchColEncode(b, idxSum, len(pts), func(buf colBuffer) {
		for i := range pts {
			buf.add(&pts[i])
		}
	})
}
