package hql

import (
	"fmt"
	"slices"
	"strings"
)

// Limits that keep a hostile query from costing much before it is rejected.
const (
	// MaxQueryLength is the longest query text accepted, in bytes.
	MaxQueryLength = 64 << 10
	// MaxDepth bounds expression nesting (parentheses, operators, calls).
	MaxDepth = 64
)

// Parse parses one HQL SELECT statement. Errors are *Error with the position of the problem and,
// for syntax errors, what was expected.
func Parse(src string) (*Select, error) {
	if len(src) > MaxQueryLength {
		return nil, &Error{Pos: Pos{Offset: MaxQueryLength, Line: 1, Column: 1},
			Msg: fmt.Sprintf("query is too long (%d bytes; the limit is %d)", len(src), MaxQueryLength)}
	}
	p := &parser{lx: newLexer(src)}
	if err := p.advance(); err != nil {
		return nil, err
	}
	sel, err := p.parseSelect()
	if err != nil {
		return nil, err
	}
	if p.tok.Kind == TokOp && p.tok.Text == ";" {
		p.clauses = nil
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if p.tok.Kind != TokEOF {
		return nil, p.unexpected(append(p.clauses, "end of query")...)
	}
	return sel, nil
}

// clauseOrder lists the clauses that may follow FROM, in order.
var clauseOrder = []string{"WHERE", "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "OFFSET"}

// passed records that the clause kw was parsed, so error messages only offer later ones.
func (p *parser) passed(kw string) {
	for i, c := range clauseOrder {
		if c == kw {
			p.clauses = clauseOrder[i+1:]
		}
	}
}

// ParseExpr parses a single expression (used by filters typed into a UI field).
func ParseExpr(src string) (Expr, error) {
	if len(src) > MaxQueryLength {
		return nil, &Error{Pos: Pos{Line: 1, Column: 1}, Msg: "expression is too long"}
	}
	p := &parser{lx: newLexer(src)}
	if err := p.advance(); err != nil {
		return nil, err
	}
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.Kind != TokEOF {
		return nil, p.unexpected("end of expression")
	}
	return e, nil
}

type parser struct {
	lx    *lexer
	tok   Token
	depth int
	// clauses are the clauses that may still follow, for error messages.
	clauses []string
	// bareAlias is the alias of the last select item when written without AS, so that
	// "SELECT a FORM logs" can be reported at the misspelt keyword.
	bareAlias Token
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func describe(t Token) string {
	switch t.Kind {
	case TokEOF:
		return "end of query"
	case TokKeyword:
		return t.Text
	case TokString:
		return "string " + QuoteString(t.Text)
	case TokOp:
		return "'" + t.Text + "'"
	}
	return fmt.Sprintf("%s %q", t.Kind, t.Text)
}

func (p *parser) unexpected(expected ...string) *Error {
	msg := "unexpected " + describe(p.tok)
	if len(expected) > 0 {
		msg += "; expected " + strings.Join(expected, " or ")
	}
	if p.tok.Kind == TokIdent && len(expected) > 0 {
		// A misspelt keyword is the most common syntax error.
		var kw []string
		for _, e := range expected {
			if w, _, _ := strings.Cut(e, " "); IsKeyword(w) {
				kw = append(kw, w)
			}
		}
		if s := suggest(p.tok.Text, kw); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
		}
	}
	return &Error{Pos: p.tok.Pos, Msg: msg, Expected: expected}
}

func (p *parser) isKw(kw string) bool { return p.tok.Kind == TokKeyword && p.tok.Text == kw }
func (p *parser) isOp(op string) bool { return p.tok.Kind == TokOp && p.tok.Text == op }

func (p *parser) expectKw(kw string) (Pos, error) {
	if !p.isKw(kw) {
		return Pos{}, p.unexpected(kw)
	}
	at := p.tok.Pos
	return at, p.advance()
}

func (p *parser) expectOp(op string) (Pos, error) {
	if !p.isOp(op) {
		return Pos{}, p.unexpected("'" + op + "'")
	}
	at := p.tok.Pos
	return at, p.advance()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return errorf(p.tok.Pos, "query is nested too deeply (limit %d)", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseSelect() (*Select, error) {
	at, err := p.expectKw("SELECT")
	if err != nil {
		return nil, err
	}
	s := &Select{At: at}
	if p.isKw("DISTINCT") {
		s.Distinct = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	for {
		it, err := p.parseSelectItem()
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, it)
		if !p.isOp(",") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if !p.isKw("FROM") {
		// "SELECT a FORM logs" reads FORM as an alias; point at the misspelt keyword instead.
		if a := p.bareAlias; a.Kind == TokIdent && p.tok.Kind == TokIdent && len(suggest(a.Text, []string{"FROM"})) > 0 {
			p.tok = a
		}
		return nil, p.unexpected("','", "FROM")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.Kind != TokIdent && p.tok.Kind != TokQuotedIdent {
		return nil, p.unexpected("table name")
	}
	s.From = &TableRef{At: p.tok.Pos, Name: p.tok.Text}
	p.clauses = clauseOrder
	if err := p.advance(); err != nil {
		return nil, err
	}
	if ok, err := p.clause("WHERE", "WHERE", false); err != nil {
		return nil, err
	} else if ok {
		if s.Where, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	if ok, err := p.clause("GROUP", "GROUP BY", true); err != nil {
		return nil, err
	} else if ok {
		if s.GroupBy, err = p.parseExprList(); err != nil {
			return nil, err
		}
	}
	if ok, err := p.clause("HAVING", "HAVING", false); err != nil {
		return nil, err
	} else if ok {
		if s.Having, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	if ok, err := p.clause("ORDER", "ORDER BY", true); err != nil {
		return nil, err
	} else if ok {
		for {
			oat := p.tok.Pos
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			o := &OrderItem{At: oat, Expr: e}
			if p.isKw("ASC") || p.isKw("DESC") {
				o.Desc = p.tok.Text == "DESC"
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
			s.OrderBy = append(s.OrderBy, o)
			if !p.isOp(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	if ok, err := p.clause("LIMIT", "LIMIT", false); err != nil {
		return nil, err
	} else if ok {
		if s.Limit, err = p.parseCount(); err != nil {
			return nil, err
		}
	}
	if ok, err := p.clause("OFFSET", "OFFSET", false); err != nil {
		return nil, err
	} else if ok {
		if s.Offset, err = p.parseCount(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// clause consumes the keyword that opens a clause (and BY after it, when by) if the current
// token is kw, and records the clause as passed under name for the "expected" lists.
func (p *parser) clause(kw, name string, by bool) (bool, error) {
	if !p.isKw(kw) {
		return false, nil
	}
	if err := p.advance(); err != nil {
		return false, err
	}
	p.passed(name)
	if by {
		if _, err := p.expectKw("BY"); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (p *parser) parseCount() (*Count, error) {
	if p.tok.Kind != TokInt {
		return nil, p.unexpected("non-negative integer")
	}
	c := &Count{At: p.tok.Pos, N: p.tok.Int}
	return c, p.advance()
}

func (p *parser) parseSelectItem() (*SelectItem, error) {
	at := p.tok.Pos
	p.bareAlias = Token{}
	if p.isOp("*") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		return &SelectItem{At: at, Expr: &Star{At: at}}, nil
	}
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	it := &SelectItem{At: at, Expr: e}
	if p.isKw("AS") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.Kind != TokIdent && p.tok.Kind != TokQuotedIdent {
			return nil, p.unexpected("alias")
		}
		it.Alias = p.tok.Text
		return it, p.advance()
	}
	if p.tok.Kind == TokIdent || p.tok.Kind == TokQuotedIdent {
		it.Alias, p.bareAlias = p.tok.Text, p.tok
		return it, p.advance()
	}
	return it, nil
}

func (p *parser) parseExprList() ([]Expr, error) {
	var out []Expr
	for {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.isOp(",") {
			return out, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}

func (p *parser) parseExpr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.parseOr()
}

func (p *parser) parseOr() (Expr, error) { return p.parseLeftAssoc(p.parseAnd, p.keyword("OR")) }

func (p *parser) parseAnd() (Expr, error) { return p.parseLeftAssoc(p.parseNot, p.keyword("AND")) }

func (p *parser) parseNot() (Expr, error) {
	if p.isKw("NOT") {
		at := p.tok.Pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.enter(); err != nil {
			return nil, err
		}
		x, err := p.parseNot()
		p.leave()
		if err != nil {
			return nil, err
		}
		return &Unary{At: at, Op: "NOT", X: x}, nil
	}
	return p.parseCmp()
}

var cmpOps = map[string]bool{"=": true, "!=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true, "=~": true, "!~": true}

func (p *parser) parseCmp() (Expr, error) {
	l, err := p.parseAdd()
	if err != nil {
		return nil, err
	}
	if p.tok.Kind == TokOp && cmpOps[p.tok.Text] {
		op, opPos := p.tok.Text, p.tok.Pos
		if op == "<>" {
			op = "!="
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.parseAdd()
		if err != nil {
			return nil, err
		}
		return &Binary{At: l.Pos(), OpPos: opPos, Op: op, L: l, R: r}, nil
	}
	if p.isKw("IS") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		not := false
		if p.isKw("NOT") {
			not = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if _, err := p.expectKw("NULL"); err != nil {
			return nil, err
		}
		return &IsNull{At: l.Pos(), X: l, Not: not}, nil
	}
	not := false
	opPos := p.tok.Pos
	if p.isKw("NOT") {
		not = true
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !(p.isKw("IN") || p.isKw("BETWEEN") || p.isKw("LIKE") || p.isKw("ILIKE") || p.isKw("CONTAINS")) {
			return nil, p.unexpected("IN", "BETWEEN", "LIKE", "ILIKE", "CONTAINS")
		}
	}
	switch {
	case p.isKw("IN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		if _, err := p.expectOp("("); err != nil {
			return nil, err
		}
		list, err := p.parseExprList()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return &In{At: l.Pos(), X: l, Not: not, List: list}, nil
	case p.isKw("BETWEEN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		lo, err := p.parseAdd()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectKw("AND"); err != nil {
			return nil, err
		}
		hi, err := p.parseAdd()
		if err != nil {
			return nil, err
		}
		return &Between{At: l.Pos(), X: l, Not: not, Lo: lo, Hi: hi}, nil
	case p.isKw("LIKE"), p.isKw("ILIKE"), p.isKw("CONTAINS"):
		op := p.tok.Text
		if not {
			op = "NOT " + op
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := p.parseAdd()
		if err != nil {
			return nil, err
		}
		return &Binary{At: l.Pos(), OpPos: opPos, Op: op, L: l, R: r}, nil
	}
	return l, nil
}

func (p *parser) parseAdd() (Expr, error) {
	return p.parseLeftAssoc(p.parseMul, p.operator("+", "-", "||"))
}

func (p *parser) parseMul() (Expr, error) {
	return p.parseLeftAssoc(p.parseUnary, p.operator("*", "/", "%"))
}

// keyword matches the keyword kw (any case) and names the operator by it.
func (p *parser) keyword(kw string) func() (string, bool) {
	return func() (string, bool) { return kw, p.isKw(kw) }
}

// operator matches any of the symbol operators ops.
func (p *parser) operator(ops ...string) func() (string, bool) {
	return func() (string, bool) { return p.tok.Text, slices.ContainsFunc(ops, p.isOp) }
}

// parseLeftAssoc parses next (op next)* for one precedence level of left-associative
// operators; match reports whether the current token is one of them, and its name.
func (p *parser) parseLeftAssoc(next func() (Expr, error), match func() (string, bool)) (Expr, error) {
	l, err := next()
	if err != nil {
		return nil, err
	}
	for {
		op, ok := match()
		if !ok {
			return l, nil
		}
		opPos := p.tok.Pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = &Binary{At: l.Pos(), OpPos: opPos, Op: op, L: l, R: r}
	}
}

func (p *parser) parseUnary() (Expr, error) {
	if p.isOp("-") {
		at := p.tok.Pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		// Fold the sign into a numeric literal so "-5" is one literal, as users read it.
		switch p.tok.Kind {
		case TokInt:
			v := p.tok.Int
			return &IntLit{At: at, Value: -v}, p.advance()
		case TokFloat:
			v := p.tok.Float
			return &FloatLit{At: at, Value: -v}, p.advance()
		case TokDuration:
			v := p.tok.Dur
			return &DurationLit{At: at, Value: durationOf(-v)}, p.advance()
		}
		if err := p.enter(); err != nil {
			return nil, err
		}
		x, err := p.parseUnary()
		p.leave()
		if err != nil {
			return nil, err
		}
		return &Unary{At: at, Op: "-", X: x}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (Expr, error) {
	t := p.tok
	switch t.Kind {
	case TokString:
		return &StringLit{At: t.Pos, Value: t.Text}, p.advance()
	case TokInt:
		return &IntLit{At: t.Pos, Value: t.Int}, p.advance()
	case TokFloat:
		return &FloatLit{At: t.Pos, Value: t.Float}, p.advance()
	case TokDuration:
		return &DurationLit{At: t.Pos, Value: durationOf(t.Dur)}, p.advance()
	case TokKeyword:
		switch t.Text {
		case "TRUE", "FALSE":
			return &BoolLit{At: t.Pos, Value: t.Text == "TRUE"}, p.advance()
		case "NULL":
			return &NullLit{At: t.Pos}, p.advance()
		case "CASE":
			return p.parseCase()
		}
	case TokMacro:
		return p.parseMacro()
	case TokQuotedIdent:
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.parsePostfix(&Ident{At: t.Pos, Name: t.Text})
	case TokIdent:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isOp("(") {
			return p.parseCall(t)
		}
		return p.parsePostfix(&Ident{At: t.Pos, Name: t.Text})
	case TokOp:
		if t.Text == "(" {
			if err := p.advance(); err != nil {
				return nil, err
			}
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return e, nil
		}
	}
	return nil, p.unexpected("expression")
}

// parsePostfix handles map access: attributes['key'].
func (p *parser) parsePostfix(id *Ident) (Expr, error) {
	if !p.isOp("[") {
		return id, nil
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.Kind != TokString {
		return nil, p.unexpected("string key")
	}
	key := p.tok.Text
	if err := p.advance(); err != nil {
		return nil, err
	}
	if _, err := p.expectOp("]"); err != nil {
		return nil, err
	}
	if p.isOp("[") {
		return nil, errorf(p.tok.Pos, "attribute values are strings and cannot be indexed")
	}
	return &AttrRef{At: id.At, Map: id.Name, Key: key}, nil
}

func (p *parser) parseCall(name Token) (Expr, error) {
	if err := p.advance(); err != nil { // '('
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	c := &Call{At: name.Pos, Name: name.Text}
	if p.isKw("DISTINCT") {
		c.Distinct = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if p.isOp("*") && !c.Distinct {
		c.Args = []Expr{&Star{At: p.tok.Pos}}
		if err := p.advance(); err != nil {
			return nil, err
		}
	} else if !p.isOp(")") {
		args, err := p.parseExprList()
		if err != nil {
			return nil, err
		}
		c.Args = args
	}
	if !p.isOp(")") {
		return nil, p.unexpected("','", "')'")
	}
	return c, p.advance()
}

func (p *parser) parseMacro() (Expr, error) {
	m := &Macro{At: p.tok.Pos, Name: p.tok.Text}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.isOp("(") {
		return m, nil
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	m.Parens = true
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.isOp(")") {
		args, err := p.parseExprList()
		if err != nil {
			return nil, err
		}
		m.Args = args
	}
	if !p.isOp(")") {
		return nil, p.unexpected("','", "')'")
	}
	return m, p.advance()
}

func (p *parser) parseCase() (Expr, error) {
	c := &Case{At: p.tok.Pos}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var err error
	if p.isKw("END") || p.isKw("ELSE") {
		return nil, p.unexpected("WHEN")
	}
	if !p.isKw("WHEN") {
		if c.Operand, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	for p.isKw("WHEN") {
		w := &When{At: p.tok.Pos}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if w.Cond, err = p.parseExpr(); err != nil {
			return nil, err
		}
		if _, err := p.expectKw("THEN"); err != nil {
			return nil, err
		}
		if w.Result, err = p.parseExpr(); err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		return nil, p.unexpected("WHEN")
	}
	if p.isKw("ELSE") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if c.Else, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	if _, err := p.expectKw("END"); err != nil {
		return nil, err
	}
	return c, nil
}
