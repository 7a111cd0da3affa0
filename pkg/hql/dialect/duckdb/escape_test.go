package duckdb_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
)

var hostile = []string{
	"", "plain", "it's", "''", `\`, `\'`, `\\'`, "x'; DROP TABLE logs; --", "a`b\"c", "?", "$1",
	"line\nbreak\ttab\rcr", "bell\a\b\f\v\x1b\x7f", "/* comment */", "-- comment", "é漢字🙂", "E'\\x41'",
}

// TestQuoteStringThroughDuckDB asks DuckDB itself to read back every escaped string.
func TestQuoteStringThroughDuckDB(t *testing.T) {
	db := openDB(t)
	strs := append([]string(nil), hostile...)
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("a'\"\\`$?;-/*\n\t\r é🙂{}()")
	for i := 0; i < 200; i++ {
		var b strings.Builder
		for j := r.IntN(12); j >= 0; j-- {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		strs = append(strs, b.String())
	}
	for _, s := range strs {
		lit, err := duckdb.QuoteString(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var got string
		if err := db.QueryRow("SELECT " + lit).Scan(&got); err != nil {
			t.Fatalf("%q as %s: %v", s, lit, err)
		}
		if got != s {
			t.Errorf("%q as %s reads back as %q", s, lit, got)
		}
	}
	for _, bad := range []string{"nul\x00", "\xff"} {
		if _, err := duckdb.QuoteString(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := (duckdb.Dialect{}).QuoteIdent(`a"b`); got != `"a""b"` {
		t.Errorf("QuoteIdent: %s", got)
	}
}
