package otlpconv

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/heimsight/heimsight/pkg/model"
)

type jsonCase struct {
	sig  Signal
	body string
}

const jsonLogs = `{"resourceLogs":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}],"futureField":{"x":[1,2]}},
  "scopeLogs":[{"scope":{"name":"lib","version":"1"},"logRecords":[
    {"timeUnixNano":"1700000000000000001","observedTimeUnixNano":1700000000000000002,
     "severityNumber":"SEVERITY_NUMBER_ERROR","severityText":"ERROR","body":{"stringValue":"boom"},
     "attributes":[{"key":"n","value":{"intValue":"42"}},{"key":"d","value":{"doubleValue":1.5}},
                   {"key":"b","value":{"bytesValue":"AAEC"}},{"key":"a","value":{"arrayValue":{"values":[{"boolValue":true}]}}}],
     "traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"0101020203030404","flags":1,"unknownTopLevel":true},
    {"timeUnixNano":"5","severityNumber":9,"traceId":"","spanId":""},
    {"timeUnixNano":"6","trace_id":"zz02030405060708090a0b0c0d0e0f10"},
    {"timeUnixNano":"7","traceId":"0102"}
  ]}]}]}`

const jsonSpans = `{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[
  {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0101020203030404","parentSpanId":"0909080807070606",
   "name":"op","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"100","endTimeUnixNano":200,
   "status":{"code":"STATUS_CODE_ERROR","message":"bad"},
   "links":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0909080807070606"}],
   "events":[{"timeUnixNano":"150","name":"e"}]},
  {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0101020203030404","name":"k2","kind":2,"startTimeUnixNano":"100","endTimeUnixNano":"100","status":{"code":1}},
  {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0101020203030404","startTimeUnixNano":"1","endTimeUnixNano":"1",
   "links":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"01010202"}]}
]}]}]}`

const jsonMetrics = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
  {"name":"requests","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA","isMonotonic":true,
    "dataPoints":[{"timeUnixNano":"10","asInt":"-5","exemplars":[{"timeUnixNano":"9","asDouble":2,"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0101020203030404"}]}]}},
  {"name":"lat","histogram":{"aggregationTemporality":2,"dataPoints":[{"timeUnixNano":"11","count":"3","sum":4.5,"bucketCounts":["1",2],"explicitBounds":[10]}]}}
]}]}]}`

func jsonCases() []jsonCase {
	return []jsonCase{{SignalLogs, jsonLogs}, {SignalTraces, jsonSpans}, {SignalMetrics, jsonMetrics},
		{SignalLogs, `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","traceId":"\u0030102030405060708090a0b0c0d0e0f10"}]}]}]}`}}
}

func TestDecodeJSONLogs(t *testing.T) {
	res, err := DecodeJSON(SignalLogs, []byte(jsonLogs))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 2 || res.ErrorMessage != "log record has a trace_id that is not valid hex; log record has a trace_id of 4 hex digits (want 32)" {
		t.Fatalf("rejected %d: %q", res.Rejected, res.ErrorMessage)
	}
	logs := res.Batch.Logs
	if len(logs) != 2 {
		t.Fatalf("got %d records", len(logs))
	}
	r := logs[0]
	if r.Timestamp != 1700000000000000001 || r.ObservedTimestamp != 1700000000000000002 || r.SeverityNumber != 17 || r.SeverityText != "ERROR" {
		t.Errorf("times/severity: %+v", r)
	}
	if r.TraceID != model.TraceID(tid1) || r.SpanID != model.SpanID(sid1) || r.Flags != 1 {
		t.Errorf("ids %v %v flags %d", r.TraceID, r.SpanID, r.Flags)
	}
	wantAttrs := model.Attributes{model.KV("n", model.IntValue(42)), model.KV("d", model.DoubleValue(1.5)),
		model.KV("b", model.BytesValue([]byte{0, 1, 2})), model.KV("a", model.ArrayValue(model.BoolValue(true)))}
	if d := diff(wantAttrs, r.Attributes); d != "" {
		t.Errorf("attributes: %s", d)
	}
	if r.Body.Str != "boom" || r.Resource.ServiceName() != "checkout" || r.Scope.Name != "lib" {
		t.Errorf("body/resource/scope: %+v", r)
	}
	if logs[1].Timestamp != 5 || logs[1].SeverityNumber != 9 || !logs[1].TraceID.IsZero() {
		t.Errorf("second record %+v", logs[1])
	}
}

func TestDecodeJSONSpans(t *testing.T) {
	res, err := DecodeJSON(SignalTraces, []byte(jsonSpans))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 1 || res.ErrorMessage != "span link has a span_id of 8 hex digits (want 16)" {
		t.Fatalf("rejected %d: %q", res.Rejected, res.ErrorMessage)
	}
	s := res.Batch.Spans
	if len(s) != 2 {
		t.Fatalf("got %d spans", len(s))
	}
	if s[0].Kind != model.SpanKindClient || s[0].StatusCode != model.StatusError || s[0].StatusMessage != "bad" ||
		s[0].ParentSpanID != model.SpanID(sid2) || s[0].StartTimestamp != 100 || s[0].EndTimestamp != 200 ||
		len(s[0].Links) != 1 || s[0].Links[0].SpanID != model.SpanID(sid2) || len(s[0].Events) != 1 || s[0].Events[0].Timestamp != 150 {
		t.Errorf("first span %+v", s[0])
	}
	if s[1].Kind != model.SpanKindServer || s[1].StatusCode != model.StatusOK {
		t.Errorf("numeric enums: %+v", s[1])
	}
}

func TestDecodeJSONMetrics(t *testing.T) {
	res, err := DecodeJSON(SignalMetrics, []byte(jsonMetrics))
	if err != nil {
		t.Fatal(err)
	}
	m := res.Batch.Metrics
	if res.Rejected != 0 || len(m) != 2 {
		t.Fatalf("rejected %d (%q), %d points", res.Rejected, res.ErrorMessage, len(m))
	}
	if m[0].Type != model.MetricSum || m[0].Temporality != model.TemporalityDelta || !m[0].IsMonotonic || m[0].Value != -5 || !m[0].IsInt ||
		len(m[0].Exemplars) != 1 || m[0].Exemplars[0].TraceID != model.TraceID(tid1) || m[0].Exemplars[0].Value != 2 {
		t.Errorf("sum point %+v", m[0])
	}
	if m[1].Type != model.MetricHistogram || m[1].Temporality != model.TemporalityCumulative || m[1].Count != 3 ||
		!m[1].HasSum || m[1].Sum != 4.5 || len(m[1].BucketCounts) != 2 || m[1].BucketCounts[0] != 1 || m[1].ExplicitBounds[0] != 10 {
		t.Errorf("histogram point %+v", m[1])
	}
}

func TestDecodeJSONEscapedHex(t *testing.T) {
	res, err := DecodeJSON(SignalLogs, []byte(jsonCases()[3].body))
	if err != nil || len(res.Batch.Logs) != 1 || res.Batch.Logs[0].TraceID != model.TraceID(tid1) {
		t.Fatalf("%v %+v", err, res)
	}
}

// TestDecodeJSONMatchesProto encodes realistic requests as OTLP/JSON (protojson with hex ids)
// and checks that DecodeJSON gives what the protobuf path gives.
func TestDecodeJSONMatchesProto(t *testing.T) {
	for _, c := range []struct {
		sig Signal
		req proto.Message
	}{{SignalLogs, logsRequest(20)}, {SignalTraces, tracesRequest(20)}, {SignalMetrics, metricsRequest(20)}} {
		js, err := protojson.Marshal(c.req)
		if err != nil {
			t.Fatal(err)
		}
		text := string(js)
		for _, id := range [][]byte{tid1, sid1, sid2} {
			text = strings.ReplaceAll(text, `"`+base64.StdEncoding.EncodeToString(id)+`"`, `"`+hex.EncodeToString(id)+`"`)
		}
		for i := 0; i < 20; i++ { // span ids of tracesRequest
			id := []byte{byte(i >> 8), byte(i), 3, 4, 5, 6, 7, 8}
			text = strings.ReplaceAll(text, `"`+base64.StdEncoding.EncodeToString(id)+`"`, `"`+hex.EncodeToString(id)+`"`)
		}
		got, err := DecodeJSON(c.sig, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		want := mustDecode(t, c.sig, mustMarshal(t, c.req))
		if d := diff(want, got); d != "" {
			t.Errorf("%s: %s", c.sig, d)
		}
		if got.Batch.Len() != 20 {
			t.Errorf("%s: %d rows", c.sig, got.Batch.Len())
		}
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
	}{
		{"not json", `{"resourceLogs":[`, "cannot decode OTLP logs JSON: "},
		{"wrong type", `{"resourceLogs":{"a":1}}`, "cannot decode OTLP logs JSON: "},
		{"trailing garbage", `{} x`, "cannot decode OTLP logs JSON: "},
		// The id rewrite keeps offsets, so the position names the bad token in the caller's body.
		{"position after an id", `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0101020203030404",}]}]}]}`,
			"(line 1:121)"},
		{"bad base64 bytes", `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"bytesValue":"!!"}}]}]}]}`, "cannot decode OTLP logs JSON: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := DecodeJSON(SignalLogs, []byte(c.body))
			if err == nil {
				t.Fatalf("no error: %+v", res)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
	if _, err := DecodeJSON(Signal(0), []byte(`{}`)); err == nil {
		t.Error("unknown signal accepted")
	}
}

func TestDecodeJSONIgnoresUnknownFields(t *testing.T) {
	res, err := DecodeJSON(SignalTraces, []byte(`{"resourceSpans":[],"newTopLevel":{"deep":[{"traceId":"xyz"}]},"other":1}`))
	if err != nil || res.Batch.Len() != 0 || res.Rejected != 0 {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestDecodeJSONOriginalFieldNames(t *testing.T) {
	body := `{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0101020203030404",
		"parent_span_id":"","start_time_unix_nano":"7","end_time_unix_nano":"9","kind":"SPAN_KIND_FROM_THE_FUTURE","dropped_attributes_count":3}]}]}]}`
	res, err := DecodeJSON(SignalTraces, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Batch.Spans) != 1 || res.Rejected != 0 {
		t.Fatalf("%+v", res)
	}
	s := res.Batch.Spans[0]
	// An enum name this version does not know is ignored like an unknown field.
	if s.TraceID != model.TraceID(tid1) || s.StartTimestamp != 7 || s.EndTimestamp != 9 || s.Kind != model.SpanKindUnspecified || s.DroppedAttributesCount != 3 {
		t.Errorf("%+v", s)
	}
}
