//go:build duckdb_arrow

package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/ingest/rest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestSubcommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env(nil), &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "heimsight ") {
		t.Fatalf("version: %d %q %q", code, out.String(), errOut.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, env(nil), &out, &errOut); code != 2 {
		t.Fatalf("unknown command exit = %d", code)
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"serve", "--port", "x"}, env(nil), &out, &errOut); code != 2 {
		t.Fatalf("bad flag exit = %d", code)
	}
	errOut.Reset()
	// Nothing listens on port 1.
	code := run(context.Background(), []string{"health", "--api-url", "http://127.0.0.1:1"}, env(nil), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "cannot reach") {
		t.Fatalf("health against nothing: exit %d, %q", code, errOut.String())
	}
}

var listenRe = regexp.MustCompile(`msg=listening rest=(\S+) grpc=(\S+) otlp_http=(\S+)`)

func TestServeAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vars := map[string]string{
		"HEIMSIGHT_HOST": "127.0.0.1", "HEIMSIGHT_PORT": "0", "HEIMSIGHT_GRPC_PORT": "0",
		"HEIMSIGHT_OTLP_HTTP_PORT": "0", "HEIMSIGHT_DATA_DIR": t.TempDir(),
	}
	var logs syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), &logs, &logs) }()
	var m []string
	for deadline := time.Now().Add(30 * time.Second); m == nil; {
		if m = listenRe.FindStringSubmatch(logs.String()); m == nil {
			if time.Now().After(deadline) {
				t.Fatalf("no listening line:\n%s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, addr := range m[1:] {
		if strings.HasSuffix(addr, ":0") {
			t.Fatalf("listening line reports port 0: %s", m[0])
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"health"}, env(map[string]string{"HEIMSIGHT_API_URL": "http://" + m[1]}), &out, &errOut); code != 0 {
		t.Fatalf("health: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "status=ok") || !strings.Contains(out.String(), "storage=embedded") {
		t.Fatalf("health output %q", out.String())
	}
	checkQueryCommand(t, "http://"+m[1])

	cancel() // what SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d:\n%s", code, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Fatalf("no clean stop in logs:\n%s", logs.String())
	}
}

func checkQueryCommand(t *testing.T, apiURL string) {
	t.Helper()
	c, err := client.New(apiURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.IngestLogs(context.Background(), []rest.LogRecord{
		{Timestamp: rest.UnixNano(1_795_000_000_000_000_000), Body: "first, with comma", Service: "cli"},
		{Timestamp: rest.UnixNano(1_795_000_000_000_000_001), Body: "second", Service: "cli"},
	})
	if err != nil || resp.Accepted != 2 {
		t.Fatalf("ingest: %+v %v", resp, err)
	}
	vars := env(map[string]string{"HEIMSIGHT_API_URL": apiURL})
	const q = "SELECT timestamp, body FROM logs WHERE service = 'cli' ORDER BY timestamp"
	for format, want := range map[string]string{
		"table": "timestamp            body\n1795000000000000000  first, with comma\n1795000000000000001  second\n(2 rows in",
		"csv":   "timestamp,body\n1795000000000000000,\"first, with comma\"\n1795000000000000001,second\n",
		"json":  `"name": "timestamp"`,
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"query", q, "--format", format}, vars, &out, &errOut); code != 0 {
			t.Fatalf("query --format %s: exit %d: %s", format, code, errOut.String())
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("query --format %s:\n%s\nwant it to contain\n%s", format, out.String(), want)
		}
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"query", "SELECT nope FROM logs"}, vars, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "line 1, column 8") {
		t.Fatalf("bad query: exit %d, %q", code, errOut.String())
	}
}

// With HEIMSIGHT_STORAGE=clickhouse and no server at HEIMSIGHT_DB_URL, serve must refuse to start
// at once, naming the address, rather than listen without a store.
func TestServeClickHouseUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	t.Setenv("HEIMSIGHT_DB_URL", "clickhouse://"+addr)
	vars := map[string]string{
		"HEIMSIGHT_HOST": "127.0.0.1", "HEIMSIGHT_PORT": "0", "HEIMSIGHT_GRPC_PORT": "0",
		"HEIMSIGHT_OTLP_HTTP_PORT": "0", "HEIMSIGHT_DATA_DIR": t.TempDir(), "HEIMSIGHT_STORAGE": "clickhouse",
	}
	var logs syncBuffer
	start := time.Now()
	code := run(context.Background(), []string{"serve"}, env(vars), &logs, &logs)
	if code == 0 {
		t.Fatalf("serve started without ClickHouse:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "cannot reach ClickHouse at "+addr) {
		t.Fatalf("error does not name the unreachable server:\n%s", logs.String())
	}
	if listenRe.MatchString(logs.String()) {
		t.Fatalf("serve listened before its store opened:\n%s", logs.String())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("refusing took %s", d)
	}
}

// With a shutdown delay, SIGTERM first turns /health to 503 "stopping" while every listener
// still answers, and the process stops once the delay is over.
func TestShutdownDelay(t *testing.T) {
	const delay = 1500 * time.Millisecond
	restAddr, _, otlpHTTP, stop := startServe(t, map[string]string{"HEIMSIGHT_SHUTDOWN_DELAY": delay.String()})
	health := func() (int, string) {
		resp, err := http.Get("http://" + restAddr + "/health")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := health(); code != http.StatusOK {
		t.Fatalf("health before SIGTERM = %d %s", code, body)
	}
	start := time.Now()
	type exit struct {
		code int
		logs string
	}
	stopped := make(chan exit, 1)
	go func() { c, l := stop(); stopped <- exit{c, l} }()
	var code int
	var body string
	for deadline := time.Now().Add(delay / 2); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if code, body = health(); code == http.StatusServiceUnavailable {
			break
		}
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"stopping"`) {
		t.Fatalf("health during the shutdown delay = %d %s", code, body)
	}
	// The OTLP/HTTP listener still takes data during the delay.
	resp, err := http.Post("http://"+otlpHTTP+"/v1/logs", "application/json", strings.NewReader(`{"resourceLogs":[]}`))
	if err != nil {
		t.Fatalf("OTLP/HTTP during the shutdown delay: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OTLP/HTTP during the shutdown delay = %d", resp.StatusCode)
	}
	e := <-stopped
	if e.code != 0 || !strings.Contains(e.logs, "msg=stopped") || !strings.Contains(e.logs, "shutdown delay") {
		t.Fatalf("serve exit %d:\n%s", e.code, e.logs)
	}
	if took := time.Since(start); took < delay {
		t.Fatalf("serve stopped %s after SIGTERM, before the %s delay", took, delay)
	}
}
