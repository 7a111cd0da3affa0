package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type gauges struct {
	ttl     *prometheus.GaugeVec
	age     *prometheus.GaugeVec
	expired *prometheus.GaugeVec
}

func newGauges(reg prometheus.Registerer) *gauges {
	const ns, sub = "heimsight", "retention"
	labels := []string{"data_type", "tier"}
	g := &gauges{
		ttl: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "ttl_seconds",
			Help: "Configured retention per data type and tier (tier \"\" is the raw data)."}, labels),
		age: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "oldest_data_age_seconds",
			Help: "Age of the oldest row per data type and tier, at the last check (0: no data)."}, labels),
		expired: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "expired_data_present",
			Help: "1 when data older than its retention (plus the grace period) is still stored, else 0."}, labels),
	}
	if reg != nil {
		reg.MustRegister(g.ttl, g.age, g.expired)
	}
	return g
}

func (g *gauges) setPolicies(p Policies) {
	for _, t := range Targets() {
		g.ttl.WithLabelValues(t.DataType, t.Tier).Set(p.TTL(t.Name()).Seconds())
	}
}

// Status is the data age of one policy target, summed over its tables.
type Status struct {
	Target
	TTL            time.Duration
	Oldest, Newest time.Time // zero when there is no data
	Rows, Bytes    int64
	// Expired is set when the oldest row is older than the TTL plus the grace period: the
	// store is not deleting what it should.
	Expired bool
}

// Summarize groups table ages by target, in Targets order; targets with no table are left out
// (tiers not built yet).
func Summarize(p Policies, ages []TableAge, now time.Time, grace time.Duration) []Status {
	by := map[string]*Status{}
	for _, a := range ages {
		t := a.Target()
		s := by[t.Name()]
		if s == nil {
			s = &Status{Target: t, TTL: p.TTL(t.Name())}
			by[t.Name()] = s
		}
		s.Rows += a.Rows
		s.Bytes += a.Bytes
		if !a.Oldest.IsZero() && (s.Oldest.IsZero() || a.Oldest.Before(s.Oldest)) {
			s.Oldest = a.Oldest
		}
		if a.Newest.After(s.Newest) {
			s.Newest = a.Newest
		}
	}
	var out []Status
	for _, t := range Targets() {
		s := by[t.Name()]
		if s == nil {
			continue
		}
		s.Expired = !s.Oldest.IsZero() && s.Oldest.Before(now.Add(-s.TTL-grace))
		out = append(out, *s)
	}
	return out
}

// Check reads the data age, updates the gauges and logs a warning for every target that still
// holds data older than its TTL plus Options.Grace. It returns the statuses (nil when the store
// could not answer).
func (m *Manager) Check(ctx context.Context) []Status {
	ages, err := m.opts.Store.DataAge(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.opts.Logger.Warn("cannot check data age against retention", "err", err)
		}
		return nil
	}
	now := m.opts.Now()
	st := Summarize(m.Policies(), ages, now, m.opts.Grace)
	for _, s := range st {
		age := 0.0
		if !s.Oldest.IsZero() {
			age = now.Sub(s.Oldest).Seconds()
		}
		m.gauges.age.WithLabelValues(s.DataType, s.Tier).Set(age)
		exp := 0.0
		if s.Expired {
			exp = 1
			m.opts.Logger.Warn("data older than its retention is still stored",
				"target", s.Name(), "ttl_days", int(s.TTL/Day), "oldest", s.Oldest.UTC().Format(time.RFC3339),
				"over_by", now.Sub(s.Oldest.Add(s.TTL)).Round(time.Minute).String())
		}
		m.gauges.expired.WithLabelValues(s.DataType, s.Tier).Set(exp)
	}
	return st
}

// Status returns the data age per target as the monitor sees it, and the time it was taken.
// Unlike Check it neither logs nor updates the gauges.
func (m *Manager) Status(ctx context.Context) ([]Status, time.Time, error) {
	ages, err := m.opts.Store.DataAge(ctx)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cannot read data age: %w", err)
	}
	now := m.opts.Now()
	return Summarize(m.Policies(), ages, now, m.opts.Grace), now, nil
}
