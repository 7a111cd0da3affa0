package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// heimsightBinary builds the heimsight command once per test binary run.
func heimsightBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "heimsight-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "heimsight")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Dir(filepath.Dir(file))
		cmd := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", binPath, "./ingestor/cmd/heimsight")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// server is a running heimsight process.
type server struct {
	t        *testing.T
	cmd      *exec.Cmd
	dataDir  string
	rest     string // host:port
	grpc     string
	otlpHTTP string
	done     chan struct{}
	logMu    sync.Mutex
	log      strings.Builder
}

var listenRe = regexp.MustCompile(`rest=(\S+).*grpc=(\S+).*otlp_http=(\S+)`)

// startServer starts heimsight on port 0 everywhere with dataDir and waits until /health answers.
func startServer(t *testing.T, dataDir string, extraEnv ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: dataDir, done: make(chan struct{})}
	s.cmd = exec.Command(heimsightBinary(t), "serve")
	s.cmd.Env = append(os.Environ(),
		"HEIMSIGHT_HOST=127.0.0.1", "HEIMSIGHT_PORT=0", "HEIMSIGHT_GRPC_PORT=0", "HEIMSIGHT_OTLP_HTTP_PORT=0",
		"HEIMSIGHT_DATA_DIR="+dataDir, "HEIMSIGHT_LOG_LEVEL=info")
	s.cmd.Env = append(s.cmd.Env, extraEnv...)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout = s.cmd.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			s.logMu.Lock()
			s.log.WriteString(line + "\n")
			s.logMu.Unlock()
			if !found {
				if m := listenRe.FindStringSubmatch(line); m != nil {
					found = true
					addrs <- []string{strings.Trim(m[1], `"`), strings.Trim(m[2], `"`), strings.Trim(m[3], `"`)}
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.kill() })
	select {
	case a := <-addrs:
		s.rest, s.grpc, s.otlpHTTP = a[0], a[1], a[2]
	case <-s.done:
		t.Fatalf("heimsight exited before listening:\n%s", s.output())
	case <-time.After(60 * time.Second):
		t.Fatalf("heimsight did not report its listening addresses:\n%s", s.output())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + s.rest + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health never answered 200 (last error %v):\n%s", err, s.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *server) output() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	s.t.Helper()
	if s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		s.t.Fatalf("heimsight did not stop on SIGTERM within 60s:\n%s", s.output())
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		s.t.Fatalf("heimsight exited with %d after SIGTERM:\n%s", code, s.output())
	}
}

func (s *server) kill() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		<-s.done
	}
}

// getJSON GETs a REST path and decodes the JSON body into v, failing the test on a non-200.
func (s *server) getJSON(path string, v any) {
	s.t.Helper()
	resp, err := http.Get("http://" + s.rest + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		s.t.Fatalf("GET %s: cannot decode %s: %v", path, body, err)
	}
}

// eventually retries f until it returns nil or the bounded wait runs out.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	var err error
	for i := 0; i < 50; i++ {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

var _ = context.Background
