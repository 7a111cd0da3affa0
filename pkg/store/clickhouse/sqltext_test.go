package clickhouse

import (
	"math"
	"strings"
	"testing"
	"time"

	clickhouseschema "github.com/heimsight/heimsight/schema/clickhouse"
)

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"heimsight":    "`heimsight`",
		"we`ird":       "`we\\`ird`",
		`back\slash`:   "`back\\\\slash`",
		"a.b":          "`a.b`",
		"x`; DROP db;": "`x\\`; DROP db;`",
	} {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, tt := range []struct {
		in   any
		want string
	}{
		{"it's", `'it\'s'`},
		{`a\b`, `'a\\b'`},
		{"line\nnul\x00", `'line\x0Anul\x00'`},
		{"ünï", "'ünï'"},
		{nil, "NULL"},
		{true, "true"},
		{int32(-5), "-5"},
		{int64(math.MinInt64), "toInt64(-9223372036854775808)"},
		{uint64(math.MaxUint64), "toUInt64(18446744073709551615)"},
		{1.5, "toFloat64(1.5)"},
		{math.NaN(), "nan"},
		{math.Inf(-1), "-inf"},
		{time.Unix(0, 1_700_000_000_123_456_789), "fromUnixTimestamp64Nano(toInt64(1700000000123456789), 'UTC')"},
		{[]string{"a", "'"}, `['a','\'']`},
		{map[string]string{"b": "2", "a": "1"}, "map('a','1','b','2')"},
	} {
		got, err := Literal(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Literal(%#v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := Literal(struct{}{}); err == nil {
		t.Error("Literal of a struct succeeded")
	}
}

func TestBindLiterals(t *testing.T) {
	got, err := bindLiterals("SELECT '?', `?`, ? FROM t WHERE a = ? AND b = 'x\\'?'", []any{"v'", 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := "SELECT '?', `?`, 'v\\'' FROM t WHERE a = 3 AND b = 'x\\'?'"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := bindLiterals("SELECT ?", []any{1, 2}); err == nil {
		t.Error("extra argument accepted")
	}
	if _, err := bindLiterals("SELECT ?, ?", []any{1}); err == nil {
		t.Error("missing argument accepted")
	}
}

func TestTTLExpr(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, ""},
		{-time.Hour, ""},
		{30 * day, "TTL toDateTime(Timestamp) + toIntervalDay(30)"},
		{36 * time.Hour, "TTL toDateTime(Timestamp) + toIntervalHour(36)"},
		{90 * time.Minute, "TTL toDateTime(Timestamp) + toIntervalMinute(90)"},
		{61 * time.Second, "TTL toDateTime(Timestamp) + toIntervalSecond(61)"},
		{1500 * time.Millisecond, "TTL toDateTime(Timestamp) + toIntervalSecond(2)"},
	} {
		if got := TTLExpr(tt.d, "toDateTime(Timestamp)"); got != tt.want {
			t.Errorf("TTLExpr(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRetentionStatements(t *testing.T) {
	o := DefaultOptions()
	o.Database, o.Cluster = "hs", "main"
	st, err := RetentionStatements(&o, "traces", 45*day)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ALTER TABLE `hs`.`otel_traces` ON CLUSTER `main` MODIFY TTL toDateTime(Timestamp) + toIntervalDay(45)",
		"ALTER TABLE `hs`.`otel_traces_trace_id_ts` ON CLUSTER `main` MODIFY TTL toDateTime(Start) + toIntervalDay(45)",
	}
	if len(st) != 2 || st[0].SQL != want[0] || st[1].SQL != want[1] {
		t.Fatalf("got %+v", st)
	}
	st, _ = RetentionStatements(&o, "metrics", 0)
	if len(st) != 5 || !strings.HasSuffix(st[0].SQL, "REMOVE TTL") || st[0].TTL != "" {
		t.Fatalf("metrics removal: %+v", st)
	}
	if _, err := RetentionStatements(&o, "profiles", day); err == nil {
		t.Error("unknown signal accepted")
	}
	if _, err := RetentionStatements(&o, "logs", -day); err == nil {
		t.Error("negative retention accepted")
	}
}

func TestRenderDDLClusterMode(t *testing.T) {
	o := DefaultOptions()
	o.Database, o.Cluster, o.MetricsTTL = "we`ird", "c1", 0
	migs, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migs {
		sql, err := renderDDL(&o, m.Name, m.Text)
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if !strings.Contains(sql, "`we\\`ird`.") || !strings.Contains(sql, "ON CLUSTER `c1`") {
			t.Errorf("%s: database or cluster not rendered:\n%s", m.Name, sql)
		}
		if strings.Contains(sql, "ENGINE = MergeTree") {
			t.Errorf("%s: not replicated in cluster mode", m.Name)
		}
		if strings.Contains(sql, "otel_metrics") && strings.Contains(sql, "TTL toDateTime") {
			t.Errorf("%s: metrics TTL 0 should render no TTL", m.Name)
		}
	}
	if _, err := renderDDL(&o, "bad", "{{.Nope}}"); err == nil {
		t.Error("unknown placeholder rendered")
	}
	if _, err := renderDDL(&o, "bad", `{{ttl "no_table"}}`); err == nil {
		t.Error("unknown TTL table rendered")
	}
}

func TestMigrationFilesAreWellFormed(t *testing.T) {
	migs, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range migs {
		if m.Version != uint32(i+1) {
			t.Errorf("%s: version %d, want %d (no gaps)", m.Name, m.Version, i+1)
		}
	}
	// Every TTL'd table's template uses {{ttl}}, so retention and creation agree.
	for _, tt := range ttlTables {
		found := false
		for _, m := range migs {
			if strings.Contains(m.Text, `{{ttl "`+tt.table+`"}}`) {
				found = true
			}
		}
		if !found {
			t.Errorf("no migration creates %s with {{ttl %q}}", tt.table, tt.table)
		}
	}
	if _, err := clickhouseschema.Bootstrap.ReadFile("bootstrap/lock.sql"); err != nil {
		t.Fatal(err)
	}
}

func TestCountStatements(t *testing.T) {
	for text, want := range map[string]int{
		"-- c\nCREATE TABLE x (a String DEFAULT ';')\n":   1,
		"CREATE TABLE x (a UInt8);\n-- trailing; comment": 1,
		"SELECT 1; SELECT 2":                              2,
		"-- only a comment":                               0,
	} {
		if got := countStatements(text); got != want {
			t.Errorf("countStatements(%q) = %d, want %d", text, got, want)
		}
	}
}
