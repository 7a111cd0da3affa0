// Package ingest is the pipeline between the protocol decoders (OTLP, REST JSON) and a
// store.Writer: admission control, per-signal counters and the in-flight gauge.
//
// It keeps no queue of its own. A request is admitted if the rows and bytes already in flight
// leave room for it; otherwise Submit fails at once with an error wrapping store.ErrOverloaded,
// so the client is told to retry before anything is accepted. An admitted batch is written
// synchronously, so whatever a caller acknowledges is durable and nothing accepted is ever
// dropped. The in-flight totals are the queue depth.
//
// It imports pkg/model and pkg/store only; it knows nothing about protocols.
package ingest
