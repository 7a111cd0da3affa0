package main

import (
	"math/rand/v2"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"
)

// The patched body must decode, and every timestamp must be the send time plus its offset.
func TestTemplateRenderPatchesEveryTimestamp(t *testing.T) {
	const now = int64(1_800_000_000_000_000_000)
	for _, sig := range []string{"logs", "traces", "metrics"} {
		o := options{signal: sig, batch: 50, attrs: 10, pointsPerMetric: 20}
		tm, err := buildTemplate(o, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatalf("%s: %v", sig, err)
		}
		body := tm.render(nil, now)
		inRange := func(what string, ts uint64) {
			t.Helper()
			if int64(ts) < now-int64(2*3600e9) || int64(ts) > now+int64(3600e9) {
				t.Fatalf("%s: %s = %d not patched near %d", sig, what, ts, now)
			}
		}
		switch sig {
		case "logs":
			var req collogspb.ExportLogsServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
			recs := req.ResourceLogs[0].ScopeLogs[0].LogRecords
			if len(recs) != 50 {
				t.Fatalf("got %d records", len(recs))
			}
			for _, r := range recs {
				inRange("time", r.TimeUnixNano)
				inRange("observed", r.ObservedTimeUnixNano)
				if len(r.Attributes) != 10 || len(r.TraceId) != 16 {
					t.Fatalf("bad record %v", r)
				}
			}
		case "traces":
			var req coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
			for _, s := range req.ResourceSpans[0].ScopeSpans[0].Spans {
				inRange("start", s.StartTimeUnixNano)
				inRange("end", s.EndTimeUnixNano)
				if s.EndTimeUnixNano < s.StartTimeUnixNano {
					t.Fatalf("end before start: %v", s)
				}
			}
		case "metrics":
			var req colmetricspb.ExportMetricsServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
			points := 0
			for _, m := range req.ResourceMetrics[0].ScopeMetrics[0].Metrics {
				switch d := m.Data.(type) {
				case *metricspb.Metric_Gauge:
					points += len(d.Gauge.DataPoints)
				case *metricspb.Metric_Sum:
					points += len(d.Sum.DataPoints)
				case *metricspb.Metric_Histogram:
					points += len(d.Histogram.DataPoints)
				}
			}
			if n := len(req.ResourceMetrics[0].ScopeMetrics[0].Metrics); points != 50 || n != 3 {
				t.Fatalf("got %d points in %d metrics, want 50 in 3", points, n)
			}
		}
	}
}
