package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/ingest/rest"
	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/query"
)

// Listing limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 10_000
)

// listSpec describes one listing endpoint: its table, the filters it accepts beyond the common
// ones, and the ORDER BY terms after "timestamp DESC" that make the order of equal timestamps
// repeatable, so that cursors neither skip nor repeat rows.
type listSpec struct {
	table      string
	filters    map[string]func(v string) (hql.Expr, error)
	tiebreaker []string
}

// Filters every listing accepts; attr.<key> and resource.<key> are handled apart.
var commonParams = []string{"from", "to", "service", "trace_id", "limit", "cursor"}

var (
	logsSpec = listSpec{table: "logs", tiebreaker: []string{"observed_timestamp", "trace_id", "span_id", "service", "body"},
		filters: map[string]func(string) (hql.Expr, error){
			"severity": severityFilter,
			"q": func(v string) (hql.Expr, error) {
				return hql.Contains(hql.Col("body"), hql.Str(v)), nil
			},
			"span_id": func(v string) (hql.Expr, error) {
				id, err := model.ParseSpanID(v)
				if err != nil || id.IsZero() {
					return nil, fmt.Errorf("invalid span_id %q: want 16 hex digits", v)
				}
				return hql.Eq(hql.Col("span_id"), hql.Str(id.String())), nil
			},
		}}
	spansSpec = listSpec{table: "spans", tiebreaker: []string{"trace_id", "span_id"},
		filters: map[string]func(string) (hql.Expr, error){
			"name":         func(v string) (hql.Expr, error) { return hql.Eq(hql.Col("name"), hql.Str(v)), nil },
			"min_duration": durationFilter(hql.Ge),
			"max_duration": durationFilter(hql.Le),
			"status":       enumFilter("status_code", "status", map[string]string{"unset": "Unset", "ok": "Ok", "error": "Error"}),
			"kind": enumFilter("kind", "kind", map[string]string{"unspecified": "Unspecified", "internal": "Internal",
				"server": "Server", "client": "Client", "producer": "Producer", "consumer": "Consumer"}),
			"parent_span_id": func(v string) (hql.Expr, error) {
				id, err := model.ParseSpanID(v)
				if err != nil {
					return nil, fmt.Errorf("invalid parent_span_id %q: want 16 hex digits, or empty for root spans", v)
				}
				return hql.Eq(hql.Col("parent_span_id"), hql.Str(id.String())), nil
			},
		}}
	metricsSpec = listSpec{table: "metrics", tiebreaker: []string{"name", "service", "type", "start_timestamp"},
		filters: map[string]func(string) (hql.Expr, error){
			"name": func(v string) (hql.Expr, error) { return hql.Eq(hql.Col("name"), hql.Str(v)), nil },
			"type": func(v string) (hql.Expr, error) {
				var vals []string
				for t := range strings.SplitSeq(v, ",") {
					mt, ok := model.ParseMetricType(strings.ToLower(strings.TrimSpace(t)))
					if !ok {
						return nil, fmt.Errorf("invalid type %q: want gauge, sum, histogram, exponential_histogram or summary", t)
					}
					vals = append(vals, mt.String())
				}
				return hql.InStrings(hql.Col("type"), vals...), nil
			},
		}}
)

var levelAliases = map[string]string{"warning": "warn", "err": "error", "critical": "fatal", "information": "info"}

// severityFilter matches the derived level column (trace, debug, info, warn, error, fatal) for
// names, severity_number for numbers; a comma-separated list matches any.
func severityFilter(v string) (hql.Expr, error) {
	var names []string
	var nums []hql.Expr
	for s := range strings.SplitSeq(v, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		if n, err := strconv.Atoi(s); err == nil {
			if n < 0 || n > 24 {
				return nil, fmt.Errorf("invalid severity %d: want 0..24 or a level name", n)
			}
			nums = append(nums, hql.Int(int64(n)))
			continue
		}
		if a, ok := levelAliases[s]; ok {
			s = a
		}
		if s == "" {
			return nil, fmt.Errorf("invalid severity %q", v)
		}
		names = append(names, s)
	}
	var conds []hql.Expr
	if len(names) > 0 {
		conds = append(conds, hql.InStrings(hql.Col("level"), names...))
	}
	if len(nums) > 0 {
		conds = append(conds, hql.InList(hql.Col("severity_number"), nums...))
	}
	return hql.Or(conds...), nil
}

func durationFilter(cmp func(l, r hql.Expr) *hql.Binary) func(string) (hql.Expr, error) {
	return func(v string) (hql.Expr, error) {
		ns, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			d, derr := time.ParseDuration(v)
			if derr != nil {
				return nil, fmt.Errorf("invalid duration %q: want a Go duration (250ms) or nanoseconds", v)
			}
			ns = int64(d)
		}
		return cmp(hql.Col("duration_ns"), hql.Int(ns)), nil
	}
}

func enumFilter(column, param string, names map[string]string) func(string) (hql.Expr, error) {
	return func(v string) (hql.Expr, error) {
		var vals []string
		for s := range strings.SplitSeq(v, ",") {
			n, ok := names[strings.ToLower(strings.TrimSpace(s))]
			if !ok {
				keys := make([]string, 0, len(names))
				for k := range names {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				return nil, fmt.Errorf("invalid %s %q: want one of %s", param, s, strings.Join(keys, ", "))
			}
			vals = append(vals, n)
		}
		return hql.InStrings(hql.Col(column), vals...), nil
	}
}

// cursor is the position after the last row of a page: rows at or before Before, skipping the
// first Skip rows that have exactly the timestamp Before (they were on earlier pages).
type cursor struct {
	Before int64 `json:"b"`
	Skip   int64 `json:"s"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Before <= 0 || c.Skip < 0 {
		return cursor{}, fmt.Errorf("invalid cursor %q: pass next_cursor from the previous page unchanged", s)
	}
	return c, nil
}

// listQuery is a parsed listing request.
type listQuery struct {
	stmt   *hql.Select
	limit  int64
	cursor cursor
}

// buildList turns query parameters into an HQL syntax tree. Every value becomes a literal node;
// nothing is pasted into query text.
func buildList(spec listSpec, params url.Values) (*listQuery, error) {
	lq := &listQuery{limit: DefaultListLimit}
	stmt := hql.SelectFrom(spec.table)
	var to int64
	for key, vals := range params {
		if len(vals) == 0 {
			continue
		}
		v := vals[len(vals)-1]
		var cond hql.Expr
		var err error
		switch {
		case key == "from" || key == "to":
			var ns int64
			if ns, err = rest.ParseTime(v); err != nil || ns <= 0 {
				return nil, fmt.Errorf("invalid %s %q: want RFC 3339 or Unix nanoseconds", key, v)
			}
			if key == "from" {
				cond = hql.Ge(hql.Col("timestamp"), timeLit(ns))
			} else {
				to = ns
			}
		case key == "service":
			cond = hql.Eq(hql.Col("service"), hql.Str(v))
		case key == "trace_id":
			id, perr := model.ParseTraceID(v)
			if perr != nil || id.IsZero() {
				return nil, fmt.Errorf("invalid trace_id %q: want 32 hex digits", v)
			}
			cond = hql.Eq(hql.Col("trace_id"), hql.Str(id.String()))
		case key == "limit":
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || n < 1 || n > MaxListLimit {
				return nil, fmt.Errorf("invalid limit %q: want 1..%d", v, MaxListLimit)
			}
			lq.limit = n
		case key == "cursor":
			if lq.cursor, err = decodeCursor(v); err != nil {
				return nil, err
			}
		case strings.HasPrefix(key, "attr.") && len(key) > len("attr."):
			cond = hql.Eq(hql.Attr("attributes", key[len("attr."):]), hql.Str(v))
		case strings.HasPrefix(key, "resource.") && len(key) > len("resource."):
			cond = hql.Eq(hql.Attr("resource", key[len("resource."):]), hql.Str(v))
		default:
			f, ok := spec.filters[key]
			if !ok {
				return nil, fmt.Errorf("unknown parameter %q: %s accepts %s", key, "/api/v1/"+publicName(spec.table), strings.Join(paramNames(spec), ", "))
			}
			if cond, err = f(v); err != nil {
				return nil, err
			}
		}
		stmt.Filter(cond)
	}
	if to > 0 {
		stmt.Filter(hql.Lt(hql.Col("timestamp"), timeLit(to)))
	}
	if lq.cursor.Before > 0 {
		stmt.Filter(hql.Le(hql.Col("timestamp"), timeLit(lq.cursor.Before)))
	}
	stmt.SortBy(hql.Desc(hql.Col("timestamp")))
	for _, c := range spec.tiebreaker {
		stmt.SortBy(hql.Asc(hql.Col(c)))
	}
	// One row more than asked tells whether there is a next page.
	stmt.WithLimit(lq.limit + 1)
	if lq.cursor.Skip > 0 {
		stmt.WithOffset(lq.cursor.Skip)
	}
	lq.stmt = stmt
	return lq, nil
}

func publicName(table string) string {
	if table == "spans" {
		return "traces"
	}
	return table
}

func paramNames(spec listSpec) []string {
	names := append([]string(nil), commonParams...)
	for k := range spec.filters {
		names = append(names, k)
	}
	slices.Sort(names[len(commonParams):])
	return append(names, "attr.<key>", "resource.<key>")
}

// timeLit is a timestamp literal; the planner reads RFC 3339 strings compared with timestamp
// columns as timestamps (and uses them to prune partitions).
func timeLit(ns int64) hql.Expr {
	return hql.Str(time.Unix(0, ns).UTC().Format(time.RFC3339Nano))
}

func (a *API) listLogs(w http.ResponseWriter, r *http.Request)    { a.list(w, r, logsSpec) }
func (a *API) listSpans(w http.ResponseWriter, r *http.Request)   { a.list(w, r, spansSpec) }
func (a *API) listMetrics(w http.ResponseWriter, r *http.Request) { a.list(w, r, metricsSpec) }

func (a *API) list(w http.ResponseWriter, r *http.Request, spec listSpec) {
	if a.opts.Query == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "queries are not available on this server")
		return
	}
	lq, err := buildList(spec, r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	resp, err := a.opts.Query.RunSelect(r.Context(), lq.stmt, hql.Params{MaxLimit: MaxListLimit + 1})
	if err != nil {
		a.writeQueryError(w, r, err)
		return
	}
	defer resp.Release()
	items := rowObjects(resp)
	out := client.ListResponse{Items: items}
	switch {
	case int64(len(items)) > lq.limit:
		out.Items = items[:lq.limit]
		out.NextCursor = nextCursor(out.Items, lq.cursor).encode()
	case (resp.Result.Truncated || (resp.Plan != nil && resp.Plan.LimitCapped)) && len(items) > 0:
		// The server's row limit (HEIMSIGHT_QUERY_MAX_ROWS) cut the page below limit+1 rows:
		// more may follow, so the client gets a cursor rather than a silent end.
		out.NextCursor = nextCursor(out.Items, lq.cursor).encode()
	}
	out.Count = len(out.Items)
	writeJSON(w, http.StatusOK, out)
}

// nextCursor points after the last item of page: its timestamp, and how many items with that
// timestamp the client has now seen.
func nextCursor(page []map[string]any, prev cursor) cursor {
	ts := func(item map[string]any) int64 { v, _ := item["timestamp"].(int64); return v }
	last := ts(page[len(page)-1])
	c := cursor{Before: last}
	for i := len(page) - 1; i >= 0 && ts(page[i]) == last; i-- {
		c.Skip++
	}
	if last == prev.Before {
		c.Skip += prev.Skip
	}
	return c
}

// rowObjects turns a result into one JSON object per row, adding "<column>_rfc3339" beside
// every timestamp column that is set (not 0).
func rowObjects(resp *query.Response) []map[string]any {
	items := make([]map[string]any, 0, resp.Result.Rows)
	for _, rec := range resp.Result.Records {
		n := int(rec.NumRows())
		base := len(items)
		for range n {
			items = append(items, make(map[string]any, len(resp.Columns)+2))
		}
		for c, col := range resp.Columns {
			if c >= int(rec.NumCols()) {
				break
			}
			arr := rec.Column(c)
			for i := range n {
				v := jsonValue(arr, i)
				items[base+i][col.Name] = v
				if ns, ok := v.(int64); ok && ns != 0 && col.Type == hql.TypeTimestamp {
					items[base+i][col.Name+"_rfc3339"] = time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
				}
			}
		}
	}
	return items
}

// getTrace answers GET /api/v1/traces/{trace_id}: every span of the trace, parents before
// children, siblings by start time. Optional from/to narrow the scan.
func (a *API) getTrace(w http.ResponseWriter, r *http.Request) {
	if a.opts.Query == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "queries are not available on this server")
		return
	}
	raw := mux.Vars(r)["trace_id"]
	id, err := model.ParseTraceID(raw)
	if err != nil || id.IsZero() {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("invalid trace id %q: want 32 hex digits", raw))
		return
	}
	stmt := hql.SelectFrom("spans").Filter(hql.Eq(hql.Col("trace_id"), hql.Str(id.String())))
	params := r.URL.Query()
	for key := range params {
		v := params.Get(key)
		switch key {
		case "from", "to":
			ns, perr := rest.ParseTime(v)
			if perr != nil || ns <= 0 {
				writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("invalid %s %q: want RFC 3339 or Unix nanoseconds", key, v))
				return
			}
			if key == "from" {
				stmt.Filter(hql.Ge(hql.Col("timestamp"), timeLit(ns)))
			} else {
				stmt.Filter(hql.Lt(hql.Col("timestamp"), timeLit(ns)))
			}
		default:
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("unknown parameter %q: use from and to", key))
			return
		}
	}
	stmt.SortBy(hql.Asc(hql.Col("timestamp")), hql.Asc(hql.Col("span_id"))).WithLimit(MaxListLimit)
	resp, err := a.opts.Query.RunSelect(r.Context(), stmt, hql.Params{MaxLimit: MaxListLimit})
	if err != nil {
		a.writeQueryError(w, r, err)
		return
	}
	defer resp.Release()
	spans := rowObjects(resp)
	if len(spans) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "no spans for trace "+id.String())
		return
	}
	spans = parentsFirst(spans)
	writeJSON(w, http.StatusOK, client.ListResponse{Items: spans, Count: len(spans)})
}

// parentsFirst orders spans depth-first from the roots (spans without a parent, or whose parent
// is missing), children by start time, so every parent precedes its children. Input is sorted
// by start time.
func parentsFirst(spans []map[string]any) []map[string]any {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	present := make(map[string]bool, len(spans))
	for _, s := range spans {
		present[str(s, "span_id")] = true
	}
	children := make(map[string][]map[string]any, len(spans))
	var roots []map[string]any
	for _, s := range spans {
		p := str(s, "parent_span_id")
		if p == "" || !present[p] || p == str(s, "span_id") {
			roots = append(roots, s)
			continue
		}
		children[p] = append(children[p], s)
	}
	out := make([]map[string]any, 0, len(spans))
	seen := make(map[string]bool, len(spans))
	var visit func(s map[string]any)
	visit = func(s map[string]any) {
		id := str(s, "span_id")
		if seen[id] {
			return
		}
		seen[id] = true
		out = append(out, s)
		for _, c := range children[id] {
			visit(c)
		}
	}
	for _, s := range roots {
		visit(s)
	}
	// Spans in a parent cycle, or duplicates of a span id, are appended in start order.
	for _, s := range spans {
		if !seen[str(s, "span_id")] {
			seen[str(s, "span_id")] = true
			out = append(out, s)
		}
	}
	return out
}
