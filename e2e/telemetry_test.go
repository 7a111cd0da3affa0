package e2e

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// sent is what one transport's run sent, to check against what the REST API returns.
type sent struct {
	service  string
	logTime  time.Time
	logBody  string
	traceID  trace.TraceID
	rootSpan trace.SpanID
	child    trace.SpanID
	linked   trace.SpanContext
	start    time.Time
	end      time.Time
}

// Values chosen so that a lost nanosecond, a swapped id or a mangled attribute shows.
func sendTelemetry(t *testing.T, s *server, transport string) sent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := time.Unix(time.Now().Add(-time.Minute).Unix(), 123_456_789)
	out := sent{service: "e2e-" + transport, logBody: "payment failed via " + transport}
	res := resource.NewSchemaless(attribute.String("service.name", out.service), attribute.String("deployment.environment", "test"))

	var (
		logExp   sdklog.Exporter
		traceExp sdktrace.SpanExporter
		metExp   sdkmetric.Exporter
		err      error
	)
	switch transport {
	case "grpc":
		logExp, err = otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(s.grpc), otlploggrpc.WithInsecure(), otlploggrpc.WithCompressor("gzip"))
		if err == nil {
			traceExp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(s.grpc), otlptracegrpc.WithInsecure(), otlptracegrpc.WithCompressor("gzip"))
		}
		if err == nil {
			metExp, err = otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(s.grpc), otlpmetricgrpc.WithInsecure())
		}
	case "http":
		logExp, err = otlploghttp.New(ctx, otlploghttp.WithEndpoint(s.otlpHTTP), otlploghttp.WithInsecure(), otlploghttp.WithCompression(otlploghttp.GzipCompression))
		if err == nil {
			traceExp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(s.otlpHTTP), otlptracehttp.WithInsecure())
		}
		if err == nil {
			metExp, err = otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(s.otlpHTTP), otlpmetrichttp.WithInsecure())
		}
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	if err != nil {
		t.Fatal(err)
	}

	// Traces: a root span with an event and a link, and one child.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(traceExp), sdktrace.WithResource(res))
	tracer := tp.Tracer("heimsight.e2e", trace.WithInstrumentationVersion("0.1.0"))
	out.linked = trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		SpanID:  trace.SpanID{0xcd, 1, 2, 3, 4, 5, 6, 7}, TraceFlags: trace.FlagsSampled,
	})
	out.start = base
	out.end = base.Add(250*time.Millisecond + 17)
	rootCtx, root := tracer.Start(ctx, "POST /checkout", trace.WithTimestamp(out.start), trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.method", "POST"), attribute.Int("http.status_code", 502)),
		trace.WithLinks(trace.Link{SpanContext: out.linked, Attributes: []attribute.KeyValue{attribute.String("link.kind", "retry")}}))
	root.AddEvent("exception", trace.WithTimestamp(base.Add(10*time.Millisecond)), trace.WithAttributes(attribute.String("exception.type", "Timeout")))
	_, child := tracer.Start(rootCtx, "SELECT orders", trace.WithTimestamp(base.Add(time.Millisecond)), trace.WithSpanKind(trace.SpanKindClient))
	child.End(trace.WithTimestamp(base.Add(50 * time.Millisecond)))
	out.traceID = root.SpanContext().TraceID()
	out.rootSpan = root.SpanContext().SpanID()
	out.child = child.SpanContext().SpanID()

	// Logs: one record inside the root span, with every attribute value kind.
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(logExp)), sdklog.WithResource(res))
	var rec otellog.Record
	out.logTime = base.Add(5 * time.Millisecond)
	rec.SetTimestamp(out.logTime)
	rec.SetObservedTimestamp(out.logTime.Add(time.Millisecond))
	rec.SetSeverity(otellog.SeverityError)
	rec.SetSeverityText("ERROR")
	rec.SetBody(attribute.StringValue(out.logBody))
	rec.AddAttributes(
		attribute.String("str", "value"),
		attribute.Int64("int", -42),
		attribute.Bool("bool", true),
		attribute.Float64("double", 2.5),
		attribute.ByteSlice("bytes", []byte{1, 2, 3}),
		attribute.Slice("array", attribute.StringValue("a"), attribute.Int64Value(1)),
		attribute.Map("map", attribute.String("k", "v")),
	)
	lp.Logger("heimsight.e2e").Emit(rootCtx, rec)
	root.End(trace.WithTimestamp(out.end))

	// Metrics: gauge, counter (sum), explicit-bucket histogram, exponential histogram.
	reader := sdkmetric.NewPeriodicReader(metExp, sdkmetric.WithInterval(time.Hour))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res),
		sdkmetric.WithView(sdkmetric.NewView(sdkmetric.Instrument{Name: "e2e.exphist"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})))
	meter := mp.Meter("heimsight.e2e")
	gauge, _ := meter.Float64Gauge("e2e.gauge")
	gauge.Record(ctx, 42.5, metric.WithAttributes(attribute.String("core", "0")))
	counter, _ := meter.Int64Counter("e2e.counter")
	counter.Add(ctx, 7)
	hist, _ := meter.Float64Histogram("e2e.hist", metric.WithExplicitBucketBoundaries(10, 100), metric.WithUnit("ms"))
	for _, v := range []float64{3, 30, 300} {
		hist.Record(ctx, v)
	}
	exph, _ := meter.Float64Histogram("e2e.exphist")
	for _, v := range []float64{1, 2, 4} {
		exph.Record(ctx, v)
	}

	// Shutdown flushes; the meter provider is only shut down (a ForceFlush before it would export
	// every cumulative point twice).
	for name, shutdown := range map[string]func(context.Context) error{
		"traces": tp.Shutdown, "logs": lp.Shutdown, "metrics": mp.Shutdown,
	} {
		if err := shutdown(ctx); err != nil {
			t.Fatalf("%s: shutdown %s: %v", transport, name, err)
		}
	}
	return out
}
