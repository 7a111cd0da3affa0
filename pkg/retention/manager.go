package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TableAge describes the data one physical table holds.
type TableAge struct {
	DataType string // rollup.Logs, rollup.Metrics or rollup.Traces
	Tier     string // "" for raw data
	Table    string // the store's table name
	// Oldest and Newest are the earliest and latest row times; zero when the table is empty.
	// A store may round them outward to what it can know cheaply (the embedded store reads the
	// Parquet statistics; rows still in memory count at the hour they belong to).
	Oldest, Newest time.Time
	Rows           int64
	Bytes          int64 // on disk (compressed); in-memory rows are not counted
}

// Target returns the policy target the table belongs to.
func (a TableAge) Target() Target { return Target{DataType: a.DataType, Tier: a.Tier} }

// Applier is implemented by stores.
type Applier interface {
	// ApplyRetention makes the store keep every table as long as p says, and returns nil only
	// once the store has taken the change: ClickHouse shows the new TTL in the table
	// definitions; the embedded store has deleted what the new policies expire. Tiers whose
	// tables do not exist yet are skipped. On error the store may hold a mix of old and new
	// settings; the Manager then applies the previous policies again. Safe for concurrent use.
	ApplyRetention(ctx context.Context, p Policies) error
	// DataAge reports, per table, the oldest and newest row time, row count and bytes.
	DataAge(ctx context.Context) ([]TableAge, error)
}

// Enforcer is implemented by stores that delete expired data themselves (the embedded store);
// the Manager calls it every Options.EnforceInterval. ClickHouse enforces TTLs in the server.
type Enforcer interface {
	EnforceRetention(ctx context.Context, p Policies) error
}

// Options configures a Manager. Start from DefaultOptions.
type Options struct {
	// Dir is the data directory the policies are persisted in (FileName). Required.
	Dir string
	// Store applies the policies. Required.
	Store Applier
	// EnforceInterval is how often an Enforcer store deletes expired data.
	EnforceInterval time.Duration
	// MonitorInterval is how often the data age is checked against the policies; zero
	// disables the monitor.
	MonitorInterval time.Duration
	// Grace is how much older than its TTL data may be before the monitor reports it. Stores
	// delete whole partitions once all of their rows expired (an hour in the embedded store, a
	// day in ClickHouse) and only at intervals, so data a little past its TTL is normal.
	Grace time.Duration
	// Logger receives changes and warnings. Nil: slog.Default().
	Logger *slog.Logger
	// Registerer receives the monitor's gauges; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultOptions returns options for a store whose data directory is dir.
func DefaultOptions(dir string, st Applier) Options {
	return Options{
		Dir:             dir,
		Store:           st,
		EnforceInterval: 5 * time.Minute,
		MonitorInterval: 5 * time.Minute,
		Grace:           26 * time.Hour,
	}
}

// ErrInvalid marks a policy change refused because of its input (HTTP 400).
var ErrInvalid = errors.New("invalid retention policy")

// Manager holds the current policies and changes them. Safe for concurrent use.
type Manager struct {
	opts   Options
	mu     sync.Mutex // serializes changes; held while the store applies one
	cur    Policies
	gauges *gauges
}

// New loads the persisted policies (the defaults when none are) and returns a manager. It does
// not touch the store: Run applies the policies first thing.
func New(o Options) (*Manager, error) {
	if o.Dir == "" || o.Store == nil {
		return nil, errors.New("cannot create retention manager: Dir and Store are required")
	}
	if o.EnforceInterval <= 0 {
		o.EnforceInterval = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p, _, err := Load(o.Dir)
	if err != nil {
		return nil, err
	}
	return &Manager{opts: o, cur: p, gauges: newGauges(o.Registerer)}, nil
}

// Policies returns the current policies.
func (m *Manager) Policies() Policies {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

// Set validates p, applies it to the store and persists it, in that order, so that the file
// never names a retention the store does not have. On any error the previous policies stay in
// force (the store gets them again) and the error says why; a validation error wraps
// ErrInvalid.
func (m *Manager) Set(ctx context.Context, p Policies) (Policies, error) {
	return m.Update(ctx, func(Policies) (Policies, error) { return p, nil })
}

// SetOne changes the retention of one target (a data type or tier name) to days.
func (m *Manager) SetOne(ctx context.Context, name string, days int) (Policies, error) {
	return m.Update(ctx, func(cur Policies) (Policies, error) { return cur.Set(name, days) })
}

// Update computes new policies from the current ones with change and sets them as Set does,
// all under the manager's lock, so that concurrent changes of different targets do not undo
// each other. An error from change is a validation error: it wraps ErrInvalid.
func (m *Manager) Update(ctx context.Context, change func(Policies) (Policies, error)) (Policies, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.cur
	p, err := change(old)
	if err == nil {
		err = p.Validate()
	}
	if err != nil {
		return old, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := m.opts.Store.ApplyRetention(ctx, p); err != nil {
		m.restore(old, err)
		return old, fmt.Errorf("cannot apply retention policies: %w", err)
	}
	if err := Save(m.opts.Dir, p); err != nil {
		m.restore(old, err)
		return old, fmt.Errorf("cannot persist retention policies: %w", err)
	}
	m.cur = p
	for _, t := range Targets() {
		if o, n := old.Days(t.Name()), p.Days(t.Name()); o != n {
			m.opts.Logger.Info("retention changed", "target", t.Name(), "from_days", o, "to_days", n)
		}
	}
	m.gauges.setPolicies(p)
	return p, nil
}

// restore puts the previous policies back into the store after a failed change, with a fresh
// context: the request's may be what ran out.
func (m *Manager) restore(old Policies, cause error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.opts.Store.ApplyRetention(ctx, old); err != nil {
		m.opts.Logger.Error("cannot restore the previous retention after a failed change; the store may hold a mix",
			"cause", cause, "err", err)
	}
}

// DataAge returns the store's data age per table.
func (m *Manager) DataAge(ctx context.Context) ([]TableAge, error) {
	ages, err := m.opts.Store.DataAge(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot read data age: %w", err)
	}
	return ages, nil
}

// Run applies the current policies to the store, then enforces them every EnforceInterval (for
// an Enforcer store) and checks the data age every MonitorInterval, until ctx ends. A failed
// start-up application is logged and retried at the next enforcement.
func (m *Manager) Run(ctx context.Context) {
	applied := m.applyCurrent(ctx)
	m.gauges.setPolicies(m.Policies())
	enforce := time.NewTicker(m.opts.EnforceInterval)
	defer enforce.Stop()
	var monitor <-chan time.Time
	if m.opts.MonitorInterval > 0 {
		t := time.NewTicker(m.opts.MonitorInterval)
		defer t.Stop()
		monitor = t.C
		m.Check(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-enforce.C:
			if !applied {
				applied = m.applyCurrent(ctx)
				continue
			}
			if e, ok := m.opts.Store.(Enforcer); ok {
				if err := m.enforce(ctx, e); err != nil && ctx.Err() == nil {
					m.opts.Logger.Error("retention enforcement failed; will retry", "err", err)
				}
			}
		case <-monitor:
			m.Check(ctx)
		}
	}
}

// enforce runs one enforcement under the manager's lock: an Update that lengthens a TTL must
// not race with an enforcement still deleting by the old, shorter one.
func (m *Manager) enforce(ctx context.Context, e Enforcer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return e.EnforceRetention(ctx, m.cur)
}

func (m *Manager) applyCurrent(ctx context.Context) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.opts.Store.ApplyRetention(ctx, m.cur); err != nil {
		if ctx.Err() == nil {
			m.opts.Logger.Error("cannot apply retention policies at start; will retry", "err", err)
		}
		return false
	}
	return true
}
