package hql

import (
	"os"
	"path/filepath"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	for _, q := range designExamples {
		f.Add(q)
	}
	files, _ := filepath.Glob("testdata/*.hql")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	for _, q := range []string{
		"SELECT -(-5), - -5m, 1.5e3, NOT NOT a FROM t",
		"SELECT \"a\"\"b\" FROM `c` WHERE x IN (1, 'a', NULL) AND y BETWEEN 1 AND 2",
		"SELECT CASE x WHEN 1 THEN 2 END, $__timeFrom FROM logs",
		"SELECT a b, c FROM t /* c */ -- d",
		"select count(distinct a) from t order by 1 desc limit 1 offset 2;",
	} {
		f.Add(q)
	}
}

// FuzzLex: the lexer never panics and always makes progress.
func FuzzLex(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		toks, err := Lex(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is %T, not *Error", err)
			}
			return
		}
		prev := -1
		for _, tk := range toks {
			if tk.Pos.Offset <= prev && tk.Kind != TokEOF {
				t.Fatalf("no progress at %d", tk.Pos.Offset)
			}
			prev = tk.Pos.Offset
		}
	})
}

// FuzzParse: the parser never panics; every accepted query prints to text that parses to the
// same tree and prints identically; planning an accepted query never panics.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	cat := DefaultCatalog()
	_ = cat.EnableTiers()
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is %T, not *Error", err)
			}
			return
		}
		printed := s.String()
		s2, err := Parse(printed)
		if err != nil {
			t.Fatalf("%q printed as %q, which fails: %v", src, printed, err)
		}
		if again := s2.String(); again != printed {
			t.Fatalf("%q: unstable printing %q vs %q", src, printed, again)
		}
		if !sameTree(s, s2) {
			t.Fatalf("%q printed as %q re-parses to another tree", src, printed)
		}
		_, _ = Plan(s2, cat, Params{From: t0, To: t0 + 1e9, Interval: 1e9, Now: t0})
	})
}
