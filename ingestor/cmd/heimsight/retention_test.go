//go:build duckdb_arrow

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/retention"
)

func TestParseDays(t *testing.T) {
	for in, want := range map[string]int{"60d": 60, "60": 60, "1": 1, "3650d": 3650, " 7D ": 7} {
		if got, err := parseDays(in); err != nil || got != want {
			t.Errorf("parseDays(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "3651d", "-1", "60h", "d", "", "1.5d", "2w"} {
		if _, err := parseDays(in); err == nil {
			t.Errorf("parseDays(%q) accepted", in)
		}
	}
}

// The retention subcommand against a real server: get, set (raw and tier), age, errors, and
// the policies surviving a restart of the server.
func TestRetentionCommand(t *testing.T) {
	dataDir := t.TempDir()
	apiURL, stop := startServer(t, dataDir)
	vars := env(map[string]string{"HEIMSIGHT_API_URL": apiURL})
	runCLI := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"retention"}, args...), vars, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := runCLI("get")
	if code != 0 || !strings.Contains(out, "\nlogs                logs       30d\n") || !strings.Contains(out, "metrics_1day") {
		t.Fatalf("get: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut = runCLI("set", "logs", "60d"); code != 0 || out != "logs: 60d\n" {
		t.Fatalf("set logs 60d: %d %q %q", code, out, errOut)
	}
	if code, out, errOut = runCLI("set", "metrics_1hour", "400", "--format", "json"); code != 0 || !strings.Contains(out, `"ttl_days": 400`) {
		t.Fatalf("set tier: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI("--format", "json", "get")
	var cfg client.RetentionConfig
	if err := json.Unmarshal([]byte(out), &cfg); code != 0 || err != nil || cfg.Logs.TTLDays != 60 || cfg.Tiers["metrics_1hour"].TTLDays != 400 {
		t.Fatalf("get json: %d %v %s", code, err, out)
	}
	if code, out, errOut = runCLI("age"); code != 0 || !strings.Contains(out, "TARGET") || !strings.Contains(out, "logs") {
		t.Fatalf("age: %d %q %q", code, out, errOut)
	}
	// The monitor's gauges are on /metrics (the first check runs in the background at start).
	for _, want := range []string{`heimsight_retention_ttl_seconds{data_type="logs",tier=""} 5.184e+06`, `heimsight_retention_expired_data_present{data_type="logs",tier=""} 0`} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get(apiURL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(metrics), want) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("/metrics lacks %s", want)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, bad := range [][]string{{"set", "logs", "0d"}, {"set", "profiles", "5"}, {"set", "logs"}, {"frob"}, {}, {"get", "--format", "xml"}} {
		if code, _, errOut := runCLI(bad...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q", bad, code, errOut)
		}
	}
	stop()
	// Persisted in the data directory; a restarted server serves the same policies.
	p, found, err := retention.Load(dataDir)
	if err != nil || !found || p.Days("logs") != 60 {
		t.Fatalf("persisted: %v %v %d", err, found, p.Days("logs"))
	}
	if _, err := os.Stat(filepath.Join(dataDir, retention.FileName)); err != nil {
		t.Fatal(err)
	}
	apiURL, _ = startServer(t, dataDir)
	vars = env(map[string]string{"HEIMSIGHT_API_URL": apiURL})
	if code, out, errOut = runCLI("get"); code != 0 || !strings.Contains(out, "60d") || !strings.Contains(out, "400d") {
		t.Fatalf("get after restart: %d\n%s%s", code, out, errOut)
	}
	// A server that is not there: exit 1.
	vars = env(map[string]string{"HEIMSIGHT_API_URL": "http://127.0.0.1:1"})
	if code, _, errOut := runCLI("get"); code != 1 || !strings.Contains(errOut, "cannot reach") {
		t.Errorf("unreachable: %d %q", code, errOut)
	}
}

// startServer runs "heimsight serve" on free ports over dataDir and returns its REST URL and
// a function that stops it (also called at the end of the test).
func startServer(t *testing.T, dataDir string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	vars := map[string]string{
		"HEIMSIGHT_HOST": "127.0.0.1", "HEIMSIGHT_PORT": "0", "HEIMSIGHT_GRPC_PORT": "0",
		"HEIMSIGHT_OTLP_HTTP_PORT": "0", "HEIMSIGHT_DATA_DIR": dataDir,
	}
	var logs syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), &logs, &logs) }()
	var m []string
	for deadline := time.Now().Add(30 * time.Second); m == nil; {
		if m = listenRe.FindStringSubmatch(logs.String()); m == nil {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("no listening line:\n%s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exit %d:\n%s", code, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(stop)
	return "http://" + m[1], stop
}
