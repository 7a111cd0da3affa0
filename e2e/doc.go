// Package e2e holds Heimsight's process-level tests: they build the real heimsight binary, start
// it on free loopback ports with a temporary data directory, send telemetry with the official
// OpenTelemetry Go SDK exporters over OTLP/gRPC and OTLP/HTTP, and read it back through the
// REST API, across restarts.
package e2e
