package hql

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// Params are the per-request inputs of planning: the dashboard time range and interval (for
// Grafana macros), the evaluation time (now()) and LIMIT policy.
type Params struct {
	// From and To are the query time range in Unix ns (0 = open on that side). They reach the
	// query only through $__timeFilter, $__timeFrom and $__timeTo.
	From, To int64
	// Interval is Grafana's $__interval (0 = not set).
	Interval time.Duration
	// Now is the value of now() in Unix ns (0 = the wall clock at planning time).
	Now int64
	// DefaultLimit applies when the query has no LIMIT (0 = DefaultLimit constant); MaxLimit caps
	// any LIMIT (0 = no cap).
	DefaultLimit, MaxLimit int
}

// sharedCatalog is the default catalog used when Plan gets none; it is never handed out, so
// nobody can enable tiers on it.
var sharedCatalog = sync.OnceValue(DefaultCatalog)

// DefaultLimit is the LIMIT of a query without one when Params.DefaultLimit is 0.
const DefaultLimit = 1000

// OutputColumn is one result column.
type OutputColumn struct {
	Name string
	Type Type
}

// OrderTerm is one planned ORDER BY term.
type OrderTerm struct {
	Expr *PExpr
	Desc bool
}

// QueryPlan is a checked query, ready for a dialect emitter: every name is resolved against the
// catalog, every macro is replaced by values, every expression is typed.
type QueryPlan struct {
	Table    *Table
	Distinct bool
	Columns  []OutputColumn
	Select   []*PExpr // parallel to Columns
	Where    *PExpr   // nil when absent
	GroupBy  []*PExpr
	Having   *PExpr
	OrderBy  []OrderTerm
	// Limit is the effective LIMIT (always set); LimitCapped says MaxLimit lowered the query's own.
	Limit       int64
	LimitCapped bool
	Offset      int64
	// Aggregate is set when the query groups (GROUP BY or aggregate functions).
	Aggregate bool
	// From and To bound the table's time column as implied by WHERE (top-level AND terms,
	// including $__timeFilter): inclusive from, exclusive to, Unix ns, 0 = unbounded. Stores use
	// them to prune partitions.
	From, To int64
}

// PKind is the kind of a planned expression.
type PKind uint8

// The planned expression kinds.
const (
	PColumn    PKind = iota // Col
	PAttr                   // Col (a map) [Key]
	PLiteral                // Value: string, int64, float64, bool or nil
	PTimestamp              // Value: int64 ns; a constant timestamp
	PDuration               // Value: int64 ns; a constant duration (rendered as an integer)
	PUnary                  // Op ("NOT", "-") Args[0]
	PBinary                 // Op Args[0] Args[1]
	PIn                     // Args[0] [NOT] IN Args[1:]
	PBetween                // Args[0] [NOT] BETWEEN Args[1] AND Args[2]
	PIsNull                 // Args[0] IS [NOT] NULL
	PCase                   // WHEN Args[2i] THEN Args[2i+1] ..., ELSE last arg when HasElse
	PCall                   // Func(Args), Star, Distinct
	POutput                 // reference to output column Index (ORDER BY alias)
	PToNanos                // Args[0] (timestamp) as int64 ns
	PFromNanos              // Args[0] (int64 ns) as timestamp
)

// PExpr is a planned, typed expression. Emitters switch on Kind.
type PExpr struct {
	Kind  PKind
	Type  Type
	Op    string
	Col   *Column
	Key   string
	Value any
	// Inline marks a literal that must be rendered as SQL text through the dialect's audited
	// literal function rather than bound: constants the backends require (quantile levels,
	// bucket widths, rounding digits) and values the catalog itself supplies.
	Inline   bool
	Func     *Func
	Star     bool
	Distinct bool
	Not      bool
	HasElse  bool
	Index    int
	Args     []*PExpr
}

// Plan checks stmt against cat (nil: DefaultCatalog()) and resolves it with p. Errors are
// *Error with the position of the offending node. A query on a tier table that is not
// materialized is checked completely and then refused.
func Plan(stmt *Select, cat *Catalog, p Params) (*QueryPlan, error) {
	if stmt == nil || stmt.From == nil {
		return nil, &Error{Msg: "query has no FROM clause"}
	}
	if cat == nil {
		cat = sharedCatalog()
	}
	t, ok := cat.Table(stmt.From.Name)
	if !ok {
		return nil, errorf(stmt.From.At, "unknown table '%s'%s", stmt.From.Name, didYouMean(stmt.From.Name, cat.order))
	}
	if p.Now == 0 {
		p.Now = time.Now().UnixNano()
	}
	pl := &planner{t: t, p: p}
	out := &QueryPlan{Table: t, Distinct: stmt.Distinct}
	if err := pl.plan(stmt, out); err != nil {
		return nil, err
	}
	if t.Tier && !t.Materialized {
		return nil, errorf(stmt.From.At, "table %s is an aggregation tier that this server does not build yet", t.Name)
	}
	return out, nil
}

type scope uint8

const (
	scopeWhere  scope = iota // no aggregates
	scopeSelect              // aggregates allowed
	scopeGroup               // no aggregates; aliases allowed
	scopeHaving              // aggregates and aliases allowed
	scopeOrder
)

type planner struct {
	t       *Table
	p       Params
	aliases map[string]int // output alias → index in Select
	items   []*PExpr
	itemPos []Pos // position of the select item that produced each output column
	trusted int   // >0 while planning catalog-supplied expressions (derived columns)
	depth   int
}

func (pl *planner) plan(s *Select, out *QueryPlan) error {
	// SELECT list.
	for _, it := range s.Items {
		if _, ok := it.Expr.(*Star); ok {
			if it.Alias != "" {
				return errorf(it.At, "'*' cannot have an alias")
			}
			for _, c := range pl.t.Columns {
				if c.Derived != nil {
					continue
				}
				out.Select = append(out.Select, &PExpr{Kind: PColumn, Type: c.Type, Col: c})
				out.Columns = append(out.Columns, OutputColumn{Name: c.Name, Type: c.Type})
				pl.itemPos = append(pl.itemPos, it.At)
			}
			continue
		}
		e, err := pl.expr(it.Expr, scopeSelect)
		if err != nil {
			return err
		}
		name := it.Alias
		if name == "" {
			name = defaultName(it.Expr)
		}
		out.Select = append(out.Select, e)
		out.Columns = append(out.Columns, OutputColumn{Name: name, Type: e.Type})
		pl.itemPos = append(pl.itemPos, it.At)
	}
	pl.items = out.Select
	pl.aliases = make(map[string]int, len(out.Columns))
	folded := make(map[string]int, len(out.Columns))
	for i, c := range out.Columns {
		// DuckDB compares identifiers without case, so names that differ only in case would
		// name one column there and two on ClickHouse.
		if j, ok := folded[strings.ToLower(c.Name)]; ok && out.Columns[j].Name != c.Name {
			return errorf(pl.itemPos[i], "output column names '%s' and '%s' differ only in case; rename one with AS", out.Columns[j].Name, c.Name)
		}
		folded[strings.ToLower(c.Name)] = i
		j, dup := pl.aliases[c.Name]
		if !dup {
			pl.aliases[c.Name] = i
			continue
		}
		// ClickHouse rejects one alias for two different expressions; results with two
		// columns of one name are ambiguous anyway.
		if !Equal(out.Select[i], out.Select[j]) {
			return errorf(pl.itemPos[i], "duplicate output column name '%s'; rename one with AS", c.Name)
		}
	}
	if s.Where != nil {
		w, err := pl.expr(s.Where, scopeWhere)
		if err != nil {
			return err
		}
		if w.Type != TypeBool && w.Type != TypeNull {
			return errorf(s.Where.Pos(), "WHERE needs a boolean condition, not %s", w.Type)
		}
		out.Where = w
		out.From, out.To = timeRange(w, pl.t.TimeColumn)
	}
	for _, g := range s.GroupBy {
		var e *PExpr
		if n, ok := g.(*IntLit); ok {
			// GROUP BY 2: the second output column, as in SQL.
			if n.Value < 1 || n.Value > int64(len(out.Select)) {
				return errorf(n.At, "GROUP BY position %d is not in the select list (1..%d)", n.Value, len(out.Select))
			}
			e = out.Select[n.Value-1]
			if hasAggregate(e) {
				return errorf(n.At, "cannot group by position %d: it is an aggregate", n.Value)
			}
		} else {
			var err error
			if e, err = pl.expr(g, scopeGroup); err != nil {
				return err
			}
		}
		if !e.Type.comparable() {
			return errorf(g.Pos(), "cannot group by a %s", e.Type)
		}
		// A constant key does not change the groups; backends would also read a literal
		// integer key as a column position.
		if !readsColumn(e) {
			return errorf(g.Pos(), "cannot group by a constant")
		}
		out.GroupBy = append(out.GroupBy, e)
	}
	if s.Having != nil {
		h, err := pl.expr(s.Having, scopeHaving)
		if err != nil {
			return err
		}
		if h.Type != TypeBool && h.Type != TypeNull {
			return errorf(s.Having.Pos(), "HAVING needs a boolean condition, not %s", h.Type)
		}
		out.Having = h
	}
	out.Aggregate = len(out.GroupBy) > 0 || out.Having != nil
	for _, e := range out.Select {
		if hasAggregate(e) {
			out.Aggregate = true
		}
	}
	for _, o := range s.OrderBy {
		e, err := pl.orderExpr(o.Expr)
		if err != nil {
			return err
		}
		if e.Kind != POutput && !readsColumn(e) && !hasAggregate(e) {
			return errorf(o.At, "cannot order by a constant")
		}
		if !e.Type.orderable() {
			return errorf(o.At, "cannot order by a %s", e.Type)
		}
		out.OrderBy = append(out.OrderBy, OrderTerm{Expr: e, Desc: o.Desc})
	}
	if out.Aggregate {
		for i, e := range out.Select {
			if err := checkGrouped(e, out.GroupBy, pl.itemPos[i]); err != nil {
				return err
			}
		}
		if out.Having != nil {
			if err := checkGrouped(out.Having, out.GroupBy, s.Having.Pos()); err != nil {
				return err
			}
		}
		for i, o := range out.OrderBy {
			if err := checkGrouped(o.Expr, out.GroupBy, s.OrderBy[i].At); err != nil {
				return err
			}
		}
	}
	if out.Distinct {
		for i, o := range out.OrderBy {
			if o.Expr.Kind != POutput && !containsEqual(out.Select, o.Expr) {
				return errorf(s.OrderBy[i].At, "with SELECT DISTINCT, ORDER BY terms must appear in the select list")
			}
		}
	}
	// LIMIT policy.
	def := int64(pl.p.DefaultLimit)
	if def <= 0 {
		def = DefaultLimit
	}
	out.Limit = def
	if s.Limit != nil {
		out.Limit = s.Limit.N
	}
	if m := int64(pl.p.MaxLimit); m > 0 && out.Limit > m {
		out.Limit, out.LimitCapped = m, true
	}
	if s.Offset != nil {
		out.Offset = s.Offset.N
	}
	return nil
}

// defaultName names an unaliased output column: the column name for a column, the HQL text
// otherwise (as SQL engines do).
func defaultName(e Expr) string {
	if id, ok := e.(*Ident); ok {
		return id.Name
	}
	return e.String()
}

func (pl *planner) orderExpr(e Expr) (*PExpr, error) {
	switch n := e.(type) {
	case *Ident:
		// An output alias wins over a column of the same name, as in SQL.
		if i, ok := pl.aliases[n.Name]; ok {
			return &PExpr{Kind: POutput, Type: pl.items[i].Type, Index: i}, nil
		}
	case *IntLit:
		// ORDER BY 2: the second output column.
		if n.Value < 1 || n.Value > int64(len(pl.items)) {
			return nil, errorf(n.At, "ORDER BY position %d is not in the select list (1..%d)", n.Value, len(pl.items))
		}
		i := int(n.Value - 1)
		return &PExpr{Kind: POutput, Type: pl.items[i].Type, Index: i}, nil
	}
	return pl.expr(e, scopeOrder)
}

func (pl *planner) expr(e Expr, sc scope) (*PExpr, error) {
	if e == nil {
		// Only trees built in Go can have holes.
		return nil, &Error{Msg: "missing expression in query tree"}
	}
	pl.depth++
	// Trees built in Go (long AND chains of ad hoc filters) can be deeper than parsed ones.
	if pl.depth > 1000 {
		pl.depth--
		return nil, errorf(e.Pos(), "expression is nested too deeply")
	}
	x, err := pl.expr1(e, sc)
	pl.depth--
	return x, err
}

func (pl *planner) expr1(e Expr, sc scope) (*PExpr, error) {
	switch n := e.(type) {
	case *Ident:
		return pl.ident(n, sc)
	case *Star:
		return nil, errorf(n.At, "'*' is only allowed as a select item or in count(*)")
	case *AttrRef:
		c, ok := pl.t.Column(n.Map)
		if !ok {
			return nil, pl.unknownColumn(n.At, n.Map)
		}
		if c.Type != TypeMap {
			return nil, errorf(n.At, "column '%s' is a %s, not a map; only map columns take ['key']", c.Name, c.Type)
		}
		return &PExpr{Kind: PAttr, Type: TypeString, Col: c, Key: n.Key}, nil
	case *StringLit:
		return pl.lit(n.Value, TypeString), nil
	case *IntLit:
		return pl.lit(n.Value, TypeInt), nil
	case *FloatLit:
		return pl.lit(n.Value, TypeFloat), nil
	case *BoolLit:
		return pl.lit(n.Value, TypeBool), nil
	case *NullLit:
		return &PExpr{Kind: PLiteral, Type: TypeNull, Inline: true}, nil
	case *DurationLit:
		return &PExpr{Kind: PDuration, Type: TypeDuration, Value: int64(n.Value), Inline: true}, nil
	case *Unary:
		x, err := pl.expr(n.X, sc)
		if err != nil {
			return nil, err
		}
		if n.Op == "NOT" {
			if x.Type != TypeBool && x.Type != TypeNull {
				return nil, errorf(n.At, "NOT needs a boolean, not %s", x.Type)
			}
			return &PExpr{Kind: PUnary, Type: TypeBool, Op: "NOT", Args: []*PExpr{x}}, nil
		}
		if !x.Type.IsNumeric() && x.Type != TypeDuration && x.Type != TypeNull {
			return nil, errorf(n.At, "cannot negate a %s", x.Type)
		}
		return &PExpr{Kind: PUnary, Type: x.Type, Op: "-", Args: []*PExpr{x}}, nil
	case *Binary:
		return pl.binary(n, sc)
	case *In:
		x, err := pl.expr(n.X, sc)
		if err != nil {
			return nil, err
		}
		args := []*PExpr{x}
		for _, it := range n.List {
			v, err := pl.expr(it, sc)
			if err != nil {
				return nil, err
			}
			if v, err = pl.compatible(x, v, it.Pos(), "IN"); err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		return &PExpr{Kind: PIn, Type: TypeBool, Not: n.Not, Args: args}, nil
	case *Between:
		x, err := pl.expr(n.X, sc)
		if err != nil {
			return nil, err
		}
		lo, err := pl.expr(n.Lo, sc)
		if err != nil {
			return nil, err
		}
		hi, err := pl.expr(n.Hi, sc)
		if err != nil {
			return nil, err
		}
		if lo, err = pl.compatible(x, lo, n.Lo.Pos(), "BETWEEN"); err != nil {
			return nil, err
		}
		if hi, err = pl.compatible(x, hi, n.Hi.Pos(), "BETWEEN"); err != nil {
			return nil, err
		}
		if !x.Type.orderable() {
			return nil, errorf(n.At, "BETWEEN cannot compare a %s", x.Type)
		}
		return &PExpr{Kind: PBetween, Type: TypeBool, Not: n.Not, Args: []*PExpr{x, lo, hi}}, nil
	case *IsNull:
		x, err := pl.expr(n.X, sc)
		if err != nil {
			return nil, err
		}
		return &PExpr{Kind: PIsNull, Type: TypeBool, Not: n.Not, Args: []*PExpr{x}}, nil
	case *Case:
		return pl.caseExpr(n, sc)
	case *Call:
		return pl.call(n, sc)
	case *Macro:
		return pl.macro(n, sc)
	}
	return nil, errorf(e.Pos(), "unsupported expression %T", e)
}

func (pl *planner) lit(v any, t Type) *PExpr {
	return &PExpr{Kind: PLiteral, Type: t, Value: v, Inline: pl.trusted > 0}
}

func (pl *planner) unknownColumn(at Pos, name string) *Error {
	return errorf(at, "unknown column '%s' in table %s%s", name, pl.t.Name, didYouMean(name, pl.t.ColumnNames()))
}

func (pl *planner) ident(n *Ident, sc scope) (*PExpr, error) {
	c, ok := pl.t.Column(n.Name)
	if !ok {
		// GROUP BY, HAVING and ORDER BY may name an output alias.
		if sc == scopeGroup || sc == scopeHaving || sc == scopeOrder {
			if i, ok := pl.aliases[n.Name]; ok {
				if sc == scopeGroup && hasAggregate(pl.items[i]) {
					return nil, errorf(n.At, "cannot group by '%s': it is an aggregate", n.Name)
				}
				return pl.items[i], nil
			}
		}
		return nil, pl.unknownColumn(n.At, n.Name)
	}
	if c.Derived != nil {
		pl.trusted++
		defer func() { pl.trusted-- }()
		return pl.expr(c.Derived, scopeWhere)
	}
	return &PExpr{Kind: PColumn, Type: c.Type, Col: c}, nil
}

// compatible checks that v can be compared with x, converting string literals to timestamps
// or durations where x needs one.
func (pl *planner) compatible(x, v *PExpr, at Pos, what string) (*PExpr, error) {
	if x.Type == TypeTimestamp && v.Kind == PLiteral && v.Type == TypeString {
		ns, err := parseTime(v.Value.(string))
		if err != nil {
			return nil, errorf(at, "cannot use %s as a timestamp: %v", QuoteString(v.Value.(string)), err)
		}
		return &PExpr{Kind: PTimestamp, Type: TypeTimestamp, Value: ns}, nil
	}
	if x.Type == TypeDuration && v.Kind == PLiteral && v.Type == TypeString {
		d, err := parseDurationString(v.Value.(string))
		if err != nil {
			return nil, errorf(at, "cannot use %s as a duration: %v", QuoteString(v.Value.(string)), err)
		}
		return &PExpr{Kind: PDuration, Type: TypeDuration, Value: d, Inline: true}, nil
	}
	if _, ok := unify(x.Type, v.Type); !ok || !x.Type.comparable() || !v.Type.comparable() {
		hint := ""
		if x.Type == TypeString && v.Type.IsNumeric() || v.Type == TypeString && x.Type.IsNumeric() {
			hint = " (attribute values are strings: compare with a string, or convert with to_int() or to_float())"
		}
		if x.Type == TypeTimestamp && v.Type.IsNumeric() {
			hint = " (write a time as '2024-01-02T15:04:05Z' or now() - 1h)"
		}
		return nil, errorf(at, "%s cannot compare %s with %s%s", what, x.Type, v.Type, hint)
	}
	return v, nil
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", "2006-01-02"}

// parseTime reads a timestamp string: RFC 3339 (with or without zone; UTC when absent) or a
// date.
func parseTime(s string) (int64, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1678 || t.Year() > 2261 {
				return 0, fmt.Errorf("year %d is outside the nanosecond range", t.Year())
			}
			return t.UnixNano(), nil
		}
	}
	return 0, fmt.Errorf("expected RFC 3339 such as '2024-01-02T15:04:05Z' or a date such as '2024-01-02'")
}

// ParseDuration reads a duration string such as '5m', '1h30m', '1d' or '250ms' as the planner
// reads the string argument of bucket and $__timeGroup.
func ParseDuration(s string) (time.Duration, error) {
	d, err := parseDurationString(s)
	return time.Duration(d), err
}

// parseDurationString reads '5m', '1h30m', '250ms' with the lexer's duration rules.
func parseDurationString(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	l := newLexer(s)
	t, err := l.next()
	if err != nil || t.Kind != TokDuration || t.End != len(s) {
		return 0, fmt.Errorf("expected a duration such as '5m', '1h' or '250ms'")
	}
	if neg {
		return -t.Dur, nil
	}
	return t.Dur, nil
}

var arithOps = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true}

func (pl *planner) binary(n *Binary, sc scope) (*PExpr, error) {
	l, err := pl.expr(n.L, sc)
	if err != nil {
		return nil, err
	}
	r, err := pl.expr(n.R, sc)
	if err != nil {
		return nil, err
	}
	at := n.OpPos
	if !at.IsValid() {
		at = n.At
	}
	op := n.Op
	switch {
	case op == "AND" || op == "OR":
		for _, x := range []*PExpr{l, r} {
			if x.Type != TypeBool && x.Type != TypeNull {
				return nil, errorf(at, "%s needs boolean operands, not %s", op, x.Type)
			}
		}
		return &PExpr{Kind: PBinary, Type: TypeBool, Op: op, Args: []*PExpr{l, r}}, nil
	case cmpOps[op] && op != "=~" && op != "!~":
		// Put a string literal on the side that needs converting.
		if l.Kind == PLiteral && l.Type == TypeString && (r.Type == TypeTimestamp || r.Type == TypeDuration) {
			if l, err = pl.compatible(r, l, n.L.Pos(), "'"+op+"'"); err != nil {
				return nil, err
			}
		} else if r, err = pl.compatible(l, r, n.R.Pos(), "'"+op+"'"); err != nil {
			return nil, err
		}
		if op != "=" && op != "!=" && (!l.Type.orderable() || !r.Type.orderable()) {
			return nil, errorf(at, "'%s' cannot order %s values", op, l.Type)
		}
		return &PExpr{Kind: PBinary, Type: TypeBool, Op: op, Args: []*PExpr{l, r}}, nil
	case op == "=~" || op == "!~" || strings.HasSuffix(op, "LIKE") || strings.HasSuffix(op, "CONTAINS"):
		for _, x := range []*PExpr{l, r} {
			if x.Type != TypeString && x.Type != TypeNull {
				return nil, errorf(at, "%s needs string operands, not %s", op, x.Type)
			}
		}
		return &PExpr{Kind: PBinary, Type: TypeBool, Op: op, Args: []*PExpr{l, r}}, nil
	case op == "||":
		for _, x := range []*PExpr{l, r} {
			if x.Type != TypeString && x.Type != TypeNull {
				return nil, errorf(at, "'||' joins strings, not %s (use to_string())", x.Type)
			}
		}
		return &PExpr{Kind: PBinary, Type: TypeString, Op: op, Args: []*PExpr{l, r}}, nil
	case arithOps[op]:
		return pl.arith(op, l, r, at)
	}
	return nil, errorf(at, "unknown operator '%s'", op)
}

// arith types arithmetic, including timestamp ± duration and timestamp - timestamp, which are
// lowered to integer nanoseconds so both backends compute them exactly.
func (pl *planner) arith(op string, l, r *PExpr, at Pos) (*PExpr, error) {
	lt, rt := l.Type, r.Type
	bin := func(t Type, a, b *PExpr) *PExpr { return &PExpr{Kind: PBinary, Type: t, Op: op, Args: []*PExpr{a, b}} }
	switch {
	case lt == TypeTimestamp && rt == TypeDuration && (op == "+" || op == "-"):
		if l.Kind == PTimestamp && r.Kind == PDuration {
			return foldTime(op, l, r, at)
		}
		return &PExpr{Kind: PFromNanos, Type: TypeTimestamp, Args: []*PExpr{bin(TypeInt, toNanos(l), r)}}, nil
	case lt == TypeDuration && rt == TypeTimestamp && op == "+":
		return pl.arith(op, r, l, at)
	case lt == TypeTimestamp && rt == TypeTimestamp && op == "-":
		return &PExpr{Kind: PBinary, Type: TypeDuration, Op: "-", Args: []*PExpr{toNanos(l), toNanos(r)}}, nil
	case lt == TypeDuration && rt == TypeDuration && (op == "+" || op == "-"):
		return bin(TypeDuration, l, r), nil
	case lt == TypeDuration && rt == TypeInt && (op == "*" || op == "/"):
		if op == "/" {
			return bin(TypeFloat, l, r), nil
		}
		return bin(TypeDuration, l, r), nil
	case lt == TypeInt && rt == TypeDuration && op == "*":
		return bin(TypeDuration, l, r), nil
	case (lt.IsNumeric() || lt == TypeNull) && (rt.IsNumeric() || rt == TypeNull):
		t := TypeInt
		if lt == TypeFloat || rt == TypeFloat || op == "/" {
			// '/' always divides as floats (both backends do); integer division is div().
			t = TypeFloat
		}
		return bin(t, l, r), nil
	}
	return nil, errorf(at, "cannot apply '%s' to %s and %s", op, lt, rt)
}

func toNanos(e *PExpr) *PExpr {
	if e.Kind == PTimestamp {
		return &PExpr{Kind: PLiteral, Type: TypeInt, Value: e.Value.(int64), Inline: true}
	}
	return &PExpr{Kind: PToNanos, Type: TypeInt, Args: []*PExpr{e}}
}

func foldTime(op string, ts, d *PExpr, at Pos) (*PExpr, error) {
	a, b := ts.Value.(int64), d.Value.(int64)
	if op == "-" {
		b = -b
	}
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return nil, errorf(at, "timestamp arithmetic overflows")
	}
	return &PExpr{Kind: PTimestamp, Type: TypeTimestamp, Value: s}, nil
}

func (pl *planner) caseExpr(n *Case, sc scope) (*PExpr, error) {
	var operand *PExpr
	if n.Operand != nil {
		var err error
		if operand, err = pl.expr(n.Operand, sc); err != nil {
			return nil, err
		}
	}
	out := &PExpr{Kind: PCase, Type: TypeNull}
	add := func(e *PExpr, at Pos) error {
		t, ok := unify(out.Type, e.Type)
		if !ok || !e.Type.comparable() {
			return errorf(at, "CASE results must have one type: %s and %s", out.Type, e.Type)
		}
		out.Type = t
		return nil
	}
	for _, w := range n.Whens {
		c, err := pl.expr(w.Cond, sc)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if c, err = pl.compatible(operand, c, w.Cond.Pos(), "CASE"); err != nil {
				return nil, err
			}
			c = &PExpr{Kind: PBinary, Type: TypeBool, Op: "=", Args: []*PExpr{operand, c}}
		} else if c.Type != TypeBool && c.Type != TypeNull {
			return nil, errorf(w.Cond.Pos(), "WHEN needs a boolean condition, not %s", c.Type)
		}
		r, err := pl.expr(w.Result, sc)
		if err != nil {
			return nil, err
		}
		if err := add(r, w.Result.Pos()); err != nil {
			return nil, err
		}
		out.Args = append(out.Args, c, r)
	}
	if n.Else != nil {
		e, err := pl.expr(n.Else, sc)
		if err != nil {
			return nil, err
		}
		if err := add(e, n.Else.Pos()); err != nil {
			return nil, err
		}
		out.Args = append(out.Args, e)
		out.HasElse = true
	}
	return out, nil
}

func (pl *planner) call(n *Call, sc scope) (*PExpr, error) {
	f, ok := LookupFunc(n.Name)
	if !ok {
		return nil, errorf(n.At, "unknown function '%s'%s", n.Name, didYouMean(n.Name, funcNames()))
	}
	if f.Aggregate && (sc == scopeWhere || sc == scopeGroup) {
		where := "WHERE"
		if sc == scopeGroup {
			where = "GROUP BY"
		}
		return nil, errorf(n.At, "aggregate function %s is not allowed in %s", f.Name, where)
	}
	if n.Distinct && !f.Distinct {
		return nil, errorf(n.At, "%s does not take DISTINCT", f.Name)
	}
	out := &PExpr{Kind: PCall, Func: f, Distinct: n.Distinct}
	if len(n.Args) == 1 {
		if _, star := n.Args[0].(*Star); star {
			if !f.Star {
				return nil, errorf(n.At, "%s does not take '*'", f.Name)
			}
			out.Star, out.Type = true, f.Result(nil)
			return out, nil
		}
	}
	if f.Name == "now" {
		if len(n.Args) != 0 {
			return nil, errorf(n.At, "now() takes no arguments")
		}
		return &PExpr{Kind: PTimestamp, Type: TypeTimestamp, Value: pl.p.Now}, nil
	}
	if f.Name == "count" && len(n.Args) == 0 {
		out.Star, out.Type = true, TypeInt
		return out, nil
	}
	minArgs, maxArgs := len(f.Args)-f.Optional, len(f.Args)
	if f.Variadic {
		maxArgs = math.MaxInt
	}
	if len(n.Args) < minArgs || len(n.Args) > maxArgs {
		return nil, errorf(n.At, "wrong number of arguments to %s: %d (usage: %s)", f.Name, len(n.Args), f.Signature)
	}
	inner := sc
	if f.Aggregate {
		inner = scopeWhere // no aggregates inside aggregates
	}
	types := make([]Type, 0, len(n.Args))
	for i, a := range n.Args {
		class := f.Args[min(i, len(f.Args)-1)]
		e, err := pl.expr(a, inner)
		if err != nil {
			if f.Aggregate {
				if he, ok := err.(*Error); ok && strings.HasPrefix(he.Msg, "aggregate function") {
					return nil, errorf(a.Pos(), "aggregate functions cannot be nested")
				}
			}
			return nil, err
		}
		if e, err = pl.checkArg(f, class, e, a.Pos()); err != nil {
			return nil, err
		}
		out.Args = append(out.Args, e)
		types = append(types, e.Type)
	}
	for i := len(n.Args); i < len(f.Args) && i-minArgs < len(f.Defaults); i++ {
		d, err := pl.expr(f.Defaults[i-minArgs], inner)
		if err != nil {
			return nil, err
		}
		d.Inline = true
		out.Args = append(out.Args, d)
		types = append(types, d.Type)
	}
	out.Type = f.Result(types)
	if f.Name == "if" || f.Name == "coalesce" {
		from := 0
		if f.Name == "if" {
			from = 1
		}
		t := TypeNull
		for i := from; i < len(types); i++ {
			var ok bool
			if t, ok = unify(t, types[i]); !ok {
				return nil, errorf(n.Args[i].Pos(), "arguments of %s must have one type: %s and %s", f.Name, t, types[i])
			}
		}
	}
	return out, nil
}

func (pl *planner) checkArg(f *Func, class ArgClass, e *PExpr, at Pos) (*PExpr, error) {
	bad := func() (*PExpr, error) {
		return nil, errorf(at, "argument of %s must be a %s, not %s (usage: %s)", f.Name, class, e.Type, f.Signature)
	}
	if e.Type == TypeNull && class != ArgConstNumeric && class != ArgConstInt && class != ArgConstDuration {
		return e, nil
	}
	switch class {
	case ArgAny:
	case ArgScalar:
		if !e.Type.comparable() {
			return bad()
		}
	case ArgNumeric:
		if !e.Type.IsNumeric() && e.Type != TypeDuration {
			return bad()
		}
	case ArgString:
		if e.Type != TypeString {
			return bad()
		}
	case ArgBool:
		if e.Type != TypeBool {
			return bad()
		}
	case ArgTimestamp:
		if e.Type != TypeTimestamp {
			return bad()
		}
	case ArgOrderable:
		if !e.Type.orderable() {
			return bad()
		}
	case ArgConstNumeric, ArgConstInt:
		neg := false
		if e.Kind == PUnary && e.Op == "-" && len(e.Args) == 1 {
			neg, e = true, e.Args[0]
		}
		if e.Kind != PLiteral || !e.Type.IsNumeric() || (class == ArgConstInt && e.Type != TypeInt) {
			return bad()
		}
		v := e.Value
		if neg {
			switch x := v.(type) {
			case int64:
				v = -x
			case float64:
				v = -x
			}
		}
		if f.Name == "quantile" {
			q := toFloat(v)
			if q < 0 || q > 1 {
				return nil, errorf(at, "quantile level must be between 0 and 1, not %v", v)
			}
			// Backends want a floating-point level; quantile(1, x) must not render as an integer.
			return &PExpr{Kind: PLiteral, Type: TypeFloat, Value: q, Inline: true}, nil
		}
		if class == ArgConstInt {
			if d := v.(int64); d < -20 || d > 20 {
				return nil, errorf(at, "%s digits must be between -20 and 20", f.Name)
			}
		}
		return &PExpr{Kind: PLiteral, Type: e.Type, Value: v, Inline: true}, nil
	case ArgConstDuration:
		switch {
		case e.Kind == PDuration:
		case e.Kind == PLiteral && e.Type == TypeString:
			d, err := parseDurationString(e.Value.(string))
			if err != nil {
				return nil, errorf(at, "cannot use %s as a duration: %v", QuoteString(e.Value.(string)), err)
			}
			e = &PExpr{Kind: PDuration, Type: TypeDuration, Value: d, Inline: true}
		default:
			return nil, errorf(at, "%s needs a constant duration such as 1m, '5m' or $__interval", f.Name)
		}
		if e.Value.(int64) <= 0 {
			return nil, errorf(at, "%s needs a positive duration", f.Name)
		}
	}
	return e, nil
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

var macroNames = []string{"$__timeFilter", "$__timeFrom", "$__timeTo", "$__interval", "$__interval_ms", "$__timeGroup"}

func (pl *planner) macro(n *Macro, sc scope) (*PExpr, error) {
	nargs := func(k int, usage string) error {
		if len(n.Args) != k || (k > 0) != n.Parens {
			return errorf(n.At, "%s takes %d argument(s): %s", n.Name, k, usage)
		}
		return nil
	}
	switch n.Name {
	case "$__timeFilter":
		if err := nargs(1, "$__timeFilter(timestamp)"); err != nil {
			return nil, err
		}
		c, err := pl.expr(n.Args[0], sc)
		if err != nil {
			return nil, err
		}
		if c.Type != TypeTimestamp {
			return nil, errorf(n.Args[0].Pos(), "$__timeFilter needs a timestamp column, not %s", c.Type)
		}
		// Grafana's time filter is inclusive on both ends.
		var conds []*PExpr
		if pl.p.From != 0 {
			conds = append(conds, &PExpr{Kind: PBinary, Type: TypeBool, Op: ">=", Args: []*PExpr{c, {Kind: PTimestamp, Type: TypeTimestamp, Value: pl.p.From}}})
		}
		if pl.p.To != 0 {
			conds = append(conds, &PExpr{Kind: PBinary, Type: TypeBool, Op: "<=", Args: []*PExpr{c, {Kind: PTimestamp, Type: TypeTimestamp, Value: pl.p.To}}})
		}
		switch len(conds) {
		case 0:
			return &PExpr{Kind: PLiteral, Type: TypeBool, Value: true, Inline: true}, nil
		case 1:
			return conds[0], nil
		}
		return &PExpr{Kind: PBinary, Type: TypeBool, Op: "AND", Args: conds}, nil
	case "$__timeFrom", "$__timeTo":
		if err := nargs(0, n.Name); err != nil {
			return nil, err
		}
		v := pl.p.From
		if n.Name == "$__timeTo" {
			v = pl.p.To
		}
		if v == 0 {
			return nil, errorf(n.At, "%s needs a query time range", n.Name)
		}
		return &PExpr{Kind: PTimestamp, Type: TypeTimestamp, Value: v}, nil
	case "$__interval", "$__interval_ms":
		if err := nargs(0, n.Name); err != nil {
			return nil, err
		}
		if pl.p.Interval <= 0 {
			return nil, errorf(n.At, "%s needs a query interval", n.Name)
		}
		if n.Name == "$__interval_ms" {
			return &PExpr{Kind: PLiteral, Type: TypeInt, Value: pl.p.Interval.Milliseconds(), Inline: true}, nil
		}
		return &PExpr{Kind: PDuration, Type: TypeDuration, Value: int64(pl.p.Interval), Inline: true}, nil
	case "$__timeGroup":
		if err := nargs(2, "$__timeGroup(timestamp, '5m')"); err != nil {
			return nil, err
		}
		return pl.call(&Call{At: n.At, Name: "bucket", Args: n.Args}, sc)
	}
	return nil, errorf(n.At, "unknown macro %s%s", n.Name, didYouMean(n.Name, macroNames))
}

// readsColumn reports whether e reads a column of the table.
func readsColumn(e *PExpr) bool {
	if e.Kind == PColumn || e.Kind == PAttr {
		return true
	}
	for _, a := range e.Args {
		if readsColumn(a) {
			return true
		}
	}
	return false
}

// hasAggregate reports whether e contains an aggregate call.
func hasAggregate(e *PExpr) bool {
	if e == nil {
		return false
	}
	if e.Kind == PCall && e.Func.Aggregate {
		return true
	}
	for _, a := range e.Args {
		if hasAggregate(a) {
			return true
		}
	}
	return false
}

// checkGrouped verifies that, in a grouped query, e reads columns only inside aggregates or
// through expressions that appear in GROUP BY.
func checkGrouped(e *PExpr, groups []*PExpr, at Pos) error {
	if e.Kind == POutput || containsEqual(groups, e) {
		return nil
	}
	switch e.Kind {
	case PCall:
		if e.Func.Aggregate {
			return nil
		}
	case PColumn, PAttr:
		name := e.Col.Name
		if e.Kind == PAttr {
			name = e.Col.Name + "[" + QuoteString(e.Key) + "]"
		}
		return errorf(at, "column '%s' must appear in GROUP BY or be used in an aggregate function", name)
	}
	for _, a := range e.Args {
		if err := checkGrouped(a, groups, at); err != nil {
			return err
		}
	}
	return nil
}

func containsEqual(list []*PExpr, e *PExpr) bool {
	for _, x := range list {
		if Equal(x, e) {
			return true
		}
	}
	return false
}

// Equal reports whether two planned expressions are structurally equal (same SQL).
func Equal(a, b *PExpr) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.Kind != b.Kind || a.Type != b.Type || a.Op != b.Op || a.Col != b.Col ||
		a.Key != b.Key || a.Value != b.Value || a.Inline != b.Inline || a.Func != b.Func || a.Star != b.Star ||
		a.Distinct != b.Distinct || a.Not != b.Not || a.HasElse != b.HasElse || a.Index != b.Index ||
		len(a.Args) != len(b.Args) {
		return false
	}
	for i := range a.Args {
		if !Equal(a.Args[i], b.Args[i]) {
			return false
		}
	}
	return true
}

// timeRange derives the [from, to) range of timeCol implied by the top-level AND terms of w.
func timeRange(w *PExpr, timeCol string) (from, to int64) {
	var walk func(e *PExpr)
	narrowFrom := func(v int64) {
		if from == 0 || v > from {
			from = v
		}
	}
	narrowTo := func(v int64) {
		if to == 0 || v < to {
			to = v
		}
	}
	isTime := func(e *PExpr) bool { return e.Kind == PColumn && e.Col.Name == timeCol }
	isConst := func(e *PExpr) bool { return e.Kind == PTimestamp }
	walk = func(e *PExpr) {
		switch {
		case e.Kind == PBinary && e.Op == "AND":
			walk(e.Args[0])
			walk(e.Args[1])
		case e.Kind == PBinary && len(e.Args) == 2:
			l, r, op := e.Args[0], e.Args[1], e.Op
			if isConst(l) && isTime(r) {
				l, r = r, l
				op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
			}
			if !isTime(l) || !isConst(r) {
				return
			}
			v := r.Value.(int64)
			switch op {
			case ">=":
				narrowFrom(v)
			case ">":
				narrowFrom(v + 1)
			case "<":
				narrowTo(v)
			case "<=":
				narrowTo(v + 1)
			case "=":
				narrowFrom(v)
				narrowTo(v + 1)
			}
		case e.Kind == PBetween && !e.Not && isTime(e.Args[0]) && isConst(e.Args[1]) && isConst(e.Args[2]):
			narrowFrom(e.Args[1].Value.(int64))
			narrowTo(e.Args[2].Value.(int64) + 1)
		}
	}
	walk(w)
	// An empty range still has to be a valid range for the store: keep from < to.
	if from != 0 && to != 0 && to <= from {
		to = from + 1
	}
	return from, to
}
