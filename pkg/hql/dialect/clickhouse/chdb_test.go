package clickhouse_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/internal/hqltest"
)

// These tests run the emitted ClickHouse SQL on the ClickHouse engine through chDB, over tables
// with the logical columns, and expect exactly the rows the DuckDB execution tests expect.
// They are skipped when chDB is not installed.

func TestExecuteOnChDB(t *testing.T) {
	e := hqltest.StartChDB(t)
	cat := hql.DefaultCatalog()
	if err := cat.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	for _, c := range hqltest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			stmt, err := hql.Parse(c.HQL)
			if err != nil {
				t.Fatal(err)
			}
			p, err := hql.Plan(stmt, cat, hqltest.Params)
			if err != nil {
				t.Fatal(err)
			}
			if rows, sql := hqltest.RunChDB(t, e, p); hqltest.Render(rows) != c.Want {
				got := hqltest.Render(rows)
				t.Errorf("%s\nSQL: %s\ngot:\n%swant:\n%s", c.HQL, sql, got, c.Want)
			}
		})
	}
}

// TestGoldenCorpusOnChDB runs every golden query on the ClickHouse engine.
func TestGoldenCorpusOnChDB(t *testing.T) {
	e := hqltest.StartChDB(t)
	cat := hql.DefaultCatalog()
	if err := cat.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../testdata/*.hql")
	if len(files) == 0 {
		t.Fatal("no golden queries")
	}
	p := hql.Params{From: hqltest.T0, To: hqltest.T0 + 3600e9, Interval: time.Minute, Now: hqltest.T0 + 7200e9}
	for _, f := range files {
		src, _ := os.ReadFile(f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			stmt, err := hql.Parse(string(src))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := hql.Plan(stmt, cat, p)
			if err != nil {
				t.Fatal(err)
			}
			hqltest.RunChDB(t, e, plan)
		})
	}
}
