package hql

import (
	"strconv"
	"strings"
	"time"
)

// Node is any HQL syntax tree node. The set of nodes is closed (sealed by an unexported method):
// the planner and printers switch over every kind, and code outside this package builds trees with
// the constructors in build.go.
type Node interface {
	// Pos is where the node starts in the source (zero for nodes built in Go).
	Pos() Pos
	// String prints the node as HQL that parses back to the same tree.
	String() string
	node()
}

// Expr is an expression node.
type Expr interface {
	Node
	expr()
}

// Select is a whole query: SELECT ... FROM ... [WHERE] [GROUP BY] [HAVING] [ORDER BY] [LIMIT].
type Select struct {
	At       Pos
	Distinct bool
	Items    []*SelectItem
	From     *TableRef
	Where    Expr // nil when absent
	GroupBy  []Expr
	Having   Expr // nil when absent
	OrderBy  []*OrderItem
	Limit    *Count // nil when absent (the planner applies its default)
	Offset   *Count // nil when absent
}

// SelectItem is one output expression with its optional alias. Expr is *Star for "*".
type SelectItem struct {
	At    Pos
	Expr  Expr
	Alias string // "" when none
}

// TableRef names the table in FROM.
type TableRef struct {
	At   Pos
	Name string
}

// OrderItem is one ORDER BY term.
type OrderItem struct {
	At   Pos
	Expr Expr
	Desc bool
}

// Count is the non-negative integer of a LIMIT or OFFSET clause.
type Count struct {
	At Pos
	N  int64
}

// Ident is a column reference (or, in ORDER BY, a reference to an output alias).
type Ident struct {
	At   Pos
	Name string
}

// Star is "*" in a select list or in count(*).
type Star struct{ At Pos }

// AttrRef reads one key of a map column: attributes['http.method'], resource['service.name'].
type AttrRef struct {
	At  Pos
	Map string // the map column
	Key string
}

// StringLit is a string literal.
type StringLit struct {
	At    Pos
	Value string
}

// IntLit is an integer literal.
type IntLit struct {
	At    Pos
	Value int64
}

// FloatLit is a floating-point literal.
type FloatLit struct {
	At    Pos
	Value float64
}

// BoolLit is TRUE or FALSE.
type BoolLit struct {
	At    Pos
	Value bool
}

// NullLit is NULL.
type NullLit struct{ At Pos }

// DurationLit is a duration such as 5m, 1h30m or 250ms.
type DurationLit struct {
	At    Pos
	Value time.Duration
}

// Unary is NOT x or -x. Op is "NOT" or "-".
type Unary struct {
	At Pos
	Op string
	X  Expr
}

// Binary is a binary operation. Op is one of OR AND = != < <= > >= + - * / % || =~ !~ LIKE
// ILIKE CONTAINS, or one of the last three prefixed with "NOT ".
type Binary struct {
	At    Pos // start of L
	OpPos Pos
	Op    string
	L, R  Expr
}

// In is x [NOT] IN (list).
type In struct {
	At   Pos
	X    Expr
	Not  bool
	List []Expr
}

// Between is x [NOT] BETWEEN lo AND hi (inclusive).
type Between struct {
	At     Pos
	X      Expr
	Not    bool
	Lo, Hi Expr
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	At  Pos
	X   Expr
	Not bool
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	At      Pos
	Operand Expr // nil for a searched CASE
	Whens   []*When
	Else    Expr // nil when absent
}

// When is one WHEN ... THEN ... arm of a Case.
type When struct {
	At     Pos
	Cond   Expr
	Result Expr
}

// Call is a function call. Args holds a single *Star for count(*).
type Call struct {
	At       Pos
	Name     string
	Distinct bool
	Args     []Expr
}

// Macro is a Grafana macro such as $__timeFilter(timestamp) or $__interval. The planner resolves
// it from Params; it never reaches SQL as text.
type Macro struct {
	At     Pos
	Name   string // with the "$__" prefix
	Parens bool   // written with an argument list
	Args   []Expr
}

func (n *Select) Pos() Pos      { return n.At }
func (n *SelectItem) Pos() Pos  { return n.At }
func (n *TableRef) Pos() Pos    { return n.At }
func (n *OrderItem) Pos() Pos   { return n.At }
func (n *Count) Pos() Pos       { return n.At }
func (n *Ident) Pos() Pos       { return n.At }
func (n *Star) Pos() Pos        { return n.At }
func (n *AttrRef) Pos() Pos     { return n.At }
func (n *StringLit) Pos() Pos   { return n.At }
func (n *IntLit) Pos() Pos      { return n.At }
func (n *FloatLit) Pos() Pos    { return n.At }
func (n *BoolLit) Pos() Pos     { return n.At }
func (n *NullLit) Pos() Pos     { return n.At }
func (n *DurationLit) Pos() Pos { return n.At }
func (n *Unary) Pos() Pos       { return n.At }
func (n *Binary) Pos() Pos      { return n.At }
func (n *In) Pos() Pos          { return n.At }
func (n *Between) Pos() Pos     { return n.At }
func (n *IsNull) Pos() Pos      { return n.At }
func (n *Case) Pos() Pos        { return n.At }
func (n *When) Pos() Pos        { return n.At }
func (n *Call) Pos() Pos        { return n.At }
func (n *Macro) Pos() Pos       { return n.At }

func (*Select) node()      {}
func (*SelectItem) node()  {}
func (*TableRef) node()    {}
func (*OrderItem) node()   {}
func (*Count) node()       {}
func (*Ident) node()       {}
func (*Star) node()        {}
func (*AttrRef) node()     {}
func (*StringLit) node()   {}
func (*IntLit) node()      {}
func (*FloatLit) node()    {}
func (*BoolLit) node()     {}
func (*NullLit) node()     {}
func (*DurationLit) node() {}
func (*Unary) node()       {}
func (*Binary) node()      {}
func (*In) node()          {}
func (*Between) node()     {}
func (*IsNull) node()      {}
func (*Case) node()        {}
func (*When) node()        {}
func (*Call) node()        {}
func (*Macro) node()       {}

func (*Ident) expr()       {}
func (*Star) expr()        {}
func (*AttrRef) expr()     {}
func (*StringLit) expr()   {}
func (*IntLit) expr()      {}
func (*FloatLit) expr()    {}
func (*BoolLit) expr()     {}
func (*NullLit) expr()     {}
func (*DurationLit) expr() {}
func (*Unary) expr()       {}
func (*Binary) expr()      {}
func (*In) expr()          {}
func (*Between) expr()     {}
func (*IsNull) expr()      {}
func (*Case) expr()        {}
func (*Call) expr()        {}
func (*Macro) expr()       {}

// Precedence levels, lowest first. The parser and the printer share them so printed text
// parses back to the same tree.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp // non-associative: = != < <= > >= LIKE ILIKE CONTAINS =~ !~ IN BETWEEN IS
	precAdd // + - ||
	precMul // * / %
	precNeg // unary minus
	precPrimary
)

func binaryPrec(op string) int {
	switch op {
	case "OR":
		return precOr
	case "AND":
		return precAnd
	case "+", "-", "||":
		return precAdd
	case "*", "/", "%":
		return precMul
	}
	return precCmp
}

func exprPrec(e Expr) int {
	switch n := e.(type) {
	case *Binary:
		return binaryPrec(n.Op)
	case *Unary:
		if n.Op == "NOT" {
			return precNot
		}
		return precNeg
	case *In, *Between, *IsNull:
		return precCmp
	case *IntLit:
		if n.Value < 0 {
			return precNeg
		}
	case *FloatLit:
		if n.Value < 0 || (n.Value == 0 && strconv.FormatFloat(n.Value, 'g', -1, 64)[0] == '-') {
			return precNeg
		}
	case *DurationLit:
		if n.Value < 0 {
			return precNeg
		}
	}
	return precPrimary
}

// wrap prints e, parenthesised when its precedence is below min.
func wrap(b *strings.Builder, e Expr, min int) {
	if exprPrec(e) < min {
		b.WriteByte('(')
		writeExpr(b, e)
		b.WriteByte(')')
		return
	}
	writeExpr(b, e)
}

// QuoteIdent prints name as an HQL identifier: bare when it can be, double-quoted otherwise.
func QuoteIdent(name string) string {
	if isBareIdent(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func isBareIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) || IsKeyword(s) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}

// QuoteString prints s as an HQL string literal.
func QuoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// FormatDuration prints d in HQL duration syntax using the largest unit that divides it exactly
// (90m, not 1h30m), so printing is canonical.
func FormatDuration(d time.Duration) string {
	neg := d < 0
	u := uint64(d)
	if neg {
		u = uint64(-d)
	}
	s := "0s"
	if u != 0 {
		for _, unit := range []struct {
			name string
			ns   uint64
		}{{"w", 7 * 86400e9}, {"d", 86400e9}, {"h", 3600e9}, {"m", 60e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1}} {
			if u%unit.ns == 0 {
				s = strconv.FormatUint(u/unit.ns, 10) + unit.name
				break
			}
		}
	}
	if neg {
		return "-" + s
	}
	return s
}

func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEIN") {
		s += ".0"
	}
	return s
}

func writeExpr(b *strings.Builder, e Expr) {
	switch n := e.(type) {
	case *Ident:
		b.WriteString(QuoteIdent(n.Name))
	case *Star:
		b.WriteByte('*')
	case *AttrRef:
		b.WriteString(QuoteIdent(n.Map))
		b.WriteByte('[')
		b.WriteString(QuoteString(n.Key))
		b.WriteByte(']')
	case *StringLit:
		b.WriteString(QuoteString(n.Value))
	case *IntLit:
		b.WriteString(strconv.FormatInt(n.Value, 10))
	case *FloatLit:
		b.WriteString(formatFloat(n.Value))
	case *BoolLit:
		if n.Value {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case *NullLit:
		b.WriteString("NULL")
	case *DurationLit:
		b.WriteString(FormatDuration(n.Value))
	case *Unary:
		if n.Op == "NOT" {
			b.WriteString("NOT ")
			wrap(b, n.X, precNot)
			return
		}
		b.WriteByte('-')
		// "-(-5)": a bare "--" would start a comment; "-(5)": "-5" would parse as one literal.
		if exprPrec(n.X) <= precNeg || isNumberLit(n.X) {
			b.WriteByte('(')
			writeExpr(b, n.X)
			b.WriteByte(')')
			return
		}
		writeExpr(b, n.X)
	case *Binary:
		p := binaryPrec(n.Op)
		if p == precCmp {
			wrap(b, n.L, p+1)
		} else {
			wrap(b, n.L, p)
		}
		b.WriteByte(' ')
		b.WriteString(n.Op)
		b.WriteByte(' ')
		wrap(b, n.R, p+1)
	case *In:
		wrap(b, n.X, precCmp+1)
		if n.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN (")
		for i, x := range n.List {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, x)
		}
		b.WriteByte(')')
	case *Between:
		wrap(b, n.X, precCmp+1)
		if n.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" BETWEEN ")
		wrap(b, n.Lo, precCmp+1)
		b.WriteString(" AND ")
		wrap(b, n.Hi, precCmp+1)
	case *IsNull:
		wrap(b, n.X, precCmp+1)
		if n.Not {
			b.WriteString(" IS NOT NULL")
		} else {
			b.WriteString(" IS NULL")
		}
	case *Case:
		b.WriteString("CASE")
		if n.Operand != nil {
			b.WriteByte(' ')
			writeExpr(b, n.Operand)
		}
		for _, w := range n.Whens {
			b.WriteString(" WHEN ")
			writeExpr(b, w.Cond)
			b.WriteString(" THEN ")
			writeExpr(b, w.Result)
		}
		if n.Else != nil {
			b.WriteString(" ELSE ")
			writeExpr(b, n.Else)
		}
		b.WriteString(" END")
	case *Call:
		b.WriteString(n.Name)
		b.WriteByte('(')
		if n.Distinct {
			b.WriteString("DISTINCT ")
		}
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, a)
		}
		b.WriteByte(')')
	case *Macro:
		b.WriteString(n.Name)
		if n.Parens {
			b.WriteByte('(')
			for i, a := range n.Args {
				if i > 0 {
					b.WriteString(", ")
				}
				writeExpr(b, a)
			}
			b.WriteByte(')')
		}
	case nil:
		b.WriteString("NULL")
	}
}

func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func (n *Ident) String() string       { return exprString(n) }
func (n *Star) String() string        { return exprString(n) }
func (n *AttrRef) String() string     { return exprString(n) }
func (n *StringLit) String() string   { return exprString(n) }
func (n *IntLit) String() string      { return exprString(n) }
func (n *FloatLit) String() string    { return exprString(n) }
func (n *BoolLit) String() string     { return exprString(n) }
func (n *NullLit) String() string     { return exprString(n) }
func (n *DurationLit) String() string { return exprString(n) }
func (n *Unary) String() string       { return exprString(n) }
func (n *Binary) String() string      { return exprString(n) }
func (n *In) String() string          { return exprString(n) }
func (n *Between) String() string     { return exprString(n) }
func (n *IsNull) String() string      { return exprString(n) }
func (n *Case) String() string        { return exprString(n) }
func (n *Call) String() string        { return exprString(n) }
func (n *Macro) String() string       { return exprString(n) }

func (n *When) String() string {
	return "WHEN " + exprString(n.Cond) + " THEN " + exprString(n.Result)
}

func (n *TableRef) String() string { return QuoteIdent(n.Name) }
func (n *Count) String() string    { return strconv.FormatInt(n.N, 10) }

func (n *SelectItem) String() string {
	s := exprString(n.Expr)
	if n.Alias != "" {
		s += " AS " + QuoteIdent(n.Alias)
	}
	return s
}

func (n *OrderItem) String() string {
	if n.Desc {
		return exprString(n.Expr) + " DESC"
	}
	return exprString(n.Expr)
}

func (n *Select) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if n.Distinct {
		b.WriteString("DISTINCT ")
	}
	for i, it := range n.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it.String())
	}
	if n.From != nil {
		b.WriteString(" FROM ")
		b.WriteString(n.From.String())
	}
	if n.Where != nil {
		b.WriteString(" WHERE ")
		writeExpr(&b, n.Where)
	}
	if len(n.GroupBy) > 0 {
		b.WriteString(" GROUP BY ")
		for i, g := range n.GroupBy {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(&b, g)
		}
	}
	if n.Having != nil {
		b.WriteString(" HAVING ")
		writeExpr(&b, n.Having)
	}
	if len(n.OrderBy) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range n.OrderBy {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(o.String())
		}
	}
	if n.Limit != nil {
		b.WriteString(" LIMIT ")
		b.WriteString(n.Limit.String())
	}
	if n.Offset != nil {
		b.WriteString(" OFFSET ")
		b.WriteString(n.Offset.String())
	}
	return b.String()
}

func isNumberLit(e Expr) bool {
	switch e.(type) {
	case *IntLit, *FloatLit, *DurationLit:
		return true
	}
	return false
}
