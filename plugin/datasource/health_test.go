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

	"github.com/heimsight/heimsight/pkg/auth"
)

// fakeHealthServer answers /health with version and healthStatus (401 and 403 as a proxy
// would) and /api/v1/query with queryStatus.
func fakeHealthServer(t *testing.T, version string, healthStatus, queryStatus int, gotQuery *string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			if healthStatus == http.StatusUnauthorized || healthStatus == http.StatusForbidden {
				// Heimsight serves /health to anyone: these come from a proxy in front of it.
				http.Error(w, http.StatusText(healthStatus), healthStatus)
				return
			}
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
		{"missing token, 403", func() string { return fakeHealthServer(t, "0.3.0", 200, 403, nil).URL }, "", "requires an API token (HTTP 403 on /api/v1/query)"},
		{"proxy wants credentials", func() string { return fakeHealthServer(t, "0.3.0", 401, 200, nil).URL }, "x", `refused /health as unauthenticated (HTTP 401): "Unauthorized"`},
		{"proxy forbids /health", func() string { return fakeHealthServer(t, "0.3.0", 403, 200, nil).URL }, "x", `refused /health (HTTP 403): "Forbidden"`},
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

// TestCheckHealthTokens runs CheckHealth against the ingestor's real authorization: an unknown
// token is a 401, a known token without the query scope a 403, and the messages say which.
func TestCheckHealthTokens(t *testing.T) {
	srv := realIngestor(t, &tierStore{value: "n"},
		auth.NewToken("grafana", auth.ScopeQuery|auth.ScopeAdmin, "grafana-secret"),
		auth.NewToken("collector", auth.ScopeIngest, "collector-secret"))
	for _, c := range []struct {
		name, tok string
		ok        bool
		msgs      []string
	}{
		{"query scope", "grafana-secret", true, []string{"Heimsight 0.3.0 is reachable (embedded store) and answered a test query."}},
		{"no token", "", false, []string{"The ingestor requires an API token (HTTP 401 on /api/v1/query)"}},
		{"unknown token", "wrong-secret", false, []string{
			`rejected the API token (HTTP 401): "unauthenticated: unknown API token".`, "unknown or invalid"}},
		{"ingest scope only", "collector-secret", false, []string{
			`The API token is valid but lacks the "query" scope`,
			`(HTTP 403): "forbidden: token "collector" has scope ingest; this endpoint needs query".`, "admin"}},
	} {
		res := checkHealth(t, srv.URL, c.tok)
		if (res.Status == backend.HealthStatusOk) != c.ok {
			t.Errorf("%s: status %v %q", c.name, res.Status, res.Message)
		}
		for _, m := range c.msgs {
			if !strings.Contains(res.Message, m) {
				t.Errorf("%s: message %q, want it to contain %q", c.name, res.Message, m)
			}
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
