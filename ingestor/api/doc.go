// Package api is Heimsight's REST API on HEIMSIGHT_PORT (gorilla/mux): health, Prometheus
// metrics, the OTLP/HTTP routes, plain JSON ingest (pkg/ingest/rest), the filtered listings of
// logs, spans and metric points, traces by id, and HQL queries.
//
// Handlers are thin: they read and limit the request, decode it, hand it to pkg/ingest or to
// the query engine, and encode the answer. Listing filters become HQL syntax trees built with
// the pkg/hql constructors, never query text. Every error is JSON,
// {"error": {"code": "...", "message": "..."}}, with the matching HTTP status.
//
// With Options.Auth set, every request but /health needs a bearer token whose scope the table
// in requiredAccess gives; it is decided on the path before routing, so the configuration
// prefix is protected for routes added later. Queries share MaxConcurrentQueries slots.
package api
