package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
)

// Scope is a set of permissions, one bit each.
type Scope uint8

// The scopes.
const (
	// ScopeIngest allows writing telemetry: OTLP and POST /api/v1/{logs,metrics,traces}.
	ScopeIngest Scope = 1 << iota
	// ScopeQuery allows reading: listings, traces by id, HQL queries and /metrics.
	ScopeQuery
	// ScopeAdmin allows reading and changing the server configuration (/api/v1/config/...).
	ScopeAdmin
)

var scopeNames = []struct {
	s    Scope
	name string
}{{ScopeIngest, "ingest"}, {ScopeQuery, "query"}, {ScopeAdmin, "admin"}}

// String returns the scope names joined with "+", as in the token format.
func (s Scope) String() string {
	var parts []string
	for _, n := range scopeNames {
		if s&n.s != 0 {
			parts = append(parts, n.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// Has reports whether s includes every scope of need.
func (s Scope) Has(need Scope) bool { return s&need == need }

// ParseScope parses "ingest", "query", "admin" or several joined with "+".
func ParseScope(v string) (Scope, error) {
	var s Scope
	for part := range strings.SplitSeq(v, "+") {
		part = strings.ToLower(strings.TrimSpace(part))
		found := false
		for _, n := range scopeNames {
			if n.name == part {
				s |= n.s
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown scope %q: want ingest, query or admin, joined with +", part)
		}
	}
	return s, nil
}

// MinSecretLength is the shortest secret accepted. Sixteen characters of a random token (for
// example `openssl rand -hex 16` gives 32) are beyond guessing; shorter ones are refused so that
// a placeholder such as "changeme" cannot end up protecting a server.
const MinSecretLength = 16

// MaxSecretLength is the longest secret accepted, configured or presented.
const MaxSecretLength = 1024

// Token is one configured token. The secret itself is not kept.
type Token struct {
	Name   string
	Scopes Scope
	hash   [sha256.Size]byte
}

// NewToken returns a token for secret.
func NewToken(name string, scopes Scope, secret string) Token {
	return Token{Name: name, Scopes: scopes, hash: sha256.Sum256([]byte(secret))}
}

// Errors returned by Authorize. The glue maps them to 401 and 403.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrForbidden       = errors.New("forbidden")

	errMissing = fmt.Errorf("%w: missing Authorization header: send \"Authorization: Bearer <token>\"", ErrUnauthenticated)
)

// Authenticator checks bearer tokens. Its tokens are immutable; it is safe for concurrent use. A nil
// *Authenticator allows every request.
type Authenticator struct {
	tokens []Token
	// Refusals are counted for monitoring (a burst of unauthenticated requests is someone
	// guessing), since refusals are never logged one by one.
	unauthenticated, forbidden atomic.Int64
}

// Refusals returns how many requests Authorize refused as unauthenticated (401) and as
// forbidden (403) since the authenticator was made.
func (a *Authenticator) Refusals() (unauthenticated, forbidden int64) {
	if a == nil {
		return 0, 0
	}
	return a.unauthenticated.Load(), a.forbidden.Load()
}

// New returns an authenticator for tokens, or nil (open mode) when there are none.
func New(tokens []Token) *Authenticator {
	if len(tokens) == 0 {
		return nil
	}
	return &Authenticator{tokens: append([]Token(nil), tokens...)}
}

// Enabled reports whether requests need a token.
func (a *Authenticator) Enabled() bool { return a != nil }

// Names returns the configured token names with their scopes, for the startup log.
func (a *Authenticator) Names() []string {
	if a == nil {
		return nil
	}
	out := make([]string, len(a.tokens))
	for i, t := range a.tokens {
		out[i] = t.Name + ":" + t.Scopes.String()
	}
	return out
}

// Authenticate returns the token whose secret is secret. Every configured hash is compared,
// whatever matched first, so the time taken does not depend on which token (if any) matched.
func (a *Authenticator) Authenticate(secret string) (Token, bool) {
	// No configured secret is this long (Parse accepts what fits in a header line, and
	// clients send a few dozen bytes); refusing early keeps a megabyte-long header from costing
	// a megabyte of hashing per request.
	if a == nil || secret == "" || len(secret) > MaxSecretLength {
		return Token{}, false
	}
	h := sha256.Sum256([]byte(secret))
	match := -1
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(h[:], a.tokens[i].hash[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return Token{}, false
	}
	return a.tokens[match], true
}

// Authorize decides a request from its Authorization header value. It returns nil when the
// authenticator is nil (open mode) or the bearer token grants need; an error wrapping
// ErrUnauthenticated when the header is missing, malformed or holds an unknown token; and one
// wrapping ErrForbidden when the token is valid but lacks a scope. The messages are safe to send
// to the client: they never contain the presented secret.
func (a *Authenticator) Authorize(header string, need Scope) error {
	if a == nil {
		return nil
	}
	secret, ok := BearerToken(header)
	switch {
	case header == "":
		a.unauthenticated.Add(1)
		return errMissing
	case !ok:
		a.unauthenticated.Add(1)
		return fmt.Errorf("%w: malformed Authorization header: want \"Bearer <token>\"", ErrUnauthenticated)
	}
	t, ok := a.Authenticate(secret)
	if !ok {
		a.unauthenticated.Add(1)
		return fmt.Errorf("%w: unknown API token", ErrUnauthenticated)
	}
	if !t.Scopes.Has(need) {
		a.forbidden.Add(1)
		return fmt.Errorf("%w: token %q has scope %s; this endpoint needs %s", ErrForbidden, t.Name, t.Scopes, need&^t.Scopes)
	}
	return nil
}

// Challenge is the WWW-Authenticate header value for an Authorize error (RFC 6750): a plain
// challenge when no token was sent, error="invalid_token" for an unknown or malformed one, and
// error="insufficient_scope" with the scope needed for a valid token that lacks it.
func Challenge(err error, need Scope) string {
	const base = `Bearer realm="heimsight"`
	switch {
	case errors.Is(err, ErrForbidden):
		return base + `, error="insufficient_scope", scope="` + need.String() + `"`
	case errors.Is(err, errMissing):
		return base
	}
	return base + `, error="invalid_token"`
}

// BearerToken extracts the token of an "Authorization: Bearer <token>" header value. The scheme
// is case-insensitive (RFC 7235).
func BearerToken(header string) (string, bool) {
	const prefix = "bearer "
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return "", false
	}
	tok := strings.TrimSpace(header[len(prefix):])
	return tok, tok != ""
}

// Parse reads tokens in the HEIMSIGHT_API_TOKENS form: entries separated by commas or newlines,
// each "name:scopes:secret" where scopes is ingest, query or admin, or several joined with "+".
// The secret is everything after the second colon. Blank entries and lines starting with "#"
// are skipped. Names must be unique, and so must secrets. Errors name the entry by position and
// name, never by secret.
func Parse(s string) ([]Token, error) {
	var tokens []Token
	var errs []error
	names := map[string]bool{}
	hashes := map[[sha256.Size]byte]string{}
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for entry := range strings.SplitSeq(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			n++
			t, err := parseEntry(entry)
			if err != nil {
				errs = append(errs, fmt.Errorf("token %d: %w", n, err))
				continue
			}
			if names[t.Name] {
				errs = append(errs, fmt.Errorf("token %d: name %q used twice", n, t.Name))
				continue
			}
			if other, dup := hashes[t.hash]; dup {
				errs = append(errs, fmt.Errorf("token %d (%q): same secret as token %q; give each client its own", n, t.Name, other))
				continue
			}
			names[t.Name] = true
			hashes[t.hash] = t.Name
			tokens = append(tokens, t)
		}
	}
	if len(errs) > maxReportedErrors {
		// A file that is not a token file at all fails on every line; a few say enough.
		errs = append(errs[:maxReportedErrors], fmt.Errorf("and %d more invalid entries", len(errs)-maxReportedErrors))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return tokens, nil
}

const maxReportedErrors = 5

func parseEntry(entry string) (Token, error) {
	name, rest, ok1 := strings.Cut(entry, ":")
	scopes, secret, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return Token{}, errors.New(`want name:scopes:secret (for example "grafana:query:<secret>")`)
	}
	// Neither an invalid name nor an unknown scope is quoted back: a line with its fields in
	// the wrong order, or a file that is not a token file at all (a password file named by
	// mistake), would otherwise put a secret into the log.
	name = strings.TrimSpace(name)
	if !validName(name) {
		return Token{}, errors.New("invalid name in the first field: want 1 to 64 letters, digits, '.', '_' or '-'")
	}
	sc, err := ParseScope(scopes)
	if err != nil {
		return Token{}, fmt.Errorf("%q: unknown scope in the second field: want ingest, query or admin, joined with +", name)
	}
	if len(secret) < MinSecretLength {
		return Token{}, fmt.Errorf("%q: secret shorter than %d characters", name, MinSecretLength)
	}
	if len(secret) > MaxSecretLength {
		return Token{}, fmt.Errorf("%q: secret longer than %d characters", name, MaxSecretLength)
	}
	for _, c := range []byte(secret) {
		// Header values cannot carry control characters or spaces inside a bearer token
		// (RFC 6750 b64token), so such a secret could never be presented.
		if c <= ' ' || c == 0x7f {
			return Token{}, fmt.Errorf("%q: secret contains a space or control character", name)
		}
	}
	return NewToken(name, sc, secret), nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// MaxFileBytes bounds a token file (and ReadSmallFile's other uses): a few thousand tokens.
const MaxFileBytes = 1 << 20

// LoadFile reads tokens from a file in the Parse form (one entry per line is clearest). The file
// must be a regular file of at most MaxFileBytes. worldReadable reports whether users other
// than the owner and group may read it, so the caller can warn.
func LoadFile(path string) (tokens []Token, worldReadable bool, err error) {
	b, mode, err := ReadSmallFile(path, MaxFileBytes)
	if err != nil {
		return nil, false, err
	}
	tokens, err = Parse(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("cannot parse token file %s: %w", path, err)
	}
	return tokens, mode&0o004 != 0, nil
}

// ReadSmallFile reads a configuration file: a regular file (not a directory, device or FIFO,
// which could block or never end) of at most limit bytes. Errors name the path and the reason.
func ReadSmallFile(path string, limit int64) ([]byte, os.FileMode, error) {
	if path == "" {
		return nil, 0, errors.New("cannot read file: empty path")
	}
	if strings.IndexByte(path, 0) >= 0 {
		return nil, 0, fmt.Errorf("cannot read file %q: path contains a NUL byte", path)
	}
	// Stat before opening: opening a FIFO blocks until a writer appears.
	if st, err := os.Stat(path); err != nil {
		return nil, 0, fmt.Errorf("cannot read file: %w", err)
	} else if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("cannot read file %s: not a regular file but %s", path, fileKind(st.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("cannot read file %s: not a regular file but %s", path, fileKind(st.Mode()))
	}
	if st.Size() > limit {
		return nil, 0, fmt.Errorf("cannot read file %s: %d bytes is over the limit of %d", path, st.Size(), limit)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(bufio.NewReader(f), limit+1)); err != nil {
		return nil, 0, fmt.Errorf("cannot read file %s: %w", path, err)
	}
	if int64(buf.Len()) > limit {
		return nil, 0, fmt.Errorf("cannot read file %s: over the limit of %d bytes", path, limit)
	}
	return buf.Bytes(), st.Mode().Perm(), nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
