package datasource

import (
	"fmt"
	"strings"

	"github.com/heimsight/heimsight/pkg/hql"
)

// Template variables in free HQL.
//
// HQL has no syntax for Grafana's $name variables (its lexer only admits $__macros), and pasting
// variable values into the query text would let a value such as  x' OR '1'='1  change the query.
// So the plugin renames each $name / ${name} written by the user into the placeholder macro
// $__var_name (a text change that only touches what the user wrote, never a value), parses the
// query, and replaces every placeholder node in the tree with string literal nodes holding the
// values. The query sent is the printed tree.

const varMacroPrefix = "$__var_"

// markVariables rewrites $name and ${name} (and ${name:format}, whose format is ignored because
// values always become literals) outside string literals, quoted identifiers and comments into
// $__var_name. $__macros are left alone.
func markVariables(src string) string {
	if !strings.Contains(src, "$") {
		return src
	}
	var b strings.Builder
	b.Grow(len(src) + 16)
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := skipQuoted(src, i, c)
			b.WriteString(src[i:j])
			i = j
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			b.WriteString(src[i : i+j])
			i += j
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				b.WriteString(src[i:])
				return b.String()
			}
			b.WriteString(src[i : i+2+j+2])
			i += 2 + j + 2
		case c == '$':
			name, n := variableAt(src[i:])
			if n == 0 {
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteString(varMacroPrefix)
			b.WriteString(name)
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// skipQuoted returns the offset just past the quoted token starting at i (doubled quotes escape).
func skipQuoted(src string, i int, q byte) int {
	for j := i + 1; j < len(src); j++ {
		if src[j] == q {
			if j+1 < len(src) && src[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(src)
}

// variableAt parses a variable reference at the start of s ("$name", "${name}", "${name:fmt}")
// and returns its name and length; n is 0 when s does not start with one or with a $__macro.
func variableAt(s string) (name string, n int) {
	if strings.HasPrefix(s, "$__") {
		return "", 0
	}
	if strings.HasPrefix(s, "${") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", 0
		}
		name = s[2:end]
		if k := strings.IndexByte(name, ':'); k >= 0 {
			name = name[:k]
		}
		if !isVarName(name) {
			return "", 0
		}
		return name, end + 1
	}
	j := 1
	for j < len(s) && isVarByte(s[j]) {
		j++
	}
	if j == 1 || !isVarName(s[1:j]) {
		return "", 0
	}
	return s[1:j], j
}

func isVarByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func isVarName(s string) bool {
	if s == "" || strings.HasPrefix(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isVarByte(s[i]) {
			return false
		}
	}
	return true
}

// expandVariables replaces every $__var_ placeholder in sel with literals from vars. Inside an
// IN list a multi-value variable becomes one literal per value; elsewhere it must have exactly
// one value.
func expandVariables(sel *hql.Select, vars map[string][]string) error {
	r := &varRewriter{vars: vars}
	for _, it := range sel.Items {
		it.Expr = r.expr(it.Expr)
	}
	sel.Where = r.expr(sel.Where)
	for i, g := range sel.GroupBy {
		sel.GroupBy[i] = r.expr(g)
	}
	sel.Having = r.expr(sel.Having)
	for _, o := range sel.OrderBy {
		o.Expr = r.expr(o.Expr)
	}
	return r.err
}

type varRewriter struct {
	vars map[string][]string
	err  error
}

func (r *varRewriter) values(m *hql.Macro) ([]string, bool) {
	if !strings.HasPrefix(m.Name, varMacroPrefix) {
		return nil, false
	}
	name := strings.TrimPrefix(m.Name, varMacroPrefix)
	vals, ok := r.vars[name]
	if !ok && r.err == nil {
		r.err = fmt.Errorf("template variable $%s has no value (line %d, column %d)", name, m.At.Line, m.At.Column)
	}
	if m.Parens && r.err == nil {
		r.err = fmt.Errorf("template variable $%s cannot be called like a function (line %d, column %d)", name, m.At.Line, m.At.Column)
	}
	return vals, true
}

func (r *varRewriter) list(es []hql.Expr) []hql.Expr {
	out := make([]hql.Expr, 0, len(es))
	for _, e := range es {
		if m, ok := e.(*hql.Macro); ok {
			if vals, isVar := r.values(m); isVar {
				for _, v := range vals {
					out = append(out, hql.Str(v))
				}
				continue
			}
		}
		out = append(out, r.expr(e))
	}
	return out
}

func (r *varRewriter) expr(e hql.Expr) hql.Expr {
	switch n := e.(type) {
	case nil:
		return nil
	case *hql.Macro:
		if vals, isVar := r.values(n); isVar {
			if len(vals) != 1 {
				if r.err == nil {
					r.err = fmt.Errorf("template variable $%s has %d values; use it in a list: IN ($%s) (line %d, column %d)",
						strings.TrimPrefix(n.Name, varMacroPrefix), len(vals), strings.TrimPrefix(n.Name, varMacroPrefix), n.At.Line, n.At.Column)
				}
				return hql.Null()
			}
			return hql.Str(vals[0])
		}
		for i, a := range n.Args {
			n.Args[i] = r.expr(a)
		}
	case *hql.Unary:
		n.X = r.expr(n.X)
	case *hql.Binary:
		n.L, n.R = r.expr(n.L), r.expr(n.R)
	case *hql.In:
		n.X = r.expr(n.X)
		n.List = r.list(n.List)
	case *hql.Between:
		n.X, n.Lo, n.Hi = r.expr(n.X), r.expr(n.Lo), r.expr(n.Hi)
	case *hql.IsNull:
		n.X = r.expr(n.X)
	case *hql.Case:
		n.Operand = r.expr(n.Operand)
		for _, w := range n.Whens {
			w.Cond, w.Result = r.expr(w.Cond), r.expr(w.Result)
		}
		n.Else = r.expr(n.Else)
	case *hql.Call:
		for i, a := range n.Args {
			n.Args[i] = r.expr(a)
		}
	}
	return e
}
