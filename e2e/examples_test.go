package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

type exampleRequest struct {
	file, title, method, url string
	header                   http.Header
	body                     string
	wantStatus               int
}

var expectRe = regexp.MustCompile(`\(expect (\d{3})`)

// parseHTTPFile reads a REST Client / IntelliJ .http file: requests separated by "###" lines,
// each a request line, headers, a blank line and an optional body.
func parseHTTPFile(t *testing.T, path string) []exampleRequest {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []exampleRequest
	var cur *exampleRequest
	inBody := false
	var body strings.Builder
	flush := func() {
		if cur != nil && cur.method != "" {
			cur.body = strings.TrimSpace(body.String())
			out = append(out, *cur)
		}
		body.Reset()
		inBody = false
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "###"):
			flush()
			title := strings.TrimSpace(strings.TrimPrefix(line, "###"))
			cur = &exampleRequest{file: filepath.Base(path), title: title, header: http.Header{}, wantStatus: 200}
			if m := expectRe.FindStringSubmatch(title); m != nil {
				cur.wantStatus, _ = strconv.Atoi(m[1])
			}
		case cur == nil || strings.HasPrefix(line, "#"):
		case cur.method == "":
			if fields := strings.Fields(line); len(fields) >= 2 {
				cur.method, cur.url = fields[0], fields[1]
			}
		case !inBody && strings.TrimSpace(line) == "":
			inBody = true
		case !inBody:
			k, v, _ := strings.Cut(line, ":")
			cur.header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		default:
			body.WriteString(line + "\n")
		}
	}
	flush()
	return out
}

// TestExamplesRun sends every request of examples/*.http to a real server and checks the status
// each one documents (200 unless its title says "expect NNN"), so the examples stay true.
func TestExamplesRun(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	files, err := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(file)), "examples", "*.http"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	s := startServer(t, t.TempDir())
	replacer := strings.NewReplacer("http://localhost:8080", "http://"+s.rest, "http://localhost:4318", "http://"+s.otlpHTTP)
	n := 0
	for _, path := range files {
		for _, ex := range parseHTTPFile(t, path) {
			n++
			req, err := http.NewRequest(ex.method, replacer.Replace(ex.url), strings.NewReader(ex.body))
			if err != nil {
				t.Fatalf("%s: %s: %v", ex.file, ex.title, err)
			}
			req.Header = ex.header
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %s: %v", ex.file, ex.title, err)
			}
			got, _ := io.ReadAll(resp.Body)
			t.Logf("%s: %q: %d in %s", ex.file, ex.title, resp.StatusCode, time.Since(start).Round(time.Millisecond))
			resp.Body.Close()
			if resp.StatusCode != ex.wantStatus {
				t.Errorf("%s: %q: status %d, want %d: %.300s", ex.file, ex.title, resp.StatusCode, ex.wantStatus, got)
			}
		}
	}
	if n < 20 {
		t.Fatalf("parsed only %d example requests; the parser or the examples are broken", n)
	}
	t.Logf("%d example requests ran", n)
}
