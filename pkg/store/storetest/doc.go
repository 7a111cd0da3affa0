// Package storetest is the conformance suite every store.Store passes: exact round trips of
// every column of every logical table (docs/schema.md), visibility right after Write,
// concurrent writers, durability across Close and reopen, MaxRows truncation and time-range
// pruning that never drops rows inside the range.
//
// The statements it runs are portable SQL over the relation the store's TableSource returns;
// only the parameter placeholder differs by dialect. Results are compared after normalising
// Arrow types (any timestamp unit, string or integer width), so a backend may return its own
// physical types.
//
// This package imports only pkg/model, pkg/store and arrow-go: never a backend.
package storetest
