package datasource

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Handler tests replay answers the real ingestor gave to the plugin's real requests, recorded by
// the end-to-end test (go test ./plugin/e2e -record). A request the recording lacks is answered
// 599 so a changed query shows up as a test failure, not a silent fallback.

type recordedExchange struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  string            `json:"query"`
	Arrow  bool              `json:"arrow"`
	Status int               `json:"status"`
	Header map[string]string `json:"header"`
	Body   string            `json:"body"`
}

type replayServer struct {
	*httptest.Server
	mu       sync.Mutex
	missing  []string
	requests int
}

func newReplay(t *testing.T) *replayServer {
	t.Helper()
	b, err := os.ReadFile("testdata/recorded.json")
	if err != nil {
		t.Fatalf("cannot read recorded ingestor answers (go test ./plugin/e2e -run TestPluginEndToEnd -record): %v", err)
	}
	var exs []recordedExchange
	if err := json.Unmarshal(b, &exs); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]recordedExchange{}
	for _, e := range exs {
		byKey[fmt.Sprintf("%s %s %s %v", e.Method, e.Path, e.Query, e.Arrow)] = e
	}
	rs := &replayServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var q struct{ Query string }
		json.Unmarshal(body, &q)
		arrow := strings.Contains(r.Header.Get("Accept"), arrowStreamType)
		e, ok := byKey[fmt.Sprintf("%s %s %s %v", r.Method, r.URL.Path, q.Query, arrow)]
		rs.mu.Lock()
		rs.requests++
		if !ok {
			rs.missing = append(rs.missing, fmt.Sprintf("%s %s %q arrow=%v", r.Method, r.URL.Path, q.Query, arrow))
		}
		rs.mu.Unlock()
		if !ok {
			w.WriteHeader(599)
			return
		}
		for k, v := range e.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(e.Status)
		rb, _ := base64.StdEncoding.DecodeString(e.Body)
		w.Write(rb)
	}))
	t.Cleanup(func() {
		rs.Close()
		for _, m := range rs.missing {
			t.Errorf("no recorded answer for %s", m)
		}
	})
	return rs
}

func newTestDatasource(url string, jsonTransport bool) *Datasource {
	d := New(Settings{URL: url, APIToken: "token-1", Timeout: 10 * time.Second, UID: "hs", Name: "Heimsight"})
	d.client.json = jsonTransport
	return d
}

func runQuery(t *testing.T, d *Datasource, refID string, model string) backend.DataResponse {
	t.Helper()
	now := time.Now()
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{
		RefID: refID, JSON: json.RawMessage(model), Interval: time.Minute, MaxDataPoints: 1000,
		TimeRange: backend.TimeRange{From: now.Add(-time.Hour), To: now},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Responses[refID]
}

// handlerCases are the queries the end-to-end test sends, with the frame shape each must give.
var handlerCases = []struct {
	name, model string
	frames      int
	fields      string
	rows        int
	vis         data.VisType
	frameType   data.FrameType
}{
	{"logs", `{"queryType":"logs","service":"checkout"}`, 1,
		"timestamp:time.Time,body:string,severity:string,id:string,labels:json.RawMessage,traceID:string,spanID:string", 5, data.VisTypeLogs, data.FrameTypeLogLines},
	{"logs severity", `{"queryType":"logs","severity":["error"]}`, 1, "", 2, data.VisTypeLogs, data.FrameTypeLogLines},
	{"hql table", `{"queryType":"hql","format":"table","hql":"SELECT service, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY service ORDER BY service"}`, 1,
		"service:string,n:int64", 2, data.VisTypeTable, ""},
	{"hql time series", `{"queryType":"hql","format":"time_series","hql":"SELECT $__timeGroup(timestamp, $__interval) AS time, service, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY time, service ORDER BY time"}`, 1,
		"time:time.Time,n:int64,n:int64", -1, "", data.FrameTypeTimeSeriesWide},
	{"traces search", `{"queryType":"traces","service":"checkout","status":"Error"}`, 1,
		"startTime:time.Time,traceID:string,spanID:string,parentSpanID:string,serviceName:string,operationName:string,kind:string,duration:float64,status:string", 1, data.VisTypeTable, ""},
	{"traceId", `{"queryType":"traceId","traceId":"4BF92F3577B34DA6A3CE929D0E0E4736"}`, 1,
		"traceID:string,spanID:string,parentSpanID:string,serviceName:string,operationName:string,startTime:float64,duration:float64,tags:json.RawMessage,serviceTags:json.RawMessage,logs:json.RawMessage,references:json.RawMessage,kind:string,statusCode:int64,statusMessage:string,instrumentationLibraryName:string,instrumentationLibraryVersion:string,traceState:string", 2, data.VisTypeTrace, ""},
	{"metrics", `{"queryType":"metrics","metric":"queue.depth","aggregation":"avg","groupBy":["attributes.route"]}`, 1,
		"time:time.Time,queue.depth:float64,queue.depth:float64", 3, "", data.FrameTypeTimeSeriesWide},
	{"logs volume", `{"queryType":"logsVolume"}`, 4, "time:time.Time,count:float64", -1, data.VisTypeGraph, data.FrameTypeTimeSeriesMulti},
	{"hql as trace", `{"queryType":"hql","format":"trace","hql":"SELECT * FROM spans WHERE trace_id = '4bf92f3577b34da6a3ce929d0e0e4736' ORDER BY timestamp"}`, 1,
		"", 2, data.VisTypeTrace, ""},
	{"logs as table", `{"queryType":"logs","service":"checkout","format":"table"}`, 1,
		"timestamp:time.Time,severity_text:string,severity_number:int64,body:string,level:string,trace_id:string,span_id:string,service:string,attributes:json.RawMessage,resource:json.RawMessage,scope_name:string,scope_attributes:json.RawMessage", 5, data.VisTypeTable, ""},
	{"metrics as table", `{"queryType":"metrics","metric":"queue.depth","aggregation":"avg","groupBy":["attributes.route"],"format":"table"}`, 1,
		"time:time.Time,route:string,queue.depth:float64", 6, data.VisTypeTable, ""},
	{"log context", `{"queryType":"logContext","service":"checkout","contextDirection":"backward","contextTimestamp":"1767322800000000000","limit":2}`, 1,
		"timestamp:time.Time,body:string,severity:string,id:string,labels:json.RawMessage,traceID:string,spanID:string", 2, data.VisTypeLogs, data.FrameTypeLogLines},
	{"hql as logs", `{"queryType":"hql","format":"logs","hql":"SELECT timestamp, body, level, trace_id FROM logs WHERE $__timeFilter(timestamp) AND service = 'payments' ORDER BY timestamp"}`, 1,
		"", 2, data.VisTypeLogs, data.FrameTypeLogLines},
}

func frameFields(f *data.Frame) string {
	var parts []string
	for _, fld := range f.Fields {
		parts = append(parts, fld.Name+":"+fld.Type().ItemTypeString())
	}
	return strings.Join(parts, ",")
}

func TestQueryDataReplayed(t *testing.T) {
	rs := newReplay(t)
	for _, transport := range []string{"arrow", "json"} {
		d := newTestDatasource(rs.URL, transport == "json")
		for _, c := range handlerCases {
			t.Run(transport+"/"+c.name, func(t *testing.T) {
				r := runQuery(t, d, "A", c.model)
				if r.Error != nil {
					t.Fatalf("error %v", r.Error)
				}
				if len(r.Frames) != c.frames {
					t.Fatalf("%d frames, want %d", len(r.Frames), c.frames)
				}
				f := r.Frames[0]
				if c.fields != "" && frameFields(f) != c.fields {
					t.Errorf("fields\n got %s\nwant %s", frameFields(f), c.fields)
				}
				if c.rows >= 0 && f.Rows() != c.rows {
					t.Errorf("%d rows, want %d", f.Rows(), c.rows)
				}
				if f.Meta == nil || f.Meta.ExecutedQueryString == "" {
					t.Fatalf("no executedQueryString: %+v", f.Meta)
				}
				if f.Meta.PreferredVisualization != c.vis || f.Meta.Type != c.frameType {
					t.Errorf("meta vis %q type %q, want %q %q", f.Meta.PreferredVisualization, f.Meta.Type, c.vis, c.frameType)
				}
				// What Grafana receives must survive its Arrow encoding.
				for _, f := range r.Frames {
					b, err := f.MarshalArrow()
					if err != nil {
						t.Fatal(err)
					}
					if _, err := data.UnmarshalArrowFrame(b); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

// normalizedJSON encodes frames with every JSON object's keys sorted: the ingestor's JSON answer
// sorts map keys, its Arrow answer keeps the stored order, and both mean the same.
func normalizedJSON(t *testing.T, frames data.Frames) []byte {
	t.Helper()
	b, err := json.Marshal(frames)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return out
}

// TestTransportsAgree checks that the JSON and Arrow answers of the ingestor give the same frames.
func TestTransportsAgree(t *testing.T) {
	rs := newReplay(t)
	arrowDS, jsonDS := newTestDatasource(rs.URL, false), newTestDatasource(rs.URL, true)
	for _, c := range handlerCases {
		a, j := runQuery(t, arrowDS, "A", c.model), runQuery(t, jsonDS, "A", c.model)
		if a.Error != nil || j.Error != nil {
			t.Fatalf("%s: %v / %v", c.name, a.Error, j.Error)
		}
		ab, jb := normalizedJSON(t, a.Frames), normalizedJSON(t, j.Frames)
		if !bytes.Equal(ab, jb) {
			t.Errorf("%s: frames differ between transports\narrow: %.600s\n json: %.600s", c.name, ab, jb)
		}
	}
}

func TestQueryErrorsReplayed(t *testing.T) {
	rs := newReplay(t)
	d := newTestDatasource(rs.URL, false)
	for _, c := range []struct{ model, msg string }{
		{`{"queryType":"hql","hql":"SELECT sevrity FROM logs"}`, "line 1, column 8"},
		{`{"queryType":"hql","hql":"SELECT body FROM logs WHERE"}`, "line 1"},
		{`{"queryType":"traceId","traceId":"xyz"}`, "32 hex digits"},
		{`{"queryType":"nope"}`, "unknown queryType"},
		{`{"queryType":"logs","severity":["loud"]}`, "unknown severity"},
	} {
		r := runQuery(t, d, "A", c.model)
		if r.Error == nil || !strings.Contains(r.Error.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", c.model, r.Error, c.msg)
			continue
		}
		if r.ErrorSource != backend.ErrorSourceDownstream || r.Status != backend.StatusBadRequest {
			t.Errorf("%s: source %q status %d, want downstream 400", c.model, r.ErrorSource, r.Status)
		}
	}
}

// TestTruncatedNotice checks that a result cut at the row limit says so on the frame.
func TestTruncatedNotice(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"columns":[{"name":"service","type":"string"}],"data":[["a"]],"stats":{"rows":1,"truncated":true}}`)
	}))
	defer srv.Close()
	r := runQuery(t, newTestDatasource(srv.URL, true), "A", `{"queryType":"hql","hql":"SELECT service FROM logs"}`)
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	if n := r.Frames[0].Meta.Notices; len(n) != 1 || !strings.Contains(n[0].Text, "cut at 1 rows") {
		t.Errorf("notices %+v", n)
	}
}
