package hql

import (
	"strings"
	"testing"
	"time"
)

const t0 = int64(1704067200) * 1e9 // 2024-01-01T00:00:00Z

func mustPlan(t *testing.T, src string, cat *Catalog, p Params) *QueryPlan {
	t.Helper()
	s, err := Parse(src)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	pl, err := Plan(s, cat, p)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	return pl
}

func TestPlanErrors(t *testing.T) {
	cases := []struct {
		src  string
		msg  string
		line int
		col  int
	}{
		{"SELECT * FROM logz", "unknown table 'logz'; did you mean 'logs'?", 1, 15},
		{"SELECT * FROM logs WHERE sevrity = 3", "unknown column 'sevrity' in table logs; did you mean 'severity_text' or 'severity_number'?", 1, 26},
		{"SELECT servce FROM logs", "unknown column 'servce' in table logs; did you mean 'service'?", 1, 8},
		{"SELECT qqq FROM logs", "unknown column 'qqq' in table logs", 1, 8},
		{"SELECT body\nFROM logs\nWHERE severity_number = 'x'", "'=' cannot compare int with string (attribute values are strings", 3, 25},
		{"SELECT * FROM logs WHERE attributes['code'] = 500", "cannot compare string with int", 1, 47},
		{"SELECT * FROM logs WHERE body", "WHERE needs a boolean condition, not string", 1, 26},
		{"SELECT * FROM logs WHERE count(*) > 1", "aggregate function count is not allowed in WHERE", 1, 26},
		{"SELECT sum(count(*)) FROM logs", "aggregate functions cannot be nested", 1, 12},
		{"SELECT service, count(*) FROM logs", "column 'service' must appear in GROUP BY", 1, 8},
		{"SELECT body, count(*) FROM logs GROUP BY service", "column 'body' must appear in GROUP BY", 1, 8},
		{"SELECT attributes['a'], count(*) FROM logs GROUP BY service", "column 'attributes['a']' must appear in GROUP BY", 1, 8},
		{"SELECT lenght(body) FROM logs", "unknown function 'lenght'; did you mean 'length'?", 1, 8},
		{"SELECT length(severity_number) FROM logs", "argument of length must be a string, not int", 1, 15},
		{"SELECT length() FROM logs", "wrong number of arguments to length: 0", 1, 8},
		{"SELECT quantile(1.5, duration_ns) FROM spans", "quantile level must be between 0 and 1", 1, 17},
		{"SELECT quantile(x, duration_ns) FROM spans", "unknown column 'x'", 1, 17},
		{"SELECT quantile(duration_ns, 0.5) FROM spans", "argument of quantile must be a constant number", 1, 17},
		{"SELECT bucket(timestamp, 'abc') FROM logs", "cannot use 'abc' as a duration", 1, 26},
		{"SELECT bucket(timestamp, 0s) FROM logs", "needs a positive duration", 1, 26},
		{"SELECT bucket(body, 1m) FROM logs", "argument of bucket must be a timestamp", 1, 15},
		{"SELECT * FROM logs WHERE timestamp > 'yesterday'", "cannot use 'yesterday' as a timestamp", 1, 38},
		{"SELECT * FROM logs WHERE timestamp > 5", "cannot compare timestamp with int (write a time as", 1, 38},
		{"SELECT body['x'] FROM logs", "column 'body' is a string, not a map", 1, 8},
		{"SELECT nope['x'] FROM logs", "unknown column 'nope'", 1, 8},
		{"SELECT * FROM logs WHERE $__timeFiltre(timestamp)", "unknown macro $__timeFiltre; did you mean '$__timeFilter'?", 1, 26},
		{"SELECT * FROM logs WHERE $__timeFilter(body)", "$__timeFilter needs a timestamp column", 1, 40},
		{"SELECT * FROM logs WHERE $__timeFilter()", "$__timeFilter takes 1 argument(s)", 1, 26},
		{"SELECT $__interval FROM logs", "$__interval needs a query interval", 1, 8},
		{"SELECT $__timeFrom FROM logs", "$__timeFrom needs a query time range", 1, 8},
		{"SELECT body FROM logs ORDER BY 3", "ORDER BY position 3 is not in the select list (1..1)", 1, 32},
		{"SELECT body FROM logs ORDER BY attributes", "cannot order by a map", 1, 32},
		{"SELECT events FROM spans GROUP BY events", "cannot group by a list", 1, 35},
		{"SELECT count(*) AS n FROM logs GROUP BY n", "cannot group by 'n': it is an aggregate", 1, 41},
		{"SELECT DISTINCT service FROM logs ORDER BY body", "ORDER BY terms must appear in the select list", 1, 44},
		{"SELECT upper(*) FROM logs", "upper does not take '*'", 1, 8},
		{"SELECT sum(DISTINCT severity_number) FROM logs", "sum does not take DISTINCT", 1, 8},
		{"SELECT CASE WHEN TRUE THEN 1 ELSE 'x' END FROM logs", "CASE results must have one type", 1, 35},
		{"SELECT if(TRUE, 1, 'x') FROM logs", "arguments of if must have one type", 1, 20},
		{"SELECT body + 1 FROM logs", "cannot apply '+' to string and int", 1, 13},
		{"SELECT * FROM logs WHERE NOT body", "NOT needs a boolean", 1, 26},
		{"SELECT * FROM logs WHERE body LIKE 5", "LIKE needs string operands", 1, 31},
		{"SELECT timestamp, avg FROM metrics_1hour WHERE name = 'cpu_usage' LIMIT 100", "table metrics_1hour is an aggregation tier that this server does not build yet", 1, 28},
		{"SELECT 'x' AS k, count(*) FROM logs GROUP BY k", "cannot group by a constant", 1, 46},
		{"SELECT body FROM logs ORDER BY 'x'", "cannot order by a constant", 1, 32},
		{"SELECT service, count(*) FROM logs GROUP BY 3", "GROUP BY position 3 is not in the select list (1..2)", 1, 45},
		{"SELECT service, count(*) FROM logs GROUP BY 2", "cannot group by position 2: it is an aggregate", 1, 45},
		{"SELECT service, lower(service) AS service FROM logs", "duplicate output column name 'service'", 1, 17},
		{"SELECT service AS s, body AS S FROM logs", "differ only in case", 1, 22},
		{"SELECT * FROM logs_1day_counts WHERE levl = 'error'", "unknown column 'levl' in table logs_1day_counts; did you mean 'level'?", 1, 38},
	}
	for _, c := range cases {
		s, err := Parse(c.src)
		if err != nil {
			t.Errorf("%q: parse: %v", c.src, err)
			continue
		}
		_, err = Plan(s, DefaultCatalog(), Params{Now: t0})
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: got %v, want an *Error", c.src, err)
			continue
		}
		if !strings.Contains(e.Msg, c.msg) || (c.line != 0 && (e.Pos.Line != c.line || e.Pos.Column != c.col)) {
			t.Errorf("%q:\n got %q at %d:%d\nwant %q at %d:%d", c.src, e.Msg, e.Pos.Line, e.Pos.Column, c.msg, c.line, c.col)
		}
	}
}

func TestPlanTiers(t *testing.T) {
	cat := DefaultCatalog()
	for _, q := range designExamples {
		s, _ := Parse(q)
		_, err := Plan(s, cat, Params{})
		if err == nil || !strings.Contains(err.Error(), "is an aggregation tier that this server does not build yet") {
			t.Errorf("%q: got %v, want the tier refusal", q, err)
		}
	}
	if err := cat.EnableTiers("spans_1day_stats", "spans_1hour_stats"); err != nil {
		t.Fatal(err)
	}
	if err := cat.EnableTiers("logs"); err == nil {
		t.Error("enabling a raw table as a tier should fail")
	}
	p := mustPlan(t, designExamples[3], cat, Params{})
	if p.Limit != 10 || len(p.Columns) != 3 || p.Columns[2] != (OutputColumn{"p99_ms", TypeFloat}) || !p.Aggregate {
		t.Errorf("plan: %+v", p)
	}
	if err := cat.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	for _, q := range designExamples {
		mustPlan(t, q, cat, Params{})
	}
	// A fresh catalog is not affected.
	s, _ := Parse(designExamples[0])
	if _, err := Plan(s, DefaultCatalog(), Params{}); err == nil {
		t.Error("DefaultCatalog must return a new catalog with tiers off")
	}
	star := mustPlan(t, designExamples[1], cat, Params{})
	if got := strings.Join(star.Table.ColumnNames(), ","); got != "timestamp,level,service,pattern,count" || len(star.Columns) != 5 {
		t.Errorf("logs_1day_counts columns %s", got)
	}
}

func TestPlanOutputs(t *testing.T) {
	p := mustPlan(t, `SELECT timestamp, level, attributes['http.method'], count(*) AS n, avg(severity_number),
		sum(severity_number), bucket(timestamp, 5m) AS t, max(timestamp) - min(timestamp) AS span
		FROM logs GROUP BY timestamp, level, attributes['http.method'], t`, nil, Params{})
	want := []OutputColumn{{"timestamp", TypeTimestamp}, {"level", TypeString}, {"attributes['http.method']", TypeString},
		{"n", TypeInt}, {"avg(severity_number)", TypeFloat}, {"sum(severity_number)", TypeInt}, {"t", TypeTimestamp}, {"span", TypeDuration}}
	if len(p.Columns) != len(want) {
		t.Fatalf("columns %+v", p.Columns)
	}
	for i, w := range want {
		if p.Columns[i] != w {
			t.Errorf("column %d: %+v, want %+v", i, p.Columns[i], w)
		}
	}
	all := mustPlan(t, "SELECT * FROM logs", nil, Params{})
	if len(all.Columns) != 17 { // level is derived, not part of *
		t.Errorf("SELECT * on logs has %d columns", len(all.Columns))
	}
}

func TestPlanTimeRange(t *testing.T) {
	p := Params{From: t0, To: t0 + 3600e9, Interval: time.Minute, Now: t0 + 7200e9}
	cases := []struct {
		where    string
		from, to int64
	}{
		{"$__timeFilter(timestamp)", t0, t0 + 3600e9 + 1},
		{"timestamp >= '2024-01-01T00:00:00Z' AND timestamp < '2024-01-01T01:00:00Z'", t0, t0 + 3600e9},
		{"timestamp > '2024-01-01' AND '2024-01-01T00:10:00Z' >= timestamp", t0 + 1, t0 + 600e9 + 1},
		{"timestamp BETWEEN $__timeFrom AND $__timeTo", t0, t0 + 3600e9 + 1},
		{"timestamp = '2024-01-01T00:00:00.000000005Z'", t0 + 5, t0 + 6},
		{"timestamp > now() - 1h AND service = 'x'", t0 + 3600e9 + 1, 0},
		{"$__timeFilter(timestamp) AND timestamp >= now() - 90m", t0 + 1800e9, t0 + 3600e9 + 1},
		{"timestamp > now() - 1h OR service = 'x'", 0, 0},
		{"NOT timestamp > now()", 0, 0},
		{"observed_timestamp > now()", 0, 0},
		{"timestamp > '2024-01-02' AND timestamp < '2024-01-01'", t0 + 86400e9 + 1, t0 + 86400e9 + 2},
	}
	for _, c := range cases {
		pl := mustPlan(t, "SELECT body FROM logs WHERE "+c.where, nil, p)
		if pl.From != c.from || pl.To != c.to {
			t.Errorf("%s: range [%d, %d), want [%d, %d)", c.where, pl.From-t0, pl.To-t0, c.from-t0, c.to-t0)
		}
	}
	open := mustPlan(t, "SELECT body FROM logs WHERE $__timeFilter(timestamp)", nil, Params{From: t0})
	if open.From != t0 || open.To != 0 {
		t.Errorf("open range: [%d, %d)", open.From, open.To)
	}
	none := mustPlan(t, "SELECT body FROM logs WHERE $__timeFilter(timestamp)", nil, Params{})
	if none.Where.Kind != PLiteral || none.Where.Value != true {
		t.Errorf("no range: %+v", none.Where)
	}
}

func TestPlanLimit(t *testing.T) {
	cases := []struct {
		src      string
		def, max int
		limit    int64
		capped   bool
	}{
		{"SELECT body FROM logs", 0, 0, DefaultLimit, false},
		{"SELECT body FROM logs", 50, 0, 50, false},
		{"SELECT body FROM logs LIMIT 5", 50, 0, 5, false},
		{"SELECT body FROM logs LIMIT 5000", 50, 100, 100, true},
		{"SELECT body FROM logs", 500, 100, 100, true},
	}
	for _, c := range cases {
		p := mustPlan(t, c.src, nil, Params{DefaultLimit: c.def, MaxLimit: c.max})
		if p.Limit != c.limit || p.LimitCapped != c.capped {
			t.Errorf("%s def %d max %d: limit %d capped %v", c.src, c.def, c.max, p.Limit, p.LimitCapped)
		}
	}
}

func TestPlanMacros(t *testing.T) {
	p := mustPlan(t, "SELECT $__timeGroup(timestamp, $__interval) AS t, $__interval_ms AS ms, $__timeFrom AS f FROM logs GROUP BY t",
		nil, Params{From: t0, To: t0 + 1, Interval: 30 * time.Second})
	g := p.Select[0]
	if g.Kind != PCall || g.Func.Name != "bucket" || g.Args[1].Value != int64(30e9) {
		t.Errorf("timeGroup: %+v", g)
	}
	if p.Select[1].Value != int64(30000) || p.Select[2].Kind != PTimestamp || p.Select[2].Value != t0 {
		t.Errorf("macros: %+v %+v", p.Select[1], p.Select[2])
	}
	if !Equal(p.GroupBy[0], p.Select[0]) {
		t.Error("GROUP BY alias should resolve to the select expression")
	}
}

func TestFunctionTable(t *testing.T) {
	for _, f := range Functions() {
		if f.Signature == "" || f.Doc == "" || f.Result == nil {
			t.Errorf("%s: missing signature, doc or result type", f.Name)
		}
		if f.Name == "now" {
			continue // folded by the planner
		}
		for _, d := range []string{"duckdb", "clickhouse"} {
			if _, ok := f.Render[d]; !ok {
				t.Errorf("%s has no %s rendering", f.Name, d)
			}
		}
	}
}

func TestPlanGoBuiltTrees(t *testing.T) {
	q := SelectFrom("logs", Col("body"), nil)
	if _, err := Plan(q, nil, Params{}); err == nil || !strings.Contains(err.Error(), "missing expression") {
		t.Errorf("hole in tree: %v", err)
	}
	if _, err := Plan(&Select{}, nil, Params{}); err == nil {
		t.Error("no FROM should fail")
	}
	// Deep AND chains from many ad hoc filters are fine.
	var conds []Expr
	for i := 0; i < 500; i++ {
		conds = append(conds, Ne(Col("service"), Str("x")))
	}
	if _, err := Plan(SelectFrom("logs").Filter(And(conds...)), nil, Params{}); err != nil {
		t.Errorf("500 filters: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	d := DefaultCatalog().Describe()
	if len(d.Tables) != 13 || d.Tables[0].Name != "logs" || d.Tables[3].Available {
		t.Errorf("tables: %+v", d.Tables[:4])
	}
	var level *ColumnInfo
	for i, c := range d.Tables[0].Columns {
		if c.Name == "level" {
			level = &d.Tables[0].Columns[i]
		}
	}
	if level == nil || !level.Derived || level.Type != "string" {
		t.Errorf("level: %+v", level)
	}
	if len(d.Functions) < 30 || len(d.Keywords) == 0 || d.Keywords[0] != "AND" || len(d.Macros) != 6 {
		t.Errorf("functions %d keywords %v macros %v", len(d.Functions), d.Keywords, d.Macros)
	}
}
