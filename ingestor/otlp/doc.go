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
//	success, maybe with partial_success     200 / OK (partial_success also carries the warning
//	                                        about dropped or truncated attributes)
//	malformed payload, bad gzip, deep JSON  400 / InvalidArgument
//	missing, malformed or unknown token     401 + WWW-Authenticate / Unauthenticated
//	token without the ingest scope          403 + WWW-Authenticate / PermissionDenied
//	body over the limit after decompression 413 / ResourceExhausted (grpc's own size check)
//	more records than the per-request limit 413 / ResourceExhausted without RetryInfo
//	unsupported Content-Type or -Encoding   415
//	pipeline full (store.ErrOverloaded)     429 + Retry-After / ResourceExhausted + RetryInfo
//	store down, closing or failing          503 + Retry-After / Unavailable + RetryInfo
//	method other than POST                  405
//
// Error bodies are google.rpc.Status messages, encoded like the request (protobuf or JSON).
//
// With Options.Auth set, the token is checked before anything is read: over HTTP before the
// body, over gRPC in a tap handle before the message.
//
// Both transports decode protobuf with otlpconv.DecodeProto, so a record with invalid UTF-8 is
// rejected on its own (partial_success) whether it came over gRPC or HTTP.
package otlp
