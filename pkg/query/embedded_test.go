//go:build duckdb_arrow && unix

package query_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/store/embedded"
)

const t0 = int64(1704067200) * 1e9

func openStore(t testing.TB) *embedded.Store {
	t.Helper()
	opts := embedded.DefaultOptions(t.TempDir())
	opts.CompactInterval = 0
	s, err := embedded.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func logRecord(ts int64, sev int32, svc, body string, attrs ...model.KeyValue) model.LogRecord {
	return model.LogRecord{Timestamp: ts, ObservedTimestamp: ts, SeverityNumber: model.SeverityNumber(sev), Body: model.StringValue(body),
		Attributes: attrs, Resource: &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", svc)}}, Scope: &model.Scope{}}
}

// rows renders a result as text, one line per row.
func rows(t testing.TB, r *query.Response) string {
	t.Helper()
	var b strings.Builder
	for _, rec := range r.Result.Records {
		for i := 0; i < int(rec.NumRows()); i++ {
			for j, col := range rec.Columns() {
				if j > 0 {
					b.WriteString(" | ")
				}
				switch c := col.(type) {
				case *array.Timestamp:
					b.WriteString(time.Unix(0, int64(c.Value(i))).UTC().Format(time.RFC3339Nano))
				default:
					b.WriteString(col.ValueStr(i))
				}
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestEmbeddedStore runs HQL end to end on the embedded store, with rows both in Parquet parts
// and in the unflushed buffers.
func TestEmbeddedStore(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	first := &model.Batch{Logs: []model.LogRecord{
		logRecord(t0+1, 9, "api", "GET /a done", model.StringKV("http.method", "GET")),
		logRecord(t0+30e9, 17, "api", "Timeout talking to db"),
	}}
	if err := s.Write(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	second := &model.Batch{Logs: []model.LogRecord{
		logRecord(t0+61e9, 13, "web", "slow timeout", model.StringKV("http.method", "POST")),
		logRecord(t0+7200e9, 21, "web", "outside the range"),
	}}
	if err := s.Write(ctx, second); err != nil {
		t.Fatal(err)
	}
	e := &query.Engine{Store: s, MaxRows: 100}
	p := hql.Params{From: t0, To: t0 + 3600e9, Interval: time.Minute}
	cases := []struct{ q, want string }{
		{"SELECT $__timeGroup(timestamp, $__interval) AS t, level, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY t, level ORDER BY t, level",
			"2024-01-01T00:00:00Z | error | 1\n2024-01-01T00:00:00Z | info | 1\n2024-01-01T00:01:00Z | warn | 1\n"},
		{"SELECT timestamp, attributes['http.method'] AS m FROM logs WHERE body CONTAINS 'TIMEOUT' OR attributes['http.method'] = 'GET' ORDER BY timestamp",
			"2024-01-01T00:00:00.000000001Z | GET\n2024-01-01T00:00:30Z | (null)\n2024-01-01T00:01:01Z | POST\n"},
		{"SELECT service, count(*) FROM logs GROUP BY service ORDER BY service", "api | 2\nweb | 2\n"},
	}
	for _, c := range cases {
		resp, err := e.Run(ctx, c.q, p)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if got := rows(t, resp); got != c.want {
			t.Errorf("%s\ngot:\n%swant:\n%s", c.q, got, c.want)
		}
		resp.Release()
	}
}

// TestEmbeddedCountByMinute measures the reference query over HEIMSIGHT_HQL_BENCH_ROWS
// log rows (e.g. 10000000) spread over 24 hours. Skipped unless the variable is set.
func TestEmbeddedCountByMinute(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HEIMSIGHT_HQL_BENCH_ROWS"))
	if n <= 0 {
		t.Skip("set HEIMSIGHT_HQL_BENCH_ROWS to run")
	}
	s := openStore(t)
	ctx := context.Background()
	const batch = 10000
	step := int64(86400e9) / int64(n)
	start := time.Now()
	res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "api")}}
	scope := &model.Scope{Name: "bench"}
	for i := 0; i < n; i += batch {
		b := &model.Batch{Logs: make([]model.LogRecord, 0, batch)}
		for j := i; j < i+batch && j < n; j++ {
			b.Logs = append(b.Logs, model.LogRecord{Timestamp: t0 + int64(j)*step, SeverityNumber: model.SeverityNumber(1 + j%24),
				Body:       model.StringValue(fmt.Sprintf("request %d finished in %d ms with status ok", j, j%977)),
				Attributes: model.Attributes{model.StringKV("http.method", "GET"), model.StringKV("k", strconv.Itoa(j%100))},
				Resource:   res, Scope: scope})
		}
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d rows in %v", n, time.Since(start))
	e := &query.Engine{Store: s, MaxRows: 100000}
	for _, q := range []string{
		"SELECT bucket(timestamp, '1m') AS t, severity_number, count(*) FROM logs GROUP BY t, severity_number LIMIT 100000",
		"SELECT bucket(timestamp, '1m') AS t, level, count(*) FROM logs GROUP BY t, level LIMIT 100000",
		"SELECT bucket(timestamp, '1m') AS t, level, count(*) FROM logs WHERE timestamp >= '2024-01-01T12:00:00Z' AND timestamp < '2024-01-01T13:00:00Z' GROUP BY t, level",
	} {
		for i := 0; i < 3; i++ {
			cpu0 := processCPU()
			resp, err := e.Run(ctx, q, hql.Params{})
			if err != nil {
				t.Fatal(err)
			}
			// Process CPU time shows the work when the machine is shared (wall time then
			// includes waiting for a CPU).
			t.Logf("%s: %d groups in %v (process CPU %v)", q, resp.Result.Rows, resp.Elapsed, processCPU()-cpu0)
			resp.Release()
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
