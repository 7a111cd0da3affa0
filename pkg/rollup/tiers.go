package rollup

import "time"

// Data types whose raw tables have a retention of their own. Spans belong to "traces".
const (
	Logs    = "logs"
	Metrics = "metrics"
	Traces  = "traces"
)

const day = 24 * time.Hour

// Tier is one aggregation tier: a table of pre-aggregated rows over closed intervals of its
// source data type.
type Tier struct {
	// Name is the logical (HQL) table name, also the retention policy's tier name.
	Name string
	// DataType is the raw data the tier aggregates: Logs, Metrics or Traces.
	DataType string
	// Interval is the width of one aggregated bucket.
	Interval time.Duration
	// DefaultRetention is how long the tier's rows are kept unless configured otherwise.
	DefaultRetention time.Duration
}

// Tiers lists every tier, finest first within each data type. It is the single list the
// retention policies, the stores and the planner read.
var Tiers = []Tier{
	{"metrics_1min", Metrics, time.Minute, 30 * day},
	{"metrics_5min", Metrics, 5 * time.Minute, 90 * day},
	{"metrics_1hour", Metrics, time.Hour, 365 * day},
	{"metrics_1day", Metrics, day, 730 * day},
	{"logs_1hour_counts", Logs, time.Hour, 365 * day},
	{"logs_1day_counts", Logs, day, 730 * day},
	{"spans_1hour_stats", Traces, time.Hour, 365 * day},
	{"spans_1day_stats", Traces, day, 730 * day},
	{"traces_1hour_stats", Traces, time.Hour, 365 * day},
	{"traces_1day_stats", Traces, day, 730 * day},
}

// DataTypes lists the raw data types with their default retention.
var DataTypes = []struct {
	Name             string
	DefaultRetention time.Duration
}{
	{Logs, 30 * day},
	{Metrics, 90 * day},
	{Traces, 30 * day},
}

// LookupTier returns the tier named name.
func LookupTier(name string) (Tier, bool) {
	for _, t := range Tiers {
		if t.Name == name {
			return t, true
		}
	}
	return Tier{}, false
}
