package otlpconv

import (
	"fmt"
	"math"
	"reflect"
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

// diff returns "" when a and b are deeply equal, else the path of the first difference. Unlike
// reflect.DeepEqual it compares floats by their bits, so NaN equals NaN, and it tells nil
// from empty slices (the converters promise nil for empty lists).
func diff(a, b any) string {
	return diffValue("", reflect.ValueOf(a), reflect.ValueOf(b), map[[2]uintptr]bool{})
}

func diffValue(path string, a, b reflect.Value, seen map[[2]uintptr]bool) string {
	if a.IsValid() != b.IsValid() {
		return path + ": validity differs"
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: type %v != %v", path, a.Type(), b.Type())
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		if math.Float64bits(a.Float()) != math.Float64bits(b.Float()) {
			return fmt.Sprintf("%s: %v != %v", path, a.Float(), b.Float())
		}
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path + ": nil pointer on one side"
			}
			return ""
		}
		k := [2]uintptr{a.Pointer(), b.Pointer()}
		if seen[k] {
			return ""
		}
		seen[k] = true
		return diffValue("(*"+path+")", a.Elem(), b.Elem(), seen)
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil slice on one side (len %d vs %d)", path, a.Len(), b.Len())
		}
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: len %d != %d", path, a.Len(), b.Len())
		}
		for i := 0; i < a.Len(); i++ {
			if d := diffValue(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), seen); d != "" {
				return d
			}
		}
	case reflect.Array:
		for i := 0; i < a.Len(); i++ {
			if d := diffValue(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), seen); d != "" {
				return d
			}
		}
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if d := diffValue(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i), seen); d != "" {
				return d
			}
		}
	case reflect.String:
		if a.String() != b.String() {
			return fmt.Sprintf("%s: %q != %q", path, a.String(), b.String())
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return fmt.Sprintf("%s: %v != %v", path, a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			return fmt.Sprintf("%s: %v != %v", path, a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			return fmt.Sprintf("%s: %v != %v", path, a.Uint(), b.Uint())
		}
	default:
		panic("diff: unsupported kind " + a.Kind().String())
	}
	return ""
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Builders for test requests.

func sv(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}
func iv(i int64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: i}}
}
func dv(f float64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
}
func bv(b bool) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}}
}
func byv(b []byte) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: b}}
}
func av(vs ...*commonpb.AnyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
}
func kvl(kvs ...*commonpb.KeyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: kvs}}}
}
func kv(k string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: v}
}

var (
	tid1  = []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	sid1  = []byte{1, 1, 2, 2, 3, 3, 4, 4}
	sid2  = []byte{9, 9, 8, 8, 7, 7, 6, 6}
	tBase = uint64(1_700_000_000_000_000_000)
)

func testResource(i int) *resourcepb.Resource {
	return &resourcepb.Resource{
		Attributes: []*commonpb.KeyValue{
			kv("service.name", sv(fmt.Sprintf("svc-%d", i))),
			kv("host.name", sv("host-a")),
			kv("process.pid", iv(4242)),
		},
		DroppedAttributesCount: 1,
	}
}

func testScope() *commonpb.InstrumentationScope {
	return &commonpb.InstrumentationScope{Name: "io.heimsight.test", Version: "1.2.3",
		Attributes: []*commonpb.KeyValue{kv("scope.attr", bv(true))}, DroppedAttributesCount: 2}
}

// attrs10 is a realistic attribute list of ten entries of mixed kinds.
func attrs10(i int) []*commonpb.KeyValue {
	return []*commonpb.KeyValue{
		kv("http.method", sv("GET")),
		kv("http.route", sv("/api/v1/items/{id}")),
		kv("http.status_code", iv(200+int64(i%5))),
		kv("http.url", sv(fmt.Sprintf("https://example.com/api/v1/items/%d?x=y", i))),
		kv("user.id", sv(fmt.Sprintf("user-%06d", i))),
		kv("duration_ms", dv(float64(i)*0.25)),
		kv("cache.hit", bv(i%2 == 0)),
		kv("peer.ip", sv("10.0.0.12")),
		kv("thread.name", sv("worker-3")),
		kv("request.size", iv(int64(1000+i))),
	}
}

func logsRequest(n int) *collogspb.ExportLogsServiceRequest {
	recs := make([]*logspb.LogRecord, n)
	for i := range recs {
		recs[i] = &logspb.LogRecord{
			TimeUnixNano:         tBase + uint64(i),
			ObservedTimeUnixNano: tBase + uint64(i) + 5,
			SeverityNumber:       logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
			SeverityText:         "INFO",
			Body:                 sv(fmt.Sprintf("request %d served in %d ms from cache shard 7", i, i%100)),
			Attributes:           attrs10(i),
			Flags:                1,
			TraceId:              tid1,
			SpanId:               sid1,
		}
	}
	return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  testResource(0),
		ScopeLogs: []*logspb.ScopeLogs{{Scope: testScope(), LogRecords: recs, SchemaUrl: "https://opentelemetry.io/schemas/1.26.0"}},
		SchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
	}}}
}

func tracesRequest(n int) *coltracepb.ExportTraceServiceRequest {
	spans := make([]*tracepb.Span, n)
	for i := range spans {
		sid := []byte{byte(i >> 8), byte(i), 3, 4, 5, 6, 7, 8}
		spans[i] = &tracepb.Span{
			TraceId: tid1, SpanId: sid, ParentSpanId: sid1, TraceState: "vendor=x", Flags: 0x101,
			Name: "GET /api/v1/items/{id}", Kind: tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: tBase + uint64(i), EndTimeUnixNano: tBase + uint64(i) + 1_000_000,
			Attributes: attrs10(i), DroppedAttributesCount: 1,
			Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK, Message: "fine"},
		}
		if i%10 == 0 {
			spans[i].Events = []*tracepb.Span_Event{{TimeUnixNano: tBase + uint64(i) + 10, Name: "cache.miss",
				Attributes: []*commonpb.KeyValue{kv("shard", iv(7))}, DroppedAttributesCount: 3}}
			spans[i].Links = []*tracepb.Span_Link{{TraceId: tid1, SpanId: sid2, TraceState: "a=b",
				Attributes: []*commonpb.KeyValue{kv("link.kind", sv("follows"))}, Flags: 1}}
			spans[i].DroppedEventsCount, spans[i].DroppedLinksCount = 4, 5
		}
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   testResource(1),
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: testScope(), Spans: spans}},
	}}}
}

// metricsRequest has n data points: half gauge points, half histogram points.
func metricsRequest(n int) *colmetricspb.ExportMetricsServiceRequest {
	gauge := make([]*metricspb.NumberDataPoint, n/2)
	for i := range gauge {
		gauge[i] = &metricspb.NumberDataPoint{
			Attributes: attrs10(i), StartTimeUnixNano: tBase, TimeUnixNano: tBase + uint64(i),
			Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: float64(i) * 1.5},
		}
	}
	hist := make([]*metricspb.HistogramDataPoint, n-n/2)
	for i := range hist {
		sum, mn, mx := float64(i)*10, 0.5, 99.0
		hist[i] = &metricspb.HistogramDataPoint{
			Attributes: attrs10(i), StartTimeUnixNano: tBase, TimeUnixNano: tBase + uint64(i),
			Count: uint64(10 + i), Sum: &sum, Min: &mn, Max: &mx,
			BucketCounts:   []uint64{1, 2, 3, 4, uint64(i)},
			ExplicitBounds: []float64{1, 5, 10, 50},
		}
		if i%10 == 0 {
			hist[i].Exemplars = []*metricspb.Exemplar{{TimeUnixNano: tBase + 3, TraceId: tid1, SpanId: sid1,
				Value: &metricspb.Exemplar_AsInt{AsInt: 42}, FilteredAttributes: []*commonpb.KeyValue{kv("user", sv("u1"))}}}
		}
	}
	return &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: testResource(2),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Scope: testScope(), Metrics: []*metricspb.Metric{
			{Name: "cpu.utilization", Unit: "1", Description: "CPU", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: gauge}}},
			{Name: "http.server.duration", Unit: "ms", Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
				AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE, DataPoints: hist}}},
		}}},
	}}}
}

// viaStructs decodes body with proto.Unmarshal and converts with the struct path.
func viaStructs(sig Signal, body []byte) (Result, error) {
	switch sig {
	case SignalLogs:
		var req collogspb.ExportLogsServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			return Result{}, err
		}
		return Logs(&req), nil
	case SignalTraces:
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			return Result{}, err
		}
		return Traces(&req), nil
	default:
		var req colmetricspb.ExportMetricsServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			return Result{}, err
		}
		return Metrics(&req), nil
	}
}

// checkDifferential asserts that DecodeProto agrees with proto.Unmarshal plus the struct path
// whenever proto.Unmarshal accepts body, and that it never panics.
func checkDifferential(t testing.TB, sig Signal, body []byte) {
	t.Helper()
	differential(t, sig, body, false)
}

// mustAgree is checkDifferential for bodies that proto.Unmarshal must accept.
func mustAgree(t testing.TB, sig Signal, body []byte) {
	t.Helper()
	differential(t, sig, body, true)
}

func differential(t testing.TB, sig Signal, body []byte, mustAccept bool) {
	t.Helper()
	fast, ferr := DecodeProto(sig, body)
	ref, rerr := viaStructs(sig, body)
	if rerr != nil {
		if mustAccept {
			t.Fatalf("%s: proto.Unmarshal rejects the body: %v", sig, rerr)
		}
		return
	}
	if ferr != nil {
		t.Fatalf("%s: proto.Unmarshal accepts the body but DecodeProto fails: %v", sig, ferr)
	}
	if d := diff(ref, fast); d != "" {
		t.Fatalf("%s: DecodeProto differs from the struct path at %s", sig, d)
	}
}
