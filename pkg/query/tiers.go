package query

import (
	"context"
	"strings"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/store"
)

// Tier selection: a query over raw spans or metrics that a tier answers with the same result
// is rewritten to read the tier (Response.Tier names it). The rules accept only what the tier
// answers exactly, so the choice changes no result (floating-point sums may differ in their
// last bits, being added in another order):
//
//   - FROM metrics: WHERE restricts type to gauge and/or sum, with the conditions below on
//     name, service, type or attributes['k']; GROUP BY a time bucket and those; count, sum,
//     min, max and avg of value. metrics_1day, _1hour, _5min, _1min, coarsest first.
//   - FROM spans; WHERE is $__timeFilter(timestamp), optionally AND-ed with =, != or IN on
//     service or name (literals); no HAVING, no DISTINCT;
//   - GROUP BY $__timeGroup(timestamp, D) or bucket(timestamp, D) with D a multiple of the tier's
//     interval, plus optionally service and name;
//   - select items are the group expressions and count(*), count_if(status_code = 'Error'),
//     avg(duration_ns), and p50/p95/p99(duration_ns) when each output group is one tier row
//     (D equal to the interval, grouped by service and name) and the store's tier quantiles are
//     exact;
//   - the time range is whole intervals (from a boundary to 1 ns before one: $__timeFilter
//     includes both ends) and ends before the tier is complete (store.TierInfo: closed
//     intervals only on the embedded store). Grafana's millisecond ranges do not qualify: the
//     tier cannot leave out the rows of the range's last millisecond.
//
// The coarsest tier that qualifies is chosen. When none qualifies for the whole range only
// because of the range (it does not start on a boundary, or reaches intervals the tier does not
// hold yet), a query ordered by its time bucket first and without OFFSET is split (splitTier):
// raw rows up to the first whole bucket, the tier for the whole buckets it holds, raw rows after;
// every bucket lies in one part, so the concatenation is the whole query's result.
// ForceRaw(ctx) turns selection off for a query; Engine.NoTierSelection for every query.

type forceRawKey struct{}

// ForceRaw returns a context under which queries read the table they name, never a tier chosen
// for them.
func ForceRaw(ctx context.Context) context.Context {
	return context.WithValue(ctx, forceRawKey{}, true)
}

func forcedRaw(ctx context.Context) bool { v, _ := ctx.Value(forceRawKey{}).(bool); return v }

type tierChoice struct {
	name     string
	interval time.Duration
}

// tierRule is how queries over one raw table map onto its tiers.
type tierRule struct {
	table string
	tiers []tierChoice // coarsest first
	// dims are the raw columns a query may filter and group by (and attributes['k'] when
	// attrs); rename maps raw column names to the tier's.
	dims   []string
	attrs  bool
	rename map[string]string
	// agg returns the tier expression of a raw aggregate (nil: not answerable); oneRow says
	// each output group is one tier row.
	agg func(c *hql.Call, oneRow, exactQuantiles bool) hql.Expr
	// requires, when set, must hold of the raw WHERE.
	requires func(where hql.Expr) bool
	// oneRow tells, from the grouped dimensions, whether each group is one tier row.
	oneRow func(grouped map[string]bool) bool
}

var tierRules = []tierRule{
	{table: "spans",
		tiers:  []tierChoice{{"spans_1day_stats", 24 * time.Hour}, {"spans_1hour_stats", time.Hour}},
		dims:   []string{"service", "name"},
		rename: map[string]string{"name": "operation"},
		agg:    spanTierAggregate,
		oneRow: func(g map[string]bool) bool { return g["service"] && g["name"] }},
	{table: "metrics",
		tiers: []tierChoice{{"metrics_1day", 24 * time.Hour}, {"metrics_1hour", time.Hour},
			{"metrics_5min", 5 * time.Minute}, {"metrics_1min", time.Minute}},
		dims: []string{"name", "service", "type"}, attrs: true,
		agg: metricsTierAggregate,
		// Only gauges and sums: the tier's histogram rows hold histogram sums, and a raw group
		// of other types has rows (NULL aggregates of value) where the tier has none.
		requires: onlyGaugesAndSums,
		oneRow:   func(map[string]bool) bool { return false }},
}

// selectTier returns stmt rewritten for a tier and the tier's name, or nil when no tier answers
// it exactly.
func selectTier(stmt *hql.Select, cat *hql.Catalog, st store.Querier, p hql.Params, kept func(tier string) time.Duration) (*hql.Select, string) {
	info, ok := st.(store.TierInfo)
	if !ok || stmt == nil || stmt.From == nil || stmt.Having != nil || stmt.Distinct || stmt.Where == nil || p.From == 0 || p.To == 0 {
		return nil, ""
	}
	now := p.Now
	if now == 0 {
		now = time.Now().UnixNano()
	}
	for i := range tierRules {
		rule := &tierRules[i]
		if !strings.EqualFold(stmt.From.Name, rule.table) {
			continue
		}
		for _, tier := range rule.tiers {
			if t, ok := cat.Table(tier.name); !ok || !t.Materialized {
				continue
			}
			since, complete, exactQuantiles := info.TierInfo(tier.name)
			iv := int64(tier.interval)
			// $__timeFilter is inclusive on both ends: the range is whole intervals when it
			// starts on a boundary and ends 1 ns before one.
			if p.From%iv != 0 || (p.To+1)%iv != 0 || p.To+1 > complete || p.From < since {
				continue
			}
			// Retention deletes a tier's old rows on its own schedule (whole days on the
			// embedded store, TTL merges on ClickHouse): leave a margin of a day.
			if ttl := kept(tier.name); ttl > 0 && p.From < now-int64(ttl)+int64(24*time.Hour) {
				continue
			}
			if out := rewriteForTier(stmt, rule, tier, exactQuantiles, p.Interval); out != nil {
				return out, tier.name
			}
		}
	}
	return nil, ""
}

// tierSplit is a query answered in up to three parts over disjoint time ranges: raw rows from
// the range's start to the first whole bucket, the tier over whole buckets [From, To], and raw
// rows after the last bucket the tier holds. Each bucket lies in one part, so the parts'
// groups are the whole query's groups.
type tierSplit struct {
	tier     string
	stmt     *hql.Select // the tier rewrite, for the middle part
	from, to int64       // the tier's part, inclusive like $__timeFilter
	desc     bool        // ORDER BY the bucket descending: the parts come in reverse time order
}

// splitTier finds a tier that answers the whole buckets of stmt's range that it holds, when
// selectTier found none for the whole range: Grafana's ranges are milliseconds that rarely
// start on a boundary, and the newest buckets are not rolled up yet. It requires what makes
// the parts' rows concatenate into the query's result: the result is ordered by the time
// bucket first (so parts follow one another in time), and there is no OFFSET.
func splitTier(stmt *hql.Select, cat *hql.Catalog, st store.Querier, p hql.Params, kept func(tier string) time.Duration) *tierSplit {
	info, ok := st.(store.TierInfo)
	if !ok || stmt == nil || stmt.From == nil || stmt.Having != nil || stmt.Distinct || stmt.Where == nil ||
		stmt.Offset != nil || p.From <= 0 || p.To <= p.From || len(stmt.OrderBy) == 0 {
		return nil
	}
	width, desc, ok := orderedByBucket(stmt, p.Interval)
	if !ok {
		return nil
	}
	now := p.Now
	if now == 0 {
		now = time.Now().UnixNano()
	}
	w := int64(width)
	for i := range tierRules {
		rule := &tierRules[i]
		if !strings.EqualFold(stmt.From.Name, rule.table) {
			continue
		}
		for _, tier := range rule.tiers {
			if width%tier.interval != 0 {
				continue
			}
			if t, ok := cat.Table(tier.name); !ok || !t.Materialized {
				continue
			}
			since, complete, exactQuantiles := info.TierInfo(tier.name)
			from := ceilDiv(p.From, w) * w
			to := floorDiv(min(p.To+1, complete), w) * w // exclusive here
			if from < since || to <= from {
				continue
			}
			if ttl := kept(tier.name); ttl > 0 && from < now-int64(ttl)+int64(24*time.Hour) {
				continue
			}
			if out := rewriteForTier(stmt, rule, tier, exactQuantiles, p.Interval); out != nil {
				return &tierSplit{tier: tier.name, stmt: out, from: from, to: to - 1, desc: desc}
			}
		}
	}
	return nil
}

// orderedByBucket returns the width of the time bucket that is the first ORDER BY key of stmt
// (by alias, position or expression) and whether it sorts descending.
func orderedByBucket(stmt *hql.Select, interval time.Duration) (time.Duration, bool, bool) {
	first := stmt.OrderBy[0]
	e := first.Expr
	switch n := e.(type) {
	case *hql.Ident:
		// Aliases match exactly, as the planner resolves them.
		for _, it := range stmt.Items {
			if it.Alias == n.Name {
				e = it.Expr
				break
			}
		}
	case *hql.IntLit:
		if n.Value < 1 || n.Value > int64(len(stmt.Items)) {
			return 0, false, false
		}
		e = stmt.Items[n.Value-1].Expr
	}
	d, ok := timeBucket(e, interval)
	if !ok || d <= 0 {
		return 0, false, false
	}
	return d, first.Desc, true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

func rewriteForTier(stmt *hql.Select, rule *tierRule, tier tierChoice, exactQuantiles bool, interval time.Duration) *hql.Select {
	if !tierWhere(stmt.Where, rule) || (rule.requires != nil && !rule.requires(stmt.Where)) {
		return nil
	}
	aliases := map[string]hql.Expr{}
	for _, it := range stmt.Items {
		if it.Alias != "" {
			aliases[strings.ToLower(it.Alias)] = it.Expr
		}
	}
	groups := map[string]bool{}  // group expressions, printed
	grouped := map[string]bool{} // grouped dimensions
	var bucketOK bool
	var width time.Duration
	for _, g := range stmt.GroupBy {
		e := g
		if id, ok := g.(*hql.Ident); ok {
			if a, ok := aliases[strings.ToLower(id.Name)]; ok {
				e = a
			}
		}
		switch {
		case isDim(e, rule):
			grouped[dimName(e)] = true
		default:
			d, ok := timeBucket(e, interval)
			if !ok || d <= 0 || d%tier.interval != 0 {
				return nil
			}
			bucketOK, width = true, d
		}
		groups[e.String()] = true
	}
	if !bucketOK {
		return nil
	}
	oneRowPerGroup := width == tier.interval && rule.oneRow(grouped)
	items := make([]*hql.SelectItem, len(stmt.Items))
	for i, it := range stmt.Items {
		var e hql.Expr
		switch {
		case groups[it.Expr.String()]:
			e = renameCols(it.Expr, rule.rename)
		default:
			if c, ok := it.Expr.(*hql.Call); ok && !c.Distinct {
				e = rule.agg(c, oneRowPerGroup, exactQuantiles)
			}
		}
		if e == nil {
			return nil
		}
		alias := it.Alias
		if alias == "" {
			// Keep the raw query's column name (the planner's default name).
			if id, ok := it.Expr.(*hql.Ident); ok {
				alias = id.Name
			} else {
				alias = it.Expr.String()
			}
		}
		items[i] = &hql.SelectItem{At: it.At, Expr: e, Alias: alias}
	}
	out := *stmt
	out.Items = items
	out.From = &hql.TableRef{At: stmt.From.At, Name: tier.name}
	out.Where = renameCols(stmt.Where, rule.rename)
	out.GroupBy = make([]hql.Expr, len(stmt.GroupBy))
	for i, g := range stmt.GroupBy {
		out.GroupBy[i] = renameCols(g, rule.rename)
	}
	for _, o := range stmt.OrderBy {
		// ORDER BY may name a raw column that the tier calls otherwise, or an aggregate.
		if _, pos := o.Expr.(*hql.IntLit); pos {
			continue
		}
		if id, ok := o.Expr.(*hql.Ident); !ok || (aliases[strings.ToLower(id.Name)] == nil && !groups[id.String()]) {
			return nil
		}
	}
	return &out
}

// tierWhere accepts $__timeFilter(timestamp) AND-ed with literal conditions on the rule's
// dimensions.
func tierWhere(e hql.Expr, rule *tierRule) bool {
	timeFilter := false
	var walk func(e hql.Expr) bool
	walk = func(e hql.Expr) bool {
		switch n := e.(type) {
		case *hql.Binary:
			switch n.Op {
			case "AND":
				return walk(n.L) && walk(n.R)
			case "=", "!=":
				return isDim(n.L, rule) && isStringLit(n.R)
			}
		case *hql.In:
			if !isDim(n.X, rule) {
				return false
			}
			for _, v := range n.List {
				if !isStringLit(v) {
					return false
				}
			}
			return true
		case *hql.Macro:
			if n.Name == "$__timeFilter" && len(n.Args) == 1 && isColumn(n.Args[0], "timestamp") {
				timeFilter = true
				return true
			}
		}
		return false
	}
	return walk(e) && timeFilter
}

// onlyGaugesAndSums reports whether a conjunct of where restricts type to gauge and sum.
func onlyGaugesAndSums(where hql.Expr) bool {
	ok := func(v hql.Expr) bool {
		s, isLit := v.(*hql.StringLit)
		return isLit && (s.Value == "gauge" || s.Value == "sum")
	}
	switch n := where.(type) {
	case *hql.Binary:
		switch n.Op {
		case "AND":
			return onlyGaugesAndSums(n.L) || onlyGaugesAndSums(n.R)
		case "=":
			return isColumn(n.L, "type") && ok(n.R)
		}
	case *hql.In:
		if n.Not || !isColumn(n.X, "type") {
			return false
		}
		for _, v := range n.List {
			if !ok(v) {
				return false
			}
		}
		return len(n.List) > 0
	}
	return false
}

// isDim reports whether e is one of the rule's dimensions.
func isDim(e hql.Expr, rule *tierRule) bool {
	if a, ok := e.(*hql.AttrRef); ok {
		return rule.attrs && strings.EqualFold(a.Map, "attributes")
	}
	for _, d := range rule.dims {
		if isColumn(e, d) {
			return true
		}
	}
	return false
}

func dimName(e hql.Expr) string {
	if id, ok := e.(*hql.Ident); ok {
		return strings.ToLower(id.Name)
	}
	return e.String()
}

// spanTierAggregate returns the span tier expression equal to a raw aggregate, or nil.
func spanTierAggregate(c *hql.Call, oneRow, exactQuantiles bool) hql.Expr {
	quantiles := oneRow && exactQuantiles
	col := func(name string) hql.Expr { return &hql.Ident{At: c.At, Name: name} }
	call := func(name string, args ...hql.Expr) hql.Expr { return &hql.Call{At: c.At, Name: name, Args: args} }
	name := strings.ToLower(c.Name)
	switch {
	case name == "count" && len(c.Args) == 1:
		if _, star := c.Args[0].(*hql.Star); star {
			return call("sum", col("span_count"))
		}
	case name == "count_if" && len(c.Args) == 1:
		if b, ok := c.Args[0].(*hql.Binary); ok && b.Op == "=" && isColumn(b.L, "status_code") {
			if s, ok := b.R.(*hql.StringLit); ok && s.Value == "Error" {
				return call("sum", col("error_count"))
			}
		}
	case name == "avg" && len(c.Args) == 1 && isColumn(c.Args[0], "duration_ns"):
		// The mean of the interval means weighted by their span counts.
		return &hql.Binary{At: c.At, OpPos: c.At, Op: "/",
			L: call("sum", &hql.Binary{At: c.At, OpPos: c.At, Op: "*", L: col("avg_duration_ns"), R: col("span_count")}),
			R: call("sum", col("span_count"))}
	case quantiles && len(c.Args) == 1 && isColumn(c.Args[0], "duration_ns"):
		// One tier row per output group: its quantile is the group's.
		switch name {
		case "p50", "median":
			return call("max", col("p50_duration_ns"))
		case "p95":
			return call("max", col("p95_duration_ns"))
		case "p99":
			return call("max", col("p99_duration_ns"))
		}
	}
	return nil
}

// renameCols rewrites references to raw columns that the tier names otherwise.
func renameCols(e hql.Expr, rename map[string]string) hql.Expr {
	switch n := e.(type) {
	case *hql.Ident:
		if to, ok := rename[strings.ToLower(n.Name)]; ok {
			return &hql.Ident{At: n.At, Name: to}
		}
	case *hql.Binary:
		c := *n
		c.L, c.R = renameCols(n.L, rename), renameCols(n.R, rename)
		return &c
	case *hql.In:
		c := *n
		c.X = renameCols(n.X, rename)
		return &c
	}
	return e
}

// metricsTierAggregate returns the metric tier expression equal to a raw aggregate of value
// over gauges and sums, or nil.
func metricsTierAggregate(c *hql.Call, _, _ bool) hql.Expr {
	if len(c.Args) != 1 || !isColumn(c.Args[0], "value") {
		return nil
	}
	col := func(name string) hql.Expr { return &hql.Ident{At: c.At, Name: name} }
	call := func(name string, args ...hql.Expr) hql.Expr { return &hql.Call{At: c.At, Name: name, Args: args} }
	switch strings.ToLower(c.Name) {
	case "count":
		return call("sum", col("count"))
	case "sum":
		return call("sum", col("sum"))
	case "min":
		return call("min", col("min"))
	case "max":
		return call("max", col("max"))
	case "avg":
		return &hql.Binary{At: c.At, OpPos: c.At, Op: "/", L: call("sum", col("sum")), R: call("sum", col("count"))}
	}
	return nil
}

func isColumn(e hql.Expr, name string) bool {
	id, ok := e.(*hql.Ident)
	return ok && strings.EqualFold(id.Name, name)
}

func isStringLit(e hql.Expr) bool { _, ok := e.(*hql.StringLit); return ok }

// timeBucket recognises $__timeGroup(timestamp, D) and bucket(timestamp, D) with a constant D.
func timeBucket(e hql.Expr, interval time.Duration) (time.Duration, bool) {
	var args []hql.Expr
	switch n := e.(type) {
	case *hql.Macro:
		if n.Name != "$__timeGroup" {
			return 0, false
		}
		args = n.Args
	case *hql.Call:
		if !strings.EqualFold(n.Name, "bucket") {
			return 0, false
		}
		args = n.Args
	default:
		return 0, false
	}
	if len(args) != 2 || !isColumn(args[0], "timestamp") {
		return 0, false
	}
	switch d := args[1].(type) {
	case *hql.Macro:
		// $__interval is Grafana's interval, a planning parameter like the time range.
		if d.Name == "$__interval" && interval > 0 {
			return interval, true
		}
		return 0, false
	case *hql.DurationLit:
		return d.Value, true
	case *hql.StringLit:
		// The planner's own reading of the string, so that the width checked here is the
		// width the query buckets by.
		dd, err := hql.ParseDuration(d.Value)
		return dd, err == nil
	}
	return 0, false
}
