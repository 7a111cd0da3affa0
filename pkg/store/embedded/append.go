//go:build duckdb_arrow

package embedded

import (
	"encoding/hex"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/heimsight/heimsight/pkg/model"
)

// Column appenders hold typed builder pointers so that appending a row is a handful of direct
// calls with no interface conversions or allocations (ids are hex-encoded into stack buffers,
// string attribute values are appended as they are).

type mapCol struct {
	mb      *array.MapBuilder
	k, v    *array.StringBuilder
	scratch *[]byte
}

func newMapCol(b array.Builder) mapCol {
	mb := b.(*array.MapBuilder)
	return mapCol{mb: mb, k: mb.KeyBuilder().(*array.StringBuilder), v: mb.ItemBuilder().(*array.StringBuilder),
		scratch: new([]byte)}
}

func (m mapCol) append(a model.Attributes) {
	m.mb.Append(true)
	for i := range a {
		m.k.Append(a[i].Key)
		appendValueString(m.v, &a[i].Value, m.scratch)
	}
}

// appendValueString appends v.AsString() without allocating for the scalar kinds (a third of
// typical attributes are numbers or booleans). It must render exactly as model.Value.AsString;
// the conformance suite compares the two for every kind.
func appendValueString(b *array.StringBuilder, v *model.Value, scratch *[]byte) {
	switch v.Kind {
	case model.KindString:
		b.Append(v.Str)
	case model.KindInt:
		*scratch = strconv.AppendInt((*scratch)[:0], v.Int, 10)
		b.BinaryBuilder.Append(*scratch)
	case model.KindBool:
		if v.Bool {
			b.Append("true")
		} else {
			b.Append("false")
		}
	case model.KindDouble:
		switch f := v.Double; {
		case math.IsNaN(f), math.IsInf(f, 0):
			b.Append(v.AsString())
		default:
			*scratch = strconv.AppendFloat((*scratch)[:0], f, 'g', -1, 64)
			b.BinaryBuilder.Append(*scratch)
		}
	default:
		b.Append(v.AsString())
	}
}

func appendTraceID(b *array.StringBuilder, id model.TraceID) {
	if id.IsZero() {
		b.BinaryBuilder.Append(nil)
		return
	}
	var buf [32]byte
	hex.Encode(buf[:], id[:])
	b.BinaryBuilder.Append(buf[:])
}

func appendSpanID(b *array.StringBuilder, id model.SpanID) {
	if id.IsZero() {
		b.BinaryBuilder.Append(nil)
		return
	}
	var buf [16]byte
	hex.Encode(buf[:], id[:])
	b.BinaryBuilder.Append(buf[:])
}

type int64ListCol struct {
	lb *array.ListBuilder
	vb *array.Int64Builder
}

func newInt64ListCol(b array.Builder) int64ListCol {
	lb := b.(*array.ListBuilder)
	return int64ListCol{lb: lb, vb: lb.ValueBuilder().(*array.Int64Builder)}
}

func (c int64ListCol) append(vs []uint64) {
	c.lb.Append(true)
	for _, v := range vs {
		c.vb.Append(int64(v))
	}
}

func scopeOf(s *model.Scope) *model.Scope {
	if s == nil {
		return &emptyScope
	}
	return s
}

func resourceOf(r *model.Resource) *model.Resource {
	if r == nil {
		return &emptyResource
	}
	return r
}

var (
	emptyScope    model.Scope
	emptyResource model.Resource
)

// tableBuilder accumulates rows of one table; newRecord cuts what it holds into a record.
type tableBuilder interface {
	newRecord() arrow.RecordBatch
	release()
	fields() []array.Builder
}

// reserveLike sizes b's buffers for a chunk like rec, so that filling the next chunk does not
// regrow (and copy) every buffer a dozen times; chunks of one hour are much alike.
func reserveLike(b tableBuilder, rec arrow.RecordBatch) {
	for i, f := range b.fields() {
		reserveFrom(f, rec.Column(i))
	}
}

func reserveFrom(b array.Builder, a arrow.Array) {
	switch b := b.(type) {
	case *array.StringBuilder:
		b.Reserve(a.Len())
		if s, ok := a.(*array.String); ok {
			b.ReserveData(len(s.ValueBytes()))
		}
	case *array.MapBuilder:
		b.Reserve(a.Len())
		if m, ok := a.(*array.Map); ok {
			reserveFrom(b.KeyBuilder(), m.Keys())
			reserveFrom(b.ItemBuilder(), m.Items())
		}
	case *array.ListBuilder:
		b.Reserve(a.Len())
		if l, ok := a.(*array.List); ok {
			reserveFrom(b.ValueBuilder(), l.ListValues())
		}
	case *array.StructBuilder:
		b.Reserve(a.Len())
		if s, ok := a.(*array.Struct); ok {
			for i := 0; i < b.NumField(); i++ {
				reserveFrom(b.FieldBuilder(i), s.Field(i))
			}
		}
	default:
		b.Reserve(a.Len())
	}
}

type logsBuilder struct {
	rb                                  *array.RecordBuilder
	ts, obs                             *array.TimestampBuilder
	traceID, spanID                     *array.StringBuilder
	flags, sevNum                       *array.Int32Builder
	sevText, service, body              *array.StringBuilder
	attrs, res, scopeAttrs              mapCol
	resURL, scopeName, scopeVer, scpURL *array.StringBuilder
	eventName                           *array.StringBuilder
	// last resource/service seen: records of one request share resources
	lastRes *model.Resource
	lastSvc string
}

func newLogsBuilder(mem memory.Allocator) *logsBuilder {
	rb := array.NewRecordBuilder(mem, logsSchema)
	f := rb.Fields()
	return &logsBuilder{
		rb:         rb,
		ts:         f[0].(*array.TimestampBuilder),
		obs:        f[1].(*array.TimestampBuilder),
		traceID:    f[2].(*array.StringBuilder),
		spanID:     f[3].(*array.StringBuilder),
		flags:      f[4].(*array.Int32Builder),
		sevText:    f[5].(*array.StringBuilder),
		sevNum:     f[6].(*array.Int32Builder),
		service:    f[7].(*array.StringBuilder),
		body:       f[8].(*array.StringBuilder),
		attrs:      newMapCol(f[9]),
		res:        newMapCol(f[10]),
		resURL:     f[11].(*array.StringBuilder),
		scopeName:  f[12].(*array.StringBuilder),
		scopeVer:   f[13].(*array.StringBuilder),
		scopeAttrs: newMapCol(f[14]),
		scpURL:     f[15].(*array.StringBuilder),
		eventName:  f[16].(*array.StringBuilder),
	}
}

func (b *logsBuilder) serviceOf(r *model.Resource) string {
	if r != b.lastRes {
		b.lastRes, b.lastSvc = r, r.ServiceName()
	}
	return b.lastSvc
}

func (b *logsBuilder) append(l *model.LogRecord) {
	r, s := resourceOf(l.Resource), scopeOf(l.Scope)
	b.ts.Append(arrow.Timestamp(l.Timestamp))
	b.obs.Append(arrow.Timestamp(l.ObservedTimestamp))
	appendTraceID(b.traceID, l.TraceID)
	appendSpanID(b.spanID, l.SpanID)
	b.flags.Append(int32(l.Flags & 0xff))
	b.sevText.Append(l.SeverityText)
	b.sevNum.Append(int32(l.SeverityNumber))
	b.service.Append(b.serviceOf(r))
	if l.Body.Kind == model.KindString {
		b.body.Append(l.Body.Str)
	} else {
		b.body.Append(l.Body.AsString())
	}
	b.attrs.append(l.Attributes)
	b.res.append(r.Attributes)
	b.resURL.Append(r.SchemaURL)
	b.scopeName.Append(s.Name)
	b.scopeVer.Append(s.Version)
	b.scopeAttrs.append(s.Attributes)
	b.scpURL.Append(s.SchemaURL)
	b.eventName.Append(l.EventName)
}

func (b *logsBuilder) newRecord() arrow.RecordBatch { return b.rb.NewRecordBatch() }
func (b *logsBuilder) release()                     { b.rb.Release() }
func (b *logsBuilder) fields() []array.Builder      { return b.rb.Fields() }

type spansBuilder struct {
	rb                                   *array.RecordBuilder
	ts, end                              *array.TimestampBuilder
	dur                                  *array.Int64Builder
	traceID, spanID, parentID, traceSt   *array.StringBuilder
	flags                                *array.Int32Builder
	name, kind, service, status, statMsg *array.StringBuilder
	attrs, res                           mapCol
	scopeName, scopeVer                  *array.StringBuilder
	events                               *array.ListBuilder
	evStruct                             *array.StructBuilder
	evTS                                 *array.TimestampBuilder
	evName                               *array.StringBuilder
	evAttrs                              mapCol
	links                                *array.ListBuilder
	lnStruct                             *array.StructBuilder
	lnTrace, lnSpan, lnState             *array.StringBuilder
	lnAttrs                              mapCol
	lastRes                              *model.Resource
	lastSvc                              string
}

func newSpansBuilder(mem memory.Allocator) *spansBuilder {
	rb := array.NewRecordBuilder(mem, spansSchema)
	f := rb.Fields()
	b := &spansBuilder{
		rb:        rb,
		ts:        f[0].(*array.TimestampBuilder),
		end:       f[1].(*array.TimestampBuilder),
		dur:       f[2].(*array.Int64Builder),
		traceID:   f[3].(*array.StringBuilder),
		spanID:    f[4].(*array.StringBuilder),
		parentID:  f[5].(*array.StringBuilder),
		traceSt:   f[6].(*array.StringBuilder),
		flags:     f[7].(*array.Int32Builder),
		name:      f[8].(*array.StringBuilder),
		kind:      f[9].(*array.StringBuilder),
		service:   f[10].(*array.StringBuilder),
		status:    f[11].(*array.StringBuilder),
		statMsg:   f[12].(*array.StringBuilder),
		attrs:     newMapCol(f[13]),
		res:       newMapCol(f[14]),
		scopeName: f[15].(*array.StringBuilder),
		scopeVer:  f[16].(*array.StringBuilder),
		events:    f[17].(*array.ListBuilder),
		links:     f[18].(*array.ListBuilder),
	}
	b.evStruct = b.events.ValueBuilder().(*array.StructBuilder)
	b.evTS = b.evStruct.FieldBuilder(0).(*array.TimestampBuilder)
	b.evName = b.evStruct.FieldBuilder(1).(*array.StringBuilder)
	b.evAttrs = newMapCol(b.evStruct.FieldBuilder(2))
	b.lnStruct = b.links.ValueBuilder().(*array.StructBuilder)
	b.lnTrace = b.lnStruct.FieldBuilder(0).(*array.StringBuilder)
	b.lnSpan = b.lnStruct.FieldBuilder(1).(*array.StringBuilder)
	b.lnState = b.lnStruct.FieldBuilder(2).(*array.StringBuilder)
	b.lnAttrs = newMapCol(b.lnStruct.FieldBuilder(3))
	return b
}

func (b *spansBuilder) append(sp *model.Span) {
	r, s := resourceOf(sp.Resource), scopeOf(sp.Scope)
	if r != b.lastRes {
		b.lastRes, b.lastSvc = r, r.ServiceName()
	}
	b.ts.Append(arrow.Timestamp(sp.StartTimestamp))
	b.end.Append(arrow.Timestamp(sp.EndTimestamp))
	b.dur.Append(sp.DurationNanos())
	appendTraceID(b.traceID, sp.TraceID)
	appendSpanID(b.spanID, sp.SpanID)
	appendSpanID(b.parentID, sp.ParentSpanID)
	b.traceSt.Append(sp.TraceState)
	b.flags.Append(int32(sp.Flags & 0xff))
	b.name.Append(sp.Name)
	b.kind.Append(sp.Kind.String())
	b.service.Append(b.lastSvc)
	b.status.Append(sp.StatusCode.String())
	b.statMsg.Append(sp.StatusMessage)
	b.attrs.append(sp.Attributes)
	b.res.append(r.Attributes)
	b.scopeName.Append(s.Name)
	b.scopeVer.Append(s.Version)
	b.events.Append(true)
	for i := range sp.Events {
		e := &sp.Events[i]
		b.evStruct.Append(true)
		b.evTS.Append(arrow.Timestamp(e.Timestamp))
		b.evName.Append(e.Name)
		b.evAttrs.append(e.Attributes)
	}
	b.links.Append(true)
	for i := range sp.Links {
		l := &sp.Links[i]
		b.lnStruct.Append(true)
		appendTraceID(b.lnTrace, l.TraceID)
		appendSpanID(b.lnSpan, l.SpanID)
		b.lnState.Append(l.TraceState)
		b.lnAttrs.append(l.Attributes)
	}
}

func (b *spansBuilder) newRecord() arrow.RecordBatch { return b.rb.NewRecordBatch() }
func (b *spansBuilder) release()                     { b.rb.Release() }
func (b *spansBuilder) fields() []array.Builder      { return b.rb.Fields() }

type metricsBuilder struct {
	rb                             *array.RecordBuilder
	ts, start                      *array.TimestampBuilder
	name, desc, unit, typ, service *array.StringBuilder
	attrs, res                     mapCol
	scopeName, scopeVer            *array.StringBuilder
	flags                          *array.Int32Builder
	value                          *array.Float64Builder
	temporality                    *array.StringBuilder
	monotonic                      *array.BooleanBuilder
	count                          *array.Int64Builder
	sum, min, max                  *array.Float64Builder
	bucketCounts                   int64ListCol
	bounds                         *array.ListBuilder
	boundsV                        *array.Float64Builder
	scale                          *array.Int32Builder
	zeroCount                      *array.Int64Builder
	zeroThreshold                  *array.Float64Builder
	posOffset                      *array.Int32Builder
	posCounts                      int64ListCol
	negOffset                      *array.Int32Builder
	negCounts                      int64ListCol
	quantiles                      *array.ListBuilder
	qStruct                        *array.StructBuilder
	qQ, qV                         *array.Float64Builder
	exemplars                      *array.ListBuilder
	exStruct                       *array.StructBuilder
	exTS                           *array.TimestampBuilder
	exValue                        *array.Float64Builder
	exTrace, exSpan                *array.StringBuilder
	exAttrs                        mapCol
	lastRes                        *model.Resource
	lastSvc                        string
}

func newMetricsBuilder(mem memory.Allocator) *metricsBuilder {
	rb := array.NewRecordBuilder(mem, metricsSchema)
	f := rb.Fields()
	b := &metricsBuilder{
		rb:            rb,
		ts:            f[0].(*array.TimestampBuilder),
		start:         f[1].(*array.TimestampBuilder),
		name:          f[2].(*array.StringBuilder),
		desc:          f[3].(*array.StringBuilder),
		unit:          f[4].(*array.StringBuilder),
		typ:           f[5].(*array.StringBuilder),
		service:       f[6].(*array.StringBuilder),
		attrs:         newMapCol(f[7]),
		res:           newMapCol(f[8]),
		scopeName:     f[9].(*array.StringBuilder),
		scopeVer:      f[10].(*array.StringBuilder),
		flags:         f[11].(*array.Int32Builder),
		value:         f[12].(*array.Float64Builder),
		temporality:   f[13].(*array.StringBuilder),
		monotonic:     f[14].(*array.BooleanBuilder),
		count:         f[15].(*array.Int64Builder),
		sum:           f[16].(*array.Float64Builder),
		min:           f[17].(*array.Float64Builder),
		max:           f[18].(*array.Float64Builder),
		bucketCounts:  newInt64ListCol(f[19]),
		bounds:        f[20].(*array.ListBuilder),
		scale:         f[21].(*array.Int32Builder),
		zeroCount:     f[22].(*array.Int64Builder),
		zeroThreshold: f[23].(*array.Float64Builder),
		posOffset:     f[24].(*array.Int32Builder),
		posCounts:     newInt64ListCol(f[25]),
		negOffset:     f[26].(*array.Int32Builder),
		negCounts:     newInt64ListCol(f[27]),
		quantiles:     f[28].(*array.ListBuilder),
		exemplars:     f[29].(*array.ListBuilder),
	}
	b.boundsV = b.bounds.ValueBuilder().(*array.Float64Builder)
	b.qStruct = b.quantiles.ValueBuilder().(*array.StructBuilder)
	b.qQ = b.qStruct.FieldBuilder(0).(*array.Float64Builder)
	b.qV = b.qStruct.FieldBuilder(1).(*array.Float64Builder)
	b.exStruct = b.exemplars.ValueBuilder().(*array.StructBuilder)
	b.exTS = b.exStruct.FieldBuilder(0).(*array.TimestampBuilder)
	b.exValue = b.exStruct.FieldBuilder(1).(*array.Float64Builder)
	b.exTrace = b.exStruct.FieldBuilder(2).(*array.StringBuilder)
	b.exSpan = b.exStruct.FieldBuilder(3).(*array.StringBuilder)
	b.exAttrs = newMapCol(b.exStruct.FieldBuilder(4))
	return b
}

func appendOptFloat(b *array.Float64Builder, v float64, ok bool) {
	if ok {
		b.Append(v)
	} else {
		b.AppendNull()
	}
}

func (b *metricsBuilder) append(p *model.MetricPoint) {
	r, s := resourceOf(p.Resource), scopeOf(p.Scope)
	if r != b.lastRes {
		b.lastRes, b.lastSvc = r, r.ServiceName()
	}
	b.ts.Append(arrow.Timestamp(p.Timestamp))
	b.start.Append(arrow.Timestamp(p.StartTimestamp))
	b.name.Append(p.Name)
	b.desc.Append(p.Description)
	b.unit.Append(p.Unit)
	b.typ.Append(p.Type.String())
	b.service.Append(b.lastSvc)
	b.attrs.append(p.Attributes)
	b.res.append(r.Attributes)
	b.scopeName.Append(s.Name)
	b.scopeVer.Append(s.Version)
	b.flags.Append(int32(p.Flags))

	t := p.Type
	gaugeOrSum := t == model.MetricGauge || t == model.MetricSum
	hist := t == model.MetricHistogram
	exp := t == model.MetricExponentialHistogram
	summary := t == model.MetricSummary
	appendOptFloat(b.value, p.Value, gaugeOrSum)
	if t == model.MetricSum || hist || exp {
		b.temporality.Append(p.Temporality.String())
	} else {
		b.temporality.AppendNull()
	}
	if t == model.MetricSum {
		b.monotonic.Append(p.IsMonotonic)
	} else {
		b.monotonic.AppendNull()
	}
	if hist || exp || summary {
		b.count.Append(int64(p.Count))
	} else {
		b.count.AppendNull()
	}
	appendOptFloat(b.sum, p.Sum, (hist || exp || summary) && p.HasSum)
	appendOptFloat(b.min, p.Min, (hist || exp) && p.HasMin)
	appendOptFloat(b.max, p.Max, (hist || exp) && p.HasMax)
	if hist {
		b.bucketCounts.append(p.BucketCounts)
		b.bounds.Append(true)
		b.boundsV.AppendValues(p.ExplicitBounds, nil)
	} else {
		b.bucketCounts.lb.AppendNull()
		b.bounds.AppendNull()
	}
	if exp {
		b.scale.Append(p.Scale)
		b.zeroCount.Append(int64(p.ZeroCount))
		b.zeroThreshold.Append(p.ZeroThreshold)
		b.posOffset.Append(p.PositiveOffset)
		b.posCounts.append(p.PositiveBucketCounts)
		b.negOffset.Append(p.NegativeOffset)
		b.negCounts.append(p.NegativeBucketCounts)
	} else {
		b.scale.AppendNull()
		b.zeroCount.AppendNull()
		b.zeroThreshold.AppendNull()
		b.posOffset.AppendNull()
		b.posCounts.lb.AppendNull()
		b.negOffset.AppendNull()
		b.negCounts.lb.AppendNull()
	}
	if summary {
		b.quantiles.Append(true)
		for _, q := range p.Quantiles {
			b.qStruct.Append(true)
			b.qQ.Append(q.Quantile)
			b.qV.Append(q.Value)
		}
		b.exemplars.AppendNull()
	} else {
		b.quantiles.AppendNull()
		b.exemplars.Append(true)
		for i := range p.Exemplars {
			e := &p.Exemplars[i]
			b.exStruct.Append(true)
			b.exTS.Append(arrow.Timestamp(e.Timestamp))
			b.exValue.Append(e.Value)
			appendTraceID(b.exTrace, e.TraceID)
			appendSpanID(b.exSpan, e.SpanID)
			b.exAttrs.append(e.FilteredAttributes)
		}
	}
}

func (b *metricsBuilder) newRecord() arrow.RecordBatch { return b.rb.NewRecordBatch() }
func (b *metricsBuilder) release()                     { b.rb.Release() }
func (b *metricsBuilder) fields() []array.Builder      { return b.rb.Fields() }
