// Package model holds Heimsight's in-memory representation of telemetry: log records, spans and
// metric points of every OTLP type, with their resource, scope and attributes.
//
// It is plain data: no I/O, no encoding, no imports beyond the standard library. Converters
// (pkg/otlpconv), stores (pkg/store/...) and the REST API all speak these types.
//
// Conventions: every timestamp is Unix time in nanoseconds (int64, UTC); zero means "unset".
// Trace and span ids are fixed-size byte arrays; the all-zero id means "absent".
package model
