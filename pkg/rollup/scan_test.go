package rollup

import (
	"testing"

	"github.com/heimsight/heimsight/pkg/rollup/rolluptest"
)

// normalizeRegexp is the specification: Rules applied with Go's regexp.
func normalizeRegexp(msg string) string {
	for i := range compiled {
		msg = compiled[i].re.ReplaceAllString(msg, compiled[i].repl)
	}
	return msg
}

func TestScannerRulesAlign(t *testing.T) {
	if len(scanRules) != len(Rules) {
		t.Fatalf("%d matchers for %d rules", len(scanRules), len(Rules))
	}
}

// Each rule's matcher replaces exactly what its regexp replaces, alone and in the chain.
func TestScannerMatchesRegexp(t *testing.T) {
	msgs := rolluptest.Generate(20000, 7)
	for _, c := range rolluptest.Cases {
		msgs = append(msgs, c.In)
	}
	msgs = append(msgs, scannerEdgeCases...)
	bad := 0
	for _, m := range msgs {
		for r := range Rules {
			want := compiled[r].re.ReplaceAllString(m, compiled[r].repl)
			if got := apply(m, &scanRules[r], Rules[r].Placeholder); got != want {
				if bad++; bad <= 20 {
					t.Errorf("rule %s on %q:\n scan   %q\n regexp %q", Rules[r].Name, m, got, want)
				}
			}
		}
		if got, want := Normalize(m), normalizeRegexp(m); got != want {
			if bad++; bad <= 20 {
				t.Errorf("Normalize(%q):\n scan   %q\n regexp %q", m, got, want)
			}
		}
	}
}

var scannerEdgeCases = []string{
	"1:2:3:4:5:6:7:8:9", "a:b:1.2.3.4", "abcdef01:2:1.2.3.4", "123456789:1:2.3.4.5", "::", ":::1", "::1:2g", "::12345",
	"fe80::1:2:zz", "1::2::3", "a::b", "Abc::Def", "0:0:0:0:0:0:0:0:0", "1:2:3:4:5:6:7::8", "1:2:3:4:5:6:7:1.2.3.4",
	"::ffff:1.2.3.256", "x@a.com.b@c.org", "a@b.c", "a@b.co1", "a@b.com-x", "-.-@x.com", "a.@b.cc", "a@b..cc", "a@-.cc",
	"'", "''", "'''", "x'a'b'c'", `"'"'"`, ">'a'", "0x", "0xg", "0x1_", "12345678", "1234567a", "a1234567", "deadbeef_",
	"2024-12-09T10:15", "2024-12-09T10:15:2", "2024-12-09T10:15:23+01:", "2024-12-09T10:15:23+0", "2024-12-09 1",
	"Mon, 9 Dec 2024 10:15:23 +0100", "Mon, 123 Dec", "1/Dec/2024:10:15:23 +010", "Dec 1 10:15:23", "Dec   12 10:15:23",
	"2024/12/09 10:15:23,5", "10:15:23.", "-", "--5", "-5-5", "5e", "5e+", "5e+5", "1.2.3.", "1..2", ".5", ">5", "a.5",
	"00:11:22:33:44:55:66", "00-11-22-33-44-5", "550e8400-e29b-41d4-a716-4466554400001", "\xff\xfe5", "é5'x'",
	"256.1.1.1", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1.2.3.4a", "1.2.3.4_", "a1.2.3.4",
}

func FuzzScannerMatchesRegexp(f *testing.F) {
	for _, c := range rolluptest.Cases {
		f.Add(c.In)
	}
	for _, m := range scannerEdgeCases {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, m string) {
		if got, want := Normalize(m), normalizeRegexp(m); got != want {
			t.Errorf("Normalize(%q):\n scan   %q\n regexp %q", m, got, want)
		}
	})
}
