package dialect_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect/clickhouse"
	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
	"github.com/heimsight/heimsight/pkg/store"
)

var update = flag.Bool("update", false, "rewrite the golden SQL files in ../testdata")

const t0 = int64(1704067200) * 1e9 // 2024-01-01T00:00:00Z

// GoldenParams are the parameters every golden query is planned with.
var GoldenParams = hql.Params{From: t0, To: t0 + 3600e9, Interval: time.Minute, Now: t0 + 7200e9}

// goldenSource stands for the store's relation; later tests substitute real relations for it.
func goldenSource(table string) (string, error) { return "{source:" + table + "}", nil }

type emitter struct {
	name   string
	emit   func(*hql.QueryPlan, store.TableSource) (string, []any, error)
	inline func(*hql.QueryPlan, store.TableSource) (string, error)
}

var emitters = []emitter{
	{"duckdb", duckdb.Emit, duckdb.EmitInline},
	{"clickhouse", clickhouse.Emit, clickhouse.EmitInline},
}

// TestGolden renders every ../testdata/*.hql for each dialect and compares with
// NAME.<dialect>.sql (bound parameters, followed by an "-- args:" line) and
// NAME.<dialect>.inline.sql (literals inlined). Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/*.hql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden queries: %v", err)
	}
	cat := hql.DefaultCatalog()
	if err := cat.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(f, ".hql")
		t.Run(filepath.Base(base), func(t *testing.T) {
			stmt, err := hql.Parse(string(src))
			if err != nil {
				t.Fatal(err)
			}
			p, err := hql.Plan(stmt, cat, GoldenParams)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range emitters {
				sql, args, err := e.emit(p, goldenSource)
				if err != nil {
					t.Fatal(err)
				}
				a, _ := json.Marshal(args)
				check(t, base+"."+e.name+".sql", sql+"\n-- args: "+string(a)+"\n")
				inl, err := e.inline(p, goldenSource)
				if err != nil {
					t.Fatal(err)
				}
				check(t, base+"."+e.name+".inline.sql", inl+"\n")
			}
		})
	}
}

func check(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test -update and review the diff):\n got: %s\nwant: %s", path, got, want)
	}
}
