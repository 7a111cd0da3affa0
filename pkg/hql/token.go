package hql

import (
	"slices"
	"strings"
)

// Pos is a position in HQL source text. Offset is a 0-based byte offset; Line and Column are
// 1-based, Column counting bytes, so an editor can underline the exact spot.
type Pos struct {
	Offset int
	Line   int
	Column int
}

// IsValid reports whether the position was set (nodes built from Go have no position).
func (p Pos) IsValid() bool { return p.Line > 0 }

// TokenKind is the lexical class of a token.
type TokenKind uint8

// The token kinds.
const (
	TokEOF TokenKind = iota
	TokIdent
	TokQuotedIdent
	TokKeyword
	TokString
	TokInt
	TokFloat
	TokDuration
	TokMacro // $__name
	TokOp    // punctuation and operators
)

var tokenKindNames = [...]string{"end of query", "identifier", "quoted identifier", "keyword",
	"string", "integer", "number", "duration", "macro", "operator"}

func (k TokenKind) String() string {
	if int(k) < len(tokenKindNames) {
		return tokenKindNames[k]
	}
	return "token"
}

// Token is one lexical token. Text is the keyword in upper case, the operator, the identifier as
// written (unquoted), or the decoded string; Int, Float and Dur hold numeric values.
type Token struct {
	Kind  TokenKind
	Pos   Pos
	Text  string
	Int   int64
	Float float64
	Dur   int64 // nanoseconds
	End   int   // byte offset just past the token
}

// keywords are reserved: they cannot be used as bare identifiers (quote them: "from").
// Function names are deliberately not keywords, so that tier columns such as avg, min, max and
// count stay usable as plain column names.
var keywords = map[string]bool{
	"SELECT": true, "DISTINCT": true, "AS": true, "FROM": true, "WHERE": true, "GROUP": true,
	"BY": true, "HAVING": true, "ORDER": true, "ASC": true, "DESC": true, "LIMIT": true,
	"OFFSET": true, "AND": true, "OR": true, "NOT": true, "IN": true, "BETWEEN": true,
	"LIKE": true, "ILIKE": true, "IS": true, "NULL": true, "TRUE": true, "FALSE": true,
	"CASE": true, "WHEN": true, "THEN": true, "ELSE": true, "END": true, "CONTAINS": true,
}

// keywordText maps each keyword to itself, so the lexer gets a canonical string without
// allocating.
var keywordText = func() map[string]string {
	m := make(map[string]string, len(keywords))
	for k := range keywords {
		m[k] = k
	}
	return m
}()

// IsKeyword reports whether s (any case) is a reserved HQL keyword.
func IsKeyword(s string) bool { return keywords[strings.ToUpper(s)] }

// Keywords returns the reserved words, sorted, for editors' autocomplete.
func Keywords() []string {
	out := make([]string, 0, len(keywords))
	for k := range keywords {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
