//go:build linux

package dialect_test

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
)

// TestPipelineCPUTime reports the thread CPU time of parse+plan+emit of the typical query. On
// a shared machine the benchmark's wall time includes waiting for a CPU; thread CPU time does
// not. Run with HEIMSIGHT_HQL_CPUTIME=1.
func TestPipelineCPUTime(t *testing.T) {
	if os.Getenv("HEIMSIGHT_HQL_CPUTIME") == "" {
		t.Skip("set HEIMSIGHT_HQL_CPUTIME=1 to run")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cat := hql.DefaultCatalog()
	const n = 20000
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for round := 0; round < 3; round++ {
		start := cpu()
		for i := 0; i < n; i++ {
			stmt, err := hql.Parse(typical)
			if err != nil {
				t.Fatal(err)
			}
			p, err := hql.Plan(stmt, cat, GoldenParams)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := duckdb.Emit(p, goldenSource); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("parse+plan+emit (DuckDB): %v thread CPU per query", (cpu()-start)/n)
	}
}
