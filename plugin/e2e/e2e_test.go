package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/protobuf/proto"
)

var record = flag.Bool("record", false, "save the ingestor's answers to plugin/datasource/testdata/recorded.json")

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// build compiles pkg into dir/name with the given cgo setting and tags.
func build(t *testing.T, dir, name, pkg string, cgo bool, tags string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	args := []string{"build", "-o", out}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = repoRoot(t)
	env := "CGO_ENABLED=0"
	if cgo {
		env = "CGO_ENABLED=1"
	}
	cmd.Env = append(os.Environ(), env)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

var listenRe = regexp.MustCompile(`rest=(\S+).*grpc=(\S+).*otlp_http=(\S+)`)

// startHeimsight runs the server on free ports and returns its REST address.
func startHeimsight(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "HEIMSIGHT_HOST=127.0.0.1", "HEIMSIGHT_PORT=0", "HEIMSIGHT_GRPC_PORT=0",
		"HEIMSIGHT_OTLP_HTTP_PORT=0", "HEIMSIGHT_DATA_DIR="+t.TempDir(), "HEIMSIGHT_LOG_LEVEL=info",
		"HEIMSIGHT_API_TOKENS=grafana:query+admin:"+grafanaToken+",viewer:query:"+viewerToken+",collector:ingest:"+ingestToken)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logMu sync.Mutex
	var logs strings.Builder
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := listenRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- strings.Trim(m[1], `"`):
				default:
				}
			}
		}
	}()
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			logMu.Lock()
			t.Logf("heimsight log:\n%s", logs.String())
			logMu.Unlock()
		}
	})
	select {
	case a := <-addr:
		return a
	case <-done:
		t.Fatal("heimsight exited before listening")
	case <-time.After(90 * time.Second):
		t.Fatal("heimsight did not report its listening addresses")
	}
	return ""
}

// exchange is one recorded ingestor answer.
type exchange struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  string            `json:"query,omitempty"`
	Arrow  bool              `json:"arrow"`
	Status int               `json:"status"`
	Header map[string]string `json:"header"`
	Body   string            `json:"body"` // base64
}

// recorder is a reverse proxy between the plugin and heimsight that keeps what it forwards.
type recorder struct {
	target string
	mu     sync.Mutex
	seen   map[string]exchange
}

func (rc *recorder) forward(method, path string, header http.Header, body []byte, accept string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, rc.target+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func (rc *recorder) keep(method, path string, body []byte, arrow bool, resp *http.Response, rb []byte) {
	ex := exchange{Method: method, Path: path, Arrow: arrow, Status: resp.StatusCode, Header: map[string]string{},
		Body: base64.StdEncoding.EncodeToString(rb)}
	if path == "/api/v1/query" {
		var q struct{ Query string }
		json.Unmarshal(body, &q)
		ex.Query = q.Query
	}
	for _, h := range []string{"Content-Type", "X-Heimsight-Truncated", "X-Heimsight-Rows"} {
		if v := resp.Header.Get(h); v != "" {
			ex.Header[h] = v
		}
	}
	// The first answer wins: later ones to the same request come from the instances with other
	// tokens.
	key := fmt.Sprintf("%s %s %s %v", method, path, ex.Query, arrow)
	rc.mu.Lock()
	if _, ok := rc.seen[key]; !ok {
		rc.seen[key] = ex
	}
	rc.mu.Unlock()
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	resp, rb, err := rc.forward(r.Method, r.URL.RequestURI(), r.Header, body, "")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	// Keyed by what the plugin asked for, so error answers to Arrow requests are found too.
	arrow := strings.Contains(r.Header.Get("Accept"), "application/vnd.apache.arrow.stream")
	rc.keep(r.Method, r.URL.Path, body, arrow, resp, rb)
	if arrow {
		// Keep the JSON answer to the same request too, for the transport comparison tests.
		if jr, jb, err := rc.forward(r.Method, r.URL.RequestURI(), r.Header, body, "application/json"); err == nil {
			rc.keep(r.Method, r.URL.Path, body, false, jr, jb)
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(rb)
}

func (rc *recorder) save(t *testing.T) {
	keys := make([]string, 0, len(rc.seen))
	for k := range rc.seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]exchange, 0, len(keys))
	for _, k := range keys {
		out = append(out, rc.seen[k])
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(repoRoot(t), "plugin", "datasource", "testdata", "recorded.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d ingestor answers to %s", len(out), path)
}

// pluginClients launches the plugin binary like Grafana does and returns its gRPC services.
type pluginClients struct {
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
}

func launchPlugin(t *testing.T, bin string) pluginClients {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GF_VERSION=12.4.0")
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
				"data":        &grpcplugin.DataGRPCPlugin{},
				"stream":      &grpcplugin.StreamGRPCPlugin{},
			},
		},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr}),
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("cannot start the plugin through go-plugin: %v", err)
	}
	var pc pluginClients
	for name, dst := range map[string]any{"data": &pc.data, "diagnostics": &pc.diagnostics, "resource": &pc.resource} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			t.Fatalf("dispense %s: %v", name, err)
		}
		switch d := dst.(type) {
		case *grpcplugin.DataClient:
			*d = raw.(grpcplugin.DataClient)
		case *grpcplugin.DiagnosticsClient:
			*d = raw.(grpcplugin.DiagnosticsClient)
		case *grpcplugin.ResourceClient:
			*d = raw.(grpcplugin.ResourceClient)
		}
	}
	return pc
}

// --- known data ---------------------------------------------------------------------------------

// API tokens the server is started with: the datasource's (query and admin), a query-only one
// and the collector's.
const (
	grafanaToken = "grafana-secret-0123456789"
	viewerToken  = "viewer-secret-0123456789"
	ingestToken  = "ingest-secret-0123456789"
)

const (
	traceA   = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanRoot = "00f067aa0ba902b7"
	spanPay  = "b7ad6b7169203331"
	traceB   = "0af7651916cd43dd8448eb211c80319c"
	spanB    = "b9c7c989f97918e1"
)

func attrs(kv ...string) []map[string]any {
	var out []map[string]any
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]any{"key": kv[i], "value": map[string]any{"stringValue": kv[i+1]}})
	}
	return out
}

func ns(t time.Time) string { return fmt.Sprint(t.UnixNano()) }

type logRow struct {
	at       time.Duration
	sev      int
	sevText  string
	body     string
	traceID  string
	spanID   string
	userAttr string
}

func logsPayload(base time.Time, service string, rows []logRow) map[string]any {
	var recs []map[string]any
	for _, r := range rows {
		rec := map[string]any{"timeUnixNano": ns(base.Add(r.at)), "severityNumber": r.sev, "severityText": r.sevText,
			"body": map[string]any{"stringValue": r.body}, "attributes": attrs("user.id", r.userAttr)}
		if r.traceID != "" {
			rec["traceId"], rec["spanId"] = r.traceID, r.spanID
		}
		recs = append(recs, rec)
	}
	return map[string]any{"resourceLogs": []any{map[string]any{
		"resource":  map[string]any{"attributes": attrs("service.name", service, "host.name", "h1")},
		"scopeLogs": []any{map[string]any{"scope": map[string]any{"name": "app", "version": "1.2"}, "logRecords": recs}},
	}}}
}

func post(t *testing.T, url string, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ingestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s: %s", url, resp.Status, rb)
	}
}

func ingest(t *testing.T, rest string, base time.Time) {
	t.Helper()
	post(t, "http://"+rest+"/v1/logs", logsPayload(base, "checkout", []logRow{
		{0, 9, "INFO", "order received", "", "", "1"},
		{10 * time.Second, 9, "INFO", "charging card", "", "", "1"},
		{20 * time.Second, 17, "ERROR", "payment failed: card declined", traceA, spanRoot, "42"},
		{30 * time.Second, 13, "WARN", "retrying payment", "", "", "42"},
		{70 * time.Second, 9, "INFO", "order done", "", "", "42"},
	}))
	post(t, "http://"+rest+"/v1/logs", logsPayload(base, "payments", []logRow{
		{5 * time.Second, 5, "DEBUG", "connect", "", "", "7"},
		{25 * time.Second, 17, "ERROR", "card declined", traceA, spanPay, "7"},
	}))
	span := func(traceID, spanID, parent, name string, kind int, start time.Time, dur time.Duration, status map[string]any, extra map[string]any) map[string]any {
		s := map[string]any{"traceId": traceID, "spanId": spanID, "parentSpanId": parent, "name": name, "kind": kind,
			"startTimeUnixNano": ns(start), "endTimeUnixNano": ns(start.Add(dur)), "status": status}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	post(t, "http://"+rest+"/v1/traces", map[string]any{"resourceSpans": []any{
		map[string]any{
			"resource": map[string]any{"attributes": attrs("service.name", "checkout", "host.name", "h1")},
			"scopeSpans": []any{map[string]any{"scope": map[string]any{"name": "otel-go", "version": "1.47.0"}, "spans": []any{
				span(traceA, spanRoot, "", "POST /checkout", 2, base.Add(19*time.Second), 1500*time.Millisecond,
					map[string]any{"code": 2, "message": "card declined"},
					map[string]any{"attributes": attrs("http.method", "POST"), "traceState": "vendor=1",
						"events": []any{map[string]any{"timeUnixNano": ns(base.Add(20 * time.Second)), "name": "exception",
							"attributes": attrs("exception.message", "declined")}}}),
			}}},
		},
		map[string]any{
			"resource": map[string]any{"attributes": attrs("service.name", "payments")},
			"scopeSpans": []any{map[string]any{"scope": map[string]any{"name": "otel-go"}, "spans": []any{
				span(traceA, spanPay, spanRoot, "charge", 3, base.Add(19500*time.Millisecond), 500*time.Millisecond,
					map[string]any{}, map[string]any{"links": []any{map[string]any{"traceId": traceB, "spanId": spanB,
						"attributes": attrs("link.kind", "retry")}}}),
			}}},
		},
	}})
	var points []any
	for i, route := range []string{"/a", "/b"} {
		for j := 0; j < 3; j++ {
			points = append(points, map[string]any{"timeUnixNano": ns(base.Add(time.Duration(j) * time.Minute)),
				"asDouble": float64((j + 1) * (1 + 9*i)), "attributes": attrs("route", route)})
		}
	}
	post(t, "http://"+rest+"/v1/metrics", map[string]any{"resourceMetrics": []any{map[string]any{
		"resource": map[string]any{"attributes": attrs("service.name", "checkout")},
		"scopeMetrics": []any{map[string]any{"scope": map[string]any{"name": "app"}, "metrics": []any{
			map[string]any{"name": "queue.depth", "unit": "1", "gauge": map[string]any{"dataPoints": points}},
		}}},
	}}})
}

// --- the test -----------------------------------------------------------------------------------

type env struct {
	t     *testing.T
	pc    pluginClients
	pctx  *pluginv2.PluginContext
	from  time.Time
	to    time.Time
	base  time.Time
	calls int
}

func (e *env) query(refID string, model map[string]any) *pluginv2.DataResponse {
	e.t.Helper()
	js, _ := json.Marshal(model)
	qt, _ := model["queryType"].(string)
	req := &pluginv2.QueryDataRequest{PluginContext: e.pctx, Queries: []*pluginv2.DataQuery{{
		RefId: refID, QueryType: qt, Json: js, IntervalMS: 60000, MaxDataPoints: 1000,
		TimeRange: &pluginv2.TimeRange{FromEpochMS: e.from.UnixMilli(), ToEpochMS: e.to.UnixMilli()},
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := e.pc.data.QueryData(ctx, req)
	if err != nil {
		e.t.Fatalf("QueryData %s: %v", refID, err)
	}
	r, ok := resp.Responses[refID]
	if !ok {
		e.t.Fatalf("QueryData %s: no response", refID)
	}
	return r
}

func (e *env) frames(refID string, model map[string]any) data.Frames {
	e.t.Helper()
	r := e.query(refID, model)
	if r.Error != "" {
		e.t.Fatalf("query %s: %s", refID, r.Error)
	}
	frames, err := data.UnmarshalArrowFrames(r.Frames)
	if err != nil {
		e.t.Fatalf("query %s: cannot decode Arrow frames: %v", refID, err)
	}
	for _, f := range frames {
		if f.Meta == nil || f.Meta.ExecutedQueryString == "" {
			e.t.Errorf("query %s: frame %q has no executedQueryString", refID, f.Name)
		}
	}
	return frames
}

func (e *env) resource(method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// As Grafana sends it: the path without the query string, the URL with it.
	stream, err := e.pc.resource.CallResource(ctx, &pluginv2.CallResourceRequest{PluginContext: e.pctx,
		Path: strings.SplitN(path, "?", 2)[0], Method: method, Url: path, Body: body})
	if err != nil {
		e.t.Fatalf("CallResource %s: %v", path, err)
	}
	var code int
	var out []byte
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e.t.Fatalf("CallResource %s: %v", path, err)
		}
		if r.Code != 0 {
			code = int(r.Code)
		}
		out = append(out, r.Body...)
	}
	return code, out
}

func fieldsOf(f *data.Frame) string {
	var parts []string
	for _, fld := range f.Fields {
		parts = append(parts, fld.Name+":"+fld.Type().ItemTypeString())
	}
	return strings.Join(parts, ",")
}

func column(t *testing.T, f *data.Frame, name string) *data.Field {
	t.Helper()
	fld, i := f.FieldByName(name)
	if i < 0 {
		t.Fatalf("frame %q has no field %q: %s", f.Name, name, fieldsOf(f))
	}
	return fld
}

func TestPluginEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries and runs heimsight")
	}
	dir := t.TempDir()
	heimsight := build(t, dir, "heimsight", "./ingestor/cmd/heimsight", true, "duckdb_arrow")
	pluginBin := build(t, dir, "gpx_heimsight", "./plugin", false, "")
	rest := startHeimsight(t, heimsight)

	base := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	ingest(t, rest, base)

	rc := &recorder{target: "http://" + rest, seen: map[string]exchange{}}
	proxy := httptest.NewServer(rc)
	defer proxy.Close()
	if *record {
		defer rc.save(t)
	}

	pc := launchPlugin(t, pluginBin)
	e := &env{t: t, pc: pc, base: base, from: base.Add(-time.Minute), to: base.Add(5 * time.Minute)}
	e.pctx = &pluginv2.PluginContext{OrgId: 1, PluginId: "heimsight-heimsight-datasource",
		User: &pluginv2.User{Login: "admin", Role: "Admin"},
		DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{Id: 1, Uid: "hs", Name: "Heimsight",
			Url: proxy.URL, JsonData: []byte(`{"timeout":30}`), LastUpdatedMS: 1,
			DecryptedSecureJsonData: map[string]string{"apiToken": grafanaToken}}}
	// withToken is another datasource instance (its own id, so the plugin builds a new
	// instance) on the same server with a different token.
	withToken := func(id int64, token string) *pluginv2.PluginContext {
		return &pluginv2.PluginContext{OrgId: 1, PluginId: e.pctx.PluginId,
			DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{Id: id, Uid: fmt.Sprint("hs", id), Name: "Heimsight",
				Url: proxy.URL, JsonData: []byte(`{}`), LastUpdatedMS: 1, DecryptedSecureJsonData: map[string]string{"apiToken": token}}}
	}

	t.Run("CheckHealth", func(t *testing.T) {
		res, err := pc.diagnostics.CheckHealth(context.Background(), &pluginv2.CheckHealthRequest{PluginContext: e.pctx})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != pluginv2.CheckHealthResponse_OK || !strings.Contains(res.Message, "answered a test query") {
			t.Errorf("health %v: %s", res.Status, res.Message)
		}
		for _, c := range []struct {
			ctx *pluginv2.PluginContext
			msg string
		}{
			{withToken(2, "not-a-valid-token-at-all"), "rejected the API token (HTTP 401)"},
			{withToken(3, ""), "requires an API token"},
			{withToken(4, ingestToken), `lacks the "query" scope`},
			{&pluginv2.PluginContext{OrgId: 1, PluginId: e.pctx.PluginId, DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{
				Id: 5, Uid: "hs5", Url: "http://127.0.0.1:1", JsonData: []byte(`{}`), LastUpdatedMS: 1}}, "Cannot reach the Heimsight ingestor"},
			{&pluginv2.PluginContext{OrgId: 1, PluginId: e.pctx.PluginId, DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{
				Id: 6, Uid: "hs6", Url: "localhost:8080", JsonData: []byte(`{}`), LastUpdatedMS: 1}}, "must start with http"},
		} {
			res, err := pc.diagnostics.CheckHealth(context.Background(), &pluginv2.CheckHealthRequest{PluginContext: c.ctx})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != pluginv2.CheckHealthResponse_ERROR || !strings.Contains(res.Message, c.msg) {
				t.Errorf("health with %s: %v %q, want an error containing %q", c.ctx.DataSourceInstanceSettings.Uid, res.Status, res.Message, c.msg)
			}
		}
	})

	t.Run("logs", func(t *testing.T) {
		e.t = t
		fs := e.frames("A", map[string]any{"queryType": "logs", "service": "checkout"})
		if len(fs) != 1 {
			t.Fatalf("%d frames", len(fs))
		}
		f := fs[0]
		if got := fieldsOf(f); got != "timestamp:time.Time,body:string,severity:string,id:string,labels:json.RawMessage,traceID:string,spanID:string" {
			t.Errorf("fields %s", got)
		}
		if f.Meta.PreferredVisualization != data.VisTypeLogs || f.Meta.Type != data.FrameTypeLogLines {
			t.Errorf("meta %+v", f.Meta)
		}
		if f.Rows() != 5 {
			t.Fatalf("%d rows, want 5", f.Rows())
		}
		if got := column(t, f, "body").At(0); got != "order done" {
			t.Errorf("newest first: %v", got)
		}
		if got := column(t, f, "timestamp").At(0).(time.Time); !got.Equal(base.Add(70 * time.Second)) {
			t.Errorf("timestamp %v, want %v", got, base.Add(70*time.Second))
		}
		var labels map[string]string
		json.Unmarshal(column(t, f, "labels").At(2).(json.RawMessage), &labels)
		if labels["user.id"] != "42" || labels["service.name"] != "checkout" || labels["host.name"] != "h1" || labels["otel.scope.name"] != "app" {
			t.Errorf("labels %v", labels)
		}
		if column(t, f, "severity").At(2) != "error" || column(t, f, "traceID").At(2) != traceA {
			t.Errorf("row 2: severity %v trace %v", column(t, f, "severity").At(2), column(t, f, "traceID").At(2))
		}
		if l := column(t, f, "traceID").Config; l == nil || len(l.Links) != 1 || l.Links[0].Internal.DatasourceUID != "hs" {
			t.Errorf("traceID link %+v", l)
		}
	})

	t.Run("logs severity filter", func(t *testing.T) {
		e.t = t
		f := e.frames("B", map[string]any{"queryType": "logs", "severity": []string{"error"}})[0]
		if f.Rows() != 2 {
			t.Errorf("%d error rows, want 2", f.Rows())
		}
	})

	t.Run("hql table", func(t *testing.T) {
		e.t = t
		f := e.frames("C", map[string]any{"queryType": "hql", "format": "table",
			"hql": "SELECT service, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY service ORDER BY service"})[0]
		if got := fieldsOf(f); got != "service:string,n:int64" {
			t.Fatalf("fields %s", got)
		}
		if f.Rows() != 2 || column(t, f, "service").At(0) != "checkout" || column(t, f, "n").At(0) != int64(5) || column(t, f, "n").At(1) != int64(2) {
			t.Errorf("rows: %v", f.Fields)
		}
	})

	t.Run("hql time series", func(t *testing.T) {
		e.t = t
		fs := e.frames("D", map[string]any{"queryType": "hql", "format": "time_series",
			"hql": "SELECT $__timeGroup(timestamp, $__interval) AS time, service, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY time, service ORDER BY time"})
		f := fs[0]
		if f.Meta.Type != data.FrameTypeTimeSeriesWide || len(f.Fields) != 3 || f.Fields[0].Type() != data.FieldTypeTime {
			t.Fatalf("frame %s meta %+v", fieldsOf(f), f.Meta)
		}
		got := map[string]bool{}
		for _, fld := range f.Fields[1:] {
			got[fld.Labels["service"]] = true
		}
		if !got["checkout"] || !got["payments"] {
			t.Errorf("labels %v", got)
		}
	})

	t.Run("hql variables and ad hoc filters", func(t *testing.T) {
		e.t = t
		hq := "SELECT body FROM logs WHERE $__timeFilter(timestamp) AND service = $svc ORDER BY timestamp"
		f := e.frames("E", map[string]any{"queryType": "hql", "hql": hq,
			"variables": map[string]any{"svc": []string{"checkout' OR '1'='1"}}})[0]
		if f.Rows() != 0 {
			t.Errorf("a quoting value matched %d rows", f.Rows())
		}
		if !strings.Contains(f.Meta.ExecutedQueryString, `service = 'checkout'' OR ''1''=''1'`) {
			t.Errorf("executed %s", f.Meta.ExecutedQueryString)
		}
		f = e.frames("E2", map[string]any{"queryType": "hql", "hql": hq, "variables": map[string]any{"svc": []string{"checkout"}},
			"adhocFilters": []map[string]any{{"key": "level", "operator": "=", "value": "error"}}})[0]
		if f.Rows() != 1 || column(t, f, "body").At(0) != "payment failed: card declined" {
			t.Errorf("ad hoc filtered rows: %d", f.Rows())
		}
	})

	t.Run("hql error", func(t *testing.T) {
		e.t = t
		r := e.query("F", map[string]any{"queryType": "hql", "hql": "SELECT sevrity FROM logs"})
		if !strings.Contains(r.Error, "line 1, column 8") || r.ErrorSource != "downstream" {
			t.Errorf("error %q source %q", r.Error, r.ErrorSource)
		}
		r = e.query("F2", map[string]any{"queryType": "hql", "hql": "SELECT body FROM logs WHERE"})
		if !strings.Contains(r.Error, "line 1") || r.ErrorSource != "downstream" || r.Status != 400 {
			t.Errorf("parse error %q source %q status %d", r.Error, r.ErrorSource, r.Status)
		}
	})

	t.Run("traces search", func(t *testing.T) {
		e.t = t
		f := e.frames("G", map[string]any{"queryType": "traces", "service": "checkout", "status": "Error"})[0]
		if f.Rows() != 1 || column(t, f, "traceID").At(0) != traceA || column(t, f, "duration").At(0) != 1500.0 {
			t.Errorf("search %s rows %d", fieldsOf(f), f.Rows())
		}
		if l := column(t, f, "traceID").Config; l == nil || len(l.Links) != 1 {
			t.Errorf("no trace link")
		}
	})

	t.Run("traceId", func(t *testing.T) {
		e.t = t
		f := e.frames("H", map[string]any{"queryType": "traceId", "traceId": strings.ToUpper(traceA)})[0]
		want := "traceID:string,spanID:string,parentSpanID:string,serviceName:string,operationName:string,startTime:float64,duration:float64,tags:json.RawMessage,serviceTags:json.RawMessage,logs:json.RawMessage,references:json.RawMessage,kind:string,statusCode:int64,statusMessage:string,instrumentationLibraryName:string,instrumentationLibraryVersion:string,traceState:string"
		if got := fieldsOf(f); got != want {
			t.Errorf("fields\n got %s\nwant %s", got, want)
		}
		if f.Meta.PreferredVisualization != data.VisTypeTrace {
			t.Errorf("meta %+v", f.Meta)
		}
		if f.Rows() != 2 {
			t.Fatalf("%d spans", f.Rows())
		}
		checks := []struct {
			field string
			row   int
			want  any
		}{
			{"spanID", 0, spanRoot}, {"parentSpanID", 0, ""}, {"parentSpanID", 1, spanRoot}, {"serviceName", 1, "payments"},
			{"operationName", 0, "POST /checkout"}, {"startTime", 0, float64(base.Add(19*time.Second).UnixNano()) / 1e6},
			{"duration", 0, 1500.0}, {"duration", 1, 500.0}, {"kind", 0, "server"}, {"kind", 1, "client"},
			{"statusCode", 0, int64(2)}, {"statusMessage", 0, "card declined"}, {"instrumentationLibraryName", 0, "otel-go"},
			{"instrumentationLibraryVersion", 0, "1.47.0"}, {"traceState", 0, "vendor=1"},
		}
		for _, c := range checks {
			if got := column(t, f, c.field).At(c.row); got != c.want {
				t.Errorf("%s[%d] = %v, want %v", c.field, c.row, got, c.want)
			}
		}
		var tags, logs, refs []map[string]any
		json.Unmarshal(column(t, f, "tags").At(0).(json.RawMessage), &tags)
		json.Unmarshal(column(t, f, "logs").At(0).(json.RawMessage), &logs)
		json.Unmarshal(column(t, f, "references").At(1).(json.RawMessage), &refs)
		if len(tags) != 1 || tags[0]["key"] != "http.method" || tags[0]["value"] != "POST" {
			t.Errorf("tags %v", tags)
		}
		if len(logs) != 1 || logs[0]["name"] != "exception" || logs[0]["timestamp"] != float64(base.Add(20*time.Second).UnixMilli()) {
			t.Errorf("span events %v", logs)
		}
		if len(refs) != 1 || refs[0]["traceID"] != traceB || refs[0]["spanID"] != spanB {
			t.Errorf("references %v", refs)
		}
		if l := column(t, f, "spanID").Config; l == nil || len(l.Links) != 1 {
			t.Errorf("no span → logs link")
		}
	})

	t.Run("hql as trace", func(t *testing.T) {
		e.t = t
		f := e.frames("H2", map[string]any{"queryType": "hql", "format": "trace",
			"hql": "SELECT * FROM spans WHERE trace_id = '" + traceA + "' ORDER BY timestamp"})[0]
		if f.Meta.PreferredVisualization != data.VisTypeTrace || f.Rows() != 2 || column(t, f, "parentSpanID").At(1) != spanRoot {
			t.Errorf("hql trace %s rows %d", fieldsOf(f), f.Rows())
		}
		var logs []map[string]any
		json.Unmarshal(column(t, f, "logs").At(0).(json.RawMessage), &logs)
		if len(logs) != 1 {
			t.Errorf("span events %v", logs)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		e.t = t
		f := e.frames("I", map[string]any{"queryType": "metrics", "metric": "queue.depth", "aggregation": "avg",
			"groupBy": []string{"attributes.route"}})[0]
		if f.Meta.Type != data.FrameTypeTimeSeriesWide || len(f.Fields) != 3 || f.Rows() != 3 {
			t.Fatalf("frame %s rows %d meta %+v", fieldsOf(f), f.Rows(), f.Meta)
		}
		for _, fld := range f.Fields[1:] {
			want := map[string][]float64{"/a": {1, 2, 3}, "/b": {10, 20, 30}}[fld.Labels["route"]]
			if fld.Name != "queue.depth" || want == nil {
				t.Errorf("value field %s %v", fld.Name, fld.Labels)
				continue
			}
			for i, w := range want {
				if v, _ := fld.FloatAt(i); v != w {
					t.Errorf("%v[%d] = %v, want %v", fld.Labels, i, v, w)
				}
			}
		}
	})

	t.Run("logs volume", func(t *testing.T) {
		e.t = t
		fs := e.frames("J", map[string]any{"queryType": "logsVolume"})
		total := map[string]float64{}
		for _, f := range fs {
			lvl := f.Fields[1].Labels["level"]
			for i := 0; i < f.Rows(); i++ {
				v, _ := f.Fields[1].FloatAt(i)
				total[lvl] += v
			}
		}
		if total["info"] != 3 || total["error"] != 2 || total["warn"] != 1 || total["debug"] != 1 {
			t.Errorf("volume by level %v", total)
		}
	})

	t.Run("log context", func(t *testing.T) {
		e.t = t
		f := e.frames("K", map[string]any{"queryType": "logContext", "service": "checkout", "contextDirection": "backward",
			"contextTimestamp": fmt.Sprint(base.Add(30 * time.Second).UnixNano()), "limit": 2})[0]
		if f.Rows() != 2 || column(t, f, "body").At(0) != "payment failed: card declined" || column(t, f, "body").At(1) != "charging card" {
			t.Errorf("context before: %d rows %v", f.Rows(), column(t, f, "body"))
		}
		f = e.frames("K2", map[string]any{"queryType": "logContext", "service": "checkout", "contextDirection": "forward",
			"contextTimestamp": fmt.Sprint(base.Add(30 * time.Second).UnixNano()), "limit": 5})[0]
		if f.Rows() != 2 || column(t, f, "body").At(1) != "order done" {
			t.Errorf("context after: %d rows", f.Rows())
		}
	})

	t.Run("hql as logs", func(t *testing.T) {
		e.t = t
		f := e.frames("L", map[string]any{"queryType": "hql", "format": "logs",
			"hql": "SELECT timestamp, body, level, trace_id FROM logs WHERE $__timeFilter(timestamp) AND service = 'payments' ORDER BY timestamp"})[0]
		if f.Meta.PreferredVisualization != data.VisTypeLogs || f.Rows() != 2 || column(t, f, "severity").At(0) != "debug" {
			t.Errorf("hql logs %s rows %d", fieldsOf(f), f.Rows())
		}
	})

	t.Run("resources", func(t *testing.T) {
		e.t = t
		code, body := e.resource("GET", "catalog", nil)
		var cat struct {
			Tables []struct {
				Name    string
				Columns []struct{ Name, Type string }
			}
			Functions []struct{ Name string }
		}
		if err := json.Unmarshal(body, &cat); err != nil || code != 200 || len(cat.Tables) < 3 || cat.Tables[0].Name != "logs" || len(cat.Functions) == 0 {
			t.Errorf("catalog %d %v: %.200s", code, err, body)
		}
		from, to := fmt.Sprint(e.from.UnixMilli()), fmt.Sprint(e.to.UnixMilli())
		code, body = e.resource("GET", "values?table=logs&column=service&from="+from+"&to="+to, nil)
		if code != 200 || string(bytes.TrimSpace(body)) != `{"values":["checkout","payments"]}` {
			t.Errorf("values %d %s", code, body)
		}
		code, body = e.resource("GET", "values?table=logs&column=attributes.user.id&service=checkout&from="+from+"&to="+to, nil)
		if code != 200 || string(bytes.TrimSpace(body)) != `{"values":["1","42"]}` {
			t.Errorf("attribute values %d %s", code, body)
		}
		code, body = e.resource("GET", "services?from="+from+"&to="+to, nil)
		if code != 200 || string(bytes.TrimSpace(body)) != `{"services":["checkout","payments"]}` {
			t.Errorf("services %d %s", code, body)
		}
		code, body = e.resource("GET", "metric-names?from="+from+"&to="+to, nil)
		if code != 200 || string(bytes.TrimSpace(body)) != `{"metricNames":["queue.depth"]}` {
			t.Errorf("metric names %d %s", code, body)
		}
		code, body = e.resource("GET", "values?table=nope&column=x", nil)
		if code != 400 || !strings.Contains(string(body), "unknown table") {
			t.Errorf("bad table %d %s", code, body)
		}
		// Retention is proxied to the ingestor with the datasource's token (which has the admin
		// scope); its answers, errors included, come back as they are.
		code, body = e.resource("GET", "retention", nil)
		var ret map[string]any
		if err := json.Unmarshal(body, &ret); code != 200 || err != nil || ret["logs"] == nil {
			t.Fatalf("retention GET %d %s", code, body)
		}
		code, put := e.resource("PUT", "retention", body)
		if code != 200 {
			t.Errorf("retention PUT of the current settings: %d %s", code, put)
		}
		code, bad := e.resource("PUT", "retention", []byte(`{"logs":{"data_type":"logs","ttl_days":0}}`))
		if code != 400 {
			t.Errorf("retention PUT of 0 days: %d %s", code, bad)
		}
		// A Viewer may read retention through the datasource but not change it.
		admin := e.pctx
		asViewer := proto.Clone(e.pctx).(*pluginv2.PluginContext)
		asViewer.User = &pluginv2.User{Login: "viewer", Role: "Viewer"}
		e.pctx = asViewer
		code, refused := e.resource("PUT", "retention", []byte(`{"logs":{"data_type":"logs","ttl_days":1},"metrics":{"data_type":"metrics","ttl_days":1},"traces":{"data_type":"traces","ttl_days":1}}`))
		e.pctx = admin
		if code != 403 {
			t.Errorf("retention PUT as a Viewer: %d %s", code, refused)
		}
		code, after := e.resource("GET", "retention", nil)
		if code != 200 || !bytes.Equal(bytes.TrimSpace(after), bytes.TrimSpace(body)) {
			t.Errorf("retention changed by a refused PUT: %s, was %s", after, body)
		}
		code, age := e.resource("GET", "retention/metrics", nil)
		if code != 200 || !strings.Contains(string(age), "row_count") {
			t.Errorf("retention metrics %d %s", code, age)
		}
		// A query-only token may query but not read the retention settings.
		viewer := e.pctx
		e.pctx = withToken(7, viewerToken)
		code, body = e.resource("GET", "retention", nil)
		e.pctx = viewer
		if code != 403 {
			t.Errorf("retention with a query-only token: %d %s", code, body)
		}
	})
}
