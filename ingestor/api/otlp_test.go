//go:build duckdb_arrow

package api

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestOTLPProtobufIntoStore sends gzip'd OTLP protobuf with bad records mixed in through the
// REST port and checks the valid ones reach the embedded store and the rest are counted.
func TestOTLPProtobufIntoStore(t *testing.T) {
	e := newEnv(t)
	trace := bytes.Repeat([]byte{7}, 16)
	logs := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{ScopeLogs: []*logspb.ScopeLogs{{
		LogRecords: []*logspb.LogRecord{
			{TimeUnixNano: 1_795_000_000_000_000_000, TraceId: trace},
			{ObservedTimeUnixNano: 1_795_000_000_000_000_001}, // observed time stands in
			{}, // no timestamp at all
			{TimeUnixNano: 1_795_000_000_000_000_002, TraceId: trace[:15]}, // 15-byte trace id
			{TimeUnixNano: 1_795_000_000_000_000_003, SpanId: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		}}}}}}
	spans := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{
		Spans: []*tracepb.Span{
			{TraceId: trace, SpanId: []byte{1, 1, 1, 1, 1, 1, 1, 1}, Name: "ok", StartTimeUnixNano: 5, EndTimeUnixNano: 6},
			{TraceId: make([]byte, 16), SpanId: []byte{1, 1, 1, 1, 1, 1, 1, 2}, Name: "zero trace", StartTimeUnixNano: 5, EndTimeUnixNano: 6},
			{TraceId: trace, SpanId: []byte{1, 1, 1, 1, 1, 1, 1, 3}, Name: "no start"},
		}}}}}}
	for _, tc := range []struct {
		path     string
		req      proto.Message
		resp     interface{ proto.Message }
		table    string
		stored   int64
		rejected int64
	}{
		{"/v1/logs", logs, &collogspb.ExportLogsServiceResponse{}, "logs", 2, 3},
		{"/v1/traces", spans, &coltracepb.ExportTraceServiceResponse{}, "spans", 1, 2},
	} {
		raw, _ := proto.Marshal(tc.req)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(raw)
		zw.Close()
		r := newRequest(http.MethodPost, tc.path, gz.Bytes())
		r.Header.Set("Content-Type", "application/x-protobuf")
		r.Header.Set("Content-Encoding", "gzip")
		rec := serve(e, r)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-protobuf" {
			t.Fatalf("%s: %d %q", tc.path, rec.Code, rec.Body.String())
		}
		if err := proto.Unmarshal(rec.Body.Bytes(), tc.resp); err != nil {
			t.Fatal(err)
		}
		var rejected int64
		switch m := tc.resp.(type) {
		case *collogspb.ExportLogsServiceResponse:
			rejected = m.GetPartialSuccess().GetRejectedLogRecords()
		case *coltracepb.ExportTraceServiceResponse:
			rejected = m.GetPartialSuccess().GetRejectedSpans()
		}
		if rejected != tc.rejected {
			t.Fatalf("%s: rejected %d (%v)", tc.path, rejected, tc.resp)
		}
		if n := e.count(t, tc.table); n != tc.stored {
			t.Fatalf("%s: stored %d, want %d", tc.path, n, tc.stored)
		}
	}
}
