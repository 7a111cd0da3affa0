// Command heimsight-load is Heimsight's ingest load generator: it sends OTLP/HTTP protobuf
// batches from N concurrent connections for a bounded time and prints records/s, bytes/s,
// request latency and the server's peak RSS.
//
// Request bodies are built once from templates (varied bodies, attributes, ids) and their
// timestamps are patched in place before every send, so the server sees fresh, correctly
// partitioned data while the generator spends almost no CPU (it shares the machine with the server).
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

type options struct {
	url         string
	signal      string
	conns       int
	batch       int
	attrs       int
	duration    time.Duration
	maxRequests int64
	templates   int
	gzip        bool
	pid         int
	seed        uint64

	pointsPerMetric int
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:4318", "OTLP/HTTP base URL")
	flag.StringVar(&o.signal, "signal", "logs", "logs, traces or metrics")
	flag.IntVar(&o.conns, "c", 4, "concurrent connections")
	flag.IntVar(&o.batch, "batch", 1000, "records (log records, spans or data points) per request")
	flag.IntVar(&o.attrs, "attrs", 10, "attributes per record")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long to send")
	flag.Int64Var(&o.maxRequests, "max-requests", 1_000_000, "stop after this many requests")
	flag.IntVar(&o.templates, "templates", 32, "distinct request templates")
	flag.BoolVar(&o.gzip, "gzip", false, "gzip request bodies")
	flag.IntVar(&o.pid, "pid", 0, "server process id, to report its peak RSS (VmHWM)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed for the templates")
	flag.IntVar(&o.pointsPerMetric, "points-per-metric", 20, "metrics: data points (attribute sets) per metric, as an SDK groups them")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "heimsight-load:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.conns < 1 || o.batch < 1 || o.templates < 1 || o.pointsPerMetric < 1 {
		return fmt.Errorf("-c, -batch, -templates and -points-per-metric must be positive")
	}
	var path string
	switch o.signal {
	case "logs", "traces", "metrics":
		path = "/v1/" + o.signal
	default:
		return fmt.Errorf("unknown -signal %q (want logs, traces or metrics)", o.signal)
	}
	rng := rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15))
	tmpls := make([]*template, o.templates)
	for i := range tmpls {
		t, err := buildTemplate(o, rng)
		if err != nil {
			return err
		}
		tmpls[i] = t
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.conns, DisableCompression: true}, Timeout: 60 * time.Second}
	var (
		sent, records, bodyBytes, throttled, failed atomic.Int64
		mu                                          sync.Mutex
		latencies                                   []time.Duration
		firstErr                                    atomic.Value
	)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < o.conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]byte, 0, len(tmpls[0].body))
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			var local []time.Duration
			for i := w; ctx.Err() == nil; i += o.conns {
				if sent.Add(1) > o.maxRequests {
					break
				}
				t := tmpls[i%len(tmpls)]
				buf = t.render(buf[:0], time.Now().UnixNano())
				body := buf
				if o.gzip {
					gz.Reset()
					zw.Reset(&gz)
					zw.Write(buf)
					zw.Close()
					body = gz.Bytes()
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.url+path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-protobuf")
				if o.gzip {
					req.Header.Set("Content-Encoding", "gzip")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusOK:
					local = append(local, time.Since(t0))
					records.Add(int64(t.records))
					bodyBytes.Add(int64(len(buf)))
				case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
					throttled.Add(1)
					backoff := time.Second
					if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
						backoff = time.Duration(s) * time.Second
					}
					select {
					case <-ctx.Done():
					case <-time.After(backoff):
					}
				default:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, "HTTP "+resp.Status)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	fmt.Printf("signal=%s conns=%d batch=%d attrs=%d gzip=%v duration=%.1fs\n", o.signal, o.conns, o.batch, o.attrs, o.gzip, elapsed)
	fmt.Printf("requests_ok=%d throttled=%d failed=%d\n", len(latencies), throttled.Load(), failed.Load())
	fmt.Printf("records=%d records_per_s=%.0f bytes_per_s=%.0f (uncompressed protobuf) bytes_per_record=%.0f\n",
		records.Load(), float64(records.Load())/elapsed, float64(bodyBytes.Load())/elapsed,
		float64(bodyBytes.Load())/max(1, float64(records.Load())))
	fmt.Printf("latency_p50=%s latency_p99=%s latency_max=%s\n", pct(0.50), pct(0.99), pct(1))
	if o.pid > 0 {
		hwm, rss := procMemory(o.pid)
		fmt.Printf("server_peak_rss_mib=%.1f server_rss_mib=%.1f\n", float64(hwm)/1024, float64(rss)/1024)
	}
	if e, ok := firstErr.Load().(string); ok {
		fmt.Println("first_error:", e)
	}
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	return nil
}

// procMemory returns VmHWM and VmRSS of pid in KiB (0 when unreadable).
func procMemory(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = v
		case "VmRSS:":
			rss = v
		}
	}
	return hwm, rss
}

// template is a marshalled request whose timestamp fields are patched before each send.
// Timestamps in OTLP are fixed64 fields, so they sit in the body as 8 raw little-endian bytes:
// the template is marshalled with unique sentinel values and their offsets are recorded.
type template struct {
	body    []byte
	patches []patch
	records int
}

type patch struct {
	offset int
	rel    int64 // nanoseconds relative to the send time
}

func (t *template) render(dst []byte, now int64) []byte {
	dst = append(dst, t.body...)
	for _, p := range t.patches {
		binary.LittleEndian.PutUint64(dst[p.offset:], uint64(now+p.rel))
	}
	return dst
}

// sentinels hands out unique fixed64 values to mark timestamp fields.
type sentinels struct {
	next uint64
	rel  map[uint64]int64
}

func (s *sentinels) mark(rel int64) uint64 {
	s.next++
	v := 0x7E5A_0000_0000_0000 | s.next
	s.rel[v] = rel
	return v
}

func (s *sentinels) locate(body []byte) ([]patch, error) {
	var ps []patch
	for i := 0; i+8 <= len(body); i++ {
		if body[i+7] != 0x7E || body[i+6] != 0x5A {
			continue
		}
		v := binary.LittleEndian.Uint64(body[i:])
		if rel, ok := s.rel[v]; ok {
			ps = append(ps, patch{offset: i, rel: rel})
		}
	}
	if len(ps) != len(s.rel) {
		return nil, fmt.Errorf("template: found %d of %d timestamp fields", len(ps), len(s.rel))
	}
	return ps, nil
}

var (
	services   = []string{"checkout", "cart", "payment", "frontend", "auth", "search", "shipping", "inventory"}
	operations = []string{"GET /api/cart", "POST /api/checkout", "SELECT orders", "redis GET", "grpc Payment/Charge", "GET /api/search", "publish order.created"}
	methods    = []string{"GET", "POST", "PUT", "DELETE"}
	severities = []struct {
		n    logspb.SeverityNumber
		text string
	}{{logspb.SeverityNumber_SEVERITY_NUMBER_DEBUG, "DEBUG"}, {logspb.SeverityNumber_SEVERITY_NUMBER_INFO, "INFO"}, {logspb.SeverityNumber_SEVERITY_NUMBER_INFO, "INFO"}, {logspb.SeverityNumber_SEVERITY_NUMBER_INFO, "INFO"}, {logspb.SeverityNumber_SEVERITY_NUMBER_WARN, "WARN"}, {logspb.SeverityNumber_SEVERITY_NUMBER_ERROR, "ERROR"}}
	messages = []string{
		"request completed in %d ms for user %d",
		"connection to 10.0.%d.%d:5432 established",
		"cache miss for key session:%d:%d",
		"payment declined: card ending %d, attempt %d",
		"upstream timeout after %d ms (retry %d)",
		"order %d shipped to warehouse %d",
	}
)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func i64(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func recordAttrs(rng *rand.Rand, n int) []*commonpb.KeyValue {
	base := []*commonpb.KeyValue{
		str("http.method", methods[rng.IntN(len(methods))]),
		i64("http.status_code", []int64{200, 200, 200, 201, 404, 500}[rng.IntN(6)]),
		str("http.route", operations[rng.IntN(len(operations))]),
		str("user.id", "u-"+strconv.Itoa(rng.IntN(100000))),
		str("net.peer.ip", fmt.Sprintf("10.0.%d.%d", rng.IntN(256), rng.IntN(256))),
		str("thread.name", "worker-"+strconv.Itoa(rng.IntN(32))),
		i64("retry.count", int64(rng.IntN(4))),
		str("code.function", "handle"+strconv.Itoa(rng.IntN(50))),
		str("session.id", fmt.Sprintf("%016x", rng.Uint64())),
		str("region", []string{"eu-west-1", "us-east-1", "ap-south-1"}[rng.IntN(3)]),
	}
	for len(base) < n {
		base = append(base, str("extra."+strconv.Itoa(len(base)), strconv.Itoa(rng.IntN(1000))))
	}
	return base[:n]
}

func resource(svc string, pod int) *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		str("service.name", svc), str("service.version", "1.4.2"),
		str("k8s.pod.name", fmt.Sprintf("%s-%d", svc, pod)), str("host.name", fmt.Sprintf("node-%d", pod%5)),
	}}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

func buildTemplate(o options, rng *rand.Rand) (*template, error) {
	s := &sentinels{rel: map[uint64]int64{}}
	var msg proto.Message
	svc := services[rng.IntN(len(services))]
	res := resource(svc, rng.IntN(20))
	scope := &commonpb.InstrumentationScope{Name: "heimsight-load", Version: "1.0.0"}
	// Records spread over the last second before the send time.
	relTime := func(i int) int64 { return -int64(time.Second) + int64(i)*int64(time.Second)/int64(o.batch) }
	switch o.signal {
	case "logs":
		recs := make([]*logspb.LogRecord, o.batch)
		for i := range recs {
			sev := severities[rng.IntN(len(severities))]
			recs[i] = &logspb.LogRecord{
				TimeUnixNano:         s.mark(relTime(i)),
				ObservedTimeUnixNano: s.mark(relTime(i) + 1000),
				SeverityNumber:       sev.n,
				SeverityText:         sev.text,
				Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: fmt.Sprintf(
					messages[rng.IntN(len(messages))], rng.IntN(5000), rng.IntN(100000)) + " " + strings.Repeat("x", rng.IntN(60))}},
				Attributes: recordAttrs(rng, o.attrs),
				TraceId:    randBytes(rng, 16),
				SpanId:     randBytes(rng, 8),
			}
		}
		msg = &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
			Resource: res, ScopeLogs: []*logspb.ScopeLogs{{Scope: scope, LogRecords: recs}}}}}
	case "traces":
		spans := make([]*tracepb.Span, o.batch)
		traceID := randBytes(rng, 16)
		for i := range spans {
			if i%10 == 0 {
				traceID = randBytes(rng, 16)
			}
			dur := int64(rng.IntN(50_000_000) + 1000)
			sp := &tracepb.Span{
				TraceId: traceID, SpanId: randBytes(rng, 8),
				Name:              operations[rng.IntN(len(operations))],
				Kind:              tracepb.Span_SpanKind(1 + rng.IntN(5)),
				StartTimeUnixNano: s.mark(relTime(i)),
				EndTimeUnixNano:   s.mark(relTime(i) + dur),
				Attributes:        recordAttrs(rng, o.attrs),
			}
			if i%10 != 0 {
				sp.ParentSpanId = spans[i-1-rng.IntN(i%10)].SpanId
			}
			if rng.IntN(20) == 0 {
				sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "upstream failed"}
			}
			spans[i] = sp
		}
		msg = &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
			Resource: res, ScopeSpans: []*tracepb.ScopeSpans{{Scope: scope, Spans: spans}}}}}
	case "metrics":
		// As SDKs export them: one Metric per instrument carrying the points of all its attribute
		// sets (-points-per-metric of them); gauges and sums, with a histogram every tenth metric.
		var ms []*metricspb.Metric
		for m, i := 0, 0; i < o.batch; m++ {
			n := min(o.pointsPerMetric, o.batch-i)
			name := fmt.Sprintf("app.metric_%d", rng.IntN(200))
			switch {
			case m%10 == 9:
				h := &metricspb.Histogram{AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE}
				for j := 0; j < n; j, i = j+1, i+1 {
					h.DataPoints = append(h.DataPoints, &metricspb.HistogramDataPoint{StartTimeUnixNano: s.mark(-int64(time.Hour)), TimeUnixNano: s.mark(relTime(i)),
						Attributes: recordAttrs(rng, o.attrs), Count: 60, Sum: proto.Float64(1234.5), ExplicitBounds: []float64{5, 10, 25, 50, 100, 250},
						BucketCounts: []uint64{10, 20, 15, 8, 4, 2, 1}})
				}
				ms = append(ms, &metricspb.Metric{Name: "http.server.duration", Unit: "ms", Data: &metricspb.Metric_Histogram{Histogram: h}})
			case m%2 == 0:
				g := &metricspb.Gauge{}
				for j := 0; j < n; j, i = j+1, i+1 {
					g.DataPoints = append(g.DataPoints, &metricspb.NumberDataPoint{TimeUnixNano: s.mark(relTime(i)), Attributes: recordAttrs(rng, o.attrs),
						Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: rng.Float64() * 100}})
				}
				ms = append(ms, &metricspb.Metric{Name: name, Unit: "1", Data: &metricspb.Metric_Gauge{Gauge: g}})
			default:
				sum := &metricspb.Sum{IsMonotonic: true, AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE}
				for j := 0; j < n; j, i = j+1, i+1 {
					sum.DataPoints = append(sum.DataPoints, &metricspb.NumberDataPoint{StartTimeUnixNano: s.mark(-int64(time.Hour)), TimeUnixNano: s.mark(relTime(i)),
						Attributes: recordAttrs(rng, o.attrs), Value: &metricspb.NumberDataPoint_AsInt{AsInt: rng.Int64N(1_000_000)}})
				}
				ms = append(ms, &metricspb.Metric{Name: name + "_total", Unit: "1", Data: &metricspb.Metric_Sum{Sum: sum}})
			}
		}
		msg = &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
			Resource: res, ScopeMetrics: []*metricspb.ScopeMetrics{{Scope: scope, Metrics: ms}}}}}
	}
	body, err := proto.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("cannot marshal template: %w", err)
	}
	ps, err := s.locate(body)
	if err != nil {
		return nil, err
	}
	return &template{body: body, patches: ps, records: o.batch}, nil
}
