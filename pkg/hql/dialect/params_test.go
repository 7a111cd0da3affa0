package dialect_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect"
	"github.com/heimsight/heimsight/pkg/hql/dialect/clickhouse"
	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
)

// substitute replaces the placeholders outside quoted text with the rendered arguments, as a
// client that binds by text substitution (clickhouse-go) would.
func substitute(t *testing.T, d dialect.Dialect, sql string, args []any) string {
	t.Helper()
	var b strings.Builder
	var quote byte
	next := 0
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			b.WriteByte(c)
			if c == '\\' && d.Name() == "clickhouse" && i+1 < len(sql) {
				i++
				b.WriteByte(sql[i])
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
			b.WriteByte(c)
		case c == '?' && d.Name() == "clickhouse":
			lit, err := d.Literal(args[next])
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(lit)
			next++
		case c == '$' && d.Name() == "duckdb" && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(sql[i+1 : j])
			lit, err := d.Literal(args[n-1])
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(lit)
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	if d.Name() == "clickhouse" && next != len(args) {
		t.Fatalf("%d placeholders for %d arguments in %s", next, len(args), sql)
	}
	return b.String()
}

// TestParamsMatchInline: binding the arguments in placeholder order gives exactly the inlined
// statement, so arguments are in the order (and number) the placeholders expect.
func TestParamsMatchInline(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.hql")
	cat := hql.DefaultCatalog()
	_ = cat.EnableTiers()
	dialects := []dialect.Dialect{duckdb.Dialect{}, clickhouse.Dialect{}}
	for _, f := range files {
		src, _ := os.ReadFile(f)
		stmt, err := hql.Parse(string(src))
		if err != nil {
			t.Fatal(err)
		}
		p, err := hql.Plan(stmt, cat, GoldenParams)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dialects {
			sql, args, err := dialect.Emit(d, p, goldenSource, false)
			if err != nil {
				t.Fatal(err)
			}
			inl, _, err := dialect.Emit(d, p, goldenSource, true)
			if err != nil {
				t.Fatal(err)
			}
			if got := substitute(t, d, sql, args); got != inl {
				t.Errorf("%s %s:\nbound+args: %s\ninlined:    %s", filepath.Base(f), d.Name(), got, inl)
			}
		}
	}
}

func TestDialectsProvideEveryConstruct(t *testing.T) {
	for _, d := range []dialect.Dialect{duckdb.Dialect{}, clickhouse.Dialect{}} {
		for _, c := range dialect.Constructs {
			if d.Template(c) == "" {
				t.Errorf("%s has no template for %q", d.Name(), c)
			}
		}
	}
}
