package rollup

import "fmt"

// Dialect is a SQL dialect that SQLExpr renders for.
type Dialect string

const (
	ClickHouse Dialect = "clickhouse"
	DuckDB     Dialect = "duckdb"
)

// SQLExpr renders the SQL expression that normalizes the string expression arg exactly as
// Normalize does: one regular-expression replacement per rule, in the same order. arg is SQL
// text the caller built (a column reference); literal is the caller's audited string-literal
// escaper for the dialect (this package imports no database package, so it cannot have one).
//
// ClickHouse: replaceRegexpAll(s, pattern, replacement); DuckDB: regexp_replace(s, pattern,
// replacement, 'g'). Both write capture group 1 as \1.
func SQLExpr(d Dialect, arg string, literal func(string) string) (string, error) {
	expr := arg
	for _, r := range Rules {
		repl := r.Placeholder
		if r.KeepGroup {
			repl = `\1` + repl
		}
		switch d {
		case ClickHouse:
			expr = "replaceRegexpAll(" + expr + ", " + literal(r.Pattern) + ", " + literal(repl) + ")"
		case DuckDB:
			expr = "regexp_replace(" + expr + ", " + literal(r.Pattern) + ", " + literal(repl) + ", 'g')"
		default:
			return "", fmt.Errorf("cannot render normalization: unknown dialect %q", d)
		}
	}
	return expr, nil
}
