package ingest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/heimsight/heimsight/pkg/model"
)

func attrs(n int, valueLen int) model.Attributes {
	out := make(model.Attributes, n)
	for i := range out {
		out[i] = model.StringKV("k"+strconv.Itoa(i), strings.Repeat("v", valueLen))
	}
	return out
}

func TestLimitsDropAndTruncate(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	opts := DefaultOptions()
	opts.Registerer = reg
	opts.Limits = Limits{MaxRecords: 10, MaxAttributes: 3, MaxValueLength: 4}
	w := &blockingWriter{}
	p, err := New(w, opts)
	if err != nil {
		t.Fatal(err)
	}
	res := &model.Resource{Attributes: attrs(5, 2)}
	scope := &model.Scope{Attributes: attrs(1, 10)}
	nested := model.KV("nested", model.ArrayValue(model.StringValue("ééééé"), model.MapValue(model.StringKV("x", "123456"))))
	b := &model.Batch{Logs: []model.LogRecord{
		{Attributes: attrs(2, 4), Resource: res, Scope: scope},                              // within limits
		{Attributes: append(attrs(4, 5), nested), DroppedAttributesCount: 1, Resource: res}, // 2 dropped, 3 truncated
		{Attributes: model.Attributes{nested}, Resource: res, Scope: scope},                 // 2 truncated (é is 2 bytes)
	}}
	adj, err := p.Submit(context.Background(), Logs, b, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Resource: 2 dropped, once although three records share it. Scope: 1 truncated, once.
	if adj.DroppedAttributes != 4 || adj.TruncatedValues != 6 {
		t.Fatalf("adjusted = %+v, want 4 dropped, 6 truncated", adj)
	}
	if got := b.Logs[1].DroppedAttributesCount; got != 3 {
		t.Errorf("record dropped_attributes_count = %d, want 1 + 2", got)
	}
	if len(b.Logs[1].Attributes) != 3 || b.Logs[1].Attributes[0].Value.Str != "vvvv" {
		t.Errorf("record attributes = %+v", b.Logs[1].Attributes)
	}
	if res.DroppedAttributesCount != 2 || len(res.Attributes) != 3 {
		t.Errorf("resource = %+v", res)
	}
	if got := scope.Attributes[0].Value.Str; got != "vvvv" {
		t.Errorf("scope value = %q", got)
	}
	arr := b.Logs[2].Attributes[0].Value.Array
	if arr[0].Str != "éé" || !utf8.ValidString(arr[0].Str) || arr[1].Map[0].Value.Str != "1234" {
		t.Errorf("nested values = %q %q", arr[0].Str, arr[1].Map[0].Value.Str)
	}
	msg := adj.Message()
	if !strings.Contains(msg, "4 attributes dropped over the limit of 3") || !strings.Contains(msg, "6 attribute values truncated to 4 bytes") {
		t.Errorf("message = %q", msg)
	}
	if got := testutil.ToFloat64(p.dropped[Logs]); got != 4 {
		t.Errorf("dropped counter = %v", got)
	}
	if got := testutil.ToFloat64(p.truncd[Logs]); got != 6 {
		t.Errorf("truncated counter = %v", got)
	}

	// Spans: events and links too; metrics: attributes and exemplars.
	sb := &model.Batch{Spans: []model.Span{{Attributes: attrs(4, 1),
		Events: []model.SpanEvent{{Attributes: attrs(4, 1)}}, Links: []model.SpanLink{{Attributes: attrs(1, 9)}}}}}
	if adj, err = p.Submit(context.Background(), Traces, sb, 0, 1); err != nil || adj.DroppedAttributes != 2 || adj.TruncatedValues != 1 {
		t.Errorf("spans: %+v %v", adj, err)
	}
	if sb.Spans[0].Events[0].DroppedAttributesCount != 1 || sb.Spans[0].Links[0].Attributes[0].Value.Str != "vvvv" {
		t.Errorf("span event/link not limited: %+v", sb.Spans[0])
	}
	mb := &model.Batch{Metrics: []model.MetricPoint{{Attributes: attrs(5, 1), Exemplars: []model.Exemplar{{FilteredAttributes: attrs(1, 5)}}}}}
	if adj, err = p.Submit(context.Background(), Metrics, mb, 0, 1); err != nil || adj.DroppedAttributes != 2 || adj.TruncatedValues != 1 {
		t.Errorf("metrics: %+v %v", adj, err)
	}
}

func TestLimitsTooManyRecords(t *testing.T) {
	opts := DefaultOptions()
	opts.Limits.MaxRecords = 5
	w := &blockingWriter{}
	p, err := New(w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Submit(context.Background(), Logs, logs(5), 0, 1); err != nil {
		t.Fatal(err)
	}
	// Rejected records count: the limit is on what the client sent.
	_, err = p.Submit(context.Background(), Logs, logs(4), 2, 1)
	if !errors.Is(err, ErrTooManyRecords) || !strings.Contains(err.Error(), "HEIMSIGHT_MAX_RECORDS_PER_REQUEST") {
		t.Fatalf("error = %v", err)
	}
	if w.rows != 5 {
		t.Fatalf("wrote %d rows, want 5 (the refused request writes nothing)", w.rows)
	}
	if got := testutil.ToFloat64(p.refused[Logs][reasonTooMany]); got != 4 {
		t.Errorf("refused counter = %v", got)
	}
}

func TestLimitsUnlimited(t *testing.T) {
	opts := DefaultOptions()
	opts.Limits = Limits{}
	p, _ := New(&blockingWriter{}, opts)
	b := &model.Batch{Logs: []model.LogRecord{{Attributes: attrs(1000, 100_000)}}}
	adj, err := p.Submit(context.Background(), Logs, b, 0, 1)
	if err != nil || adj.Message() != "" || len(b.Logs[0].Attributes) != 1000 {
		t.Fatalf("%+v %v", adj, err)
	}
	if _, err := New(&blockingWriter{}, Options{MaxInflightRows: 1, MaxInflightBytes: 1, Limits: Limits{MaxRecords: -1}}); err == nil {
		t.Error("negative limit accepted")
	}
}

func TestTruncateUTF8(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{{"abcdef", 3, "abc"}, {"aé", 2, "a"}, {"aé", 3, "aé"}, {"€€", 4, "€"}, {"😀x", 3, ""}, {"😀x", 4, "😀"}} {
		if got := truncateUTF8(c.in, c.n); got != c.want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestCheckJSONDepth(t *testing.T) {
	ok := []string{`{}`, `[[1]]`, `{"a":"[[[[[[[["}`, `{"a":"\"[[[[["}`, `[` + strings.Repeat(`{"a":1},`, 100) + `1]`}
	for _, s := range ok {
		if err := CheckJSONDepth([]byte(s), 3); err != nil {
			t.Errorf("CheckJSONDepth(%.40q) = %v", s, err)
		}
	}
	for _, s := range []string{`[[[[1]]]]`, `{"a":{"b":{"c":{}}}}`, strings.Repeat("[", 1<<20)} {
		if err := CheckJSONDepth([]byte(s), 3); err == nil {
			t.Errorf("CheckJSONDepth(%.40q): no error", s)
		}
	}
}

// benchBatch is 1,000 log records with ten short attributes each, sharing one resource: the shape
// of the throughput benchmark (ingestor/cmd/heimsight-load).
func benchBatch() *model.Batch {
	res := &model.Resource{Attributes: attrs(5, 12)}
	scope := &model.Scope{Name: "bench"}
	b := &model.Batch{Logs: make([]model.LogRecord, 1000)}
	for i := range b.Logs {
		b.Logs[i] = model.LogRecord{Timestamp: 1, Body: model.StringValue("GET /api/v1/items 200"),
			Attributes: attrs(10, 16), Resource: res, Scope: scope}
	}
	return b
}

// BenchmarkLimits measures the limit check alone on a batch within the limits (the common case):
// the cost added to every ingest request. Divide ns/op by 1,000 for the cost per record.
func BenchmarkLimits(b *testing.B) {
	batch := benchBatch()
	l := DefaultLimits()
	b.ReportAllocs()
	for b.Loop() {
		lim := limiter{maxAttrs: l.MaxAttributes, maxLen: l.MaxValueLength}
		lim.apply(batch)
		if lim.dropped != 0 || lim.truncated != 0 {
			b.Fatal("batch changed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/record")
}

// BenchmarkSubmitWithLimits is the whole pipeline step per 1,000-record request with the default limits,
// against a writer that does nothing.
func BenchmarkSubmitWithLimits(b *testing.B) {
	batch := benchBatch()
	p, _ := New(&blockingWriter{}, DefaultOptions())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Submit(context.Background(), Logs, batch, 0, 100_000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/record")
}

func BenchmarkCheckJSONDepth(b *testing.B) {
	body := []byte(`[` + strings.Repeat(`{"timestamp":"2026-11-27T10:00:00Z","body":"GET /x \"quoted\"","attributes":{"a":"b","c":[1,2,{"d":3}]}},`, 5000) + `{}]`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := CheckJSONDepth(body, 128); err != nil {
			b.Fatal(err)
		}
	}
}
