//go:build duckdb_arrow

package api

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"github.com/heimsight/heimsight/pkg/ingest/rest"
)

const (
	tid = "0102030405060708090a0b0c0d0e0f10"
	sid = "0102030405060708"
)

func TestIngestLogsPartial(t *testing.T) {
	e := newEnv(t)
	body := `[
	  {"timestamp": "2026-11-27T01:00:00Z", "severity": "ERROR", "body": "payment failed", "service": "checkout",
	   "attributes": {"http.method": "GET"}, "trace_id": "` + tid + `", "span_id": "` + sid + `"},
	  {"timestamp": 1795000000000000001, "body": "second"},
	  {"timestamp": 0, "body": "zero time"},
	  {"timestamp": 1795000000000000002, "trace_id": "abc"},
	  {"timestamp": 1795000000000000003, "span_id": "zzzzzzzzzzzzzzzz"},
	  {"timestamp": 1795000000000000004, "body": "bad attr", "attributes": {"n": 1e999}}
	]`
	rec := e.do(http.MethodPost, "/api/v1/logs", "application/json", []byte(body))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	var resp rest.IngestResponse
	decodeJSON(t, rec, &resp)
	if resp.Accepted != 2 || resp.Rejected != 4 || len(resp.Errors) != 4 {
		t.Fatalf("response = %+v", resp)
	}
	for i, want := range []string{"timestamp", "trace id", "span id", "out of range"} {
		if resp.Errors[i].Index != i+2 || !strings.Contains(resp.Errors[i].Message, want) {
			t.Fatalf("errors[%d] = %+v, want index %d about %q", i, resp.Errors[i], i+2, want)
		}
	}
	if n := e.count(t, "logs"); n != 2 {
		t.Fatalf("stored %d logs, want 2", n)
	}
}

func TestIngestSpansAndMetrics(t *testing.T) {
	e := newEnv(t)
	spans := `[{"trace_id": "` + tid + `", "span_id": "` + sid + `", "name": "GET /", "kind": "server",
	  "start_time": "2026-11-27T01:00:00Z", "duration_ns": 1500000, "service": "web"},
	  {"trace_id": "` + tid + `", "span_id": "0000000000000000", "name": "bad", "start_time": 1, "end_time": 2}]`
	rec := e.do(http.MethodPost, "/api/v1/traces", "application/json", []byte(spans))
	var resp rest.IngestResponse
	decodeJSON(t, rec, &resp)
	if rec.Code != 200 || resp.Accepted != 1 || resp.Rejected != 1 {
		t.Fatalf("spans: %d %+v", rec.Code, resp)
	}
	metric := `{"name": "cpu", "timestamp": "2026-11-27T01:00:00Z", "value": 0.25, "service": "web"}`
	rec = e.do(http.MethodPost, "/api/v1/metrics", "application/json; charset=utf-8", []byte(metric))
	decodeJSON(t, rec, &resp)
	if rec.Code != 200 || resp.Accepted != 1 || resp.Rejected != 0 {
		t.Fatalf("metrics: %d %+v", rec.Code, resp)
	}
	if n := e.count(t, "spans"); n != 1 {
		t.Fatalf("stored %d spans", n)
	}
	if n := e.count(t, "metrics"); n != 1 {
		t.Fatalf("stored %d points", n)
	}
}

func TestIngestBadRequests(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("[" + strings.Repeat(`{"timestamp": 1},`, 100_000) + `{"timestamp": 1}]`)) // ~1.7 MB
	zw.Close()
	tests := []struct {
		name        string
		path        string
		contentType string
		body        []byte
		status      int
		code        string
		field       string
		msg         string
	}{
		{"unknown field", "/api/v1/logs", "application/json", []byte(`{"timestamp": 1, "level": "info"}`), 400, "unknown_field", "level", `unknown field "level"`},
		{"unknown field in batch", "/api/v1/traces", "application/json", []byte(`[{"trace_id": "` + tid + `"}, {"duration": 5}]`), 400, "unknown_field", "duration", "record 1"},
		{"malformed JSON", "/api/v1/metrics", "application/json", []byte(`[{"name": "x",]`), 400, "invalid_json", "", "malformed JSON"},
		{"not an object", "/api/v1/logs", "application/json", []byte(`"hello"`), 400, "invalid_json", "", "JSON object"},
		{"wrong content type", "/api/v1/logs", "text/plain", []byte(`{"timestamp": 1}`), 415, "unsupported_media_type", "", "application/json"},
		{"oversized", "/api/v1/logs", "application/json", bytes.Repeat([]byte(" "), 2<<20), 413, "payload_too_large", "", "limit"},
		{"all rejected", "/api/v1/logs", "application/json", []byte(`[{"timestamp": 0}, {"timestamp": "soon"}]`), 400, "invalid_records", "", "all 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			rec := e.do(http.MethodPost, tt.path, tt.contentType, tt.body)
			d := wantError(t, rec, tt.status, tt.code)
			if d.Field != tt.field || !strings.Contains(d.Message, tt.msg) {
				t.Fatalf("error = %+v, want field %q, message containing %q", d, tt.field, tt.msg)
			}
			for _, table := range []string{"logs", "spans", "metrics"} {
				if n := e.count(t, table); n != 0 {
					t.Fatalf("stored %d %s from a refused request", n, table)
				}
			}
		})
	}

	t.Run("all rejected lists reasons", func(t *testing.T) {
		e := newEnv(t)
		rec := e.do(http.MethodPost, "/api/v1/logs", "application/json", []byte(`[{"timestamp": 0}]`))
		var resp struct {
			ErrorBody
			rest.IngestResponse
		}
		decodeJSON(t, rec, &resp)
		if resp.Rejected != 1 || len(resp.Errors) != 1 || resp.Error.Code != "invalid_records" {
			t.Fatalf("response = %s", rec.Body)
		}
	})

	t.Run("gzip over the limit", func(t *testing.T) {
		e := newEnv(t)
		req := e.do // keep helpers symmetrical; gzip needs a header, so build by hand
		_ = req
		r := newRequest(http.MethodPost, "/api/v1/logs", gz.Bytes())
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Content-Encoding", "gzip")
		rec := serve(e, r)
		wantError(t, rec, 413, "payload_too_large")
		if n := e.count(t, "logs"); n != 0 {
			t.Fatalf("stored %d logs", n)
		}
	})
}

func TestOTLPOnRESTPort(t *testing.T) {
	e := newEnv(t)
	body := `{"resourceLogs": [{"scopeLogs": [{"logRecords": [
	  {"timeUnixNano": "1795000000000000000", "body": {"stringValue": "via REST port"}},
	  {"timeUnixNano": "1795000000000000001", "traceId": "nothex"}]}]}]}`
	rec := e.do(http.MethodPost, "/v1/logs", "application/json", []byte(body))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"rejectedLogRecords":"1"`) {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	if n := e.count(t, "logs"); n != 1 {
		t.Fatalf("stored %d logs", n)
	}
	if rec := e.do(http.MethodGet, "/v1/logs", "", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /v1/logs = %d", rec.Code)
	}
}
