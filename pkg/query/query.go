package query

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect/clickhouse"
	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/store"
)

// Defaults used when Engine fields are zero.
const (
	DefaultMaxRows = 10000
	DefaultTimeout = 30 * time.Second
)

// EmitFunc renders a plan for one dialect.
type EmitFunc func(p *hql.QueryPlan, source store.TableSource) (string, []any, error)

// Emitters maps a store dialect name to its emitter.
var Emitters = map[string]EmitFunc{
	duckdb.Name:     duckdb.Emit,
	clickhouse.Name: clickhouse.Emit,
}

// Engine runs HQL against a store. The zero values of the limits mean the package defaults.
// Safe for concurrent use once configured.
type Engine struct {
	Store store.Querier
	// Catalog is what queries are planned against. Nil: hql.DefaultCatalog() with the tiers
	// the store builds (store.TierBuilder) enabled.
	Catalog *hql.Catalog
	// DefaultLimit is the LIMIT of a query without one (0: hql.DefaultLimit).
	DefaultLimit int
	// MaxRows caps both any LIMIT and the rows the store returns (HEIMSIGHT_QUERY_MAX_ROWS;
	// 0: DefaultMaxRows).
	MaxRows int
	// Timeout bounds one query (HEIMSIGHT_QUERY_TIMEOUT; 0: DefaultTimeout).
	Timeout time.Duration
	// NoTierSelection makes every query read the table it names (see tiers.go; ForceRaw does
	// it for one query).
	NoTierSelection bool
	// TierRetention returns how long a tier keeps its rows (0: unknown). A tier answers a query
	// only for a range it still holds: a minute tier kept 30 days must not answer for day 60,
	// which the raw table may still hold. Nil: the tiers' default retention.
	TierRetention func(tier string) time.Duration
}

// Response is a query result with what a client needs to render it.
type Response struct {
	// Result holds the rows; the caller must Release it.
	Result *store.Result
	// Columns are the output columns with their HQL types, in result order.
	Columns []hql.OutputColumn
	// Plan is the checked query (table, time range, effective LIMIT).
	Plan *hql.QueryPlan
	// Tier names the aggregation tier that answered a query over a raw table (tier
	// selection); empty when the table the query names answered it.
	Tier string
	// TierFrom and TierTo are the part of the range (Unix ns, inclusive) that Tier answered:
	// the whole range, or its whole buckets when raw rows answered the range's ragged start
	// and the newest buckets, which the tier does not hold yet.
	TierFrom, TierTo int64
	Elapsed          time.Duration
}

// Release frees the result. Safe on nil.
func (r *Response) Release() {
	if r != nil {
		r.Result.Release()
	}
}

// Error is a query the user got wrong (syntax, names, types, unbuilt tiers). It unwraps to the
// *hql.Error with position and expectation, and to store.ErrInvalidQuery so protocol layers map
// it to 400 without knowing about HQL.
type Error struct {
	Err *hql.Error
}

func (e *Error) Error() string   { return "invalid query: " + e.Err.Error() }
func (e *Error) Unwrap() []error { return []error{e.Err, store.ErrInvalidQuery} }

func userError(err error) error {
	var he *hql.Error
	if errors.As(err, &he) {
		return &Error{Err: he}
	}
	return err
}

// Run parses and runs src.
func (e *Engine) Run(ctx context.Context, src string, p hql.Params) (*Response, error) {
	stmt, err := hql.Parse(src)
	if err != nil {
		return nil, userError(err)
	}
	return e.RunSelect(ctx, stmt, p)
}

// Prepare plans stmt with the engine's catalog and limits and returns the store query to run,
// without running it (for EXPLAIN-like tooling and tests).
func (e *Engine) Prepare(stmt *hql.Select, p hql.Params) (*hql.QueryPlan, *store.Query, error) {
	plan, q, _, _, err := e.prepare(stmt, p, false)
	return plan, q, err
}

// prepare plans stmt, or, with selectTiers, the tier rewrite of stmt when one answers it
// (tier is then its name). When no tier answers the whole range but one answers its whole
// buckets, split says how (plan and q are then stmt's own).
func (e *Engine) prepare(stmt *hql.Select, p hql.Params, selectTiers bool) (plan *hql.QueryPlan, q *store.Query, tier string, split *tierSplit, err error) {
	if e.Store == nil {
		return nil, nil, "", nil, fmt.Errorf("cannot run query: no store")
	}
	emit, ok := Emitters[e.Store.Dialect()]
	if !ok {
		return nil, nil, "", nil, fmt.Errorf("cannot run query: no HQL emitter for dialect %q", e.Store.Dialect())
	}
	cat := e.Catalog
	if cat == nil {
		if tb, ok := e.Store.(store.TierBuilder); ok {
			cat = tierCatalog(tb.Tiers())
		}
	}
	maxRows := e.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	if p.DefaultLimit == 0 {
		p.DefaultLimit = e.DefaultLimit
	}
	if p.MaxLimit == 0 || p.MaxLimit > maxRows {
		p.MaxLimit = maxRows
	}
	if selectTiers && cat != nil {
		// The raw query must be valid as written: a rewrite never hides a user mistake.
		if _, err := hql.Plan(stmt, cat, p); err != nil {
			return nil, nil, "", nil, userError(err)
		}
		if alt, name := selectTier(stmt, cat, e.Store, p, e.tierRetention); alt != nil {
			if _, err := hql.Plan(alt, cat, p); err == nil {
				stmt, tier = alt, name
			}
		} else if sp := splitTier(stmt, cat, e.Store, p, e.tierRetention); sp != nil {
			tp := p
			tp.From, tp.To = sp.from, sp.to
			if _, err := hql.Plan(sp.stmt, cat, tp); err == nil {
				split = sp
			}
		}
	}
	plan, err = hql.Plan(stmt, cat, p)
	if err != nil {
		return nil, nil, "", nil, userError(err)
	}
	q = &store.Query{
		Build:   func(src store.TableSource) (string, []any, error) { return emit(plan, src) },
		Tables:  []store.TableScan{{Table: plan.Table.Name, From: plan.From, To: plan.To}},
		MaxRows: maxRows,
	}
	return plan, q, tier, split, nil
}

// tierCatalogs caches one catalog per set of built tiers: a store's set does not change, and a
// configured catalog is read-only, so queries share it.
var tierCatalogs sync.Map // comma-joined tier names -> *hql.Catalog

// tierCatalog returns the default catalog with the named tiers enabled. Names the catalog does
// not declare are left out (a store may build more than this planner knows).
func tierCatalog(names []string) *hql.Catalog {
	key := strings.Join(names, ",")
	if c, ok := tierCatalogs.Load(key); ok {
		return c.(*hql.Catalog)
	}
	cat := hql.DefaultCatalog()
	var known []string
	for _, n := range names {
		if t, ok := cat.Table(n); ok && t.Tier {
			known = append(known, n)
		}
	}
	if len(known) > 0 {
		_ = cat.EnableTiers(known...) // only declared tiers: cannot fail
	}
	c, _ := tierCatalogs.LoadOrStore(key, cat)
	return c.(*hql.Catalog)
}

// RunSelect runs a query built as a syntax tree (REST filters, builder queries).
func (e *Engine) RunSelect(ctx context.Context, stmt *hql.Select, p hql.Params) (*Response, error) {
	start := time.Now()
	plan, q, tier, split, err := e.prepare(stmt, p, !e.NoTierSelection && !forcedRaw(ctx))
	if err != nil {
		return nil, err
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp := &Response{Columns: plan.Columns, Plan: plan, Tier: tier}
	if tier != "" {
		resp.TierFrom, resp.TierTo = p.From, p.To
	}
	if split != nil {
		res, tierRead, err := e.runSplit(ctx, stmt, p, split, plan.Limit)
		if err != nil {
			return nil, queryError(ctx, err, timeout)
		}
		if res != nil {
			resp.Result, resp.Elapsed = res, time.Since(start)
			if tierRead { // the LIMIT may be reached before the tier's part
				resp.Tier, resp.TierFrom, resp.TierTo = split.tier, split.from, split.to
			}
			return resp, nil
		}
	}
	res, err := e.Store.Query(ctx, q)
	if err != nil {
		return nil, queryError(ctx, err, timeout)
	}
	resp.Result, resp.Elapsed = res, time.Since(start)
	return resp, nil
}

func queryError(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("cannot run query: exceeded %v: %w", timeout, store.ErrQueryLimit)
	}
	return fmt.Errorf("cannot run query: %w", err)
}

// runSplit runs the parts of a split query in the result's order and concatenates their rows
// up to limit; tierRead says whether the tier's part ran. It returns a nil result when the
// parts' columns differ in type (the tier's aggregate of a raw count is not the same integer
// type on every store), and the caller then runs the query over the raw table as a whole.
func (e *Engine) runSplit(ctx context.Context, raw *hql.Select, p hql.Params, sp *tierSplit, limit int64) (_ *store.Result, tierRead bool, _ error) {
	type part struct {
		stmt     *hql.Select
		from, to int64
		tier     bool
	}
	var parts []part
	if p.From < sp.from {
		parts = append(parts, part{raw, p.From, sp.from - 1, false})
	}
	parts = append(parts, part{sp.stmt, sp.from, sp.to, true})
	if sp.to < p.To {
		parts = append(parts, part{raw, sp.to + 1, p.To, false})
	}
	if sp.desc {
		slices.Reverse(parts)
	}
	out := &store.Result{}
	fail := func(err error) (*store.Result, bool, error) {
		out.Release()
		return nil, false, err
	}
	for _, pt := range parts {
		pp := p
		pp.From, pp.To = pt.from, pt.to
		_, q, _, _, err := e.prepare(pt.stmt, pp, false)
		if err != nil {
			return fail(err)
		}
		res, err := e.Store.Query(ctx, q)
		if err != nil {
			return fail(err)
		}
		tierRead = tierRead || pt.tier
		if out.Schema == nil {
			out.Schema = res.Schema
		} else if !out.Schema.Equal(res.Schema) {
			res.Release()
			return fail(nil)
		}
		for _, rec := range res.Records {
			n := min(rec.NumRows(), limit-out.Rows) // the query's LIMIT over the whole result
			if n <= 0 {
				rec.Release()
				continue
			}
			if n < rec.NumRows() {
				sliced := rec.NewSlice(0, n)
				rec.Release()
				rec = sliced
			}
			out.Records = append(out.Records, rec)
			out.Rows += n
		}
		// A part cut short by the row cap hides rows that come before the next part's.
		if res.Truncated {
			out.Truncated = true
			break
		}
		if out.Rows >= limit {
			break
		}
	}
	return out, tierRead, nil
}

// tierRetention is TierRetention, or the tiers' default retention when it is nil.
func (e *Engine) tierRetention(tier string) time.Duration {
	if e.TierRetention != nil {
		return e.TierRetention(tier)
	}
	return retention.Defaults().TTL(tier)
}
