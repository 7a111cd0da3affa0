package otlp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"runtime/debug"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcencoding "google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // registers the gzip compressor OTLP clients use
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/otlpconv"
)

// The gRPC services decode requests with otlpconv.DecodeProto, exactly as the HTTP protobuf
// path does, instead of letting grpc unmarshal the generated structs first. Two reasons: grpc
// answers an unmarshalling failure with Internal where OTLP wants InvalidArgument, and
// proto.Unmarshal fails a whole request for one string with invalid UTF-8 where Heimsight rejects
// only the record that holds it. It also skips building the generated structs.
//
// rawCodec hands the request bytes through as a rawRequest and behaves as the proto codec for
// everything else (responses).

// rawRequest carries one export request's protobuf bytes from the codec to the handler, in a
// pooled buffer (grpc frees the received data when Unmarshal returns).
type rawRequest struct{ buf *bytes.Buffer }

type rawCodec struct{ proto grpcencoding.CodecV2 }

func (c rawCodec) Name() string { return proto.Name }

func (c rawCodec) Marshal(v any) (mem.BufferSlice, error) { return c.proto.Marshal(v) }

func (c rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	r, ok := v.(*rawRequest)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	r.buf = getBuffer()
	r.buf.Grow(data.Len())
	for _, b := range data {
		r.buf.Write(b.ReadOnlyData())
	}
	return nil
}

// NewGRPCServer returns a gRPC server with the three OTLP Export services registered and the
// receive size limit set to MaxRequestBytes (grpc applies it after decompression and answers
// ResourceExhausted). extra options are appended (tests, interceptors).
func NewGRPCServer(opts Options, extra ...grpc.ServerOption) (*grpc.Server, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	pc := grpcencoding.GetCodecV2(proto.Name)
	if pc == nil {
		return nil, errors.New("cannot create OTLP/gRPC server: no proto codec registered")
	}
	limit := opts.MaxRequestBytes
	if limit > math.MaxInt32 {
		limit = math.MaxInt32
	}
	base := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(int(limit)),
		grpc.ForceServerCodecV2(rawCodec{proto: pc}),
		grpc.ChainUnaryInterceptor(recoverPanics(opts.Logger)),
	}
	if opts.Auth.Enabled() {
		base = append(base, grpc.InTapHandle(authorizeStream(opts.Auth)))
	}
	srv := grpc.NewServer(append(base, extra...)...)
	g := &grpcReceiver{opts: opts}
	srv.RegisterService(serviceDesc(collogspb.LogsService_ServiceDesc, otlpconv.SignalLogs), g)
	srv.RegisterService(serviceDesc(coltracepb.TraceService_ServiceDesc, otlpconv.SignalTraces), g)
	srv.RegisterService(serviceDesc(colmetricspb.MetricsService_ServiceDesc, otlpconv.SignalMetrics), g)
	return srv, nil
}

// exporter is the handler type of the rewritten service descriptions.
type exporter interface {
	export(ctx context.Context, sig otlpconv.Signal, req *rawRequest) (any, error)
}

// serviceDesc copies a generated service description (names, metadata) and replaces its
// Export handler with one that takes the raw request.
func serviceDesc(sd grpc.ServiceDesc, sig otlpconv.Signal) *grpc.ServiceDesc {
	sd.HandlerType = (*exporter)(nil)
	methods := make([]grpc.MethodDesc, len(sd.Methods))
	copy(methods, sd.Methods)
	for i := range methods {
		fullMethod := "/" + sd.ServiceName + "/" + methods[i].MethodName
		methods[i].Handler = func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(rawRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			e := srv.(exporter)
			if interceptor == nil {
				return e.export(ctx, sig, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: fullMethod}
			return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
				return e.export(ctx, sig, req.(*rawRequest))
			})
		}
	}
	sd.Methods = methods
	return &sd
}

// authorizeStream checks the bearer token in the authorization metadata when a stream opens:
// a tap handle runs before grpc reads the message, so a client without a valid token cannot make
// the server read and buffer up to MaxRequestBytes. It is cheap (one SHA-256 and a few
// comparisons), as a tap handle must be: it runs on the connection's reader goroutine.
func authorizeStream(a *auth.Authenticator) tap.ServerInHandle {
	return func(ctx context.Context, info *tap.Info) (context.Context, error) {
		var header string
		if v := info.Header.Get("authorization"); len(v) > 0 {
			header = v[0]
		}
		if err := a.Authorize(header, auth.ScopeIngest); err != nil {
			code := codes.Unauthenticated
			if errors.Is(err, auth.ErrForbidden) {
				code = codes.PermissionDenied
			}
			return ctx, status.Error(code, err.Error())
		}
		return ctx, nil
	}
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

func (g *grpcReceiver) export(ctx context.Context, sig otlpconv.Signal, req *rawRequest) (any, error) {
	size := int64(req.buf.Len())
	res, err := otlpconv.DecodeProto(sig, req.buf.Bytes())
	PutBuffer(req.buf) // the rows never alias the request bytes
	req.buf = nil
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "cannot decode %s export request: %v", sig, err)
	}
	adj, err := g.submit(ctx, sig, &res, size)
	if err != nil {
		return nil, err
	}
	return exportResponse(sig, res.Rejected, ingest.JoinMessages(res.ErrorMessage, adj.Message())), nil
}

// submit writes a converted request and maps a failure to the gRPC status the OTLP
// specification asks for: ResourceExhausted and Unavailable both carry RetryInfo, which
// clients need before they retry ResourceExhausted.
//
// A request over the record limit is ResourceExhausted without RetryInfo, as for a message over
// the size limit: clients do not retry it unchanged.
func (g *grpcReceiver) submit(ctx context.Context, sig otlpconv.Signal, res *otlpconv.Result, size int64) (ingest.Adjusted, error) {
	adj, err := g.opts.Pipeline.Submit(ctx, ingestSignal[sig], &res.Batch, res.Rejected, size)
	if err == nil {
		return adj, nil
	}
	f := classify(ctx, err)
	g.opts.logFailure(f, sig, err)
	var st *status.Status
	switch f {
	case failTooMany:
		return adj, status.Error(codes.ResourceExhausted, err.Error())
	case failOverloaded:
		st = status.New(codes.ResourceExhausted, err.Error())
	case failCanceled:
		return adj, status.FromContextError(ctx.Err()).Err()
	default:
		st = status.New(codes.Unavailable, err.Error())
	}
	if d, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(g.opts.RetryAfter)}); derr == nil {
		st = d
	}
	return adj, st.Err()
}

// exportResponse is the Export*ServiceResponse of a signal, with partial_success only when
// something was rejected.
func exportResponse(sig otlpconv.Signal, rejected int64, msg string) any {
	if rejected > 0 || msg != "" {
		return partialResponse(sig, rejected, msg)
	}
	switch sig {
	case otlpconv.SignalLogs:
		return &collogspb.ExportLogsServiceResponse{}
	case otlpconv.SignalTraces:
		return &coltracepb.ExportTraceServiceResponse{}
	default:
		return &colmetricspb.ExportMetricsServiceResponse{}
	}
}
