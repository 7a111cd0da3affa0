package clickhouse

import (
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/heimsight/heimsight/pkg/model"
)

// The reference encoding: the store's former insert path, rows into column slices appended to
// clickhouse-go's column encoders (batch.Column(i).Append). It is kept for tests only, as an
// independent encoder of the same rows: TestColBlocksMatchClickhouseGoEncoding inserts both
// encodings into the ClickHouse engine and compares what it reads back, and the benchmarks
// measure it next to the ch-go columns.

// refBuffers make the reference buffers, by table index.
var refBuffers = [numTables]func() tableBuffer{
	idxLogs:      func() tableBuffer { return &logsBuffer{} },
	idxTraces:    func() tableBuffer { return &tracesBuffer{} },
	idxGauge:     func() tableBuffer { return &gaugeBuffer{} },
	idxSum:       func() tableBuffer { return &sumBuffer{} },
	idxHistogram: func() tableBuffer { return &histBuffer{} },
	idxExpHist:   func() tableBuffer { return &expHistBuffer{} },
	idxSummary:   func() tableBuffer { return &summaryBuffer{} },
}

// buffersOf encodes a batch into one reference buffer per table.
func buffersOf(b *model.Batch) [numTables]tableBuffer {
	var bufs [numTables]tableBuffer
	for i := range bufs {
		bufs[i] = refBuffers[i]()
	}
	for i := range b.Logs {
		bufs[idxLogs].(*logsBuffer).add(&b.Logs[i])
	}
	for i := range b.Spans {
		bufs[idxTraces].(*tracesBuffer).add(&b.Spans[i])
	}
	for i := range b.Metrics {
		t, err := metricTable(b.Metrics[i].Type)
		if err != nil {
			panic(err)
		}
		addRow(bufs[t], &b.Metrics[i])
	}
	return bufs
}

// tableBuffer accumulates one physical table's rows as column slices, in the Go types
// clickhouse-go's column encoders take without per-value conversion. Not safe for concurrent
// use; the writer serialises access.
type tableBuffer interface {
	// len is the number of buffered rows.
	len() int
	// columns returns one slice per column of cols(), in that order.
	columns() []any
	// reset empties the buffer, keeping capacity.
	reset()
}

// nanos converts Unix nanoseconds to the time.Time the DateTime64 encoder takes.
func nanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// attrList is one Map(LowCardinality(String), String) value: attribute keys and values
// rendered as the exporter stores them (model.Value.AsString), in their original order,
// alternating and boxed once. clickhouse-go appends it through its ordered-map interface
// instead of reflecting over a Go map, and a resource's list is built once and appended to each
// of its rows. Read-only once built.
type attrList []any

// Put satisfies column.IterableOrderedMap; inserts never call it.
func (l attrList) Put(any, any) {}

// Iterator implements column.IterableOrderedMap.
func (l attrList) Iterator() column.MapIterator { return &attrIter{l: l, i: -2} }

type attrIter struct {
	l attrList
	i int
}

func (it *attrIter) Next() bool { it.i += 2; return it.i < len(it.l) }
func (it *attrIter) Key() any   { return it.l[it.i] }
func (it *attrIter) Value() any { return it.l[it.i+1] }

// sharedAttrs caches what rows of one buffer share: the rendered attributes of each resource
// and scope (records of one OTLP ResourceLogs share one *Resource, so a flush renders each
// resource once, not once per row) and the boxed attribute keys, which repeat across rows. The
// lists are read-only once built and may be appended to many rows. Reset with the buffer.
type sharedAttrs struct {
	res    map[*model.Resource]resEntry
	scopes map[*model.Scope]mapValue
	keys   map[string]any
}

type resEntry struct {
	attrs   mapValue
	service any // boxed service name, for the LowCardinality column
}

// mapValue is a map column's value as clickhouse-go's column appender takes it. The column
// slices hold this interface rather than attrList so the appender's per-row conversion to an
// interface copies a pointer pair instead of allocating; a shared resource's list is boxed
// once.
type mapValue = column.IterableOrderedMap

// maxInternedKeys bounds the key cache against high-cardinality attribute names.
const maxInternedKeys = 4096

// list renders a for a map column; nil for no attributes (an empty map). c may be nil (no key
// interning).
func (c *sharedAttrs) list(a model.Attributes) attrList {
	if len(a) == 0 {
		return nil
	}
	l := make(attrList, 0, 2*len(a))
	for i := range a {
		l = append(l, c.key(a[i].Key), a[i].Value.AsString())
	}
	return l
}

func (c *sharedAttrs) key(k string) any {
	if c == nil {
		return k
	}
	if v, ok := c.keys[k]; ok {
		return v
	}
	var v any = k
	if c.keys == nil {
		c.keys = make(map[string]any)
	}
	if len(c.keys) < maxInternedKeys {
		c.keys[k] = v
	}
	return v
}

// lc boxes a value of a LowCardinality(String) column. Those columns take []any: clickhouse-go
// converts each element to an interface to look it up in the column's dictionary, which is free
// for an element that already is one and an allocation for a string. The values repeat (levels,
// kinds, services), so they are interned like attribute keys.
func (c *sharedAttrs) lc(s string) any { return c.key(s) }

func (c *sharedAttrs) resource(r *model.Resource) (mapValue, any) {
	if r == nil {
		return attrList(nil), c.lc("")
	}
	if e, ok := c.res[r]; ok {
		return e.attrs, e.service
	}
	e := resEntry{attrs: c.list(r.Attributes), service: c.lc(r.ServiceName())}
	if c.res == nil {
		c.res = make(map[*model.Resource]resEntry)
	}
	c.res[r] = e
	return e.attrs, e.service
}

func (c *sharedAttrs) scopeAttrs(s *model.Scope) mapValue {
	if s == nil {
		return attrList(nil)
	}
	if l, ok := c.scopes[s]; ok {
		return l
	}
	var l mapValue = c.list(s.Attributes)
	if c.scopes == nil {
		c.scopes = make(map[*model.Scope]mapValue)
	}
	c.scopes[s] = l
	return l
}

// forget drops the cached resources and scopes (they belong to batches already flushed) but
// keeps the interned keys.
func (c *sharedAttrs) forget() {
	clear(c.res)
	clear(c.scopes)
}

// ---- logs

type logsBuffer struct {
	ts, observed                   []time.Time
	traceID, spanID                []string
	traceFlags, sevNum             []uint8
	body, scopeName                []string
	sevText, service, resSchema    []any // LowCardinality: interned boxes, see lc
	scopeSchema, scopeVersion      []any
	eventName                      []string
	resAttrs, scopeAttrs, logAttrs []mapValue
	shared                         sharedAttrs
}

func (b *logsBuffer) len() int { return len(b.ts) }

func (b *logsBuffer) add(r *model.LogRecord) {
	res, service := b.shared.resource(r.Resource)
	sName, sVersion, sSchema, _ := scopeFields(r.Scope)
	b.ts = append(b.ts, nanos(r.Timestamp))
	b.traceID = append(b.traceID, r.TraceID.String())
	b.spanID = append(b.spanID, r.SpanID.String())
	b.traceFlags = append(b.traceFlags, uint8(r.Flags&0xff))
	b.sevText = append(b.sevText, b.shared.lc(r.SeverityText))
	b.sevNum = append(b.sevNum, clampU8(int32(r.SeverityNumber)))
	b.service = append(b.service, service)
	b.body = append(b.body, r.Body.AsString())
	b.resSchema = append(b.resSchema, b.shared.lc(resourceSchema(r.Resource)))
	b.resAttrs = append(b.resAttrs, res)
	b.scopeSchema = append(b.scopeSchema, b.shared.lc(sSchema))
	b.scopeName = append(b.scopeName, sName)
	b.scopeVersion = append(b.scopeVersion, b.shared.lc(sVersion))
	b.scopeAttrs = append(b.scopeAttrs, b.shared.scopeAttrs(r.Scope))
	b.logAttrs = append(b.logAttrs, b.shared.list(r.Attributes))
	b.eventName = append(b.eventName, r.EventName)
	b.observed = append(b.observed, nanos(r.ObservedTimestamp))
}

func (b *logsBuffer) columns() []any {
	return []any{b.ts, b.traceID, b.spanID, b.traceFlags, b.sevText, b.sevNum, b.service, b.body,
		b.resSchema, b.resAttrs, b.scopeSchema, b.scopeName, b.scopeVersion, b.scopeAttrs, b.logAttrs,
		b.eventName, b.observed}
}

func (b *logsBuffer) reset() {
	b.ts, b.observed = b.ts[:0], b.observed[:0]
	b.traceID, b.spanID = b.traceID[:0], b.spanID[:0]
	b.traceFlags, b.sevNum = b.traceFlags[:0], b.sevNum[:0]
	b.body, b.scopeName = b.body[:0], b.scopeName[:0]
	clear(b.sevText)
	clear(b.service)
	clear(b.resSchema)
	clear(b.scopeSchema)
	clear(b.scopeVersion)
	b.sevText, b.service, b.resSchema = b.sevText[:0], b.service[:0], b.resSchema[:0]
	b.scopeSchema, b.scopeVersion = b.scopeSchema[:0], b.scopeVersion[:0]
	b.eventName = b.eventName[:0]
	clear(b.resAttrs)
	clear(b.scopeAttrs)
	clear(b.logAttrs)
	b.resAttrs, b.scopeAttrs, b.logAttrs = b.resAttrs[:0], b.scopeAttrs[:0], b.logAttrs[:0]
	b.shared.forget()
}

// ---- traces

type tracesBuffer struct {
	ts                                    []time.Time
	traceID, spanID, parentID, traceState []string
	scopeName, scopeVer, statusMsg        []string
	name, kind, service, statusCode       []any // LowCardinality: interned boxes, see lc
	resAttrs, spanAttrs                   []mapValue
	duration                              []uint64
	evTS                                  [][]time.Time
	evName                                [][]string
	evAttrs                               [][]attrList
	lnTrace, lnSpan, lnState              [][]string
	lnAttrs                               [][]attrList
	flags                                 []uint32
	shared                                sharedAttrs
}

func (b *tracesBuffer) len() int { return len(b.ts) }

func (b *tracesBuffer) add(s *model.Span) {
	res, service := b.shared.resource(s.Resource)
	sName, sVersion, _, _ := scopeFields(s.Scope)
	d := s.DurationNanos()
	if d < 0 {
		d = 0 // an end before the start is a producer bug; UInt64 cannot hold it
	}
	b.ts = append(b.ts, nanos(s.StartTimestamp))
	b.traceID = append(b.traceID, s.TraceID.String())
	b.spanID = append(b.spanID, s.SpanID.String())
	b.parentID = append(b.parentID, s.ParentSpanID.String())
	b.traceState = append(b.traceState, s.TraceState)
	b.name = append(b.name, b.shared.lc(s.Name))
	b.kind = append(b.kind, b.shared.lc(s.Kind.String()))
	b.service = append(b.service, service)
	b.resAttrs = append(b.resAttrs, res)
	b.scopeName = append(b.scopeName, sName)
	b.scopeVer = append(b.scopeVer, sVersion)
	b.spanAttrs = append(b.spanAttrs, b.shared.list(s.Attributes))
	b.duration = append(b.duration, uint64(d))
	b.statusCode = append(b.statusCode, b.shared.lc(s.StatusCode.String()))
	b.statusMsg = append(b.statusMsg, s.StatusMessage)
	n := len(s.Events)
	evTS, evName, evAttrs := make([]time.Time, n), make([]string, n), make([]attrList, n)
	for i := range s.Events {
		e := &s.Events[i]
		evTS[i], evName[i], evAttrs[i] = nanos(e.Timestamp), e.Name, b.shared.list(e.Attributes)
	}
	b.evTS, b.evName, b.evAttrs = append(b.evTS, evTS), append(b.evName, evName), append(b.evAttrs, evAttrs)
	n = len(s.Links)
	lnTrace, lnSpan, lnState, lnAttrs := make([]string, n), make([]string, n), make([]string, n), make([]attrList, n)
	for i := range s.Links {
		l := &s.Links[i]
		lnTrace[i], lnSpan[i], lnState[i], lnAttrs[i] = l.TraceID.String(), l.SpanID.String(), l.TraceState, b.shared.list(l.Attributes)
	}
	b.lnTrace, b.lnSpan, b.lnState, b.lnAttrs = append(b.lnTrace, lnTrace), append(b.lnSpan, lnSpan), append(b.lnState, lnState), append(b.lnAttrs, lnAttrs)
	b.flags = append(b.flags, s.Flags)
}

func (b *tracesBuffer) columns() []any {
	return []any{b.ts, b.traceID, b.spanID, b.parentID, b.traceState, b.name, b.kind, b.service, b.resAttrs,
		b.scopeName, b.scopeVer, b.spanAttrs, b.duration, b.statusCode, b.statusMsg,
		b.evTS, b.evName, b.evAttrs, b.lnTrace, b.lnSpan, b.lnState, b.lnAttrs, b.flags}
}

func (b *tracesBuffer) reset() {
	*b = tracesBuffer{
		ts: b.ts[:0], traceID: b.traceID[:0], spanID: b.spanID[:0], parentID: b.parentID[:0], traceState: b.traceState[:0],
		scopeName: b.scopeName[:0], scopeVer: b.scopeVer[:0],
		statusMsg: b.statusMsg[:0], duration: b.duration[:0], flags: b.flags[:0],
		shared: b.shared,
		// Slices of references are re-made so the old rows can be collected.
	}
	b.shared.forget()
}

// ---- metrics

// metricCommon holds the columns every metric table has (metricCommonCols and exemplarCols).
type metricCommon struct {
	resAttrs, scopeAttrs, attrs                 []mapValue
	resSchema, scopeName, scopeVer, scopeSchema []string
	scopeDropped, flags                         []uint32
	name, desc, unit                            []string
	service                                     []any // LowCardinality: interned boxes, see lc
	start, ts                                   []time.Time
	exAttrs                                     [][]attrList
	exTS                                        [][]time.Time
	exValue                                     [][]float64
	exSpan, exTrace                             [][]string
	shared                                      sharedAttrs
}

func (b *metricCommon) len() int { return len(b.ts) }

func (b *metricCommon) addCommon(p *model.MetricPoint, exemplars bool) {
	res, service := b.shared.resource(p.Resource)
	sName, sVersion, sSchema, sDropped := scopeFields(p.Scope)
	b.resAttrs = append(b.resAttrs, res)
	b.resSchema = append(b.resSchema, resourceSchema(p.Resource))
	b.scopeName = append(b.scopeName, sName)
	b.scopeVer = append(b.scopeVer, sVersion)
	b.scopeAttrs = append(b.scopeAttrs, b.shared.scopeAttrs(p.Scope))
	b.scopeDropped = append(b.scopeDropped, sDropped)
	b.scopeSchema = append(b.scopeSchema, sSchema)
	b.service = append(b.service, service)
	b.name = append(b.name, p.Name)
	b.desc = append(b.desc, p.Description)
	b.unit = append(b.unit, p.Unit)
	b.attrs = append(b.attrs, b.shared.list(p.Attributes))
	b.start = append(b.start, nanos(p.StartTimestamp))
	b.ts = append(b.ts, nanos(p.Timestamp))
	b.flags = append(b.flags, p.Flags)
	if !exemplars {
		return
	}
	n := len(p.Exemplars)
	exAttrs, exTS, exValue, exSpan, exTrace := make([]attrList, n), make([]time.Time, n), make([]float64, n), make([]string, n), make([]string, n)
	for i := range p.Exemplars {
		e := &p.Exemplars[i]
		exAttrs[i], exTS[i], exValue[i], exSpan[i], exTrace[i] = b.shared.list(e.FilteredAttributes), nanos(e.Timestamp), e.Value, e.SpanID.String(), e.TraceID.String()
	}
	b.exAttrs, b.exTS, b.exValue = append(b.exAttrs, exAttrs), append(b.exTS, exTS), append(b.exValue, exValue)
	b.exSpan, b.exTrace = append(b.exSpan, exSpan), append(b.exTrace, exTrace)
}

func (b *metricCommon) commonColumns(exemplars bool) []any {
	cols := []any{b.resAttrs, b.resSchema, b.scopeName, b.scopeVer, b.scopeAttrs, b.scopeDropped, b.scopeSchema,
		b.service, b.name, b.desc, b.unit, b.attrs, b.start, b.ts, b.flags}
	if exemplars {
		cols = append(cols, b.exAttrs, b.exTS, b.exValue, b.exSpan, b.exTrace)
	}
	return cols
}

func (b *metricCommon) resetCommon() {
	*b = metricCommon{
		resSchema: b.resSchema[:0], scopeName: b.scopeName[:0], scopeVer: b.scopeVer[:0], scopeSchema: b.scopeSchema[:0],
		scopeDropped: b.scopeDropped[:0], flags: b.flags[:0], name: b.name[:0],
		desc: b.desc[:0], unit: b.unit[:0], start: b.start[:0], ts: b.ts[:0], shared: b.shared,
	}
	b.shared.forget()
}

func cloneSlice[T any](s []T) []T {
	if len(s) == 0 {
		return []T{}
	}
	return append([]T(nil), s...)
}

type gaugeBuffer struct {
	metricCommon
	value []float64
}

func (b *gaugeBuffer) add(p *model.MetricPoint) {
	b.addCommon(p, true)
	b.value = append(b.value, p.Value)
}
func (b *gaugeBuffer) columns() []any { return append(b.commonColumns(true), b.value) }
func (b *gaugeBuffer) reset()         { b.resetCommon(); b.value = b.value[:0] }

type sumBuffer struct {
	metricCommon
	value       []float64
	temporality []int32
	monotonic   []bool
}

func (b *sumBuffer) add(p *model.MetricPoint) {
	b.addCommon(p, true)
	b.value = append(b.value, p.Value)
	b.temporality = append(b.temporality, int32(p.Temporality))
	b.monotonic = append(b.monotonic, p.IsMonotonic)
}
func (b *sumBuffer) columns() []any {
	return append(b.commonColumns(true), b.value, b.temporality, b.monotonic)
}
func (b *sumBuffer) reset() {
	b.resetCommon()
	b.value, b.temporality, b.monotonic = b.value[:0], b.temporality[:0], b.monotonic[:0]
}

type histBuffer struct {
	metricCommon
	count         []uint64
	sum, min, max []float64
	buckets       [][]uint64
	bounds        [][]float64
	temporality   []int32
}

func (b *histBuffer) add(p *model.MetricPoint) {
	b.addCommon(p, true)
	b.count = append(b.count, p.Count)
	b.sum = append(b.sum, optional(p.Sum, p.HasSum))
	b.buckets = append(b.buckets, cloneSlice(p.BucketCounts))
	b.bounds = append(b.bounds, cloneSlice(p.ExplicitBounds))
	b.min = append(b.min, optional(p.Min, p.HasMin))
	b.max = append(b.max, optional(p.Max, p.HasMax))
	b.temporality = append(b.temporality, int32(p.Temporality))
}
func (b *histBuffer) columns() []any {
	return append(b.commonColumns(true), b.count, b.sum, b.buckets, b.bounds, b.min, b.max, b.temporality)
}
func (b *histBuffer) reset() {
	b.resetCommon()
	*b = histBuffer{metricCommon: b.metricCommon, count: b.count[:0], sum: b.sum[:0], min: b.min[:0], max: b.max[:0], temporality: b.temporality[:0]}
}

type expHistBuffer struct {
	metricCommon
	count, zeroCount         []uint64
	sum, min, max, zeroThres []float64
	scale, posOff, negOff    []int32
	posBuckets, negBuckets   [][]uint64
	temporality              []int32
}

func (b *expHistBuffer) add(p *model.MetricPoint) {
	b.addCommon(p, true)
	b.count = append(b.count, p.Count)
	b.sum = append(b.sum, optional(p.Sum, p.HasSum))
	b.scale = append(b.scale, p.Scale)
	b.zeroCount = append(b.zeroCount, p.ZeroCount)
	b.posOff = append(b.posOff, p.PositiveOffset)
	b.posBuckets = append(b.posBuckets, cloneSlice(p.PositiveBucketCounts))
	b.negOff = append(b.negOff, p.NegativeOffset)
	b.negBuckets = append(b.negBuckets, cloneSlice(p.NegativeBucketCounts))
	b.min = append(b.min, optional(p.Min, p.HasMin))
	b.max = append(b.max, optional(p.Max, p.HasMax))
	b.temporality = append(b.temporality, int32(p.Temporality))
	b.zeroThres = append(b.zeroThres, p.ZeroThreshold)
}
func (b *expHistBuffer) columns() []any {
	return append(b.commonColumns(true), b.count, b.sum, b.scale, b.zeroCount, b.posOff, b.posBuckets,
		b.negOff, b.negBuckets, b.min, b.max, b.temporality, b.zeroThres)
}
func (b *expHistBuffer) reset() {
	b.resetCommon()
	*b = expHistBuffer{metricCommon: b.metricCommon, count: b.count[:0], zeroCount: b.zeroCount[:0], sum: b.sum[:0],
		min: b.min[:0], max: b.max[:0], zeroThres: b.zeroThres[:0], scale: b.scale[:0], posOff: b.posOff[:0],
		negOff: b.negOff[:0], temporality: b.temporality[:0]}
}

type summaryBuffer struct {
	metricCommon
	count     []uint64
	sum       []float64
	quantiles [][]float64
	values    [][]float64
}

func (b *summaryBuffer) add(p *model.MetricPoint) {
	b.addCommon(p, false)
	b.count = append(b.count, p.Count)
	b.sum = append(b.sum, optional(p.Sum, p.HasSum))
	q, v := make([]float64, len(p.Quantiles)), make([]float64, len(p.Quantiles))
	for i, x := range p.Quantiles {
		q[i], v[i] = x.Quantile, x.Value
	}
	b.quantiles, b.values = append(b.quantiles, q), append(b.values, v)
}
func (b *summaryBuffer) columns() []any {
	return append(b.commonColumns(false), b.count, b.sum, b.quantiles, b.values)
}
func (b *summaryBuffer) reset() {
	b.resetCommon()
	*b = summaryBuffer{metricCommon: b.metricCommon, count: b.count[:0], sum: b.sum[:0]}
}

// addRow appends one row of the given table. row is *model.LogRecord, *model.Span or
// *model.MetricPoint as the table requires.
func addRow(buf tableBuffer, row any) {
	switch b := buf.(type) {
	case *logsBuffer:
		b.add(row.(*model.LogRecord))
	case *tracesBuffer:
		b.add(row.(*model.Span))
	case *gaugeBuffer:
		b.add(row.(*model.MetricPoint))
	case *sumBuffer:
		b.add(row.(*model.MetricPoint))
	case *histBuffer:
		b.add(row.(*model.MetricPoint))
	case *expHistBuffer:
		b.add(row.(*model.MetricPoint))
	case *summaryBuffer:
		b.add(row.(*model.MetricPoint))
	}
}

// BenchmarkRefLogsBufferAdd measures the reference encoding's first step: model rows into the
// column slices clickhouse-go's batch appends.
func BenchmarkRefLogsBufferAdd(b *testing.B) {
	logs := benchLogs()
	buf := &logsBuffer{}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		buf.reset()
		for i := range logs {
			buf.add(&logs[i])
		}
	}
	reportRows(b, len(logs), cpu0)
}

// BenchmarkRefLogsEncodeBlock measures the reference (former) flush on the client: model rows
// into column slices, the slices appended to clickhouse-go's column encoders (the ones
// batch.Column(i).Append feeds), and the block serialised into a byte buffer.
func BenchmarkRefLogsEncodeBlock(b *testing.B) {
	logs := benchLogs()
	spec := &tableSpecs[idxLogs]
	buf := &logsBuffer{}
	var out chproto.Buffer
	b.ReportAllocs()
	var bytes int
	cpu0 := cpuTime()
	for b.Loop() {
		buf.reset()
		for i := range logs {
			buf.add(&logs[i])
		}
		block := proto.NewBlock()
		for _, c := range spec.cols {
			if err := block.AddColumn(c.name, column.Type(c.typ)); err != nil {
				b.Fatal(err)
			}
		}
		for i, v := range buf.columns() {
			if _, err := block.Columns[i].Append(v); err != nil {
				b.Fatal(err)
			}
		}
		out.Reset()
		if err := block.Encode(&out, 0); err != nil {
			b.Fatal(err)
		}
		bytes = len(out.Buf)
	}
	reportRows(b, len(logs), cpu0)
	b.ReportMetric(float64(bytes)/float64(len(logs)), "B/row")
}
