package hql

import "time"

// Constructors for building queries in Go. REST filters, Grafana builder queries, template
// variables and ad hoc filters build trees with these instead of concatenating text, so user
// values stay literals and the planner checks names exactly as it does for typed HQL:
//
//	q := hql.SelectFrom("logs", hql.Col("timestamp"), hql.Col("body")).
//		Filter(hql.Eq(hql.Col("service"), hql.Str("checkout"))).
//		Filter(hql.Contains(hql.Col("body"), hql.Str("timeout"))).
//		SortBy(hql.Desc(hql.Col("timestamp"))).
//		WithLimit(100)
//
// Nodes built here have no position; the planner reports errors against them without line and
// column.

func durationOf(ns int64) time.Duration { return time.Duration(ns) }

// Col references a column (or an output alias in ORDER BY).
func Col(name string) *Ident { return &Ident{Name: name} }

// Attr reads a key of a map column: Attr("attributes", "http.method").
func Attr(mapColumn, key string) *AttrRef { return &AttrRef{Map: mapColumn, Key: key} }

// Timestamp is a timestamp literal: an RFC 3339 string, which the planner reads as a
// timestamp where it is compared with a timestamp (and uses to prune partitions).
func Timestamp(t time.Time) *StringLit { return &StringLit{Value: t.UTC().Format(time.RFC3339Nano)} }

// Str is a string literal.
func Str(s string) *StringLit { return &StringLit{Value: s} }

// Int is an integer literal.
func Int(i int64) *IntLit { return &IntLit{Value: i} }

// Float is a floating-point literal.
func Float(f float64) *FloatLit { return &FloatLit{Value: f} }

// Bool is TRUE or FALSE.
func Bool(b bool) *BoolLit { return &BoolLit{Value: b} }

// Null is NULL.
func Null() *NullLit { return &NullLit{} }

// Dur is a duration literal.
func Dur(d time.Duration) *DurationLit { return &DurationLit{Value: d} }

// AllColumns is "*" for a select list.
func AllColumns() *Star { return &Star{} }

// Bin builds a binary operation with any operator Binary accepts.
func Bin(op string, l, r Expr) *Binary { return &Binary{Op: op, L: l, R: r} }

// Comparison and arithmetic shorthands.
func Eq(l, r Expr) *Binary  { return Bin("=", l, r) }
func Ne(l, r Expr) *Binary  { return Bin("!=", l, r) }
func Lt(l, r Expr) *Binary  { return Bin("<", l, r) }
func Le(l, r Expr) *Binary  { return Bin("<=", l, r) }
func Gt(l, r Expr) *Binary  { return Bin(">", l, r) }
func Ge(l, r Expr) *Binary  { return Bin(">=", l, r) }
func Add(l, r Expr) *Binary { return Bin("+", l, r) }
func Sub(l, r Expr) *Binary { return Bin("-", l, r) }
func Mul(l, r Expr) *Binary { return Bin("*", l, r) }
func Div(l, r Expr) *Binary { return Bin("/", l, r) }

// Like, ILike, Contains (case-insensitive substring) and Match (regular expression) are the text
// predicates.
func Like(x, pattern Expr) *Binary    { return Bin("LIKE", x, pattern) }
func ILike(x, pattern Expr) *Binary   { return Bin("ILIKE", x, pattern) }
func Contains(x, needle Expr) *Binary { return Bin("CONTAINS", x, needle) }
func Match(x, regexp Expr) *Binary    { return Bin("=~", x, regexp) }
func NotMatch(x, regexp Expr) *Binary { return Bin("!~", x, regexp) }

// And joins its non-nil arguments with AND; it returns nil for none and the argument itself for
// one, so filters can be accumulated without special cases.
func And(es ...Expr) Expr { return join("AND", es) }

// Or joins its non-nil arguments with OR, like And.
func Or(es ...Expr) Expr { return join("OR", es) }

func join(op string, es []Expr) Expr {
	var out Expr
	for _, e := range es {
		if e == nil || isNilExpr(e) {
			continue
		}
		if out == nil {
			out = e
		} else {
			out = Bin(op, out, e)
		}
	}
	return out
}

// isNilExpr catches typed nil pointers wrapped in the interface.
func isNilExpr(e Expr) bool {
	switch n := e.(type) {
	case *Binary:
		return n == nil
	case *Ident:
		return n == nil
	case *Call:
		return n == nil
	}
	return false
}

// Not negates x.
func Not(x Expr) *Unary { return &Unary{Op: "NOT", X: x} }

// Neg is -x; numeric literals are folded, as the parser does.
func Neg(x Expr) Expr {
	switch n := x.(type) {
	case *IntLit:
		return &IntLit{Value: -n.Value}
	case *FloatLit:
		return &FloatLit{Value: -n.Value}
	case *DurationLit:
		return &DurationLit{Value: -n.Value}
	}
	return &Unary{Op: "-", X: x}
}

// InList is x IN (values...).
func InList(x Expr, values ...Expr) *In { return &In{X: x, List: values} }

// NotInList is x NOT IN (values...).
func NotInList(x Expr, values ...Expr) *In { return &In{X: x, Not: true, List: values} }

// InStrings is x IN ('a', 'b', ...), the usual shape of a multi-value template variable.
func InStrings(x Expr, values ...string) *In {
	list := make([]Expr, len(values))
	for i, v := range values {
		list[i] = Str(v)
	}
	return &In{X: x, List: list}
}

// BetweenExpr is x BETWEEN lo AND hi (inclusive).
func BetweenExpr(x, lo, hi Expr) *Between { return &Between{X: x, Lo: lo, Hi: hi} }

// IsNullExpr is x IS NULL; IsNotNull is x IS NOT NULL.
func IsNullExpr(x Expr) *IsNull { return &IsNull{X: x} }
func IsNotNull(x Expr) *IsNull  { return &IsNull{X: x, Not: true} }

// Fn calls a function from the function table: Fn("lower", Col("body")).
func Fn(name string, args ...Expr) *Call { return &Call{Name: name, Args: args} }

// CountAll is count(*).
func CountAll() *Call { return &Call{Name: "count", Args: []Expr{&Star{}}} }

// CountDistinct is count(DISTINCT x).
func CountDistinct(x Expr) *Call { return &Call{Name: "count", Distinct: true, Args: []Expr{x}} }

// Bucket is bucket(col, width): the start of the width-long interval containing col.
func Bucket(col Expr, width time.Duration) *Call { return Fn("bucket", col, Dur(width)) }

// TimeFilter is $__timeFilter(col); TimeGroup is $__timeGroup(col, $__interval).
func TimeFilter(col Expr) *Macro {
	return &Macro{Name: "$__timeFilter", Parens: true, Args: []Expr{col}}
}
func TimeGroup(col Expr) *Macro {
	return &Macro{Name: "$__timeGroup", Parens: true, Args: []Expr{col, &Macro{Name: "$__interval"}}}
}

// SelectFrom starts a query over table with the given output expressions (none means *).
func SelectFrom(table string, cols ...Expr) *Select {
	s := &Select{From: &TableRef{Name: table}}
	for _, c := range cols {
		s.Items = append(s.Items, &SelectItem{Expr: c})
	}
	if len(cols) == 0 {
		s.Items = []*SelectItem{{Expr: &Star{}}}
	}
	return s
}

// Column appends an output expression with an alias ("" for none).
func (s *Select) Column(e Expr, alias string) *Select {
	s.Items = append(s.Items, &SelectItem{Expr: e, Alias: alias})
	return s
}

// Filter ANDs cond into the WHERE clause (nil is ignored), so filters compose.
func (s *Select) Filter(cond Expr) *Select {
	s.Where = And(s.Where, cond)
	return s
}

// HavingFilter ANDs cond into the HAVING clause.
func (s *Select) HavingFilter(cond Expr) *Select {
	s.Having = And(s.Having, cond)
	return s
}

// GroupOn appends GROUP BY expressions.
func (s *Select) GroupOn(es ...Expr) *Select {
	s.GroupBy = append(s.GroupBy, es...)
	return s
}

// SortBy appends ORDER BY terms (see Asc and Desc).
func (s *Select) SortBy(items ...*OrderItem) *Select {
	s.OrderBy = append(s.OrderBy, items...)
	return s
}

// WithLimit sets LIMIT n; WithOffset sets OFFSET m.
func (s *Select) WithLimit(n int64) *Select {
	s.Limit = &Count{N: n}
	return s
}
func (s *Select) WithOffset(m int64) *Select {
	s.Offset = &Count{N: m}
	return s
}

// WithDistinct makes the query SELECT DISTINCT.
func (s *Select) WithDistinct() *Select {
	s.Distinct = true
	return s
}

// Asc and Desc are ORDER BY terms.
func Asc(e Expr) *OrderItem  { return &OrderItem{Expr: e} }
func Desc(e Expr) *OrderItem { return &OrderItem{Expr: e, Desc: true} }

// TimeFrom, TimeTo and Interval are $__timeFrom, $__timeTo and $__interval.
func TimeFrom() *Macro { return &Macro{Name: "$__timeFrom"} }
func TimeTo() *Macro   { return &Macro{Name: "$__timeTo"} }
func Interval() *Macro { return &Macro{Name: "$__interval"} }

// WhenThen is one arm of a CASE built with CaseWhen.
func WhenThen(cond, result Expr) *When { return &When{Cond: cond, Result: result} }

// CaseWhen is CASE WHEN ... THEN ... [ELSE otherwise] END (otherwise may be nil).
func CaseWhen(otherwise Expr, whens ...*When) *Case { return &Case{Whens: whens, Else: otherwise} }
