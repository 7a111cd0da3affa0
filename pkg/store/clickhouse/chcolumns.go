package clickhouse

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"

	"github.com/heimsight/heimsight/pkg/model"
)

// This file holds the raw tables' rows as reusable ch-go columns: the block a flush sends is
// encoded straight from them (proto.Block.EncodeRawBlock in tests and benchmarks, ch-go's
// client on the wire), with no intermediate []any slices, boxed values or per-column
// reflection. Columns are reset between flushes and keep their capacity, so a steady-state
// flush allocates almost nothing per row.

// colBuffer is one physical table's buffered rows as ch-go columns, in the order of the
// table's colDefs (tableSpecs). Not safe for concurrent use. Strings of LowCardinality columns
// reference the appended model rows until reset; every other value is copied.
type colBuffer interface {
	// len is the number of buffered rows.
	len() int
	// input is the buffer's columns named as the table's colDefs; valid until reset, owned by
	// the buffer (callers encode it, never keep it).
	input() chproto.Input
	// add appends one row: *model.LogRecord, *model.Span or *model.MetricPoint as the table
	// requires.
	add(row any)
	// reset empties the buffer, keeping capacity.
	reset()
}

// newColBuffer returns an empty buffer for table index t (idxLogs…idxSummary).
func newColBuffer(t int) colBuffer {
	switch t {
	case idxLogs:
		return newColLogs()
	case idxTraces:
		return newColTraces()
	case idxGauge:
		return newColMetrics(metricGaugeCols)
	case idxSum:
		return newColMetrics(metricSumCols)
	case idxHistogram:
		return newColMetrics(metricHistCols)
	case idxExpHist:
		return newColMetrics(metricExpHistCols)
	case idxSummary:
		return newColMetrics(metricSummaryCols)
	}
	panic(fmt.Sprintf("no column buffer for table %d", t))
}

// encodeColBlock appends buf's rows to out as one Native data block (the native protocol's
// Data packet body before compression, and ClickHouse's Native format).
func encodeColBlock(out *chproto.Buffer, buf colBuffer) error {
	in := buf.input()
	blk := chproto.Block{Columns: len(in), Rows: buf.len()}
	if err := blk.EncodeRawBlock(out, 0, in); err != nil {
		return fmt.Errorf("cannot encode block: %w", err)
	}
	return nil
}

type (
	attrCol = chproto.ColMap[string, string]
	attrKV  = chproto.KV[string, string]
)

func newAttrCol() *attrCol {
	return chproto.NewMap[string, string](newLCStr(), new(chproto.ColStr))
}

func newLCStr() *chproto.ColLowCardinality[string] {
	return chproto.NewLowCardinality[string](new(chproto.ColStr))
}

func newDT64() *chproto.ColDateTime64 {
	return new(chproto.ColDateTime64).WithPrecision(chproto.PrecisionNano)
}

// attrArr is Array(Map(LowCardinality(String), String)); m is its element column, kept typed
// so rows append without an interface assertion.
type attrArr struct {
	arr *chproto.ColArr[map[string]string]
	m   *attrCol
}

func newAttrArr() attrArr {
	m := newAttrCol()
	return attrArr{arr: chproto.NewArray[map[string]string](m), m: m}
}

// strArr is Array(String) with its typed element column.
type strArr struct {
	arr *chproto.ColArr[string]
	s   *chproto.ColStr
}

func newStrArr() strArr {
	s := new(chproto.ColStr)
	return strArr{arr: chproto.NewArray[string](s), s: s}
}

// dtArr is Array(DateTime64(9)) with its typed element column.
type dtArr struct {
	arr *chproto.ColArr[time.Time]
	d   *chproto.ColDateTime64
}

func newDTArr() dtArr {
	d := newDT64()
	return dtArr{arr: chproto.NewArray[time.Time](d), d: d}
}

// closeRow ends the current array row of a at its element column's length.
func closeRow[T any](a *chproto.ColArr[T], elems int) { a.Offsets.Append(uint64(elems)) }

// rowScratch is what a buffer's rows share while being added: a byte buffer for hex ids and
// numbers, and each resource's and scope's rendered attributes (records of one OTLP
// ResourceLogs share one *Resource, so a flush renders a resource once, not once per row).
// Rendered lists are read-only; forget drops them with the rows that referenced them.
type rowScratch struct {
	b      []byte
	res    map[*model.Resource][]attrKV
	scopes map[*model.Scope][]attrKV
}

func (s *rowScratch) forget() {
	clear(s.res)
	clear(s.scopes)
}

// appendID appends id's lowercase hex, or "" for the absent id (model.TraceID.String's form).
func (s *rowScratch) appendID(c *chproto.ColStr, id []byte, zero bool) {
	if zero {
		c.AppendBytes(nil)
		return
	}
	s.b = hex.AppendEncode(s.b[:0], id)
	c.AppendBytes(s.b)
}

func (s *rowScratch) traceID(c *chproto.ColStr, id model.TraceID) { s.appendID(c, id[:], id.IsZero()) }
func (s *rowScratch) spanID(c *chproto.ColStr, id model.SpanID)   { s.appendID(c, id[:], id.IsZero()) }

// appendValue appends v rendered as model.Value.AsString does, without allocating a string for
// numbers and booleans.
func (s *rowScratch) appendValue(c *chproto.ColStr, v *model.Value) {
	switch v.Kind {
	case model.KindString:
		c.Append(v.Str)
	case model.KindInt:
		s.b = strconv.AppendInt(s.b[:0], v.Int, 10)
		c.AppendBytes(s.b)
	case model.KindBool:
		c.Append(strconv.FormatBool(v.Bool)) // constant strings
	case model.KindDouble:
		if math.IsNaN(v.Double) || math.IsInf(v.Double, 0) {
			c.Append(v.AsString())
			return
		}
		s.b = strconv.AppendFloat(s.b[:0], v.Double, 'g', -1, 64)
		c.AppendBytes(s.b)
	default:
		c.Append(v.AsString())
	}
}

// attrs appends one map value: a's keys and rendered values in their original order.
func (s *rowScratch) attrs(m *attrCol, a model.Attributes) {
	vals := m.Values.(*chproto.ColStr)
	for i := range a {
		m.Keys.Append(a[i].Key)
		s.appendValue(vals, &a[i].Value)
	}
	m.Offsets.Append(uint64(m.Keys.Rows()))
}

func renderAttrs(a model.Attributes) []attrKV {
	out := make([]attrKV, len(a))
	for i := range a {
		out[i] = attrKV{Key: a[i].Key, Value: a[i].Value.AsString()}
	}
	return out
}

// resource appends r's attributes to m (rendered once per flush) and returns its service name.
func (s *rowScratch) resource(m *attrCol, r *model.Resource) string {
	if r == nil {
		m.AppendKV(nil)
		return ""
	}
	kv, ok := s.res[r]
	if !ok {
		if s.res == nil {
			s.res = make(map[*model.Resource][]attrKV)
		}
		kv = renderAttrs(r.Attributes)
		s.res[r] = kv
	}
	m.AppendKV(kv)
	return r.ServiceName()
}

// scope appends sc's attributes to m, rendered once per flush.
func (s *rowScratch) scope(m *attrCol, sc *model.Scope) {
	if sc == nil {
		m.AppendKV(nil)
		return
	}
	kv, ok := s.scopes[sc]
	if !ok {
		if s.scopes == nil {
			s.scopes = make(map[*model.Scope][]attrKV)
		}
		kv = renderAttrs(sc.Attributes)
		s.scopes[sc] = kv
	}
	m.AppendKV(kv)
}

// resetInput empties every column, keeping capacity. LowCardinality columns hold the appended
// rows' strings (ch-go dictionary-encodes them at encode time); they are cleared too, so a
// flushed batch's memory is not kept alive by an idle buffer.
func resetInput(in chproto.Input) {
	in.Reset()
	for _, c := range in {
		clearLC(c.Data)
	}
}

func clearLC(c chproto.ColInput) {
	switch c := c.(type) {
	case *chproto.ColLowCardinality[string]:
		clear(c.Values[:cap(c.Values)])
	case *attrCol:
		clearLC(c.Keys)
	case *chproto.ColArr[string]:
		clearLC(c.Data)
	case *chproto.ColArr[map[string]string]:
		clearLC(c.Data)
	}
}

// inputOf names data after cols; a mismatch is a programming error caught by every test.
func inputOf(cols []colDef, data ...chproto.ColInput) chproto.Input {
	if len(cols) != len(data) {
		panic(fmt.Sprintf("%d columns, %d data columns", len(cols), len(data)))
	}
	in := make(chproto.Input, len(cols))
	for i, c := range cols {
		in[i] = chproto.InputColumn{Name: c.name, Data: data[i]}
	}
	return in
}

// ---- logs

type colLogs struct {
	ts, observed                         *chproto.ColDateTime64
	traceID, spanID, body, scopeName, ev chproto.ColStr
	traceFlags, sevNum                   chproto.ColUInt8
	sevText, service, resSchema          *chproto.ColLowCardinality[string]
	scopeSchema, scopeVersion            *chproto.ColLowCardinality[string]
	resAttrs, scopeAttrs, logAttrs       *attrCol
	in                                   chproto.Input
	s                                    rowScratch
}

func newColLogs() *colLogs {
	b := &colLogs{ts: newDT64(), observed: newDT64(),
		sevText: newLCStr(), service: newLCStr(), resSchema: newLCStr(), scopeSchema: newLCStr(), scopeVersion: newLCStr(),
		resAttrs: newAttrCol(), scopeAttrs: newAttrCol(), logAttrs: newAttrCol()}
	b.in = inputOf(logsCols, b.ts, &b.traceID, &b.spanID, &b.traceFlags, b.sevText, &b.sevNum, b.service, &b.body,
		b.resSchema, b.resAttrs, b.scopeSchema, &b.scopeName, b.scopeVersion, b.scopeAttrs, b.logAttrs, &b.ev, b.observed)
	return b
}

func (b *colLogs) len() int             { return b.ts.Rows() }
func (b *colLogs) input() chproto.Input { return b.in }
func (b *colLogs) reset()               { resetInput(b.in); b.s.forget() }
func (b *colLogs) add(row any)          { b.addLog(row.(*model.LogRecord)) }

func (b *colLogs) addLog(r *model.LogRecord) {
	sName, sVersion, sSchema, _ := scopeFields(r.Scope)
	b.ts.AppendRaw(chproto.DateTime64(r.Timestamp))
	b.s.traceID(&b.traceID, r.TraceID)
	b.s.spanID(&b.spanID, r.SpanID)
	b.traceFlags.Append(uint8(r.Flags & 0xff))
	b.sevText.Append(r.SeverityText)
	b.sevNum.Append(clampU8(int32(r.SeverityNumber)))
	b.service.Append(b.s.resource(b.resAttrs, r.Resource))
	b.s.appendValue(&b.body, &r.Body)
	b.resSchema.Append(resourceSchema(r.Resource))
	b.scopeSchema.Append(sSchema)
	b.scopeName.Append(sName)
	b.scopeVersion.Append(sVersion)
	b.s.scope(b.scopeAttrs, r.Scope)
	b.s.attrs(b.logAttrs, r.Attributes)
	b.ev.Append(r.EventName)
	b.observed.AppendRaw(chproto.DateTime64(r.ObservedTimestamp))
}

// ---- traces

type colTraces struct {
	ts                                               *chproto.ColDateTime64
	traceID, spanID, parentID, traceState, scopeName chproto.ColStr
	scopeVer, statusMsg                              chproto.ColStr
	name, kind, service, statusCode                  *chproto.ColLowCardinality[string]
	resAttrs, spanAttrs                              *attrCol
	duration                                         chproto.ColUInt64
	evTS                                             dtArr
	evName                                           *chproto.ColArr[string]
	evNameLC                                         *chproto.ColLowCardinality[string]
	evAttrs, lnAttrs                                 attrArr
	lnTrace, lnSpan, lnState                         strArr
	flags                                            chproto.ColUInt32
	in                                               chproto.Input
	s                                                rowScratch
}

func newColTraces() *colTraces {
	b := &colTraces{ts: newDT64(), name: newLCStr(), kind: newLCStr(), service: newLCStr(), statusCode: newLCStr(),
		resAttrs: newAttrCol(), spanAttrs: newAttrCol(), evTS: newDTArr(), evNameLC: newLCStr(),
		evAttrs: newAttrArr(), lnAttrs: newAttrArr(), lnTrace: newStrArr(), lnSpan: newStrArr(), lnState: newStrArr()}
	b.evName = chproto.NewArray[string](b.evNameLC)
	b.in = inputOf(tracesCols, b.ts, &b.traceID, &b.spanID, &b.parentID, &b.traceState, b.name, b.kind, b.service,
		b.resAttrs, &b.scopeName, &b.scopeVer, b.spanAttrs, &b.duration, b.statusCode, &b.statusMsg,
		b.evTS.arr, b.evName, b.evAttrs.arr, b.lnTrace.arr, b.lnSpan.arr, b.lnState.arr, b.lnAttrs.arr, &b.flags)
	return b
}

func (b *colTraces) len() int             { return b.ts.Rows() }
func (b *colTraces) input() chproto.Input { return b.in }
func (b *colTraces) reset()               { resetInput(b.in); b.s.forget() }
func (b *colTraces) add(row any)          { b.addSpan(row.(*model.Span)) }

func (b *colTraces) addSpan(sp *model.Span) {
	sName, sVersion, _, _ := scopeFields(sp.Scope)
	d := sp.DurationNanos()
	if d < 0 {
		d = 0 // an end before the start is a producer bug; UInt64 cannot hold it
	}
	b.ts.AppendRaw(chproto.DateTime64(sp.StartTimestamp))
	b.s.traceID(&b.traceID, sp.TraceID)
	b.s.spanID(&b.spanID, sp.SpanID)
	b.s.spanID(&b.parentID, sp.ParentSpanID)
	b.traceState.Append(sp.TraceState)
	b.name.Append(sp.Name)
	b.kind.Append(sp.Kind.String())
	b.service.Append(b.s.resource(b.resAttrs, sp.Resource))
	b.scopeName.Append(sName)
	b.scopeVer.Append(sVersion)
	b.s.attrs(b.spanAttrs, sp.Attributes)
	b.duration.Append(uint64(d))
	b.statusCode.Append(sp.StatusCode.String())
	b.statusMsg.Append(sp.StatusMessage)
	for i := range sp.Events {
		e := &sp.Events[i]
		b.evTS.d.AppendRaw(chproto.DateTime64(e.Timestamp))
		b.evNameLC.Append(e.Name)
		b.s.attrs(b.evAttrs.m, e.Attributes)
	}
	closeRow(b.evTS.arr, b.evTS.d.Rows())
	closeRow(b.evName, b.evNameLC.Rows())
	closeRow(b.evAttrs.arr, b.evAttrs.m.Rows())
	for i := range sp.Links {
		l := &sp.Links[i]
		b.s.traceID(b.lnTrace.s, l.TraceID)
		b.s.spanID(b.lnSpan.s, l.SpanID)
		b.lnState.s.Append(l.TraceState)
		b.s.attrs(b.lnAttrs.m, l.Attributes)
	}
	closeRow(b.lnTrace.arr, b.lnTrace.s.Rows())
	closeRow(b.lnSpan.arr, b.lnSpan.s.Rows())
	closeRow(b.lnState.arr, b.lnState.s.Rows())
	closeRow(b.lnAttrs.arr, b.lnAttrs.m.Rows())
	b.flags.Append(sp.Flags)
}

// ---- metrics

// metricKind selects which of colMetrics' type-specific columns a table has.
type metricKind int

const (
	metricGaugeCols metricKind = iota
	metricSumCols
	metricHistCols
	metricExpHistCols
	metricSummaryCols
)

// colMetrics is any of the five metric tables: the common columns, the exemplar columns
// (all but summary) and the kind's own. Columns a kind does not have stay empty and are not
// in its input.
type colMetrics struct {
	kind metricKind

	resAttrs, scopeAttrs, attrs                 *attrCol
	resSchema, scopeName, scopeVer, scopeSchema chproto.ColStr
	name, desc, unit                            chproto.ColStr
	scopeDropped, flags                         chproto.ColUInt32
	service                                     *chproto.ColLowCardinality[string]
	start, ts                                   *chproto.ColDateTime64
	exAttrs                                     attrArr
	exTS                                        dtArr
	exValue                                     *chproto.ColArr[float64]
	exValueF                                    *chproto.ColFloat64
	exSpan, exTrace                             strArr
	value, sum, min, max, zeroThres             chproto.ColFloat64
	count, zeroCount                            chproto.ColUInt64
	temporality, scale, posOff, negOff          chproto.ColInt32
	monotonic                                   chproto.ColBool
	buckets, posBuckets, negBuckets             *chproto.ColArr[uint64]
	bucketsU, posBucketsU, negBucketsU          *chproto.ColUInt64
	bounds, quantiles, qValues                  *chproto.ColArr[float64]
	boundsF, quantilesF, qValuesF               *chproto.ColFloat64
	in                                          chproto.Input
	s                                           rowScratch
}

func newColMetrics(kind metricKind) *colMetrics {
	b := &colMetrics{kind: kind, resAttrs: newAttrCol(), scopeAttrs: newAttrCol(), attrs: newAttrCol(),
		service: newLCStr(), start: newDT64(), ts: newDT64(),
		exAttrs: newAttrArr(), exTS: newDTArr(), exValueF: new(chproto.ColFloat64), exSpan: newStrArr(), exTrace: newStrArr(),
		bucketsU: new(chproto.ColUInt64), posBucketsU: new(chproto.ColUInt64), negBucketsU: new(chproto.ColUInt64),
		boundsF: new(chproto.ColFloat64), quantilesF: new(chproto.ColFloat64), qValuesF: new(chproto.ColFloat64)}
	b.exValue = chproto.NewArray[float64](b.exValueF)
	b.buckets, b.posBuckets, b.negBuckets = chproto.NewArray[uint64](b.bucketsU), chproto.NewArray[uint64](b.posBucketsU), chproto.NewArray[uint64](b.negBucketsU)
	b.bounds, b.quantiles, b.qValues = chproto.NewArray[float64](b.boundsF), chproto.NewArray[float64](b.quantilesF), chproto.NewArray[float64](b.qValuesF)
	data := []chproto.ColInput{b.resAttrs, &b.resSchema, &b.scopeName, &b.scopeVer, b.scopeAttrs, &b.scopeDropped,
		&b.scopeSchema, b.service, &b.name, &b.desc, &b.unit, b.attrs, b.start, b.ts, &b.flags}
	exemplars := []chproto.ColInput{b.exAttrs.arr, b.exTS.arr, b.exValue, b.exSpan.arr, b.exTrace.arr}
	var cols []colDef
	switch kind {
	case metricGaugeCols:
		cols, data = gaugeCols, append(append(data, exemplars...), &b.value)
	case metricSumCols:
		cols, data = sumCols, append(append(data, exemplars...), &b.value, &b.temporality, &b.monotonic)
	case metricHistCols:
		cols, data = histCols, append(append(data, exemplars...), &b.count, &b.sum, b.buckets, b.bounds, &b.min, &b.max, &b.temporality)
	case metricExpHistCols:
		cols, data = expHistCols, append(append(data, exemplars...), &b.count, &b.sum, &b.scale, &b.zeroCount,
			&b.posOff, b.posBuckets, &b.negOff, b.negBuckets, &b.min, &b.max, &b.temporality, &b.zeroThres)
	case metricSummaryCols:
		cols, data = summaryCols, append(data, &b.count, &b.sum, b.quantiles, b.qValues)
	}
	b.in = inputOf(cols, data...)
	return b
}

func (b *colMetrics) len() int             { return b.ts.Rows() }
func (b *colMetrics) input() chproto.Input { return b.in }
func (b *colMetrics) reset()               { resetInput(b.in); b.s.forget() }
func (b *colMetrics) add(row any)          { b.addPoint(row.(*model.MetricPoint)) }

func (b *colMetrics) addPoint(p *model.MetricPoint) {
	sName, sVersion, sSchema, sDropped := scopeFields(p.Scope)
	b.service.Append(b.s.resource(b.resAttrs, p.Resource))
	b.resSchema.Append(resourceSchema(p.Resource))
	b.scopeName.Append(sName)
	b.scopeVer.Append(sVersion)
	b.s.scope(b.scopeAttrs, p.Scope)
	b.scopeDropped.Append(sDropped)
	b.scopeSchema.Append(sSchema)
	b.name.Append(p.Name)
	b.desc.Append(p.Description)
	b.unit.Append(p.Unit)
	b.s.attrs(b.attrs, p.Attributes)
	b.start.AppendRaw(chproto.DateTime64(p.StartTimestamp))
	b.ts.AppendRaw(chproto.DateTime64(p.Timestamp))
	b.flags.Append(p.Flags)
	if b.kind != metricSummaryCols {
		for i := range p.Exemplars {
			e := &p.Exemplars[i]
			b.s.attrs(b.exAttrs.m, e.FilteredAttributes)
			b.exTS.d.AppendRaw(chproto.DateTime64(e.Timestamp))
			b.exValueF.Append(e.Value)
			b.s.spanID(b.exSpan.s, e.SpanID)
			b.s.traceID(b.exTrace.s, e.TraceID)
		}
		closeRow(b.exAttrs.arr, b.exAttrs.m.Rows())
		closeRow(b.exTS.arr, b.exTS.d.Rows())
		closeRow(b.exValue, b.exValueF.Rows())
		closeRow(b.exSpan.arr, b.exSpan.s.Rows())
		closeRow(b.exTrace.arr, b.exTrace.s.Rows())
	}
	switch b.kind {
	case metricGaugeCols:
		b.value.Append(p.Value)
	case metricSumCols:
		b.value.Append(p.Value)
		b.temporality.Append(int32(p.Temporality))
		b.monotonic.Append(p.IsMonotonic)
	case metricHistCols:
		b.count.Append(p.Count)
		b.sum.Append(optional(p.Sum, p.HasSum))
		b.bucketsU.AppendArr(p.BucketCounts)
		closeRow(b.buckets, b.bucketsU.Rows())
		b.boundsF.AppendArr(p.ExplicitBounds)
		closeRow(b.bounds, b.boundsF.Rows())
		b.min.Append(optional(p.Min, p.HasMin))
		b.max.Append(optional(p.Max, p.HasMax))
		b.temporality.Append(int32(p.Temporality))
	case metricExpHistCols:
		b.count.Append(p.Count)
		b.sum.Append(optional(p.Sum, p.HasSum))
		b.scale.Append(p.Scale)
		b.zeroCount.Append(p.ZeroCount)
		b.posOff.Append(p.PositiveOffset)
		b.posBucketsU.AppendArr(p.PositiveBucketCounts)
		closeRow(b.posBuckets, b.posBucketsU.Rows())
		b.negOff.Append(p.NegativeOffset)
		b.negBucketsU.AppendArr(p.NegativeBucketCounts)
		closeRow(b.negBuckets, b.negBucketsU.Rows())
		b.min.Append(optional(p.Min, p.HasMin))
		b.max.Append(optional(p.Max, p.HasMax))
		b.temporality.Append(int32(p.Temporality))
		b.zeroThres.Append(p.ZeroThreshold)
	case metricSummaryCols:
		b.count.Append(p.Count)
		b.sum.Append(optional(p.Sum, p.HasSum))
		for _, q := range p.Quantiles {
			b.quantilesF.Append(q.Quantile)
			b.qValuesF.Append(q.Value)
		}
		closeRow(b.quantiles, b.quantilesF.Rows())
		closeRow(b.qValues, b.qValuesF.Rows())
	}
}
