// Package e2e tests the plugin the way Grafana runs it: it builds the heimsight binary (with
// cgo, for DuckDB) and the plugin binary (without), starts heimsight on an empty embedded store,
// ingests known telemetry over OTLP/HTTP, launches the plugin through hashicorp/go-plugin with the
// SDK's handshake, and checks QueryData, CheckHealth and CallResource answers.
//
// With -record it also saves every ingestor answer the plugin got (Arrow and JSON) to
// plugin/datasource/testdata/recorded.json, which the datasource handler tests replay.
package e2e
