//go:build duckdb_arrow

package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/store/embedded"
)

type retentionEnv struct {
	*testEnv
	dir string
	mgr *retention.Manager
}

// newRetentionEnv is the REST API with a retention manager over a real embedded store.
func newRetentionEnv(t *testing.T, wrap func(retention.Applier) retention.Applier) *retentionEnv {
	t.Helper()
	dir := t.TempDir()
	eo := embedded.DefaultOptions(dir)
	eo.Logger = slog.New(slog.DiscardHandler)
	st, err := embedded.Open(eo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := ingest.New(st, ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var applier retention.Applier = st
	if wrap != nil {
		applier = wrap(st)
	}
	ro := retention.DefaultOptions(dir, applier)
	ro.Logger = slog.New(slog.DiscardHandler)
	mgr, err := retention.New(ro)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Pipeline: p, Version: "test", Backend: st.Backend(), Logger: slog.New(slog.DiscardHandler),
		Query: testQuerier(st), Retention: mgr})
	if err != nil {
		t.Fatal(err)
	}
	return &retentionEnv{testEnv: &testEnv{api: a, store: st}, dir: dir, mgr: mgr}
}

func (e *retentionEnv) config(t *testing.T) client.RetentionConfig {
	t.Helper()
	rec := e.do(http.MethodGet, "/api/v1/config/retention", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET retention: %d %s", rec.Code, rec.Body)
	}
	var cfg client.RetentionConfig
	decodeJSON(t, rec, &cfg)
	return cfg
}

func TestRetentionGetDefaults(t *testing.T) {
	e := newRetentionEnv(t, nil)
	cfg := e.config(t)
	if cfg.Logs.TTLDays != 30 || cfg.Metrics.TTLDays != 90 || cfg.Traces.TTLDays != 30 || cfg.Logs.DataType != "logs" {
		t.Errorf("raw defaults: %+v %+v %+v", cfg.Logs, cfg.Metrics, cfg.Traces)
	}
	if len(cfg.Tiers) != 10 || cfg.Tiers["metrics_1hour"].TTLDays != 365 || cfg.Tiers["spans_1day_stats"].DataType != "traces" {
		t.Errorf("tiers: %+v", cfg.Tiers)
	}
	// The original design's shape: {"logs": {"data_type": "logs", "ttl_days": 30}, ...}.
	body := e.do(http.MethodGet, "/api/v1/config/retention", "", nil).Body.String()
	if !strings.Contains(body, `"logs":{"data_type":"logs","ttl_days":30}`) {
		t.Errorf("body: %s", body)
	}
}

func TestRetentionPutAllAndPolicy(t *testing.T) {
	e := newRetentionEnv(t, nil)
	rec := e.do(http.MethodPut, "/api/v1/config/retention", "application/json", []byte(`{
		"logs": {"data_type": "logs", "ttl_days": 60},
		"metrics": {"data_type": "metrics", "ttl_days": 180},
		"traces": {"data_type": "traces", "ttl_days": 45},
		"tiers": {"metrics_1hour": {"ttl_days": 400}}
	}`))
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	var cfg client.RetentionConfig
	decodeJSON(t, rec, &cfg)
	if cfg.Logs.TTLDays != 60 || cfg.Metrics.TTLDays != 180 || cfg.Traces.TTLDays != 45 || cfg.Tiers["metrics_1hour"].TTLDays != 400 || cfg.Tiers["metrics_1day"].TTLDays != 730 {
		t.Errorf("after PUT: %+v %+v %+v %+v", cfg.Logs, cfg.Metrics, cfg.Traces, cfg.Tiers)
	}
	for _, tt := range []struct {
		body, target string
		days         int
	}{
		{`{"data_type": "metrics", "ttl_days": 200}`, "metrics", 200},
		{`{"data_type": "spans", "ttl_days": 14}`, "traces", 14},
		{`{"data_type": "logs", "tier": "logs_1day_counts", "ttl_days": 1000}`, "logs_1day_counts", 1000},
		{`{"tier": "traces_1hour_stats", "ttl_days": 3650}`, "traces_1hour_stats", 3650},
	} {
		rec := e.do(http.MethodPut, "/api/v1/config/retention/policy", "application/json", []byte(tt.body))
		if rec.Code != http.StatusOK {
			t.Fatalf("PUT policy %s: %d %s", tt.body, rec.Code, rec.Body)
		}
		if got := e.mgr.Policies().Days(tt.target); got != tt.days {
			t.Errorf("%s: %s = %d days, want %d", tt.body, tt.target, got, tt.days)
		}
	}
	// Persisted: a new manager on the same directory reads the same policies.
	p, found, err := retention.Load(e.dir)
	if err != nil || !found || p.Days("metrics") != 200 || p.Days("logs") != 60 || p.Days("metrics_1hour") != 400 {
		t.Errorf("persisted: %v %v metrics %d", err, found, p.Days("metrics"))
	}
}

func TestRetentionInvalidChangesNothing(t *testing.T) {
	e := newRetentionEnv(t, nil)
	before := e.config(t)
	file := filepath.Join(e.dir, retention.FileName)
	for _, tt := range []struct {
		path, body, code, msg string
	}{
		{"/policy", `{"data_type": "logs", "ttl_days": 0}`, "invalid_retention", "out of range, want 1 to 3650 days"},
		{"/policy", `{"data_type": "logs", "ttl_days": 3651}`, "invalid_retention", "out of range"},
		{"/policy", `{"data_type": "logs", "ttl_days": -5}`, "invalid_retention", "out of range"},
		{"/policy", `{"data_type": "profiles", "ttl_days": 5}`, "invalid_retention", `unknown data_type "profiles"`},
		{"/policy", `{"data_type": "logs", "tier": "metrics_1hour", "ttl_days": 5}`, "invalid_retention", "tier metrics_1hour holds metrics, not logs"},
		{"/policy", `{"tier": "metrics_2min", "ttl_days": 5}`, "invalid_retention", `unknown tier "metrics_2min"`},
		{"/policy", `{"ttl_days": 5}`, "invalid_retention", "missing data_type"},
		{"/policy", `{"data_type": "logs", "ttl_days": "60d"}`, "invalid_json", "cannot decode"},
		{"/policy", `{"data_type": "logs", "ttl_days": 1.5}`, "invalid_json", "cannot decode"},
		{"/policy", `{"data_type": "logs", "days": 5}`, "unknown_field", "unknown field"},
		{"/policy", `{"data_type": "logs", "ttl_days": 5} {}`, "invalid_json", "data after"},
		{"/policy", `not json`, "invalid_json", "cannot decode"},
		{"", `{"logs": {"data_type": "logs", "ttl_days": 60}, "metrics": {"data_type": "metrics", "ttl_days": 180}}`, "invalid_retention", "missing policy for traces"},
		{"", `{"logs": {"data_type": "logs", "ttl_days": 60}, "metrics": {"data_type": "metrics", "ttl_days": 0}, "traces": {"data_type": "traces", "ttl_days": 45}}`, "invalid_retention", "out of range"},
		{"", `{"logs": {"data_type": "metrics", "ttl_days": 60}, "metrics": {"data_type": "metrics", "ttl_days": 1}, "traces": {"data_type": "traces", "ttl_days": 45}}`, "invalid_retention", `listed under "logs" names "metrics"`},
		{"", `{"logs": {"data_type": "logs", "ttl_days": 60}, "metrics": {"data_type": "metrics", "ttl_days": 1}, "traces": {"data_type": "traces", "ttl_days": 45}, "tiers": {"logs": {"ttl_days": 3}}}`, "invalid_retention", `unknown tier "logs"`},
		{"", `{"logs": {"data_type": "logs", "ttl_days": 60}, "metrics": {"data_type": "metrics", "ttl_days": 1}, "traces": {"data_type": "traces", "ttl_days": 45}, "tiers": {"metrics_1min": {"ttl_days": 9999}}}`, "invalid_retention", "out of range"},
	} {
		rec := e.do(http.MethodPut, "/api/v1/config/retention"+tt.path, "application/json", []byte(tt.body))
		d := wantError(t, rec, http.StatusBadRequest, tt.code)
		if !strings.Contains(d.Message, tt.msg) {
			t.Errorf("%s: message %q, want %q", tt.body, d.Message, tt.msg)
		}
	}
	rec := e.do(http.MethodPut, "/api/v1/config/retention/policy", "text/plain", []byte(`{"data_type": "logs", "ttl_days": 5}`))
	wantError(t, rec, http.StatusUnsupportedMediaType, "unsupported_media_type")
	rec = e.do(http.MethodPost, "/api/v1/config/retention", "application/json", []byte(`{}`))
	wantError(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")

	after := e.config(t)
	if after.Logs.TTLDays != before.Logs.TTLDays || after.Metrics.TTLDays != before.Metrics.TTLDays || after.Traces.TTLDays != before.Traces.TTLDays || after.Tiers["metrics_1min"] != before.Tiers["metrics_1min"] {
		t.Errorf("changed by invalid requests: %+v -> %+v", before, after)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("invalid requests wrote the policies file: %v", err)
	}
}

// failingApplier refuses every change after the first application, as a database that went
// away would.
type failingApplier struct {
	retention.Applier
	fail bool
}

func (f *failingApplier) ApplyRetention(ctx context.Context, p retention.Policies) error {
	if f.fail && p.Days("logs") == 7 {
		return errors.New("cannot reach database")
	}
	return f.Applier.ApplyRetention(ctx, p)
}

func TestRetentionStoreFailureChangesNothing(t *testing.T) {
	var fa *failingApplier
	e := newRetentionEnv(t, func(a retention.Applier) retention.Applier { fa = &failingApplier{Applier: a}; return fa })
	fa.fail = true
	rec := e.do(http.MethodPut, "/api/v1/config/retention/policy", "application/json", []byte(`{"data_type": "logs", "ttl_days": 7}`))
	d := wantError(t, rec, http.StatusInternalServerError, "retention_not_applied")
	if !strings.Contains(d.Message, "cannot reach database") || !strings.Contains(d.Message, "previous retention stays in force") {
		t.Errorf("message: %s", d.Message)
	}
	if got := e.config(t).Logs.TTLDays; got != 30 {
		t.Errorf("logs = %d after a failed change, want 30", got)
	}
}

func TestRetentionDataAgeAndApply(t *testing.T) {
	e := newRetentionEnv(t, nil)
	now := time.Now().UTC()
	res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "svc")}}
	var logs []model.LogRecord
	for _, age := range []time.Duration{50 * 24 * time.Hour, 10 * 24 * time.Hour, time.Minute} {
		for i := 0; i < 10; i++ {
			logs = append(logs, model.LogRecord{Timestamp: now.Add(-age).UnixNano() + int64(i), Body: model.StringValue("x"), Resource: res})
		}
	}
	if err := e.store.Write(context.Background(), &model.Batch{Logs: logs}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	age := func() client.DataAge {
		t.Helper()
		rec := e.do(http.MethodGet, "/api/v1/config/retention/metrics", "", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET metrics: %d %s", rec.Code, rec.Body)
		}
		var resp client.DataAgeResponse
		decodeJSON(t, rec, &resp)
		// The three data types, then the ten aggregation tiers.
		if len(resp.Data) != 13 || resp.Data[2].Tier != "" || resp.Data[3].Tier == "" || resp.CheckedAt == "" {
			t.Fatalf("data age: %+v", resp)
		}
		for _, d := range resp.Data {
			if d.DataType == "metrics" && (d.RowCount != 0 || d.OldestTimestamp != nil) {
				t.Errorf("empty metrics: %+v", d)
			}
		}
		return resp.Data[0]
	}
	d := age()
	if d.DataType != "logs" || d.RowCount != 30 || d.Bytes == 0 || !d.ExceedsTTL || d.TTLDays != 30 || d.OldestAgeSeconds < 49*86400 {
		t.Errorf("logs before: %+v", d)
	}
	if want := now.Add(-50 * 24 * time.Hour).Format(time.RFC3339Nano); d.OldestTimestamp == nil || *d.OldestTimestamp != want {
		t.Errorf("oldest %v, want %s", d.OldestTimestamp, want)
	}
	// Shortening logs to 5 days deletes the 10- and 50-day-old partitions at once.
	rec := e.do(http.MethodPut, "/api/v1/config/retention/policy", "application/json", []byte(`{"data_type": "logs", "ttl_days": 5}`))
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	if n := e.count(t, "logs"); n != 10 {
		t.Errorf("%d logs after a 5-day retention, want 10", n)
	}
	if d := age(); d.RowCount != 10 || d.ExceedsTTL || d.TTLDays != 5 {
		t.Errorf("logs after: %+v", d)
	}
}

func TestRetentionWithoutManager(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{http.MethodGet} {
		rec := e.do(m, "/api/v1/config/retention", "", nil)
		wantError(t, rec, http.StatusServiceUnavailable, "unavailable")
	}
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/config/retention/metrics", nil))
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable")
}

// With API tokens the retention endpoints need the admin scope; a refused change changes nothing.
func TestRetentionNeedsAdmin(t *testing.T) {
	e := newRetentionEnv(t, nil)
	toks, err := auth.Parse("grafana:query:" + querySecret + ",ops:admin:" + adminSecret)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Pipeline: e.api.opts.Pipeline, Logger: slog.New(slog.DiscardHandler), Auth: auth.New(toks), Retention: e.mgr})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"data_type": "logs", "ttl_days": 7}`
	for _, tt := range []struct {
		method, path, secret, body string
		want                       int
	}{
		{http.MethodGet, "/api/v1/config/retention", "", "", http.StatusUnauthorized},
		{http.MethodGet, "/api/v1/config/retention", querySecret, "", http.StatusForbidden},
		{http.MethodGet, "/api/v1/config/retention/metrics", querySecret, "", http.StatusForbidden},
		{http.MethodPut, "/api/v1/config/retention/policy", querySecret, body, http.StatusForbidden},
		{http.MethodPut, "/api/v1/config/retention/policy", "", body, http.StatusUnauthorized},
	} {
		if rec := doAuth(a, tt.method, tt.path, tt.secret, "application/json", tt.body); rec.Code != tt.want {
			t.Errorf("%s %s: %d, want %d: %s", tt.method, tt.path, rec.Code, tt.want, rec.Body)
		}
	}
	if got := e.mgr.Policies().Days("logs"); got != 30 {
		t.Fatalf("a refused request changed logs to %d days", got)
	}
	if rec := doAuth(a, http.MethodPut, "/api/v1/config/retention/policy", adminSecret, "application/json", body); rec.Code != http.StatusOK {
		t.Fatalf("admin: %d %s", rec.Code, rec.Body)
	}
	if got := e.mgr.Policies().Days("logs"); got != 7 {
		t.Errorf("admin change: logs %d days, want 7", got)
	}
}
