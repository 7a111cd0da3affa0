package otlp

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/model"
)

// memWriter records what it is asked to write. block, when set, holds writes until closed;
// err, when set, fails them.
type memWriter struct {
	mu      sync.Mutex
	batches []model.Batch
	entered chan struct{}
	block   chan struct{}
	err     error
}

func (w *memWriter) Write(ctx context.Context, b *model.Batch) error {
	if w.entered != nil {
		w.entered <- struct{}{}
	}
	if w.block != nil {
		<-w.block
	}
	if w.err != nil {
		return w.err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.batches = append(w.batches, model.Batch{
		Logs:    append([]model.LogRecord(nil), b.Logs...),
		Spans:   append([]model.Span(nil), b.Spans...),
		Metrics: append([]model.MetricPoint(nil), b.Metrics...),
	})
	return nil
}

func (w *memWriter) all() model.Batch {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out model.Batch
	for _, b := range w.batches {
		out.Logs = append(out.Logs, b.Logs...)
		out.Spans = append(out.Spans, b.Spans...)
		out.Metrics = append(out.Metrics, b.Metrics...)
	}
	return out
}

func testOptions(t *testing.T, w *memWriter, po ingest.Options) Options {
	t.Helper()
	if po.MaxInflightRows == 0 {
		po = ingest.DefaultOptions()
	}
	p, err := ingest.New(w, po)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.Pipeline = p
	o.MaxRequestBytes = 1 << 20
	o.Logger = slog.New(slog.DiscardHandler)
	return o
}

const now = uint64(1_790_000_000_000_000_000)

var (
	goodTrace = []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	goodSpan  = []byte{1, 2, 3, 4, 5, 6, 7, 8}
)

func resource() *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name",
		Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "checkout"}}}}}
}

// logsRequest has two valid records, one with a 3-byte trace id and one with no timestamp.
func logsRequest() *collogspb.ExportLogsServiceRequest {
	body := func(s string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
	}
	return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: resource(),
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{
			{TimeUnixNano: now, Body: body("one"), TraceId: goodTrace, SpanId: goodSpan},
			{TimeUnixNano: now + 1, Body: body("two")},
			{TimeUnixNano: now + 2, Body: body("bad id"), TraceId: []byte{1, 2, 3}},
			{Body: body("no time")},
		}}},
	}}}
}

func validLogsRequest() *collogspb.ExportLogsServiceRequest {
	r := logsRequest()
	sl := r.ResourceLogs[0].ScopeLogs[0]
	sl.LogRecords = sl.LogRecords[:2]
	return r
}

// tracesRequest has one valid span and one with an 8-byte trace id.
func tracesRequest() *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: resource(),
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			{TraceId: goodTrace, SpanId: goodSpan, Name: "GET /", StartTimeUnixNano: now, EndTimeUnixNano: now + 5},
			{TraceId: goodSpan, SpanId: goodSpan, Name: "bad", StartTimeUnixNano: now, EndTimeUnixNano: now + 5},
		}}},
	}}}
}

// metricsRequest has one valid gauge point and one with no timestamp.
func metricsRequest() *colmetricspb.ExportMetricsServiceRequest {
	return &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: resource(),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{{
			Name: "cpu",
			Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
				{TimeUnixNano: now, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 0.5}},
				{Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 0.7}},
			}}},
		}}}},
	}}}
}

type discard struct{}

func (discard) Write(context.Context, *model.Batch) error { return nil }
