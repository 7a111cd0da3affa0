package otlp

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	gproto "google.golang.org/protobuf/proto"

	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/store"
)

// startGRPC serves the receivers on a 127.0.0.1 listener and returns a client connection that
// compresses every call with gzip, as OTLP exporters are usually configured.
func startGRPC(t *testing.T, w *memWriter, po ingest.Options) *grpc.ClientConn {
	t.Helper()
	srv, err := NewGRPCServer(testOptions(t, w, po))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.UseCompressor(gzip.Name)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestGRPCExport(t *testing.T) {
	w := &memWriter{}
	conn := startGRPC(t, w, ingest.Options{})

	lr, err := collogspb.NewLogsServiceClient(conn).Export(ctx(t), logsRequest())
	if err != nil {
		t.Fatal(err)
	}
	if ps := lr.GetPartialSuccess(); ps.GetRejectedLogRecords() != 2 || ps.GetErrorMessage() == "" {
		t.Fatalf("logs partial_success = %v", ps)
	}
	tr, err := coltracepb.NewTraceServiceClient(conn).Export(ctx(t), tracesRequest())
	if err != nil {
		t.Fatal(err)
	}
	if tr.GetPartialSuccess().GetRejectedSpans() != 1 {
		t.Fatalf("traces partial_success = %v", tr.GetPartialSuccess())
	}
	mr, err := colmetricspb.NewMetricsServiceClient(conn).Export(ctx(t), metricsRequest())
	if err != nil {
		t.Fatal(err)
	}
	if mr.GetPartialSuccess().GetRejectedDataPoints() != 1 {
		t.Fatalf("metrics partial_success = %v", mr.GetPartialSuccess())
	}
	vr, err := collogspb.NewLogsServiceClient(conn).Export(ctx(t), validLogsRequest())
	if err != nil || vr.GetPartialSuccess() != nil {
		t.Fatalf("valid export: %v, partial %v", err, vr.GetPartialSuccess())
	}
	got := w.all()
	if len(got.Logs) != 4 || len(got.Spans) != 1 || len(got.Metrics) != 1 {
		t.Fatalf("stored %d logs %d spans %d points", len(got.Logs), len(got.Spans), len(got.Metrics))
	}
	if got.Logs[0].TraceID.String() != "0102030405060708090a0b0c0d0e0f10" || got.Logs[0].Timestamp != int64(now) {
		t.Fatalf("log = %+v", got.Logs[0])
	}
}

func retryInfo(t *testing.T, err error, want codes.Code) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want {
		t.Fatalf("code = %v (%v), want %v", st.Code(), err, want)
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.RetryDelay.AsDuration() == time.Second {
			return
		}
	}
	t.Fatalf("no RetryInfo in %v", st.Details())
}

func TestGRPCOverloaded(t *testing.T) {
	w := &memWriter{entered: make(chan struct{}, 1), block: make(chan struct{})}
	conn := startGRPC(t, w, ingest.Options{MaxInflightRows: 2, MaxInflightBytes: 1 << 20})
	client := collogspb.NewLogsServiceClient(conn)
	done := make(chan error, 1)
	go func() { _, err := client.Export(ctx(t), validLogsRequest()); done <- err }()
	<-w.entered
	_, err := client.Export(ctx(t), validLogsRequest())
	retryInfo(t, err, codes.ResourceExhausted)
	close(w.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(w.all().Logs); n != 2 {
		t.Fatalf("stored %d logs, want 2", n)
	}
}

func TestGRPCUnavailable(t *testing.T) {
	conn := startGRPC(t, &memWriter{err: store.ErrClosed}, ingest.Options{})
	_, err := coltracepb.NewTraceServiceClient(conn).Export(ctx(t), tracesRequest())
	retryInfo(t, err, codes.Unavailable)
}

func TestGRPCTooLarge(t *testing.T) {
	w := &memWriter{}
	conn := startGRPC(t, w, ingest.Options{}) // limit 1 MiB
	req := validLogsRequest()
	rec := req.ResourceLogs[0].ScopeLogs[0].LogRecords[0]
	// Compresses to almost nothing; the limit applies after decompression.
	rec.Body = &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: strings.Repeat("a", 2<<20)}}
	_, err := collogspb.NewLogsServiceClient(conn).Export(ctx(t), req)
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("error = %v, want ResourceExhausted", err)
	}
	if n := len(w.all().Logs); n != 0 {
		t.Fatalf("stored %d logs", n)
	}
}

// rawBytes is sent as is by rawClientCodec, so tests can put bytes on the wire that the
// protobuf library refuses to marshal.
type rawBytes []byte

type rawClientCodec struct{}

func (rawClientCodec) Name() string { return "proto" }

func (rawClientCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*rawBytes))}, nil
}

func (rawClientCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return gproto.Unmarshal(data.Materialize(), v.(gproto.Message))
}

func invokeRaw(t *testing.T, conn *grpc.ClientConn, body []byte) (*collogspb.ExportLogsServiceResponse, error) {
	t.Helper()
	raw := rawBytes(body)
	resp := &collogspb.ExportLogsServiceResponse{}
	err := conn.Invoke(ctx(t), "/opentelemetry.proto.collector.logs.v1.LogsService/Export", &raw, resp,
		grpc.ForceCodecV2(rawClientCodec{}))
	return resp, err
}

func TestGRPCMalformed(t *testing.T) {
	w := &memWriter{}
	conn := startGRPC(t, w, ingest.Options{})
	_, err := invokeRaw(t, conn, []byte{0x0a, 0xff, 0xff, 0xff, 0x0f, 1})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("error = %v, want InvalidArgument", err)
	}
	if n := len(w.all().Logs); n != 0 {
		t.Fatalf("stored %d logs", n)
	}
}

func TestGRPCInvalidUTF8RejectsOnlyItsRecord(t *testing.T) {
	w := &memWriter{}
	conn := startGRPC(t, w, ingest.Options{})
	req := validLogsRequest()
	req.ResourceLogs[0].ScopeLogs[0].LogRecords[1].Body.Value = &commonpb.AnyValue_StringValue{StringValue: "MARKER!!"}
	body, err := gproto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := invokeRaw(t, conn, bytes.Replace(body, []byte("MARKER!!"), []byte("MARKER!\xff"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if ps := resp.GetPartialSuccess(); ps.GetRejectedLogRecords() != 1 || !strings.Contains(ps.GetErrorMessage(), "UTF-8") {
		t.Fatalf("partial_success = %v", ps)
	}
	if got := w.all().Logs; len(got) != 1 || got[0].Body.Str != "one" {
		t.Fatalf("stored %+v", got)
	}
}
