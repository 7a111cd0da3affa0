// Package client is the Go client of Heimsight's REST API, used by the heimsight CLI and the
// Grafana plugin. It also defines the API's JSON response types, which the server encodes, so
// the two cannot drift apart. The ingest request form lives in pkg/ingest/rest.
//
// It imports only the standard library, pkg/ingest/rest and pkg/model.
package client
