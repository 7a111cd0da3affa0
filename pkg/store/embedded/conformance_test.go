//go:build duckdb_arrow

package embedded

import (
	"runtime"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/memory/mallocator"

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

// openTest opens a store whose Arrow memory is checked: when the test ends, every buffer the
// store allocated must have been released.
func openTest(t testing.TB, o Options) *Store {
	t.Helper()
	if o.Allocator == nil {
		checked := memory.NewCheckedAllocator(mallocator.NewMallocator())
		o.Allocator = checked
		t.Cleanup(func() {
			// arrow-go frees Parquet bloom filter buffers from a GC cleanup, not on Close.
			for i := 0; i < 20 && checked.CurrentAlloc() != 0; i++ {
				runtime.GC()
				time.Sleep(5 * time.Millisecond)
			}
			checked.AssertSize(t, 0)
		})
	}
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
