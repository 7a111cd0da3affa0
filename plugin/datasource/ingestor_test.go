package datasource

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/heimsight/heimsight/ingestor/api"
	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/store"
)

// These tests run the plugin against the ingestor's real REST handler (ingestor/api) with its
// real authorization and the real query engine (pkg/query: planning, tier selection, the DuckDB
// emitter). Only the store is replaced: the embedded store needs cgo, which the plugin's tests
// build without.

// tierStore is a store that builds every metrics tier and reports them complete up to the
// current hour, so the engine selects tiers as it does on a rolled-up store. It answers every
// query with one row of a time column and one float64 column named value, and records which
// table each query read.
type tierStore struct {
	value  string
	mu     sync.Mutex
	tables []string
}

var _ interface {
	store.Querier
	store.TierBuilder
	store.TierInfo
} = (*tierStore)(nil)

func (s *tierStore) Dialect() string { return "duckdb" }

func (s *tierStore) Tiers() []string {
	return []string{"metrics_1min", "metrics_5min", "metrics_1hour", "metrics_1day"}
}

func (s *tierStore) TierInfo(string) (completeFrom, completeTo int64, exactQuantiles bool) {
	return 0, time.Now().UTC().Truncate(time.Hour).UnixNano(), false
}

func (s *tierStore) Query(_ context.Context, q *store.Query) (*store.Result, error) {
	// Rendering the SQL proves the emitter accepts the (possibly rewritten) plan.
	if _, _, err := q.Build(func(t string) (string, error) { return `"` + t + `"`, nil }); err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, t := range q.Tables {
		s.tables = append(s.tables, t.Table)
	}
	s.mu.Unlock()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "time", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, Nullable: true},
		{Name: s.value, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Now().Add(-25 * time.Hour).UnixNano()))
	b.Field(1).(*array.Float64Builder).Append(0.5)
	return &store.Result{Schema: schema, Records: []arrow.RecordBatch{b.NewRecordBatch()}, Rows: 1}, nil
}

// read returns the tables read since the last call.
func (s *tierStore) read() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.tables
	s.tables = nil
	return out
}

// ingestorServer is the real REST API over httptest, noting the raw flag of each query request.
type ingestorServer struct {
	*httptest.Server
	mu   sync.Mutex
	raws []bool
}

// rawFlags returns the raw flags of the query requests since the last call.
func (s *ingestorServer) rawFlags() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.raws
	s.raws = nil
	return out
}

// realIngestor serves the ingestor's REST API over st; with tokens, requests need them.
func realIngestor(t *testing.T, st store.Querier, tokens ...auth.Token) *ingestorServer {
	t.Helper()
	pipe, err := ingest.New(discardWriter{}, ingest.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Options{Pipeline: pipe, Query: &query.Engine{Store: st}, Version: "0.3.0", Backend: "embedded",
		Auth: auth.New(tokens)})
	if err != nil {
		t.Fatal(err)
	}
	s := &ingestorServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query" {
			body, _ := io.ReadAll(r.Body)
			var q struct{ Raw bool }
			json.Unmarshal(body, &q)
			s.mu.Lock()
			s.raws = append(s.raws, q.Raw)
			s.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		a.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestTierNotice checks that a frame says which aggregation tier the ingestor answered from,
// and that the metrics builder's raw tier asks the ingestor to stay on the raw table.
func TestTierNotice(t *testing.T) {
	st := &tierStore{value: "cpu"}
	srv := realIngestor(t, st)
	// Tier selection needs whole tier intervals: $__timeFilter includes both ends, so the range
	// runs from an hour boundary to 1 ns before one. Grafana's millisecond ranges never are.
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	aligned := backend.TimeRange{From: day, To: day.Add(24*time.Hour - time.Nanosecond)}
	unaligned := backend.TimeRange{From: day, To: day.Add(24*time.Hour - time.Millisecond)}
	const hqlModel = `{"queryType":"hql","format":"time_series","hql":"SELECT $__timeGroup(timestamp, 1h) AS time, avg(value) AS cpu FROM metrics WHERE $__timeFilter(timestamp) AND name = 'cpu' AND type = 'gauge' GROUP BY time ORDER BY time"}`
	const tierText = "Answered from the metrics_1hour aggregation tier instead of the raw metrics table"
	cases := []struct {
		name, model string
		tr          backend.TimeRange
		raw         bool   // whether the request asks for the raw table
		read        string // table the store was asked for
		notice      string // "" for none
	}{
		{"hql", hqlModel, aligned, false, "metrics_1hour", tierText},
		{"hql unaligned range", hqlModel, unaligned, false, "metrics", ""},
		{"metrics raw", `{"queryType":"metrics","metric":"cpu","tier":"raw","filters":[{"key":"type","value":"gauge"}]}`, aligned, true, "metrics", ""},
		{"metrics 1h", `{"queryType":"metrics","metric":"cpu","tier":"1h","filters":[{"key":"type","value":"gauge"}]}`, aligned, false, "metrics_1hour", ""},
	}
	for _, transport := range []string{"arrow", "json"} {
		d := newTestDatasource(srv.URL, transport == "json")
		for _, c := range cases {
			t.Run(transport+"/"+c.name, func(t *testing.T) {
				resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{
					RefID: "A", JSON: []byte(c.model), Interval: time.Hour, MaxDataPoints: 100, TimeRange: c.tr}}})
				if err != nil {
					t.Fatal(err)
				}
				r := resp.Responses["A"]
				if r.Error != nil {
					t.Fatal(r.Error)
				}
				if got := srv.rawFlags(); !slices.Equal(got, []bool{c.raw}) {
					t.Errorf("raw flags sent %v, want [%v]", got, c.raw)
				}
				if got := st.read(); !slices.Equal(got, []string{c.read}) {
					t.Errorf("store read %v, want [%s]", got, c.read)
				}
				if len(r.Frames) == 0 {
					t.Fatal("no frames")
				}
				for _, f := range r.Frames {
					if f.Meta == nil || !strings.Contains(f.Meta.ExecutedQueryString, " FROM metrics") {
						t.Fatalf("executedQueryString lost: %+v", f.Meta)
					}
					var notices []data.Notice
					for _, n := range f.Meta.Notices {
						if strings.Contains(n.Text, "tier") {
							notices = append(notices, n)
						}
					}
					switch {
					case c.notice == "" && len(notices) > 0:
						t.Errorf("frame %q: unexpected tier notice %+v", f.Name, notices)
					case c.notice != "" && (len(notices) != 1 || notices[0].Text != c.notice || notices[0].Severity != data.NoticeSeverityInfo):
						t.Errorf("frame %q: tier notices %+v, want one info notice %q", f.Name, notices, c.notice)
					}
				}
			})
		}
	}
}
