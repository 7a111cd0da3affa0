//go:build duckdb_arrow

package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/query"
)

const base = int64(1_795_000_000_000_000_000) // 2026-11-18

func mustIngest(t *testing.T, e *testEnv, path, body string) {
	t.Helper()
	rec := e.do(http.MethodPost, path, "application/json", []byte(body))
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"rejected":1`) {
		t.Fatalf("ingest %s: %d %s", path, rec.Code, rec.Body)
	}
}

func getList(t *testing.T, e *testEnv, path string) client.ListResponse {
	t.Helper()
	rec := e.do(http.MethodGet, path, "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	var out client.ListResponse
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func bodies(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it["body"]))
	}
	return out
}

func seedLogs(t *testing.T, e *testEnv) {
	var recs []string
	for i := range 10 {
		sev, svc := "INFO", "api"
		if i%3 == 0 {
			sev = "ERROR"
		}
		if i%2 == 0 {
			svc = "web"
		}
		recs = append(recs, fmt.Sprintf(`{"timestamp": %d, "severity": %q, "service": %q, "body": "Request %d Timed Out",
		  "attributes": {"http.method": %q, "i": %d}, "trace_id": "%032x"}`,
			base+int64(i)*1000, sev, svc, i, map[bool]string{true: "GET", false: "POST"}[i < 5], i, i+1))
	}
	// Two records with the same timestamp, to exercise the cursor across ties.
	recs = append(recs, fmt.Sprintf(`{"timestamp": %d, "body": "tie a", "service": "tie"}`, base+20_000))
	recs = append(recs, fmt.Sprintf(`{"timestamp": %d, "body": "tie b", "service": "tie"}`, base+20_000))
	mustIngest(t, e, "/api/v1/logs", "["+strings.Join(recs, ",")+"]")
}

func TestListLogs(t *testing.T) {
	e := newEnv(t)
	seedLogs(t, e)

	all := getList(t, e, "/api/v1/logs")
	if all.Count != 12 || all.NextCursor != "" {
		t.Fatalf("count %d cursor %q", all.Count, all.NextCursor)
	}
	first := all.Items[0]
	if first["service"] != "tie" {
		t.Fatalf("newest first: got %v", first)
	}
	last := all.Items[11]
	if ts, _ := last["timestamp"].(json.Number).Int64(); ts != base || last["timestamp_rfc3339"] != "2026-11-18T11:06:40Z" {
		t.Fatalf("oldest = %v", last)
	}
	if attrs, ok := last["attributes"].(map[string]any); !ok || attrs["http.method"] != "GET" {
		t.Fatalf("attributes = %#v", last["attributes"])
	}

	tests := []struct {
		query string
		want  []string
	}{
		{"service=web&severity=error", []string{"Request 6 Timed Out", "Request 0 Timed Out"}},
		{"q=request+3+TIMED", []string{"Request 3 Timed Out"}},
		{"attr.http.method=POST&service=api", []string{"Request 9 Timed Out", "Request 7 Timed Out", "Request 5 Timed Out"}},
		{fmt.Sprintf("from=%d&to=%d", base+2000, base+4000), []string{"Request 3 Timed Out", "Request 2 Timed Out"}},
		{"from=2026-11-18T11:06:40.000008Z", []string{"tie a", "tie b", "Request 9 Timed Out", "Request 8 Timed Out"}},
		{fmt.Sprintf("trace_id=%032X", 5), []string{"Request 4 Timed Out"}},
		{"severity=17", []string{"Request 9 Timed Out", "Request 6 Timed Out", "Request 3 Timed Out", "Request 0 Timed Out"}},
		{"resource.service.name=tie", []string{"tie a", "tie b"}},
	}
	for _, tt := range tests {
		got := bodies(getList(t, e, "/api/v1/logs?"+tt.query).Items)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: got %q, want %q", tt.query, got, tt.want)
		}
	}
}

func TestListCursor(t *testing.T) {
	e := newEnv(t)
	seedLogs(t, e)
	var got []string
	path := "/api/v1/logs?limit=1"
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("cursor does not end")
		}
		page := getList(t, e, path)
		got = append(got, bodies(page.Items)...)
		if page.NextCursor == "" {
			break
		}
		path = "/api/v1/logs?limit=1&cursor=" + url.QueryEscape(page.NextCursor)
	}
	all := bodies(getList(t, e, "/api/v1/logs").Items)
	if strings.Join(got, "|") != strings.Join(all, "|") {
		t.Fatalf("paged %q\nwant  %q", got, all)
	}
	// Pages of 5 cover the same rows.
	p1 := getList(t, e, "/api/v1/logs?limit=5")
	p2 := getList(t, e, "/api/v1/logs?limit=5&cursor="+url.QueryEscape(p1.NextCursor))
	if p1.Count != 5 || p2.Count != 5 || bodies(p2.Items)[0] != all[5] {
		t.Fatalf("pages of 5: %q then %q", bodies(p1.Items), bodies(p2.Items))
	}
}

func TestListBadParameters(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{
		"/api/v1/logs?limit=0", "/api/v1/logs?limit=10001", "/api/v1/logs?limit=x",
		"/api/v1/logs?from=yesterday", "/api/v1/logs?trace_id=abc", "/api/v1/logs?cursor=!!!",
		"/api/v1/logs?servce=x", "/api/v1/logs?severity=99", "/api/v1/traces?status=fine",
		"/api/v1/traces?min_duration=soon", "/api/v1/metrics?type=counter", "/api/v1/logs?name=x",
	} {
		rec := e.do(http.MethodGet, q, "", nil)
		wantError(t, rec, http.StatusBadRequest, "bad_request")
	}
}

const tid2 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func TestTracesAndTraceByID(t *testing.T) {
	e := newEnv(t)
	// Children start before or with their parents to check the order is by parentage.
	mustIngest(t, e, "/api/v1/traces", fmt.Sprintf(`[
	  {"trace_id": %[1]q, "span_id": "0000000000000003", "parent_span_id": "0000000000000002", "name": "db", "start_time": %[2]d, "duration_ns": 10, "service": "db"},
	  {"trace_id": %[1]q, "span_id": "0000000000000002", "parent_span_id": "0000000000000001", "name": "handler", "start_time": %[3]d, "duration_ns": 3000000, "status": "error", "kind": "internal", "service": "api"},
	  {"trace_id": %[1]q, "span_id": "0000000000000001", "name": "GET /", "start_time": %[4]d, "duration_ns": 5000000, "kind": "server", "service": "api",
	   "attributes": {"http.method": "GET"}},
	  {"trace_id": %[5]q, "span_id": "0000000000000009", "name": "other", "start_time": %[4]d, "duration_ns": 1, "service": "x"}
	]`, tid2, base+1, base+2, base+3, tid))

	tr := getList(t, e, "/api/v1/traces/"+strings.ToUpper(tid2))
	var order []string
	for _, s := range tr.Items {
		order = append(order, s["name"].(string))
	}
	if strings.Join(order, ",") != "GET /,handler,db" {
		t.Fatalf("trace order = %v", order)
	}
	wantError(t, e.do(http.MethodGet, "/api/v1/traces/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "", nil), 404, "not_found")
	wantError(t, e.do(http.MethodGet, "/api/v1/traces/xyz", "", nil), 400, "bad_request")
	wantError(t, e.do(http.MethodGet, "/api/v1/traces/"+tid2+"0", "", nil), 400, "bad_request")

	for q, want := range map[string]string{
		"min_duration=2ms":                 "GET /,handler",
		"min_duration=2ms&status=ok":       "",
		"status=error":                     "handler",
		"name=db":                          "db",
		"kind=server,internal":             "GET /,handler",
		"attr.http.method=GET":             "GET /",
		"trace_id=" + tid + "&name=other":  "other",
		"service=api&max_duration=4000000": "handler",
	} {
		var names []string
		for _, s := range getList(t, e, "/api/v1/traces?"+q).Items {
			names = append(names, s["name"].(string))
		}
		if strings.Join(names, ",") != want {
			t.Errorf("%s: got %v, want %s", q, names, want)
		}
	}
}

func TestListMetrics(t *testing.T) {
	e := newEnv(t)
	mustIngest(t, e, "/api/v1/metrics", fmt.Sprintf(`[
	  {"name": "cpu", "timestamp": %d, "value": 0.5, "service": "a"},
	  {"name": "req", "type": "sum", "timestamp": %d, "value": 3, "monotonic": true},
	  {"name": "lat", "type": "histogram", "timestamp": %d, "count": 3, "sum": 6, "bucket_counts": [1, 2], "explicit_bounds": [5]}
	]`, base, base+1, base+2))
	hist := getList(t, e, "/api/v1/metrics?type=histogram")
	if hist.Count != 1 || hist.Items[0]["name"] != "lat" {
		t.Fatalf("histograms = %+v", hist.Items)
	}
	if b := fmt.Sprint(hist.Items[0]["bucket_counts"]); b != "[1 2]" {
		t.Fatalf("bucket_counts = %s", b)
	}
	if got := getList(t, e, "/api/v1/metrics?name=cpu"); got.Count != 1 || fmt.Sprint(got.Items[0]["value"]) != "0.5" {
		t.Fatalf("cpu = %+v", got.Items)
	}
}

func postQuery(e *testEnv, body string, accept string) *httptest.ResponseRecorder {
	r := newRequest(http.MethodPost, "/api/v1/query", []byte(body))
	r.Header.Set("Content-Type", "application/json")
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	return serve(e, r)
}

func TestQuery(t *testing.T) {
	e := newEnv(t)
	seedLogs(t, e)
	rec := postQuery(e, `{"query": "SELECT service, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY service ORDER BY service",
	  "from": "2026-11-18T00:00:00Z", "to": "`+fmt.Sprint(base+100_000)+`", "max_rows": 10}`, "")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var qr client.QueryResponse
	decodeJSON(t, rec, &qr)
	if len(qr.Columns) != 2 || qr.Columns[0] != (client.Column{Name: "service", Type: "string"}) || qr.Columns[1].Type != "int" {
		t.Fatalf("columns = %+v", qr.Columns)
	}
	if fmt.Sprint(qr.Data) != "[[api tie web] [5 2 5]]" || qr.Stats.Rows != 3 || qr.Stats.Truncated {
		t.Fatalf("data = %v stats %+v", qr.Data, qr.Stats)
	}

	// Timestamps come back as Unix nanoseconds, maps as objects.
	rec = postQuery(e, `{"query": "SELECT timestamp, attributes FROM logs ORDER BY timestamp LIMIT 1"}`, "")
	decodeJSON(t, rec, &qr)
	if fmt.Sprint(qr.Data[0][0]) != fmt.Sprint(base) || fmt.Sprint(qr.Data[1][0]) != "map[http.method:GET i:0]" {
		t.Fatalf("data = %v", qr.Data)
	}

	// max_rows lowers the query's LIMIT and says so.
	rec = postQuery(e, `{"query": "SELECT body FROM logs LIMIT 10", "max_rows": 3}`, "")
	decodeJSON(t, rec, &qr)
	if qr.Stats.Rows != 3 || !qr.Stats.Truncated {
		t.Fatalf("stats = %+v", qr.Stats)
	}

	// Arrow IPC stream.
	rec = postQuery(e, `{"query": "SELECT body FROM logs ORDER BY timestamp LIMIT 4"}`, ArrowStreamType)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != ArrowStreamType || rec.Header().Get("X-Heimsight-Rows") != "4" {
		t.Fatalf("arrow: %d %v", rec.Code, rec.Header())
	}
	rd, err := ipc.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for rd.Next() {
		n += rd.RecordBatch().NumRows()
	}
	rd.Release()
	if n != 4 {
		t.Fatalf("arrow rows = %d", n)
	}
}

func TestQueryErrors(t *testing.T) {
	e := newEnv(t)
	rec := postQuery(e, `{"query": "SELECT body\nFROM logs\nWHERE severity_txt = 'x'"}`, "")
	d := wantError(t, rec, 400, "invalid_query")
	if d.Line != 3 || d.Column != 7 || !strings.Contains(d.Message, "severity_text") {
		t.Fatalf("error = %+v", d)
	}
	rec = postQuery(e, `{"query": "SELECT body FROM logs WHERE"}`, "")
	if d = wantError(t, rec, 400, "invalid_query"); d.Line != 1 || d.Column == 0 {
		t.Fatalf("error = %+v", d)
	}
	rec = postQuery(e, `{"query": "SELECT 1", "limit": 5}`, "")
	if d = wantError(t, rec, 400, "unknown_field"); d.Field != "limit" {
		t.Fatalf("error = %+v", d)
	}
	wantError(t, postQuery(e, `{"query": ""}`, ""), 400, "invalid_query")
	wantError(t, postQuery(e, `{"query": "SELECT body FROM logs", "from": "noon"}`, ""), 400, "bad_request")
	wantError(t, postQuery(e, `{"query": "SELECT body FROM logs", "interval": "often"}`, ""), 400, "bad_request")
	wantError(t, postQuery(e, `{"query": `, ""), 400, "invalid_json")
}

// Filter values reach the query as literals: quotes and LIKE wildcards match only themselves.
func TestListFilterValuesAreLiterals(t *testing.T) {
	e := newEnv(t)
	mustIngest(t, e, "/api/v1/logs", `[{"timestamp": 1795000000000000000, "body": "disk 100% full", "attributes": {"it's": "o'k"}},
	  {"timestamp": 1795000000000000001, "body": "disk 1000 full"}, {"timestamp": 1795000000000000002, "body": "a_b"},
	  {"timestamp": 1795000000000000003, "body": "axb"}, {"timestamp": 1795000000000000004, "body": "say 'hi' OR 1=1"}]`)
	for q, want := range map[string]string{
		"q=" + url.QueryEscape("100%"):        "disk 100% full",
		"q=a_b":                               "a_b",
		"q=" + url.QueryEscape("'hi' or 1=1"): "say 'hi' OR 1=1",
		"attr." + url.QueryEscape("it's") + "=" + url.QueryEscape("o'k"): "disk 100% full",
		"service=" + url.QueryEscape("' OR ''='"):                        "",
	} {
		if got := strings.Join(bodies(getList(t, e, "/api/v1/logs?"+q).Items), "|"); got != want {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
}

// With HEIMSIGHT_QUERY_MAX_ROWS below a page's limit, the server's cap cuts the page: the client
// must still get a cursor, and following it must reach every record once.
func TestListPagesUnderServerRowCap(t *testing.T) {
	e := newEnv(t)
	seedLogs(t, e)
	a, err := New(Options{Pipeline: e.api.opts.Pipeline, Version: "test", Backend: e.store.Backend(), MaxRequestBytes: 1 << 20,
		Logger: slog.New(slog.DiscardHandler), Query: &query.Engine{Store: e.store, MaxRows: 5}})
	if err != nil {
		t.Fatal(err)
	}
	capped := &testEnv{api: a, store: e.store}
	seen := map[string]bool{}
	path := "/api/v1/logs?limit=10"
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page := getList(t, capped, path)
		if page.Count > 5 {
			t.Fatalf("page of %d items above the server's cap of 5", page.Count)
		}
		for _, it := range page.Items {
			b := fmt.Sprint(it["body"])
			if seen[b] {
				t.Fatalf("record %q seen twice", b)
			}
			seen[b] = true
		}
		if page.NextCursor == "" {
			break
		}
		path = "/api/v1/logs?limit=10&cursor=" + url.QueryEscape(page.NextCursor)
	}
	if len(seen) != 12 {
		t.Fatalf("paging reached %d of 12 records", len(seen))
	}
}
