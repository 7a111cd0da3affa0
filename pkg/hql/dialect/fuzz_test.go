package dialect_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heimsight/heimsight/pkg/hql"
)

// FuzzEmit: every query the planner accepts renders on every dialect, bound and inlined
// (inlining may only refuse strings the escaper cannot represent).
func FuzzEmit(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*.hql")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(typical)
	cat := hql.DefaultCatalog()
	_ = cat.EnableTiers()
	f.Fuzz(func(t *testing.T, src string) {
		stmt, err := hql.Parse(src)
		if err != nil {
			return
		}
		p, err := hql.Plan(stmt, cat, GoldenParams)
		if err != nil {
			return
		}
		for _, e := range emitters {
			// A literal with a NUL byte has no DuckDB rendering (its strings cannot hold NUL):
			// where DuckDB needs the literal inline (GROUP BY), the emitter refuses the query,
			// which the API reports as an invalid query. Any other emit failure is a bug.
			if _, _, err := e.emit(p, goldenSource); err != nil && !strings.Contains(err.Error(), "NUL") {
				t.Fatalf("%s: %q: %v", e.name, src, err)
			}
			if _, err := e.inline(p, goldenSource); err != nil && !strings.Contains(err.Error(), "NUL") {
				t.Fatalf("%s inline: %q: %v", e.name, src, err)
			}
		}
	})
}
