package ingest

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/heimsight/heimsight/pkg/model"
)

// ErrTooManyRecords is wrapped by Submit's error for a request with more records than
// Limits.MaxRecords. It is not retryable: the client must send smaller batches.
var ErrTooManyRecords = errors.New("too many records in one request")

// Limits bound what one request may contain. They follow the OpenTelemetry SDK attribute
// limits: attributes beyond MaxAttributes are dropped (and counted in the record's
// dropped_attributes_count) and string values longer than MaxValueLength are truncated, rather
// than the record being refused, because the rest of the record is still worth keeping and
// OTLP has a field for exactly this.
type Limits struct {
	// MaxRecords is the most log records, spans or data points (valid or not) in one request.
	// A larger request is refused whole. 0: unlimited.
	MaxRecords int
	// MaxAttributes is the most attributes kept in one attribute list: of a record, resource,
	// instrumentation scope, span event, span link or exemplar. The first MaxAttributes are kept.
	// 0: unlimited.
	MaxAttributes int
	// MaxValueLength is the longest string or bytes attribute value, in bytes; longer values are
	// cut at a UTF-8 character boundary. It applies inside array and map values too. Log bodies
	// are not attributes and are bounded only by the request size. 0: unlimited.
	MaxValueLength int
}

// DefaultLimits are the documented defaults: 50,000 records (six times the Collector's default
// batch of 8,192), the SDK's default of 128 attributes, and 64 KiB values.
func DefaultLimits() Limits {
	return Limits{MaxRecords: 50_000, MaxAttributes: 128, MaxValueLength: 64 << 10}
}

// Adjusted reports what Submit changed in a batch to fit the limits.
type Adjusted struct {
	DroppedAttributes int64
	TruncatedValues   int64
	limits            Limits
}

// Message is a short warning for OTLP partial_success.error_message or the REST answer, "" when
// nothing was changed.
func (a Adjusted) Message() string {
	var parts []string
	if a.DroppedAttributes > 0 {
		parts = append(parts, strconv.FormatInt(a.DroppedAttributes, 10)+" attributes dropped over the limit of "+
			strconv.Itoa(a.limits.MaxAttributes)+" per record")
	}
	if a.TruncatedValues > 0 {
		parts = append(parts, strconv.FormatInt(a.TruncatedValues, 10)+" attribute values truncated to "+
			strconv.Itoa(a.limits.MaxValueLength)+" bytes")
	}
	return strings.Join(parts, "; ")
}

// JoinMessages joins non-empty warnings with "; ".
func JoinMessages(msgs ...string) string {
	var parts []string
	for _, m := range msgs {
		if m != "" {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, "; ")
}

// limiter applies Limits to one batch. It edits the batch in place: decoded batches own their
// slices (see otlpconv.Result and rest.Result), and the store copies what it keeps.
type limiter struct {
	maxAttrs, maxLen int
	dropped          int64
	truncated        int64
}

func (l *limiter) apply(b *model.Batch) {
	// Resources and scopes are shared by the records of one resource or scope block. Each is
	// fixed once per run of records that share it; fixing is idempotent, so a resource met again
	// after another one is already within the limits and is neither changed nor counted twice.
	var lastRes *model.Resource
	var lastScope *model.Scope
	fixParents := func(r *model.Resource, s *model.Scope) {
		if r != nil && r != lastRes {
			lastRes = r
			r.Attributes = l.attrs(r.Attributes, &r.DroppedAttributesCount)
		}
		if s != nil && s != lastScope {
			lastScope = s
			s.Attributes = l.attrs(s.Attributes, &s.DroppedAttributesCount)
		}
	}
	for i := range b.Logs {
		r := &b.Logs[i]
		r.Attributes = l.attrs(r.Attributes, &r.DroppedAttributesCount)
		fixParents(r.Resource, r.Scope)
	}
	for i := range b.Spans {
		s := &b.Spans[i]
		s.Attributes = l.attrs(s.Attributes, &s.DroppedAttributesCount)
		for j := range s.Events {
			e := &s.Events[j]
			e.Attributes = l.attrs(e.Attributes, &e.DroppedAttributesCount)
		}
		for j := range s.Links {
			k := &s.Links[j]
			k.Attributes = l.attrs(k.Attributes, &k.DroppedAttributesCount)
		}
		fixParents(s.Resource, s.Scope)
	}
	for i := range b.Metrics {
		m := &b.Metrics[i]
		// Data points have no dropped_attributes_count; the drop is still counted and reported.
		m.Attributes = l.attrs(m.Attributes, nil)
		for j := range m.Exemplars {
			e := &m.Exemplars[j]
			e.FilteredAttributes = l.attrs(e.FilteredAttributes, nil)
		}
		fixParents(m.Resource, m.Scope)
	}
}

func (l *limiter) attrs(kvs model.Attributes, dropped *uint32) model.Attributes {
	if l.maxAttrs > 0 && len(kvs) > l.maxAttrs {
		n := len(kvs) - l.maxAttrs
		clear(kvs[l.maxAttrs:]) // release the dropped values' memory with the batch
		kvs = kvs[:l.maxAttrs]
		l.dropped += int64(n)
		if dropped != nil {
			*dropped = uint32(min(int64(*dropped)+int64(n), math.MaxUint32))
		}
	}
	if l.maxLen > 0 {
		for i := range kvs {
			// Strings inline: they are nearly every attribute, and this runs for each one.
			v := &kvs[i].Value
			if v.Kind == model.KindString {
				if len(v.Str) > l.maxLen {
					v.Str = truncateUTF8(v.Str, l.maxLen)
					l.truncated++
				}
			} else if v.Kind >= model.KindBytes {
				l.value(v)
			}
		}
	}
	return kvs
}

func (l *limiter) value(v *model.Value) {
	switch v.Kind {
	case model.KindString:
		if len(v.Str) > l.maxLen {
			v.Str = truncateUTF8(v.Str, l.maxLen)
			l.truncated++
		}
	case model.KindBytes:
		if len(v.Bytes) > l.maxLen {
			v.Bytes = v.Bytes[:l.maxLen:l.maxLen]
			l.truncated++
		}
	case model.KindArray:
		for i := range v.Array {
			l.value(&v.Array[i])
		}
	case model.KindMap:
		for i := range v.Map {
			l.value(&v.Map[i].Value)
		}
	}
}

// truncateUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence. The result is a
// copy, so the stored value does not pin the whole original string.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut])
}
