// Package datasource is the backend of the Heimsight Grafana datasource plugin: settings,
// QueryData (HQL and builder queries for logs, traces and metrics, Explore's logs volume and log
// context), CheckHealth and CallResource, and the conversion of ingestor results into Grafana
// data frames.
//
// The plugin talks to the ingestor's REST API only (POST /api/v1/query, GET /health, the retention
// resource), so it behaves the same whatever store the ingestor uses. Every query it sends is an
// HQL syntax tree printed with String(): builder fields, template variables and ad hoc filters
// become literal and identifier nodes, never text pasted into a query.
//
// This package must not import cgo packages (no store backend, no DuckDB): Grafana runs the
// plugin as a static binary on every platform, built with CGO_ENABLED=0.
package datasource
