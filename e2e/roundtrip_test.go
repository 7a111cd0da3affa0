package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
)

type listing struct {
	Items []map[string]any `json:"items"`
	Count int              `json:"count"`
}

// list GETs a REST listing, decoding numbers exactly (timestamps are int64 nanoseconds).
func (s *server) list(path string) listing {
	s.t.Helper()
	resp, err := http.Get("http://" + s.rest + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	var l listing
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&l); err != nil {
		s.t.Fatalf("GET %s: cannot decode %s: %v", path, body, err)
	}
	return l
}

func i64(t *testing.T, item map[string]any, key string) int64 {
	t.Helper()
	n, ok := item[key].(json.Number)
	if !ok {
		t.Fatalf("%s: want a number, got %#v in %v", key, item[key], item)
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}

func f64(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("want a number, got %#v", v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func numbers(t *testing.T, v any) []float64 {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("want a list, got %#v", v)
	}
	out := make([]float64, len(list))
	for i, e := range list {
		out[i] = f64(t, e)
	}
	return out
}

func expectEq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// checkStored reads back through the REST API what sendTelemetry sent over one transport.
func checkStored(t *testing.T, s *server, want sent) {
	t.Helper()
	svc := url.QueryEscape(want.service)

	// Logs: nanosecond timestamps, ids, every attribute value kind rendered as stored.
	logs := s.list("/api/v1/logs?service=" + svc)
	if len(logs.Items) != 1 {
		t.Fatalf("%s: want 1 log record, got %d: %v", want.service, len(logs.Items), logs.Items)
	}
	lr := logs.Items[0]
	expectEq(t, "log timestamp", i64(t, lr, "timestamp"), want.logTime.UnixNano())
	expectEq(t, "log observed_timestamp", i64(t, lr, "observed_timestamp"), want.logTime.UnixNano()+1_000_000)
	expectEq(t, "log body", lr["body"], want.logBody)
	expectEq(t, "log severity_text", lr["severity_text"], "ERROR")
	expectEq(t, "log severity_number", i64(t, lr, "severity_number"), int64(17))
	expectEq(t, "log trace_id", lr["trace_id"], want.traceID.String())
	expectEq(t, "log span_id", lr["span_id"], want.rootSpan.String())
	expectEq(t, "log attributes", lr["attributes"], map[string]any{
		"str": "value", "int": "-42", "bool": "true", "double": "2.5", "bytes": "AQID",
		"array": `["a",1]`, "map": `{"k":"v"}`,
	})
	res, _ := lr["resource"].(map[string]any)
	expectEq(t, "log resource service.name", res["service.name"], want.service)
	expectEq(t, "log resource deployment.environment", res["deployment.environment"], "test")
	expectEq(t, "log scope_name", lr["scope_name"], "heimsight.e2e")

	// Traces: the trace by id, parents before children, with events and links.
	tr := s.list("/api/v1/traces/" + want.traceID.String())
	if len(tr.Items) != 2 {
		t.Fatalf("%s: want 2 spans in trace %s, got %d", want.service, want.traceID, len(tr.Items))
	}
	root, child := tr.Items[0], tr.Items[1]
	expectEq(t, "root span_id", root["span_id"], want.rootSpan.String())
	expectEq(t, "root parent_span_id", root["parent_span_id"], "")
	expectEq(t, "root name", root["name"], "POST /checkout")
	expectEq(t, "root kind", root["kind"], "Server")
	expectEq(t, "root timestamp", i64(t, root, "timestamp"), want.start.UnixNano())
	expectEq(t, "root end_timestamp", i64(t, root, "end_timestamp"), want.end.UnixNano())
	expectEq(t, "root duration_ns", i64(t, root, "duration_ns"), want.end.Sub(want.start).Nanoseconds())
	expectEq(t, "root scope_version", root["scope_version"], "0.1.0")
	attrs, _ := root["attributes"].(map[string]any)
	expectEq(t, "root http.status_code", attrs["http.status_code"], "502")
	events, _ := root["events"].([]any)
	if len(events) != 1 {
		t.Fatalf("root events: %#v", root["events"])
	}
	ev := events[0].(map[string]any)
	expectEq(t, "event name", ev["name"], "exception")
	expectEq(t, "event timestamp", i64(t, ev, "timestamp"), want.start.UnixNano()+10_000_000)
	expectEq(t, "event attributes", ev["attributes"], map[string]any{"exception.type": "Timeout"})
	links, _ := root["links"].([]any)
	if len(links) != 1 {
		t.Fatalf("root links: %#v", root["links"])
	}
	ln := links[0].(map[string]any)
	expectEq(t, "link trace_id", ln["trace_id"], want.linked.TraceID().String())
	expectEq(t, "link span_id", ln["span_id"], want.linked.SpanID().String())
	expectEq(t, "link attributes", ln["attributes"], map[string]any{"link.kind": "retry"})
	expectEq(t, "child span_id", child["span_id"], want.child.String())
	expectEq(t, "child parent_span_id", child["parent_span_id"], want.rootSpan.String())
	expectEq(t, "child kind", child["kind"], "Client")

	// Metrics: gauge, sum, histogram buckets, exponential histogram.
	one := func(name string) map[string]any {
		t.Helper()
		l := s.list("/api/v1/metrics?service=" + svc + "&name=" + url.QueryEscape(name))
		if len(l.Items) != 1 {
			t.Fatalf("%s: want 1 point of %s, got %d: %v", want.service, name, len(l.Items), l.Items)
		}
		return l.Items[0]
	}
	g := one("e2e.gauge")
	expectEq(t, "gauge type", g["type"], "gauge")
	expectEq(t, "gauge value", f64(t, g["value"]), 42.5)
	expectEq(t, "gauge attributes", g["attributes"], map[string]any{"core": "0"})
	c := one("e2e.counter")
	expectEq(t, "counter type", c["type"], "sum")
	expectEq(t, "counter value", f64(t, c["value"]), 7.0)
	expectEq(t, "counter is_monotonic", c["is_monotonic"], true)
	expectEq(t, "counter temporality", c["temporality"], "Cumulative")
	h := one("e2e.hist")
	expectEq(t, "histogram type", h["type"], "histogram")
	expectEq(t, "histogram unit", h["unit"], "ms")
	expectEq(t, "histogram count", i64(t, h, "count"), int64(3))
	expectEq(t, "histogram sum", f64(t, h["sum"]), 333.0)
	expectEq(t, "histogram min", f64(t, h["min"]), 3.0)
	expectEq(t, "histogram max", f64(t, h["max"]), 300.0)
	expectEq(t, "histogram explicit_bounds", numbers(t, h["explicit_bounds"]), []float64{10, 100})
	expectEq(t, "histogram bucket_counts", numbers(t, h["bucket_counts"]), []float64{1, 1, 1})
	e := one("e2e.exphist")
	expectEq(t, "exponential histogram type", e["type"], "exponential_histogram")
	expectEq(t, "exponential histogram count", i64(t, e, "count"), int64(3))
	expectEq(t, "exponential histogram sum", f64(t, e["sum"]), 7.0)
	var inBuckets float64
	for _, n := range numbers(t, e["positive_bucket_counts"]) {
		inBuckets += n
	}
	expectEq(t, "exponential histogram positive bucket total", inBuckets, 3.0)
	if i64(t, e, "scale") < 1 {
		t.Errorf("exponential histogram scale %v: want a fine scale for values 1, 2, 4", e["scale"])
	}
}

// TestOTLPExportersRoundTrip sends logs, spans and metrics with the OpenTelemetry Go SDK
// exporters over gRPC and HTTP, reads them back through the REST API, restarts the server on the
// same data directory and reads them again.
func TestOTLPExportersRoundTrip(t *testing.T) {
	var mu sync.Mutex
	var exportErrs []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		exportErrs = append(exportErrs, err)
		mu.Unlock()
	}))
	dir := t.TempDir()
	s := startServer(t, dir)
	var sends []sent
	for _, transport := range []string{"grpc", "http"} {
		sends = append(sends, sendTelemetry(t, s, transport))
	}
	mu.Lock()
	if len(exportErrs) > 0 {
		t.Fatalf("exporters reported errors: %v", exportErrs)
	}
	mu.Unlock()
	for _, w := range sends {
		t.Run("before restart/"+w.service, func(t *testing.T) { checkStored(t, s, w) })
	}

	s.stop()
	s2 := startServer(t, dir)
	for _, w := range sends {
		t.Run("after restart/"+w.service, func(t *testing.T) { checkStored(t, s2, w) })
	}
	s2.stop()
}

var _ = fmt.Sprintf
