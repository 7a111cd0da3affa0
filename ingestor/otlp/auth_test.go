package otlp

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/ingest"
)

const (
	ingestSecret = "ingest-0123456789abcdef"
	querySecret  = "query-0123456789abcdef"
)

func testAuth(t *testing.T) *auth.Authenticator {
	t.Helper()
	toks, err := auth.Parse("collector:ingest:" + ingestSecret + ",grafana:query:" + querySecret)
	if err != nil {
		t.Fatal(err)
	}
	return auth.New(toks)
}

func TestGRPCAuth(t *testing.T) {
	w := &memWriter{}
	o := testOptions(t, w, ingest.Options{})
	o.Auth = testAuth(t)
	srv, err := NewGRPCServer(o)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := collogspb.NewLogsServiceClient(conn)
	for _, c := range []struct {
		header string
		want   codes.Code
	}{
		{"", codes.Unauthenticated},
		{"Bearer nope-nope-nope-nope-nope", codes.Unauthenticated},
		{"Basic " + ingestSecret, codes.Unauthenticated},
		{"Bearer " + querySecret, codes.PermissionDenied},
		{"Bearer " + ingestSecret, codes.OK},
	} {
		cx := ctx(t)
		if c.header != "" {
			cx = metadata.AppendToOutgoingContext(cx, "authorization", c.header)
		}
		_, err := client.Export(cx, validLogsRequest())
		if got := status.Code(err); got != c.want {
			t.Errorf("authorization %.12q: %v, want %s", c.header, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), ingestSecret) || strings.Contains(err.Error(), querySecret)) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
	if got := len(w.all().Logs); got != 2 {
		t.Errorf("stored %d records, want only the authorized request's 2", got)
	}
	// Traces go through the same check.
	_, err = coltracepb.NewTraceServiceClient(conn).Export(ctx(t), tracesRequest())
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("traces without a token: %v", err)
	}
}

func TestHTTPAuth(t *testing.T) {
	w := &memWriter{}
	o := testOptions(t, w, ingest.Options{})
	o.Auth = testAuth(t)
	hh, err := NewHTTP(o)
	if err != nil {
		t.Fatal(err)
	}
	h := hh.Handler()
	body := mustProto(t, validLogsRequest())
	send := func(path, ct, secret string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ct)
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result(), rec.Body.Bytes()
	}
	for _, c := range []struct {
		path, ct, secret string
		want             int
		code             codes.Code
	}{
		{PathLogs, ContentTypeProtobuf, "", 401, codes.Unauthenticated},
		{PathLogs, ContentTypeJSON, "", 401, codes.Unauthenticated},
		{PathLogs, ContentTypeProtobuf, querySecret, 403, codes.PermissionDenied},
		{"/elsewhere", ContentTypeProtobuf, "", 401, codes.Unauthenticated},
		{PathLogs, ContentTypeProtobuf, ingestSecret, 200, codes.OK},
	} {
		resp, b := send(c.path, c.ct, c.secret)
		if resp.StatusCode != c.want {
			t.Errorf("%s %s %.6q: %d, want %d", c.path, c.ct, c.secret, resp.StatusCode, c.want)
			continue
		}
		if c.want == 200 {
			continue
		}
		if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("no challenge: %q", resp.Header)
		}
		var st spb.Status
		if c.ct == ContentTypeJSON {
			err = protojson.Unmarshal(b, &st)
		} else {
			err = proto.Unmarshal(b, &st)
		}
		if err != nil || codes.Code(st.Code) != c.code || st.Message == "" {
			t.Errorf("%s: Status %v %v, want code %s", c.path, &st, err, c.code)
		}
	}
}

func TestLimitsOverOTLP(t *testing.T) {
	po := ingest.DefaultOptions()
	po.Limits = ingest.Limits{MaxRecords: 3, MaxAttributes: 1, MaxValueLength: 4}
	w := &memWriter{}
	h := newHTTP(t, w, po)
	// logsRequest has 4 records (2 invalid): over the limit of 3.
	rec := post(h, PathLogs, ContentTypeProtobuf, "", mustProto(t, logsRequest()))
	var st spb.Status
	if rec.Code != http.StatusRequestEntityTooLarge || proto.Unmarshal(rec.Body.Bytes(), &st) != nil ||
		!strings.Contains(st.Message, "HEIMSIGHT_MAX_RECORDS_PER_REQUEST") || rec.Header().Get("Retry-After") != "" {
		t.Fatalf("too many records: %d %v %q", rec.Code, &st, rec.Header())
	}
	// Truncation and dropped attributes: stored, and a warning in partial_success.
	req := validLogsRequest()
	lr := req.ResourceLogs[0].ScopeLogs[0].LogRecords[0]
	lr.Attributes = []*commonpb.KeyValue{
		{Key: "a", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "long value"}}},
		{Key: "b", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "x"}}},
	}
	rec = post(h, PathLogs, ContentTypeProtobuf, "", mustProto(t, req))
	var resp collogspb.ExportLogsServiceResponse
	if rec.Code != 200 || proto.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		t.Fatalf("%d %q", rec.Code, rec.Body)
	}
	ps := resp.GetPartialSuccess()
	if ps.GetRejectedLogRecords() != 0 || !strings.Contains(ps.GetErrorMessage(), "1 attributes dropped") || !strings.Contains(ps.GetErrorMessage(), "truncated to 4 bytes") {
		t.Errorf("partial_success = %v", ps)
	}
	stored := w.all().Logs
	if len(stored) != 2 || len(stored[0].Attributes) != 1 || stored[0].Attributes[0].Value.Str != "long" || stored[0].DroppedAttributesCount != 1 {
		t.Errorf("stored = %+v", stored)
	}
	// Over gRPC: ResourceExhausted without RetryInfo, so clients do not retry it unchanged.
	conn := startGRPC(t, w, po)
	_, err := collogspb.NewLogsServiceClient(conn).Export(ctx(t), logsRequest())
	if s, _ := status.FromError(err); s.Code() != codes.ResourceExhausted || len(s.Details()) != 0 {
		t.Errorf("gRPC too many: %v %v", err, s.Details())
	}
	gr, err := collogspb.NewLogsServiceClient(conn).Export(ctx(t), req)
	if err != nil || !strings.Contains(gr.GetPartialSuccess().GetErrorMessage(), "truncated") {
		t.Errorf("gRPC truncation: %v %v", gr, err)
	}
}

func TestDeepOTLPJSON(t *testing.T) {
	h := newHTTP(t, &memWriter{}, ingest.Options{})
	deep := `{"resourceLogs":[` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `]}`
	rec := post(h, PathLogs, ContentTypeJSON, "", []byte(deep))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "nested more than") {
		t.Errorf("deep JSON: %d %s", rec.Code, rec.Body)
	}
}

// BenchmarkHTTPLogsSecurity measures what tokens and the default limits add to the OTLP/HTTP
// protobuf path, per 1,000-record request with ten attributes per record, against a writer that
// does nothing: "open" has neither, "secured" has both.
func BenchmarkHTTPLogsSecurity(b *testing.B) {
	req := validLogsRequest()
	sl := req.ResourceLogs[0].ScopeLogs[0]
	for len(sl.LogRecords) < 1000 {
		sl.LogRecords = append(sl.LogRecords, proto.Clone(sl.LogRecords[len(sl.LogRecords)%2]).(*logspb.LogRecord))
	}
	for i, lr := range sl.LogRecords {
		lr.Attributes = nil
		for k := range 10 {
			lr.Attributes = append(lr.Attributes, &commonpb.KeyValue{Key: "attribute." + strconv.Itoa(k),
				Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "value-" + strconv.Itoa(i%97)}}})
		}
	}
	body, _ := proto.Marshal(req)
	toks, _ := auth.Parse("collector:ingest:" + ingestSecret + ",grafana:query:" + querySecret + ",ops:admin:admin-0123456789abcdef")
	for _, c := range []struct {
		name   string
		authn  *auth.Authenticator
		limits ingest.Limits
	}{{"open", nil, ingest.Limits{}}, {"secured", auth.New(toks), ingest.DefaultLimits()}} {
		b.Run(c.name, func(b *testing.B) {
			p, _ := ingest.New(discard{}, ingest.Options{MaxInflightRows: 1 << 30, MaxInflightBytes: 1 << 40, Limits: c.limits})
			o := DefaultOptions()
			o.Pipeline, o.Auth = p, c.authn
			h, _ := NewHTTP(o)
			handler := h.Handler()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, PathLogs, bytes.NewReader(body))
				r.Header.Set("Content-Type", ContentTypeProtobuf)
				r.Header.Set("Authorization", "Bearer "+ingestSecret)
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, r)
				if rec.Code != 200 {
					b.Fatal(rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/record")
		})
	}
}
