package hql

import (
	"strings"
	"testing"
)

func TestLex(t *testing.T) {
	type tok struct {
		kind TokenKind
		text string
	}
	cases := []struct {
		src  string
		want []tok
	}{
		{"SELECT a FROM logs", []tok{{TokKeyword, "SELECT"}, {TokIdent, "a"}, {TokKeyword, "FROM"}, {TokIdent, "logs"}}},
		{"select Count(*)", []tok{{TokKeyword, "SELECT"}, {TokIdent, "Count"}, {TokOp, "("}, {TokOp, "*"}, {TokOp, ")"}}},
		{"'it''s' \"a \"\"b\"\"\" `c`", []tok{{TokString, "it's"}, {TokQuotedIdent, `a "b"`}, {TokQuotedIdent, "c"}}},
		{"1 1.5 .5 1e3 2.5E-2 1.", []tok{{TokInt, "1"}, {TokFloat, "1.5"}, {TokFloat, ".5"}, {TokFloat, "1e3"}, {TokFloat, "2.5E-2"}, {TokFloat, "1."}}},
		{"5µs 2m30s", []tok{{TokDuration, "5µs"}, {TokDuration, "2m30s"}}},
		{"5m 1h30m 250ms 10us 7d 1w 3ns", []tok{{TokDuration, "5m"}, {TokDuration, "1h30m"}, {TokDuration, "250ms"}, {TokDuration, "10us"}, {TokDuration, "7d"}, {TokDuration, "1w"}, {TokDuration, "3ns"}}},
		{"<> != <= >= =~ !~ || < > = + - * / % [ ] , ;", []tok{{TokOp, "<>"}, {TokOp, "!="}, {TokOp, "<="}, {TokOp, ">="}, {TokOp, "=~"}, {TokOp, "!~"}, {TokOp, "||"}, {TokOp, "<"}, {TokOp, ">"}, {TokOp, "="}, {TokOp, "+"}, {TokOp, "-"}, {TokOp, "*"}, {TokOp, "/"}, {TokOp, "%"}, {TokOp, "["}, {TokOp, "]"}, {TokOp, ","}, {TokOp, ";"}}},
		{"$__timeFilter(timestamp) $__interval_ms", []tok{{TokMacro, "$__timeFilter"}, {TokOp, "("}, {TokIdent, "timestamp"}, {TokOp, ")"}, {TokMacro, "$__interval_ms"}}},
		{"a -- comment\n/* block\n */ b", []tok{{TokIdent, "a"}, {TokIdent, "b"}}},
		{"a-1", []tok{{TokIdent, "a"}, {TokOp, "-"}, {TokInt, "1"}}},
	}
	for _, c := range cases {
		toks, err := Lex(c.src)
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		toks = toks[:len(toks)-1] // EOF
		if len(toks) != len(c.want) {
			t.Errorf("%q: got %d tokens %v, want %d", c.src, len(toks), toks, len(c.want))
			continue
		}
		for i, tk := range toks {
			if tk.Kind != c.want[i].kind || tk.Text != c.want[i].text {
				t.Errorf("%q token %d: got %v %q, want %v %q", c.src, i, tk.Kind, tk.Text, c.want[i].kind, c.want[i].text)
			}
		}
	}
}

func TestLexValues(t *testing.T) {
	toks, err := Lex("1h30m 250ms 42 0.25")
	if err != nil {
		t.Fatal(err)
	}
	if toks[0].Dur != 5400e9 || toks[1].Dur != 250e6 || toks[2].Int != 42 || toks[3].Float != 0.25 {
		t.Errorf("values: %+v", toks)
	}
}

func TestLexPositions(t *testing.T) {
	toks, err := Lex("SELECT\n  a,\n\tbb")
	if err != nil {
		t.Fatal(err)
	}
	want := []Pos{{0, 1, 1}, {9, 2, 3}, {10, 2, 4}, {13, 3, 2}, {15, 3, 4}}
	for i, w := range want {
		if toks[i].Pos != w {
			t.Errorf("token %d %q at %+v, want %+v", i, toks[i].Text, toks[i].Pos, w)
		}
	}
}

func TestLexErrors(t *testing.T) {
	cases := []struct {
		src, msg string
		col      int
	}{
		{"'abc", "unterminated string", 1},
		{`a "b`, "unterminated quoted identifier", 3},
		{`""`, "empty quoted identifier", 1},
		{"a /* x", "unterminated comment", 3},
		{"a # b", "unexpected character '#'", 3},
		{"$x", "unexpected '$'", 1},
		{"5 5q", `invalid duration "5q"`, 3},
		{"99999999999999999999", "out of range", 1},
		{"1e999", "out of range", 1},
		{"12abc", "invalid duration", 1},
		{"1.5m", "invalid number", 1},
		{"'\xff'", "not valid UTF-8", 1},
	}
	for _, c := range cases {
		_, err := Lex(c.src)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: got %v, want an *Error", c.src, err)
			continue
		}
		if !strings.Contains(e.Msg, c.msg) || e.Pos.Column != c.col {
			t.Errorf("%q: got %q at column %d, want %q at column %d", c.src, e.Msg, e.Pos.Column, c.msg, c.col)
		}
	}
}
