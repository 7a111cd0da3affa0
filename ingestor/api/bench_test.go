//go:build duckdb_arrow

package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

// BenchmarkOTLPHTTPLogsIntoEmbedded measures the whole ingest path of the throughput target:
// OTLP/HTTP protobuf, 1,000 records of 10 attributes per request, into the embedded store.
func BenchmarkOTLPHTTPLogsIntoEmbedded(b *testing.B) {
	t := &testing.T{}
	e := newEnv(t)
	str := func(s string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
	}
	var recs []*logspb.LogRecord
	for i := range 1000 {
		var attrs []*commonpb.KeyValue
		for j := range 10 {
			attrs = append(attrs, &commonpb.KeyValue{Key: fmt.Sprintf("attr.%d", j), Value: str(fmt.Sprintf("value-%d-%d", j, i%50))})
		}
		recs = append(recs, &logspb.LogRecord{TimeUnixNano: uint64(base + int64(i)), SeverityNumber: 9, SeverityText: "INFO",
			Body: str(fmt.Sprintf("request %d handled in %d ms", i, i%300)), Attributes: attrs,
			TraceId: bytes.Repeat([]byte{byte(i)}, 16), SpanId: bytes.Repeat([]byte{byte(i + 1)}, 8)})
	}
	body, _ := proto.Marshal(&collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: str("bench")}}},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: recs}},
	}}})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, "/v1/logs", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/x-protobuf")
			rec := httptest.NewRecorder()
			e.api.ServeHTTP(rec, r)
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
}
