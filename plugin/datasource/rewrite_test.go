package datasource

import (
	"testing"
	"unicode/utf8"

	"github.com/heimsight/heimsight/pkg/hql"
)

// hostile are values that would change a query's meaning if they were pasted into its text.
var hostile = []string{
	`x' OR '1'='1`,
	`'; SELECT * FROM spans --`,
	`x'') OR (''1''=''1`,
	`\' OR 1=1 --`,
	`a" OR "b"="b`,
	"x' /* */ OR service != '",
	"line1\nline2' OR TRUE --",
	`$__timeFilter(timestamp)`,
	`${svc}`,
	`)) OR ((1=1`,
	`é'ü OR 'ß`,
}

func parseText(t *testing.T, text string) *hql.Select {
	t.Helper()
	sel, err := hql.Parse(text)
	if err != nil {
		t.Fatalf("the produced query does not parse: %v\n%s", err, text)
	}
	return sel
}

// TestVariablesCannotChangeQuery substitutes hostile template variable values and ad hoc filter
// values into a free HQL query, parses what would be sent and checks that the tree is exactly the
// intended one: the same operators and columns, with each value as one string literal.
func TestVariablesCannotChangeQuery(t *testing.T) {
	for _, v := range hostile {
		m := &QueryModel{
			QueryType: QueryTypeHQL,
			HQL:       "SELECT body FROM logs WHERE service = $svc AND level IN (${lvl}, 'warn') AND body != '$svc'",
			Variables: map[string][]string{"svc": {v}, "lvl": {v, "error"}},
			AdhocFilters: []Filter{
				{Key: "attributes.http.route", Operator: "=", Value: v},
				{Key: "service", Operator: "=|", Values: []string{v, "b"}},
				{Key: "body", Operator: "=~", Value: v},
			},
		}
		b, err := m.build()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		got := parseText(t, b.Text)
		want := hql.SelectFrom("logs", hql.Col("body")).
			Filter(hql.Eq(hql.Col("service"), hql.Str(v))).
			Filter(hql.InList(hql.Col("level"), hql.Str(v), hql.Str("error"), hql.Str("warn"))).
			Filter(hql.Ne(hql.Col("body"), hql.Str("$svc"))).
			Filter(hql.And(
				hql.Eq(hql.Attr("attributes", "http.route"), hql.Str(v)),
				hql.InStrings(hql.Col("service"), v, "b"),
				hql.Match(hql.Col("body"), hql.Str(v))))
		if got.String() != want.String() {
			t.Errorf("value %q changed the query:\n got: %s\nwant: %s", v, got, want)
		}
		// Check the literal nodes themselves, not only the printed form.
		lits := stringLiterals(got.Where)
		wantLits := []string{v, v, "error", "warn", "$svc", v, v, "b", v}
		if len(lits) != len(wantLits) {
			t.Fatalf("value %q: literals %q, want %q", v, lits, wantLits)
		}
		for i := range lits {
			if lits[i] != wantLits[i] {
				t.Errorf("value %q: literal %d is %q, want %q", v, i, lits[i], wantLits[i])
			}
		}
		mustPlan(t, b.Text)
	}
}

// TestBuilderValuesCannotChangeQuery does the same for builder fields and filter keys.
func TestBuilderValuesCannotChangeQuery(t *testing.T) {
	for _, v := range hostile {
		m := &QueryModel{QueryType: QueryTypeLogs, Service: v, Search: v,
			Filters: []Filter{{Key: "resource.k8s.pod.name", Operator: "!=", Value: v}, {Key: v, Operator: "=", Value: "x"}}}
		b, err := m.build()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		got := parseText(t, b.Text)
		want := hql.SelectFrom("logs", logColumns()...).
			Filter(hql.TimeFilter(hql.Col("timestamp"))).
			Filter(hql.Eq(hql.Col("service"), hql.Str(v))).
			Filter(hql.Ne(hql.Attr("resource", "k8s.pod.name"), hql.Str(v))).
			Filter(hql.Eq(hql.Col(v), hql.Str("x"))).
			Filter(hql.Contains(hql.Col("body"), hql.Str(v))).
			SortBy(hql.Desc(hql.Col("timestamp"))).WithLimit(defaultLogsLimit)
		if got.String() != want.String() {
			t.Errorf("value %q changed the query:\n got: %s\nwant: %s", v, got, want)
		}
		// A hostile key stays one identifier, which the planner rejects as an unknown column.
		if _, err := hql.Plan(got, hql.DefaultCatalog(), planParams); err == nil && v != "service" {
			t.Errorf("key %q planned without error", v)
		}
	}
}

// stringLiterals lists the string literals of e in source order.
func stringLiterals(e hql.Expr) []string {
	var out []string
	var walk func(hql.Expr)
	walk = func(e hql.Expr) {
		switch n := e.(type) {
		case *hql.StringLit:
			out = append(out, n.Value)
		case *hql.Binary:
			walk(n.L)
			walk(n.R)
		case *hql.Unary:
			walk(n.X)
		case *hql.In:
			walk(n.X)
			for _, x := range n.List {
				walk(x)
			}
		case *hql.Call:
			for _, x := range n.Args {
				walk(x)
			}
		case *hql.Macro:
			for _, x := range n.Args {
				walk(x)
			}
		}
	}
	walk(e)
	return out
}

func TestMarkVariables(t *testing.T) {
	cases := map[string]string{
		"SELECT * FROM logs WHERE service = $svc":                      "SELECT * FROM logs WHERE service = $__var_svc",
		"WHERE a IN (${a}, ${b:csv}) AND $__timeFilter(timestamp)":     "WHERE a IN ($__var_a, $__var_b) AND $__timeFilter(timestamp)",
		"WHERE body = '$svc' AND \"$col\" = 1 -- $x\n AND /* $y */ $z": "WHERE body = '$svc' AND \"$col\" = 1 -- $x\n AND /* $y */ $__var_z",
		"WHERE x = 'it''s $a' AND y = $b":                              "WHERE x = 'it''s $a' AND y = $__var_b",
		"cost $ 5":                                                     "cost $ 5",
	}
	for in, want := range cases {
		if got := markVariables(in); got != want {
			t.Errorf("markVariables(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestVariableErrors(t *testing.T) {
	for _, c := range []struct {
		hql  string
		vars map[string][]string
	}{
		{"SELECT body FROM logs WHERE service = $svc", map[string][]string{"svc": {"a", "b"}}},
		{"SELECT body FROM logs WHERE service = $missing", nil},
		{"SELECT body FROM logs WHERE service = $svc(1)", map[string][]string{"svc": {"a"}}},
	} {
		m := &QueryModel{QueryType: QueryTypeHQL, HQL: c.hql, Variables: c.vars}
		_, err := m.build()
		if _, ok := err.(*UserError); !ok {
			t.Errorf("%q: error %v, want a UserError", c.hql, err)
		}
	}
}

// FuzzVariableValues checks for any template variable and ad hoc filter value that the query
// sent parses and holds the value as exactly one string literal in the intended place.
func FuzzVariableValues(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			// Query models arrive as JSON, whose decoding replaces invalid UTF-8; HQL rejects it.
			t.Skip()
		}
		m := &QueryModel{QueryType: QueryTypeHQL, HQL: "SELECT body FROM logs WHERE service = $svc",
			Variables:    map[string][]string{"svc": {v}},
			AdhocFilters: []Filter{{Key: "attributes.k", Operator: "!=", Value: v}}}
		b, err := m.build()
		if err != nil {
			t.Fatal(err)
		}
		sel, err := hql.Parse(b.Text)
		if err != nil {
			t.Fatalf("%q: produced query does not parse: %v\n%s", v, err, b.Text)
		}
		want := hql.SelectFrom("logs", hql.Col("body")).
			Filter(hql.Eq(hql.Col("service"), hql.Str(v))).
			Filter(hql.Ne(hql.Attr("attributes", "k"), hql.Str(v)))
		if sel.String() != want.String() {
			t.Fatalf("%q changed the query:\n got %s\nwant %s", v, sel, want)
		}
		if lits := stringLiterals(sel.Where); len(lits) != 2 || lits[0] != v || lits[1] != v {
			t.Fatalf("%q: literals %q", v, lits)
		}
	})
}
