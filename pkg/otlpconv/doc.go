// Package otlpconv converts OTLP export requests (logs, traces, metrics) into pkg/model rows.
//
// It owns the mapping from the OTLP data model to Heimsight's rows and the rules that decide
// which records are rejected; the protocol layer (ingestor/otlp) only reads, limits and
// decompresses bodies and maps the Result to a response. This package is pure: it must not
// import pkg/store, any network or protocol-server package, or anything that does I/O, and it
// never reads the clock, so converting the same request twice gives the same rows.
//
// # Entry points
//
// Logs, Traces and Metrics convert generated protobuf structs, for callers that already hold
// them; they are the reference implementation. DecodeProto decodes the protobuf wire format
// straight into rows without building the generated structs (the hot path for OTLP/HTTP and
// gRPC); a differential fuzz test holds it to the same Result as proto.Unmarshal followed by
// the struct path for every input that proto.Unmarshal accepts. DecodeJSON handles OTLP/JSON.
//
// # Partial success
//
// A whole-request error (HTTP 400, gRPC InvalidArgument) is returned only when the payload
// cannot be decoded at all. Everything else is decided per log record, span or data point: an
// invalid item is dropped and counted in Result.Rejected, with a short reason in
// Result.ErrorMessage, and the valid items of the same request are kept. The rules:
//
//   - log records need a timestamp (time_unix_nano, or observed_time_unix_nano when the former
//     is 0); trace_id must be empty or 16 bytes, span_id empty or 8 bytes.
//   - spans need a 16-byte non-zero trace_id, an 8-byte non-zero span_id, an empty or 8-byte
//     parent_span_id, start > 0 and end >= start; every link must carry valid ids too.
//   - data points need time_unix_nano > 0; histogram points need len(bucket_counts) ==
//     len(explicit_bounds)+1 unless both are empty; exemplar ids are checked like log ids.
//   - timestamps above math.MaxInt64 nanoseconds are out of range and reject their item.
//   - attribute and body values may nest arrays and kvlists at most 64 levels deep.
//   - a resource or scope that fails a check (invalid UTF-8, too deep) rejects every item
//     under it; a metric whose name, description or unit fails rejects all its points.
//
// Duplicate attribute keys keep the value of the last occurrence, at the position of the first.
// Empty lists become nil slices. The 2024+ dictionary fields of common.proto (key_strindex,
// string_value_strindex) belong to profiles; here key_strindex is ignored and a
// string_value_strindex value converts to an empty value.
//
// # Invalid UTF-8
//
// proto3 strings must be UTF-8, and proto.Unmarshal rejects a whole message when one string is
// not, so a request that reaches Logs, Traces or Metrics through proto.Unmarshal fails as a
// whole. DecodeProto is more forgiving on purpose: it rejects only the log record, span or data
// point that holds the bad string (or everything under a bad resource, scope or metric) and
// keeps the rest, counting the rejects as partial success. That is why a gRPC server should
// hand the raw request bytes to DecodeProto (through a codec that does not unmarshal) rather
// than use the struct path; it is also several times faster. Logs, Traces and Metrics check
// UTF-8 the same way for structs built in Go. OTLP/JSON text with invalid UTF-8 is not valid
// JSON, and DecodeJSON fails the request.
//
// # Memory
//
// DecodeProto copies the body once into a string and slices every decoded string out of it,
// and it backs the attribute lists of all items with a few large arrays, so a request costs a
// handful of allocations. The flip side is that holding any one string or attribute list of a
// Result keeps that whole copy or array alive: stores copy what they keep (see store.Writer).
//
// # OTLP/JSON
//
// DecodeJSON follows the OTLP/JSON rules, which differ from plain protojson: trace and span ids
// (traceId, spanId, parentSpanId, in records, links and exemplars) are hex strings; enums may
// be names or numbers; 64-bit integers may be strings or numbers; field names are lowerCamelCase
// (original names are accepted too). As the OTLP specification requires of receivers, unknown
// fields are ignored rather than failing the request. An id that is not valid hex or has the
// wrong length rejects its record, not the request; malformed JSON fails the request.
package otlpconv
