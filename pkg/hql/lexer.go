package hql

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// lexer turns source text into tokens on demand. It never panics on any input: invalid input
// yields an *Error.
type lexer struct {
	src  string
	off  int
	line int
	col  int // 1-based byte column of off
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) pos() Pos { return Pos{Offset: l.off, Line: l.line, Column: l.col} }

func (l *lexer) advance(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

func (l *lexer) peekByte(k int) byte {
	if l.off+k < len(l.src) {
		return l.src[l.off+k]
	}
	return 0
}

// skipSpace skips white space and comments (-- to end of line, /* ... */).
func (l *lexer) skipSpace() error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			l.advance(1)
		case c == '-' && l.peekByte(1) == '-':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
		case c == '/' && l.peekByte(1) == '*':
			p := l.pos()
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				return errorf(p, "unterminated comment")
			}
			l.advance(end + 4)
		default:
			return nil
		}
	}
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next returns the next token.
func (l *lexer) next() (Token, error) {
	if err := l.skipSpace(); err != nil {
		return Token{}, err
	}
	p := l.pos()
	if l.off >= len(l.src) {
		return Token{Kind: TokEOF, Pos: p, End: l.off}, nil
	}
	c := l.src[l.off]
	start := l.off
	switch {
	case isIdentStart(c):
		for l.off < len(l.src) && isIdentPart(l.src[l.off]) {
			l.advance(1)
		}
		word := l.src[start:l.off]
		if kw := keywordOf(word); kw != "" {
			return Token{Kind: TokKeyword, Pos: p, Text: kw, End: l.off}, nil
		}
		return Token{Kind: TokIdent, Pos: p, Text: word, End: l.off}, nil
	case c == '$':
		if l.peekByte(1) != '_' || l.peekByte(2) != '_' || !isIdentStart(l.peekByte(3)) {
			return Token{}, errorf(p, "unexpected '$': only Grafana macros such as $__timeFilter(timestamp) start with '$'")
		}
		l.advance(3)
		for l.off < len(l.src) && isIdentPart(l.src[l.off]) {
			l.advance(1)
		}
		return Token{Kind: TokMacro, Pos: p, Text: l.src[start:l.off], End: l.off}, nil
	case isDigit(c) || (c == '.' && isDigit(l.peekByte(1))):
		return l.number(p)
	case c == '\'':
		return l.str(p)
	case c == '"' || c == '`':
		return l.quotedIdent(p, c)
	}
	// Operators, longest first.
	for _, op := range operators {
		if strings.HasPrefix(l.src[l.off:], op) {
			l.advance(len(op))
			return Token{Kind: TokOp, Pos: p, Text: op, End: l.off}, nil
		}
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return Token{}, errorf(p, "unexpected character %q", r)
}

var operators = []string{"<>", "!=", "<=", ">=", "=~", "!~", "||", "(", ")", "[", "]", ",", ";", "*",
	"+", "-", "/", "%", "=", "<", ">"}

// durationUnits maps a duration suffix to nanoseconds.
var durationUnits = map[string]int64{
	"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9, "d": 86400e9, "w": 7 * 86400e9,
}

func (l *lexer) number(p Pos) (Token, error) {
	start := l.off
	for l.off < len(l.src) && isDigit(l.src[l.off]) {
		l.advance(1)
	}
	isFloat := false
	if l.off < len(l.src) && l.src[l.off] == '.' && isDigit(l.peekByte(1)) {
		isFloat = true
		l.advance(1)
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.advance(1)
		}
	} else if l.off < len(l.src) && l.src[l.off] == '.' && start < l.off && !isIdentStart(l.peekByte(1)) {
		// "1." is a float, as in SQL.
		isFloat = true
		l.advance(1)
	}
	if l.off < len(l.src) && (l.src[l.off] == 'e' || l.src[l.off] == 'E') {
		k := 1
		if b := l.peekByte(1); b == '+' || b == '-' {
			k = 2
		}
		if isDigit(l.peekByte(k)) {
			isFloat = true
			l.advance(k)
			for l.off < len(l.src) && isDigit(l.src[l.off]) {
				l.advance(1)
			}
		}
	}
	text := l.src[start:l.off]
	// A duration: integer immediately followed by a unit, possibly compound (1h30m).
	if !isFloat && l.off < len(l.src) && (isIdentStart(l.src[l.off]) || strings.HasPrefix(l.src[l.off:], "µ")) {
		return l.duration(p, start)
	}
	if l.off < len(l.src) && isIdentStart(l.src[l.off]) {
		return Token{}, errorf(p, "invalid number %q", l.src[start:l.off+1])
	}
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(f, 0) {
			return Token{}, errorf(p, "number %s is out of range", text)
		}
		return Token{Kind: TokFloat, Pos: p, Text: text, Float: f, End: l.off}, nil
	}
	i, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return Token{}, errorf(p, "integer %s is out of range", text)
	}
	return Token{Kind: TokInt, Pos: p, Text: text, Int: i, End: l.off}, nil
}

// duration lexes <int><unit>[<int><unit>...] starting at start (the digits of the first
// component are already consumed).
func (l *lexer) duration(p Pos, start int) (Token, error) {
	l.off, l.line, l.col = start, p.Line, p.Column
	var total int64
	for {
		ds := l.off
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.advance(1)
		}
		n, err := strconv.ParseInt(l.src[ds:l.off], 10, 64)
		if err != nil {
			return Token{}, errorf(p, "duration %s is out of range", l.src[start:l.off])
		}
		us := l.off
		for l.off < len(l.src) && (isIdentStart(l.src[l.off]) || strings.HasPrefix(l.src[l.off:], "µ")) {
			if l.src[l.off] == 0xc2 { // first byte of µ
				l.advance(2)
			} else {
				l.advance(1)
			}
		}
		unit := l.src[us:l.off]
		mult, ok := durationUnits[unit]
		if !ok {
			return Token{}, errorf(p, "invalid duration %q: units are ns, us, ms, s, m, h, d, w", l.src[start:l.off])
		}
		if n != 0 && mult > math.MaxInt64/n || total > math.MaxInt64-n*mult {
			return Token{}, errorf(p, "duration %s is out of range", l.src[start:l.off])
		}
		total += n * mult
		if l.off >= len(l.src) || !isDigit(l.src[l.off]) {
			break
		}
	}
	if l.off < len(l.src) && (isIdentPart(l.src[l.off]) || l.src[l.off] == '.') {
		return Token{}, errorf(p, "invalid duration %q", l.src[start:l.off+1])
	}
	return Token{Kind: TokDuration, Pos: p, Text: l.src[start:l.off], Dur: total, End: l.off}, nil
}

func (l *lexer) str(p Pos) (Token, error) {
	l.advance(1)
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return Token{}, errorf(p, "unterminated string")
		}
		c := l.src[l.off]
		if c == '\'' {
			if l.peekByte(1) == '\'' {
				b.WriteByte('\'')
				l.advance(2)
				continue
			}
			l.advance(1)
			break
		}
		b.WriteByte(c)
		l.advance(1)
	}
	s := b.String()
	if !utf8.ValidString(s) {
		return Token{}, errorf(p, "string is not valid UTF-8")
	}
	return Token{Kind: TokString, Pos: p, Text: s, End: l.off}, nil
}

func (l *lexer) quotedIdent(p Pos, q byte) (Token, error) {
	l.advance(1)
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return Token{}, errorf(p, "unterminated quoted identifier")
		}
		c := l.src[l.off]
		if c == q {
			if l.peekByte(1) == q {
				b.WriteByte(q)
				l.advance(2)
				continue
			}
			l.advance(1)
			break
		}
		b.WriteByte(c)
		l.advance(1)
	}
	s := b.String()
	if s == "" {
		return Token{}, errorf(p, "empty quoted identifier")
	}
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return Token{}, errorf(p, "quoted identifier is not valid UTF-8 text")
	}
	return Token{Kind: TokQuotedIdent, Pos: p, Text: s, End: l.off}, nil
}

// Lex returns all tokens of src up to and including TokEOF. Exposed for editors (syntax
// highlighting) and tests.
func Lex(src string) ([]Token, error) {
	l := newLexer(src)
	var out []Token
	for {
		t, err := l.next()
		if err != nil {
			return out, err
		}
		out = append(out, t)
		if t.Kind == TokEOF {
			return out, nil
		}
	}
}

// keywordOf returns the canonical (upper-case) keyword for word, or "". It avoids allocating:
// every identifier of every query passes through here.
func keywordOf(word string) string {
	var buf [8]byte
	if len(word) > len(buf) {
		return ""
	}
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	return keywordText[string(buf[:len(word)])]
}
