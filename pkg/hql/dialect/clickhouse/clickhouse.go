package clickhouse

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect"
	"github.com/heimsight/heimsight/pkg/store"
)

// Name is the dialect name the ClickHouse store reports.
const Name = "clickhouse"

// Dialect is the ClickHouse dialect.
type Dialect struct{}

var _ dialect.Dialect = Dialect{}

// Emit renders p as ClickHouse SQL with '?' parameters.
func Emit(p *hql.QueryPlan, source store.TableSource) (string, []any, error) {
	return dialect.Emit(Dialect{}, p, source, false)
}

// EmitInline renders p with every literal inlined through QuoteString and Literal (for running
// the SQL where parameters cannot be bound, such as chDB).
func EmitInline(p *hql.QueryPlan, source store.TableSource) (string, error) {
	sql, _, err := dialect.Emit(Dialect{}, p, source, true)
	return sql, err
}

func (Dialect) Name() string { return Name }

// QuoteIdent back-quotes name. Inside back quotes ClickHouse honours backslash escapes, so
// backslashes and back quotes are escaped.
func (Dialect) QuoteIdent(name string) string {
	return "`" + escape(name, '`') + "`"
}

// escape backslash-escapes quote, the backslash itself and control characters, the only
// sequences ClickHouse's lexer treats specially inside a quoted token.
func escape(s string, quote byte) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == 0:
			b.WriteString(`\0`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02X`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// QuoteString renders s as a ClickHouse string literal. ClickHouse interprets backslash escapes
// in '...', so quotes, backslashes and control bytes are escaped; invalid UTF-8 is refused.
func QuoteString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("string is not valid UTF-8")
	}
	return "'" + escape(s, '\'') + "'", nil
}

// Literal renders a constant. Negative numbers are parenthesised; floats always carry a '.' or
// an exponent so ClickHouse reads them as Float64.
func (Dialect) Literal(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case string:
		return QuoteString(x)
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case int64:
		s := strconv.FormatInt(x, 10)
		if x < 0 {
			s = "(" + s + ")"
		}
		return s, nil
	case int:
		return Dialect{}.Literal(int64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("cannot render %v", x)
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		if x < 0 {
			s = "(" + s + ")"
		}
		return s, nil
	}
	return "", fmt.Errorf("cannot render a %T literal", v)
}

func (Dialect) Placeholder(int) string { return "?" }

// InlineKeyLiterals: see dialect.Dialect.
func (Dialect) InlineKeyLiterals() bool { return false }

func (Dialect) ReuseParams() bool { return false }

var templates = map[string]string{
	"attr":         "if(mapContains({0}, {1}), {0}[{1}], NULL)",
	"timestamp":    "fromUnixTimestamp64Nano(toInt64({0}), 'UTC')",
	"to_nanos":     "toUnixTimestamp64Nano({0})",
	"from_nanos":   "fromUnixTimestamp64Nano(toInt64({0}), 'UTC')",
	"/":            "{0} / nullIf({1}, 0)",
	"%":            "{0} % nullIf({1}, 0)",
	"LIKE":         "{0} LIKE {1}",
	"NOT LIKE":     "{0} NOT LIKE {1}",
	"ILIKE":        "{0} ILIKE {1}",
	"NOT ILIKE":    "{0} NOT ILIKE {1}",
	"CONTAINS":     "positionCaseInsensitiveUTF8({0}, {1}) > 0",
	"NOT CONTAINS": "positionCaseInsensitiveUTF8({0}, {1}) = 0",
	"=~":           "match({0}, {1})",
	"!~":           "NOT match({0}, {1})",
}

func (Dialect) Template(construct string) string { return templates[construct] }
