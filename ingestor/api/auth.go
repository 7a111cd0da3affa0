package api

import (
	"errors"
	"net/http"
	"path"
	"strings"

	"github.com/heimsight/heimsight/ingestor/otlp"
	"github.com/heimsight/heimsight/pkg/auth"
)

// access is what a request needs before it reaches the router.
type access struct {
	public bool       // no token needed
	otlp   bool       // the OTLP handler checks the token itself and answers in the OTLP format
	scope  auth.Scope // scope the token must have
}

// ConfigPrefix is the path prefix of the configuration endpoints (retention and later ones).
// Everything under it needs the admin scope, whichever routes exist, so that a configuration
// route added later cannot be left open by mistake.
const ConfigPrefix = "/api/v1/config"

// requiredAccess is the authorization table. It is decided on the cleaned path before routing,
// so the rule holds for routes that do not exist yet. Paths not listed need the admin scope:
// an unlisted route fails closed.
//
//	/health                                  public
//	/v1/logs, /v1/metrics, /v1/traces        ingest (checked by the OTLP handler)
//	POST /api/v1/logs, /metrics, /traces     ingest
//	GET  /api/v1/logs, /metrics, /traces     query
//	GET  /api/v1/traces/{id}                 query
//	POST /api/v1/query                       query
//	GET  /metrics                            query
//	/api/v1/config, /api/v1/config/...       admin
//	anything else                            admin
func requiredAccess(method, p string) access {
	p = path.Clean("/" + p)
	switch p {
	case "/health":
		return access{public: true}
	case otlp.PathLogs, otlp.PathMetrics, otlp.PathTraces:
		return access{otlp: true, scope: auth.ScopeIngest}
	case "/api/v1/logs", "/api/v1/metrics", "/api/v1/traces":
		if method == http.MethodPost {
			return access{scope: auth.ScopeIngest}
		}
		return access{scope: auth.ScopeQuery}
	case "/api/v1/query", "/metrics":
		return access{scope: auth.ScopeQuery}
	}
	if p == ConfigPrefix || strings.HasPrefix(p, ConfigPrefix+"/") {
		return access{scope: auth.ScopeAdmin}
	}
	if strings.HasPrefix(p, "/api/v1/traces/") && strings.Count(p, "/") == 4 {
		return access{scope: auth.ScopeQuery}
	}
	return access{scope: auth.ScopeAdmin}
}

// authorize answers 401 or 403 and returns false when the request may not proceed.
func (a *API) authorize(w http.ResponseWriter, r *http.Request) bool {
	if !a.opts.Auth.Enabled() {
		return true
	}
	acc := requiredAccess(r.Method, r.URL.Path)
	// The OTLP handler checks its own token, but only on the exact path it is routed at: a
	// variant that cleans to it (/v1/logs/) routes elsewhere and must be checked here.
	if acc.public || (acc.otlp && a.opts.OTLP != nil && r.URL.Path == path.Clean(r.URL.Path)) {
		return true
	}
	err := a.opts.Auth.Authorize(r.Header.Get("Authorization"), acc.scope)
	if err == nil {
		return true
	}
	w.Header().Set("WWW-Authenticate", auth.Challenge(err, acc.scope))
	if errors.Is(err, auth.ErrForbidden) {
		writeError(w, http.StatusForbidden, "forbidden", err.Error())
		return false
	}
	writeError(w, http.StatusUnauthorized, "unauthorized", err.Error())
	return false
}
