package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/heimsight/heimsight/ingestor/otlp"
	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/query"
)

const (
	ingestSecret = "ingest-0123456789abcdef"
	querySecret  = "query-0123456789abcdef"
	adminSecret  = "admin-0123456789abcdef"
	allSecret    = "all-0123456789abcdef"
)

type nopWriter struct{}

func (nopWriter) Write(context.Context, *model.Batch) error { return nil }

// gateQuerier answers every query with an error after holding it until release is closed
// (when set), and counts how many ran at once.
type gateQuerier struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	running int
	peak    int
}

var errNoEngine = errors.New("no engine in this test")

func (q *gateQuerier) run() (*query.Response, error) {
	q.mu.Lock()
	q.running++
	q.peak = max(q.peak, q.running)
	q.mu.Unlock()
	if q.entered != nil {
		q.entered <- struct{}{}
	}
	if q.release != nil {
		<-q.release
	}
	q.mu.Lock()
	q.running--
	q.mu.Unlock()
	return nil, errNoEngine
}

func (q *gateQuerier) Run(context.Context, string, hql.Params) (*query.Response, error) {
	return q.run()
}
func (q *gateQuerier) RunSelect(context.Context, *hql.Select, hql.Params) (*query.Response, error) {
	return q.run()
}

// newAuthAPI is the REST API with the OTLP routes, four tokens and no store behind it.
func newAuthAPI(t *testing.T, q Querier, maxQueries int) *API {
	t.Helper()
	toks, err := auth.Parse("collector:ingest:" + ingestSecret + ",grafana:query:" + querySecret +
		",ops:admin:" + adminSecret + ",root:ingest+query+admin:" + allSecret)
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.New(toks)
	p, err := ingest.New(nopWriter{}, ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	oo := otlp.DefaultOptions()
	oo.Pipeline, oo.Auth, oo.Logger = p, authn, slog.New(slog.DiscardHandler)
	oh, err := otlp.NewHTTP(oo)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Pipeline: p, OTLP: oh, Query: q, Auth: authn, Logger: slog.New(slog.DiscardHandler),
		MaxConcurrentQueries: maxQueries, QueryQueueWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func doAuth(h http.Handler, method, path, secret, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRequiredAccess(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         access
	}{
		{"GET", "/health", access{public: true}},
		{"HEAD", "/health", access{public: true}},
		{"GET", "/health/../metrics", access{scope: auth.ScopeQuery}},
		{"POST", "/v1/logs", access{otlp: true, scope: auth.ScopeIngest}},
		{"POST", "/api/v1/logs", access{scope: auth.ScopeIngest}},
		{"POST", "/api/v1/traces", access{scope: auth.ScopeIngest}},
		{"GET", "/api/v1/metrics", access{scope: auth.ScopeQuery}},
		{"GET", "/api/v1/traces/0102030405060708090a0b0c0d0e0f10", access{scope: auth.ScopeQuery}},
		{"POST", "/api/v1/query", access{scope: auth.ScopeQuery}},
		{"GET", "/metrics", access{scope: auth.ScopeQuery}},
		{"GET", "/api/v1/config/retention", access{scope: auth.ScopeAdmin}},
		{"PUT", "/api/v1/config/retention", access{scope: auth.ScopeAdmin}},
		{"GET", "/api/v1/config", access{scope: auth.ScopeAdmin}},
		{"GET", "/api/v1//config/retention", access{scope: auth.ScopeAdmin}},
		{"GET", "/api/v1/query/../config/x", access{scope: auth.ScopeAdmin}},
		{"GET", "/api/v1/traces/x/y", access{scope: auth.ScopeAdmin}},
		{"GET", "/api/v2/anything", access{scope: auth.ScopeAdmin}},
		{"GET", "", access{scope: auth.ScopeAdmin}},
	} {
		if got := requiredAccess(c.method, c.path); got != c.want {
			t.Errorf("requiredAccess(%s %q) = %+v, want %+v", c.method, c.path, got, c.want)
		}
	}
}

func TestAuthStatusCodes(t *testing.T) {
	a := newAuthAPI(t, &gateQuerier{}, 0)
	logBody := `{"timestamp": 1, "body": "x"}`
	otlpBody := `{"resourceLogs": []}`
	type req struct{ method, path, ct, body string }
	ingestReq := []req{{"POST", "/api/v1/logs", "application/json", logBody}, {"POST", "/v1/logs", "application/json", otlpBody}}
	queryReq := []req{{"GET", "/api/v1/logs", "", ""}, {"GET", "/api/v1/traces/0102030405060708090a0b0c0d0e0f10", "", ""},
		{"POST", "/api/v1/query", "application/json", `{"query": "SELECT 1 FROM logs"}`}, {"GET", "/metrics", "", ""}}
	adminReq := []req{{"GET", "/api/v1/config/retention", "", ""}, {"GET", "/api/v1/nowhere", "", ""}}

	check := func(r req, secret string, want int) {
		t.Helper()
		rec := doAuth(a, r.method, r.path, secret, r.ct, r.body)
		// Past authorization, a handler answers: 200, or the test querier's 500, or 404 for
		// routes that do not exist.
		passed := rec.Code != http.StatusUnauthorized && rec.Code != http.StatusForbidden
		if (want == 0) != passed || (want != 0 && rec.Code != want) {
			t.Errorf("%s %s with %.6q: status %d, want %d (0: authorized): %s", r.method, r.path, secret, rec.Code, want, rec.Body)
			return
		}
		if want == 0 {
			return
		}
		if ch := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer ") {
			t.Errorf("%s %s: WWW-Authenticate = %q", r.method, r.path, ch)
		}
		for _, s := range []string{ingestSecret, querySecret, adminSecret, allSecret} {
			if strings.Contains(rec.Body.String(), s) {
				t.Errorf("%s %s: answer shows a secret: %s", r.method, r.path, rec.Body)
			}
		}
		if strings.HasPrefix(r.path, "/v1/") {
			// OTLP answers with a google.rpc.Status in the request's encoding.
			var st spb.Status
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
				t.Errorf("%s: body %q is not a Status: %v", r.path, rec.Body, err)
			}
			wantCode := codes.Unauthenticated
			if want == http.StatusForbidden {
				wantCode = codes.PermissionDenied
			}
			if codes.Code(st.Code) != wantCode {
				t.Errorf("%s: Status code %d, want %d", r.path, st.Code, wantCode)
			}
			return
		}
		var eb ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Message == "" {
			t.Errorf("%s %s: body %q", r.method, r.path, rec.Body)
		}
	}
	// /health is open.
	if rec := doAuth(a, "GET", "/health", "", "", ""); rec.Code != http.StatusOK {
		t.Errorf("/health without a token: %d", rec.Code)
	}
	for _, r := range append(append(append([]req{}, ingestReq...), queryReq...), adminReq...) {
		check(r, "", http.StatusUnauthorized)
		check(r, "not-a-known-token-at-all", http.StatusUnauthorized)
		check(r, allSecret, 0)
	}
	for _, r := range ingestReq {
		check(r, ingestSecret, 0)
		check(r, querySecret, http.StatusForbidden)
		check(r, adminSecret, http.StatusForbidden)
	}
	for _, r := range queryReq {
		check(r, querySecret, 0)
		check(r, ingestSecret, http.StatusForbidden)
		check(r, adminSecret, http.StatusForbidden)
	}
	for _, r := range adminReq {
		check(r, adminSecret, 0)
		check(r, querySecret, http.StatusForbidden)
		check(r, ingestSecret, http.StatusForbidden)
	}

	// The challenge says what went wrong (RFC 6750).
	rec := doAuth(a, "GET", "/api/v1/logs", ingestSecret, "", "")
	if ch := rec.Header().Get("WWW-Authenticate"); !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="query"`) {
		t.Errorf("403 challenge = %q", ch)
	}
	rec = doAuth(a, "GET", "/api/v1/logs", "wrong-token-wrong-token", "", "")
	if ch := rec.Header().Get("WWW-Authenticate"); !strings.Contains(ch, `error="invalid_token"`) {
		t.Errorf("401 challenge = %q", ch)
	}
	// Other schemes are not bearer tokens.
	basic := httptest.NewRequest("GET", "/api/v1/logs", nil)
	basic.SetBasicAuth("grafana", querySecret)
	rr := httptest.NewRecorder()
	a.ServeHTTP(rr, basic)
	if rr.Code != http.StatusUnauthorized {
		t.Errorf("basic auth: %d", rr.Code)
	}
	// A path that only cleans to an OTLP route is not routed to the OTLP handler (which checks
	// tokens itself), so it must not skip the check either.
	for _, p := range []string{"/v1/logs/", "/v1//logs", "/v1/./traces"} {
		if rec := doAuth(a, "POST", p, "", "application/json", otlpBody); rec.Code != http.StatusUnauthorized {
			t.Errorf("POST %s without a token: %d, want 401", p, rec.Code)
		}
	}
	// OTLP protobuf requests get a protobuf Status.
	rec = doAuth(a, "POST", "/v1/traces", "", otlp.ContentTypeProtobuf, "")
	var st spb.Status
	if rec.Code != http.StatusUnauthorized || proto.Unmarshal(rec.Body.Bytes(), &st) != nil || codes.Code(st.Code) != codes.Unauthenticated {
		t.Errorf("protobuf 401: %d %q", rec.Code, rec.Body)
	}
}

func TestOpenWithoutTokens(t *testing.T) {
	p, _ := ingest.New(nopWriter{}, ingest.DefaultOptions())
	a, err := New(Options{Pipeline: p, Query: &gateQuerier{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/metrics", "/api/v1/logs"} {
		if rec := doAuth(a, "GET", path, "", "", ""); rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
			t.Errorf("open server: GET %s = %d", path, rec.Code)
		}
	}
}

func TestQueryConcurrencyLimit(t *testing.T) {
	q := &gateQuerier{entered: make(chan struct{}, 10), release: make(chan struct{})}
	a := newAuthAPI(t, q, 2)
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			codes <- doAuth(a, "POST", "/api/v1/query", querySecret, "application/json", `{"query": "SELECT 1 FROM logs"}`).Code
		})
	}
	<-q.entered
	<-q.entered
	// Both slots are taken: a listing waits QueryQueueWait, then is refused.
	start := time.Now()
	rec := doAuth(a, "GET", "/api/v1/logs", querySecret, "", "")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("third query: %d %q", rec.Code, rec.Header())
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Errorf("refused after %s, before the queue wait", waited)
	}
	var eb ErrorBody
	json.Unmarshal(rec.Body.Bytes(), &eb)
	if eb.Error.Code != "too_many_queries" || !strings.Contains(eb.Error.Message, "HEIMSIGHT_QUERY_MAX_CONCURRENT") {
		t.Errorf("error = %+v", eb.Error)
	}
	// A query that arrives while the others finish gets a slot within the wait.
	done := make(chan int, 1)
	go func() { done <- doAuth(a, "GET", "/api/v1/traces", querySecret, "", "").Code }()
	time.Sleep(10 * time.Millisecond)
	close(q.release)
	if code := <-done; code == http.StatusTooManyRequests {
		t.Errorf("queued query refused although a slot came free")
	}
	wg.Wait()
	if q.peak > 2 {
		t.Errorf("%d queries ran at once, limit 2", q.peak)
	}
	// Ingest is not a query and never waits for a query slot.
	if rec := doAuth(a, "POST", "/api/v1/logs", ingestSecret, "application/json", `{"timestamp": 1}`); rec.Code != http.StatusOK {
		t.Errorf("ingest: %d %s", rec.Code, rec.Body)
	}
}

func TestIngestLimitsReported(t *testing.T) {
	po := ingest.DefaultOptions()
	po.Limits = ingest.Limits{MaxRecords: 3, MaxAttributes: 2, MaxValueLength: 5}
	p, _ := ingest.New(nopWriter{}, po)
	a, _ := New(Options{Pipeline: p, Logger: slog.New(slog.DiscardHandler)})
	rec := doAuth(a, "POST", "/api/v1/logs", "", "application/json",
		`[{"timestamp": 1, "attributes": {"a": "123456789", "b": "x", "c": "y"}}, {"timestamp": 2}]`)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var resp struct {
		Accepted          int64  `json:"accepted"`
		DroppedAttributes int64  `json:"dropped_attributes"`
		TruncatedValues   int64  `json:"truncated_values"`
		Warning           string `json:"warning"`
	}
	json.Unmarshal(rec.Body.Bytes(), &resp)
	if resp.Accepted != 2 || resp.DroppedAttributes != 1 || resp.TruncatedValues != 1 || !strings.Contains(resp.Warning, "truncated to 5 bytes") {
		t.Errorf("response = %s", rec.Body)
	}
	rec = doAuth(a, "POST", "/api/v1/logs", "", "application/json", `[{"timestamp": 1}, {"timestamp": 2}, {"timestamp": 3}, {"timestamp": 0}]`)
	var eb ErrorBody
	json.Unmarshal(rec.Body.Bytes(), &eb)
	if rec.Code != http.StatusRequestEntityTooLarge || eb.Error.Code != "too_many_records" || !strings.Contains(eb.Error.Message, "limit is 3") {
		t.Errorf("too many: %d %s", rec.Code, rec.Body)
	}
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	for _, path := range []string{"/api/v1/logs"} {
		rec = doAuth(a, "POST", path, "", "application/json", deep)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "nested more than") {
			t.Errorf("deep JSON on %s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

func TestOTLPPathsWithoutOTLPHandlers(t *testing.T) {
	toks, _ := auth.Parse("collector:ingest:" + ingestSecret)
	p, _ := ingest.New(nopWriter{}, ingest.DefaultOptions())
	a, err := New(Options{Pipeline: p, Auth: auth.New(toks), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// Without OTLP handlers to check the token, the REST rule still asks for it.
	if rec := doAuth(a, "POST", "/v1/logs", "", "application/json", "{}"); rec.Code != http.StatusUnauthorized {
		t.Errorf("POST /v1/logs without a token: %d", rec.Code)
	}
	if rec := doAuth(a, "POST", "/v1/logs", ingestSecret, "application/json", "{}"); rec.Code != http.StatusNotFound {
		t.Errorf("POST /v1/logs with a token: %d, want 404", rec.Code)
	}
}
