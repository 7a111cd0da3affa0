package api

import "net/http"

// Querier runs listings and HQL queries.
type Querier interface{}

func (a *API) unavailableQuery(w http.ResponseWriter) {
	writeError(w, http.StatusServiceUnavailable, "unavailable", "queries are not available")
}

func (a *API) listLogs(w http.ResponseWriter, r *http.Request)    { a.unavailableQuery(w) }
func (a *API) listMetrics(w http.ResponseWriter, r *http.Request) { a.unavailableQuery(w) }
func (a *API) listSpans(w http.ResponseWriter, r *http.Request)   { a.unavailableQuery(w) }
func (a *API) getTrace(w http.ResponseWriter, r *http.Request)    { a.unavailableQuery(w) }
func (a *API) query(w http.ResponseWriter, r *http.Request)       { a.unavailableQuery(w) }
