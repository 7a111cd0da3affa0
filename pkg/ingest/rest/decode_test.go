package rest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/heimsight/heimsight/pkg/model"
)

const (
	tid = "0102030405060708090a0b0c0d0e0f10"
	sid = "0102030405060708"
)

func TestDecodeLogs(t *testing.T) {
	body := `[
	 {"timestamp": "2026-11-27T01:02:03.000000004Z", "severity": "warn", "body": "disk full",
	  "service": "api", "attributes": {"n": 3, "f": 1.5, "ok": true, "list": [1, "a"], "m": {"k": "v"}},
	  "trace_id": "` + strings.ToUpper(tid) + `", "span_id": "` + sid + `"},
	 {"timestamp": 0, "body": "zero"},
	 {"timestamp": 1700000000000000000, "trace_id": "abc"},
	 {"timestamp": "yesterday"},
	 {"timestamp": "1700000000000000001", "severity_number": 30},
	 {"timestamp": 1700000000000000002, "body": {"x": [1]}, "severity_number": "high"},
	 {"timestamp": 1700000000000000003, "resource": {"service.name": "a"}, "service": "b"}
	]`
	res, err := DecodeLogs([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Batch.Logs) != 2 || res.Rejected != 5 || len(res.Errors) != 5 {
		t.Fatalf("got %d logs, %d rejected, errors %+v", len(res.Batch.Logs), res.Rejected, res.Errors)
	}
	wantIdx := []int{1, 2, 3, 4, 5}
	wantMsg := []string{"missing timestamp", "invalid trace id", "invalid timestamp", "severity_number", "severity_number"}
	for i, e := range res.Errors {
		if e.Index != wantIdx[i] || !strings.Contains(e.Message, wantMsg[i]) {
			t.Errorf("error %d = %+v, want index %d containing %q", i, e, wantIdx[i], wantMsg[i])
		}
	}
	l := res.Batch.Logs[0]
	if l.Timestamp != 1795741323000000004 || l.SeverityNumber != 13 || l.SeverityText != "warn" || l.Body.Str != "disk full" {
		t.Fatalf("log = %+v", l)
	}
	if l.TraceID.String() != tid || l.SpanID.String() != sid || l.Resource.ServiceName() != "api" {
		t.Fatalf("ids/service = %s %s %q", l.TraceID, l.SpanID, l.Resource.ServiceName())
	}
	want := model.Attributes{
		model.KV("f", model.DoubleValue(1.5)),
		model.KV("list", model.ArrayValue(model.IntValue(1), model.StringValue("a"))),
		model.KV("m", model.MapValue(model.StringKV("k", "v"))),
		model.KV("n", model.IntValue(3)),
		model.KV("ok", model.BoolValue(true)),
	}
	if got, _ := json.Marshal(l.Attributes); string(got) != mustJSON(want) {
		t.Fatalf("attributes = %s, want %s", got, mustJSON(want))
	}
	if s := res.Batch.Logs[1].Resource.ServiceName(); s != "b" {
		t.Fatalf("service = %q, want the service field to win", s)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestDecodeInvalidUTF8(t *testing.T) {
	res, err := DecodeLogs([]byte("[{\"timestamp\": 1, \"body\": \"ok\"}, {\"timestamp\": 2, \"body\": \"bad \xff\"}]"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Batch.Logs) != 1 || res.Rejected != 1 || res.Errors[0].Index != 1 || !strings.Contains(res.Errors[0].Message, "UTF-8") {
		t.Fatalf("result = %+v", res)
	}
}

func TestDecodeWholeRequestErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
		field            string
	}{
		{"empty", "", "empty body", ""},
		{"syntax", `[{"timestamp": 1,}]`, "malformed JSON", ""},
		{"syntax object", `{"timestamp": `, "malformed JSON", ""},
		{"scalar", `42`, "want a JSON object", ""},
		{"unknown field single", `{"timestamp": 1, "levle": "x"}`, `unknown field "levle"`, "levle"},
		{"unknown field in batch", `[{"timestamp": 1}, {"timestamp": 1, "msg": "x"}]`, `record 1: unknown field "msg"`, "msg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeLogs([]byte(tt.body))
			var re *RequestError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) || re.Field != tt.field {
				t.Fatalf("error = %v, want RequestError containing %q (field %q)", err, tt.want, tt.field)
			}
		})
	}
}

func TestDecodeSpans(t *testing.T) {
	body := `[
	 {"trace_id": "` + tid + `", "span_id": "` + sid + `", "name": "GET /", "kind": "Server", "status": "error",
	  "start_time": 1000, "duration_ns": 500, "service": "web",
	  "events": [{"timestamp": 1200, "name": "retry"}], "links": [{"trace_id": "` + tid + `", "span_id": "0000000000000009"}]},
	 {"trace_id": "` + tid + `", "span_id": "0000000000000000", "name": "x", "start_time": 1, "end_time": 2},
	 {"trace_id": "` + tid + `", "span_id": "` + sid + `", "name": "x", "start_time": 5, "end_time": 2},
	 {"trace_id": "` + tid + `", "span_id": "` + sid + `", "name": "x", "start_time": 1, "end_time": 2, "kind": "sideways"},
	 {"trace_id": "` + tid + `", "span_id": "` + sid + `", "name": "x", "start_time": 1},
	 {"trace_id": "` + tid + `", "span_id": "` + sid + `", "name": "x", "start_time": 1, "end_time": 2, "parent_span_id": "01"}
	]`
	res, err := DecodeSpans([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Batch.Spans) != 1 || res.Rejected != 5 {
		t.Fatalf("got %d spans, %d rejected: %+v", len(res.Batch.Spans), res.Rejected, res.Errors)
	}
	s := res.Batch.Spans[0]
	if s.EndTimestamp != 1500 || s.Kind != model.SpanKindServer || s.StatusCode != model.StatusError ||
		len(s.Events) != 1 || len(s.Links) != 1 || s.Resource.ServiceName() != "web" {
		t.Fatalf("span = %+v", s)
	}
}

func TestDecodeMetrics(t *testing.T) {
	body := `[
	 {"name": "cpu", "timestamp": 10, "value": 0.5},
	 {"name": "req", "type": "sum", "timestamp": 10, "value": 3, "monotonic": true, "temporality": "delta"},
	 {"name": "lat", "type": "histogram", "timestamp": 10, "count": 3, "sum": 6, "bucket_counts": [1, 2], "explicit_bounds": [5]},
	 {"name": "exp", "type": "exponential_histogram", "timestamp": 10, "count": 1, "scale": 2, "positive": {"offset": 1, "bucket_counts": [1]}},
	 {"name": "sum", "type": "summary", "timestamp": 10, "count": 1, "quantiles": [{"quantile": 0.5, "value": 1}]},
	 {"name": "bad", "type": "histogram", "timestamp": 10, "count": 3, "bucket_counts": [1], "explicit_bounds": [5]},
	 {"name": "bad", "type": "counter", "timestamp": 10, "value": 1},
	 {"name": "bad", "timestamp": 10},
	 {"name": "bad", "timestamp": 10, "value": "high"},
	 {"name": "bad", "type": "histogram", "timestamp": 10, "count": -1}
	]`
	res, err := DecodeMetrics([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Batch.Metrics) != 5 || res.Rejected != 5 {
		t.Fatalf("got %d points, %d rejected: %+v", len(res.Batch.Metrics), res.Rejected, res.Errors)
	}
	h := res.Batch.Metrics[2]
	if h.Type != model.MetricHistogram || h.Count != 3 || !h.HasSum || len(h.BucketCounts) != 2 || h.Temporality != model.TemporalityCumulative {
		t.Fatalf("histogram = %+v", h)
	}
	if m := res.Batch.Metrics[1]; !m.IsMonotonic || m.Temporality != model.TemporalityDelta || m.Value != 3 {
		t.Fatalf("sum = %+v", m)
	}
}

func TestTimeRoundTrip(t *testing.T) {
	b, _ := json.Marshal(LogRecord{Timestamp: UnixNano(42)})
	if string(b) != `{"timestamp":42}` {
		t.Fatalf("marshal = %s", b)
	}
}
