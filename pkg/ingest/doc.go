// Package ingest is the pipeline between the protocol decoders (OTLP, REST JSON) and a
// store.Writer: admission control, per-signal counters and the in-flight gauge.
//
// It keeps no queue of its own. A request is admitted if the rows and bytes already in flight
// leave room for it; otherwise Submit fails at once with an error wrapping store.ErrOverloaded,
// so the client is told to retry before anything is accepted. An admitted batch is written
// synchronously, so whatever a caller acknowledges is durable and nothing accepted is ever
// dropped. The in-flight totals are the queue depth.
//
// Submit also applies the per-request Limits, one implementation for OTLP/gRPC, OTLP/HTTP and
// REST: a request with too many records is refused whole (ErrTooManyRecords); attributes over
// the per-list limit are dropped and counted in dropped_attributes_count, and long attribute
// values are truncated, both counted in Prometheus and reported back to the client.
//
// It imports pkg/model and pkg/store only; it knows nothing about protocols.
package ingest
