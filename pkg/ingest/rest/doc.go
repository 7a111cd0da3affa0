// Package rest defines Heimsight's plain JSON ingest form (POST /api/v1/logs, /api/v1/metrics,
// /api/v1/traces) and converts it to pkg/model rows. The types are shared by the server and by
// pkg/client; docs/rest-api.md documents the form.
//
// A request body is one JSON object (one record) or a JSON array of them. Malformed JSON and
// unknown fields fail the whole request (a client bug that must not go unnoticed); everything
// else — bad ids, missing or zero timestamps, values of the wrong type, unknown enum names — is
// decided per record: the record is rejected and reported by index, the rest are kept.
//
// It imports pkg/model only.
package rest
