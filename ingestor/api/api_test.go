//go:build duckdb_arrow

package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heimsight/heimsight/pkg/client"
)

func newRequest(method, path string, body []byte) *http.Request {
	return httptest.NewRequest(method, path, bytes.NewReader(body))
}

func serve(e *testEnv, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, r)
	return rec
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	rec := e.do(http.MethodGet, "/health", "", nil)
	var h client.HealthResponse
	decodeJSON(t, rec, &h)
	if rec.Code != 200 || h.Status != "ok" || h.Version != "test" || h.Storage != "embedded" || h.Uptime == "" {
		t.Fatalf("health = %d %+v", rec.Code, h)
	}
	e.api.SetStopping()
	rec = e.do(http.MethodGet, "/health", "", nil)
	decodeJSON(t, rec, &h)
	if rec.Code != http.StatusServiceUnavailable || h.Status != "stopping" {
		t.Fatalf("health while stopping = %d %+v", rec.Code, h)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	e := newEnv(t)
	e.do(http.MethodPost, "/api/v1/logs", "application/json", []byte(`[{"timestamp": 5}, {"timestamp": 0}]`))
	rec := e.do(http.MethodGet, "/metrics", "", nil)
	body := rec.Body.String()
	for _, want := range []string{
		`heimsight_ingest_records_received_total{signal="logs"} 2`,
		`heimsight_ingest_records_accepted_total{signal="logs"} 1`,
		`heimsight_ingest_records_rejected_total{signal="logs"} 1`,
		`heimsight_ingest_batch_records_count{signal="logs"} 1`,
		`heimsight_ingest_inflight_records 0`,
		`heimsight_embedded_store_`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.do(http.MethodGet, "/api/v2/nothing", "", nil), 404, "not_found")
	wantError(t, e.do(http.MethodDelete, "/api/v1/logs", "", nil), 405, "method_not_allowed")
}
