//go:build duckdb_arrow

package embedded

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heimsight/heimsight/pkg/model"
)

type metrics struct {
	rows          *prometheus.CounterVec
	walBytes      prometheus.Counter
	partBytes     *prometheus.CounterVec
	rejected      prometheus.Counter
	fsyncSeconds  prometheus.Histogram
	commitBytes   prometheus.Histogram
	commitReqs    prometheus.Histogram
	flushSeconds  prometheus.Histogram
	parts         *prometheus.GaugeVec
	bufferedRows  prometheus.Gauge
	compactions   *prometheus.CounterVec
	compactSecond prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns, sub = "heimsight", "embedded_store"
	m := &metrics{
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "rows_written_total", Help: "Rows acknowledged into the WAL, per table."}, []string{"table"}),
		walBytes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "wal_bytes_written_total", Help: "Bytes appended to the write-ahead log."}),
		partBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "part_bytes_written_total", Help: "Bytes of Parquet parts written by flushes, per table."}, []string{"table"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "writes_rejected_total", Help: "Writes refused because the WAL or the buffers were full."}),
		fsyncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "wal_fsync_seconds", Help: "Latency of one WAL fsync (one group commit).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		commitBytes: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "wal_commit_bytes", Help: "Bytes covered by one group commit.",
			Buckets: prometheus.ExponentialBuckets(1024, 4, 10)}),
		commitReqs: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "wal_commit_requests", Help: "Write requests covered by one group commit (batch size).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10)}),
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "flush_seconds", Help: "Time to write one generation's Parquet parts.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		parts: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "parts", Help: "Parquet parts on disk, per table."}, []string{"table"}),
		bufferedRows: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "buffered_rows", Help: "Rows in memory not yet flushed to Parquet (queue depth)."}),
		compactions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "compactions_total", Help: "Hours compacted into one part, per table."}, []string{"table"}),
		compactSecond: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "compaction_seconds", Help: "Time to compact one hour of one table.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
	}
	if reg != nil {
		reg.MustRegister(m.rows, m.walBytes, m.partBytes, m.rejected, m.fsyncSeconds, m.commitBytes,
			m.commitReqs, m.flushSeconds, m.parts, m.bufferedRows, m.compactions, m.compactSecond)
	}
	return m
}

func (m *metrics) addRows(b *model.Batch) {
	if n := len(b.Logs); n > 0 {
		m.rows.WithLabelValues(tableLogs).Add(float64(n))
	}
	if n := len(b.Spans); n > 0 {
		m.rows.WithLabelValues(tableSpans).Add(float64(n))
	}
	if n := len(b.Metrics); n > 0 {
		m.rows.WithLabelValues(tableMetrics).Add(float64(n))
	}
	m.bufferedRows.Add(float64(b.Len()))
}

func (m *metrics) observeCommit(r *round, fsync time.Duration) {
	m.walBytes.Add(float64(r.bytes))
	m.fsyncSeconds.Observe(fsync.Seconds())
	m.commitBytes.Observe(float64(r.bytes))
	m.commitReqs.Observe(float64(r.reqs))
}

func (m *metrics) setParts(parts [len(tableNames)][]*part) {
	for i, ps := range parts {
		m.parts.WithLabelValues(tableNames[i]).Set(float64(len(ps)))
	}
}
