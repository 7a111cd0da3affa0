package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// hostileResult is one answer of the server to a hostile request.
type hostileResult struct {
	status int
	body   string
}

func (s *server) send(method, rawURL, contentType string, header map[string]string, body []byte) hostileResult {
	s.t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// No redirects: a cleaned path must not lead anywhere by a second request.
	hc := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		s.t.Fatalf("%s %.120s: %v (the server must answer, not drop the connection)", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return hostileResult{resp.StatusCode, string(b)}
}

// queryCount runs HQL returning one count column and returns its value, or the failure.
func (s *server) queryCount(hql string) (int64, hostileResult) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": hql})
	r := s.send("POST", "http://"+s.rest+"/api/v1/query", "application/json", nil, body)
	if r.status != http.StatusOK {
		return -1, r
	}
	var out struct {
		Data [][]json.Number `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || len(out.Data) != 1 || len(out.Data[0]) != 1 {
		s.t.Fatalf("query %q: unexpected answer %.300s", hql, r.body)
	}
	n, _ := out.Data[0][0].Int64()
	return n, r
}

// wantRefused checks a clean refusal: a 4xx status, a JSON error with a message, nothing else.
func wantRefused(t *testing.T, what string, r hostileResult, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d: %.300s", what, r.status, status, r.body)
		return
	}
	var eb struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &eb); err != nil || eb.Error.Message == "" {
		t.Errorf("%s: %d without a JSON error message: %.300s", what, r.status, r.body)
	}
}

const hostileService = "hostile-baseline"

// TestHostileInput sends injection attempts, oversized and deeply nested bodies and path tricks
// to a real server, and checks that each is refused cleanly (a 4xx with a message) or, where the
// input is a well-formed literal, treated as that literal and nothing more; and that afterwards
// the server still ingests and answers, with the data stored before it intact.
func TestHostileInput(t *testing.T) {
	s := startServer(t, t.TempDir())
	rest := "http://" + s.rest
	baseline := `[{"timestamp": "2026-11-27T10:00:00Z", "service": "` + hostileService + `", "body": "one", "attributes": {"k": "v1"}},
	              {"timestamp": "2026-11-27T10:00:01Z", "service": "` + hostileService + `", "body": "two", "attributes": {"k": "v2"}},
	              {"timestamp": "2026-11-27T10:00:02Z", "service": "` + hostileService + `", "body": "it's 100% done", "attributes": {"k": "v3", "a'b": "quote"}}]`
	if r := s.send("POST", rest+"/api/v1/logs", "application/json", nil, []byte(baseline)); r.status != 200 {
		t.Fatalf("baseline ingest: %d %s", r.status, r.body)
	}
	snapshot := func() string {
		_, data := s.query("SELECT timestamp, body, attributes FROM logs WHERE service = '" + hostileService + "' ORDER BY timestamp")
		b, _ := json.Marshal(data)
		return string(b)
	}
	before := snapshot()
	if !strings.Contains(before, "it's 100% done") {
		t.Fatalf("baseline not stored: %s", before)
	}
	total := func() int64 {
		n, r := s.queryCount("SELECT count(*) AS n FROM logs")
		if n < 0 {
			t.Fatalf("count: %d %s", r.status, r.body)
		}
		return n
	}
	totalBefore := total()

	t.Run("HQL literals are literals", func(t *testing.T) {
		for _, lit := range []string{
			`x'' OR ''1''=''1`,                    // classic quote break-out, escaped as HQL wants
			`x''; DROP TABLE logs; --`,            // statement stacking inside a literal
			`x'' UNION SELECT body FROM spans --`, // union injection
			`\'' OR 1=1 --`,                       // backslash escapes are not escapes in SQL
			`x/* comment */`,
			`$__timeFilter(timestamp)`, // template variables are not expanded inside literals
			`${__from}`, `$__interval`, `$service`,
			"x\x00y",
		} {
			hql := "SELECT count(*) AS n FROM logs WHERE body = '" + lit + "'"
			n, r := s.queryCount(hql)
			if n != 0 {
				t.Errorf("%q: count %d, status %d (want 0 rows: the whole text is one literal): %.200s", hql, n, r.status, r.body)
			}
		}
		// The literal that matches matches exactly one row, quotes and percent sign included.
		if n, r := s.queryCount("SELECT count(*) AS n FROM logs WHERE body = 'it''s 100% done'"); n != 1 {
			t.Errorf("escaped quote literal: %d %d %s", n, r.status, r.body)
		}
		if n, r := s.queryCount("SELECT count(*) AS n FROM logs WHERE body LIKE '%''%' AND service = '" + hostileService + "'"); n != 1 {
			t.Errorf("LIKE with a quote: %d %d %s", n, r.status, r.body)
		}
	})

	t.Run("HQL statements, identifiers and functions outside the catalog", func(t *testing.T) {
		for _, hql := range []string{
			"SELECT count(*) FROM logs; DROP TABLE logs",
			"SELECT count(*) FROM logs; SELECT 1",
			"DROP TABLE logs",
			"DELETE FROM logs",
			"INSERT INTO logs (body) VALUES ('x')",
			"UPDATE logs SET body = 'x'",
			"COPY logs TO '/tmp/heimsight-hostile.csv'",
			"ATTACH '/tmp/heimsight-hostile.db' AS x",
			"INSTALL httpfs",
			"LOAD httpfs",
			"PRAGMA database_list",
			"SET threads = 1",
			"CREATE TABLE x AS SELECT * FROM logs",
			`SELECT * FROM "logs; DROP TABLE logs"`,
			`SELECT "body"" FROM logs; --" FROM logs`,
			"SELECT * FROM read_parquet('/etc/passwd')",
			"SELECT * FROM read_csv('/etc/passwd')",
			"SELECT * FROM '/etc/passwd'",
			"SELECT read_text('/etc/passwd') FROM logs",
			"SELECT getenv('HOME') FROM logs",
			"SELECT * FROM duckdb_settings()",
			"SELECT * FROM information_schema.tables",
			"SELECT * FROM pragma_database_list",
			"SELECT * FROM heimsight_buffer_logs",
			"SELECT * FROM logs WHERE body = $1",
			"SELECT * FROM logs WHERE $__unknownMacro(timestamp)",
			"SELECT * FROM logs WHERE $__timeFilter(timestamp); DROP TABLE logs",
			"SELECT * FROM logs -- trailing\n; DROP TABLE logs",
			"SELECT * FROM logs /* a */ UNION ALL SELECT * FROM spans",
			"SELECT count(*) FROM logs WHERE " + strings.Repeat("(", 500) + "1=1" + strings.Repeat(")", 500),
			"SELECT " + strings.Repeat("x", 70_000) + " FROM logs",
		} {
			body, _ := json.Marshal(map[string]any{"query": hql})
			r := s.send("POST", rest+"/api/v1/query", "application/json", nil, body)
			if r.status != http.StatusBadRequest && r.status != http.StatusRequestEntityTooLarge {
				t.Errorf("%.100q: status %d, want 400 (or 413): %.300s", hql, r.status, r.body)
				continue
			}
			wantRefused(t, fmt.Sprintf("%.60q", hql), r, r.status)
		}
	})

	t.Run("attribute keys", func(t *testing.T) {
		// A key is a literal too: the quote inside it is part of the key.
		if n, r := s.queryCount("SELECT count(*) AS n FROM logs WHERE attributes['a''b'] = 'quote'"); n != 1 {
			t.Errorf("key with a quote: %d %d %s", n, r.status, r.body)
		}
		for _, key := range []string{`x''] = '''' OR 1=1 --`, `x'']; DROP TABLE logs; --`, `k'' OR ''1''=''1`, `$__timeFilter(timestamp)`} {
			hql := "SELECT count(*) AS n FROM logs WHERE attributes['" + key + "'] = 'v1'"
			if n, r := s.queryCount(hql); n != 0 {
				t.Errorf("%q: count %d, status %d, want 0: %.200s", hql, n, r.status, r.body)
			}
		}
	})

	t.Run("REST listing filters", func(t *testing.T) {
		items := func(params url.Values) (int, hostileResult) {
			r := s.send("GET", rest+"/api/v1/logs?"+params.Encode(), "", nil, nil)
			if r.status != 200 {
				return -1, r
			}
			var out struct{ Items []map[string]any }
			json.Unmarshal([]byte(r.body), &out)
			return len(out.Items), r
		}
		for _, v := range []string{`' OR '1'='1`, `v1' --`, `v1'; DROP TABLE logs; --`, `v1/* x */`, `%`, `_1`, `$__timeFilter(timestamp)`, `${__to}`, `v1\`} {
			for _, key := range []string{"attr.k", "resource.service.name", "service", "q", "name"} {
				params := url.Values{key: {v}}
				if key == "q" {
					params.Set("service", hostileService)
				}
				n, r := items(params)
				if key == "name" { // not a logs filter: refused with the list of accepted ones
					wantRefused(t, "unknown parameter", r, 400)
					continue
				}
				want := 0
				if key == "q" && v == "%" {
					want = 1 // the literal percent sign in "it's 100% done"
				}
				if n != want {
					t.Errorf("%s=%q: %d items, status %d, want %d: %.200s", key, v, n, r.status, want, r.body)
				}
			}
		}
		for _, key := range []string{`attr.k'] = 'v1' OR 1=1 --`, `attr.k"`, `attr.a'b`, `resource.x'); DROP TABLE logs; --`, "attr.k\x00"} {
			n, r := items(url.Values{key: {"quote"}})
			want := 0
			if key == `attr.a'b` {
				want = 1
			}
			if n != want {
				t.Errorf("key %q: %d items, status %d, want %d: %.200s", key, n, r.status, want, r.body)
			}
		}
		if n, _ := items(url.Values{"attr.k": {"v1"}, "service": {hostileService}}); n != 1 {
			t.Errorf("the honest filter finds %d rows, want 1", n)
		}
		for _, bad := range []url.Values{{"limit": {"1; DROP TABLE logs"}}, {"from": {"' OR 1=1"}}, {"trace_id": {"' OR 1=1 --"}},
			{"cursor": {"eyJiIjoiJyBPUiAxPTEifQ"}}, {"severity": {"info'; --"}}} {
			_, r := items(bad)
			if bad.Has("severity") { // an unknown level name is a literal that matches nothing
				if r.status != 200 {
					t.Errorf("%v: %d %s", bad, r.status, r.body)
				}
				continue
			}
			wantRefused(t, fmt.Sprint(bad), r, 400)
		}
	})

	t.Run("paths", func(t *testing.T) {
		for _, p := range []string{
			"/api/v1/traces/..%2f..%2f..%2fetc%2fpasswd",
			"/api/v1/traces/' OR 1=1 --",
			"/api/v1/traces/0102030405060708090a0b0c0d0e0f10'",
			"/api/v1/../../../../etc/passwd",
			"/%2e%2e/%2e%2e/etc/passwd",
			"/api/v1/logs%00.json",
		} {
			r := s.send("GET", rest+p, "", nil, nil)
			if r.status < 300 || r.status >= 500 || strings.Contains(r.body, "root:") {
				t.Errorf("GET %s: %d %.200s", p, r.status, r.body)
			}
		}
	})

	t.Run("oversized and deeply nested JSON", func(t *testing.T) {
		deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
		wantRefused(t, "REST ingest nested 101 levels", s.send("POST", rest+"/api/v1/logs", "application/json", nil, []byte(deep(101))), 400)
		wantRefused(t, "REST ingest nested 100,000 levels", s.send("POST", rest+"/api/v1/logs", "application/json", nil, []byte(deep(100_000))), 400)
		deepObj := `{"timestamp": 1, "attributes": {"a": ` + strings.Repeat(`{"a":`, 90) + `1` + strings.Repeat("}", 90) + `}}`
		wantRefused(t, "REST record with a value nested 90 levels", s.send("POST", rest+"/api/v1/logs", "application/json", nil, []byte(deepObj)), 400)
		wantRefused(t, "query body nested", s.send("POST", rest+"/api/v1/query", "application/json", nil,
			[]byte(`{"query": "SELECT 1 FROM logs", "from": `+deep(50)+`}`)), 400)
		wantRefused(t, "query body nested 100,000 levels", s.send("POST", rest+"/api/v1/query", "application/json", nil, []byte(deep(100_000))), 413)
		otlpDeep := `{"resourceLogs": [` + deep(600) + `]}`
		r := s.send("POST", "http://"+s.otlpHTTP+"/v1/logs", "application/json", nil, []byte(otlpDeep))
		if r.status != 400 || !strings.Contains(r.body, "nested more than") {
			t.Errorf("OTLP/JSON nested 600 levels: %d %.200s", r.status, r.body)
		}
		// A value nested beyond what the converter accepts rejects its record only.
		kv := `{"stringValue": "leaf"}`
		for range 80 {
			kv = `{"kvlistValue": {"values": [{"key": "k", "value": ` + kv + `}]}}`
		}
		otlpValue := `{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "1795000000000000000", "body": ` + kv + `}]}]}]}`
		r = s.send("POST", "http://"+s.otlpHTTP+"/v1/logs", "application/json", nil, []byte(otlpValue))
		if r.status != 200 || !strings.Contains(r.body, `"rejectedLogRecords"`) {
			t.Errorf("OTLP/JSON value nested 80 levels: %d %.300s", r.status, r.body)
		}
		// 17 MiB of JSON: over the 16 MiB limit.
		big := []byte(`[{"timestamp": 1, "body": "` + strings.Repeat("x", 17<<20) + `"}]`)
		wantRefused(t, "17 MiB body", s.send("POST", rest+"/api/v1/logs", "application/json", nil, big), 413)
		// A gzip bomb: 1 GiB of spaces in about 1 MiB; reading stops at the limit.
		var zb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zb, gzip.BestCompression)
		zw.Write([]byte("["))
		chunk := bytes.Repeat([]byte(" "), 1<<20)
		for range 1024 {
			zw.Write(chunk)
		}
		zw.Close()
		wantRefused(t, "gzip bomb", s.send("POST", rest+"/api/v1/logs", "application/json", map[string]string{"Content-Encoding": "gzip"}, zb.Bytes()), 413)
		// 50,001 records: one over the per-request limit.
		recs := strings.Repeat(`{"timestamp":1},`, 50_000) + `{"timestamp":1}`
		wantRefused(t, "50,001 records", s.send("POST", rest+"/api/v1/logs", "application/json", nil, []byte("["+recs+"]")), 413)
		// 5,000 attributes and a 1 MiB value: stored, with the excess dropped and the value cut.
		var attrs strings.Builder
		for i := range 5000 {
			fmt.Fprintf(&attrs, `"k%04d": "v", `, i)
		}
		rec := `{"timestamp": "2026-11-27T11:00:00Z", "service": "hostile-wide", "attributes": {` + attrs.String() + `"a-long": "` + strings.Repeat("y", 1<<20) + `"}}`
		r = s.send("POST", rest+"/api/v1/logs", "application/json", nil, []byte(rec))
		if r.status != 200 || !strings.Contains(r.body, `"dropped_attributes":4873`) || !strings.Contains(r.body, `"truncated_values":1`) {
			// 5,001 attributes sorted by key: "a-long", "k0000".."k4999"; the first 128 are kept.
			t.Errorf("wide record: %d %.300s", r.status, r.body)
		}
	})

	t.Run("nothing else affected", func(t *testing.T) {
		if r := s.send("GET", rest+"/health", "", nil, nil); r.status != 200 {
			t.Fatalf("health: %d", r.status)
		}
		if after := snapshot(); after != before {
			t.Errorf("baseline rows changed:\nbefore %s\nafter  %s", before, after)
		}
		// Only the deliberate records were added: the nested-value OTLP record was rejected, the
		// wide record stored.
		if got := total(); got != totalBefore+1 {
			t.Errorf("logs total %d, want %d + 1 (the wide record)", got, totalBefore)
		}
		if r := s.send("POST", rest+"/api/v1/logs", "application/json", nil, []byte(`{"timestamp": "2026-11-27T12:00:00Z", "service": "after", "body": "still ingesting"}`)); r.status != 200 {
			t.Errorf("ingest afterwards: %d %s", r.status, r.body)
		}
		if n, r := s.queryCount("SELECT count(*) AS n FROM logs WHERE service = 'after'"); n != 1 {
			t.Errorf("query afterwards: %d %d %s", n, r.status, r.body)
		}
		if strings.Contains(s.output(), "panic") {
			t.Errorf("the server log shows a panic:\n%s", s.output())
		}
	})
	s.stop()
}

// TestHostileFileSettings starts the real binary with file settings that point where they must
// not, and checks each refusal: the process exits non-zero before listening, with one error that
// names the setting and the reason, and without echoing file contents.
func TestHostileFileSettings(t *testing.T) {
	bin := heimsightBinary(t)
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	passwd := "/etc/passwd"
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"TLS cert is /etc/passwd by traversal", []string{"HEIMSIGHT_TLS_CERT_FILE=" + dir + "/../../../../../../.." + passwd, "HEIMSIGHT_TLS_KEY_FILE=" + passwd}, "cannot load TLS certificate"},
		{"TLS key is a directory", []string{"HEIMSIGHT_TLS_CERT_FILE=" + passwd, "HEIMSIGHT_TLS_KEY_FILE=/"}, "not a regular file but a directory"},
		{"TLS cert is a device", []string{"HEIMSIGHT_TLS_CERT_FILE=/dev/urandom", "HEIMSIGHT_TLS_KEY_FILE=" + passwd}, "a device"},
		{"token file is /etc/passwd", []string{"HEIMSIGHT_API_TOKENS_FILE=" + dir + "/.." + strings.Repeat("/..", 8) + passwd}, "cannot parse token file"},
		{"token file is /proc/self/environ", []string{"HEIMSIGHT_API_TOKENS_FILE=/proc/self/environ"}, "HEIMSIGHT_API_TOKENS_FILE"},
		{"token file missing", []string{"HEIMSIGHT_API_TOKENS_FILE=" + dir + "/../nope"}, "no such file"},
		{"data dir is a file", []string{"HEIMSIGHT_DATA_DIR=" + notDir}, "cannot open embedded store"},
		{"data dir under /proc", []string{"HEIMSIGHT_DATA_DIR=/proc/self/heimsight"}, "cannot open embedded store"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, "serve")
			cmd.Env = append(os.Environ(), "HEIMSIGHT_HOST=127.0.0.1", "HEIMSIGHT_PORT=0", "HEIMSIGHT_GRPC_PORT=0",
				"HEIMSIGHT_OTLP_HTTP_PORT=0", "HEIMSIGHT_DATA_DIR="+filepath.Join(t.TempDir(), "data"))
			cmd.Env = append(cmd.Env, c.env...)
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running after 30 s (it must refuse at once):\n%s", out)
			}
			if err == nil {
				t.Fatalf("exited 0:\n%s", out)
			}
			text := string(out)
			if !strings.Contains(text, c.want) || strings.Contains(text, "msg=listening") {
				t.Errorf("output does not refuse cleanly with %q:\n%s", c.want, text)
			}
			if strings.Contains(text, "root:x:") || strings.Contains(text, "/bin/bash") || strings.Contains(text, "PATH=") {
				t.Errorf("output echoes the file's contents:\n%s", text)
			}
			t.Logf("%s", strings.TrimSpace(text[strings.LastIndex(strings.TrimSpace(text), "\n")+1:]))
		})
	}
}

// TestTokensWithOTelExporters runs the real binary with tokens and sends logs with the official
// OpenTelemetry exporters over gRPC and HTTP, with no token, a wrong one, one without the ingest
// scope and the right one; only the last is stored. A client guessing tokens is the hostile
// input here. Nothing secret may reach the server's log, at debug level.
func TestTokensWithOTelExporters(t *testing.T) {
	const (
		ingestSecret = "e2e-collector-5c1d8f0a9b7e"
		querySecret  = "e2e-grafana-3e9a7b1c5d2f"
		wrongSecret  = "e2e-guess-000000000000000"
	)
	s := startServer(t, t.TempDir(), "HEIMSIGHT_LOG_LEVEL=debug",
		"HEIMSIGHT_API_TOKENS=collector:ingest:"+ingestSecret+",grafana:query:"+querySecret)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	export := func(transport, secret, body string) error {
		t.Helper()
		headers := map[string]string{}
		if secret != "" {
			headers["Authorization"] = "Bearer " + secret
		}
		var exp sdklog.Exporter
		var err error
		if transport == "grpc" {
			exp, err = otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(s.grpc), otlploggrpc.WithInsecure(),
				otlploggrpc.WithHeaders(headers), otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: false}))
		} else {
			exp, err = otlploghttp.New(ctx, otlploghttp.WithEndpoint(s.otlpHTTP), otlploghttp.WithInsecure(),
				otlploghttp.WithHeaders(headers), otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}))
		}
		if err != nil {
			t.Fatal(err)
		}
		defer exp.Shutdown(ctx)
		var rec sdklog.Record
		rec.SetTimestamp(time.Now())
		rec.SetBody(attribute.StringValue(body))
		return exp.Export(ctx, []sdklog.Record{rec})
	}
	for _, transport := range []string{"grpc", "http"} {
		for _, c := range []struct {
			secret, want string
		}{{"", "nauthenticated"}, {wrongSecret, "nauthenticated"}, {querySecret, "ermission"}, {ingestSecret, ""}} {
			err := export(transport, c.secret, "tokens-"+transport+"-"+c.secret)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s with the ingest token: %v", transport, err)
			case c.want != "" && err == nil:
				t.Errorf("%s with token %.10q: accepted", transport, c.secret)
			case c.want != "" && !strings.Contains(err.Error(), c.want) && !strings.Contains(err.Error(), map[string]string{"nauthenticated": "401", "ermission": "403"}[c.want]):
				t.Errorf("%s with token %.10q: %v, want %s", transport, c.secret, err, c.want)
			}
		}
	}
	// Only the two authorized exports are stored; reading needs the query token.
	q, _ := json.Marshal(map[string]any{"query": "SELECT body FROM logs ORDER BY body"})
	if r := s.send("POST", "http://"+s.rest+"/api/v1/query", "application/json", nil, q); r.status != http.StatusUnauthorized {
		t.Errorf("query without a token: %d", r.status)
	}
	r := s.send("POST", "http://"+s.rest+"/api/v1/query", "application/json", map[string]string{"Authorization": "Bearer " + querySecret}, q)
	if r.status != 200 || strings.Count(r.body, "tokens-") != 2 || !strings.Contains(r.body, "tokens-grpc-"+ingestSecret) ||
		!strings.Contains(r.body, "tokens-http-"+ingestSecret) {
		t.Errorf("stored: %d %s", r.status, r.body)
	}
	s.stop()
	log := s.output()
	for _, secret := range []string{ingestSecret, querySecret, wrongSecret} {
		if strings.Contains(log, secret) {
			t.Errorf("the server log contains a token:\n%s", log)
		}
	}
	if !strings.Contains(log, "authentication enabled") {
		t.Errorf("no authentication line in the log:\n%s", log)
	}
}
