package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/heimsight/heimsight/pkg/model"
)

// Result is the outcome of decoding one request.
type Result struct {
	Batch    model.Batch
	Rejected int64
	Errors   []RecordError // the first MaxReportedErrors rejections
}

func (r *Result) reject(i int, err error) {
	r.Rejected++
	if len(r.Errors) < MaxReportedErrors {
		r.Errors = append(r.Errors, RecordError{Index: i, Message: err.Error()})
	}
}

// RequestError is a whole-request failure: malformed JSON or an unknown field. Field names the
// unknown field, "" for syntax errors.
type RequestError struct {
	Index int // record index, -1 when not about one record
	Field string
	Err   error
}

func (e *RequestError) Error() string {
	var b strings.Builder
	if e.Index >= 0 {
		b.WriteString("record ")
		b.WriteString(strconv.Itoa(e.Index))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString("unknown field ")
		b.WriteString(strconv.Quote(e.Field))
		return b.String()
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RequestError) Unwrap() error { return e.Err }

// DecodeLogs decodes a log request body.
func DecodeLogs(body []byte) (Result, error) {
	return decodeRecords[LogRecord](body, func(b *model.Batch, r model.LogRecord) { b.Logs = append(b.Logs, r) })
}

// DecodeSpans decodes a trace request body.
func DecodeSpans(body []byte) (Result, error) {
	return decodeRecords[Span](body, func(b *model.Batch, r model.Span) { b.Spans = append(b.Spans, r) })
}

// DecodeMetrics decodes a metric request body.
func DecodeMetrics(body []byte) (Result, error) {
	return decodeRecords[MetricPoint](body, func(b *model.Batch, r model.MetricPoint) { b.Metrics = append(b.Metrics, r) })
}

// decodeRecords decodes a body of records of the form R: each is strictly unmarshalled (an
// unknown field fails the request), converted, and kept through add or rejected on its own.
func decodeRecords[R any, M any, P interface {
	*R
	toModel() (M, error)
}](body []byte, add func(*model.Batch, M)) (Result, error) {
	var res Result
	err := decodeEach(body, func(i int, raw []byte) error {
		var rec R
		if err := strictUnmarshal(raw, &rec); err != nil {
			return err
		}
		row, err := P(&rec).toModel()
		if err != nil {
			res.reject(i, err)
			return nil
		}
		add(&res.Batch, row)
		return nil
	}, &res)
	return res, err
}

// errUnknownField marks strictUnmarshal's unknown-field failures.
type unknownFieldError struct{ field string }

func (e *unknownFieldError) Error() string { return "unknown field " + strconv.Quote(e.field) }

// decodeEach splits the body into records (one object or an array of them) and calls f for
// each. f returns an error only for whole-request failures (unknown fields); type errors in a
// record reject that record.
func decodeEach(body []byte, f func(i int, raw []byte) error, res *Result) error {
	// JSON whitespace only: bytes.TrimSpace would also drop \v, \f and Unicode spaces, and a
	// body that encoding/json rejects as malformed would pass as a valid batch.
	body = bytes.Trim(body, " \t\r\n")
	if len(body) == 0 {
		return &RequestError{Index: -1, Err: errors.New("empty body: want a JSON object or an array of objects")}
	}
	var raws []json.RawMessage
	single := body[0] == '{'
	switch {
	case single:
		if !json.Valid(body) {
			return &RequestError{Index: -1, Err: syntaxError(body)}
		}
		raws = []json.RawMessage{body}
	case body[0] == '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return &RequestError{Index: -1, Err: syntaxError(body)}
		}
	default:
		return &RequestError{Index: -1, Err: errors.New("want a JSON object or an array of objects")}
	}
	for i, raw := range raws {
		if len(raw) == 0 || raw[0] != '{' {
			res.reject(i, errors.New("not a JSON object"))
			continue
		}
		// encoding/json would silently turn invalid UTF-8 into U+FFFD; refuse the record
		// instead, as the OTLP decoders do, so that stored text is what was sent.
		if !utf8.Valid(raw) {
			res.reject(i, errors.New("record contains invalid UTF-8"))
			continue
		}
		if err := f(i, raw); err != nil {
			var uf *unknownFieldError
			if errors.As(err, &uf) {
				idx := i
				if single {
					idx = -1
				}
				return &RequestError{Index: idx, Field: uf.field, Err: err}
			}
			res.reject(i, err)
		}
	}
	return nil
}

func syntaxError(body []byte) error {
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, se)
	}
	if err != nil {
		return fmt.Errorf("malformed JSON: %v", err)
	}
	return errors.New("malformed JSON")
}

// strictUnmarshal decodes one record, refusing unknown fields. Numbers in free-form values stay
// json.Number so integers keep their exact value.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	// encoding/json reports unknown fields only as text: `json: unknown field "x"`.
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		f, uerr := strconv.Unquote(strings.TrimPrefix(msg, "json: unknown field "))
		if uerr != nil {
			f = strings.TrimPrefix(msg, "json: unknown field ")
		}
		return &unknownFieldError{field: f}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q: cannot use JSON %s as %s", te.Field, te.Value, te.Type)
	}
	return err
}

// restScope is the instrumentation scope of every REST record; immutable, shared.
var restScope = &model.Scope{}

func resourceOf(service string, attrs map[string]any) (*model.Resource, error) {
	kvs, err := attributes("resource", attrs)
	if err != nil {
		return nil, err
	}
	if service != "" {
		found := false
		for i := range kvs {
			if kvs[i].Key == "service.name" {
				kvs[i].Value = model.StringValue(service)
				found = true
			}
		}
		if !found {
			kvs = append(model.Attributes{model.StringKV("service.name", service)}, kvs...)
		}
	}
	return &model.Resource{Attributes: kvs}, nil
}

// attributes converts a JSON object to attributes, sorted by key so that equal input gives equal
// rows.
func attributes(what string, m map[string]any) (model.Attributes, error) {
	if len(m) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(model.Attributes, 0, len(keys))
	for _, k := range keys {
		v, err := value(m[k], 0)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, k, err)
		}
		out = append(out, model.KV(k, v))
	}
	return out, nil
}

const maxDepth = 64

func value(v any, depth int) (model.Value, error) {
	if depth > maxDepth {
		return model.Value{}, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		return model.Value{}, nil
	case string:
		return model.StringValue(x), nil
	case bool:
		return model.BoolValue(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return model.IntValue(i), nil
		}
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) {
			return model.Value{}, fmt.Errorf("number %s out of range", x)
		}
		return model.DoubleValue(f), nil
	case float64:
		return model.DoubleValue(x), nil
	case []any:
		arr := make([]model.Value, len(x))
		for i, e := range x {
			ev, err := value(e, depth+1)
			if err != nil {
				return model.Value{}, err
			}
			arr[i] = ev
		}
		return model.ArrayValue(arr...), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		kvs := make([]model.KeyValue, len(keys))
		for i, k := range keys {
			ev, err := value(x[k], depth+1)
			if err != nil {
				return model.Value{}, err
			}
			kvs[i] = model.KV(k, ev)
		}
		return model.MapValue(kvs...), nil
	}
	return model.Value{}, fmt.Errorf("unsupported value of type %T", v)
}

func timeField(name string, t Time, required bool) (int64, error) {
	if t.bad != "" {
		return 0, fmt.Errorf("invalid %s %s: want Unix nanoseconds or an RFC 3339 timestamp", name, t.bad)
	}
	if t.ns < 0 {
		return 0, fmt.Errorf("invalid %s %d: before 1970", name, t.ns)
	}
	if required && t.ns == 0 {
		return 0, fmt.Errorf("missing %s: want a non-zero timestamp", name)
	}
	return t.ns, nil
}

var severityByText = map[string]model.SeverityNumber{
	"TRACE": 1, "DEBUG": 5, "INFO": 9, "INFORMATION": 9, "NOTICE": 10, "WARN": 13, "WARNING": 13,
	"ERROR": 17, "ERR": 17, "CRITICAL": 21, "FATAL": 21,
}

func (r *LogRecord) toModel() (model.LogRecord, error) {
	var out model.LogRecord
	var err error
	if out.Timestamp, err = timeField("timestamp", r.Timestamp, true); err != nil {
		return out, err
	}
	if out.ObservedTimestamp, err = timeField("observed_timestamp", r.ObservedTimestamp, false); err != nil {
		return out, err
	}
	if out.TraceID, err = model.ParseTraceID(r.TraceID); err != nil {
		return out, err
	}
	if out.SpanID, err = model.ParseSpanID(r.SpanID); err != nil {
		return out, err
	}
	out.SeverityText = r.Severity
	switch {
	case r.SeverityNumber != nil:
		if *r.SeverityNumber < 0 || *r.SeverityNumber > 24 {
			return out, fmt.Errorf("invalid severity_number %d: want 0..24", *r.SeverityNumber)
		}
		out.SeverityNumber = model.SeverityNumber(*r.SeverityNumber)
	case r.Severity != "":
		out.SeverityNumber = severityByText[strings.ToUpper(r.Severity)]
	}
	if r.Body != nil {
		if out.Body, err = value(r.Body, 0); err != nil {
			return out, fmt.Errorf("body: %w", err)
		}
	}
	if out.Attributes, err = attributes("attribute", r.Attributes); err != nil {
		return out, err
	}
	if out.Resource, err = resourceOf(r.Service, r.Resource); err != nil {
		return out, err
	}
	out.Flags = r.Flags
	out.EventName = r.EventName
	out.Scope = restScope
	return out, nil
}

var spanKinds = map[string]model.SpanKind{
	"": model.SpanKindUnspecified, "unspecified": model.SpanKindUnspecified, "internal": model.SpanKindInternal,
	"server": model.SpanKindServer, "client": model.SpanKindClient, "producer": model.SpanKindProducer,
	"consumer": model.SpanKindConsumer,
}

var statusCodes = map[string]model.StatusCode{
	"": model.StatusUnset, "unset": model.StatusUnset, "ok": model.StatusOK, "error": model.StatusError,
}

func (r *Span) toModel() (model.Span, error) {
	var out model.Span
	var err error
	if out.TraceID, err = requiredTraceID("trace_id", r.TraceID); err != nil {
		return out, err
	}
	if out.SpanID, err = requiredSpanID("span_id", r.SpanID); err != nil {
		return out, err
	}
	if out.ParentSpanID, err = model.ParseSpanID(r.ParentSpanID); err != nil {
		return out, err
	}
	if r.Name == "" {
		return out, errors.New("missing name")
	}
	out.Name = r.Name
	var ok bool
	if out.Kind, ok = spanKinds[strings.ToLower(r.Kind)]; !ok {
		return out, fmt.Errorf("invalid kind %q: want internal, server, client, producer or consumer", r.Kind)
	}
	if out.StatusCode, ok = statusCodes[strings.ToLower(r.Status)]; !ok {
		return out, fmt.Errorf("invalid status %q: want unset, ok or error", r.Status)
	}
	if out.StartTimestamp, err = timeField("start_time", r.StartTime, true); err != nil {
		return out, err
	}
	if out.EndTimestamp, err = timeField("end_time", r.EndTime, false); err != nil {
		return out, err
	}
	if out.EndTimestamp == 0 {
		if r.DurationNanos == nil {
			return out, errors.New("missing end_time or duration_ns")
		}
		if *r.DurationNanos < 0 || *r.DurationNanos > math.MaxInt64-out.StartTimestamp {
			return out, fmt.Errorf("invalid duration_ns %d", *r.DurationNanos)
		}
		out.EndTimestamp = out.StartTimestamp + *r.DurationNanos
	}
	if out.EndTimestamp < out.StartTimestamp {
		return out, errors.New("span ends before it starts")
	}
	out.TraceState = r.TraceState
	out.Flags = r.Flags
	out.StatusMessage = r.StatusMessage
	if out.Attributes, err = attributes("attribute", r.Attributes); err != nil {
		return out, err
	}
	if out.Resource, err = resourceOf(r.Service, r.Resource); err != nil {
		return out, err
	}
	for i, e := range r.Events {
		ev := model.SpanEvent{Name: e.Name}
		if ev.Timestamp, err = timeField("events["+strconv.Itoa(i)+"].timestamp", e.Timestamp, true); err != nil {
			return out, err
		}
		if ev.Attributes, err = attributes("event attribute", e.Attributes); err != nil {
			return out, err
		}
		out.Events = append(out.Events, ev)
	}
	for i, l := range r.Links {
		var lk model.SpanLink
		p := "links[" + strconv.Itoa(i) + "]."
		if lk.TraceID, err = requiredTraceID(p+"trace_id", l.TraceID); err != nil {
			return out, err
		}
		if lk.SpanID, err = requiredSpanID(p+"span_id", l.SpanID); err != nil {
			return out, err
		}
		lk.TraceState = l.TraceState
		if lk.Attributes, err = attributes("link attribute", l.Attributes); err != nil {
			return out, err
		}
		out.Links = append(out.Links, lk)
	}
	out.Scope = restScope
	return out, nil
}

func requiredTraceID(field, s string) (model.TraceID, error) {
	id, err := model.ParseTraceID(s)
	if err != nil {
		return id, fmt.Errorf("%s: %w", field, err)
	}
	if id.IsZero() {
		return id, fmt.Errorf("missing %s: want 32 hex digits, not all zero", field)
	}
	return id, nil
}

func requiredSpanID(field, s string) (model.SpanID, error) {
	id, err := model.ParseSpanID(s)
	if err != nil {
		return id, fmt.Errorf("%s: %w", field, err)
	}
	if id.IsZero() {
		return id, fmt.Errorf("missing %s: want 16 hex digits, not all zero", field)
	}
	return id, nil
}

var temporalities = map[string]model.Temporality{
	"": model.TemporalityCumulative, "cumulative": model.TemporalityCumulative, "delta": model.TemporalityDelta,
}

func (r *MetricPoint) toModel() (model.MetricPoint, error) {
	var out model.MetricPoint
	var err error
	if r.Name == "" {
		return out, errors.New("missing name")
	}
	out.Name, out.Description, out.Unit = r.Name, r.Description, r.Unit
	typ := r.Type
	if typ == "" {
		typ = "gauge"
	}
	var ok bool
	if out.Type, ok = model.ParseMetricType(strings.ToLower(typ)); !ok {
		return out, fmt.Errorf("invalid type %q: want gauge, sum, histogram, exponential_histogram or summary", r.Type)
	}
	if out.Timestamp, err = timeField("timestamp", r.Timestamp, true); err != nil {
		return out, err
	}
	if out.StartTimestamp, err = timeField("start_timestamp", r.StartTimestamp, false); err != nil {
		return out, err
	}
	if out.Attributes, err = attributes("attribute", r.Attributes); err != nil {
		return out, err
	}
	if out.Resource, err = resourceOf(r.Service, r.Resource); err != nil {
		return out, err
	}
	out.Scope = restScope
	if out.Type != model.MetricGauge && out.Type != model.MetricSummary {
		if out.Temporality, ok = temporalities[strings.ToLower(r.Temporality)]; !ok {
			return out, fmt.Errorf("invalid temporality %q: want delta or cumulative", r.Temporality)
		}
	}
	switch out.Type {
	case model.MetricGauge, model.MetricSum:
		if r.Value == nil {
			return out, fmt.Errorf("missing value for a %s", out.Type)
		}
		out.Value = *r.Value
		out.IsMonotonic = out.Type == model.MetricSum && r.Monotonic
	case model.MetricHistogram, model.MetricExponentialHistogram, model.MetricSummary:
		if r.Count == nil {
			return out, fmt.Errorf("missing count for a %s", out.Type)
		}
		out.Count = *r.Count
		if r.Sum != nil {
			out.Sum, out.HasSum = *r.Sum, true
		}
		if out.Type != model.MetricSummary {
			if r.Min != nil {
				out.Min, out.HasMin = *r.Min, true
			}
			if r.Max != nil {
				out.Max, out.HasMax = *r.Max, true
			}
		}
	}
	switch out.Type {
	case model.MetricHistogram:
		if len(r.BucketCounts) != 0 || len(r.ExplicitBounds) != 0 {
			if len(r.BucketCounts) != len(r.ExplicitBounds)+1 {
				return out, fmt.Errorf("%d bucket_counts for %d explicit_bounds: want bounds+1", len(r.BucketCounts), len(r.ExplicitBounds))
			}
			if !slices.IsSorted(r.ExplicitBounds) {
				return out, errors.New("explicit_bounds are not in increasing order")
			}
		}
		out.BucketCounts, out.ExplicitBounds = r.BucketCounts, r.ExplicitBounds
	case model.MetricExponentialHistogram:
		out.Scale, out.ZeroCount, out.ZeroThreshold = r.Scale, r.ZeroCount, r.ZeroThreshold
		if r.Positive != nil {
			out.PositiveOffset, out.PositiveBucketCounts = r.Positive.Offset, r.Positive.BucketCounts
		}
		if r.Negative != nil {
			out.NegativeOffset, out.NegativeBucketCounts = r.Negative.Offset, r.Negative.BucketCounts
		}
	case model.MetricSummary:
		for _, q := range r.Quantiles {
			if q.Quantile < 0 || q.Quantile > 1 {
				return out, fmt.Errorf("invalid quantile %v: want 0..1", q.Quantile)
			}
			out.Quantiles = append(out.Quantiles, model.QuantileValue{Quantile: q.Quantile, Value: q.Value})
		}
	}
	return out, nil
}
