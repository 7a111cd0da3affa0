package retention

import (
	"fmt"
	"slices"
	"time"

	"github.com/heimsight/heimsight/pkg/rollup"
)

// Day is the unit of retention: policies are whole days.
const Day = 24 * time.Hour

// Bounds of a TTL, in days.
const (
	MinDays = 1
	MaxDays = 3650
)

// Target is what one policy governs: the raw table of a data type (Tier empty) or one tier.
type Target struct {
	DataType string // rollup.Logs, rollup.Metrics or rollup.Traces
	Tier     string // a rollup.Tiers name, or "" for raw data
}

// Name is the policy's key: the tier name, or the data type for raw data.
func (t Target) Name() string {
	if t.Tier != "" {
		return t.Tier
	}
	return t.DataType
}

// Targets lists every target: the three data types, then the tiers in rollup.Tiers order.
func Targets() []Target {
	out := make([]Target, 0, len(rollup.DataTypes)+len(rollup.Tiers))
	for _, d := range rollup.DataTypes {
		out = append(out, Target{DataType: d.Name})
	}
	for _, t := range rollup.Tiers {
		out = append(out, Target{DataType: t.DataType, Tier: t.Name})
	}
	return out
}

// LookupTarget resolves a policy name (a data type or a tier name). "spans" is accepted for
// "traces", the data type spans belong to.
func LookupTarget(name string) (Target, bool) {
	if name == "spans" {
		name = rollup.Traces
	}
	for _, t := range Targets() {
		if t.Name() == name {
			return t, true
		}
	}
	return Target{}, false
}

// Policies holds a TTL for every target. It is a value: Set returns a changed copy, so a
// Policies handed to a store never changes under it.
type Policies struct {
	ttl map[string]time.Duration
}

// Defaults are the documented defaults: logs 30 days, metrics 90, traces 30; metric tiers 1m
// 30, 5m 90, 1h 365, 1d 730; hourly log, span and trace tiers 365, daily 730.
func Defaults() Policies {
	p := Policies{ttl: map[string]time.Duration{}}
	for _, d := range rollup.DataTypes {
		p.ttl[d.Name] = d.DefaultRetention
	}
	for _, t := range rollup.Tiers {
		p.ttl[t.Name] = t.DefaultRetention
	}
	return p
}

// TTL returns the retention of the target named name (a data type or tier), 0 if unknown.
func (p Policies) TTL(name string) time.Duration {
	if t, ok := LookupTarget(name); ok {
		name = t.Name()
	}
	if p.ttl == nil {
		return Defaults().ttl[name]
	}
	return p.ttl[name]
}

// Days returns the retention of name in days.
func (p Policies) Days(name string) int { return int(p.TTL(name) / Day) }

// Set returns a copy of p with the target named name kept for days days. The name must be a
// data type or a tier, and days within MinDays..MaxDays.
func (p Policies) Set(name string, days int) (Policies, error) {
	t, ok := LookupTarget(name)
	if !ok {
		return p, fmt.Errorf("unknown retention target %q: want one of %s", name, targetNames())
	}
	if err := ValidateDays(t.Name(), days); err != nil {
		return p, err
	}
	out := p.clone()
	out.ttl[t.Name()] = time.Duration(days) * Day
	return out, nil
}

// ValidateDays checks a TTL in days for the target called name.
func ValidateDays(name string, days int) error {
	if days < MinDays || days > MaxDays {
		return fmt.Errorf("invalid ttl_days for %s: %d is out of range, want %d to %d days", name, days, MinDays, MaxDays)
	}
	return nil
}

// Validate checks that every target has a TTL of whole days within bounds.
func (p Policies) Validate() error {
	for _, t := range Targets() {
		d := p.TTL(t.Name())
		if d%Day != 0 {
			return fmt.Errorf("invalid retention of %s: %s is not a whole number of days", t.Name(), d)
		}
		if err := ValidateDays(t.Name(), int(d/Day)); err != nil {
			return err
		}
	}
	return nil
}

// Equal reports whether p and q keep every target equally long.
func (p Policies) Equal(q Policies) bool {
	for _, t := range Targets() {
		if p.TTL(t.Name()) != q.TTL(t.Name()) {
			return false
		}
	}
	return true
}

func (p Policies) clone() Policies {
	out := Defaults()
	for k, v := range p.ttl {
		out.ttl[k] = v
	}
	return out
}

func targetNames() string {
	var names []string
	for _, t := range Targets() {
		names = append(names, t.Name())
	}
	slices.Sort(names)
	return fmt.Sprint(names)
}

// TierNames returns the tier names of a data type, finest first.
func TierNames(dataType string) []string {
	var out []string
	for _, t := range rollup.Tiers {
		if t.DataType == dataType {
			out = append(out, t.Name)
		}
	}
	return out
}
