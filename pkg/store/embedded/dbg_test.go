//go:build duckdb_arrow

package embedded

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

func TestDbgCompactVariants(t *testing.T) {
	if os.Getenv("DBG") == "" {
		t.Skip()
	}
	o := testOptions(t.TempDir())
	s := openTest(t, o)
	defer s.Close()
	g := newLogGen(3, time.Now().Truncate(time.Hour).Add(-2*time.Hour))
	for p := 0; p < 10; p++ {
		for k := 0; k < 20; k++ {
			mustWrite(t, s, g.batch(benchBatch))
		}
		if err := s.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for _, p := range s.parts[0] {
		paths = append(paths, quoteString(p.path))
	}
	src := "read_parquet([" + strings.Join(paths, ",") + "])"
	c, _ := s.db.get(context.Background())
	defer s.db.put(c)
	for _, v := range strings.Split(os.Getenv("DBG"), ";") {
		out := filepath.Join(o.Dir, "out.parquet")
		start := time.Now()
		cpu0 := cpuNow()
		stmt := strings.ReplaceAll(strings.ReplaceAll(v, "SRC", src), "OUT", quoteString(out))
		if err := c.exec(context.Background(), stmt); err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(out)
		t.Logf("%6.2fs wall %6.2fs cpu %6.1f B/row  %s", time.Since(start).Seconds(), (cpuNow() - cpu0).Seconds(), float64(info.Size())/200000, v)
	}
}

func TestDbgQueryPlan(t *testing.T) {
	if os.Getenv("DBGQ") == "" {
		t.Skip()
	}
	o := testOptions(t.TempDir())
	s := openTest(t, o)
	defer s.Close()
	start := time.Now().Truncate(time.Hour).Add(-3 * time.Hour)
	g := newLogGen(4, start)
	for i := 0; i < 1000; i++ {
		mustWrite(t, s, g.batch(benchBatch))
		if i%250 == 249 {
			s.Flush(context.Background())
		}
	}
	s.Compact(context.Background())
	for i := 0; i < 50; i++ {
		mustWrite(t, s, g.batch(benchBatch))
	}
	for _, q := range strings.Split(os.Getenv("DBGQ"), ";") {
		for i := 0; i < 3; i++ {
			t0 := time.Now()
			c0 := cpuNow()
			res, err := s.Query(context.Background(), &store.Query{Build: func(src store.TableSource) (string, []any, error) {
				rel, err := src("logs")
				return strings.ReplaceAll(q, "REL", rel), nil, err
			}})
			if err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				t.Logf("%v wall %v cpu %d rows: %s", time.Since(t0), cpuNow()-c0, res.Rows, q)
				if strings.HasPrefix(q, "EXPLAIN") {
					t.Log(res.Records[0].Column(1).ValueStr(0))
				}
			}
			res.Release()
		}
	}
}

func TestDbgArrowSize(t *testing.T) {
	if os.Getenv("DBGSZ") == "" {
		t.Skip()
	}
	g := newLogGen(1, time.Now())
	gen := newGeneration(1, time.Now(), memory.DefaultAllocator)
	var e encoder
	wal := 0
	for i := 0; i < 64; i++ {
		b := g.batch(1000)
		wal += len(e.encodeBatch(nil, &model.Batch{Logs: b}))
		gen.appendBatch(&model.Batch{Logs: b})
	}
	var total int
	var walk func(name string, d arrow.ArrayData)
	per := map[string]int{}
	walk = func(name string, d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				per[name] += b.Cap()
				total += b.Cap()
			}
		}
		for _, c := range d.Children() {
			walk(name, c)
		}
	}
	for _, h := range gen.tables[0] {
		h.cut()
		for _, c := range h.chunks {
			for i, col := range c.Columns() {
				walk(c.ColumnName(i), col.Data())
			}
		}
	}
	t.Logf("arrow %d B/row (capacity), wal %d B/row", total/64000, wal/64000)
	for k, v := range per {
		t.Logf("%-20s %d", k, v/64000)
	}
}
