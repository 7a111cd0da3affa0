package hql

import (
	"fmt"
	"strings"
)

// Error is a parse, type or planning error in an HQL query. It carries the position of the
// offending text and, for syntax errors, what the parser expected there, so an API can answer 400
// with line, column and a useful message.
type Error struct {
	Pos      Pos
	Msg      string
	Expected []string // e.g. ["FROM", "','"]; empty when not a syntax error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos.IsValid() {
		fmt.Fprintf(&b, "line %d, column %d: ", e.Pos.Line, e.Pos.Column)
	}
	b.WriteString(e.Msg)
	return b.String()
}

func errorf(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// suggest returns the candidates closest to name by edit distance (comparing against the whole
// candidate and against its first underscore-separated word, so "sevrity" finds
// "severity_text"), or nil when none is close enough to be a plausible typo.
func suggest(name string, candidates []string) []string {
	ln := strings.ToLower(name)
	limit := 2
	if len(name) <= 3 {
		limit = 1
	}
	if len(name) >= 8 {
		limit = 3
	}
	var best []string
	bestD := limit + 1
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(ln, lc)
		if i := strings.IndexByte(lc, '_'); i > 0 && !strings.HasPrefix(lc, "$") {
			d = min(d, editDistance(ln, lc[:i])+1)
		}
		switch {
		case d < bestD:
			best, bestD = []string{c}, d
		case d == bestD && len(best) < 3:
			best = append(best, c)
		}
	}
	return best
}

func didYouMean(name string, candidates []string) string {
	s := suggest(name, candidates)
	if len(s) == 0 {
		return ""
	}
	q := make([]string, len(s))
	for i, c := range s {
		q[i] = "'" + c + "'"
	}
	return "; did you mean " + strings.Join(q, " or ") + "?"
}

// editDistance is the Damerau (optimal string alignment) distance, so transpositions such as
// "sevrity" → "severity" count as cheap typos.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
