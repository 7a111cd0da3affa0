// Package otlp receives OpenTelemetry data over OTLP: the gRPC LogsService, MetricsService and
// TraceService Export methods, and the OTLP/HTTP handlers for POST /v1/logs, /v1/metrics and
// /v1/traces (protobuf or JSON, identity or gzip).
//
// It is glue: it reads and limits request bodies, decompresses them, hands them to pkg/otlpconv
// to decode and to pkg/ingest to write, and maps the outcome to the status codes of the OTLP
// specification. Conversion rules live in otlpconv; admission and counters in ingest.
//
// Status mapping (HTTP / gRPC):
//
//	success, maybe with partial_success     200 / OK
//	malformed payload, bad gzip             400 / InvalidArgument
//	body over the limit after decompression 413 / ResourceExhausted (grpc's own size check)
//	unsupported Content-Type or -Encoding   415
//	pipeline full (store.ErrOverloaded)     429 + Retry-After / ResourceExhausted + RetryInfo
//	store down, closing or failing          503 + Retry-After / Unavailable + RetryInfo
//	method other than POST                  405
//
// Error bodies are google.rpc.Status messages, encoded like the request (protobuf or JSON).
//
// Both transports decode protobuf with otlpconv.DecodeProto, so a record with invalid UTF-8 is
// rejected on its own (partial_success) whether it came over gRPC or HTTP.
package otlp
