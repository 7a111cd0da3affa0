package chdbtest

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

//go:embed chdb_server.py
var serverScript []byte

// PipInstall installs the chDB version these tests are verified with (chdb 4.4.0 is the Python
// API; chdb-core 26.9.0 the engine, ClickHouse 26.9).
const PipInstall = "python3 -m pip install chdb==4.4.0 chdb-core==26.9.0"

// Engine is a running chDB session. Safe for concurrent use; requests are served in order.
type Engine struct {
	Version string

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

// Start runs a chDB session on dir (created if missing; reusing a dir reopens its databases).
// When chDB is not installed the test is skipped with the install command, except under CI=true,
// where that is a failure: CI must run these tests. The engine stops at the end of the test.
func Start(t testing.TB, dir string) *Engine {
	t.Helper()
	e, err := start(dir)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chDB is required in CI (%s): %v", PipInstall, err)
		}
		t.Skipf("SKIP: chDB not available, so the ClickHouse engine tests do not run (%s): %v", PipInstall, err)
	}
	t.Cleanup(e.Close)
	return e
}

func python() string {
	if p := os.Getenv("HEIMSIGHT_TEST_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

func start(dir string) (*Engine, error) {
	py, err := exec.LookPath(python())
	if err != nil {
		return nil, fmt.Errorf("cannot find python: %w", err)
	}
	script := filepath.Join(os.TempDir(), fmt.Sprintf("heimsight-chdb-server-%d.py", os.Getpid()))
	if err := os.WriteFile(script, serverScript, 0o644); err != nil {
		return nil, fmt.Errorf("cannot write chDB server script: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create session directory: %w", err)
	}
	cmd := exec.Command(py, script, dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start chDB server: %w", err)
	}
	e := &Engine{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 1<<20)}
	line, err := e.stdout.ReadBytes('\n')
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("cannot start chDB server: %w", err)
	}
	var ready struct {
		Ready   bool   `json:"ready"`
		Version string `json:"version"`
		Error   string `json:"error"`
	}
	if err := json.Unmarshal(line, &ready); err != nil || !ready.Ready {
		e.Close()
		if ready.Error != "" {
			return nil, errors.New(ready.Error)
		}
		return nil, fmt.Errorf("cannot start chDB server: unexpected %q", line)
	}
	e.Version = ready.Version
	return e, nil
}

// Close stops the engine.
func (e *Engine) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd == nil {
		return
	}
	e.stdin.Close()
	_ = e.cmd.Wait()
	e.cmd = nil
}

type request struct {
	SQL    string `json:"sql"`
	Format string `json:"format,omitempty"`
	Input  []byte `json:"input,omitempty"`
}

// Query runs one statement and returns its output in format (TSVRaw when empty).
func (e *Engine) Query(sql, format string) ([]byte, error) {
	return e.do(request{SQL: sql, Format: format})
}

// Exec runs one statement and discards its output.
func (e *Engine) Exec(sql string) error {
	_, err := e.do(request{SQL: sql})
	return err
}

// QueryInput runs a statement that reads input through the file path placeholder {input}, e.g.
// INSERT INTO t (a, b) SELECT * FROM file('{input}', 'Native').
func (e *Engine) QueryInput(sql string, input []byte) error {
	_, err := e.do(request{SQL: sql, Input: input})
	return err
}

func (e *Engine) do(req request) ([]byte, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd == nil {
		return nil, errors.New("chDB engine closed")
	}
	if _, err := e.stdin.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("cannot send to chDB: %w", err)
	}
	line, err := e.stdout.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("cannot read from chDB: %w", err)
	}
	var ans struct {
		OK    bool   `json:"ok"`
		Data  []byte `json:"data"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(line, &ans); err != nil {
		return nil, fmt.Errorf("cannot decode chDB answer: %w", err)
	}
	if !ans.OK {
		return nil, errors.New(ans.Error)
	}
	return ans.Data, nil
}
