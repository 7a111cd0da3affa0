package otlp

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // registers the gzip compressor OTLP clients use
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/heimsight/heimsight/pkg/otlpconv"
)

// NewGRPCServer returns a gRPC server with the three OTLP Export services registered and the
// receive size limit set to MaxRequestBytes (grpc applies it after decompression and answers
// ResourceExhausted). extra options are appended (tests, interceptors).
func NewGRPCServer(opts Options, extra ...grpc.ServerOption) (*grpc.Server, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	limit := opts.MaxRequestBytes
	if limit > math.MaxInt32 {
		limit = math.MaxInt32
	}
	base := []grpc.ServerOption{grpc.MaxRecvMsgSize(int(limit)), grpc.ChainUnaryInterceptor(recoverPanics(opts.Logger))}
	srv := grpc.NewServer(append(base, extra...)...)
	if err := RegisterGRPC(srv, opts); err != nil {
		return nil, err
	}
	return srv, nil
}

// RegisterGRPC registers the OTLP Export services on r (for callers that build their own
// server; they must set the receive size limit themselves).
func RegisterGRPC(r grpc.ServiceRegistrar, opts Options) error {
	if err := opts.check(); err != nil {
		return err
	}
	g := &grpcReceiver{opts: opts}
	collogspb.RegisterLogsServiceServer(r, &logsService{g: g})
	coltracepb.RegisterTraceServiceServer(r, &traceService{g: g})
	colmetricspb.RegisterMetricsServiceServer(r, &metricsService{g: g})
	return nil
}

// recoverPanics turns a panic in one Export into an Internal error for that call, as net/http
// does for HTTP handlers; without it one malformed request would stop the whole process.
func recoverPanics(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in OTLP/gRPC export", "method", info.FullMethod, "panic", p, "stack", string(debug.Stack()))
				resp, err = nil, status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(ctx, req)
	}
}

type grpcReceiver struct {
	opts Options
}

// submit writes a converted request and maps a failure to the gRPC status the OTLP
// specification asks for: ResourceExhausted and Unavailable both carry RetryInfo, which
// clients need before they retry ResourceExhausted.
func (g *grpcReceiver) submit(ctx context.Context, sig otlpconv.Signal, res *otlpconv.Result, req proto.Message) error {
	if res.Batch.Len() == 0 {
		// Nothing to write; still count what was rejected.
		return g.opts.Pipeline.Submit(ctx, ingestSignal[sig], &res.Batch, res.Rejected, 0)
	}
	err := g.opts.Pipeline.Submit(ctx, ingestSignal[sig], &res.Batch, res.Rejected, int64(proto.Size(req)))
	if err == nil {
		return nil
	}
	f := classify(ctx, err)
	g.opts.logFailure(f, sig, err)
	var st *status.Status
	switch f {
	case failOverloaded:
		st = status.New(codes.ResourceExhausted, err.Error())
	case failCanceled:
		return status.FromContextError(ctx.Err()).Err()
	default:
		st = status.New(codes.Unavailable, err.Error())
	}
	if d, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(g.opts.RetryAfter)}); derr == nil {
		st = d
	}
	return st.Err()
}

type logsService struct {
	collogspb.UnimplementedLogsServiceServer
	g *grpcReceiver
}

func (s *logsService) Export(ctx context.Context, req *collogspb.ExportLogsServiceRequest) (*collogspb.ExportLogsServiceResponse, error) {
	res := otlpconv.Logs(req)
	if err := s.g.submit(ctx, otlpconv.SignalLogs, &res, req); err != nil {
		return nil, err
	}
	resp := &collogspb.ExportLogsServiceResponse{}
	if res.Rejected > 0 || res.ErrorMessage != "" {
		resp.PartialSuccess = &collogspb.ExportLogsPartialSuccess{RejectedLogRecords: res.Rejected, ErrorMessage: res.ErrorMessage}
	}
	return resp, nil
}

type traceService struct {
	coltracepb.UnimplementedTraceServiceServer
	g *grpcReceiver
}

func (s *traceService) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	res := otlpconv.Traces(req)
	if err := s.g.submit(ctx, otlpconv.SignalTraces, &res, req); err != nil {
		return nil, err
	}
	resp := &coltracepb.ExportTraceServiceResponse{}
	if res.Rejected > 0 || res.ErrorMessage != "" {
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: res.Rejected, ErrorMessage: res.ErrorMessage}
	}
	return resp, nil
}

type metricsService struct {
	colmetricspb.UnimplementedMetricsServiceServer
	g *grpcReceiver
}

func (s *metricsService) Export(ctx context.Context, req *colmetricspb.ExportMetricsServiceRequest) (*colmetricspb.ExportMetricsServiceResponse, error) {
	res := otlpconv.Metrics(req)
	if err := s.g.submit(ctx, otlpconv.SignalMetrics, &res, req); err != nil {
		return nil, err
	}
	resp := &colmetricspb.ExportMetricsServiceResponse{}
	if res.Rejected > 0 || res.ErrorMessage != "" {
		resp.PartialSuccess = &colmetricspb.ExportMetricsPartialSuccess{RejectedDataPoints: res.Rejected, ErrorMessage: res.ErrorMessage}
	}
	return resp, nil
}
