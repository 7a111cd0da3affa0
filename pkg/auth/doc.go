// Package auth holds Heimsight's API tokens: parsing them from HEIMSIGHT_API_TOKENS or a token
// file, and deciding whether an Authorization header grants a scope.
//
// A token is a name, a set of scopes (ingest, query, admin) and a secret. Only the SHA-256 of
// each secret is kept in memory; a presented secret is hashed and compared with every known
// hash using subtle.ConstantTimeCompare, without an early exit, so neither the comparison nor
// the loop reveals how much of a guess was right or which token it resembled. Secrets never
// appear in errors, String methods or logs; only names do.
//
// The protocol glue (ingestor/api, ingestor/otlp) maps ErrUnauthenticated to HTTP 401 or gRPC
// Unauthenticated and ErrForbidden to 403 or PermissionDenied. A nil *Authenticator allows
// everything: that is the open mode used when no token is configured.
//
// It imports only the standard library.
package auth
