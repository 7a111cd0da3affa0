package otlp

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/store"
)

func newHTTP(t *testing.T, w *memWriter, po ingest.Options) http.Handler {
	t.Helper()
	h, err := NewHTTP(testOptions(t, w, po))
	if err != nil {
		t.Fatal(err)
	}
	return h.Handler()
}

func post(h http.Handler, path, contentType, encoding string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func mustProto(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// decodeStatus checks the response is a google.rpc.Status in the given encoding.
func decodeStatus(t *testing.T, rec *httptest.ResponseRecorder, contentType string) *spb.Status {
	t.Helper()
	if got := rec.Header().Get("Content-Type"); got != contentType {
		t.Fatalf("Content-Type = %q, want %q (body %q)", got, contentType, rec.Body.String())
	}
	st := &spb.Status{}
	var err error
	if contentType == ContentTypeJSON {
		err = protojson.Unmarshal(rec.Body.Bytes(), st)
	} else {
		err = proto.Unmarshal(rec.Body.Bytes(), st)
	}
	if err != nil {
		t.Fatalf("body is not a Status: %v (%q)", err, rec.Body.String())
	}
	if st.Message == "" {
		t.Fatalf("Status has no message")
	}
	return st
}

func TestHTTPProtobufPartialSuccess(t *testing.T) {
	w := &memWriter{}
	h := newHTTP(t, w, ingest.Options{})
	rec := post(h, PathLogs, ContentTypeProtobuf, "", mustProto(t, logsRequest()))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	var resp collogspb.ExportLogsServiceResponse
	if err := proto.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	ps := resp.GetPartialSuccess()
	if ps.GetRejectedLogRecords() != 2 || !strings.Contains(ps.GetErrorMessage(), "trace_id") ||
		!strings.Contains(ps.GetErrorMessage(), "timestamp") {
		t.Fatalf("partial_success = %v", ps)
	}
	got := w.all()
	if len(got.Logs) != 2 || got.Logs[0].Body.Str != "one" || got.Logs[1].Body.Str != "two" ||
		got.Logs[0].Resource.ServiceName() != "checkout" {
		t.Fatalf("stored %+v", got.Logs)
	}
}

func TestHTTPAllSignals(t *testing.T) {
	w := &memWriter{}
	h := newHTTP(t, w, ingest.Options{})
	for _, tc := range []struct {
		path string
		req  proto.Message
		resp proto.Message
	}{
		{PathTraces, tracesRequest(), &coltracepb.ExportTraceServiceResponse{}},
		{PathMetrics, metricsRequest(), &colmetricspb.ExportMetricsServiceResponse{}},
	} {
		rec := post(h, tc.path, ContentTypeProtobuf, "gzip", gzipped(t, mustProto(t, tc.req)))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status = %d: %s", tc.path, rec.Code, rec.Body)
		}
		if err := proto.Unmarshal(rec.Body.Bytes(), tc.resp); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(protojson.Format(tc.resp), `"rejected`) {
			t.Fatalf("%s: no partial success in %v", tc.path, tc.resp)
		}
	}
	got := w.all()
	if len(got.Spans) != 1 || got.Spans[0].Name != "GET /" || len(got.Metrics) != 1 || got.Metrics[0].Value != 0.5 {
		t.Fatalf("stored %d spans, %d points", len(got.Spans), len(got.Metrics))
	}
}

func TestHTTPJSON(t *testing.T) {
	w := &memWriter{}
	h := newHTTP(t, w, ingest.Options{})
	// OTLP/JSON: hex ids, 64-bit integers as strings, one bad id and one record with no time.
	body := []byte(`{"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
	  "scopeLogs": [{"logRecords": [
	    {"timeUnixNano": "1790000000000000000", "body": {"stringValue": "one"}, "traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708"},
	    {"timeUnixNano": 1790000000000000001, "body": {"stringValue": "two"}, "severityNumber": "SEVERITY_NUMBER_WARN"},
	    {"timeUnixNano": "1790000000000000002", "body": {"stringValue": "bad id"}, "traceId": "010203"},
	    {"body": {"stringValue": "no time"}}]}]}]}`)
	rec := post(h, PathLogs, "application/json; charset=utf-8", "", body)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ContentTypeJSON {
		t.Fatalf("status = %d, type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	var resp collogspb.ExportLogsServiceResponse
	if err := protojson.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("response is not OTLP/JSON: %v: %s", err, rec.Body)
	}
	if resp.GetPartialSuccess().GetRejectedLogRecords() != 2 {
		t.Fatalf("response = %s", rec.Body)
	}
	if got := w.all().Logs; len(got) != 2 || got[0].TraceID.String() != "0102030405060708090a0b0c0d0e0f10" || got[1].SeverityNumber != 13 {
		t.Fatalf("stored %+v", got)
	}

	// A fully valid request gets an empty JSON object.
	rec = post(h, PathLogs, ContentTypeJSON, "", []byte(`{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "5"}]}]}]}`))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "{}" {
		t.Fatalf("status = %d body %q", rec.Code, rec.Body)
	}
}

func TestHTTPBadInput(t *testing.T) {
	bomb := gzipped(t, make([]byte, 64<<20)) // 64 MiB of zeros, about 64 KiB compressed
	valid := mustProto(t, validLogsRequest())
	tests := []struct {
		name        string
		method      string
		contentType string
		encoding    string
		body        []byte
		wantCode    int
		wantStatus  string // response Content-Type ("" for no Status check)
		wantGRPC    codes.Code
		wantMsg     string
	}{
		{"malformed protobuf", "", ContentTypeProtobuf, "", []byte{0x0a, 0xff, 0xff, 0xff, 0x0f, 1}, 400, ContentTypeProtobuf, codes.InvalidArgument, "decode"},
		{"malformed JSON", "", ContentTypeJSON, "", []byte(`{"resourceLogs": [`), 400, ContentTypeJSON, codes.InvalidArgument, "decode"},
		{"wrong content type", "", "text/plain", "", valid, 415, ContentTypeProtobuf, codes.InvalidArgument, "Content-Type"},
		{"no content type", "", "", "", valid, 415, ContentTypeProtobuf, codes.InvalidArgument, "Content-Type"},
		{"oversized body", "", ContentTypeProtobuf, "", make([]byte, 2<<20), 413, ContentTypeProtobuf, codes.ResourceExhausted, "limit"},
		{"gzip bomb", "", ContentTypeProtobuf, "gzip", bomb, 413, ContentTypeProtobuf, codes.ResourceExhausted, "after decompression"},
		{"bad gzip", "", ContentTypeJSON, "gzip", []byte("not gzip at all"), 400, ContentTypeJSON, codes.InvalidArgument, "gzip"},
		{"truncated gzip", "", ContentTypeProtobuf, "gzip", gzipped(t, valid)[:20], 400, ContentTypeProtobuf, codes.InvalidArgument, "body"},
		{"unknown encoding", "", ContentTypeProtobuf, "br", valid, 415, ContentTypeProtobuf, codes.InvalidArgument, "Content-Encoding"},
		{"GET", http.MethodGet, ContentTypeProtobuf, "", nil, 405, ContentTypeProtobuf, codes.Unimplemented, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &memWriter{}
			h := newHTTP(t, w, ingest.Options{})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, PathLogs, bytes.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantCode {
				t.Fatalf("status = %d, want %d: %q", rec.Code, tt.wantCode, rec.Body.String())
			}
			st := decodeStatus(t, rec, tt.wantStatus)
			if codes.Code(st.Code) != tt.wantGRPC || !strings.Contains(st.Message, tt.wantMsg) {
				t.Fatalf("Status = %v, want code %v and message containing %q", st, tt.wantGRPC, tt.wantMsg)
			}
			if tt.wantCode == 405 && rec.Header().Get("Allow") != http.MethodPost {
				t.Fatalf("Allow = %q", rec.Header().Get("Allow"))
			}
			if n := len(w.all().Logs); n != 0 {
				t.Fatalf("stored %d logs from a failed request", n)
			}
		})
	}
}

func TestHTTPNotFound(t *testing.T) {
	h := newHTTP(t, &memWriter{}, ingest.Options{})
	rec := post(h, "/v1/profiles", ContentTypeProtobuf, "", nil)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d", rec.Code)
	}
	decodeStatus(t, rec, ContentTypeProtobuf)
}

func TestHTTPOverloaded(t *testing.T) {
	w := &memWriter{entered: make(chan struct{}, 1), block: make(chan struct{})}
	h := newHTTP(t, w, ingest.Options{MaxInflightRows: 2, MaxInflightBytes: 1 << 20})
	valid := mustProto(t, validLogsRequest())
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- post(h, PathLogs, ContentTypeProtobuf, "", valid) }()
	<-w.entered
	rec := post(h, PathLogs, ContentTypeJSON, "", []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1"}]}]}]}`))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("status = %d, Retry-After %q: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if st := decodeStatus(t, rec, ContentTypeJSON); codes.Code(st.Code) != codes.ResourceExhausted {
		t.Fatalf("Status = %v", st)
	}
	close(w.block)
	if first := <-done; first.Code != http.StatusOK {
		t.Fatalf("first request status = %d", first.Code)
	}
	if n := len(w.all().Logs); n != 2 {
		t.Fatalf("stored %d logs, want the first request's 2", n)
	}
}

func TestHTTPStoreUnavailable(t *testing.T) {
	for _, err := range []error{store.ErrUnavailable, store.ErrClosed, io.ErrUnexpectedEOF} {
		w := &memWriter{err: err}
		h := newHTTP(t, w, ingest.Options{})
		rec := post(h, PathLogs, ContentTypeProtobuf, "", mustProto(t, validLogsRequest()))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("%v: status = %d, Retry-After %q", err, rec.Code, rec.Header().Get("Retry-After"))
		}
		if st := decodeStatus(t, rec, ContentTypeProtobuf); codes.Code(st.Code) != codes.Unavailable {
			t.Fatalf("Status = %v", st)
		}
	}
}

func BenchmarkHTTPProtobufLogs(b *testing.B) {
	p, _ := ingest.New(discard{}, ingest.Options{MaxInflightRows: 1 << 30, MaxInflightBytes: 1 << 40})
	o := DefaultOptions()
	o.Pipeline = p
	h, _ := NewHTTP(o)
	req := validLogsRequest()
	sl := req.ResourceLogs[0].ScopeLogs[0]
	for len(sl.LogRecords) < 1000 {
		sl.LogRecords = append(sl.LogRecords, sl.LogRecords[len(sl.LogRecords)%2])
	}
	body, _ := proto.Marshal(req)
	handler := h.Logs()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, PathLogs, bytes.NewReader(body))
			r.Header.Set("Content-Type", ContentTypeProtobuf)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, r)
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
}

func TestHTTPInvalidUTF8RejectsOnlyItsRecord(t *testing.T) {
	w := &memWriter{}
	h := newHTTP(t, w, ingest.Options{})
	req := validLogsRequest()
	req.ResourceLogs[0].ScopeLogs[0].LogRecords[1].Body.Value = &commonpb.AnyValue_StringValue{StringValue: "MARKER!!"}
	body := bytes.Replace(mustProto(t, req), []byte("MARKER!!"), []byte("MARKER!\xff"), 1)
	rec := post(h, PathLogs, ContentTypeProtobuf, "", body)
	var resp collogspb.ExportLogsServiceResponse
	if rec.Code != 200 || proto.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		t.Fatalf("status = %d: %q", rec.Code, rec.Body.String())
	}
	if ps := resp.GetPartialSuccess(); ps.GetRejectedLogRecords() != 1 || !strings.Contains(ps.GetErrorMessage(), "UTF-8") {
		t.Fatalf("partial_success = %v", ps)
	}
	if got := w.all().Logs; len(got) != 1 || got[0].Body.Str != "one" {
		t.Fatalf("stored %+v", got)
	}
}
