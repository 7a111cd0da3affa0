package clickhouse

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/model"
)

// benchLogs is a realistic flush: 8192 records from 4 resources (7 attributes each, as an SDK
// sends), 5 record attributes of mixed kinds, a ~90-byte body, trace context on every record.
func benchLogs() []model.LogRecord {
	var resources []*model.Resource
	for r := range 4 {
		resources = append(resources, &model.Resource{Attributes: model.Attributes{
			model.StringKV("service.name", fmt.Sprintf("svc-%d", r)), model.StringKV("service.version", "1.4.2"),
			model.StringKV("host.name", "node-17"), model.StringKV("k8s.pod.name", "checkout-7d9f8b6c5-x2x4q"),
			model.StringKV("k8s.namespace.name", "shop"), model.StringKV("telemetry.sdk.language", "go"),
			model.KV("process.pid", model.IntValue(4242)),
		}})
	}
	scope := &model.Scope{Name: "github.com/acme/shop/checkout", Version: "0.9.0"}
	tid, _ := model.ParseTraceID("0af7651916cd43dd8448eb211c80319c")
	sid, _ := model.ParseSpanID("b7ad6b7169203331")
	logs := make([]model.LogRecord, 8192)
	for i := range logs {
		logs[i] = model.LogRecord{
			Timestamp: 1_764_201_600_000_000_000 + int64(i)*1000, ObservedTimestamp: 1_764_201_600_000_000_000 + int64(i)*1000 + 7,
			SeverityNumber: 9, SeverityText: "INFO", TraceID: tid, SpanID: sid, Flags: 1,
			Body: model.StringValue(fmt.Sprintf("order %d placed: 3 items, total 42.17 EUR, payment authorised by provider stripe", i)),
			Attributes: model.Attributes{model.StringKV("http.method", "POST"), model.KV("http.status_code", model.IntValue(201)),
				model.StringKV("http.route", "/api/orders"), model.KV("duration_ms", model.DoubleValue(12.5)), model.KV("retry", model.BoolValue(false))},
			Resource: resources[i%len(resources)], Scope: scope,
		}
	}
	return logs
}

// cpuTime is the process's user+system CPU time. The benchmarks report rows per CPU-second
// next to rows per wall-second, because on a shared machine wall time mostly measures the
// neighbours; CPU time includes the garbage collector's work on other threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRows(b *testing.B, rows int, cpu0 time.Duration) {
	total := float64(rows * b.N)
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(total/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}

// BenchmarkLogsBufferAdd measures the encoding step this package owns: model rows into the
// table's reused ch-go columns (attribute rendering, id hex, resource caching).
func BenchmarkLogsBufferAdd(b *testing.B) {
	logs := benchLogs()
	buf := newColLogs()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		buf.reset()
		for i := range logs {
			buf.addLog(&logs[i])
		}
	}
	reportRows(b, len(logs), cpu0)
}

// BenchmarkLogsEncodeBlock measures everything a flush does on the client before compression
// and the network: model rows into the reused columns and the columns serialised as the data
// block ch-go's client sends. Only the INSERT's round trips, LZ4 and the socket write are left
// out: they need a server.
func BenchmarkLogsEncodeBlock(b *testing.B) {
	logs := benchLogs()
	benchColEncode(b, idxLogs, len(logs), func(buf colBuffer) {
		for i := range logs {
			buf.add(&logs[i])
		}
	})
}
