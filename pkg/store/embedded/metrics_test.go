//go:build duckdb_arrow

package embedded

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	o := testOptions(t.TempDir())
	o.Registerer = reg
	s := openTest(t, o)
	mustWrite(t, s, seqLogs(0, 25, time.Now().UnixNano(), time.Millisecond))
	if got := testutil.ToFloat64(s.metrics.rows.WithLabelValues(tableLogs)); got != 25 {
		t.Errorf("rows_written_total{table=logs} = %v, want 25", got)
	}
	if got := testutil.ToFloat64(s.metrics.bufferedRows); got != 25 {
		t.Errorf("buffered_rows = %v, want 25", got)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(s.metrics.bufferedRows); got != 0 {
		t.Errorf("buffered_rows after flush = %v, want 0", got)
	}
	if got := testutil.ToFloat64(s.metrics.parts.WithLabelValues(tableLogs)); got != 1 {
		t.Errorf("parts{table=logs} = %v, want 1", got)
	}
	if n, err := testutil.GatherAndCount(reg, "heimsight_embedded_store_wal_fsync_seconds", "heimsight_embedded_store_flush_seconds"); err != nil || n != 2 {
		t.Errorf("gathered %d histograms (%v), want 2", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
