//go:build duckdb_arrow

package embedded

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/heimsight/heimsight/pkg/model"
)

// The WAL record payload is a hand-rolled binary encoding of a model.Batch: varints for
// integers, length-prefixed strings, fixed 8 bytes for doubles, and each distinct *Resource and
// *Scope written once per record and referenced afterwards (an OTLP request shares them across
// its records). It keeps exactly what the tables store, so replay rebuilds the same rows.
// Dropped-attribute counts and IsInt flags are not stored anywhere and are not kept.

const codecVersion = 1

var errCorrupt = errors.New("corrupt WAL record")

type encoder struct {
	buf    []byte
	res    map[*model.Resource]uint64
	scopes map[*model.Scope]uint64
}

func (e *encoder) reset(buf []byte) {
	e.buf = buf
	clear(e.res)
	clear(e.scopes)
	if e.res == nil {
		e.res = make(map[*model.Resource]uint64)
		e.scopes = make(map[*model.Scope]uint64)
	}
}

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) varint(v int64)   { e.buf = binary.AppendVarint(e.buf, v) }
func (e *encoder) str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}
func (e *encoder) bytes(b []byte) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(b)))
	e.buf = append(e.buf, b...)
}
func (e *encoder) f64(f float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(f))
}
func (e *encoder) boolean(b bool) {
	if b {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

func (e *encoder) traceID(id model.TraceID) {
	if id.IsZero() {
		e.buf = append(e.buf, 0)
		return
	}
	e.buf = append(e.buf, 1)
	e.buf = append(e.buf, id[:]...)
}

func (e *encoder) spanID(id model.SpanID) {
	if id.IsZero() {
		e.buf = append(e.buf, 0)
		return
	}
	e.buf = append(e.buf, 1)
	e.buf = append(e.buf, id[:]...)
}

func (e *encoder) value(v *model.Value) {
	e.buf = append(e.buf, byte(v.Kind))
	switch v.Kind {
	case model.KindString:
		e.str(v.Str)
	case model.KindBool:
		e.boolean(v.Bool)
	case model.KindInt:
		e.varint(v.Int)
	case model.KindDouble:
		e.f64(v.Double)
	case model.KindBytes:
		e.bytes(v.Bytes)
	case model.KindArray:
		e.uvarint(uint64(len(v.Array)))
		for i := range v.Array {
			e.value(&v.Array[i])
		}
	case model.KindMap:
		e.attrs(v.Map)
	}
}

func (e *encoder) attrs(a []model.KeyValue) {
	e.uvarint(uint64(len(a)))
	for i := range a {
		e.str(a[i].Key)
		e.value(&a[i].Value)
	}
}

// resource writes 0 for nil, 1 followed by the definition for a new one, 2+i for the i-th seen.
func (e *encoder) resource(r *model.Resource) {
	if r == nil {
		e.uvarint(0)
		return
	}
	if i, ok := e.res[r]; ok {
		e.uvarint(2 + i)
		return
	}
	e.res[r] = uint64(len(e.res))
	e.uvarint(1)
	e.attrs(r.Attributes)
	e.str(r.SchemaURL)
}

func (e *encoder) scope(s *model.Scope) {
	if s == nil {
		e.uvarint(0)
		return
	}
	if i, ok := e.scopes[s]; ok {
		e.uvarint(2 + i)
		return
	}
	e.scopes[s] = uint64(len(e.scopes))
	e.uvarint(1)
	e.str(s.Name)
	e.str(s.Version)
	e.attrs(s.Attributes)
	e.str(s.SchemaURL)
}

func (e *encoder) u64s(vs []uint64) {
	e.uvarint(uint64(len(vs)))
	for _, v := range vs {
		e.uvarint(v)
	}
}

func (e *encoder) f64s(vs []float64) {
	e.uvarint(uint64(len(vs)))
	for _, v := range vs {
		e.f64(v)
	}
}

// encodeBatch appends the payload for b to buf.
func (e *encoder) encodeBatch(buf []byte, b *model.Batch) []byte {
	e.reset(buf)
	e.buf = append(e.buf, codecVersion)
	e.uvarint(uint64(len(b.Logs)))
	for i := range b.Logs {
		l := &b.Logs[i]
		e.varint(l.Timestamp)
		e.varint(l.ObservedTimestamp)
		e.varint(int64(l.SeverityNumber))
		e.str(l.SeverityText)
		e.value(&l.Body)
		e.attrs(l.Attributes)
		e.uvarint(uint64(l.Flags))
		e.traceID(l.TraceID)
		e.spanID(l.SpanID)
		e.str(l.EventName)
		e.resource(l.Resource)
		e.scope(l.Scope)
	}
	e.uvarint(uint64(len(b.Spans)))
	for i := range b.Spans {
		s := &b.Spans[i]
		e.traceID(s.TraceID)
		e.spanID(s.SpanID)
		e.spanID(s.ParentSpanID)
		e.str(s.TraceState)
		e.uvarint(uint64(s.Flags))
		e.str(s.Name)
		e.varint(int64(s.Kind))
		e.varint(s.StartTimestamp)
		e.varint(s.EndTimestamp)
		e.attrs(s.Attributes)
		e.uvarint(uint64(len(s.Events)))
		for j := range s.Events {
			ev := &s.Events[j]
			e.varint(ev.Timestamp)
			e.str(ev.Name)
			e.attrs(ev.Attributes)
		}
		e.uvarint(uint64(len(s.Links)))
		for j := range s.Links {
			ln := &s.Links[j]
			e.traceID(ln.TraceID)
			e.spanID(ln.SpanID)
			e.str(ln.TraceState)
			e.attrs(ln.Attributes)
			e.uvarint(uint64(ln.Flags))
		}
		e.varint(int64(s.StatusCode))
		e.str(s.StatusMessage)
		e.resource(s.Resource)
		e.scope(s.Scope)
	}
	e.uvarint(uint64(len(b.Metrics)))
	for i := range b.Metrics {
		p := &b.Metrics[i]
		e.str(p.Name)
		e.str(p.Description)
		e.str(p.Unit)
		e.buf = append(e.buf, byte(p.Type))
		e.varint(p.StartTimestamp)
		e.varint(p.Timestamp)
		e.attrs(p.Attributes)
		e.uvarint(uint64(p.Flags))
		e.uvarint(uint64(len(p.Exemplars)))
		for j := range p.Exemplars {
			x := &p.Exemplars[j]
			e.varint(x.Timestamp)
			e.f64(x.Value)
			e.attrs(x.FilteredAttributes)
			e.traceID(x.TraceID)
			e.spanID(x.SpanID)
		}
		e.f64(p.Value)
		e.varint(int64(p.Temporality))
		e.boolean(p.IsMonotonic)
		e.uvarint(p.Count)
		var has byte
		if p.HasSum {
			has |= 1
		}
		if p.HasMin {
			has |= 2
		}
		if p.HasMax {
			has |= 4
		}
		e.buf = append(e.buf, has)
		e.f64(p.Sum)
		e.f64(p.Min)
		e.f64(p.Max)
		e.u64s(p.BucketCounts)
		e.f64s(p.ExplicitBounds)
		e.varint(int64(p.Scale))
		e.uvarint(p.ZeroCount)
		e.f64(p.ZeroThreshold)
		e.varint(int64(p.PositiveOffset))
		e.u64s(p.PositiveBucketCounts)
		e.varint(int64(p.NegativeOffset))
		e.u64s(p.NegativeBucketCounts)
		e.uvarint(uint64(len(p.Quantiles)))
		for _, q := range p.Quantiles {
			e.f64(q.Quantile)
			e.f64(q.Value)
		}
		e.resource(p.Resource)
		e.scope(p.Scope)
	}
	return e.buf
}

// decoder reads a payload. Errors are sticky: after the first, every read returns zero values
// and err reports errCorrupt; the caller checks err once at the end.
type decoder struct {
	b      []byte
	err    error
	res    []*model.Resource
	scopes []*model.Scope
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and checks it against the bytes left, so that a corrupt length can
// never make the decoder allocate more than the record's size.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) raw(n int) []byte {
	if n > len(d.b) {
		d.fail()
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.raw(d.count())) }

func (d *decoder) byte1() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) boolean() bool { return d.byte1() != 0 }

func (d *decoder) f64() float64 {
	r := d.raw(8)
	if r == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(r))
}

func (d *decoder) traceID() (id model.TraceID) {
	if d.byte1() == 1 {
		copy(id[:], d.raw(16))
	}
	return id
}

func (d *decoder) spanID() (id model.SpanID) {
	if d.byte1() == 1 {
		copy(id[:], d.raw(8))
	}
	return id
}

func (d *decoder) value(depth int) model.Value {
	if depth > 64 {
		d.fail()
		return model.Value{}
	}
	v := model.Value{Kind: model.ValueKind(d.byte1())}
	switch v.Kind {
	case model.KindEmpty:
	case model.KindString:
		v.Str = d.str()
	case model.KindBool:
		v.Bool = d.boolean()
	case model.KindInt:
		v.Int = d.varint()
	case model.KindDouble:
		v.Double = d.f64()
	case model.KindBytes:
		v.Bytes = append([]byte(nil), d.raw(d.count())...)
	case model.KindArray:
		n := d.count()
		if n > 0 {
			v.Array = make([]model.Value, n)
			for i := range v.Array {
				v.Array[i] = d.value(depth + 1)
			}
		}
	case model.KindMap:
		v.Map = d.attrsDepth(depth + 1)
	default:
		d.fail()
	}
	return v
}

func (d *decoder) attrs() model.Attributes { return d.attrsDepth(0) }

func (d *decoder) attrsDepth(depth int) model.Attributes {
	n := d.count()
	if n == 0 {
		return nil
	}
	a := make(model.Attributes, n)
	for i := range a {
		a[i].Key = d.str()
		a[i].Value = d.value(depth)
	}
	return a
}

func (d *decoder) resource() *model.Resource {
	switch tag := d.uvarint(); tag {
	case 0:
		return nil
	case 1:
		r := &model.Resource{Attributes: d.attrs(), SchemaURL: d.str()}
		d.res = append(d.res, r)
		return r
	default:
		if tag-2 >= uint64(len(d.res)) {
			d.fail()
			return nil
		}
		return d.res[tag-2]
	}
}

func (d *decoder) scope() *model.Scope {
	switch tag := d.uvarint(); tag {
	case 0:
		return nil
	case 1:
		s := &model.Scope{Name: d.str(), Version: d.str(), Attributes: d.attrs(), SchemaURL: d.str()}
		d.scopes = append(d.scopes, s)
		return s
	default:
		if tag-2 >= uint64(len(d.scopes)) {
			d.fail()
			return nil
		}
		return d.scopes[tag-2]
	}
}

func (d *decoder) u64s() []uint64 {
	n := d.count()
	if n == 0 {
		return nil
	}
	vs := make([]uint64, n)
	for i := range vs {
		vs[i] = d.uvarint()
	}
	return vs
}

func (d *decoder) f64s() []float64 {
	n := d.count()
	if n == 0 {
		return nil
	}
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = d.f64()
	}
	return vs
}

// decodeBatch decodes one payload. The result does not alias payload.
func decodeBatch(payload []byte) (*model.Batch, error) {
	d := &decoder{b: payload}
	if d.byte1() != codecVersion {
		return nil, errCorrupt
	}
	b := &model.Batch{}
	if n := d.count(); n > 0 {
		b.Logs = make([]model.LogRecord, n)
		for i := range b.Logs {
			l := &b.Logs[i]
			l.Timestamp = d.varint()
			l.ObservedTimestamp = d.varint()
			l.SeverityNumber = model.SeverityNumber(d.varint())
			l.SeverityText = d.str()
			l.Body = d.value(0)
			l.Attributes = d.attrs()
			l.Flags = uint32(d.uvarint())
			l.TraceID = d.traceID()
			l.SpanID = d.spanID()
			l.EventName = d.str()
			l.Resource = d.resource()
			l.Scope = d.scope()
		}
	}
	if n := d.count(); n > 0 {
		b.Spans = make([]model.Span, n)
		for i := range b.Spans {
			s := &b.Spans[i]
			s.TraceID = d.traceID()
			s.SpanID = d.spanID()
			s.ParentSpanID = d.spanID()
			s.TraceState = d.str()
			s.Flags = uint32(d.uvarint())
			s.Name = d.str()
			s.Kind = model.SpanKind(d.varint())
			s.StartTimestamp = d.varint()
			s.EndTimestamp = d.varint()
			s.Attributes = d.attrs()
			if n := d.count(); n > 0 {
				s.Events = make([]model.SpanEvent, n)
				for j := range s.Events {
					s.Events[j] = model.SpanEvent{Timestamp: d.varint(), Name: d.str(), Attributes: d.attrs()}
				}
			}
			if n := d.count(); n > 0 {
				s.Links = make([]model.SpanLink, n)
				for j := range s.Links {
					s.Links[j] = model.SpanLink{TraceID: d.traceID(), SpanID: d.spanID(), TraceState: d.str(), Attributes: d.attrs(), Flags: uint32(d.uvarint())}
				}
			}
			s.StatusCode = model.StatusCode(d.varint())
			s.StatusMessage = d.str()
			s.Resource = d.resource()
			s.Scope = d.scope()
		}
	}
	if n := d.count(); n > 0 {
		b.Metrics = make([]model.MetricPoint, n)
		for i := range b.Metrics {
			p := &b.Metrics[i]
			p.Name = d.str()
			p.Description = d.str()
			p.Unit = d.str()
			p.Type = model.MetricType(d.byte1())
			p.StartTimestamp = d.varint()
			p.Timestamp = d.varint()
			p.Attributes = d.attrs()
			p.Flags = uint32(d.uvarint())
			if n := d.count(); n > 0 {
				p.Exemplars = make([]model.Exemplar, n)
				for j := range p.Exemplars {
					p.Exemplars[j] = model.Exemplar{Timestamp: d.varint(), Value: d.f64(), FilteredAttributes: d.attrs(), TraceID: d.traceID(), SpanID: d.spanID()}
				}
			}
			p.Value = d.f64()
			p.Temporality = model.Temporality(d.varint())
			p.IsMonotonic = d.boolean()
			p.Count = d.uvarint()
			has := d.byte1()
			p.HasSum, p.HasMin, p.HasMax = has&1 != 0, has&2 != 0, has&4 != 0
			p.Sum = d.f64()
			p.Min = d.f64()
			p.Max = d.f64()
			p.BucketCounts = d.u64s()
			p.ExplicitBounds = d.f64s()
			p.Scale = int32(d.varint())
			p.ZeroCount = d.uvarint()
			p.ZeroThreshold = d.f64()
			p.PositiveOffset = int32(d.varint())
			p.PositiveBucketCounts = d.u64s()
			p.NegativeOffset = int32(d.varint())
			p.NegativeBucketCounts = d.u64s()
			if n := d.count(); n > 0 {
				p.Quantiles = make([]model.QuantileValue, n)
				for j := range p.Quantiles {
					p.Quantiles[j] = model.QuantileValue{Quantile: d.f64(), Value: d.f64()}
				}
			}
			p.Resource = d.resource()
			p.Scope = d.scope()
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return nil, d.err
	}
	return b, nil
}
