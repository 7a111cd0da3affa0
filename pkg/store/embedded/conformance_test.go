//go:build duckdb_arrow

package embedded

import (
	"testing"

	"github.com/heimsight/heimsight/pkg/store"
	"github.com/heimsight/heimsight/pkg/store/storetest"
)

func testOptions(dir string) Options {
	o := DefaultOptions(dir)
	o.DuckDBMemoryLimit = "256MB"
	o.QueryConns = 2
	o.CompactAfter = 0
	o.CompactInterval = 0
	return o
}

func openTest(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		NewEnv: func(t *testing.T) string { return t.TempDir() },
		Open: func(t *testing.T, env string) store.Store {
			return openTest(t, testOptions(env))
		},
	})
}
