package datasource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Datasource is one configured Heimsight datasource. Safe for concurrent use.
type Datasource struct {
	settings  Settings
	client    *client
	resources backend.CallResourceHandler
}

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// settingsError keeps a bad configuration from failing instance creation: Grafana would then
// show a generic "plugin unavailable"; instead every call answers with the settings message.
type settingsError struct{ err error }

// NewInstance creates a datasource from Grafana's instance settings.
func NewInstance(_ context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	st, err := LoadSettings(s)
	if err != nil {
		return &settingsError{err: err}, nil
	}
	return New(st), nil
}

// New creates a datasource from validated settings.
func New(s Settings) *Datasource {
	d := &Datasource{settings: s, client: newClient(s)}
	d.resources = httpadapter.New(d.resourceMux())
	return d
}

// Dispose is called when Grafana replaces the instance (settings changed).
func (d *Datasource) Dispose() { d.client.http.CloseIdleConnections() }

// QueryData runs every query of the request; one failing query does not fail the others.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	var mu sync.Mutex
	var wg sync.WaitGroup
	// A dashboard sends a handful of queries; a small bound keeps one dashboard from flooding
	// the ingestor.
	sem := make(chan struct{}, 4)
	for _, q := range req.Queries {
		wg.Add(1)
		sem <- struct{}{}
		go func(q backend.DataQuery) {
			defer func() { <-sem; wg.Done() }()
			r := d.query(ctx, q)
			mu.Lock()
			resp.Responses[q.RefID] = r
			mu.Unlock()
		}(q)
	}
	wg.Wait()
	return resp, nil
}

// query runs one query and shapes its frames.
func (d *Datasource) query(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	var m QueryModel
	if err := json.Unmarshal(q.JSON, &m); err != nil {
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream,
			fmt.Sprintf("cannot read query %s: %v", q.RefID, err))
	}
	if q.QueryType != "" {
		m.QueryType = q.QueryType
	}
	b, err := m.build()
	if err != nil {
		return errorResponse(err)
	}
	frames, err := d.run(ctx, q, &m, b)
	if err != nil {
		return errorResponse(err)
	}
	for _, f := range frames {
		if f.Meta == nil {
			f.Meta = &data.FrameMeta{}
		}
		f.Meta.ExecutedQueryString = b.Text
		if f.Name == "" {
			f.Name = q.RefID
		}
	}
	return backend.DataResponse{Frames: frames}
}

// run sends the built query and shapes the result.
func (d *Datasource) run(ctx context.Context, q backend.DataQuery, m *QueryModel, b *builtQuery) (data.Frames, error) {
	req := queryRequest{Query: b.Text, MaxRows: b.MaxRows, Raw: b.Raw}
	var from, to time.Time // the range sent, zero when none
	if !b.NoTimeRange {
		from, to = q.TimeRange.From, q.TimeRange.To
		if !b.From.IsZero() {
			from, to = b.From, b.To
		}
		req.From, req.To = timeArg(from), timeArg(to)
	}
	req.Interval = queryInterval(q).String()
	res, err := d.client.Query(ctx, req)
	if err != nil {
		return nil, err
	}
	defer releaseResult(res)
	t := newTable(res)
	links := frameLinks{UID: d.settings.UID, Name: d.settings.Name}
	var frames data.Frames
	switch {
	case m.QueryType == QueryTypeLogsVolume:
		frames, err = logsVolumeFrames(q.RefID, t)
	case b.Format == FormatLogs:
		var f *data.Frame
		f, err = logsFrame(q.RefID, t, links)
		frames = data.Frames{f}
	case b.Format == FormatTrace:
		var f *data.Frame
		f, err = traceFrame(q.RefID, t, links)
		frames = data.Frames{f}
	case b.Format == FormatTimeSeries:
		frames, err = timeSeriesFrames(q.RefID, t)
	case m.QueryType == QueryTypeTraces:
		var f *data.Frame
		f, err = traceSearchFrame(q.RefID, t, links)
		frames = data.Frames{f}
	default:
		var f *data.Frame
		f, err = tableFrame(q.RefID, t)
		if f != nil {
			f.Meta = &data.FrameMeta{PreferredVisualization: data.VisTypeTable}
		}
		frames = data.Frames{f}
	}
	if err != nil {
		return nil, err
	}
	if res.Truncated && len(frames) > 0 {
		frames[0].AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning,
			Text: fmt.Sprintf("the result was cut at %d rows; narrow the query or raise its limit", res.Rows)})
	}
	if n, ok := tierNotice(b, res, from, to); ok {
		for _, f := range frames {
			f.AppendNotices(n)
		}
	}
	return frames, nil
}

// tierNotice says which aggregation tier answered the query, when the ingestor read one in
// place of the raw table the query names: the numbers are the same, but a user reading the
// query text would otherwise not know where they came from. When the tier answered only part
// of the range sent (from, to), its whole buckets, with raw rows for a ragged start and for the
// newest buckets not rolled up yet, the notice gives that part.
func tierNotice(b *builtQuery, res *result, from, to time.Time) (data.Notice, bool) {
	table := ""
	if b.Sel != nil && b.Sel.From != nil {
		table = b.Sel.From.Name
	}
	tier := res.Tier
	if tier == "" || strings.EqualFold(tier, table) {
		return data.Notice{}, false
	}
	var text string
	if tierPartial(res, from, to) {
		rows := "raw rows"
		if table != "" {
			rows = fmt.Sprintf("raw %s rows", table)
		}
		const layout = "2006-01-02 15:04:05"
		text = fmt.Sprintf("%s aggregation tier answered %s to %s UTC; %s the rest of the range", tier,
			time.Unix(0, res.TierFrom).UTC().Format(layout), time.Unix(0, res.TierTo).UTC().Format(layout), rows)
	} else {
		text = fmt.Sprintf("Answered from the %s aggregation tier", tier)
		if table != "" {
			text += fmt.Sprintf(" instead of the raw %s table", table)
		}
	}
	return data.Notice{Severity: data.NoticeSeverityInfo, Text: text}, true
}

// tierPartial reports whether the tier answered less than the range sent: the ingestor gave
// the tier's part, and it starts after from or ends before to.
func tierPartial(res *result, from, to time.Time) bool {
	if res.TierFrom == 0 && res.TierTo == 0 {
		return false // an ingestor that does not report the part answered the whole range
	}
	return !from.IsZero() && res.TierFrom > from.UnixNano() || !to.IsZero() && res.TierTo < to.UnixNano()
}

// niceIntervals are the bucket widths an interval is rounded up to.
var niceIntervals = []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
	30 * time.Second, time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// queryInterval is Grafana's interval for the query, or, when Grafana sends none (some alert
// rules and API callers), the time range split into MaxDataPoints (default 1000) buckets rounded
// up to a round width: HQL's $__interval must have a value.
func queryInterval(q backend.DataQuery) time.Duration {
	if q.Interval > 0 {
		return q.Interval
	}
	points := q.MaxDataPoints
	if points <= 0 {
		points = 1000
	}
	raw := q.TimeRange.To.Sub(q.TimeRange.From) / time.Duration(points)
	for _, d := range niceIntervals {
		if raw <= d {
			return d
		}
	}
	return raw.Round(time.Hour)
}

func releaseResult(r *result) {
	for _, rec := range r.Records {
		rec.Release()
	}
}

// errorResponse classifies err: user mistakes, ingestor answers and unreachable ingestors are
// downstream errors (not the plugin's fault); anything else is a plugin error.
func errorResponse(err error) backend.DataResponse {
	var ue *UserError
	var ae *APIError
	var ne *UnreachableError
	switch {
	case errors.As(err, &ue):
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, ue.Msg)
	case errors.As(err, &ae):
		return backend.ErrDataResponseWithSource(httpStatus(ae.Status), backend.ErrorSourceDownstream, ae.Error())
	case errors.As(err, &ne):
		st := backend.StatusBadGateway
		if errors.Is(err, context.DeadlineExceeded) {
			st = backend.StatusTimeout
		}
		return backend.ErrDataResponseWithSource(st, backend.ErrorSourceDownstream, ne.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return backend.ErrDataResponseWithSource(backend.StatusTimeout, backend.ErrorSourceDownstream, err.Error())
	}
	return backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin, err.Error())
}

func httpStatus(code int) backend.Status {
	switch code {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return backend.StatusBadRequest
	case http.StatusUnauthorized:
		return backend.StatusUnauthorized
	case http.StatusForbidden:
		return backend.StatusForbidden
	case http.StatusNotFound:
		return backend.StatusNotFound
	case http.StatusTooManyRequests:
		return backend.StatusTooManyRequests
	case http.StatusGatewayTimeout, http.StatusRequestTimeout:
		return backend.StatusTimeout
	}
	if code >= 500 {
		return backend.StatusBadGateway
	}
	return backend.Status(code)
}

// CallResource serves the editor's resources (see resources.go).
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return d.resources.CallResource(ctx, req, sender)
}

// --- a datasource whose settings are invalid ---------------------------------------------------

func (s *settingsError) QueryData(_ context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		resp.Responses[q.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream,
			"the datasource is misconfigured: "+s.err.Error())
	}
	return resp, nil
}

func (s *settingsError) CheckHealth(context.Context, *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: s.err.Error()}, nil
}

func (s *settingsError) CallResource(_ context.Context, _ *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "misconfigured", "message": s.err.Error()}})
	return sender.Send(&backend.CallResourceResponse{Status: http.StatusBadRequest, Body: body,
		Headers: map[string][]string{"Content-Type": {"application/json"}}})
}
