package datasource

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/heimsight/heimsight/pkg/hql"
)

type captureSender struct {
	status int
	body   []byte
}

func (c *captureSender) Send(r *backend.CallResourceResponse) error {
	if r.Status != 0 {
		c.status = r.Status
	}
	c.body = append(c.body, r.Body...)
	return nil
}

func callResource(t *testing.T, d *Datasource, method, path string, body string) (int, string) {
	t.Helper()
	return callResourceAs(t, d, &backend.User{Login: "admin", Role: "Admin"}, method, path, body)
}

// callResourceAs calls a resource as Grafana does for the given signed-in user.
func callResourceAs(t *testing.T, d *Datasource, user *backend.User, method, path string, body string) (int, string) {
	t.Helper()
	var s captureSender
	err := d.CallResource(context.Background(), &backend.CallResourceRequest{Method: method, Path: strings.SplitN(path, "?", 2)[0],
		URL: path, Body: []byte(body), PluginContext: backend.PluginContext{User: user}}, &s)
	if err != nil {
		t.Fatal(err)
	}
	return s.status, strings.TrimSpace(string(s.body))
}

func TestResourcesReplayed(t *testing.T) {
	rs := newReplay(t)
	d := newTestDatasource(rs.URL, false)
	for _, c := range []struct{ path, want string }{
		{"values?table=logs&column=service&from=1&to=2", `{"values":["checkout","payments"]}`},
		{"values?table=logs&column=attributes.user.id&service=checkout&from=1&to=2", `{"values":["1","42"]}`},
		{"services?from=1&to=2", `{"services":["checkout","payments"]}`},
		{"metric-names?from=1&to=2", `{"metricNames":["queue.depth"]}`},
	} {
		code, body := callResource(t, d, "GET", c.path, "")
		if code != 200 || body != c.want {
			t.Errorf("%s: %d %s, want %s", c.path, code, body, c.want)
		}
	}
}

func TestCatalogResource(t *testing.T) {
	d := newTestDatasource("http://127.0.0.1:1", false)
	code, body := callResource(t, d, "GET", "catalog", "")
	var cat catalogJSON
	if err := json.Unmarshal([]byte(body), &cat); err != nil || code != 200 {
		t.Fatalf("%d %v", code, err)
	}
	if len(cat.Tables) != len(hql.DefaultCatalog().Tables()) || cat.Tables[0].Name != "logs" {
		t.Errorf("tables %+v", cat.Tables)
	}
	found := false
	for _, c := range cat.Tables[0].Columns {
		if c.Name == "level" && c.Type == "string" {
			found = true
		}
	}
	if !found || len(cat.Functions) == 0 || len(cat.Macros) == 0 || len(cat.Keywords) == 0 {
		t.Errorf("catalog incomplete: level column %v, %d functions, %d macros", found, len(cat.Functions), len(cat.Macros))
	}
}

func TestResourceErrors(t *testing.T) {
	d := newTestDatasource("http://127.0.0.1:1", false)
	for _, c := range []struct {
		path string
		code int
		msg  string
	}{
		{"values?table=nope&column=x", 400, "unknown table"},
		{"values?table=logs", 400, "needs column"},
		{"values?table=logs&column=service&limit=0", 400, "limit"},
		{"values?table=logs&column=service&from=yesterday", 400, "not Unix milliseconds"},
		{"values?table=logs&column=service", 502, "cannot reach"},
		{"nothing", 404, "no resource"},
	} {
		code, body := callResource(t, d, "GET", c.path, "")
		if code != c.code || !strings.Contains(body, c.msg) {
			t.Errorf("%s: %d %s, want %d with %q", c.path, code, body, c.code, c.msg)
		}
	}
}

// TestRetentionProxy checks that GET and PUT reach the ingestor with the token and that its
// answer, error or not, comes back unchanged.
func TestRetentionProxy(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+string(b))
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"code":"invalid","message":"ttlDays must be 1..3650"}}`)
			return
		}
		io.WriteString(w, `{"policies":[{"dataType":"logs","tier":"raw","ttlDays":7}]}`)
	}))
	defer srv.Close()
	d := newTestDatasource(srv.URL, false)
	code, body := callResource(t, d, "GET", "retention", "")
	if code != 200 || body != `{"policies":[{"dataType":"logs","tier":"raw","ttlDays":7}]}` {
		t.Errorf("GET: %d %s", code, body)
	}
	code, body = callResource(t, d, "PUT", "retention", `{"policies":[{"dataType":"logs","tier":"raw","ttlDays":0}]}`)
	if code != 400 || !strings.Contains(body, "ttlDays must be") {
		t.Errorf("PUT: %d %s", code, body)
	}
	want := []string{"GET /api/v1/config/retention Bearer token-1 ", `PUT /api/v1/config/retention Bearer token-1 {"policies":[{"dataType":"logs","tier":"raw","ttlDays":0}]}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("proxied requests\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if code, body := callResource(t, d, "PUT", "retention", `not json`); code != 400 {
		t.Errorf("PUT not JSON: %d %s", code, body)
	}

	// Any user who may query may call resources; only an Admin may change retention, and a
	// refused change never reaches the ingestor.
	got = nil
	for _, u := range []*backend.User{nil, {Login: "v", Role: "Viewer"}, {Login: "e", Role: "Editor"}} {
		for _, path := range []string{"retention", "retention/policy"} {
			if code, body := callResourceAs(t, d, u, "PUT", path, `{"logs":{"data_type":"logs","ttl_days":1}}`); code != 403 || !strings.Contains(body, "Admin") {
				t.Errorf("PUT %s as %+v: %d %s, want 403", path, u, code, body)
			}
		}
		if code, _ := callResourceAs(t, d, u, "GET", "retention", ""); code != 200 {
			t.Errorf("GET retention as %+v: %d, want 200", u, code)
		}
	}
	for _, g := range got {
		if strings.HasPrefix(g, "PUT") {
			t.Errorf("a refused change reached the ingestor: %s", g)
		}
	}
}
