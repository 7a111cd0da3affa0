package datasource

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cespare/xxhash/v2"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// frameLinks carries what data links need to point back at this datasource.
type frameLinks struct {
	UID, Name string
}

// traceLink opens the trace of a log line (or of a search result) in the trace view.
func (l frameLinks) traceLink() data.DataLink {
	return data.DataLink{
		Title: "View trace",
		Internal: &data.InternalDataLink{
			DatasourceUID:  l.UID,
			DatasourceName: l.Name,
			Query: map[string]any{
				"queryType": QueryTypeTraceID,
				"format":    FormatTrace,
				"traceId":   "${__value.raw}",
			},
		},
	}
}

// logsLink opens the logs of a span's trace; the trace view offers it on every span.
func (l frameLinks) logsLink() data.DataLink {
	return data.DataLink{
		Title: "Logs for this trace",
		Internal: &data.InternalDataLink{
			DatasourceUID:  l.UID,
			DatasourceName: l.Name,
			Query: map[string]any{
				"queryType": QueryTypeLogs,
				"format":    FormatLogs,
				"filters":   []Filter{{Key: "trace_id", Operator: "=", Value: "${__data.fields.traceID}"}},
			},
		},
	}
}

// --- strings and maps by row -------------------------------------------------------------

// strCol reads a string column by row ("" for null or a missing column).
type strCol struct{ cu cursor }

func newStrCol(t *table, names ...string) *strCol {
	i := t.firstOf(names...)
	if i < 0 {
		return nil
	}
	return &strCol{cursor{chunks: t.cols[i]}}
}

func (c *strCol) at(r int) string {
	if c == nil {
		return ""
	}
	a, i := c.cu.at(r)
	if a == nil || a.IsNull(i) {
		return ""
	}
	if s, ok := a.(*array.String); ok {
		return s.Value(i)
	}
	return a.ValueStr(i)
}

// intCol reads an integer column by row (0 for null or missing).
type intCol struct{ cu cursor }

func newIntCol(t *table, names ...string) *intCol {
	i := t.firstOf(names...)
	if i < 0 {
		return nil
	}
	return &intCol{cursor{chunks: t.cols[i]}}
}

func (c *intCol) at(r int) int64 {
	if c == nil {
		return 0
	}
	a, i := c.cu.at(r)
	if a == nil || a.IsNull(i) {
		return 0
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Uint64:
		return int64(a.Value(i))
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Float64:
		return int64(a.Value(i))
	case *array.Timestamp:
		return timestampNanos(a, i)
	}
	n, _ := strconv.ParseInt(a.ValueStr(i), 10, 64)
	return n
}

func timestampNanos(a *array.Timestamp, i int) int64 {
	v := int64(a.Value(i))
	switch a.DataType().(*arrow.TimestampType).Unit {
	case arrow.Second:
		return v * 1e9
	case arrow.Millisecond:
		return v * 1e6
	case arrow.Microsecond:
		return v * 1e3
	}
	return v
}

// mapCol reads a map<string,string> column by row.
type mapCol struct{ cu cursor }

func newMapCol(t *table, name string) *mapCol {
	i := t.index(name)
	if i < 0 || len(t.cols[i]) == 0 || t.cols[i][0].DataType().ID() != arrow.MAP {
		return nil
	}
	return &mapCol{cursor{chunks: t.cols[i]}}
}

func (c *mapCol) each(r int, fn func(k, v string)) {
	if c == nil {
		return
	}
	a, i := c.cu.at(r)
	if a == nil || a.IsNull(i) {
		return
	}
	m := a.(*array.Map)
	start, end := m.ValueOffsets(i)
	keys, items := m.Keys(), m.Items()
	ks, _ := keys.(*array.String)
	vs, _ := items.(*array.String)
	for j := int(start); j < int(end); j++ {
		if items.IsNull(j) {
			continue
		}
		var k, v string
		if ks != nil {
			k = ks.Value(j)
		} else {
			k = keys.ValueStr(j)
		}
		if vs != nil {
			v = vs.Value(j)
		} else {
			v = items.ValueStr(j)
		}
		fn(k, v)
	}
}

type kv struct{ k, v string }

// appendKVObjectUnsorted appends kvs as a JSON object in their order.
func appendKVObjectUnsorted(b []byte, kvs []kv) []byte {
	b = append(b, '{')
	for i, e := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, e.k)
		b = append(b, ':')
		b = appendJSONString(b, e.v)
	}
	return append(b, '}')
}

// appendKVArray appends kvs as the trace view's [{"key":..,"value":..}] list.
func appendKVArray(b []byte, kvs []kv) []byte {
	slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	b = append(b, '[')
	for i, e := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendJSONString(b, e.k)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, e.v)
		b = append(b, '}')
	}
	return append(b, ']')
}

func setKV(kvs []kv, k, v string) []kv {
	for i := range kvs {
		if kvs[i].k == k {
			kvs[i].v = v
			return kvs
		}
	}
	return append(kvs, kv{k, v})
}

// --- frames per format -----------------------------------------------------------------------

// logsFrame builds Grafana's log-lines frame: timestamp, body, severity, id, labels (resource,
// scope and record attributes merged, the record's winning), and traceID/spanID.
func logsFrame(name string, t *table, links frameLinks) (*data.Frame, error) {
	ti := t.firstOf("timestamp", "time")
	if ti < 0 || t.cols[ti] == nil || (len(t.cols[ti]) > 0 && t.cols[ti][0].DataType().ID() != arrow.TIMESTAMP) {
		return nil, userErrorf("a logs result needs a timestamp column of type timestamp")
	}
	bodyCol := newStrCol(t, "body", "message", "msg")
	if bodyCol == nil {
		return nil, userErrorf("a logs result needs a body column")
	}
	n := t.rows
	tsCur := &cursor{chunks: t.cols[ti]}
	sevText := newStrCol(t, "level", "severity_text", "severity")
	sevNum := newIntCol(t, "severity_number")
	traceCol := newStrCol(t, "trace_id")
	spanCol := newStrCol(t, "span_id")
	svcCol := newStrCol(t, "service")
	res, scope, attrs := newMapCol(t, "resource"), newMapCol(t, "scope_attributes"), newMapCol(t, "attributes")
	scopeName := newStrCol(t, "scope_name")

	times := make([]time.Time, n)
	bodies := make([]string, n)
	sev := make([]string, n)
	ids := make([]string, n)
	labels := make([]json.RawMessage, n)
	traceIDs := make([]string, n)
	spanIDs := make([]string, n)

	// Labels objects are appended to large chunks instead of one allocation per row; a full
	// chunk is left as is (earlier rows point into it) and a new one started, so nothing is
	// copied as the result grows.
	const chunkSize = 1 << 20
	buf := make([]byte, 0, chunkSize)
	kvs := make([]kv, 0, 16)
	set := func(k, v string) { kvs = setKV(kvs, k, v) }
	var h xxhash.Digest
	var nb [8]byte
	// Ids are written into one buffer and sliced out of one string: one allocation, not n.
	idBuf := make([]byte, 0, n*36)
	idEnds := make([]int, n)
	for r := 0; r < n; r++ {
		a, i := tsCur.at(r)
		ns := timestampNanos(a.(*array.Timestamp), i)
		times[r] = time.Unix(0, ns).UTC()
		bodies[r] = bodyCol.at(r)
		s := sevText.at(r)
		if s == "" {
			s = levelOf(sevNum.at(r))
		}
		sev[r] = s
		traceIDs[r] = traceCol.at(r)
		spanIDs[r] = spanCol.at(r)

		kvs = kvs[:0]
		if svc := svcCol.at(r); svc != "" {
			kvs = append(kvs, kv{"service.name", svc})
		}
		res.each(r, set)
		if sn := scopeName.at(r); sn != "" {
			kvs = setKV(kvs, "otel.scope.name", sn)
		}
		scope.each(r, set)
		attrs.each(r, set)
		if len(buf) > chunkSize-4096 {
			buf = make([]byte, 0, chunkSize)
		}
		start := len(buf)
		// Keys stay in merge order (resource, scope, record): sorting them per row costs more
		// than the rest of the labels work, and Grafana's log details sort them for display.
		buf = appendKVObjectUnsorted(buf, kvs)
		labels[r] = json.RawMessage(buf[start:len(buf):len(buf)])

		// A stable id (time, body, span, labels) lets Grafana de-duplicate rows across refreshes.
		h.Reset()
		binary.LittleEndian.PutUint64(nb[:], uint64(ns))
		h.Write(nb[:])
		h.WriteString(bodies[r])
		h.WriteString(spanIDs[r])
		h.Write(labels[r])
		idBuf = strconv.AppendInt(idBuf, ns, 10)
		idBuf = append(idBuf, '_')
		idBuf = strconv.AppendUint(idBuf, h.Sum64(), 16)
		idEnds[r] = len(idBuf)
	}
	allIDs := string(idBuf)
	for r, start := 0, 0; r < n; r++ {
		ids[r] = allIDs[start:idEnds[r]]
		start = idEnds[r]
	}
	traceField := data.NewField("traceID", nil, traceIDs)
	traceField.Config = &data.FieldConfig{Links: []data.DataLink{links.traceLink()}}
	f := data.NewFrame(name,
		data.NewField("timestamp", nil, times),
		data.NewField("body", nil, bodies),
		data.NewField("severity", nil, sev),
		data.NewField("id", nil, ids),
		data.NewField("labels", nil, labels),
		traceField,
		data.NewField("spanID", nil, spanIDs),
	)
	f.Meta = &data.FrameMeta{
		Type:                   data.FrameTypeLogLines,
		TypeVersion:            data.FrameTypeVersion{0, 0},
		PreferredVisualization: data.VisTypeLogs,
	}
	return f, nil
}

// statusCodeNumber maps the status_code column to the numbers the trace view expects.
func statusCodeNumber(s string) int64 {
	switch strings.ToLower(s) {
	case "ok":
		return 1
	case "error":
		return 2
	}
	return 0
}

// traceFrame builds the frame Grafana's trace view reads: one row per span, times in
// milliseconds, attributes as [{key, value}] lists.
func traceFrame(name string, t *table, links frameLinks) (*data.Frame, error) {
	for _, c := range []string{"trace_id", "span_id", "timestamp"} {
		if t.index(c) < 0 {
			return nil, userErrorf("a trace result needs the columns trace_id, span_id and timestamp (missing %s)", c)
		}
	}
	n := t.rows
	traceCol, spanCol, parentCol := newStrCol(t, "trace_id"), newStrCol(t, "span_id"), newStrCol(t, "parent_span_id")
	svcCol, nameCol, kindCol := newStrCol(t, "service"), newStrCol(t, "name"), newStrCol(t, "kind")
	statusCol, statusMsgCol := newStrCol(t, "status_code"), newStrCol(t, "status_message")
	scopeName, scopeVersion, stateCol := newStrCol(t, "scope_name"), newStrCol(t, "scope_version"), newStrCol(t, "trace_state")
	startCol, durCol, endCol := newIntCol(t, "timestamp"), newIntCol(t, "duration_ns"), newIntCol(t, "end_timestamp")
	attrs, res := newMapCol(t, "attributes"), newMapCol(t, "resource")
	eventsIdx, linksIdx := t.index("events"), t.index("links")
	var eventsCur, linksCur *cursor
	if eventsIdx >= 0 {
		eventsCur = &cursor{chunks: t.cols[eventsIdx]}
	}
	if linksIdx >= 0 {
		linksCur = &cursor{chunks: t.cols[linksIdx]}
	}

	traceIDs, spanIDs, parents := make([]string, n), make([]string, n), make([]string, n)
	services, ops, kinds := make([]string, n), make([]string, n), make([]string, n)
	starts, durs := make([]float64, n), make([]float64, n)
	tags, svcTags, logs, refs := make([]json.RawMessage, n), make([]json.RawMessage, n), make([]json.RawMessage, n), make([]json.RawMessage, n)
	codes := make([]int64, n)
	msgs, libNames, libVersions, states := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	kvs := make([]kv, 0, 16)
	set := func(k, v string) { kvs = setKV(kvs, k, v) }
	for r := 0; r < n; r++ {
		traceIDs[r], spanIDs[r], parents[r] = traceCol.at(r), spanCol.at(r), parentCol.at(r)
		services[r], ops[r], kinds[r] = svcCol.at(r), nameCol.at(r), strings.ToLower(kindCol.at(r))
		if kinds[r] == "unspecified" {
			kinds[r] = ""
		}
		start := startCol.at(r)
		dur := durCol.at(r)
		if durCol == nil && endCol != nil {
			dur = endCol.at(r) - start
		}
		starts[r] = float64(start) / 1e6
		durs[r] = float64(dur) / 1e6
		codes[r] = statusCodeNumber(statusCol.at(r))
		msgs[r], libNames[r], libVersions[r], states[r] = statusMsgCol.at(r), scopeName.at(r), scopeVersion.at(r), stateCol.at(r)

		kvs = kvs[:0]
		attrs.each(r, set)
		tags[r] = appendKVArray(nil, kvs)
		kvs = kvs[:0]
		if services[r] != "" {
			kvs = append(kvs, kv{"service.name", services[r]})
		}
		res.each(r, set)
		svcTags[r] = appendKVArray(nil, kvs)
		logs[r] = spanEventsJSON(eventsCur, r)
		refs[r] = spanLinksJSON(linksCur, r)
	}
	spanField := data.NewField("spanID", nil, spanIDs)
	spanField.Config = &data.FieldConfig{Links: []data.DataLink{links.logsLink()}}
	f := data.NewFrame(name,
		data.NewField("traceID", nil, traceIDs),
		spanField,
		data.NewField("parentSpanID", nil, parents),
		data.NewField("serviceName", nil, services),
		data.NewField("operationName", nil, ops),
		data.NewField("startTime", nil, starts),
		data.NewField("duration", nil, durs),
		data.NewField("tags", nil, tags),
		data.NewField("serviceTags", nil, svcTags),
		data.NewField("logs", nil, logs),
		data.NewField("references", nil, refs),
		data.NewField("kind", nil, kinds),
		data.NewField("statusCode", nil, codes),
		data.NewField("statusMessage", nil, msgs),
		data.NewField("instrumentationLibraryName", nil, libNames),
		data.NewField("instrumentationLibraryVersion", nil, libVersions),
		data.NewField("traceState", nil, states),
	)
	f.Meta = &data.FrameMeta{PreferredVisualization: data.VisTypeTrace}
	return f, nil
}

// structFields returns the named children of a struct array.
func structFields(s *array.Struct) map[string]arrow.Array {
	st := s.DataType().(*arrow.StructType)
	out := make(map[string]arrow.Array, s.NumField())
	for i := 0; i < s.NumField(); i++ {
		out[st.Field(i).Name] = s.Field(i)
	}
	return out
}

// listAt returns the struct values and [start, end) of row r of a list<struct> column.
func listAt(cu *cursor, r int) (*array.Struct, int, int) {
	if cu == nil {
		return nil, 0, 0
	}
	a, i := cu.at(r)
	if a == nil || a.IsNull(i) {
		return nil, 0, 0
	}
	l, ok := a.(array.ListLike)
	if !ok {
		return nil, 0, 0
	}
	st, ok := l.ListValues().(*array.Struct)
	if !ok {
		return nil, 0, 0
	}
	s, e := l.ValueOffsets(i)
	return st, int(s), int(e)
}

func mapEntries(a arrow.Array, j int) []kv {
	m, ok := a.(*array.Map)
	if !ok || m.IsNull(j) {
		return nil
	}
	start, end := m.ValueOffsets(j)
	var out []kv
	for k := int(start); k < int(end); k++ {
		if m.Items().IsNull(k) {
			continue
		}
		out = append(out, kv{m.Keys().ValueStr(k), m.Items().ValueStr(k)})
	}
	return out
}

// spanEventsJSON renders span events as the trace view's logs: [{timestamp (ms), name, fields}].
func spanEventsJSON(cu *cursor, r int) json.RawMessage {
	if rows, ok := jsonTextRows(cu, r); ok {
		return eventsFromJSON(rows)
	}
	st, start, end := listAt(cu, r)
	if st == nil || start == end {
		return json.RawMessage("[]")
	}
	f := structFields(st)
	b := []byte{'['}
	for j := start; j < end; j++ {
		if j > start {
			b = append(b, ',')
		}
		var ms float64
		if ts, ok := f["timestamp"].(*array.Timestamp); ok && !ts.IsNull(j) {
			ms = float64(timestampNanos(ts, j)) / 1e6
		}
		name := ""
		if nm, ok := f["name"]; ok && !nm.IsNull(j) {
			name = nm.ValueStr(j)
		}
		b = appendEvent(b, ms, name, mapEntries(f["attributes"], j))
	}
	return append(b, ']')
}

func appendEvent(b []byte, ms float64, name string, fields []kv) []byte {
	b = append(b, `{"timestamp":`...)
	b = appendJSONFloat(b, ms)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"fields":`...)
	b = appendKVArray(b, fields)
	return append(b, '}')
}

func appendLink(b []byte, traceID, spanID string, tags []kv) []byte {
	b = append(b, `{"traceID":`...)
	b = appendJSONString(b, traceID)
	b = append(b, `,"spanID":`...)
	b = appendJSONString(b, spanID)
	b = append(b, `,"tags":`...)
	b = appendKVArray(b, tags)
	return append(b, '}')
}

// jsonTextRows reads row r of a column that holds JSON text (lists of structs in the ingestor's
// JSON answer) as a list of objects.
func jsonTextRows(cu *cursor, r int) ([]map[string]json.RawMessage, bool) {
	if cu == nil {
		return nil, false
	}
	a, i := cu.at(r)
	s, ok := a.(*array.String)
	if !ok {
		return nil, false
	}
	var rows []map[string]json.RawMessage
	if s.IsNull(i) {
		return rows, true
	}
	_ = json.Unmarshal([]byte(s.Value(i)), &rows)
	return rows, true
}

func rawString(m map[string]json.RawMessage, k string) string {
	var s string
	_ = json.Unmarshal(m[k], &s)
	return s
}

func rawKVs(m map[string]json.RawMessage, k string) []kv {
	var obj map[string]*string
	_ = json.Unmarshal(m[k], &obj)
	out := make([]kv, 0, len(obj))
	for k, v := range obj {
		if v != nil {
			out = append(out, kv{k, *v})
		}
	}
	return out
}

func eventsFromJSON(rows []map[string]json.RawMessage) json.RawMessage {
	b := []byte{'['}
	for i, e := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		ns, _ := strconv.ParseInt(string(e["timestamp"]), 10, 64)
		b = appendEvent(b, float64(ns)/1e6, rawString(e, "name"), rawKVs(e, "attributes"))
	}
	return append(b, ']')
}

func linksFromJSON(rows []map[string]json.RawMessage) json.RawMessage {
	b := []byte{'['}
	for i, l := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLink(b, rawString(l, "trace_id"), rawString(l, "span_id"), rawKVs(l, "attributes"))
	}
	return append(b, ']')
}

// spanLinksJSON renders span links as the trace view's references: [{traceID, spanID, tags}].
func spanLinksJSON(cu *cursor, r int) json.RawMessage {
	if rows, ok := jsonTextRows(cu, r); ok {
		return linksFromJSON(rows)
	}
	st, start, end := listAt(cu, r)
	if st == nil || start == end {
		return json.RawMessage("[]")
	}
	f := structFields(st)
	b := []byte{'['}
	for j := start; j < end; j++ {
		if j > start {
			b = append(b, ',')
		}
		get := func(name string) string {
			if a, ok := f[name]; ok && !a.IsNull(j) {
				return a.ValueStr(j)
			}
			return ""
		}
		b = appendLink(b, get("trace_id"), get("span_id"), mapEntries(f["attributes"], j))
	}
	return append(b, ']')
}

// traceSearchFrame shapes a span search as a table whose trace ids open the trace view.
func traceSearchFrame(name string, t *table, links frameLinks) (*data.Frame, error) {
	f, err := tableFrame(name, t)
	if err != nil {
		return nil, err
	}
	rename := map[string]string{"trace_id": "traceID", "span_id": "spanID", "parent_span_id": "parentSpanID",
		"timestamp": "startTime", "service": "serviceName", "name": "operationName", "status_code": "status"}
	for _, fld := range f.Fields {
		if nn, ok := rename[fld.Name]; ok {
			fld.Name = nn
		}
		switch fld.Name {
		case "traceID":
			fld.Config = &data.FieldConfig{Links: []data.DataLink{links.traceLink()}}
		case "duration_ns":
			// Show durations in milliseconds, as the trace view does.
			ms := make([]float64, fld.Len())
			for i := range ms {
				if v, ok := fld.ConcreteAt(i); ok {
					switch x := v.(type) {
					case int64:
						ms[i] = float64(x) / 1e6
					case float64:
						ms[i] = x / 1e6
					}
				}
			}
			*fld = *data.NewField("duration", nil, ms)
			fld.Config = &data.FieldConfig{Unit: "ms"}
		}
	}
	f.Meta = &data.FrameMeta{PreferredVisualization: data.VisTypeTable}
	return f, nil
}

// timeSeriesFrames shapes a result as time series. A long result (time, label columns, values)
// becomes one wide frame with the labels on its value fields, the form alerting evaluates per
// series; a result that is already wide is passed on as is.
func timeSeriesFrames(name string, t *table) (data.Frames, error) {
	f, err := tableFrame(name, t)
	if err != nil {
		return nil, err
	}
	// A time column with nulls cannot index a series.
	for i, fld := range f.Fields {
		if fld.Type() == data.FieldTypeNullableTime {
			nt := make([]time.Time, 0, fld.Len())
			for j := 0; j < fld.Len(); j++ {
				if v, ok := fld.ConcreteAt(j); ok {
					nt = append(nt, v.(time.Time))
				} else {
					return nil, userErrorf("column %q has empty times; filter them out to draw a time series", fld.Name)
				}
			}
			f.Fields[i] = data.NewField(fld.Name, nil, nt)
		}
	}
	switch f.TimeSeriesSchema().Type {
	case data.TimeSeriesTypeLong:
		sortByTime(f)
		w, err := data.LongToWide(f, nil)
		if err != nil {
			return nil, fmt.Errorf("cannot convert the result to a time series: %w", err)
		}
		w.Name = name
		w.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: data.FrameTypeVersion{0, 1}}
		return data.Frames{w}, nil
	case data.TimeSeriesTypeWide:
		sortByTime(f)
		f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: data.FrameTypeVersion{0, 1}}
		return data.Frames{f}, nil
	}
	return nil, userErrorf("a time series needs a time column and at least one numeric column (columns: %s)", fieldNames(f))
}

func fieldNames(f *data.Frame) string {
	names := make([]string, len(f.Fields))
	for i, fld := range f.Fields {
		names[i] = fmt.Sprintf("%s %s", fld.Name, fld.Type().ItemTypeString())
	}
	return strings.Join(names, ", ")
}

// sortByTime orders rows by the first time field (LongToWide requires ascending time).
func sortByTime(f *data.Frame) {
	idx := -1
	for i, fld := range f.Fields {
		if fld.Type() == data.FieldTypeTime {
			idx = i
			break
		}
	}
	if idx < 0 {
		return
	}
	tf := f.Fields[idx]
	n := tf.Len()
	sorted := true
	for i := 1; i < n; i++ {
		if tf.At(i).(time.Time).Before(tf.At(i - 1).(time.Time)) {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(a, b int) bool { return tf.At(perm[a]).(time.Time).Before(tf.At(perm[b]).(time.Time)) })
	for i, fld := range f.Fields {
		nf := data.NewFieldFromFieldType(fld.Type(), n)
		nf.Name, nf.Labels, nf.Config = fld.Name, fld.Labels, fld.Config
		for j, p := range perm {
			nf.Set(j, fld.At(p))
		}
		f.Fields[i] = nf
	}
}

// logsVolumeFrames turns (time, level, count) rows into one series per level, the shape
// Explore's logs volume histogram colours by its level label.
func logsVolumeFrames(name string, t *table) (data.Frames, error) {
	if t.index("time") < 0 || t.index("count") < 0 {
		return nil, fmt.Errorf("cannot build logs volume: the result needs time and count columns")
	}
	timeCol, levelCol, countCol := newIntCol(t, "time"), newStrCol(t, "level"), newIntCol(t, "count")
	type key struct {
		level string
		ns    int64
	}
	counts := map[key]int64{}
	levels := map[string]bool{}
	var times []int64
	seen := map[int64]bool{}
	for r := 0; r < t.rows; r++ {
		ns := timeCol.at(r)
		lvl := levelCol.at(r)
		if lvl == "" {
			lvl = "unknown"
		}
		counts[key{lvl, ns}] += countCol.at(r)
		levels[lvl] = true
		if !seen[ns] {
			seen[ns] = true
			times = append(times, ns)
		}
	}
	slices.Sort(times)
	names := make([]string, 0, len(levels))
	for l := range levels {
		names = append(names, l)
	}
	slices.Sort(names)
	frames := make(data.Frames, 0, len(names))
	for _, lvl := range names {
		ts := make([]time.Time, len(times))
		vals := make([]float64, len(times))
		for i, ns := range times {
			ts[i] = time.Unix(0, ns).UTC()
			vals[i] = float64(counts[key{lvl, ns}])
		}
		v := data.NewField("count", data.Labels{"level": lvl}, vals)
		v.Config = &data.FieldConfig{DisplayNameFromDS: lvl}
		f := data.NewFrame(name, data.NewField("time", nil, ts), v)
		f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}, PreferredVisualization: data.VisTypeGraph}
		frames = append(frames, f)
	}
	return frames, nil
}
