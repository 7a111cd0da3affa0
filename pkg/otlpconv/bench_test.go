package otlpconv

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// Each benchmark converts one 1,000-item request (records with ten attributes) per iteration
// and reports ns and allocations per item. "struct" is proto.Unmarshal plus the struct path
// (what a gRPC server does), "convert" the struct path alone, "wire" is DecodeProto.

const benchItems = 1000

func benchPerItem(b *testing.B, body []byte, fn func([]byte) int) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if n := fn(body); n != benchItems {
			b.Fatalf("converted %d items", n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchItems), "ns/item")
	// CPU time includes the garbage collector's background work; wall time may include
	// other processes.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N*benchItems), "cpu-ns/item")
	allocs := testing.AllocsPerRun(3, func() { fn(body) })
	b.ReportMetric(allocs/benchItems, "allocs/item")
}

func benchmarkSignal(b *testing.B, sig Signal, req proto.Message) {
	body := mustMarshal(b, req)
	b.Run("struct", func(b *testing.B) {
		benchPerItem(b, body, func(body []byte) int {
			res, err := viaStructs(sig, body)
			if err != nil {
				b.Fatal(err)
			}
			return res.Batch.Len()
		})
	})
	b.Run("convert", func(b *testing.B) {
		// The struct path alone, as a gRPC server pays it after its own proto.Unmarshal.
		var req proto.Message
		switch sig {
		case SignalLogs:
			req = &collogspb.ExportLogsServiceRequest{}
		case SignalTraces:
			req = &coltracepb.ExportTraceServiceRequest{}
		default:
			req = &colmetricspb.ExportMetricsServiceRequest{}
		}
		if err := proto.Unmarshal(body, req); err != nil {
			b.Fatal(err)
		}
		benchPerItem(b, body, func([]byte) int {
			var res Result
			switch r := req.(type) {
			case *collogspb.ExportLogsServiceRequest:
				res = Logs(r)
			case *coltracepb.ExportTraceServiceRequest:
				res = Traces(r)
			case *colmetricspb.ExportMetricsServiceRequest:
				res = Metrics(r)
			}
			return res.Batch.Len()
		})
	})
	b.Run("wire", func(b *testing.B) {
		benchPerItem(b, body, func(body []byte) int {
			res, err := DecodeProto(sig, body)
			if err != nil {
				b.Fatal(err)
			}
			return res.Batch.Len()
		})
	})
}

func BenchmarkLogs(b *testing.B)    { benchmarkSignal(b, SignalLogs, logsRequest(benchItems)) }
func BenchmarkTraces(b *testing.B)  { benchmarkSignal(b, SignalTraces, tracesRequest(benchItems)) }
func BenchmarkMetrics(b *testing.B) { benchmarkSignal(b, SignalMetrics, metricsRequest(benchItems)) }

// BenchmarkJSONLogs measures the OTLP/JSON path (hex-id rewrite, protojson, struct path).
func BenchmarkJSONLogs(b *testing.B) {
	js, err := protojson.Marshal(logsRequest(benchItems))
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(strings.ReplaceAll(strings.ReplaceAll(string(js),
		`"`+base64.StdEncoding.EncodeToString(tid1)+`"`, `"`+hex.EncodeToString(tid1)+`"`),
		`"`+base64.StdEncoding.EncodeToString(sid1)+`"`, `"`+hex.EncodeToString(sid1)+`"`))
	benchPerItem(b, body, func(body []byte) int {
		res, err := DecodeJSON(SignalLogs, body)
		if err != nil || res.Rejected != 0 {
			b.Fatal(err, res.ErrorMessage)
		}
		return res.Batch.Len()
	})
}
