package otlpconv

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/heimsight/heimsight/pkg/model"
)

// Field numbers of the Metric.data oneof.
const (
	metricGauge         = 5
	metricSum           = 7
	metricHistogram     = 9
	metricExpHistogram  = 10
	metricSummary       = 11
	metricDataPointsNum = 1
)

func (d *wireDec) metrics() ([]model.MetricPoint, error) {
	n, err := d.countPoints()
	if err != nil || n == 0 {
		return nil, err
	}
	d.itemsTotal = n
	out := make([]model.MetricPoint, 0, n)
	err = d.eachBytes(d.body, 1, func(rb []byte) error {
		res, resFlags, err := d.resource(rb)
		if err != nil {
			return err
		}
		return d.eachBytes(rb, 2, func(sb []byte) error {
			scope, scopeFlags, err := d.scope(sb)
			if err != nil {
				return err
			}
			return d.eachBytes(sb, 2, func(mb []byte) error {
				out, err = d.metric(mb, out, res, scope, resFlags, scopeFlags)
				return err
			})
		})
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// countPoints bounds the number of data points in the request from above (every data field of
// a metric counts, even one that a later oneof member replaces).
func (d *wireDec) countPoints() (int, error) {
	n := 0
	err := d.eachBytes(d.body, 1, func(rb []byte) error {
		return d.eachBytes(rb, 2, func(sb []byte) error {
			return d.eachBytes(sb, 2, func(mb []byte) error {
				var f field
				var err error
				for len(mb) > 0 {
					if mb, err = d.next(mb, &f); err != nil {
						return err
					}
					if f.typ == protowire.BytesType && isDataField(f.num) {
						m, err := d.count(f.b, metricDataPointsNum)
						if err != nil {
							return err
						}
						n += m
					}
				}
				return nil
			})
		})
	})
	return n, err
}

func isDataField(num protowire.Number) bool {
	switch num {
	case metricGauge, metricSum, metricHistogram, metricExpHistogram, metricSummary:
		return true
	}
	return false
}

func (d *wireDec) metric(b []byte, out []model.MetricPoint, res *model.Resource, scope *model.Scope, resFlags, scopeFlags uint8) ([]model.MetricPoint, error) {
	var name, desc, unit []byte
	var kind protowire.Number
	var data msgBuf
	var f field
	var err error
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return out, err
		}
		if f.typ != protowire.BytesType {
			continue
		}
		switch f.num {
		case 1:
			name = f.b
		case 2:
			desc = f.b
		case 3:
			unit = f.b
		case metricGauge, metricSum, metricHistogram, metricExpHistogram, metricSummary:
			if kind != f.num {
				data = msgBuf{}
			}
			data.add(f.b)
			kind = f.num
		}
	}
	d.flags = 0
	base := model.MetricPoint{Name: d.s(name), Description: d.s(desc), Unit: d.s(unit), Resource: res, Scope: scope}
	parent := parentReason(resFlags, scopeFlags, d.flags)
	if kind == 0 {
		return out, nil
	}
	// The temporality and monotonic flag may follow the points on the wire: read them first.
	for p := data.b; len(p) > 0; {
		if p, err = d.next(p, &f); err != nil {
			return out, err
		}
		if f.typ != protowire.VarintType {
			continue
		}
		switch {
		case f.num == 2 && (kind == metricSum || kind == metricHistogram || kind == metricExpHistogram):
			base.Temporality = model.Temporality(int32(f.v))
		case f.num == 3 && kind == metricSum:
			base.IsMonotonic = f.v != 0
		}
	}
	switch kind {
	case metricGauge:
		base.Type = model.MetricGauge
	case metricSum:
		base.Type = model.MetricSum
	case metricHistogram:
		base.Type = model.MetricHistogram
	case metricExpHistogram:
		base.Type = model.MetricExponentialHistogram
	case metricSummary:
		base.Type = model.MetricSummary
		base.HasSum = true
	}
	err = d.eachBytes(data.b, metricDataPointsNum, func(pb []byte) error {
		out = extend(out)
		p := &out[len(out)-1]
		p.Name, p.Description, p.Unit, p.Type = base.Name, base.Description, base.Unit, base.Type
		p.Temporality, p.IsMonotonic, p.HasSum = base.Temporality, base.IsMonotonic, base.HasSum
		p.Resource, p.Scope = base.Resource, base.Scope
		var reason string
		var err error
		switch kind {
		case metricGauge, metricSum:
			reason, err = d.numberPoint(pb, p)
		case metricHistogram:
			reason, err = d.histogramPoint(pb, p)
		case metricExpHistogram:
			reason, err = d.expHistogramPoint(pb, p)
		case metricSummary:
			reason, err = d.summaryPoint(pb, p)
		}
		if err != nil {
			return err
		}
		if parent != "" {
			reason = parent
		}
		if reason != "" {
			d.rej.add(reason)
			out[len(out)-1] = model.MetricPoint{}
			out = out[:len(out)-1]
		}
		d.itemsDone++
		return nil
	})
	return out, err
}

// pointState is what a point decoder hands to finishPoint.
type pointState struct {
	mark      slabMark
	t, startT uint64
}

// finishPoint validates a point and moves its attributes and exemplars into place.
func (d *wireDec) finishPoint(p *model.MetricPoint, ps *pointState, extra string) (string, error) {
	p.Attributes = d.listEnd()
	exReason := ""
	if len(d.raws) > 0 {
		p.Exemplars = make([]model.Exemplar, len(d.raws))
		for i, eb := range d.raws {
			r, err := d.exemplar(eb, &p.Exemplars[i])
			if err != nil {
				return "", err
			}
			if exReason == "" {
				exReason = r
			}
		}
	}
	p.StartTimestamp, p.Timestamp = int64(ps.startT), int64(ps.t)
	reason := checkPoint(d.flags, ps.t, ps.startT)
	if reason == "" {
		reason = extra
	}
	if reason == "" {
		reason = exReason
	}
	if reason != "" {
		d.rollback(ps.mark)
		return reason, nil
	}
	return "", nil
}

func (d *wireDec) exemplar(b []byte, e *model.Exemplar) (string, error) {
	d.listBegin()
	var traceID, spanID []byte
	var f field
	var err error
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return "", err
		}
		switch f.typ {
		case protowire.BytesType:
			switch f.num {
			case 7:
				if err := d.pushKV(f.b, 1); err != nil {
					return "", err
				}
			case 4:
				spanID = f.b
			case 5:
				traceID = f.b
			}
		case protowire.Fixed64Type:
			switch f.num {
			case 2:
				e.Timestamp = int64(f.v)
			case 3:
				e.Value, e.IsInt = math.Float64frombits(f.v), false
			case 6:
				e.Value, e.IsInt = float64(int64(f.v)), true
			}
		}
	}
	e.TraceID, e.SpanID = toID16(traceID), toID8(spanID)
	e.FilteredAttributes = d.listEnd()
	return checkExemplar(uint64(e.Timestamp), traceID, spanID, false), nil
}

func (d *wireDec) numberPoint(b []byte, p *model.MetricPoint) (string, error) {
	d.flags = 0
	ps := pointState{mark: d.mark()}
	d.listBegin()
	d.raws = d.raws[:0]
	var f field
	var err error
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return "", err
		}
		switch f.typ {
		case protowire.BytesType:
			switch f.num {
			case 7:
				if err := d.pushKV(f.b, 1); err != nil {
					return "", err
				}
			case 5:
				d.raws = append(d.raws, f.b)
			}
		case protowire.Fixed64Type:
			switch f.num {
			case 2:
				ps.startT = f.v
			case 3:
				ps.t = f.v
			case 4:
				p.Value, p.IsInt = math.Float64frombits(f.v), false
			case 6:
				p.Value, p.IsInt = float64(int64(f.v)), true
			}
		case protowire.VarintType:
			if f.num == 8 {
				p.Flags = uint32(f.v)
			}
		}
	}
	return d.finishPoint(p, &ps, "")
}

func (d *wireDec) histogramPoint(b []byte, p *model.MetricPoint) (string, error) {
	d.flags = 0
	ps := pointState{mark: d.mark()}
	d.listBegin()
	d.raws = d.raws[:0]
	var f field
	var err error
	for len(b) > 0 {
		at := b
		if b, err = d.next(b, &f); err != nil {
			return "", err
		}
		switch f.typ {
		case protowire.BytesType:
			switch f.num {
			case 9:
				if err := d.pushKV(f.b, 1); err != nil {
					return "", err
				}
			case 8:
				d.raws = append(d.raws, f.b)
			case 6:
				if p.BucketCounts, err = d.packedFixed64(at, f.b, p.BucketCounts); err != nil {
					return "", err
				}
			case 7:
				if p.ExplicitBounds, err = d.packedDouble(at, f.b, p.ExplicitBounds); err != nil {
					return "", err
				}
			}
		case protowire.Fixed64Type:
			switch f.num {
			case 2:
				ps.startT = f.v
			case 3:
				ps.t = f.v
			case 4:
				p.Count = f.v
			case 5:
				p.Sum, p.HasSum = math.Float64frombits(f.v), true
			case 6:
				p.BucketCounts = append(p.BucketCounts, f.v)
			case 7:
				p.ExplicitBounds = append(p.ExplicitBounds, math.Float64frombits(f.v))
			case 11:
				p.Min, p.HasMin = math.Float64frombits(f.v), true
			case 12:
				p.Max, p.HasMax = math.Float64frombits(f.v), true
			}
		case protowire.VarintType:
			if f.num == 10 {
				p.Flags = uint32(f.v)
			}
		}
	}
	p.BucketCounts, p.ExplicitBounds = nilIfEmpty(p.BucketCounts), nilIfEmpty(p.ExplicitBounds)
	return d.finishPoint(p, &ps, checkBuckets(len(p.BucketCounts), len(p.ExplicitBounds)))
}

// packedFixed64 appends a packed repeated fixed64 field to dst.
func (d *wireDec) packedFixed64(at, b []byte, dst []uint64) ([]uint64, error) {
	if len(b)%8 != 0 {
		return dst, d.fail(at, "packed fixed64 field", codeTruncated)
	}
	if dst == nil && len(b) > 0 {
		dst = d.uint64s(len(b) / 8)
	}
	for ; len(b) > 0; b = b[8:] {
		v, _ := protowire.ConsumeFixed64(b)
		dst = append(dst, v)
	}
	return dst, nil
}

// packedDouble appends a packed repeated double field to dst.
func (d *wireDec) packedDouble(at, b []byte, dst []float64) ([]float64, error) {
	if len(b)%8 != 0 {
		return dst, d.fail(at, "packed double field", codeTruncated)
	}
	if dst == nil && len(b) > 0 {
		dst = d.float64s(len(b) / 8)
	}
	for ; len(b) > 0; b = b[8:] {
		v, _ := protowire.ConsumeFixed64(b)
		dst = append(dst, math.Float64frombits(v))
	}
	return dst, nil
}

// uint64s and float64s carve empty slices of capacity n out of shared slabs, so that bucket
// lists cost no allocation each. Appending beyond n (a field split over several occurrences)
// reallocates, which is fine.
func (d *wireDec) uint64s(n int) []uint64 {
	if cap(d.u64slab)-len(d.u64slab) < n {
		d.u64slab = make([]uint64, 0, max(n, 4096))
	}
	l := len(d.u64slab)
	d.u64slab = d.u64slab[:l+n]
	return d.u64slab[l : l : l+n]
}

func (d *wireDec) float64s(n int) []float64 {
	if cap(d.f64slab)-len(d.f64slab) < n {
		d.f64slab = make([]float64, 0, max(n, 4096))
	}
	l := len(d.f64slab)
	d.f64slab = d.f64slab[:l+n]
	return d.f64slab[l : l : l+n]
}

// packedVarint appends a packed repeated varint field to dst.
func (d *wireDec) packedVarint(at, b []byte, dst []uint64) ([]uint64, error) {
	if dst == nil {
		n := 0
		for _, c := range b {
			if c < 0x80 {
				n++
			}
		}
		if n > 0 {
			dst = d.uint64s(n)
		}
	}
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, d.fail(at, "packed varint field", n)
		}
		dst = append(dst, v)
		b = b[n:]
	}
	return dst, nil
}

func (d *wireDec) expHistogramPoint(b []byte, p *model.MetricPoint) (string, error) {
	d.flags = 0
	ps := pointState{mark: d.mark()}
	d.listBegin()
	d.raws = d.raws[:0]
	var pos, neg msgBuf
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
				if err := d.pushKV(f.b, 1); err != nil {
					return "", err
				}
			case 11:
				d.raws = append(d.raws, f.b)
			case 8:
				pos.add(f.b)
			case 9:
				neg.add(f.b)
			}
		case protowire.Fixed64Type:
			switch f.num {
			case 2:
				ps.startT = f.v
			case 3:
				ps.t = f.v
			case 4:
				p.Count = f.v
			case 5:
				p.Sum, p.HasSum = math.Float64frombits(f.v), true
			case 7:
				p.ZeroCount = f.v
			case 12:
				p.Min, p.HasMin = math.Float64frombits(f.v), true
			case 13:
				p.Max, p.HasMax = math.Float64frombits(f.v), true
			case 14:
				p.ZeroThreshold = math.Float64frombits(f.v)
			}
		case protowire.VarintType:
			switch f.num {
			case 6:
				p.Scale = int32(protowire.DecodeZigZag(f.v & math.MaxUint32))
			case 10:
				p.Flags = uint32(f.v)
			}
		}
	}
	if pos.n > 0 {
		if p.PositiveOffset, p.PositiveBucketCounts, err = d.buckets(pos.b); err != nil {
			return "", err
		}
	}
	if neg.n > 0 {
		if p.NegativeOffset, p.NegativeBucketCounts, err = d.buckets(neg.b); err != nil {
			return "", err
		}
	}
	return d.finishPoint(p, &ps, "")
}

func (d *wireDec) buckets(b []byte) (int32, []uint64, error) {
	var offset int32
	var counts []uint64
	var f field
	var err error
	for len(b) > 0 {
		at := b
		if b, err = d.next(b, &f); err != nil {
			return 0, nil, err
		}
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			offset = int32(protowire.DecodeZigZag(f.v & math.MaxUint32))
		case f.num == 2 && f.typ == protowire.BytesType:
			if counts, err = d.packedVarint(at, f.b, counts); err != nil {
				return 0, nil, err
			}
		case f.num == 2 && f.typ == protowire.VarintType:
			counts = append(counts, f.v)
		}
	}
	return offset, nilIfEmpty(counts), nil
}

func (d *wireDec) summaryPoint(b []byte, p *model.MetricPoint) (string, error) {
	d.flags = 0
	ps := pointState{mark: d.mark()}
	d.listBegin()
	d.raws = d.raws[:0]
	nq := 0
	var f field
	var err error
	// Quantiles are counted first so that their slice is allocated once.
	for q := b; len(q) > 0; {
		if q, err = d.next(q, &f); err != nil {
			return "", err
		}
		if f.num == 6 && f.typ == protowire.BytesType {
			nq++
		}
	}
	if nq > 0 {
		p.Quantiles = make([]model.QuantileValue, 0, nq)
	}
	for len(b) > 0 {
		if b, err = d.next(b, &f); err != nil {
			return "", err
		}
		switch f.typ {
		case protowire.BytesType:
			switch f.num {
			case 7:
				if err := d.pushKV(f.b, 1); err != nil {
					return "", err
				}
			case 6:
				var q model.QuantileValue
				var g field
				for qb := f.b; len(qb) > 0; {
					if qb, err = d.next(qb, &g); err != nil {
						return "", err
					}
					if g.typ == protowire.Fixed64Type {
						switch g.num {
						case 1:
							q.Quantile = math.Float64frombits(g.v)
						case 2:
							q.Value = math.Float64frombits(g.v)
						}
					}
				}
				p.Quantiles = append(p.Quantiles, q)
			}
		case protowire.Fixed64Type:
			switch f.num {
			case 2:
				ps.startT = f.v
			case 3:
				ps.t = f.v
			case 4:
				p.Count = f.v
			case 5:
				p.Sum = math.Float64frombits(f.v)
			}
		case protowire.VarintType:
			if f.num == 8 {
				p.Flags = uint32(f.v)
			}
		}
	}
	return d.finishPoint(p, &ps, "")
}
