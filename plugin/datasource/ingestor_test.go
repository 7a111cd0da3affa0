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
// query with one row of a time column and one float64 column named value (the same schema for
// the raw table and the tiers, so the engine can join the parts of a split query): the time is
// the hour the scanned range starts in, the value 0.5 from the raw table and 1.5 from a tier.
// It records the table and range each query scanned.
type tierStore struct {
	value string
	// tierInt makes the tiers answer value as int64, so a split query's parts differ in schema.
	tierInt bool
	mu      sync.Mutex
	scans   []store.TableScan
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
	s.scans = append(s.scans, q.Tables...)
	s.mu.Unlock()
	at, tier := time.Now().Add(-25*time.Hour), false
	if len(q.Tables) > 0 {
		if q.Tables[0].From != 0 {
			at = time.Unix(0, q.Tables[0].From).Truncate(time.Hour)
		}
		tier = q.Tables[0].Table != "metrics"
	}
	valueType := arrow.DataType(arrow.PrimitiveTypes.Float64)
	if tier && s.tierInt {
		valueType = arrow.PrimitiveTypes.Int64
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "time", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, Nullable: true},
		{Name: s.value, Type: valueType, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(at.UnixNano()))
	switch vb := b.Field(1).(type) {
	case *array.Float64Builder:
		if tier {
			vb.Append(1.5)
		} else {
			vb.Append(0.5)
		}
	case *array.Int64Builder:
		vb.Append(2)
	}
	return &store.Result{Schema: schema, Records: []arrow.RecordBatch{b.NewRecordBatch()}, Rows: 1}, nil
}

// read returns the tables read since the last call.
func (s *tierStore) read() []string {
	var out []string
	for _, sc := range s.readScans() {
		out = append(out, sc.Table)
	}
	return out
}

// readScans returns the table scans since the last call.
func (s *tierStore) readScans() []store.TableScan {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.scans
	s.scans = nil
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

// tierSplitNotice is the notice of a tier that answered [from, to] of a longer range.
func tierSplitNotice(tier string, from, to time.Time) string {
	const layout = "2006-01-02 15:04:05"
	return tier + " aggregation tier answered " + from.UTC().Format(layout) + " to " + to.UTC().Format(layout) +
		" UTC; raw metrics rows the rest of the range"
}

// tierNotices returns the notices of f that mention a tier.
func tierNotices(f *data.Frame) []data.Notice {
	var out []data.Notice
	if f.Meta == nil {
		return nil
	}
	for _, n := range f.Meta.Notices {
		if strings.Contains(n.Text, "tier") {
			out = append(out, n)
		}
	}
	return out
}

// grafanaRange is a dashboard's range as Grafana sends it: milliseconds, off the hour, ending
// in an hour the tiers hold. The hourly tier holds its whole hours [tierFrom, tierTo].
func grafanaRange() (tr backend.TimeRange, tierFrom, tierTo time.Time) {
	hour := time.Now().UTC().Truncate(time.Hour)
	tr = backend.TimeRange{From: hour.Add(-30*time.Hour + 12*time.Minute + 345*time.Millisecond),
		To: hour.Add(-2*time.Hour + 34*time.Minute + 56789*time.Millisecond)}
	return tr, hour.Add(-29 * time.Hour), hour.Add(-2*time.Hour - time.Nanosecond)
}

// TestTierNotice checks that a frame says which aggregation tier the ingestor answered from,
// and over which part of the range when raw rows answered the rest, and that the metrics
// builder's raw tier asks the ingestor to stay on the raw table.
func TestTierNotice(t *testing.T) {
	st := &tierStore{value: "cpu"}
	srv := realIngestor(t, st)
	// A tier answers the whole range when it is whole tier intervals: $__timeFilter includes
	// both ends, so the range runs from an hour boundary to 1 ns before one. Grafana's
	// millisecond ranges never are: the tier answers their whole hours, raw rows the rest.
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	aligned := backend.TimeRange{From: day, To: day.Add(24*time.Hour - time.Nanosecond)}
	unaligned := backend.TimeRange{From: day, To: day.Add(24*time.Hour - time.Millisecond)}
	grafana, tierFrom, tierTo := grafanaRange()
	const hqlModel = `{"queryType":"hql","format":"time_series","hql":"SELECT $__timeGroup(timestamp, 1h) AS time, avg(value) AS cpu FROM metrics WHERE $__timeFilter(timestamp) AND name = 'cpu' AND type = 'gauge' GROUP BY time ORDER BY time"}`
	const tierText = "Answered from the metrics_1hour aggregation tier instead of the raw metrics table"
	cases := []struct {
		name, model string
		tr          backend.TimeRange
		raw         bool     // whether the request asks for the raw table
		read        []string // tables the store was asked for
		notice      string   // "" for none
	}{
		{"hql", hqlModel, aligned, false, []string{"metrics_1hour"}, tierText},
		{"hql unaligned range", hqlModel, unaligned, false, []string{"metrics_1hour", "metrics"},
			tierSplitNotice("metrics_1hour", day, day.Add(23*time.Hour-time.Nanosecond))},
		{"metrics auto", `{"queryType":"metrics","metric":"cpu","tier":"auto"}`, aligned, false, []string{"metrics_1hour"}, tierText},
		{"metrics auto Grafana range", `{"queryType":"metrics","metric":"cpu","tier":"auto"}`, grafana, false,
			[]string{"metrics", "metrics_1hour", "metrics"}, tierSplitNotice("metrics_1hour", tierFrom, tierTo)},
		{"metrics raw", `{"queryType":"metrics","metric":"cpu","tier":"raw","filters":[{"key":"type","value":"gauge"}]}`, aligned, true, []string{"metrics"}, ""},
		{"metrics raw Grafana range", `{"queryType":"metrics","metric":"cpu","tier":"raw"}`, grafana, true, []string{"metrics"}, ""},
		{"metrics 1h", `{"queryType":"metrics","metric":"cpu","tier":"1h","filters":[{"key":"type","value":"gauge"}]}`, aligned, false, []string{"metrics_1hour"}, ""},
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
				if got := st.read(); !slices.Equal(got, c.read) {
					t.Errorf("store read %v, want %v", got, c.read)
				}
				if len(r.Frames) == 0 {
					t.Fatal("no frames")
				}
				for _, f := range r.Frames {
					if f.Meta == nil || !strings.Contains(f.Meta.ExecutedQueryString, " FROM metrics") {
						t.Fatalf("executedQueryString lost: %+v", f.Meta)
					}
					notices := tierNotices(f)
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

// TestTierSplit checks a metrics builder query over a Grafana range end to end: the ingestor
// answers the ragged start and the newest hours from raw rows and the whole hours between from
// the hourly tier, and the plugin shows the rows of the three parts in time order. When the
// parts' columns differ in type the ingestor answers from the raw table alone, without a notice.
func TestTierSplit(t *testing.T) {
	tr, tierFrom, tierTo := grafanaRange()
	const model = `{"queryType":"metrics","metric":"cpu","tier":"auto","groupBy":[]}`
	for _, transport := range []string{"arrow", "json"} {
		t.Run(transport, func(t *testing.T) {
			st := &tierStore{value: "cpu"}
			d := newTestDatasource(realIngestor(t, st).URL, transport == "json")
			r := runRange(t, d, model, tr)
			ns := func(t time.Time) int64 { return t.UnixNano() }
			want := []store.TableScan{
				{Table: "metrics", From: ns(tr.From), To: ns(tierFrom)},
				{Table: "metrics_1hour", From: ns(tierFrom), To: ns(tierTo) + 1},
				{Table: "metrics", From: ns(tierTo) + 1, To: ns(tr.To) + 1},
			}
			if got := st.readScans(); !slices.Equal(got, want) {
				t.Errorf("store scanned %+v, want %+v", got, want)
			}
			if len(r.Frames) != 1 || len(r.Frames[0].Fields) != 2 {
				t.Fatalf("frames %v", r.Frames)
			}
			f := r.Frames[0]
			wantTimes := []time.Time{tr.From.Truncate(time.Hour), tierFrom, tierTo.Add(time.Nanosecond)}
			wantValues := []float64{0.5, 1.5, 0.5}
			if f.Rows() != len(wantTimes) {
				t.Fatalf("%d rows, want %d", f.Rows(), len(wantTimes))
			}
			for i := range wantTimes {
				tm, _ := f.Fields[0].ConcreteAt(i)
				v, _ := f.Fields[1].FloatAt(i)
				if at, ok := tm.(time.Time); !ok || !at.Equal(wantTimes[i]) || v != wantValues[i] {
					t.Errorf("row %d: %v %v, want %v %v", i, tm, v, wantTimes[i], wantValues[i])
				}
			}
			if n := tierNotices(f); len(n) != 1 || n[0].Text != tierSplitNotice("metrics_1hour", tierFrom, tierTo) {
				t.Errorf("tier notices %+v", n)
			}

			// The tier's value is an integer, the raw table's a float: no split.
			st.tierInt = true
			r = runRange(t, d, model, tr)
			if got := st.read(); !slices.Equal(got, []string{"metrics", "metrics_1hour", "metrics"}) {
				t.Errorf("store read %v, want the first two parts and then the whole raw query", got)
			}
			if len(r.Frames) != 1 || r.Frames[0].Rows() != 1 {
				t.Fatalf("frames %v", r.Frames)
			}
			if n := tierNotices(r.Frames[0]); len(n) != 0 {
				t.Errorf("tier notices %+v for an answer from the raw table", n)
			}
		})
	}
}

// runRange runs one query over tr with Grafana's 1h interval.
func runRange(t *testing.T, d *Datasource, model string, tr backend.TimeRange) backend.DataResponse {
	t.Helper()
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{
		RefID: "A", JSON: []byte(model), Interval: time.Hour, MaxDataPoints: 100, TimeRange: tr}}})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses["A"]
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	return r
}

// TestTierNoticeWording checks the notice for the tier parts an ingestor may report, including
// none (an ingestor older than the split reports only the tier, which then answered it all).
func TestTierNoticeWording(t *testing.T) {
	b, err := model(t, `{"queryType":"metrics","metric":"cpu"}`).build()
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 1, 0, 34, 56, 789e6, time.UTC)
	to := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	ns := func(t time.Time) int64 { return t.UnixNano() }
	const whole = "Answered from the metrics_1hour aggregation tier instead of the raw metrics table"
	split := "metrics_1hour aggregation tier answered 2026-11-01 01:00:00 to 2026-11-27 01:59:59 UTC; raw metrics rows the rest of the range"
	for _, c := range []struct {
		name string
		res  result
		want string
	}{
		{"raw table", result{}, ""},
		{"no part reported", result{Tier: "metrics_1hour"}, whole},
		{"whole range", result{Tier: "metrics_1hour", TierFrom: ns(from), TierTo: ns(to)}, whole},
		{"whole buckets", result{Tier: "metrics_1hour", TierFrom: ns(from.Truncate(time.Hour).Add(time.Hour)),
			TierTo: ns(to.Truncate(time.Hour)) - 1}, split},
	} {
		n, ok := tierNotice(b, &c.res, from, to)
		if ok != (c.want != "") || n.Text != c.want {
			t.Errorf("%s: notice %q (%v), want %q", c.name, n.Text, ok, c.want)
		}
	}
}
