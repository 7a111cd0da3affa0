package datasource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/heimsight/heimsight/pkg/hql"
)

// Resource limits.
const (
	defaultValuesLimit = 100
	maxValuesLimit     = 10000
	// defaultValuesRange is the window searched for values when the caller gives no time
	// range: DISTINCT over all history would scan everything.
	defaultValuesRange = 24 * time.Hour
	maxProxyBody       = 1 << 20
)

// resourceMux serves CallResource paths:
//
//	GET  catalog        tables, columns, functions, keywords and macros for autocomplete
//	GET  values         distinct values of a column (template variables, ad hoc filters)
//	GET  services       distinct services (of logs, spans, metrics or all three)
//	GET  metric-names   distinct metric names
//	GET  retention          the ingestor's retention settings (proxied with the token)
//	PUT  retention          change them
//	PUT  retention/policy   change one data type or tier
//	GET  retention/metrics  data age and size per data type and tier
func (d *Datasource) resourceMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /catalog", d.handleCatalog)
	mux.HandleFunc("GET /values", d.handleValues)
	mux.HandleFunc("GET /services", d.handleServices)
	mux.HandleFunc("GET /metric-names", d.handleMetricNames)
	mux.HandleFunc("GET /retention", d.handleRetention)
	mux.HandleFunc("PUT /retention", d.handleRetention)
	mux.HandleFunc("GET /retention/metrics", d.handleRetention)
	mux.HandleFunc("PUT /retention/policy", d.handleRetention)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeResourceError(w, http.StatusNotFound, "not_found", "no resource at "+r.URL.Path)
	})
	return mux
}

func writeResourceJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeResourceError(w http.ResponseWriter, status int, code, msg string) {
	writeResourceJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// writeErr maps err like QueryData does: user mistakes 400, ingestor answers with their status,
// an unreachable ingestor 502.
func writeErr(w http.ResponseWriter, err error) {
	var ue *UserError
	var ae *APIError
	var ne *UnreachableError
	switch {
	case errors.As(err, &ue):
		writeResourceError(w, http.StatusBadRequest, "bad_request", ue.Msg)
	case errors.As(err, &ae):
		writeResourceJSON(w, ae.Status, map[string]any{"error": map[string]any{"code": ae.Code, "message": ae.Message, "line": ae.Line, "column": ae.Column}})
	case errors.As(err, &ne):
		writeResourceError(w, http.StatusBadGateway, "unreachable", ne.Error())
	default:
		writeResourceError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

// catalogJSON is the editor's view of the HQL catalog.
type catalogJSON struct {
	Tables    []catalogTable `json:"tables"`
	Functions []catalogFunc  `json:"functions"`
	Keywords  []string       `json:"keywords"`
	Macros    []catalogMacro `json:"macros"`
}

type catalogMacro struct {
	Name      string `json:"name"`
	Signature string `json:"signature"`
	Doc       string `json:"doc"`
}

type catalogTable struct {
	Name       string          `json:"name"`
	Doc        string          `json:"doc,omitempty"`
	TimeColumn string          `json:"timeColumn"`
	Tier       bool            `json:"tier"`
	Columns    []catalogColumn `json:"columns"`
}

type catalogColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Doc  string `json:"doc,omitempty"`
}

type catalogFunc struct {
	Name      string `json:"name"`
	Signature string `json:"signature"`
	Doc       string `json:"doc,omitempty"`
	Aggregate bool   `json:"aggregate"`
}

// macros are the Grafana macros HQL resolves (pkg/hql's planner), with what the editor shows.
var macros = []catalogMacro{
	{"$__timeFilter", "$__timeFilter(timestamp)", "the column is within the dashboard's time range"},
	{"$__timeFrom", "$__timeFrom", "start of the time range (timestamp)"},
	{"$__timeTo", "$__timeTo", "end of the time range (timestamp)"},
	{"$__interval", "$__interval", "Grafana's interval for the panel width (duration)"},
	{"$__interval_ms", "$__interval_ms", "the interval in milliseconds (int)"},
	{"$__timeGroup", "$__timeGroup(timestamp, $__interval)", "start of the time bucket containing the column"},
}

// buildCatalog reads the catalog and function table the planner uses, so the editor offers
// exactly what the ingestor accepts (tiers are listed; the ingestor refuses unbuilt ones).
func buildCatalog() catalogJSON {
	var out catalogJSON
	for _, t := range hql.DefaultCatalog().Tables() {
		ct := catalogTable{Name: t.Name, Doc: t.Doc, TimeColumn: t.TimeColumn, Tier: t.Tier}
		for _, c := range t.Columns {
			typ := c.Type.String()
			if c.Elem != "" {
				typ = c.Elem
			}
			ct.Columns = append(ct.Columns, catalogColumn{Name: c.Name, Type: typ, Doc: c.Doc})
		}
		out.Tables = append(out.Tables, ct)
	}
	for _, f := range hql.Functions() {
		out.Functions = append(out.Functions, catalogFunc{Name: f.Name, Signature: f.Signature, Doc: f.Doc, Aggregate: f.Aggregate})
	}
	out.Keywords = hql.Keywords()
	slices.Sort(out.Keywords)
	out.Macros = macros
	return out
}

func (d *Datasource) handleCatalog(w http.ResponseWriter, _ *http.Request) {
	writeResourceJSON(w, http.StatusOK, buildCatalog())
}

// parseResourceTime reads a from/to parameter: Unix milliseconds (what Grafana's frontend has),
// Unix nanoseconds or RFC 3339.
func parseResourceTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 1e14 {
			return time.UnixMilli(n), nil
		}
		return time.Unix(0, n), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, userErrorf("%s=%q is not Unix milliseconds or RFC 3339", name, s)
	}
	return t, nil
}

// valuesParams are the parameters shared by the value listings.
type valuesParams struct {
	from, to time.Time
	limit    int64
	prefix   string
}

func readValuesParams(r *http.Request) (valuesParams, error) {
	q := r.URL.Query()
	var p valuesParams
	var err error
	if p.from, err = parseResourceTime("from", q.Get("from")); err != nil {
		return p, err
	}
	if p.to, err = parseResourceTime("to", q.Get("to")); err != nil {
		return p, err
	}
	if p.to.IsZero() {
		p.to = time.Now()
	}
	if p.from.IsZero() {
		p.from = p.to.Add(-defaultValuesRange)
	}
	p.limit = defaultValuesLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 || n > maxValuesLimit {
			return p, userErrorf("limit=%q must be a number from 1 to %d", s, maxValuesLimit)
		}
		p.limit = n
	}
	p.prefix = q.Get("prefix")
	return p, nil
}

// valuesQuery builds SELECT DISTINCT <key> AS value FROM <table> WHERE $__timeFilter(...) ...
// ORDER BY value LIMIT n. Table and key become identifier nodes and the prefix a literal, so
// nothing in the request can change the query's shape.
func valuesQuery(table, key string, where hql.Expr, p valuesParams) (*hql.Select, error) {
	t, ok := hql.DefaultCatalog().Table(table)
	if !ok {
		return nil, userErrorf("unknown table %q", table)
	}
	k, err := keyExpr(key)
	if err != nil {
		return nil, err
	}
	sel := hql.SelectFrom(t.Name).WithDistinct().
		Filter(hql.TimeFilter(hql.Col(t.TimeColumn))).
		Filter(where)
	sel.Items = []*hql.SelectItem{{Expr: k, Alias: "value"}}
	if p.prefix != "" {
		sel.Filter(hql.Fn("starts_with", k, hql.Str(p.prefix)))
	}
	// NULL is what a missing map key reads as; it is not a value to offer.
	sel.Filter(hql.IsNotNull(k))
	sel.SortBy(hql.Asc(hql.Col("value"))).WithLimit(p.limit)
	return sel, nil
}

// distinctValues runs a values query and returns its single column as strings.
func (d *Datasource) distinctValues(ctx context.Context, sel *hql.Select, p valuesParams) ([]string, error) {
	res, err := d.client.Query(ctx, queryRequest{Query: sel.String(), From: timeArg(p.from), To: timeArg(p.to), MaxRows: int(p.limit)})
	if err != nil {
		return nil, err
	}
	defer releaseResult(res)
	t := newTable(res)
	if len(t.cols) == 0 {
		return []string{}, nil
	}
	c := &strCol{cursor{chunks: t.cols[0]}}
	out := make([]string, 0, t.rows)
	for r := 0; r < t.rows; r++ {
		out = append(out, c.at(r))
	}
	return out, nil
}

func (d *Datasource) handleValues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := readValuesParams(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	table, key := q.Get("table"), q.Get("column")
	if table == "" {
		table = "logs"
	}
	if key == "" {
		writeErr(w, userErrorf("values needs column=<name> (a column, or attributes.<key> / resource.<key>)"))
		return
	}
	var where hql.Expr
	if svc := q.Get("service"); svc != "" {
		where = hql.Eq(hql.Col("service"), hql.Str(svc))
	}
	sel, err := valuesQuery(table, key, where, p)
	if err != nil {
		writeErr(w, err)
		return
	}
	vals, err := d.distinctValues(r.Context(), sel, p)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeResourceJSON(w, http.StatusOK, map[string]any{"values": vals})
}

func (d *Datasource) handleServices(w http.ResponseWriter, r *http.Request) {
	p, err := readValuesParams(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	tables := []string{"logs", "spans", "metrics"}
	if t := r.URL.Query().Get("table"); t != "" {
		tables = []string{t}
	}
	seen := map[string]bool{}
	for _, t := range tables {
		sel, err := valuesQuery(t, "service", nil, p)
		if err != nil {
			writeErr(w, err)
			return
		}
		vals, err := d.distinctValues(r.Context(), sel, p)
		if err != nil {
			writeErr(w, err)
			return
		}
		for _, v := range vals {
			seen[v] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		if v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	if int64(len(out)) > p.limit {
		out = out[:p.limit]
	}
	writeResourceJSON(w, http.StatusOK, map[string]any{"services": out})
}

func (d *Datasource) handleMetricNames(w http.ResponseWriter, r *http.Request) {
	p, err := readValuesParams(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	if r.URL.Query().Get("limit") == "" {
		p.limit = 1000
	}
	var where hql.Expr
	if svc := r.URL.Query().Get("service"); svc != "" {
		where = hql.Eq(hql.Col("service"), hql.Str(svc))
	}
	sel, err := valuesQuery("metrics", "name", where, p)
	if err != nil {
		writeErr(w, err)
		return
	}
	vals, err := d.distinctValues(r.Context(), sel, p)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeResourceJSON(w, http.StatusOK, map[string]any{"metricNames": vals})
}

// retentionPath is the ingestor's retention resource.
const retentionPath = "/api/v1/config/retention"

// handleRetention proxies GET and PUT to the ingestor with the datasource's token, so the config
// page can edit retention without the browser ever holding the token.
func (d *Datasource) handleRetention(w http.ResponseWriter, r *http.Request) {
	// Grafana lets every user who may query a datasource call its resources, while shortening a
	// retention policy deletes data: only an organization Admin may change it.
	if r.Method != http.MethodGet {
		if u := backend.UserFromContext(r.Context()); u == nil || u.Role != "Admin" {
			writeResourceError(w, http.StatusForbidden, "forbidden", "changing retention needs the Grafana Admin role")
			return
		}
	}
	var body io.Reader
	ct := ""
	if r.Method == http.MethodPut {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxProxyBody+1))
		if err != nil {
			writeErr(w, fmt.Errorf("cannot read retention request: %w", err))
			return
		}
		if len(b) > maxProxyBody {
			writeResourceError(w, http.StatusRequestEntityTooLarge, "too_large", "the retention request is larger than 1 MiB")
			return
		}
		if !json.Valid(b) {
			writeResourceError(w, http.StatusBadRequest, "bad_request", "the retention request is not JSON")
			return
		}
		body, ct = strings.NewReader(string(b)), "application/json"
	}
	// Only the routes above reach here, so the suffix is one of a fixed few.
	path := retentionPath + strings.TrimPrefix(r.URL.Path, "/retention")
	resp, err := d.client.Proxy(r.Context(), r.Method, path, body, ct)
	if err != nil {
		writeErr(w, err)
		return
	}
	defer resp.Body.Close()
	if v := resp.Header.Get("Content-Type"); v != "" {
		w.Header().Set("Content-Type", v)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, maxProxyBody))
}
