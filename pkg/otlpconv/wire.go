package otlpconv

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/heimsight/heimsight/pkg/model"
)

// DecodeProto decodes an OTLP/protobuf export request body (already decompressed) of the given
// signal straight into rows, without building the generated structs.
//
// An error means the body is not a valid protobuf encoding of the request (wrong wire types
// where a message is expected, truncation, bad varints) and nothing is accepted; its message
// names the byte offset when it is known. Items that decode but fail a check are rejected one
// by one (see the package documentation). DecodeProto does not retain body.
func DecodeProto(sig Signal, body []byte) (Result, error) {
	d := wireDec{sig: sig, body: body, str: string(body)}
	var b model.Batch
	var err error
	switch sig {
	case SignalLogs:
		b.Logs, err = d.logs()
	case SignalTraces:
		b.Spans, err = d.traces()
	case SignalMetrics:
		b.Metrics, err = d.metrics()
	default:
		return Result{}, fmt.Errorf("cannot decode OTLP protobuf: unknown signal %d", sig)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Batch: b, Rejected: d.rej.n, ErrorMessage: d.rej.message()}, nil
}

// wireDec holds the state of one DecodeProto call.
type wireDec struct {
	sig  Signal
	body []byte
	// str is one immutable copy of body: every decoded string is a substring of it, so strings
	// cost no allocation and the caller may reuse body as soon as DecodeProto returns.
	str   string
	rej   rejections
	flags uint8 // problems of the item being decoded (flagBadUTF8, flagTooDeep)

	// slab backs the attribute lists of items so that a request costs a few large
	// allocations instead of one per list (see listBegin).
	slab      []model.KeyValue
	slabGen   int // incremented when slab is replaced
	listStart int // start of the open list in slab
	pushed    int // attributes pushed on the slab, to size the next one
	// itemsTotal is the number of items in the request (an upper bound), itemsDone those
	// decoded so far.
	itemsTotal, itemsDone int
	// scratch is a stack for lists nested in kvlist values.
	scratch []model.KeyValue
	// u64slab and f64slab back bucket counts and bounds (see uint64s).
	u64slab []uint64
	f64slab []float64

	// raws and raw2 collect the encoded events and links of a span, or exemplars of a point, to
	// decode once the item's own attribute list is closed.
	raws [][]byte
	raw2 [][]byte
}

// field is one decoded protobuf field: v holds varint and fixed values, b the bytes of a
// length-delimited field.
type field struct {
	num protowire.Number
	typ protowire.Type
	v   uint64
	b   []byte
}

var errFieldNumber = errors.New("invalid field number")

// Error codes of protowire (its ParseError turns them into errors).
const (
	codeTruncated   = -1
	codeFieldNumber = -2
)

func (d *wireDec) fail(at []byte, what string, code int) error {
	return d.failErr(at, what, protowire.ParseError(code))
}

func (d *wireDec) failErr(at []byte, what string, err error) error {
	if off := d.offset(at); off >= 0 {
		return fmt.Errorf("cannot decode OTLP %s protobuf: %s at offset %d: %w", d.sig, what, off, err)
	}
	return fmt.Errorf("cannot decode OTLP %s protobuf: %s: %w", d.sig, what, err)
}

// offset is the position of b in the body, or -1 when b is not a part of it (a message
// merged from repeated occurrences lives in its own buffer).
func (d *wireDec) offset(b []byte) int {
	off := cap(d.body) - cap(b)
	if off < 0 || off > len(d.body) {
		return -1
	}
	if off < len(d.body) && len(b) > 0 && &d.body[off] != &b[0] {
		return -1
	}
	return off
}

// next reads the field at the start of b and returns the rest.
func (d *wireDec) next(b []byte, f *field) ([]byte, error) {
	var n int
	if b[0] < 0x80 {
		f.num, f.typ = protowire.Number(b[0]>>3), protowire.Type(b[0]&7)
		n = 1
		if f.num == 0 {
			return nil, d.fail(b, "field tag", codeFieldNumber)
		}
	} else {
		var num protowire.Number
		num, f.typ, n = protowire.ConsumeTag(b)
		if n < 0 {
			return nil, d.fail(b, "field tag", n)
		}
		if num > protowire.MaxValidNumber {
			return nil, d.failErr(b, "field tag", errFieldNumber)
		}
		f.num = num
	}
	rest := b[n:]
	switch f.typ {
	case protowire.BytesType:
		if len(rest) > 0 && rest[0] < 0x80 {
			l := int(rest[0])
			if l+1 > len(rest) {
				return nil, d.fail(rest, fmt.Sprintf("field %d", f.num), codeTruncated)
			}
			f.b = rest[1 : 1+l]
			return rest[1+l:], nil
		}
		f.b, n = protowire.ConsumeBytes(rest)
	case protowire.VarintType:
		if len(rest) > 0 && rest[0] < 0x80 {
			f.v = uint64(rest[0])
			return rest[1:], nil
		}
		f.v, n = protowire.ConsumeVarint(rest)
	case protowire.Fixed64Type:
		f.v, n = protowire.ConsumeFixed64(rest)
	case protowire.Fixed32Type:
		var v uint32
		v, n = protowire.ConsumeFixed32(rest)
		f.v = uint64(v)
	default:
		n = protowire.ConsumeFieldValue(f.num, f.typ, rest)
	}
	if n < 0 {
		return nil, d.fail(rest, fmt.Sprintf("field %d", f.num), n)
	}
	return rest[n:], nil
}

// s returns b as a string that shares memory with the body copy, and flags invalid UTF-8.
func (d *wireDec) s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if !utf8.Valid(b) {
		d.flags |= flagBadUTF8
	}
	off := cap(d.body) - cap(b)
	if off >= 0 && off+len(b) <= len(d.body) && &d.body[off] == &b[0] {
		return d.str[off : off+len(b)]
	}
	return string(b)
}

// extend grows s by one zero element. Items are filled in place rather than appended as whole
// structs: with rows of hundreds of bytes full of pointers, copying them costs write barriers
// while the GC runs.
func extend[S ~[]E, E any](s S) S {
	if len(s) < cap(s) {
		return s[:len(s)+1]
	}
	var zero E
	return append(s, zero)
}

// msgBuf collects the occurrences of a singular message field. Protobuf merges repeated
// occurrences, which is the same as decoding their concatenation; producers send each field
// once, so concatenating (and allocating) only happens for odd input.
type msgBuf struct {
	b []byte
	n int
}

func (m *msgBuf) add(x []byte) {
	switch m.n {
	case 0:
		m.b = x
	case 1:
		m.b = append(append(make([]byte, 0, len(m.b)+len(x)), m.b...), x...)
	default:
		m.b = append(m.b, x...)
	}
	m.n++
}

// count counts the length-delimited occurrences of field num in message b.
func (d *wireDec) count(b []byte, num protowire.Number) (int, error) {
	var f field
	var err error
	n := 0
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return 0, err
		}
		if f.num == num && f.typ == protowire.BytesType {
			n++
		}
	}
	return n, nil
}

// countPath counts the items at the end of a path of repeated message fields, to size the
// row slice once.
func (d *wireDec) countPath(b []byte, path ...protowire.Number) (int, error) {
	if len(path) == 1 {
		return d.count(b, path[0])
	}
	var f field
	var err error
	n := 0
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return 0, err
		}
		if f.num == path[0] && f.typ == protowire.BytesType {
			m, err := d.countPath(f.b, path[1:]...)
			if err != nil {
				return 0, err
			}
			n += m
		}
	}
	return n, nil
}

// Attribute lists of items (records, spans, points, their events, links and exemplars, and
// resources and scopes) are decoded straight into the slab: one list at a time is open, at its
// top. Lists nested in kvlist values are decoded on the scratch stack instead and copied out,
// since they finish while their parent list is still open.

// slabMark is a position in the slab to roll back to when an item is rejected.
type slabMark struct{ gen, n int }

func (d *wireDec) mark() slabMark { return slabMark{d.slabGen, len(d.slab)} }

// rollback drops what the item pushed, zeroing it because pushKV fills slots in place.
func (d *wireDec) rollback(m slabMark) {
	n := m.n
	if m.gen != d.slabGen {
		// The slab was replaced while the item was decoded: all of the new one is the item's.
		n = 0
	}
	clear(d.slab[n:])
	d.slab = d.slab[:n]
}

func (d *wireDec) listBegin() { d.listStart = len(d.slab) }

// listEnd closes the open list: duplicate keys are removed in place (dedupKVs zeroes the
// slots it frees, which the next list reuses).
func (d *wireDec) listEnd() model.Attributes {
	kvs := dedupKVs(d.slab[d.listStart:])
	if len(kvs) == 0 {
		return nil
	}
	end := d.listStart + len(kvs)
	d.slab = d.slab[:end]
	return d.slab[d.listStart:end:end]
}

// growSlab replaces a full slab with one sized for the rest of the request, estimated from
// the attributes per item seen so far, and moves the open list into it.
func (d *wireDec) growSlab() {
	open := len(d.slab) - d.listStart
	size := 256
	if d.itemsDone > 0 {
		// The item being decoded counts as left; the margin covers items a little above
		// the average without a third slab.
		left := d.itemsTotal - d.itemsDone + 1
		size = max(size, (left*d.pushed+d.itemsDone-1)/d.itemsDone+left/32+64)
	}
	size = max(size, 2*open)
	ns := make([]model.KeyValue, open, size)
	copy(ns, d.slab[d.listStart:])
	d.slab, d.listStart = ns, 0
	d.slabGen++
}

// nestedEnd pops the nested list pushed on the scratch stack since start and copies it out.
func (d *wireDec) nestedEnd(start int) model.Attributes {
	kvs := dedupKVs(d.scratch[start:])
	var out model.Attributes
	if len(kvs) > 0 {
		out = make(model.Attributes, len(kvs))
		copy(out, kvs)
	}
	clear(d.scratch[start:])
	d.scratch = d.scratch[:start]
	return out
}

// pushKV decodes a KeyValue and pushes it on the open list (depth 1) or the scratch stack.
func (d *wireDec) pushKV(b []byte, depth int) error {
	var f field
	var err error
	var key []byte
	var val msgBuf
	// Fast path for the encoding every producer emits: key (field 1) then value (field 2),
	// each once, with lengths below 128.
	if len(b) >= 4 && b[0] == 0x0a && b[1] < 0x80 && int(b[1])+4 <= len(b) {
		rest := b[2+int(b[1]):]
		if rest[0] == 0x12 && rest[1] < 0x80 && int(rest[1])+2 == len(rest) {
			key, val.b, val.n, b = b[2:2+int(b[1])], rest[2:], 1, nil
		}
	}
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return err
		}
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			key = f.b
		case f.num == 2 && f.typ == protowire.BytesType:
			val.add(f.b)
		}
	}
	if depth > 1 {
		// The scratch stack may move while the value decodes (nested kvlists push on it), so
		// decode into a local.
		var kv model.KeyValue
		kv.Key = d.s(key)
		if val.n > 0 {
			if err := d.value(val.b, depth, &kv.Value); err != nil {
				return err
			}
		}
		d.scratch = append(d.scratch, kv)
		return nil
	}
	// Fill the slot in place: the slab is zeroed memory, and setting only the fields in use
	// avoids copying whole 136-byte structs, which costs write barriers while the GC runs.
	if len(d.slab) == cap(d.slab) {
		d.growSlab()
	}
	d.slab = d.slab[:len(d.slab)+1]
	kv := &d.slab[len(d.slab)-1]
	d.pushed++
	kv.Key = d.s(key)
	if val.n > 0 {
		return d.value(val.b, depth, &kv.Value)
	}
	return nil
}

// value decodes an AnyValue at nesting level depth (1 for an attribute value or a body) into
// dst, which must be the zero Value.
func (d *wireDec) value(b []byte, depth int, dst *model.Value) error {
	if depth > maxValueDepth {
		d.flags |= flagTooDeep
		return nil
	}
	var kind protowire.Number // the oneof member seen last
	var num uint64
	var raw []byte
	var sub msgBuf
	var f field
	var err error
	// Fast path for a value that is one short string (the most common attribute value).
	if len(b) >= 2 && b[0] == 0x0a && b[1] < 0x80 && int(b[1])+2 == len(b) {
		kind, raw, b = 1, b[2:], nil
	}
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return err
		}
		switch f.num {
		case 1, 7:
			if f.typ == protowire.BytesType {
				kind, raw = f.num, f.b
			}
		case 2, 3, 8:
			if f.typ == protowire.VarintType {
				kind, num = f.num, f.v
			}
		case 4:
			if f.typ == protowire.Fixed64Type {
				kind, num = 4, f.v
			}
		case 5, 6:
			// A repeated message member of the oneof merges with the previous one only if
			// that was the same member.
			if f.typ == protowire.BytesType {
				if kind != f.num {
					sub = msgBuf{}
				}
				sub.add(f.b)
				kind = f.num
			}
		}
	}
	switch kind {
	case 1:
		dst.Kind, dst.Str = model.KindString, d.s(raw)
	case 2:
		dst.Kind, dst.Bool = model.KindBool, num != 0
	case 3:
		dst.Kind, dst.Int = model.KindInt, int64(num)
	case 4:
		dst.Kind, dst.Double = model.KindDouble, math.Float64frombits(num)
	case 7:
		dst.Kind = model.KindBytes
		if len(raw) > 0 {
			dst.Bytes = append([]byte(nil), raw...)
		}
	case 5:
		dst.Kind = model.KindArray
		n, err := d.count(sub.b, 1)
		if err != nil || n == 0 {
			return err
		}
		dst.Array = make([]model.Value, n)
		i := 0
		return d.eachBytes(sub.b, 1, func(e []byte) error {
			err := d.value(e, depth+1, &dst.Array[i])
			i++
			return err
		})
	case 6:
		start := len(d.scratch)
		if err := d.eachBytes(sub.b, 1, func(kv []byte) error { return d.pushKV(kv, depth+1) }); err != nil {
			return err
		}
		dst.Kind, dst.Map = model.KindMap, d.nestedEnd(start)
	}
	// 8 (string_value_strindex) and no member at all are the empty value.
	return nil
}

// eachBytes calls fn for every length-delimited occurrence of field num in b.
func (d *wireDec) eachBytes(b []byte, num protowire.Number, fn func([]byte) error) error {
	var f field
	var err error
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return err
		}
		if f.num == num && f.typ == protowire.BytesType {
			if err := fn(f.b); err != nil {
				return err
			}
		}
	}
	return nil
}

// header reads the singular fields of a ResourceX or ScopeX message: the resource or scope
// (field 1, merged) and schema_url (field 3).
func (d *wireDec) header(b []byte) (msg msgBuf, schema []byte, err error) {
	var f field
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return msg, nil, err
		}
		if f.typ == protowire.BytesType {
			switch f.num {
			case 1:
				msg.add(f.b)
			case 3:
				schema = f.b
			}
		}
	}
	return msg, schema, nil
}

func (d *wireDec) resource(b []byte) (*model.Resource, uint8, error) {
	msg, schema, err := d.header(b)
	if err != nil {
		return nil, 0, err
	}
	d.flags = 0
	res := &model.Resource{}
	d.listBegin()
	var f field
	for p := msg.b; len(p) > 0; {
		if p, err = d.next(p, &f); err != nil {
			return nil, 0, err
		}
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			if err := d.pushKV(f.b, 1); err != nil {
				return nil, 0, err
			}
		case f.num == 2 && f.typ == protowire.VarintType:
			res.DroppedAttributesCount = uint32(f.v)
		}
	}
	res.Attributes = d.listEnd()
	res.SchemaURL = d.s(schema)
	return res, d.flags, nil
}

func (d *wireDec) scope(b []byte) (*model.Scope, uint8, error) {
	msg, schema, err := d.header(b)
	if err != nil {
		return nil, 0, err
	}
	d.flags = 0
	sc := &model.Scope{}
	d.listBegin()
	var f field
	var name, version []byte
	for p := msg.b; len(p) > 0; {
		if p, err = d.next(p, &f); err != nil {
			return nil, 0, err
		}
		switch f.num {
		case 1:
			if f.typ == protowire.BytesType {
				name = f.b
			}
		case 2:
			if f.typ == protowire.BytesType {
				version = f.b
			}
		case 3:
			if f.typ == protowire.BytesType {
				if err := d.pushKV(f.b, 1); err != nil {
					return nil, 0, err
				}
			}
		case 4:
			if f.typ == protowire.VarintType {
				sc.DroppedAttributesCount = uint32(f.v)
			}
		}
	}
	sc.Name, sc.Version = d.s(name), d.s(version)
	sc.Attributes = d.listEnd()
	sc.SchemaURL = d.s(schema)
	return sc, d.flags, nil
}

// walk calls fn for each item of a request: every ResourceX (field 1 of the request), every
// ScopeX (field 2) in it and every item (field 2) in that, with the shared resource and scope.
func (d *wireDec) walk(fn func(item []byte, res *model.Resource, scope *model.Scope, parent string) error) error {
	return d.eachBytes(d.body, 1, func(rb []byte) error {
		res, resFlags, err := d.resource(rb)
		if err != nil {
			return err
		}
		return d.eachBytes(rb, 2, func(sb []byte) error {
			scope, scopeFlags, err := d.scope(sb)
			if err != nil {
				return err
			}
			parent := parentReason(resFlags, scopeFlags, 0)
			return d.eachBytes(sb, 2, func(item []byte) error { return fn(item, res, scope, parent) })
		})
	})
}

func (d *wireDec) logs() ([]model.LogRecord, error) {
	n, err := d.countPath(d.body, 1, 2, 2)
	if err != nil || n == 0 {
		return nil, err
	}
	d.itemsTotal = n
	out := make([]model.LogRecord, 0, n)
	err = d.walk(func(b []byte, res *model.Resource, scope *model.Scope, parent string) error {
		out = extend(out)
		rec := &out[len(out)-1]
		rec.Resource, rec.Scope = res, scope
		reason, err := d.logRecord(b, rec, parent)
		if err != nil {
			return err
		}
		if reason != "" {
			d.rej.add(reason)
			out[len(out)-1] = model.LogRecord{}
			out = out[:len(out)-1]
		}
		d.itemsDone++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (d *wireDec) logRecord(b []byte, rec *model.LogRecord, parent string) (string, error) {
	d.flags = 0
	m := d.mark()
	d.listBegin()
	var t uint64
	var traceID, spanID, sevText, eventName []byte
	var body msgBuf
	var f field
	var err error
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return "", err
		}
		switch f.num {
		case 1:
			if f.typ == protowire.Fixed64Type {
				t = f.v
			}
		case 2:
			if f.typ == protowire.VarintType {
				rec.SeverityNumber = model.SeverityNumber(int32(f.v))
			}
		case 3:
			if f.typ == protowire.BytesType {
				sevText = f.b
			}
		case 5:
			if f.typ == protowire.BytesType {
				body.add(f.b)
			}
		case 6:
			if f.typ == protowire.BytesType {
				if err := d.pushKV(f.b, 1); err != nil {
					return "", err
				}
			}
		case 7:
			if f.typ == protowire.VarintType {
				rec.DroppedAttributesCount = uint32(f.v)
			}
		case 8:
			if f.typ == protowire.Fixed32Type {
				rec.Flags = uint32(f.v)
			}
		case 9:
			if f.typ == protowire.BytesType {
				traceID = f.b
			}
		case 10:
			if f.typ == protowire.BytesType {
				spanID = f.b
			}
		case 11:
			if f.typ == protowire.Fixed64Type {
				rec.ObservedTimestamp = int64(f.v)
			}
		case 12:
			if f.typ == protowire.BytesType {
				eventName = f.b
			}
		}
	}
	rec.Attributes = d.listEnd()
	rec.SeverityText = d.s(sevText)
	rec.EventName = d.s(eventName)
	if body.n > 0 {
		if err = d.value(body.b, 1, &rec.Body); err != nil {
			return "", err
		}
	}
	if parent != "" {
		d.rollback(m)
		return parent, nil
	}
	ts, reason := checkLog(d.flags, t, uint64(rec.ObservedTimestamp), traceID, spanID, false)
	if reason != "" {
		d.rollback(m)
		return reason, nil
	}
	rec.Timestamp = ts
	rec.TraceID = toID16(traceID)
	rec.SpanID = toID8(spanID)
	return "", nil
}

func (d *wireDec) traces() ([]model.Span, error) {
	n, err := d.countPath(d.body, 1, 2, 2)
	if err != nil || n == 0 {
		return nil, err
	}
	d.itemsTotal = n
	out := make([]model.Span, 0, n)
	err = d.walk(func(b []byte, res *model.Resource, scope *model.Scope, parent string) error {
		out = extend(out)
		sp := &out[len(out)-1]
		sp.Resource, sp.Scope = res, scope
		reason, err := d.span(b, sp, parent)
		if err != nil {
			return err
		}
		if reason != "" {
			d.rej.add(reason)
			out[len(out)-1] = model.Span{}
			out = out[:len(out)-1]
		}
		d.itemsDone++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (d *wireDec) span(b []byte, s *model.Span, parent string) (string, error) {
	d.flags = 0
	m := d.mark()
	d.listBegin()
	var traceID, spanID, parentID, traceState, name []byte
	var startT, endT uint64
	var status msgBuf
	d.raws, d.raw2 = d.raws[:0], d.raw2[:0]
	var f field
	var err error
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return "", err
		}
		switch f.typ {
		case protowire.BytesType:
			switch f.num {
			case 1:
				traceID = f.b
			case 2:
				spanID = f.b
			case 3:
				traceState = f.b
			case 4:
				parentID = f.b
			case 5:
				name = f.b
			case 9:
				if err := d.pushKV(f.b, 1); err != nil {
					return "", err
				}
			case 11:
				d.raws = append(d.raws, f.b)
			case 13:
				d.raw2 = append(d.raw2, f.b)
			case 15:
				status.add(f.b)
			}
		case protowire.VarintType:
			switch f.num {
			case 6:
				s.Kind = model.SpanKind(int32(f.v))
			case 10:
				s.DroppedAttributesCount = uint32(f.v)
			case 12:
				s.DroppedEventsCount = uint32(f.v)
			case 14:
				s.DroppedLinksCount = uint32(f.v)
			}
		case protowire.Fixed64Type:
			switch f.num {
			case 7:
				startT = f.v
			case 8:
				endT = f.v
			}
		case protowire.Fixed32Type:
			if f.num == 16 {
				s.Flags = uint32(f.v)
			}
		}
	}
	s.Attributes = d.listEnd()
	s.TraceState, s.Name = d.s(traceState), d.s(name)
	if status.n > 0 {
		var msg []byte
		for p := status.b; len(p) > 0; {
			if p, err = d.next(p, &f); err != nil {
				return "", err
			}
			switch {
			case f.num == 2 && f.typ == protowire.BytesType:
				msg = f.b
			case f.num == 3 && f.typ == protowire.VarintType:
				s.StatusCode = model.StatusCode(int32(f.v))
			}
		}
		s.StatusMessage = d.s(msg)
	}
	// Events and links are decoded after the span's own fields because only one attribute
	// list can be open at a time.
	var evReason, linkReason string
	if len(d.raws) > 0 {
		s.Events = make([]model.SpanEvent, len(d.raws))
		for i, eb := range d.raws {
			ev := &s.Events[i]
			d.listBegin()
			var ename []byte
			for len(eb) > 0 {
				if eb, err = d.next(eb, &f); err != nil {
					return "", err
				}
				switch {
				case f.num == 1 && f.typ == protowire.Fixed64Type:
					ev.Timestamp = int64(f.v)
				case f.num == 2 && f.typ == protowire.BytesType:
					ename = f.b
				case f.num == 3 && f.typ == protowire.BytesType:
					if err := d.pushKV(f.b, 1); err != nil {
						return "", err
					}
				case f.num == 4 && f.typ == protowire.VarintType:
					ev.DroppedAttributesCount = uint32(f.v)
				}
			}
			ev.Name = d.s(ename)
			ev.Attributes = d.listEnd()
			if evReason == "" {
				evReason = checkEvent(uint64(ev.Timestamp))
			}
		}
	}
	if len(d.raw2) > 0 {
		s.Links = make([]model.SpanLink, len(d.raw2))
		for i, lb := range d.raw2 {
			l := &s.Links[i]
			d.listBegin()
			var ltrace, lspan, lstate []byte
			for len(lb) > 0 {
				if lb, err = d.next(lb, &f); err != nil {
					return "", err
				}
				switch f.typ {
				case protowire.BytesType:
					switch f.num {
					case 1:
						ltrace = f.b
					case 2:
						lspan = f.b
					case 3:
						lstate = f.b
					case 4:
						if err := d.pushKV(f.b, 1); err != nil {
							return "", err
						}
					}
				case protowire.VarintType:
					if f.num == 5 {
						l.DroppedAttributesCount = uint32(f.v)
					}
				case protowire.Fixed32Type:
					if f.num == 6 {
						l.Flags = uint32(f.v)
					}
				}
			}
			l.TraceID, l.SpanID, l.TraceState = toID16(ltrace), toID8(lspan), d.s(lstate)
			l.Attributes = d.listEnd()
			if linkReason == "" {
				linkReason = checkLink(ltrace, lspan, false)
			}
		}
	}
	reason := parent
	if reason == "" {
		reason = checkSpan(d.flags, traceID, spanID, parentID, startT, endT, false)
	}
	if reason == "" {
		reason = evReason
	}
	if reason == "" {
		reason = linkReason
	}
	if reason != "" {
		d.rollback(m)
		return reason, nil
	}
	s.TraceID, s.SpanID, s.ParentSpanID = toID16(traceID), toID8(spanID), toID8(parentID)
	s.StartTimestamp, s.EndTimestamp = int64(startT), int64(endT)
	return "", nil
}
