package dialect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/store"
)

// Dialect describes one backend's SQL.
type Dialect interface {
	// Name is the dialect name, as store.Querier.Dialect returns it and as the function table's
	// Render keys spell it ("duckdb", "clickhouse").
	Name() string
	// QuoteIdent quotes an identifier. It is the only way identifiers reach SQL.
	QuoteIdent(name string) string
	// Literal renders a constant as SQL text: string, int64, float64, bool or nil. It is the
	// audited escaper: the only way literal text reaches SQL.
	Literal(v any) (string, error)
	// Placeholder is the text of the n-th bound parameter (1-based).
	Placeholder(n int) string
	// ReuseParams says equal values may share one placeholder ($1 used twice). Dialects with
	// positional '?' placeholders bind each occurrence separately.
	ReuseParams() bool
	// InlineKeyLiterals says the backend cannot bind parameters in GROUP BY and ORDER BY
	// (DuckDB): literals in ORDER BY terms and in grouping keys (and in the same expressions
	// elsewhere in the statement, so that both places read identically) are then rendered by
	// Literal.
	InlineKeyLiterals() bool
	// Template returns the SQL template of an operator or construct (see Constructs).
	Template(construct string) string
}

// Constructs lists the operator and construct templates a Dialect must provide. Placeholders
// {0}, {1} are the operands.
var Constructs = []string{
	"attr",       // map column {0}, key {1}; NULL when the key is absent
	"timestamp",  // constant timestamp from integer ns {0}
	"to_nanos",   // timestamp {0} as int64 ns
	"from_nanos", // int64 ns {0} as timestamp
	"/", "%",     // division and modulo; NULL on a zero divisor
	"LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE",
	"CONTAINS", "NOT CONTAINS", // case-insensitive substring
	"=~", "!~", // RE2 regular expression, unanchored
}

// Emit renders p as SQL with bound parameters (inline false) or with every literal inlined
// through the dialect's escaper (inline true; args is then nil).
func Emit(d Dialect, p *hql.QueryPlan, source store.TableSource, inline bool) (string, []any, error) {
	if p == nil || p.Table == nil {
		return "", nil, fmt.Errorf("cannot emit query: empty plan")
	}
	if source == nil {
		return "", nil, fmt.Errorf("cannot emit query: no table source")
	}
	rel, err := source(p.Table.Name)
	if err != nil {
		return "", nil, fmt.Errorf("cannot resolve table %s: %w", p.Table.Name, err)
	}
	e := &emitter{d: d, p: p, inline: inline, tableAlias: d.QuoteIdent(p.Table.Name), name: d.Name()}
	if d.ReuseParams() && !inline {
		e.seen = map[any]int{}
	}
	if d.InlineKeyLiterals() && !inline && len(p.GroupBy) > 0 {
		e.groupKeys = p.GroupBy
	}
	b := &e.b
	b.Grow(1024)
	b.WriteString("SELECT ")
	if p.Distinct {
		b.WriteString("DISTINCT ")
	}
	for i, x := range p.Select {
		if i > 0 {
			b.WriteString(", ")
		}
		e.expr(x)
		b.WriteString(" AS ")
		b.WriteString(d.QuoteIdent(p.Columns[i].Name))
	}
	b.WriteString(" FROM ")
	b.WriteString(rel)
	b.WriteString(" AS ")
	b.WriteString(e.tableAlias)
	if p.Where != nil {
		b.WriteString(" WHERE ")
		e.expr(p.Where)
	}
	if len(p.GroupBy) > 0 {
		b.WriteString(" GROUP BY ")
		for i, g := range p.GroupBy {
			if i > 0 {
				b.WriteString(", ")
			}
			e.expr(g)
		}
	}
	if p.Having != nil {
		b.WriteString(" HAVING ")
		e.expr(p.Having)
	}
	if len(p.OrderBy) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range p.OrderBy {
			if i > 0 {
				b.WriteString(", ")
			}
			if d.InlineKeyLiterals() && !inline {
				e.inline = true
				e.expr(o.Expr)
				e.inline = false
			} else {
				e.expr(o.Expr)
			}
			// Explicit NULL placement: the backends' defaults differ.
			if o.Desc {
				b.WriteString(" DESC NULLS LAST")
			} else {
				b.WriteString(" ASC NULLS LAST")
			}
		}
	}
	b.WriteString(" LIMIT ")
	b.WriteString(strconv.FormatInt(p.Limit, 10))
	if p.Offset > 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.FormatInt(p.Offset, 10))
	}
	if e.err != nil {
		return "", nil, e.err
	}
	if inline {
		return b.String(), nil, nil
	}
	return b.String(), e.args, nil
}

type emitter struct {
	d          Dialect
	p          *hql.QueryPlan
	name       string
	inline     bool
	tableAlias string
	b          strings.Builder
	args       []any
	seen       map[any]int
	groupKeys  []*hql.PExpr // set when literals in grouping keys must be inlined
	err        error
}

func (e *emitter) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// literal writes a constant: inlined through the escaper when asked, else bound.
func (e *emitter) literal(v any, inline bool) {
	if v == nil || inline || e.inline {
		s, err := e.d.Literal(v)
		if err != nil {
			e.fail(fmt.Errorf("cannot render literal: %w", err))
			return
		}
		e.b.WriteString(s)
		return
	}
	if e.seen != nil {
		if n, ok := e.seen[v]; ok {
			e.b.WriteString(e.d.Placeholder(n))
			return
		}
	}
	e.args = append(e.args, v)
	if e.seen != nil {
		e.seen[v] = len(e.args)
	}
	e.b.WriteString(e.d.Placeholder(len(e.args)))
}

func (e *emitter) column(c *hql.Column) {
	e.b.WriteString(e.tableAlias)
	e.b.WriteByte('.')
	e.b.WriteString(e.d.QuoteIdent(c.Name))
}

// operand writes x, parenthesised when it is an operator expression, so SQL precedence
// (which differs between backends) never matters.
func (e *emitter) operand(x *hql.PExpr) {
	switch x.Kind {
	case hql.PBinary, hql.PUnary, hql.PIn, hql.PBetween, hql.PIsNull:
		e.b.WriteByte('(')
		e.expr(x)
		e.b.WriteByte(')')
	default:
		e.expr(x)
	}
}

// template expands tmpl, writing {i} with write(i), {args} as all arguments and {time} as the
// table's time column.
func (e *emitter) template(tmpl string, n int, write func(i int)) {
	for len(tmpl) > 0 {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			e.b.WriteString(tmpl)
			return
		}
		e.b.WriteString(tmpl[:i])
		tmpl = tmpl[i+1:]
		j := strings.IndexByte(tmpl, '}')
		if j < 0 {
			e.fail(fmt.Errorf("cannot expand template: unterminated placeholder"))
			return
		}
		ph := tmpl[:j]
		tmpl = tmpl[j+1:]
		switch ph {
		case "args":
			for k := 0; k < n; k++ {
				if k > 0 {
					e.b.WriteString(", ")
				}
				write(k)
			}
		case "time":
			c, ok := e.p.Table.Column(e.p.Table.TimeColumn)
			if !ok {
				e.fail(fmt.Errorf("cannot expand template: table %s has no time column", e.p.Table.Name))
				return
			}
			e.column(c)
		default:
			k, err := strconv.Atoi(ph)
			if err != nil || k < 0 || k >= n {
				e.fail(fmt.Errorf("cannot expand template: bad placeholder {%s}", ph))
				return
			}
			write(k)
		}
	}
}

func (e *emitter) construct(name string, args ...*hql.PExpr) {
	t := e.d.Template(name)
	if t == "" {
		e.fail(fmt.Errorf("cannot render %s for %s", name, e.name))
		return
	}
	e.template(t, len(args), func(i int) { e.operand(args[i]) })
}

func (e *emitter) expr(x *hql.PExpr) {
	if e.err != nil {
		return
	}
	if e.groupKeys != nil && !e.inline && isGroupKey(e.groupKeys, x) {
		e.inline = true
		e.expr1(x)
		e.inline = false
		return
	}
	e.expr1(x)
}

func isGroupKey(keys []*hql.PExpr, x *hql.PExpr) bool {
	for _, k := range keys {
		if hql.Equal(k, x) {
			return true
		}
	}
	return false
}

func (e *emitter) expr1(x *hql.PExpr) {
	b := &e.b
	switch x.Kind {
	case hql.PColumn:
		e.column(x.Col)
	case hql.PAttr:
		t := e.d.Template("attr")
		e.template(t, 2, func(i int) {
			if i == 0 {
				e.column(x.Col)
			} else {
				e.literal(x.Key, false)
			}
		})
	case hql.PLiteral:
		e.literal(x.Value, x.Inline)
	case hql.PTimestamp:
		// Timestamps and durations are integers the planner computed: always inlined, which
		// also lets the backends prune on them.
		e.template(e.d.Template("timestamp"), 1, func(int) { e.literal(x.Value, true) })
	case hql.PDuration:
		e.literal(x.Value, true)
	case hql.PToNanos:
		e.construct("to_nanos", x.Args[0])
	case hql.PFromNanos:
		e.construct("from_nanos", x.Args[0])
	case hql.PUnary:
		if x.Op == "NOT" {
			b.WriteString("NOT ")
		} else {
			b.WriteString("-")
		}
		b.WriteByte('(')
		e.expr(x.Args[0])
		b.WriteByte(')')
	case hql.PBinary:
		if (x.Op == "/" || x.Op == "%") && nonZeroConst(x.Args[1]) {
			// The zero-divisor guard is only needed for divisors that can be zero.
			e.operand(x.Args[0])
			b.WriteString(" " + x.Op + " ")
			e.operand(x.Args[1])
			return
		}
		if t := e.d.Template(x.Op); t != "" {
			e.construct(x.Op, x.Args...)
			return
		}
		e.operand(x.Args[0])
		b.WriteByte(' ')
		b.WriteString(x.Op)
		b.WriteByte(' ')
		e.operand(x.Args[1])
	case hql.PIn:
		e.operand(x.Args[0])
		if x.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN (")
		for i, a := range x.Args[1:] {
			if i > 0 {
				b.WriteString(", ")
			}
			e.expr(a)
		}
		b.WriteByte(')')
	case hql.PBetween:
		e.operand(x.Args[0])
		if x.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" BETWEEN ")
		e.operand(x.Args[1])
		b.WriteString(" AND ")
		e.operand(x.Args[2])
	case hql.PIsNull:
		e.operand(x.Args[0])
		if x.Not {
			b.WriteString(" IS NOT NULL")
		} else {
			b.WriteString(" IS NULL")
		}
	case hql.PCase:
		b.WriteString("CASE")
		n := len(x.Args)
		if x.HasElse {
			n--
		}
		for i := 0; i+1 < n; i += 2 {
			b.WriteString(" WHEN ")
			e.expr(x.Args[i])
			b.WriteString(" THEN ")
			e.expr(x.Args[i+1])
		}
		if x.HasElse {
			b.WriteString(" ELSE ")
			e.expr(x.Args[n])
		}
		b.WriteString(" END")
	case hql.PCall:
		first := hql.TypeNull
		if len(x.Args) > 0 {
			first = x.Args[0].Type
		}
		t, ok := x.Func.Template(e.name, x.Star, x.Distinct, first)
		if !ok {
			e.fail(fmt.Errorf("cannot render function %s for %s", x.Func.Name, e.name))
			return
		}
		e.template(t, len(x.Args), func(i int) { e.expr(x.Args[i]) })
	case hql.POutput:
		b.WriteString(e.d.QuoteIdent(e.p.Columns[x.Index].Name))
	default:
		e.fail(fmt.Errorf("cannot render expression kind %d", x.Kind))
	}
}

func nonZeroConst(x *hql.PExpr) bool {
	if x.Kind != hql.PLiteral && x.Kind != hql.PDuration {
		return false
	}
	switch v := x.Value.(type) {
	case int64:
		return v != 0
	case float64:
		return v != 0
	}
	return false
}
