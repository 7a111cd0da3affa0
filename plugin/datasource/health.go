package datasource

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/heimsight/heimsight/pkg/hql"
)

// The ingestor versions this plugin speaks to: the REST API of 0.x and 1.x. Development builds
// ("dev") are accepted.
const (
	minIngestorVersion   = "0.1.0"
	maxIngestorMajorExcl = 2
)

// healthTimeout bounds the whole health check: the config page waits for it.
const healthTimeout = 15 * time.Second

// healthQuery is the trivial query CheckHealth runs: it proves the query path and the token.
func healthQuery() string {
	return hql.SelectFrom("logs", hql.CountAll()).WithLimit(1).String()
}

// CheckHealth reaches /health, checks the version and runs a trivial query, and says exactly
// which step failed.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	ctx, cancel := context.WithTimeout(ctx, min(healthTimeout, d.settings.Timeout))
	defer cancel()
	fail := func(format string, args ...any) (*backend.CheckHealthResult, error) {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: fmt.Sprintf(format, args...)}, nil
	}

	h, err := d.client.Health(ctx)
	if err != nil {
		var ue *UnreachableError
		var ae *APIError
		switch {
		case errors.As(err, &ue):
			return fail("Cannot reach the Heimsight ingestor at %s: %v. Check the URL and that the ingestor is running.", d.settings.URL, ue.Err)
		case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
			// The ingestor's /health is public: a proxy in front of it wants credentials.
			return fail("%s refused /health as unauthenticated (HTTP 401): \"%s\". The ingestor serves /health without a token, so a proxy in front of it wants other credentials.", d.settings.URL, ae.Message)
		case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
			return fail("%s refused /health (HTTP 403): \"%s\". The ingestor serves /health without a token, so a proxy in front of it is refusing access.", d.settings.URL, ae.Message)
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			return fail("%s answered 404 on /health: this URL is not a Heimsight ingestor's REST address (default port 8080).", d.settings.URL)
		case errors.As(err, &ae):
			return fail("The ingestor at %s is not healthy (HTTP %d): %s", d.settings.URL, ae.Status, ae.Message)
		}
		return fail("%s does not look like a Heimsight ingestor: %v", d.settings.URL, err)
	}
	if msg := versionProblem(h.Version); msg != "" {
		return fail("Incompatible Heimsight version at %s: %s", d.settings.URL, msg)
	}

	q := healthQuery()
	if _, err := d.client.Query(ctx, queryRequest{Query: q, MaxRows: 1}); err != nil {
		var ue *UnreachableError
		var ae *APIError
		switch {
		case errors.As(err, &ue):
			return fail("The ingestor answered /health but the test query failed to reach it: %v", ue.Err)
		case errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) && d.settings.APIToken == "":
			return fail("The ingestor requires an API token (HTTP %d on %s): set the API token in the datasource settings.", ae.Status, "/api/v1/query")
		case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
			return fail("The ingestor rejected the API token (HTTP 401): \"%s\". The token is unknown or invalid; check it in the datasource settings against the ingestor's HEIMSIGHT_API_TOKENS.", ae.Message)
		case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
			// 403 is a known token without the scope the endpoint needs (RFC 6750
			// insufficient_scope), not a wrong token.
			return fail("The API token is valid but lacks the \"query\" scope this datasource needs to run queries (HTTP 403): \"%s\". Give the token the query scope, and admin as well to edit retention on this page (for example name:query+admin:<secret> in HEIMSIGHT_API_TOKENS).", ae.Message)
		case errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed):
			return fail("Incompatible Heimsight version at %s (version %q): it has no HQL query API (POST /api/v1/query answered %d).", d.settings.URL, h.Version, ae.Status)
		case errors.As(err, &ae):
			return fail("The ingestor is reachable (version %s) but the test query %q failed: %v", h.Version, q, ae)
		}
		return fail("The ingestor is reachable (version %s) but the test query %q failed: %v", h.Version, q, err)
	}
	msg := fmt.Sprintf("Heimsight %s is reachable (%s store) and answered a test query.", h.Version, h.Storage)
	if d.settings.APIToken == "" {
		msg += " No API token is set."
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: msg}, nil
}

// versionProblem says why version is not supported, or "" when it is (or cannot be judged:
// development builds report "dev").
func versionProblem(version string) string {
	v, ok := parseSemver(version)
	if !ok {
		return ""
	}
	lo, _ := parseSemver(minIngestorVersion)
	if compareSemver(v, lo) < 0 {
		return fmt.Sprintf("version %s is older than %s, the oldest this plugin supports; upgrade the ingestor", version, minIngestorVersion)
	}
	if v[0] >= maxIngestorMajorExcl {
		return fmt.Sprintf("version %s is newer than this plugin supports (below %d.0.0); upgrade the plugin", version, maxIngestorMajorExcl)
	}
	return ""
}

func parseSemver(s string) ([3]int, bool) {
	var out [3]int
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func compareSemver(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
