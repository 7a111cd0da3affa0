package storetest

import (
	"fmt"
	"math"
	"time"

	"github.com/heimsight/heimsight/pkg/model"
)

// allKinds holds one attribute of every OTLP value kind, including awkward values.
func allKinds(i int) model.Attributes {
	return model.Attributes{
		model.StringKV("str", fmt.Sprintf("välue \"%d\" 'q' \\ \n tab\t", i)),
		model.KV("bool", model.BoolValue(i%2 == 0)),
		model.KV("int", model.IntValue(math.MinInt64+int64(i))),
		model.KV("double", model.DoubleValue(0.1*float64(i+1))),
		model.KV("double.big", model.DoubleValue(1e21)),
		model.KV("double.inf", model.DoubleValue(math.Inf(1))),
		model.KV("bytes", model.BytesValue([]byte{0, 1, 2, 0xff, byte(i)})),
		model.KV("array", model.ArrayValue(model.StringValue("a"), model.IntValue(int64(i)), model.ArrayValue(model.BoolValue(true)))),
		model.KV("kvlist", model.MapValue(model.StringKV("k", "v"), model.KV("n", model.DoubleValue(-2.5)))),
		model.KV("empty", model.Value{}),
		model.StringKV("", "empty key"),
	}
}

func traceID(i int) model.TraceID {
	var t model.TraceID
	for j := range t {
		t[j] = byte(i*31 + j*7 + 1)
	}
	return t
}

func spanID(i int) model.SpanID {
	var s model.SpanID
	for j := range s {
		s[j] = byte(i*17 + j*3 + 1)
	}
	return s
}

// base is an hour boundary two hours ago, so fixtures span closed and open hours.
func base() int64 {
	return time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour).UnixNano()
}

func resource(service string) *model.Resource {
	return &model.Resource{
		Attributes: model.Attributes{
			model.StringKV("service.name", service),
			model.StringKV("host.name", "host-1"),
			model.KV("process.pid", model.IntValue(4242)),
		},
		SchemaURL: "https://opentelemetry.io/schemas/1.26.0",
	}
}

func scope() *model.Scope {
	return &model.Scope{
		Name:       "io.heimsight.test",
		Version:    "1.2.3",
		Attributes: model.Attributes{model.StringKV("scope.attr", "x"), model.KV("scope.n", model.IntValue(7))},
		SchemaURL:  "https://example.com/scope",
	}
}

// fixtureLogs returns n logs of service with distinct timestamps (ns precision, crossing an hour
// boundary) and every value kind.
func fixtureLogs(service string, n int) []model.LogRecord {
	res, sc := resource(service), scope()
	t0 := base()
	logs := make([]model.LogRecord, n)
	for i := range logs {
		l := model.LogRecord{
			Timestamp:         t0 + int64(i)*int64(20*time.Minute) + int64(i) + 123456789,
			ObservedTimestamp: t0 + int64(i)*int64(20*time.Minute) + 987654321,
			SeverityNumber:    model.SeverityNumber(i % 25),
			SeverityText:      []string{"INFO", "WARN", "ERROR", ""}[i%4],
			Body:              model.StringValue(fmt.Sprintf("log body %d: ünïcode ✓ \"quoted\"", i)),
			Attributes:        allKinds(i),
			Flags:             0x101,
			EventName:         fmt.Sprintf("event.%d", i%3),
			Resource:          res,
			Scope:             sc,
		}
		switch i % 3 {
		case 0:
			l.TraceID, l.SpanID = traceID(i), spanID(i)
		case 1:
			l.Body = model.MapValue(model.StringKV("msg", "structured"), model.KV("n", model.IntValue(int64(i))))
			l.Scope = nil
			l.ObservedTimestamp = 0
		case 2:
			l.Body = model.Value{}
			l.Attributes = nil
		}
		logs[i] = l
	}
	return logs
}

func fixtureSpans(service string, n int) []model.Span {
	res, sc := resource(service), scope()
	t0 := base()
	spans := make([]model.Span, n)
	for i := range spans {
		start := t0 + int64(i)*int64(25*time.Minute) + int64(i) + 7
		sp := model.Span{
			TraceID:        traceID(i / 2),
			SpanID:         spanID(i),
			TraceState:     "vendor=x",
			Flags:          0x301,
			Name:           fmt.Sprintf("GET /api/%d", i),
			Kind:           model.SpanKind(i % 6),
			StartTimestamp: start,
			EndTimestamp:   start + int64(i+1)*1_000_003,
			Attributes:     allKinds(i),
			StatusCode:     model.StatusCode(i % 3),
			StatusMessage:  fmt.Sprintf("status %d", i),
			Resource:       res,
			Scope:          sc,
		}
		if i%2 == 1 {
			sp.ParentSpanID = spanID(i - 1)
		}
		if i%3 != 2 {
			sp.Events = []model.SpanEvent{
				{Timestamp: start + 11, Name: "exception", Attributes: allKinds(i + 1)},
				{Timestamp: start + 22, Name: "retry"},
			}
			sp.Links = []model.SpanLink{{TraceID: traceID(i + 100), SpanID: spanID(i + 100), TraceState: "a=b",
				Attributes: model.Attributes{model.StringKV("link", "yes")}}}
		}
		spans[i] = sp
	}
	return spans
}

func fixtureMetrics(service string) []model.MetricPoint {
	res, sc := resource(service), scope()
	t0 := base()
	ex := []model.Exemplar{{Timestamp: t0 + 5, Value: 3.25, FilteredAttributes: model.Attributes{model.StringKV("user", "u1")},
		TraceID: traceID(1), SpanID: spanID(1)}, {Timestamp: t0 + 6, Value: 7, IsInt: true}}
	common := func(i int, name string, t model.MetricType) model.MetricPoint {
		return model.MetricPoint{
			Name: name, Description: "desc of " + name, Unit: "ms", Type: t,
			StartTimestamp: t0 - int64(time.Hour) + int64(i),
			Timestamp:      t0 + int64(i)*int64(17*time.Minute) + int64(i)*3 + 1,
			Attributes:     allKinds(i),
			Flags:          uint32(i % 2),
			Resource:       res,
			Scope:          sc,
		}
	}
	var ps []model.MetricPoint
	g := common(0, "cpu.usage", model.MetricGauge)
	g.Value = 0.75
	g.Exemplars = ex
	ps = append(ps, g)
	s := common(1, "requests", model.MetricSum)
	s.Value, s.IsInt, s.Temporality, s.IsMonotonic = 12345, true, model.TemporalityCumulative, true
	ps = append(ps, s)
	s2 := common(2, "queue.delta", model.MetricSum)
	s2.Value, s2.Temporality = -3.5, model.TemporalityDelta
	ps = append(ps, s2)
	h := common(3, "latency", model.MetricHistogram)
	h.Temporality, h.Count, h.Sum, h.HasSum, h.Min, h.HasMin, h.Max, h.HasMax = model.TemporalityDelta, 10, 123.5, true, 0.5, true, 99.25, true
	h.BucketCounts, h.ExplicitBounds = []uint64{1, 2, 3, 4}, []float64{1, 10, 100}
	h.Exemplars = ex[:1]
	ps = append(ps, h)
	h2 := common(4, "latency.nosum", model.MetricHistogram)
	h2.Temporality, h2.Count = model.TemporalityCumulative, 0
	h2.BucketCounts, h2.ExplicitBounds = []uint64{0}, nil
	ps = append(ps, h2)
	e := common(5, "latency.exp", model.MetricExponentialHistogram)
	e.Temporality, e.Count, e.Sum, e.HasSum, e.Min, e.HasMin, e.Max, e.HasMax = model.TemporalityDelta, 20, 55.5, true, 0.001, true, 1000, true
	e.Scale, e.ZeroCount, e.ZeroThreshold = -3, 2, 1e-9
	e.PositiveOffset, e.PositiveBucketCounts = -2, []uint64{1, 0, 5, 1 << 40}
	e.NegativeOffset, e.NegativeBucketCounts = 4, []uint64{3}
	ps = append(ps, e)
	sm := common(6, "rpc.summary", model.MetricSummary)
	sm.Count, sm.Sum, sm.HasSum = 100, 2048.5, true
	sm.Quantiles = []model.QuantileValue{{Quantile: 0, Value: 1}, {Quantile: 0.5, Value: 20.5}, {Quantile: 1, Value: 300}}
	ps = append(ps, sm)
	return ps
}
