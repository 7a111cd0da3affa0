//go:build duckdb_arrow

package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/memory/mallocator"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

const benchBatch = 1000

func pregen(n int) [][]model.LogRecord {
	g := newLogGen(1, time.Now().Add(-time.Minute))
	out := make([][]model.LogRecord, n)
	for i := range out {
		out[i] = g.batch(benchBatch)
	}
	return out
}

// BenchmarkWriteLogs measures durable ingest: 1,000-record batches from 8 goroutines, WAL
// group commit with fdatasync, Arrow buffers and background flushes to Parquet included.
func BenchmarkWriteLogs(b *testing.B) {
	g := newLogGen(1, time.Now().Add(-time.Minute))
	benchWrite(b, func() *model.Batch { return &model.Batch{Logs: g.batch(benchBatch)} })
}

func BenchmarkWriteSpans(b *testing.B) {
	g := newLogGen(5, time.Now().Add(-time.Minute))
	benchWrite(b, func() *model.Batch { return &model.Batch{Spans: g.spans(benchBatch)} })
}

func BenchmarkWriteMetrics(b *testing.B) {
	g := newLogGen(6, time.Now().Add(-time.Minute))
	benchWrite(b, func() *model.Batch { return &model.Batch{Metrics: g.points(benchBatch)} })
}

func benchWrite(b *testing.B, gen func() *model.Batch) {
	batches := make([]*model.Batch, 8)
	for i := range batches {
		batches[i] = gen()
	}
	o := DefaultOptions(b.TempDir())
	o.CompactInterval = 0
	o.OverloadWait = time.Minute // measure sustained throughput: writers wait for flushes
	tuneMalloc()
	counting := memory.NewCheckedAllocator(mallocator.NewMallocator())
	o.Allocator = counting
	s := openTest(b, o)
	openRSS := rssMiB()
	stopSampling := sampleMemory(b, counting)
	defer stopSampling()
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if err := s.Write(context.Background(), batches[i%int64(len(batches))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	cpu.report(b, b.N*benchBatch)
	b.ReportMetric(float64(b.N*benchBatch)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*benchBatch), "ns/row")
	b.ReportMetric(openRSS, "openRSS-MiB")
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// sampleMemory records the peaks of the Arrow (C) memory, the Go heap and the RSS every
// 50 ms and reports them when stopped.
func sampleMemory(b *testing.B, arrowMem *memory.CheckedAllocator) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	var maxArrow, maxHeap, maxRSS float64
	go func() {
		defer close(finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			maxArrow = max(maxArrow, float64(arrowMem.CurrentAlloc())/(1<<20))
			maxHeap = max(maxHeap, float64(ms.HeapInuse)/(1<<20))
			maxRSS = max(maxRSS, rssMiB())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		b.ReportMetric(maxArrow, "maxArrow-MiB")
		b.ReportMetric(maxHeap, "maxGoHeap-MiB")
		b.ReportMetric(maxRSS, "maxRSS-MiB")
	}
}

func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize()) / (1 << 20)
}

// peakRSSMiB is the process's peak resident set (VmHWM), test binary included.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func BenchmarkWALEncode(b *testing.B) {
	batch := &model.Batch{Logs: pregen(1)[0]}
	var e encoder
	var buf []byte
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		buf = e.encodeBatch(buf[:0], batch)
	}
	cpu.report(b, b.N*benchBatch)
	b.ReportMetric(float64(len(buf))/benchBatch, "walB/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/row")
}

func BenchmarkWALDecode(b *testing.B) {
	batch := &model.Batch{Logs: pregen(1)[0]}
	var e encoder
	payload := e.encodeBatch(nil, batch)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeBatch(payload); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/row")
}

// BenchmarkArrowAppend appends 1,000-row batches to a generation's buffers (the path Write
// takes under the store lock), cutting chunks as Write does.
func BenchmarkArrowAppend(b *testing.B) {
	batch := &model.Batch{Logs: pregen(1)[0]}
	g := newGeneration(1, time.Now(), memory.DefaultAllocator)
	b.ReportAllocs()
	cpu := startCPU()
	n := 0
	for b.Loop() {
		g.appendBatch(batch)
		if n++; n%256 == 0 { // bound memory: a flush would release it
			g.release()
			g = newGeneration(1, time.Now(), memory.DefaultAllocator)
		}
	}
	cpu.report(b, b.N*benchBatch)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/row")
}

// cpuClock measures the process's CPU time (user+system): on a machine shared with other
// work, wall time per row says more about the neighbours than about this code.
type cpuClock struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{cpuNow()} }

func (c cpuClock) report(b *testing.B, rows int) {
	b.ReportMetric(float64((cpuNow()-c.start).Nanoseconds())/float64(rows), "cpu-ns/row")
}

// benchRecords returns n rows of logs as records of chunkRows.
func benchRecords(n int) []arrow.RecordBatch {
	g := newLogGen(2, time.Now().Add(-time.Hour))
	lb := newLogsBuilder(memory.DefaultAllocator)
	defer lb.release()
	var recs []arrow.RecordBatch
	for done := 0; done < n; done += benchBatch {
		logs := g.batch(benchBatch)
		for i := range logs {
			lb.append(&logs[i])
		}
		if (done+benchBatch)%chunkRows == 0 || done+benchBatch >= n {
			recs = append(recs, lb.newRecord())
		}
	}
	return recs
}

// BenchmarkParquetFlush writes 100k log rows as one part per iteration, per codec and with or
// without dictionaries.
func BenchmarkParquetFlush(b *testing.B) {
	const rows = 100_000
	recs := benchRecords(rows)
	for _, codec := range []string{"none", "snappy", "lz4", "zstd"} {
		for _, dict := range []string{"none", "repetitive"} {
			b.Run(fmt.Sprintf("%s/dict=%v", codec, dict), func(b *testing.B) {
				o := DefaultOptions(b.TempDir())
				o.Compression = codec
				props := partWriterProps(&o, memory.DefaultAllocator, logsSchema, rows)
				if dict == "repetitive" {
					props = dictWriterProps(&o, memory.DefaultAllocator, logsSchema)
				}
				path := filepath.Join(o.Dir, "p.parquet")
				var size int64
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					var err error
					size, err = writeParquet(path, logsSchema, recs, props)
					if err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b, rows*b.N)
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(size)/rows, "B/row")
			})
		}
	}
}

// BenchmarkCompaction merges 200k rows flushed as 10 parts into one sorted zstd part.
func BenchmarkCompaction(b *testing.B) {
	for _, sorted := range []bool{false, true} {
		b.Run(fmt.Sprintf("sorted=%v", sorted), func(b *testing.B) { benchCompaction(b, sorted) })
	}
}

func benchCompaction(b *testing.B, sorted bool) {
	g := newLogGen(3, time.Now().Truncate(time.Hour).Add(-2*time.Hour))
	var flushed, compacted int64
	var cpuUsed time.Duration
	var rssGrowth float64
	for b.Loop() {
		b.StopTimer()
		o := testOptions(b.TempDir())
		o.CompactSort = sorted
		if sorted {
			o.CompactMemoryLimit = "2GB" // the sort of 200k rows with maps does not fit in 256MB
		}
		s := openTest(b, o)
		for p := 0; p < 10; p++ {
			for k := 0; k < 20; k++ {
				logs := g.batch(benchBatch)
				for i := range logs { // keep every row in one hour
					logs[i].Timestamp = time.Now().Truncate(time.Hour).Add(-2*time.Hour).UnixNano() + int64(p*20+k)*int64(time.Second)*10 + int64(i)
				}
				mustWrite(b, s, logs)
			}
			if err := s.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		flushed = dirBytes(o.Dir)
		runtime.GC()
		before := rssMiB()
		os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM
		b.StartTimer()
		c0 := cpuNow()
		if err := s.Compact(context.Background()); err != nil {
			b.Fatal(err)
		}
		cpuUsed += cpuNow() - c0
		rssGrowth = max(rssGrowth, peakRSSMiB()-before)
		b.StopTimer()
		compacted = dirBytes(o.Dir)
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(flushed)/200_000, "flushedB/row")
	b.ReportMetric(float64(compacted)/200_000, "compactedB/row")
	b.ReportMetric(200_000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpuUsed.Nanoseconds())/(200_000*float64(b.N)), "cpu-ns/row")
	b.ReportMetric(rssGrowth, "peakRSSGrowth-MiB")
}

func dirBytes(root string) int64 {
	var n int64
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".parquet" {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkQuery runs dashboard queries over 1M log rows in compacted parts plus 50k rows in
// buffers, for two row group lengths of the compacted parts.
func BenchmarkQuery(b *testing.B) {
	for _, rg := range []int64{16 * 1024, 32 * 1024, 64 * 1024} {
		b.Run(fmt.Sprintf("rowgroup=%dk", rg/1024), func(b *testing.B) { benchQuery(b, rg) })
	}
}

func benchQuery(b *testing.B, rowGroup int64) {
	o := testOptions(b.TempDir())
	o.CompactRowGroupRows = rowGroup
	o.CompactMemoryLimit = "256MB"
	o.FlushInterval = time.Hour // keep the last 50k rows in the buffers
	s := openTest(b, o)
	defer s.Close()
	start := time.Now().Truncate(time.Hour).Add(-3 * time.Hour)
	g := newLogGen(4, start)
	for i := 0; i < 1000; i++ {
		mustWrite(b, s, g.batch(benchBatch))
		if i%250 == 249 {
			if err := s.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Compact(context.Background()); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		mustWrite(b, s, g.batch(benchBatch))
	}
	from, to := start.UnixNano(), time.Now().Add(time.Hour).UnixNano()
	run := func(b *testing.B, q *store.Query) {
		for b.Loop() {
			res, err := s.Query(context.Background(), q)
			if err != nil {
				b.Fatal(err)
			}
			if res.Rows == 0 {
				b.Fatal("no rows")
			}
			res.Release()
		}
	}
	b.Run("count_by_minute_severity", func(b *testing.B) {
		run(b, &store.Query{Tables: []store.TableScan{{Table: "logs", From: from, To: to}},
			Build: func(src store.TableSource) (string, []any, error) {
				rel, err := src("logs")
				return `SELECT time_bucket(INTERVAL 1 minute, "timestamp") AS minute, severity_text, count(*) AS n FROM ` + rel +
						` AS t WHERE "timestamp" >= $1 AND "timestamp" < $2 GROUP BY ALL ORDER BY ALL`,
					[]any{time.Unix(0, from).UTC(), time.Unix(0, to).UTC()}, err
			}})
	})
	b.Run("latest_100_matching_text", func(b *testing.B) {
		run(b, &store.Query{Tables: []store.TableScan{{Table: "logs", From: from, To: to}},
			Build: func(src store.TableSource) (string, []any, error) {
				rel, err := src("logs")
				return `SELECT "timestamp", "service", "body" FROM ` + rel +
					` AS t WHERE contains(lower("body"), $1) ORDER BY "timestamp" DESC LIMIT 100`, []any{"declined"}, err
			}})
	})
	b.Run("trace_by_id", func(b *testing.B) {
		tid := g.batch(1)[0].TraceID.String()
		run(b, &store.Query{Tables: []store.TableScan{{Table: "logs"}},
			Build: func(src store.TableSource) (string, []any, error) {
				rel, err := src("logs")
				return `SELECT count(*) FROM ` + rel + ` AS t WHERE "trace_id" = $1`, []any{tid}, err
			}})
	})
}
