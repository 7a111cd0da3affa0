package retention

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeStore struct {
	mu       sync.Mutex
	applied  []Policies
	failNext error
	enforced int
	ages     []TableAge
}

func (f *fakeStore) ApplyRetention(ctx context.Context, p Policies) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failNext; err != nil {
		f.failNext = nil
		return err
	}
	f.applied = append(f.applied, p)
	return nil
}

func (f *fakeStore) DataAge(ctx context.Context) ([]TableAge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ages, nil
}

func (f *fakeStore) EnforceRetention(ctx context.Context, p Policies) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enforced++
	return nil
}

func (f *fakeStore) last() Policies {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied[len(f.applied)-1]
}

func TestDefaults(t *testing.T) {
	p := Defaults()
	want := map[string]int{
		"logs": 30, "metrics": 90, "traces": 30, "spans": 30,
		"metrics_1min": 30, "metrics_5min": 90, "metrics_1hour": 365, "metrics_1day": 730,
		"logs_1hour_counts": 365, "logs_1day_counts": 730, "spans_1hour_stats": 365, "spans_1day_stats": 730,
		"traces_1hour_stats": 365, "traces_1day_stats": 730,
	}
	for name, days := range want {
		if got := p.Days(name); got != days {
			t.Errorf("default %s = %d days, want %d", name, got, days)
		}
	}
	if len(Targets()) != 13 {
		t.Errorf("%d targets, want 13", len(Targets()))
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
	var zero Policies
	if !zero.Equal(p) {
		t.Error("the zero Policies should read as the defaults")
	}
}

func TestSetValidates(t *testing.T) {
	p := Defaults()
	for _, tt := range []struct {
		name string
		days int
		want string
	}{
		{"logs", 0, "out of range, want 1 to 3650 days"},
		{"logs", 3651, "out of range"},
		{"metrics_1hour", -1, "out of range"},
		{"profiles", 10, `unknown retention target "profiles"`},
		{"", 10, "unknown retention target"},
	} {
		q, err := p.Set(tt.name, tt.days)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Set(%q, %d) = %v, want error containing %q", tt.name, tt.days, err, tt.want)
		}
		if !q.Equal(p) {
			t.Errorf("Set(%q, %d) changed the policies on error", tt.name, tt.days)
		}
	}
	q, err := p.Set("spans", 3650)
	if err != nil || q.Days("traces") != 3650 || p.Days("traces") != 30 {
		t.Fatalf("Set(spans, 3650): %v, traces %d, original %d", err, q.Days("traces"), p.Days("traces"))
	}
	q, _ = q.Set("metrics_1min", 1)
	if q.TTL("metrics_1min") != Day {
		t.Errorf("metrics_1min = %s", q.TTL("metrics_1min"))
	}
}

func newManager(t *testing.T, dir string, st Applier) (*Manager, *bytes.Buffer, *prometheus.Registry) {
	t.Helper()
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	o := DefaultOptions(dir, st)
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	o.Registerer = reg
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m, &logs, reg
}

func TestManagerAppliesThenPersists(t *testing.T) {
	dir := t.TempDir()
	st := &fakeStore{}
	m, _, _ := newManager(t, dir, st)
	if _, err := os.Stat(filepath.Join(dir, FileName)); !os.IsNotExist(err) {
		t.Fatalf("New wrote the file: %v", err)
	}
	p, err := m.SetOne(context.Background(), "logs", 60)
	if err != nil {
		t.Fatal(err)
	}
	if p.Days("logs") != 60 || st.last().Days("logs") != 60 || m.Policies().Days("logs") != 60 {
		t.Fatalf("logs: returned %d, applied %d, current %d", p.Days("logs"), st.last().Days("logs"), m.Policies().Days("logs"))
	}
	// Survives a restart.
	m2, _, _ := newManager(t, dir, &fakeStore{})
	if got := m2.Policies(); got.Days("logs") != 60 || got.Days("metrics") != 90 {
		t.Fatalf("after restart: logs %d metrics %d", got.Days("logs"), got.Days("metrics"))
	}
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !strings.Contains(string(b), `"logs": 60`) || !strings.Contains(string(b), `"metrics_1day": 730`) {
		t.Errorf("file:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+".tmp")); !os.IsNotExist(err) {
		t.Error("temporary file left behind")
	}
}

func TestManagerChangesNothingOnError(t *testing.T) {
	dir := t.TempDir()
	st := &fakeStore{}
	m, _, _ := newManager(t, dir, st)
	if _, err := m.SetOne(context.Background(), "metrics", 180); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, FileName))
	n := len(st.applied)

	// Invalid input: the store is not even asked.
	_, err := m.SetOne(context.Background(), "metrics", 0)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid days: %v", err)
	}
	if len(st.applied) != n {
		t.Error("an invalid policy reached the store")
	}
	// The store fails: the previous policies are applied again, the file is unchanged.
	st.failNext = errors.New("disk on fire")
	if _, err := m.SetOne(context.Background(), "metrics", 7); err == nil || errors.Is(err, ErrInvalid) {
		t.Fatalf("store failure: %v", err)
	}
	if got := m.Policies().Days("metrics"); got != 180 {
		t.Errorf("current metrics = %d after a failed change, want 180", got)
	}
	if got := st.last().Days("metrics"); got != 180 {
		t.Errorf("store left at %d days, want the previous 180 restored", got)
	}
	after, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !bytes.Equal(before, after) {
		t.Error("file changed by a failed change")
	}
	// Persisting fails (the directory is gone): the store gets the old policies back.
	os.RemoveAll(dir)
	if err := os.WriteFile(dir, nil, 0o644); err != nil { // a file where the directory was
		t.Fatal(err)
	}
	if _, err := m.SetOne(context.Background(), "metrics", 7); err == nil {
		t.Fatal("persisting into a file succeeded")
	}
	if got := st.last().Days("metrics"); got != 180 || m.Policies().Days("metrics") != 180 {
		t.Errorf("after a failed save: store %d, current %d, want 180", got, m.Policies().Days("metrics"))
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for _, body := range []string{
		`{"version": 1, "ttl_days": {"logs": 0}}`,
		`{"version": 1, "ttl_days": {"profiles": 3}}`,
		`{"version": 2, "ttl_days": {}}`,
		`not json`,
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, FileName), []byte(body), 0o644)
		if _, _, err := Load(dir); err == nil {
			t.Errorf("Load accepted %s", body)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte(`{"version": 1, "ttl_days": {"logs": 7}}`), 0o644)
	p, found, err := Load(dir)
	if err != nil || !found || p.Days("logs") != 7 || p.Days("metrics_1hour") != 365 {
		t.Errorf("partial file: %v %v logs %d", err, found, p.Days("logs"))
	}
}

func TestMonitor(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	st := &fakeStore{ages: []TableAge{
		{DataType: "logs", Table: "logs", Oldest: now.Add(-40 * Day), Newest: now, Rows: 10, Bytes: 100},
		{DataType: "metrics", Table: "gauge", Oldest: now.Add(-10 * Day), Newest: now.Add(-time.Hour), Rows: 5, Bytes: 50},
		{DataType: "metrics", Table: "sum", Oldest: now.Add(-20 * Day), Newest: now.Add(-2 * time.Hour), Rows: 7, Bytes: 70},
		{DataType: "traces", Table: "spans"},
	}}
	m, logs, reg := newManager(t, t.TempDir(), st)
	m.opts.Now = func() time.Time { return now }
	s := m.Check(context.Background())
	if len(s) != 3 {
		t.Fatalf("statuses: %+v", s)
	}
	if !s[0].Expired || s[1].Expired || s[2].Expired {
		t.Errorf("expired flags: %v %v %v", s[0].Expired, s[1].Expired, s[2].Expired)
	}
	if s[1].Rows != 12 || s[1].Bytes != 120 || !s[1].Oldest.Equal(now.Add(-20*Day)) || !s[1].Newest.Equal(now.Add(-time.Hour)) {
		t.Errorf("metrics summary: %+v", s[1])
	}
	if !strings.Contains(logs.String(), "data older than its retention is still stored") || !strings.Contains(logs.String(), "target=logs") {
		t.Errorf("no warning logged:\n%s", logs)
	}
	if got := testutil.ToFloat64(m.gauges.expired.WithLabelValues("logs", "")); got != 1 {
		t.Errorf("expired gauge for logs = %v", got)
	}
	if got := testutil.ToFloat64(m.gauges.expired.WithLabelValues("metrics", "")); got != 0 {
		t.Errorf("expired gauge for metrics = %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "heimsight_retention_expired_data_present"); err != nil || n != 3 {
		t.Errorf("gathered %d expired gauges: %v", n, err)
	}
	// Within the grace period nothing is reported.
	st.ages = []TableAge{{DataType: "logs", Table: "logs", Oldest: now.Add(-30*Day - time.Hour), Rows: 1}}
	logs.Reset()
	if s := m.Check(context.Background()); s[0].Expired || logs.Len() != 0 {
		t.Errorf("reported within grace: %+v %s", s, logs)
	}
}

func TestRunAppliesAndEnforces(t *testing.T) {
	st := &fakeStore{}
	o := DefaultOptions(t.TempDir(), st)
	o.EnforceInterval, o.MonitorInterval = 5*time.Millisecond, 0
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st.mu.Lock()
		ok := len(st.applied) == 1 && st.enforced >= 2
		st.mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not apply and enforce")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

// Concurrent changes of different targets all survive.
func TestConcurrentSetOne(t *testing.T) {
	m, _, _ := newManager(t, t.TempDir(), &fakeStore{})
	names := []string{"logs", "metrics", "traces", "metrics_1min", "logs_1day_counts", "spans_1hour_stats"}
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.SetOne(context.Background(), name, 100+i); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i, name := range names {
		if got := m.Policies().Days(name); got != 100+i {
			t.Errorf("%s = %d days, want %d", name, got, 100+i)
		}
	}
}
