package rollup_test

import (
	"strings"
	"testing"

	"github.com/heimsight/heimsight/pkg/rollup"
	"github.com/heimsight/heimsight/pkg/rollup/rolluptest"
)

func TestNormalizeCases(t *testing.T) {
	if len(rolluptest.Cases) < 40 {
		t.Fatalf("only %d cases", len(rolluptest.Cases))
	}
	for _, c := range rolluptest.Cases {
		if got := rollup.Normalize(c.In); got != c.Want {
			t.Errorf("Normalize(%q)\n got  %q\n want %q", c.In, got, c.Want)
		}
	}
}

// Normalizing a pattern changes nothing: placeholders contain no digits, quotes or hex runs,
// and text after a placeholder reads as after a word. (Not for arbitrary junk: "00fe80::1"
// has no word boundary before "fe80", "<NUM>fe80::1" has one.)
func TestNormalizeIdempotent(t *testing.T) {
	for _, c := range rolluptest.Cases {
		m := c.In
		once := rollup.Normalize(m)
		if twice := rollup.Normalize(once); twice != once {
			t.Errorf("not idempotent for %q:\n once  %q\n twice %q", m, once, twice)
		}
	}
}

// The trigger bytes only skip work: every rule applied without them gives the same result.
func TestNormalizeTriggers(t *testing.T) {
	for _, r := range rollup.Rules {
		if r.Trigger == "" {
			t.Errorf("rule %s has no trigger", r.Name)
		}
	}
	for _, m := range rolluptest.Generate(3000, 2) {
		if got, want := rollup.Normalize(m), rollup.NormalizeRegexp(m); got != want {
			t.Errorf("trigger skipped a match in %q: %q vs %q", m, got, want)
		}
	}
}

func TestSQLExprShape(t *testing.T) {
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	ch, err := rollup.SQLExpr(rollup.ClickHouse, "body", lit)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(ch, "replaceRegexpAll("); n != len(rollup.Rules) {
		t.Errorf("%d replaceRegexpAll calls, want %d", n, len(rollup.Rules))
	}
	dd, err := rollup.SQLExpr(rollup.DuckDB, "body", lit)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(dd, ", 'g')"); n != len(rollup.Rules) {
		t.Errorf("%d global regexp_replace calls, want %d", n, len(rollup.Rules))
	}
	if _, err := rollup.SQLExpr("sqlite", "body", lit); err == nil {
		t.Error("unknown dialect accepted")
	}
}

func BenchmarkNormalize(b *testing.B) {
	msgs := rolluptest.Generate(1000, 3)
	for _, c := range rolluptest.Cases {
		msgs = append(msgs, c.In)
	}
	var bytes int64
	for _, m := range msgs {
		bytes += int64(len(m))
	}
	b.SetBytes(bytes / int64(len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rollup.Normalize(msgs[i%len(msgs)])
	}
}

func BenchmarkNormalizeRegexp(b *testing.B) {
	msgs := rolluptest.Generate(1000, 3)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rollup.NormalizeRegexp(msgs[i%len(msgs)])
	}
}

func BenchmarkNormalizeTypical(b *testing.B) {
	msg := "Error at 2024-12-09T10:15:23Z: Connection to 192.168.1.1 failed (id: 12345)"
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rollup.Normalize(msg)
	}
}
