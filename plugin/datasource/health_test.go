package datasource

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// fakeHealthServer answers /health with version and /api/v1/query with queryStatus.
func fakeHealthServer(t *testing.T, version string, healthStatus, queryStatus int, gotQuery *string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(healthStatus)
			json.NewEncoder(w).Encode(map[string]any{"status": "ok", "version": version, "storage": "embedded"})
		case "/api/v1/query":
			b, _ := io.ReadAll(r.Body)
			var q struct{ Query string }
			json.Unmarshal(b, &q)
			if gotQuery != nil {
				*gotQuery = q.Query + " auth=" + r.Header.Get("Authorization")
			}
			if queryStatus != http.StatusOK {
				w.WriteHeader(queryStatus)
				json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": "unauthorized", "message": "invalid token"}})
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"columns":[{"name":"count(*)","type":"int"}],"data":[[3]],"stats":{"rows":1}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func checkHealth(t *testing.T, url, token string) *backend.CheckHealthResult {
	t.Helper()
	d := New(Settings{URL: url, APIToken: token, Timeout: 5 * time.Second})
	res, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCheckHealth(t *testing.T) {
	var got string
	srv := fakeHealthServer(t, "dev", 200, 200, &got)
	res := checkHealth(t, srv.URL, "secret")
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "answered a test query") {
		t.Errorf("healthy: %v %q", res.Status, res.Message)
	}
	if got != "SELECT count(*) FROM logs LIMIT 1 auth=Bearer secret" {
		t.Errorf("test query %q", got)
	}

	cases := []struct {
		name string
		srv  func() string
		tok  string
		msg  string
	}{
		{"unreachable", func() string { s := httptest.NewServer(nil); s.Close(); return s.URL }, "", "Cannot reach the Heimsight ingestor"},
		{"bad token", func() string { return fakeHealthServer(t, "0.3.0", 200, 401, nil).URL }, "wrong", "rejected the API token (HTTP 401)"},
		{"missing token", func() string { return fakeHealthServer(t, "0.3.0", 200, 403, nil).URL }, "", "requires an API token"},
		{"health refuses token", func() string { return fakeHealthServer(t, "0.3.0", 401, 200, nil).URL }, "x", "rejected the API token"},
		{"too old", func() string { return fakeHealthServer(t, "0.0.9", 200, 200, nil).URL }, "", "Incompatible Heimsight version"},
		{"too new", func() string { return fakeHealthServer(t, "v2.1.0", 200, 200, nil).URL }, "", "upgrade the plugin"},
		{"stopping", func() string { return fakeHealthServer(t, "0.3.0", 503, 200, nil).URL }, "", "is not healthy (HTTP 503): status ok"},
		{"no query API", func() string { return fakeHealthServer(t, "0.1.0", 200, 404, nil).URL }, "", "has no HQL query API"},
		{"not heimsight", func() string {
			s := httptest.NewServer(http.NotFoundHandler())
			t.Cleanup(s.Close)
			return s.URL
		}, "", "is not a Heimsight ingestor"},
	}
	for _, c := range cases {
		res := checkHealth(t, c.srv(), c.tok)
		if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, c.msg) {
			t.Errorf("%s: %v %q, want an error containing %q", c.name, res.Status, res.Message, c.msg)
		}
	}
}

func TestMisconfiguredInstance(t *testing.T) {
	inst, err := NewInstance(context.Background(), backend.DataSourceInstanceSettings{URL: "ftp://x"})
	if err != nil {
		t.Fatal(err)
	}
	h := inst.(backend.CheckHealthHandler)
	res, _ := h.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "must start with http") {
		t.Errorf("%v %q", res.Status, res.Message)
	}
	qd := inst.(backend.QueryDataHandler)
	resp, _ := qd.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{RefID: "A"}}})
	if r := resp.Responses["A"]; r.Error == nil || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("%+v", r)
	}
}
