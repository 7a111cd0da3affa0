package clickhouse

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	chproto "github.com/ClickHouse/ch-go/proto"

	"github.com/heimsight/heimsight/pkg/model"
)

// colBuffersOf encodes a batch into one column buffer per table, as the writer does.
func colBuffersOf(b *model.Batch) [numTables]colBuffer {
	var bufs [numTables]colBuffer
	for i := range bufs {
		bufs[i] = newColBuffer(i)
	}
	for i := range b.Logs {
		bufs[idxLogs].add(&b.Logs[i])
	}
	for i := range b.Spans {
		bufs[idxTraces].add(&b.Spans[i])
	}
	for i := range b.Metrics {
		t, err := metricTable(b.Metrics[i].Type)
		if err != nil {
			panic(err)
		}
		bufs[t].add(&b.Metrics[i])
	}
	return bufs
}

// colBlock is buf's rows as the Native block a flush sends.
func colBlock(t testing.TB, buf colBuffer) []byte {
	t.Helper()
	var out chproto.Buffer
	if err := encodeColBlock(&out, buf); err != nil {
		t.Fatal(err)
	}
	return out.Buf
}

// colValues returns every buffered value as [column][row], read back through the columns' own
// Row accessors (maps as map[string]string, DateTime64 as time.Time, arrays as slices).
func colValues(buf colBuffer) [][]any {
	in := buf.input()
	out := make([][]any, len(in))
	for c, col := range in {
		row := reflect.ValueOf(col.Data).MethodByName("Row")
		for r := range buf.len() {
			out[c] = append(out[c], row.Call([]reflect.Value{reflect.ValueOf(r)})[0].Interface())
		}
	}
	return out
}

// Every buffer's block header names and types its columns exactly as the table's colDefs, which
// TestInsertColumnsMatchMigratedSchema checks against system.columns of the migrated schema.
func TestColBufferColumnsMatchColDefs(t *testing.T) {
	for i := range tableSpecs {
		spec := &tableSpecs[i]
		in := newColBuffer(i).input()
		if len(in) != len(spec.cols) {
			t.Fatalf("%s: %d columns, want %d", spec.name, len(in), len(spec.cols))
		}
		for c, col := range in {
			if col.Name != spec.cols[c].name || string(col.Data.Type()) != spec.cols[c].typ {
				t.Errorf("%s column %d: %s %s, want %s %s", spec.name, c, col.Name, col.Data.Type(), spec.cols[c].name, spec.cols[c].typ)
			}
		}
	}
}

// A reset buffer encodes exactly what a fresh one does: nothing of the previous flush leaks.
func TestColBufferResetReuses(t *testing.T) {
	batch := sampleBatch()
	fresh := colBuffersOf(batch)
	reused := colBuffersOf(batch)
	for i := range reused {
		reused[i].reset()
	}
	for i := range batch.Logs {
		reused[idxLogs].add(&batch.Logs[i])
	}
	for i := range batch.Spans {
		reused[idxTraces].add(&batch.Spans[i])
	}
	for i := range batch.Metrics {
		tbl, _ := metricTable(batch.Metrics[i].Type)
		reused[tbl].add(&batch.Metrics[i])
	}
	for i := range fresh {
		if a, b := colBlock(t, fresh[i]), colBlock(t, reused[i]); string(a) != string(b) {
			t.Errorf("%s: reused buffer encodes %d bytes, fresh %d", tableSpecs[i].name, len(b), len(a))
		}
	}
}

// attribute values render as model.Value.AsString does.
func TestColAttrValuesRenderAsString(t *testing.T) {
	vals := []model.Value{model.StringValue("s"), model.IntValue(-42), model.BoolValue(true), model.BoolValue(false),
		model.DoubleValue(12.5), model.DoubleValue(1e300), model.DoubleValue(-0.0001)}
	var s rowScratch
	var c chproto.ColStr
	for i := range vals {
		s.appendValue(&c, &vals[i])
	}
	for i := range vals {
		if got, want := c.Row(i), vals[i].AsString(); got != want {
			t.Errorf("value %d: %q, want %q", i, got, want)
		}
	}
}

// moreRows is a larger batch for the engine tests: sampleBatch and the benchmarks' rows, with
// distinct recent timestamps.
func moreRows() *model.Batch {
	b := sampleBatch()
	logs := benchLogs()[:200]
	for i := range logs {
		logs[i].Timestamp, logs[i].ObservedTimestamp = baseNS+int64(i)*7, baseNS
	}
	b.Logs = append(b.Logs, logs...)
	// Within the tables' TTL.
	spans := benchSpans()[:200]
	for i := range spans {
		d := spans[i].EndTimestamp - spans[i].StartTimestamp
		spans[i].StartTimestamp = baseNS + int64(i)*7
		spans[i].EndTimestamp = spans[i].StartTimestamp + d
		for j := range spans[i].Events {
			spans[i].Events[j].Timestamp = spans[i].StartTimestamp + 1
		}
	}
	pts := benchMetrics()[:200]
	for i := range pts {
		pts[i].StartTimestamp, pts[i].Timestamp = baseNS, baseNS+int64(i)*7
	}
	b.Spans = append(b.Spans, spans...)
	b.Metrics = append(b.Metrics, pts...)
	return b
}

// The ch-go blocks and clickhouse-go's Native encoding of the same rows, inserted into two
// copies of each raw table on the ClickHouse engine, read back identical.
func TestColBlocksMatchClickhouseGoEncoding(t *testing.T) {
	e, conn := newEngine(t)
	o := testOptions()
	if _, err := Migrate(context.Background(), conn, o); err != nil {
		t.Fatal(err)
	}
	batch := moreRows()
	old, cols := buffersOf(batch), colBuffersOf(batch)
	for i := range tableSpecs {
		spec := tableSpecs[i]
		if err := insertRef(e, o.Database, &spec, old[i]); err != nil {
			t.Fatalf("%s: %v", spec.name, err)
		}
		copySpec := spec
		copySpec.name = spec.name + "_col"
		if err := e.Exec("CREATE TABLE " + QuoteIdent(o.Database) + "." + QuoteIdent(copySpec.name) + " AS " + QuoteIdent(o.Database) + "." + QuoteIdent(spec.name)); err != nil {
			t.Fatal(err)
		}
		if err := e.QueryInput(insertSQL(o.Database, &copySpec)+" SELECT * FROM file('{input}', 'Native')", colBlock(t, cols[i])); err != nil {
			t.Fatalf("%s: %v", spec.name, err)
		}
		read := func(tbl string) []string {
			out, err := e.Query("SELECT "+sqlList(spec.cols)+" FROM "+QuoteIdent(o.Database)+"."+QuoteIdent(tbl), "JSONCompactEachRow")
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			sort.Strings(lines)
			return lines
		}
		a, b := read(spec.name), read(copySpec.name)
		if len(a) != old[i].len() || len(a) == 0 {
			t.Fatalf("%s: %d rows read back, %d written", spec.name, len(a), old[i].len())
		}
		if fmt.Sprint(a) != fmt.Sprint(b) {
			for r := range min(len(a), len(b)) {
				if a[r] != b[r] {
					t.Fatalf("%s: first difference:\nclickhouse-go: %s\nch-go:         %s", spec.name, a[r], b[r])
				}
			}
			t.Fatalf("%s: %d rows vs %d", spec.name, len(a), len(b))
		}
	}
}
