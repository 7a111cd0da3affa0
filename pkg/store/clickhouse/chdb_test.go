package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/heimsight/heimsight/pkg/store"
)

// These tests run on the ClickHouse engine in-process (chDB, see chdbtest). They skip with a
// message when chDB is missing, and fail under CI=true.

func testOptions() *Options {
	o := DefaultOptions()
	o.Database = "heimsight_test"
	o.Logger = slog.New(slog.DiscardHandler)
	return &o
}

func TestMigrationsApplyOnEmptyDatabaseTwice(t *testing.T) {
	e, conn := newEngine(t)
	o := testOptions()
	ctx := context.Background()
	migs, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Migrate(ctx, conn, o)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if len(res.Applied) != len(migs) {
		t.Fatalf("first run applied %d of %d migrations: %v", len(res.Applied), len(migs), res.Applied)
	}
	res, err = Migrate(ctx, conn, o)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(res.Applied) != 0 {
		t.Fatalf("second run applied %v, want nothing", res.Applied)
	}
	// Each statement on its own is idempotent too (a database a Collector created first, or a
	// record lost): run every rendered migration again, unrecorded.
	for _, m := range migs {
		sql, err := renderDDL(o, m.Name, m.Text)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Exec(sql); err != nil {
			t.Errorf("%s does not apply twice: %v", m.Name, err)
		}
	}
	rows, err := conn.QueryStrings(ctx, "SELECT toString(count()), toString(uniqExact(version)) FROM heimsight_test.heimsight_schema_migrations FINAL")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(len(migs)); rows[0][0] != want || rows[0][1] != want {
		t.Fatalf("recorded migrations %v, want %s distinct", rows[0], want)
	}
	// No lock left behind.
	rows, err = conn.QueryStrings(ctx, "SELECT name FROM system.tables WHERE database = 'heimsight_test' AND name = 'heimsight_schema_lock'")
	if err != nil || len(rows) != 0 {
		t.Fatalf("lock table left behind: %v %v", rows, err)
	}
}

// The writer's column lists must match the migrated tables exactly (name and type), or inserts
// fail at the first flush.
func TestInsertColumnsMatchMigratedSchema(t *testing.T) {
	_, conn := newEngine(t)
	o := testOptions()
	ctx := context.Background()
	if _, err := Migrate(ctx, conn, o); err != nil {
		t.Fatal(err)
	}
	for i := range tableSpecs {
		spec := &tableSpecs[i]
		rows, err := conn.QueryStrings(ctx, "SELECT name, type FROM system.columns WHERE database = ? AND table = ?", o.Database, spec.name)
		if err != nil {
			t.Fatal(err)
		}
		types := map[string]string{}
		for _, r := range rows {
			types[r[0]] = r[1]
		}
		for _, c := range spec.cols {
			if got, ok := types[c.name]; !ok {
				t.Errorf("%s.%s: no such column", spec.name, c.name)
			} else if got != c.typ {
				t.Errorf("%s.%s: table has %s, writer sends %s", spec.name, c.name, got, c.typ)
			}
		}
	}
}

func TestSchemaShowsExporterLayoutAndTTL(t *testing.T) {
	_, conn := newEngine(t)
	o := testOptions()
	ctx := context.Background()
	if _, err := Migrate(ctx, conn, o); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ table, want string }{
		{"otel_logs", "TTL toDateTime(Timestamp) + toIntervalDay(30)"},
		{"otel_traces", "TTL toDateTime(Timestamp) + toIntervalDay(30)"},
		{"otel_traces_trace_id_ts", "TTL toDateTime(Start) + toIntervalDay(30)"},
		{"otel_metrics_gauge", "TTL toDateTime(TimeUnix) + toIntervalDay(90)"},
		{"otel_metrics_summary", "TTL toDateTime(TimeUnix) + toIntervalDay(90)"},
	} {
		create := showCreate(t, conn, o.Database, tt.table)
		for _, want := range []string{tt.want, "ttl_only_drop_parts = 1", "PARTITION BY toDate("} {
			if !strings.Contains(create, want) {
				t.Errorf("%s: SHOW CREATE lacks %q:\n%s", tt.table, want, create)
			}
		}
	}
	if c := showCreate(t, conn, o.Database, "otel_logs"); !strings.Contains(c, "ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)") ||
		!strings.Contains(c, "INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1") {
		t.Errorf("otel_logs is not the exporter's layout:\n%s", c)
	}
	if c := showCreate(t, conn, o.Database, "otel_traces_trace_id_ts_mv"); !strings.Contains(c, "MATERIALIZED VIEW") {
		t.Errorf("trace id view missing:\n%s", c)
	}
}

func showCreate(t *testing.T, conn chdbConn, db, table string) string {
	t.Helper()
	rows, err := conn.QueryStrings(context.Background(), "SELECT create_table_query FROM system.tables WHERE database = ? AND name = ?", db, table)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("table %s.%s not found", db, table)
	}
	return rows[0][0]
}

func TestMigrationConcurrentRunnersOneApplies(t *testing.T) {
	_, conn := newEngine(t)
	o := testOptions()
	migs, _ := Migrations()
	var wg sync.WaitGroup
	results := make([]MigrateResult, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := newMigrator(conn, o)
			m.poll = 20 * time.Millisecond
			results[i], errs[i] = m.run(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", i, err)
		}
	}
	a, b := results[0].Applied, results[1].Applied
	if len(a)+len(b) != len(migs) || (len(a) != 0 && len(b) != 0) {
		t.Fatalf("runners applied %v and %v; want all %d by one of them", a, b, len(migs))
	}
	rows, err := conn.QueryStrings(context.Background(), "SELECT toString(count()) FROM heimsight_test.heimsight_schema_migrations")
	if err != nil || rows[0][0] != fmt.Sprint(len(migs)) {
		t.Fatalf("records %v (%v), want %d without duplicates", rows, err, len(migs))
	}
}

func TestMigrationSecondRunnerWaitsForLock(t *testing.T) {
	_, conn := newEngine(t)
	o := testOptions()
	migs, _ := Migrations()
	holding, release := make(chan struct{}), make(chan struct{})
	first := newMigrator(conn, o)
	first.locked = func() { close(holding); <-release }
	firstDone := make(chan error, 1)
	go func() {
		res, err := first.run(context.Background())
		if err == nil && len(res.Applied) != len(migs) {
			err = fmt.Errorf("first runner applied %d migrations, want %d", len(res.Applied), len(migs))
		}
		firstDone <- err
	}()
	<-holding
	second := newMigrator(conn, o)
	second.poll = 20 * time.Millisecond
	type outcome struct {
		res MigrateResult
		err error
	}
	secondDone := make(chan outcome, 1)
	go func() {
		res, err := second.run(context.Background())
		secondDone <- outcome{res, err}
	}()
	select {
	case out := <-secondDone:
		t.Fatalf("second runner did not wait for the lock: %+v", out)
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	out := <-secondDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if len(out.res.Applied) != 0 || out.res.Waited < 400*time.Millisecond {
		t.Fatalf("second runner: applied %v after waiting %s; want nothing after waiting", out.res.Applied, out.res.Waited)
	}
}

func TestMigrationTakesOverStaleLock(t *testing.T) {
	_, conn := newEngine(t)
	o := testOptions()
	o.MigrationLockStale = time.Second
	m := newMigrator(conn, o)
	m.poll = 50 * time.Millisecond
	// A runner that died holding the lock: bootstrap done, lock table created, never dropped.
	for _, name := range []string{"0001_database.sql", "0002_schema_migrations.sql", "lock.sql"} {
		text, err := m.bootstrap(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.exec(context.Background(), name, text); err != nil {
			t.Fatal(err)
		}
	}
	res, err := m.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) == 0 || res.Waited < time.Second {
		t.Fatalf("applied %d after %s; want the stale lock taken over after >= 1s", len(res.Applied), res.Waited)
	}
}

func TestRetentionStatementsApplyAndShow(t *testing.T) {
	_, conn := newEngine(t)
	o := testOptions()
	ctx := context.Background()
	if _, err := Migrate(ctx, conn, o); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		signal string
		ttl    time.Duration
		table  string
		want   string
	}{
		{"logs", 7 * day, "otel_logs", "TTL toDateTime(Timestamp) + toIntervalDay(7)"},
		{"traces", 36 * time.Hour, "otel_traces_trace_id_ts", "TTL toDateTime(Start) + toIntervalHour(36)"},
		{"spans", 45 * day, "otel_traces", "TTL toDateTime(Timestamp) + toIntervalDay(45)"},
		{"metrics", 180 * day, "otel_metrics_exponential_histogram", "TTL toDateTime(TimeUnix) + toIntervalDay(180)"},
		{"metrics", 90 * time.Minute, "otel_metrics_sum", "TTL toDateTime(TimeUnix) + toIntervalMinute(90)"},
	} {
		if err := applyRetention(ctx, conn, o, tt.signal, tt.ttl); err != nil {
			t.Fatalf("%s %s: %v", tt.signal, tt.ttl, err)
		}
		if c := showCreate(t, conn, o.Database, tt.table); !strings.Contains(c, tt.want) {
			t.Errorf("%s after retention %s: SHOW CREATE lacks %q:\n%s", tt.table, tt.ttl, tt.want, c)
		}
	}
	out, err := conn.e.Query("SHOW CREATE TABLE heimsight_test.otel_logs", "TSVRaw")
	if err != nil || !strings.Contains(string(out), "toIntervalDay(7)") {
		t.Fatalf("SHOW CREATE TABLE: %v\n%s", err, out)
	}
	// 0 removes the TTL, and the verification sees that too.
	if err := applyRetention(ctx, conn, o, "logs", 0); err != nil {
		t.Fatal(err)
	}
	if c := showCreate(t, conn, o.Database, "otel_logs"); strings.Contains(c, " TTL ") {
		t.Errorf("TTL not removed:\n%s", c)
	}
}

// Rows encoded by the store (its ch-go column buffers, as the block a flush sends) are inserted
// and read back unchanged.
func TestEncodedRowsRoundTrip(t *testing.T) {
	e, conn := newEngine(t)
	o := testOptions()
	if _, err := Migrate(context.Background(), conn, o); err != nil {
		t.Fatal(err)
	}
	bufs := colBuffersOf(sampleBatch())
	for i := range tableSpecs {
		spec := &tableSpecs[i]
		if err := insertBlock(e, o.Database, spec, bufs[i]); err != nil {
			t.Fatalf("%s: %v", spec.name, err)
		}
		order := "Timestamp"
		if i >= idxGauge {
			order = "TimeUnix"
		}
		r, err := queryNative(e, "SELECT "+sqlList(spec.cols)+" FROM "+QuoteIdent(o.Database)+"."+QuoteIdent(spec.name)+" ORDER BY "+order)
		if err != nil {
			t.Fatalf("%s: %v", spec.name, err)
		}
		names, got := r.columnValues()
		if len(names) != len(spec.cols) {
			t.Fatalf("%s: read back %d columns (%d blocks), want %d", spec.name, len(names), len(r.blocks), len(spec.cols))
		}
		want := colValues(bufs[i])
		for c := range spec.cols {
			if names[c] != spec.cols[c].name {
				t.Fatalf("%s: column %d is %s, want %s", spec.name, c, names[c], spec.cols[c].name)
			}
			wv := reflect.ValueOf(want[c])
			if len(got[c]) != wv.Len() {
				t.Fatalf("%s.%s: %d rows back, want %d", spec.name, names[c], len(got[c]), wv.Len())
			}
			for row := range got[c] {
				g, w := canon(reflect.ValueOf(got[c][row])), canon(wv.Index(row))
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s.%s row %d: read back %#v, wrote %#v", spec.name, names[c], row, g, w)
				}
			}
		}
	}
	// The trace id lookup view fills from otel_traces.
	rows, err := conn.QueryStrings(context.Background(), "SELECT TraceId, toString(Start) FROM heimsight_test.otel_traces_trace_id_ts")
	if err != nil || len(rows) != 1 || rows[0][0] != "0af7651916cd43dd8448eb211c80319c" {
		t.Fatalf("trace id lookup: %v %v", rows, err)
	}
}

// canon turns a value into a comparable form: times as Unix ns, maps as sorted pairs with nil
// equal to empty, NaN as a string, slices element-wise with nil equal to empty.
func canon(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil
	}
	if tm, ok := v.Interface().(time.Time); ok {
		return tm.UnixNano()
	}
	if l, ok := v.Interface().(attrList); ok {
		m := make(map[string]string, len(l)/2)
		for i := 0; i+1 < len(l); i += 2 {
			m[l[i].(string)] = l[i+1].(string)
		}
		return canon(reflect.ValueOf(m))
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) {
			return "NaN"
		}
		return f
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = canon(v.Index(i))
		}
		return out
	case reflect.Map:
		keys := v.MapKeys()
		pairs := make([][2]any, 0, len(keys))
		for _, k := range keys {
			pairs = append(pairs, [2]any{canon(k), canon(v.MapIndex(k))})
		}
		sort.Slice(pairs, func(i, j int) bool { return fmt.Sprint(pairs[i][0]) < fmt.Sprint(pairs[j][0]) })
		return pairs
	}
	return v.Interface()
}

// The TableSource relations run over the migrated schema, expose the logical columns of
// docs/schema.md in order, and read back the rows the store wrote, through the Arrow conversion
// Query uses.
func TestTableSourceReadsLogicalColumns(t *testing.T) {
	e, conn := newEngine(t)
	o := testOptions()
	if _, err := Migrate(context.Background(), conn, o); err != nil {
		t.Fatal(err)
	}
	batch := sampleBatch()
	bufs := colBuffersOf(batch)
	for i := range tableSpecs {
		if err := insertBlock(e, o.Database, &tableSpecs[i], bufs[i]); err != nil {
			t.Fatal(err)
		}
	}
	src := TableSource(o.Database)
	query := func(table, rest string) *storeResult {
		t.Helper()
		rel, err := src(table)
		if err != nil {
			t.Fatal(err)
		}
		r, err := queryNative(e, "SELECT * FROM "+rel+" AS t "+rest)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		res, err := readArrow(r, 0, memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		t.Cleanup(res.release)
		return res
	}

	logs := query("logs", "ORDER BY timestamp")
	wantLogCols := []string{"timestamp", "observed_timestamp", "trace_id", "span_id", "trace_flags", "severity_text", "severity_number",
		"service", "body", "attributes", "resource", "resource_schema_url", "scope_name", "scope_version", "scope_attributes",
		"scope_schema_url", "event_name"}
	checkSchema(t, logs.schema, wantLogCols, map[string]string{
		"timestamp": "timestamp[ns]", "observed_timestamp": "timestamp[ns]", "trace_flags": "int32", "severity_number": "int32",
		"service": "utf8", "attributes": "map<utf8, utf8, items_nullable>", "body": "utf8",
	})
	if logs.rows != 3 {
		t.Fatalf("logs: %d rows, want 3", logs.rows)
	}
	got := rowsOf(logs)
	first := got[0]
	last := got[2]
	if first["timestamp"] != baseNS || first["observed_timestamp"] != baseNS+5 || first["service"] != "checkout" ||
		first["trace_id"] != "0af7651916cd43dd8448eb211c80319c" || first["trace_flags"] != int32(1) || first["severity_number"] != int32(9) ||
		first["body"] != batch.Logs[0].Body.AsString() || first["event_name"] != "app.start" || first["scope_version"] != "1.2.3" {
		t.Errorf("logs row 0 = %v", first)
	}
	if want := "[http.method=GET http.status_code=200 ok=true ratio=0.1 raw=AAEC tags=[\"a\",1]]"; fmt.Sprint(first["attributes"]) != want {
		t.Errorf("logs attributes = %v, want %s", first["attributes"], want)
	}
	if last["service"] != "ünïcødé \"svc\"" || last["observed_timestamp"] != int64(0) || last["body"] != `{"k":"v"}` {
		t.Errorf("logs last row = %v", last)
	}

	spans := query("spans", "ORDER BY timestamp")
	checkSchema(t, spans.schema, []string{"timestamp", "end_timestamp", "duration_ns", "trace_id", "span_id", "parent_span_id",
		"trace_state", "trace_flags", "name", "kind", "service", "status_code", "status_message", "attributes", "resource",
		"scope_name", "scope_version", "events", "links"}, map[string]string{
		"end_timestamp": "timestamp[ns]", "duration_ns": "int64",
		"events": "list<item: struct<timestamp: timestamp[ns], name: utf8, attributes: map<utf8, utf8, items_nullable>>, nullable>",
		"links":  "list<item: struct<trace_id: utf8, span_id: utf8, trace_state: utf8, attributes: map<utf8, utf8, items_nullable>>, nullable>",
	})
	sr := rowsOf(spans)
	if len(sr) != 2 {
		t.Fatalf("spans: %d rows", len(sr))
	}
	s := sr[1] // the server span starts after the root
	if s["name"] != "GET /cart" || s["kind"] != "Server" || s["status_code"] != "Error" || s["end_timestamp"] != baseNS+1_500_000 ||
		s["duration_ns"] != int64(1_500_000) || s["parent_span_id"] != "00f067aa0ba902b7" || s["trace_flags"] != int32(1) ||
		s["status_message"] != "it's broken" {
		t.Errorf("span = %v", s)
	}
	if want := "[[" + fmt.Sprint(baseNS+10) + " exception [exception.message=boom]] [" + fmt.Sprint(baseNS+20) + " retry []]]"; fmt.Sprint(s["events"]) != want {
		t.Errorf("events = %v, want %s", s["events"], want)
	}
	if want := "[[0af7651916cd43dd8448eb211c80319c 00f067aa0ba902b7 a=b [l=1]]]"; fmt.Sprint(s["links"]) != want {
		t.Errorf("links = %v, want %s", s["links"], want)
	}

	metrics := query("metrics", "ORDER BY timestamp")
	checkSchema(t, metrics.schema, []string{"timestamp", "start_timestamp", "name", "description", "unit", "type", "service",
		"attributes", "resource", "scope_name", "scope_version", "flags", "value", "temporality", "is_monotonic", "count", "sum",
		"min", "max", "bucket_counts", "explicit_bounds", "scale", "zero_count", "zero_threshold", "positive_offset",
		"positive_bucket_counts", "negative_offset", "negative_bucket_counts", "quantiles", "exemplars"}, map[string]string{
		"value": "float64", "count": "int64", "is_monotonic": "bool", "bucket_counts": "list<item: int64, nullable>",
		"quantiles": "list<item: struct<quantile: float64, value: float64>, nullable>",
		"exemplars": "list<item: struct<timestamp: timestamp[ns], value: float64, trace_id: utf8, span_id: utf8, filtered_attributes: map<utf8, utf8, items_nullable>>, nullable>",
	})
	mr := rowsOf(metrics)
	if len(mr) != len(batch.Metrics) {
		t.Fatalf("metrics: %d rows, want %d", len(mr), len(batch.Metrics))
	}
	byName := map[string]map[string]any{}
	for _, r := range mr {
		byName[r["name"].(string)] = r
	}
	check := func(name string, want map[string]any) {
		t.Helper()
		r := byName[name]
		for k, v := range want {
			if fmt.Sprint(r[k]) != fmt.Sprint(v) {
				t.Errorf("metric %s: %s = %v, want %v", name, k, r[k], v)
			}
		}
	}
	check("cpu.usage", map[string]any{"type": "gauge", "value": 0.25, "count": nil, "sum": nil, "temporality": nil, "service": "checkout",
		"start_timestamp": baseNS - 1000, "bucket_counts": "[]", "exemplars": fmt.Sprintf("[[%d 3.5 0af7651916cd43dd8448eb211c80319c b7ad6b7169203331 [f=1]]]", baseNS-7)})
	check("requests", map[string]any{"type": "sum", "value": 42.0, "temporality": "Cumulative", "is_monotonic": true, "flags": int32(1)})
	check("latency", map[string]any{"type": "histogram", "count": int64(10), "sum": 55.5, "min": 0.5, "max": 20.0, "value": nil,
		"bucket_counts": "[1 4 5]", "explicit_bounds": "[1 10]", "temporality": "Delta"})
	check("latency.nominmax", map[string]any{"sum": nil, "min": nil, "max": nil, "count": int64(0)})
	check("size", map[string]any{"type": "exponential_histogram", "scale": int32(-2), "zero_count": int64(1), "zero_threshold": 1e-9,
		"positive_offset": int32(3), "positive_bucket_counts": "[1 2 3]", "negative_offset": int32(-1), "negative_bucket_counts": "[1]"})
	check("rpc.duration", map[string]any{"type": "summary", "count": int64(3), "sum": 9.0,
		"quantiles": fmt.Sprintf("[[0.5 2] [0.99 %v]]", math.MaxFloat64), "exemplars": "[]", "temporality": nil})

	// Pruning by the scan's time range: only rows inside [From, To).
	pruned := tableSource(o.Database, []store.TableScan{{Table: "logs", From: baseNS, To: baseNS + 3}})
	rel, _ := pruned("logs")
	r, err := queryNative(e, "SELECT count() AS n FROM "+rel)
	if err != nil {
		t.Fatal(err)
	}
	_, vals := r.columnValues()
	if vals[0][0] != uint64(2) {
		t.Errorf("pruned logs: %v rows, want 2", vals[0][0])
	}
}

func checkSchema(t *testing.T, s *arrow.Schema, names []string, types map[string]string) {
	t.Helper()
	var got []string
	for _, f := range s.Fields() {
		got = append(got, f.Name)
	}
	if !reflect.DeepEqual(got, names) {
		t.Errorf("columns\n got %v\nwant %v", got, names)
	}
	for name, typ := range types {
		idx := s.FieldIndices(name)
		if len(idx) == 0 {
			continue
		}
		if got := s.Field(idx[0]).Type.String(); got != typ {
			t.Errorf("column %s: type %s, want %s", name, got, typ)
		}
	}
}

// rowsOf flattens a result into one map per row, values as Go scalars (timestamps as int64 ns,
// maps as sorted "k=v" lists, lists as slices, structs as slices of field values).
func rowsOf(r *storeResult) []map[string]any {
	var out []map[string]any
	for _, rec := range r.records {
		for row := 0; row < int(rec.NumRows()); row++ {
			m := map[string]any{}
			for c, f := range rec.Schema().Fields() {
				m[f.Name] = arrowValue(rec.Column(c), row)
			}
			out = append(out, m)
		}
	}
	return out
}
