package otlpconv

import (
	"math"
	"strconv"
	"strings"

	"github.com/heimsight/heimsight/pkg/model"
)

// Signal names the kind of telemetry in an export request.
type Signal uint8

// The signals.
const (
	SignalLogs Signal = iota + 1
	SignalTraces
	SignalMetrics
)

// String returns "logs", "traces" or "metrics".
func (s Signal) String() string {
	switch s {
	case SignalLogs:
		return "logs"
	case SignalTraces:
		return "traces"
	case SignalMetrics:
		return "metrics"
	}
	return "signal(" + strconv.Itoa(int(s)) + ")"
}

// Result is the outcome of converting one export request.
type Result struct {
	// Batch holds the accepted rows. Strings and slices in it never alias the request body
	// passed to DecodeProto or DecodeJSON; rows from Logs, Traces and Metrics may share byte
	// slices with the request structs.
	Batch model.Batch
	// Rejected counts rejected log records, spans or data points (OTLP partial_success).
	Rejected int64
	// ErrorMessage gives the reasons for the rejections, "" when there are none. It is bounded:
	// the first few distinct reasons with their counts, then "and N more".
	ErrorMessage string
}

// maxReasons bounds the distinct reasons listed in ErrorMessage, so a request with a million
// bad records still gets a short reply.
const maxReasons = 3

// rejections accumulates rejected items and their reasons in order of first occurrence.
type rejections struct {
	n       int64
	reasons [maxReasons]string
	counts  [maxReasons]int64
	nr      int
	other   int64
}

func (r *rejections) add(reason string) {
	r.n++
	for i := 0; i < r.nr; i++ {
		if r.reasons[i] == reason {
			r.counts[i]++
			return
		}
	}
	if r.nr < maxReasons {
		r.reasons[r.nr] = reason
		r.counts[r.nr] = 1
		r.nr++
		return
	}
	r.other++
}

func (r *rejections) message() string {
	if r.n == 0 {
		return ""
	}
	var b strings.Builder
	for i := 0; i < r.nr; i++ {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r.reasons[i])
		if r.counts[i] > 1 {
			b.WriteString(" (")
			b.WriteString(strconv.FormatInt(r.counts[i], 10))
			b.WriteString(" times)")
		}
	}
	if r.other > 0 {
		b.WriteString("; and ")
		b.WriteString(strconv.FormatInt(r.other, 10))
		b.WriteString(" more")
	}
	return b.String()
}

// maxValueDepth bounds how deeply arrays and kvlists may nest in one attribute or body value.
// Real telemetry nests a few levels; the bound keeps decoding from recursing without limit.
const maxValueDepth = 64

// Problems found while converting one item (or its resource, scope or metric). They are bits,
// not a first-found reason, so that the reported reason does not depend on the order in which
// the two decoders happen to visit fields.
const (
	flagBadUTF8 uint8 = 1 << iota
	flagTooDeep
)

func flagReason(what string, flags uint8) string {
	if flags&flagBadUTF8 != 0 {
		return what + " contains invalid UTF-8"
	}
	return what + " has a value nested more than " + strconv.Itoa(maxValueDepth) + " levels deep"
}

// parentReason is the reason for rejecting an item because of its resource or scope (or
// metric), "" when they are fine.
func parentReason(res, scope, metric uint8) string {
	switch {
	case res != 0:
		return flagReason("resource", res)
	case scope != 0:
		return flagReason("instrumentation scope", scope)
	case metric != 0:
		return flagReason("metric", metric)
	}
	return ""
}

// badHexID stands in, on the OTLP/JSON path, for an id that was not valid hex: the JSON
// rewriter cannot reject a record itself, so it hands this marker on to the converter. Its
// length matches no valid id, so it is rejected whatever the mode. It is short so that its
// base64 form fits in the place of the hex string it replaces (see rewriteIDs).
var badHexID = []byte{0xba, 0xad, 0x1d}

// checkID returns "" when id is acceptable, else the reason to reject the item.
func checkID(item, field string, id []byte, want int, optional, nonZero, hexMode bool) string {
	if len(id) == 0 {
		if optional {
			return ""
		}
		return item + " has no " + field
	}
	if len(id) != want {
		if hexMode {
			if string(id) == string(badHexID) {
				return item + " has a " + field + " that is not valid hex"
			}
			return item + " has a " + field + " of " + strconv.Itoa(2*len(id)) + " hex digits (want " + strconv.Itoa(2*want) + ")"
		}
		return item + " has a " + strconv.Itoa(len(id)) + "-byte " + field + " (want " + strconv.Itoa(want) + ")"
	}
	if nonZero && allZero(id) {
		return item + " has an all-zero " + field
	}
	return ""
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func inRange(ns uint64) bool { return ns <= math.MaxInt64 }

// checkLog validates a log record's timestamps and ids and returns its event time.
func checkLog(flags uint8, t, observed uint64, traceID, spanID []byte, hexMode bool) (int64, string) {
	if flags != 0 {
		return 0, flagReason("log record", flags)
	}
	ts := t
	if ts == 0 {
		ts = observed
	}
	if ts == 0 {
		return 0, "log record has no timestamp"
	}
	if !inRange(ts) || !inRange(observed) {
		return 0, "log record timestamp is out of range"
	}
	if r := checkID("log record", "trace_id", traceID, 16, true, false, hexMode); r != "" {
		return 0, r
	}
	if r := checkID("log record", "span_id", spanID, 8, true, false, hexMode); r != "" {
		return 0, r
	}
	return int64(ts), ""
}

// checkSpan validates a span's own ids and times (links and events are checked separately).
func checkSpan(flags uint8, traceID, spanID, parent []byte, start, end uint64, hexMode bool) string {
	if flags != 0 {
		return flagReason("span", flags)
	}
	if r := checkID("span", "trace_id", traceID, 16, false, true, hexMode); r != "" {
		return r
	}
	if r := checkID("span", "span_id", spanID, 8, false, true, hexMode); r != "" {
		return r
	}
	if r := checkID("span", "parent_span_id", parent, 8, true, false, hexMode); r != "" {
		return r
	}
	if start == 0 {
		return "span has no start time"
	}
	if !inRange(start) || !inRange(end) {
		return "span timestamp is out of range"
	}
	if end < start {
		return "span ends before it starts"
	}
	return ""
}

func checkLink(traceID, spanID []byte, hexMode bool) string {
	if r := checkID("span link", "trace_id", traceID, 16, false, true, hexMode); r != "" {
		return r
	}
	return checkID("span link", "span_id", spanID, 8, false, true, hexMode)
}

func checkPoint(flags uint8, t, start uint64) string {
	if flags != 0 {
		return flagReason("data point", flags)
	}
	if t == 0 {
		return "data point has no timestamp"
	}
	if !inRange(t) || !inRange(start) {
		return "data point timestamp is out of range"
	}
	return ""
}

func checkBuckets(counts, bounds int) string {
	if counts == 0 && bounds == 0 || counts == bounds+1 {
		return ""
	}
	return "histogram data point has " + strconv.Itoa(counts) + " bucket counts for " + strconv.Itoa(bounds) + " explicit bounds (want bounds+1)"
}

func checkExemplar(t uint64, traceID, spanID []byte, hexMode bool) string {
	if !inRange(t) {
		return "exemplar timestamp is out of range"
	}
	if r := checkID("exemplar", "trace_id", traceID, 16, true, false, hexMode); r != "" {
		return r
	}
	return checkID("exemplar", "span_id", spanID, 8, true, false, hexMode)
}

func checkEvent(t uint64) string {
	if !inRange(t) {
		return "span event timestamp is out of range"
	}
	return ""
}

// dedupKVs removes duplicate keys in place: the value of the last occurrence wins, at the
// position of the first. Freed slots at the end are zeroed. The common case, no duplicates,
// moves nothing.
func dedupKVs(kvs []model.KeyValue) []model.KeyValue {
	if len(kvs) < 2 {
		return kvs
	}
	if len(kvs) > 32 {
		return dedupKVsMap(kvs)
	}
	for i := 1; i < len(kvs); i++ {
		k := kvs[i].Key
		for j := 0; j < i; j++ {
			if kvs[j].Key == k {
				return dedupKVsFrom(kvs, i)
			}
		}
	}
	return kvs
}

// dedupKVsFrom handles a list whose first duplicate is at index first.
func dedupKVsFrom(kvs []model.KeyValue, first int) []model.KeyValue {
	out := kvs[:first]
	for i := first; i < len(kvs); i++ {
		k := kvs[i].Key
		dup := false
		for j := range out {
			if out[j].Key == k {
				out[j].Value = kvs[i].Value
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, kvs[i])
		}
	}
	clear(kvs[len(out):])
	return out
}

func dedupKVsMap(kvs []model.KeyValue) []model.KeyValue {
	idx := make(map[string]int, len(kvs))
	out := kvs[:0]
	for i := range kvs {
		if j, ok := idx[kvs[i].Key]; ok {
			out[j].Value = kvs[i].Value
			continue
		}
		idx[kvs[i].Key] = len(out)
		out = append(out, kvs[i])
	}
	clear(kvs[len(out):])
	return out
}

func toID16(b []byte) (id model.TraceID) { copy(id[:], b); return }
func toID8(b []byte) (id model.SpanID)   { copy(id[:], b); return }
