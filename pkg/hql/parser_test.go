package hql

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// stripPositions zeroes every Pos in a tree so trees parsed from different text compare equal.
func stripPositions(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stripPositions(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			stripPositions(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(Pos{}) {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			stripPositions(v.Field(i))
		}
	}
}

func sameTree(a, b Node) bool {
	stripPositions(reflect.ValueOf(a))
	stripPositions(reflect.ValueOf(b))
	return reflect.DeepEqual(a, b)
}

// roundTrip checks that src parses, prints, and re-parses to the same tree and the same text.
func roundTrip(t testing.TB, src string) *Select {
	t.Helper()
	s, err := Parse(src)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	printed := s.String()
	s2, err := Parse(printed)
	if err != nil {
		t.Fatalf("%q printed as %q, which does not parse: %v", src, printed, err)
	}
	if again := s2.String(); again != printed {
		t.Fatalf("%q: printing is not stable: %q then %q", src, printed, again)
	}
	if !sameTree(s, s2) {
		t.Fatalf("%q printed as %q re-parses to a different tree", src, printed)
	}
	return s
}

func TestParsePrint(t *testing.T) {
	cases := []struct{ src, want string }{
		{"select a from logs", "SELECT a FROM logs"},
		{"SELECT DISTINCT service FROM logs", "SELECT DISTINCT service FROM logs"},
		{"SELECT * FROM logs LIMIT 10 OFFSET 5;", "SELECT * FROM logs LIMIT 10 OFFSET 5"},
		{"SELECT a AS x, b y, c \"with space\" FROM t", `SELECT a AS x, b AS y, c AS "with space" FROM t`},
		{"SELECT \"from\" FROM \"my table\"", `SELECT "from" FROM "my table"`},
		{"SELECT a FROM t WHERE a = 1 AND b = 2 OR c = 3", "SELECT a FROM t WHERE a = 1 AND b = 2 OR c = 3"},
		{"SELECT a FROM t WHERE a = 1 AND (b = 2 OR c = 3)", "SELECT a FROM t WHERE a = 1 AND (b = 2 OR c = 3)"},
		{"SELECT (a + b) * c, a + b * c, a - (b - c), (a - b) - c FROM t", "SELECT (a + b) * c, a + b * c, a - (b - c), a - b - c FROM t"},
		{"SELECT -5, - 5, -x, - -5, -(a+b), 3 - -2, -(0), -(1.5) FROM t", "SELECT -5, -5, -x, -(-5), -(a + b), 3 - -2, -(0), -(1.5) FROM t"},
		{"SELECT a FROM t WHERE NOT a = 1 AND NOT (b OR c)", "SELECT a FROM t WHERE NOT a = 1 AND NOT (b OR c)"},
		{"SELECT a FROM t WHERE x <> 1 AND y != 2", "SELECT a FROM t WHERE x != 1 AND y != 2"},
		{"SELECT a FROM t WHERE a IN (1, 2) AND b NOT IN ('x') AND c BETWEEN 1 AND 2 AND d NOT BETWEEN 3 AND 4",
			"SELECT a FROM t WHERE a IN (1, 2) AND b NOT IN ('x') AND c BETWEEN 1 AND 2 AND d NOT BETWEEN 3 AND 4"},
		{"SELECT a FROM t WHERE a LIKE 'x%' AND b NOT ILIKE 'y' AND body CONTAINS 'e' AND body NOT CONTAINS 'f' AND c =~ '^a' AND d !~ 'b'",
			"SELECT a FROM t WHERE a LIKE 'x%' AND b NOT ILIKE 'y' AND body CONTAINS 'e' AND body NOT CONTAINS 'f' AND c =~ '^a' AND d !~ 'b'"},
		{"SELECT a FROM t WHERE a IS NULL AND b IS NOT NULL", "SELECT a FROM t WHERE a IS NULL AND b IS NOT NULL"},
		{"SELECT CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END, case x when 1 then 'a' end FROM t",
			"SELECT CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END, CASE x WHEN 1 THEN 'a' END FROM t"},
		{"SELECT count(*), count(DISTINCT a), quantile(0.95, d), now() FROM t", "SELECT count(*), count(DISTINCT a), quantile(0.95, d), now() FROM t"},
		{"SELECT attributes['http.method'], resource['it''s'] FROM t", "SELECT attributes['http.method'], resource['it''s'] FROM t"},
		{"SELECT 1.0, 2.5e10, 1e-7, 0.1 FROM t", "SELECT 1.0, 2.5e+10, 1e-07, 0.1 FROM t"},
		{"SELECT 60s, 1h30m, 1000ms, 0s, -5m FROM t", "SELECT 1m, 90m, 1s, 0s, -5m FROM t"},
		{"SELECT TRUE, false, NULL FROM t", "SELECT TRUE, FALSE, NULL FROM t"},
		{"SELECT a || 'x' FROM t", "SELECT a || 'x' FROM t"},
		{"SELECT $__timeGroup(timestamp, $__interval), $__interval_ms FROM t WHERE $__timeFilter(timestamp)",
			"SELECT $__timeGroup(timestamp, $__interval), $__interval_ms FROM t WHERE $__timeFilter(timestamp)"},
		{"SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1 ORDER BY a DESC, 2 ASC",
			"SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1 ORDER BY a DESC, 2"},
		{"SELECT (a = b) = c, (a IS NULL) = TRUE FROM t", "SELECT (a = b) = c, (a IS NULL) = TRUE FROM t"},
		{"SELECT a FROM t -- trailing comment", "SELECT a FROM t"},
		{"SELECT a FROM t OFFSET 3", "SELECT a FROM t OFFSET 3"},
	}
	for _, c := range cases {
		s := roundTrip(t, c.src)
		if got := s.String(); got != c.want {
			t.Errorf("%q\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}

func TestParseTree(t *testing.T) {
	s, err := Parse("SELECT a FROM logs WHERE a + 1 * 2 = 3 OR NOT b")
	if err != nil {
		t.Fatal(err)
	}
	want := Or(Eq(Add(Col("a"), Mul(Int(1), Int(2))), Int(3)), Not(Col("b")))
	if !sameTree(s.Where, want) {
		t.Errorf("got %s, want %s", s.Where, want)
	}
	d, _ := Parse("SELECT 1h30m FROM t")
	if v := d.Items[0].Expr.(*DurationLit).Value; v != 90*time.Minute {
		t.Errorf("duration %v", v)
	}
}

func TestParsePositions(t *testing.T) {
	s, err := Parse("SELECT a,\n  count(*)\nFROM logs\nWHERE x = 'y'")
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Items[1].Expr.Pos(); p.Line != 2 || p.Column != 3 {
		t.Errorf("call at %+v", p)
	}
	if p := s.From.Pos(); p.Line != 3 || p.Column != 6 {
		t.Errorf("table at %+v", p)
	}
	b := s.Where.(*Binary)
	if b.At.Line != 4 || b.At.Column != 7 || b.OpPos.Column != 9 || b.R.Pos().Column != 11 {
		t.Errorf("where at %+v op %+v r %+v", b.At, b.OpPos, b.R.Pos())
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src      string
		msg      string
		line     int
		col      int
		expected []string
	}{
		{"", "unexpected end of query; expected SELECT", 1, 1, []string{"SELECT"}},
		{"SELECT a", "unexpected end of query; expected ',' or FROM", 1, 9, []string{"','", "FROM"}},
		{"SELECT a FORM logs", "(did you mean FROM?)", 1, 10, nil},
		{"SELECT a FROM", "expected table name", 1, 14, nil},
		{"SELECT a FROM logs WHERE", "expected expression", 1, 25, nil},
		{"SELECT a FROM logs\nWHERE a = = 1", "unexpected '='", 2, 11, nil},
		{"SELECT a FROM logs GROUP a", "expected BY", 1, 26, nil},
		{"SELECT a FROM logs LIMIT x", "expected non-negative integer", 1, 26, nil},
		{"SELECT a FROM logs LIMIT -1", "expected non-negative integer", 1, 26, nil},
		{"SELECT f(a FROM logs", "expected ',' or ')'", 1, 12, nil},
		{"SELECT a FROM logs WHERE a = b = c", "unexpected '='", 1, 32, nil},
		{"SELECT attributes[1] FROM logs", "expected string key", 1, 19, nil},
		{"SELECT CASE END FROM t", "expected WHEN", 1, 13, nil},
		{"SELECT a FROM t WHERE a NOT = 1", "expected IN or BETWEEN", 1, 29, nil},
		{"SELECT a FROM t extra", "expected WHERE or GROUP BY or HAVING or ORDER BY or LIMIT or OFFSET or end of query", 1, 17, nil},
		{"SELECT a FROM t WHER a = 1", "(did you mean WHERE?)", 1, 17, nil},
		{"SELECT a FROM t WHERE a = 1 ORDR BY a", "expected GROUP BY or HAVING or ORDER BY or LIMIT or OFFSET or end of query (did you mean ORDER?)", 1, 29, nil},
		{"SELECT a FROM t LIMIT 1 LIMT 2", "expected OFFSET or end of query", 1, 25, nil},
		{"SELECT a FROM t; SELECT", "expected end of query", 1, 18, nil},
		{"SELECT count(DISTINCT *) FROM t", "expected expression", 1, 23, nil},
		{"SELECT " + strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100) + " FROM t", "nested too deeply", 1, 0, nil},
		{"SELECT " + strings.Repeat("- ", 100) + "a FROM t", "nested too deeply", 1, 0, nil},
		{"SELECT " + strings.Repeat("NOT ", 100) + "a FROM t", "nested too deeply", 1, 0, nil},
		{strings.Repeat(" ", MaxQueryLength+1), "too long", 1, 0, nil},
	}
	for _, c := range cases {
		_, err := Parse(c.src)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: got %v, want an *Error", c.src, err)
			continue
		}
		if !strings.Contains(e.Msg, c.msg) || e.Pos.Line != c.line || (c.col != 0 && e.Pos.Column != c.col) {
			t.Errorf("%q: got %q at %d:%d, want %q at %d:%d", c.src, e.Msg, e.Pos.Line, e.Pos.Column, c.msg, c.line, c.col)
		}
		if c.expected != nil && !reflect.DeepEqual(e.Expected, c.expected) {
			t.Errorf("%q: expected %v, want %v", c.src, e.Expected, c.expected)
		}
	}
}

func TestBuilderPrintsParsableHQL(t *testing.T) {
	q := SelectFrom("logs", Col("timestamp"), Col("body")).
		Column(Attr("attributes", "http.method"), "method").
		Filter(Eq(Col("service"), Str("check'out"))).
		Filter(nil).
		Filter(Or(Contains(Col("body"), Str("timeout")), Match(Col("body"), Str("^err")))).
		Filter(InStrings(Col("level"), "error", "fatal")).
		Filter(TimeFilter(Col("timestamp"))).
		SortBy(Desc(Col("timestamp"))).
		WithLimit(100).WithOffset(10)
	want := "SELECT timestamp, body, attributes['http.method'] AS method FROM logs WHERE service = 'check''out' AND (body CONTAINS 'timeout' OR body =~ '^err') AND level IN ('error', 'fatal') AND $__timeFilter(timestamp) ORDER BY timestamp DESC LIMIT 100 OFFSET 10"
	if got := q.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	roundTrip(t, q.String())
	agg := SelectFrom("spans").GroupOn(Col("service")).HavingFilter(Gt(CountAll(), Int(1))).WithDistinct()
	agg.Items = []*SelectItem{{Expr: Col("service")}, {Expr: TimeGroup(Col("timestamp"))}, {Expr: Neg(Int(5))}, {Expr: Neg(Col("x"))}}
	if got, want := agg.String(), "SELECT DISTINCT service, $__timeGroup(timestamp, $__interval), -5, -x FROM spans GROUP BY service HAVING count(*) > 1"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	c := CaseWhen(Str("other"), WhenThen(Gt(Col("x"), TimeFrom()), Str("late")), WhenThen(Lt(Col("x"), TimeTo()), Interval()))
	if got, want := c.String(), "CASE WHEN x > $__timeFrom THEN 'late' WHEN x < $__timeTo THEN $__interval ELSE 'other' END"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if And() != nil || And(nil, nil) != nil {
		t.Error("And of nothing should be nil")
	}
}

func TestDesignExamplesParse(t *testing.T) {
	for _, q := range designExamples {
		roundTrip(t, q)
	}
}

// designExamples are the original design's example queries; they must run verbatim.
var designExamples = []string{
	"SELECT timestamp, avg FROM metrics_1hour WHERE name = 'cpu_usage' LIMIT 100",
	"SELECT * FROM logs_1day_counts WHERE level = 'error' LIMIT 30",
	"SELECT timestamp, service, operation, p95_duration_ns / 1000000 as p95_ms FROM spans_1hour_stats LIMIT 100",
	"SELECT service, operation, avg(p99_duration_ns) / 1000000 as p99_ms FROM spans_1day_stats GROUP BY service, operation ORDER BY p99_ms DESC LIMIT 10",
}
