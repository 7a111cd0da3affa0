package datasource

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/heimsight/heimsight/ingestor/api"
	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/ingest"
	hsmodel "github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/store"
)

// The benchmark measures a 100,000-row logs result from the ingestor's HTTP answer to Grafana
// frames, over both transports. The ingestor side is the real REST handler (ingestor/api) with
// its real JSON and Arrow encoders; only the store is replaced by pre-built Arrow records with
// the exact schema the embedded store returned in the recorded end-to-end run.

const benchRows = 100_000

const benchLogsModel = `{"queryType":"logs","limit":100000}`

// recordedSchema returns the schema of the recorded Arrow answer to the logs builder query.
func recordedSchema(tb testing.TB) *arrow.Schema {
	tb.Helper()
	b, err := os.ReadFile("testdata/recorded.json")
	if err != nil {
		tb.Fatal(err)
	}
	var exs []recordedExchange
	if err := json.Unmarshal(b, &exs); err != nil {
		tb.Fatal(err)
	}
	for _, e := range exs {
		if e.Arrow && e.Status == 200 && strings.HasPrefix(e.Query, "SELECT timestamp, severity_text, severity_number, body, level") {
			body, _ := base64.StdEncoding.DecodeString(e.Body)
			res, err := readArrowStream(bytes.NewReader(body))
			if err != nil {
				tb.Fatal(err)
			}
			return res.Schema
		}
	}
	tb.Fatal("no recorded Arrow answer to a logs query")
	return nil
}

// benchRecords builds n log rows in batches of 2048 (DuckDB's vector size): 20 services, bodies
// of 60-120 bytes, 5 record attributes, 4 resource attributes, one scope attribute, a trace id
// on every other row.
func benchRecords(tb testing.TB, schema *arrow.Schema, n int) []arrow.RecordBatch {
	levels := []string{"debug", "info", "info", "info", "warn", "error"}
	sevText := []string{"DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"}
	sevNum := []int32{5, 9, 9, 9, 13, 17}
	base := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC).UnixNano()
	var out []arrow.RecordBatch
	for start := 0; start < n; start += 2048 {
		end := min(start+2048, n)
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for r := start; r < end; r++ {
			l := r % len(levels)
			svc := fmt.Sprintf("service-%02d", r%20)
			for i, f := range schema.Fields() {
				fb := b.Field(i)
				switch f.Name {
				case "timestamp":
					fb.(*array.TimestampBuilder).Append(arrow.Timestamp(base + int64(r)*1e6))
				case "severity_text":
					fb.(*array.StringBuilder).Append(sevText[l])
				case "severity_number":
					fb.(*array.Int32Builder).Append(sevNum[l])
				case "level":
					fb.(*array.StringBuilder).Append(levels[l])
				case "body":
					fb.(*array.StringBuilder).Append(fmt.Sprintf("request %d handled by %s in %dms: GET /api/v1/orders/%d status=200 user=\"u%d\"", r, svc, r%977, r*7, r%1000))
				case "trace_id":
					if r%2 == 0 {
						fb.(*array.StringBuilder).Append(fmt.Sprintf("%032x", r*7919+1))
					} else {
						fb.(*array.StringBuilder).Append("")
					}
				case "span_id":
					if r%2 == 0 {
						fb.(*array.StringBuilder).Append(fmt.Sprintf("%016x", r*104729+1))
					} else {
						fb.(*array.StringBuilder).Append("")
					}
				case "service":
					fb.(*array.StringBuilder).Append(svc)
				case "scope_name":
					fb.(*array.StringBuilder).Append("github.com/acme/" + svc)
				case "attributes":
					appendMap(fb.(*array.MapBuilder), "http.method", "GET", "http.route", "/api/v1/orders/{id}",
						"http.status_code", "200", "user.id", fmt.Sprint(r%1000), "thread.name", fmt.Sprintf("worker-%d", r%16))
				case "resource":
					appendMap(fb.(*array.MapBuilder), "service.name", svc, "host.name", fmt.Sprintf("host-%d", r%50),
						"k8s.pod.name", fmt.Sprintf("%s-7d9f-%d", svc, r%5), "deployment.environment", "production")
				case "scope_attributes":
					appendMap(fb.(*array.MapBuilder), "lib.kind", "logger")
				default:
					fb.AppendNull()
				}
			}
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

func appendMap(b *array.MapBuilder, kv ...string) {
	b.Append(true)
	kb, ib := b.KeyBuilder().(*array.StringBuilder), b.ItemBuilder().(*array.StringBuilder)
	for i := 0; i+1 < len(kv); i += 2 {
		kb.Append(kv[i])
		ib.Append(kv[i+1])
	}
}

// fixedQuerier answers every query with the same records, as a store would.
type fixedQuerier struct {
	schema  *arrow.Schema
	records []arrow.RecordBatch
	columns []hql.OutputColumn
}

func (q *fixedQuerier) Run(_ context.Context, _ string, _ hql.Params) (*query.Response, error) {
	var rows int64
	for _, r := range q.records {
		r.Retain() // the handler releases the result after writing it
		rows += r.NumRows()
	}
	return &query.Response{Result: &store.Result{Schema: q.schema, Records: q.records, Rows: rows}, Columns: q.columns}, nil
}

func (q *fixedQuerier) RunSelect(ctx context.Context, _ *hql.Select, p hql.Params) (*query.Response, error) {
	return q.Run(ctx, "", p)
}

type discardWriter struct{}

func (discardWriter) Write(context.Context, *hsmodel.Batch) error { return nil }

// countingHandler counts the bytes of the answers, the transport's cost on the wire.
type countingHandler struct {
	h     http.Handler
	bytes atomic.Int64
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n.Add(int64(n))
	return n, err
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.h.ServeHTTP(countingWriter{w, &c.bytes}, r)
}

// benchIngestor serves the real REST API over n pre-built log rows.
func benchIngestor(tb testing.TB, n int) (*httptest.Server, *countingHandler) {
	tb.Helper()
	schema := recordedSchema(tb)
	m := &QueryModel{}
	if err := json.Unmarshal([]byte(benchLogsModel), m); err != nil {
		tb.Fatal(err)
	}
	built, err := m.build()
	if err != nil {
		tb.Fatal(err)
	}
	plan, err := hql.Plan(built.Sel, hql.DefaultCatalog(), hql.Params{From: 1, To: 2, MaxLimit: n})
	if err != nil {
		tb.Fatal(err)
	}
	pipe, err := ingest.New(discardWriter{}, ingest.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	a, err := api.New(api.Options{Pipeline: pipe, Query: &fixedQuerier{schema: schema, records: benchRecords(tb, schema, n), columns: plan.Columns}})
	if err != nil {
		tb.Fatal(err)
	}
	ch := &countingHandler{h: a}
	srv := httptest.NewServer(ch)
	tb.Cleanup(srv.Close)
	return srv, ch
}

// BenchmarkLogs100k runs QueryData for a 100,000-row logs query: HTTP request, the ingestor's
// encoding, transfer, decoding and frame building, per transport.
func BenchmarkLogs100k(b *testing.B) {
	srv, counter := benchIngestor(b, benchRows)
	for _, transport := range []string{"arrow", "json"} {
		b.Run(transport, func(b *testing.B) {
			d := newTestDatasource(srv.URL, transport == "json")
			d.client.http.Timeout = time.Minute
			req := &backend.QueryDataRequest{Queries: []backend.DataQuery{{RefID: "A", JSON: json.RawMessage(benchLogsModel),
				Interval: time.Minute, TimeRange: backend.TimeRange{From: time.Unix(0, 1), To: time.Unix(0, 2)}}}}
			counter.bytes.Store(0)
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				resp, err := d.QueryData(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				r := resp.Responses["A"]
				if r.Error != nil {
					b.Fatal(r.Error)
				}
				if rows := r.Frames[0].Rows(); rows != benchRows {
					b.Fatalf("%d rows", rows)
				}
			}
			b.ReportMetric(float64(counter.bytes.Load())/float64(b.N), "wire-bytes/op")
			// CPU time of the whole process (ingestor encoding and plugin decoding both run
			// here): unlike wall time it barely moves when other work shares the machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkLogsFrame100k isolates frame building from decoded Arrow records, and the SDK's Arrow
// encoding of the frame that follows on the way to Grafana.
func BenchmarkLogsFrame100k(b *testing.B) {
	schema := recordedSchema(b)
	recs := benchRecords(b, schema, benchRows)
	res := &result{Schema: schema, Records: recs, Rows: benchRows}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := logsFrame("A", newTable(res), links); err != nil {
				b.Fatal(err)
			}
		}
	})
	f, err := logsFrame("A", newTable(res), links)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("marshal-for-grafana", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			buf, err := f.MarshalArrow()
			if err != nil {
				b.Fatal(err)
			}
			n = len(buf)
		}
		b.ReportMetric(float64(n), "bytes/op")
	})
}
