package datasource

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

var (
	tsType  = &arrow.TimestampType{Unit: arrow.Nanosecond}
	strMap  = arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)
	str     = arrow.BinaryTypes.String
	i64     = arrow.PrimitiveTypes.Int64
	i32     = arrow.PrimitiveTypes.Int32
	f64     = arrow.PrimitiveTypes.Float64
	t0      = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	t0ns    = t0.UnixNano()
	links   = frameLinks{UID: "hs-uid", Name: "Heimsight"}
	eventTy = arrow.StructOf(arrow.Field{Name: "timestamp", Type: tsType, Nullable: true}, arrow.Field{Name: "name", Type: str, Nullable: true},
		arrow.Field{Name: "attributes", Type: strMap, Nullable: true})
	linkTy = arrow.StructOf(arrow.Field{Name: "trace_id", Type: str, Nullable: true}, arrow.Field{Name: "span_id", Type: str, Nullable: true},
		arrow.Field{Name: "trace_state", Type: str, Nullable: true}, arrow.Field{Name: "attributes", Type: strMap, Nullable: true})
)

// recordTable builds a table from JSON rows (maps as [{"key","value"}] lists, timestamps as ns).
func recordTable(t *testing.T, fields []arrow.Field, rows string) *table {
	t.Helper()
	for i := range fields {
		fields[i].Nullable = true
	}
	sc := arrow.NewSchema(fields, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, sc, strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	return newTable(&result{Schema: sc, Records: []arrow.RecordBatch{rec}, Rows: rec.NumRows()})
}

func fieldByName(t *testing.T, f *data.Frame, name string) *data.Field {
	t.Helper()
	fld, i := f.FieldByName(name)
	if i < 0 {
		t.Fatalf("frame has no field %q (fields: %s)", name, fieldNames(f))
	}
	return fld
}

func TestTableFrameTypes(t *testing.T) {
	tb := recordTable(t, []arrow.Field{{Name: "timestamp", Type: tsType}, {Name: "service", Type: str}, {Name: "n", Type: i64},
		{Name: "v", Type: f64}, {Name: "attributes", Type: strMap}, {Name: "ts2", Type: tsType}},
		`[{"timestamp": 1767322800000000001, "service": "a", "n": 1, "v": 0.5, "attributes": [{"key":"k","value":"v\"q"}], "ts2": null},
		  {"timestamp": 1767322800000000002, "service": null, "n": 2, "v": 1.5, "attributes": null, "ts2": 5}]`)
	f, err := tableFrame("A", tb)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]data.FieldType{"timestamp": data.FieldTypeTime, "service": data.FieldTypeNullableString,
		"n": data.FieldTypeInt64, "v": data.FieldTypeFloat64, "attributes": data.FieldTypeNullableJSON, "ts2": data.FieldTypeNullableTime}
	for name, typ := range want {
		if got := fieldByName(t, f, name).Type(); got != typ {
			t.Errorf("%s: type %s, want %s", name, got, typ)
		}
	}
	if got := fieldByName(t, f, "timestamp").At(0).(time.Time); got.UnixNano() != t0ns+1 {
		t.Errorf("timestamp %v, want %d ns", got, t0ns+1)
	}
	if got := string(*fieldByName(t, f, "attributes").At(0).(*json.RawMessage)); got != `{"k":"v\"q"}` {
		t.Errorf("map as JSON: %s", got)
	}
}

func logsTable(t *testing.T) *table {
	return recordTable(t, []arrow.Field{{Name: "timestamp", Type: tsType}, {Name: "severity_text", Type: str}, {Name: "severity_number", Type: i32},
		{Name: "body", Type: str}, {Name: "level", Type: str}, {Name: "trace_id", Type: str}, {Name: "span_id", Type: str},
		{Name: "service", Type: str}, {Name: "attributes", Type: strMap}, {Name: "resource", Type: strMap},
		{Name: "scope_name", Type: str}, {Name: "scope_attributes", Type: strMap}},
		`[{"timestamp": 1767322800000000000, "severity_text": "ERROR", "severity_number": 17, "body": "payment failed\nretry", "level": "error",
		   "trace_id": "0123456789abcdef0123456789abcdef", "span_id": "0123456789abcdef", "service": "checkout",
		   "attributes": [{"key":"user.id","value":"42"},{"key":"host","value":"record"}],
		   "resource": [{"key":"service.name","value":"checkout"},{"key":"host","value":"resource"}],
		   "scope_name": "app", "scope_attributes": [{"key":"lib","value":"x"}]},
		  {"timestamp": 1767322799000000000, "severity_text": "", "severity_number": 9, "body": "ok", "level": "info",
		   "trace_id": "", "span_id": "", "service": "checkout", "attributes": [], "resource": [], "scope_name": "", "scope_attributes": []}]`)
}

func TestLogsFrame(t *testing.T) {
	f, err := logsFrame("A", logsTable(t), links)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"timestamp", "body", "severity", "id", "labels", "traceID", "spanID"}
	types := []data.FieldType{data.FieldTypeTime, data.FieldTypeString, data.FieldTypeString, data.FieldTypeString,
		data.FieldTypeJSON, data.FieldTypeString, data.FieldTypeString}
	if len(f.Fields) != len(names) {
		t.Fatalf("fields %s", fieldNames(f))
	}
	for i, n := range names {
		if f.Fields[i].Name != n || f.Fields[i].Type() != types[i] {
			t.Errorf("field %d: %s %s, want %s %s", i, f.Fields[i].Name, f.Fields[i].Type(), n, types[i])
		}
	}
	if f.Meta.Type != data.FrameTypeLogLines || f.Meta.PreferredVisualization != data.VisTypeLogs {
		t.Errorf("meta %+v", f.Meta)
	}
	if got := f.Fields[1].At(0); got != "payment failed\nretry" {
		t.Errorf("body %q", got)
	}
	if got := f.Fields[2].At(0); got != "error" {
		t.Errorf("severity %q", got)
	}
	// Record attributes win over resource attributes of the same name.
	if got := string(f.Fields[4].At(0).(json.RawMessage)); got != `{"service.name":"checkout","host":"record","otel.scope.name":"app","lib":"x","user.id":"42"}` {
		t.Errorf("labels %s", got)
	}
	if id0, id1 := f.Fields[3].At(0).(string), f.Fields[3].At(1).(string); id0 == id1 || !strings.HasPrefix(id0, "1767322800000000000_") {
		t.Errorf("ids %q %q", id0, id1)
	}
	link := f.Fields[5].Config.Links[0]
	if link.Internal == nil || link.Internal.DatasourceUID != "hs-uid" || link.Internal.Query.(map[string]any)["queryType"] != QueryTypeTraceID {
		t.Errorf("trace link %+v", link)
	}
	// The frame must survive Grafana's Arrow encoding.
	if _, err := f.MarshalArrow(); err != nil {
		t.Fatal(err)
	}
}

func TestTraceFrame(t *testing.T) {
	tb := recordTable(t, []arrow.Field{{Name: "trace_id", Type: str}, {Name: "span_id", Type: str}, {Name: "parent_span_id", Type: str},
		{Name: "trace_state", Type: str}, {Name: "name", Type: str}, {Name: "kind", Type: str}, {Name: "service", Type: str},
		{Name: "timestamp", Type: tsType}, {Name: "duration_ns", Type: i64}, {Name: "status_code", Type: str}, {Name: "status_message", Type: str},
		{Name: "attributes", Type: strMap}, {Name: "resource", Type: strMap}, {Name: "scope_name", Type: str}, {Name: "scope_version", Type: str},
		{Name: "events", Type: arrow.ListOf(eventTy)}, {Name: "links", Type: arrow.ListOf(linkTy)}},
		`[{"trace_id":"t1","span_id":"s1","parent_span_id":"","trace_state":"k=v","name":"GET /","kind":"Server","service":"api",
		   "timestamp":1767322800000000000,"duration_ns":1500000,"status_code":"Error","status_message":"boom",
		   "attributes":[{"key":"http.method","value":"GET"}],"resource":[{"key":"host.name","value":"h1"}],"scope_name":"otel","scope_version":"1.0",
		   "events":[{"timestamp":1767322800000500000,"name":"exception","attributes":[{"key":"exception.message","value":"x"}]}],
		   "links":[{"trace_id":"t2","span_id":"s9","trace_state":"","attributes":[]}]},
		  {"trace_id":"t1","span_id":"s2","parent_span_id":"s1","trace_state":"","name":"db","kind":"Client","service":"api",
		   "timestamp":1767322800000100000,"duration_ns":200000,"status_code":"Unset","status_message":"",
		   "attributes":[],"resource":[],"scope_name":"","scope_version":"","events":[],"links":[]}]`)
	f, err := traceFrame("A", tb, links)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"traceID", "spanID", "parentSpanID", "serviceName", "operationName", "startTime", "duration", "tags",
		"serviceTags", "logs", "references", "kind", "statusCode", "statusMessage", "instrumentationLibraryName",
		"instrumentationLibraryVersion", "traceState"}
	for i, n := range want {
		if f.Fields[i].Name != n {
			t.Errorf("field %d is %s, want %s", i, f.Fields[i].Name, n)
		}
	}
	if f.Meta.PreferredVisualization != data.VisTypeTrace {
		t.Errorf("meta %+v", f.Meta)
	}
	checks := map[string]any{"startTime": float64(t0ns) / 1e6, "duration": 1.5, "kind": "server", "statusCode": int64(2),
		"statusMessage": "boom", "instrumentationLibraryName": "otel", "traceState": "k=v", "parentSpanID": ""}
	for name, v := range checks {
		if got := fieldByName(t, f, name).At(0); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	js := map[string]string{
		"tags":        `[{"key":"http.method","value":"GET"}]`,
		"serviceTags": `[{"key":"host.name","value":"h1"},{"key":"service.name","value":"api"}]`,
		"logs":        `[{"timestamp":1767322800000.5,"name":"exception","fields":[{"key":"exception.message","value":"x"}]}]`,
		"references":  `[{"traceID":"t2","spanID":"s9","tags":[]}]`,
	}
	for name, v := range js {
		if got := string(fieldByName(t, f, name).At(0).(json.RawMessage)); got != v {
			t.Errorf("%s = %s, want %s", name, got, v)
		}
	}
	if got := string(fieldByName(t, f, "logs").At(1).(json.RawMessage)); got != "[]" {
		t.Errorf("no events: %s", got)
	}
	if l := fieldByName(t, f, "spanID").Config.Links; len(l) != 1 || l[0].Internal.Query.(map[string]any)["queryType"] != QueryTypeLogs {
		t.Errorf("span link %+v", l)
	}
}

func TestTimeSeriesLongToWide(t *testing.T) {
	tb := recordTable(t, []arrow.Field{{Name: "time", Type: tsType}, {Name: "service", Type: str}, {Name: "latency", Type: f64}},
		`[{"time": 1767322800000000000, "service": "a", "latency": 1},
		  {"time": 1767322800000000000, "service": "b", "latency": 2},
		  {"time": 1767322860000000000, "service": "a", "latency": 3}]`)
	frames, err := timeSeriesFrames("A", tb)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 1 {
		t.Fatalf("%d frames", len(frames))
	}
	f := frames[0]
	if f.Meta.Type != data.FrameTypeTimeSeriesWide {
		t.Errorf("meta type %s", f.Meta.Type)
	}
	if len(f.Fields) != 3 || f.Fields[0].Type() != data.FieldTypeTime {
		t.Fatalf("fields %s", fieldNames(f))
	}
	got := map[string]any{}
	for _, fld := range f.Fields[1:] {
		got[fld.Labels["service"]] = fld.At(0)
		if fld.Name != "latency" {
			t.Errorf("value field %q", fld.Name)
		}
	}
	if got["a"] != 1.0 || got["b"] != 2.0 {
		t.Errorf("values at first time: %v", got)
	}
	// A result without a number cannot be a time series.
	tb2 := recordTable(t, []arrow.Field{{Name: "time", Type: tsType}, {Name: "service", Type: str}}, `[{"time": 1, "service": "a"}]`)
	if _, err := timeSeriesFrames("A", tb2); err == nil {
		t.Error("no error for a result without numbers")
	}
}

func TestLogsVolumeFrames(t *testing.T) {
	tb := recordTable(t, []arrow.Field{{Name: "time", Type: tsType}, {Name: "level", Type: str}, {Name: "count", Type: i64}},
		`[{"time": 1767322800000000000, "level": "info", "count": 3},
		  {"time": 1767322800000000000, "level": "error", "count": 1},
		  {"time": 1767322860000000000, "level": "info", "count": 5}]`)
	frames, err := logsVolumeFrames("A", tb)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 {
		t.Fatalf("%d frames", len(frames))
	}
	errF, infoF := frames[0], frames[1]
	if errF.Fields[1].Labels["level"] != "error" || infoF.Fields[1].Labels["level"] != "info" {
		t.Fatalf("labels %v %v", errF.Fields[1].Labels, infoF.Fields[1].Labels)
	}
	// Missing buckets are zero so every series shares the time axis.
	if errF.Fields[1].At(1) != 0.0 || infoF.Fields[1].At(1) != 5.0 {
		t.Errorf("counts %v %v", errF.Fields[1].At(1), infoF.Fields[1].At(1))
	}
}

func TestJSONAndArrowGiveSameFrames(t *testing.T) {
	js := `{"columns":[{"name":"timestamp","type":"timestamp"},{"name":"service","type":"string"},{"name":"n","type":"int"},
	  {"name":"attributes","type":"map"},{"name":"events","type":"list<struct<timestamp timestamp, name string, attributes map>>"}],
	  "data":[[1767322800000000001,1767322800000000002],["a",null],[1,2],[{"k":"v"},null],[[{"name":"e"}],[]]],
	  "stats":{"rows":2,"elapsed_ms":1,"truncated":true}}`
	res, err := readJSONResult(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.Rows != 2 {
		t.Errorf("rows %d truncated %v", res.Rows, res.Truncated)
	}
	f, err := tableFrame("A", newTable(res))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Fields[0].At(1).(time.Time).UnixNano(); got != 1767322800000000002 {
		t.Errorf("nanosecond timestamp lost precision: %d", got)
	}
	if got := string(*f.Fields[3].At(0).(*json.RawMessage)); got != `{"k":"v"}` {
		t.Errorf("map %s", got)
	}
	if f.Fields[4].Type() != data.FieldTypeJSON {
		t.Errorf("list column type %s", f.Fields[4].Type())
	}
}

// A missing attribute reads as NULL; such rows still form a series (with an empty label).
func TestTimeSeriesNullLabels(t *testing.T) {
	tb := recordTable(t, []arrow.Field{{Name: "time", Type: tsType}, {Name: "route", Type: str}, {Name: "v", Type: f64}},
		`[{"time": 1767322800000000000, "route": "/a", "v": 1},
		  {"time": 1767322800000000000, "route": null, "v": 2},
		  {"time": 1767322860000000000, "route": "/a", "v": null}]`)
	frames, err := timeSeriesFrames("A", tb)
	if err != nil {
		t.Fatal(err)
	}
	f := frames[0]
	if len(f.Fields) != 3 || f.Rows() != 2 {
		t.Fatalf("fields %s rows %d", fieldNames(f), f.Rows())
	}
	labels := map[string]bool{}
	for _, fld := range f.Fields[1:] {
		labels[fld.Labels["route"]] = true
	}
	if !labels["/a"] || !labels[""] {
		t.Errorf("labels %v", labels)
	}
}
