package clickhouse

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var hostile = []string{
	"", "plain", "it's", "''", `\`, `\'`, `\\'`, "x'; DROP TABLE logs; --", "a`b\"c", "?", "$1", "{x:String}",
	"line\nbreak\ttab\rcr", "nul\x00byte", "bell\a\b\f\v\x1b\x7f", "/* comment */", "-- comment", "é漢字🙂",
	"\\x41", "\\0", "end\\",
}

// unquote reads a ClickHouse single-quoted literal the way ClickHouse's lexer does: a backslash
// escapes the next character (with the usual C escapes and \xHH), and ” is a quote.
func unquote(t *testing.T, lit string) string {
	t.Helper()
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		t.Fatalf("not a quoted literal: %q", lit)
	}
	body := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\':
			i++
			if i >= len(body) {
				t.Fatalf("%q: trailing backslash escapes the closing quote", lit)
			}
			switch e := body[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'x':
				v, err := strconv.ParseUint(body[i+1:i+3], 16, 8)
				if err != nil {
					t.Fatalf("%q: bad \\x escape", lit)
				}
				b.WriteByte(byte(v))
				i += 2
			default:
				b.WriteByte(e)
			}
		case c == '\'':
			t.Fatalf("%q: unescaped quote inside the literal ends it early", lit)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestQuoteString(t *testing.T) {
	for _, s := range hostile {
		lit, err := QuoteString(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := unquote(t, lit); got != s {
			t.Errorf("%q rendered as %s reads back as %q", s, lit, got)
		}
		if strings.ContainsAny(lit, "\n\r\x00") {
			t.Errorf("%q: raw control bytes in %q", s, lit)
		}
	}
	if _, err := QuoteString("\xff"); err == nil {
		t.Error("invalid UTF-8 must be refused")
	}
}

func FuzzQuoteString(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit, err := QuoteString(s)
		if !utf8.ValidString(s) {
			if err == nil {
				t.Fatal("invalid UTF-8 accepted")
			}
			return
		}
		if got := unquote(t, lit); got != s {
			t.Fatalf("%q rendered as %s reads back as %q", s, lit, got)
		}
	})
}

func TestQuoteIdent(t *testing.T) {
	cases := map[string]string{"service": "`service`", "a`b": "`a\\`b`", `a\b`: "`a\\\\b`", "it's": "`it's`"}
	for in, want := range cases {
		if got := (Dialect{}).QuoteIdent(in); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

func TestLiteral(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{nil, "NULL"}, {true, "true"}, {false, "false"}, {int64(5), "5"}, {int64(-5), "(-5)"},
		{2.0, "2.0"}, {0.95, "0.95"}, {-1.5, "(-1.5)"}, {1e21, "1e+21"}, {"a'b", `'a\'b'`},
	}
	for _, c := range cases {
		got, err := (Dialect{}).Literal(c.v)
		if err != nil || got != c.want {
			t.Errorf("%v: %q %v, want %q", c.v, got, err, c.want)
		}
	}
	for _, bad := range []any{struct{}{}, []byte("x")} {
		if _, err := (Dialect{}).Literal(bad); err == nil {
			t.Errorf("%T accepted", bad)
		}
	}
}
