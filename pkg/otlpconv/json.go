package otlpconv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// DecodeJSON decodes an OTLP/JSON export request body (already decompressed) of the given
// signal. An error means the body is not valid OTLP/JSON and nothing is accepted; unknown
// fields are ignored, and ids that are not valid hex reject only their record.
func DecodeJSON(sig Signal, body []byte) (Result, error) {
	// OTLP/JSON differs from protojson only in the encoding of ids (hex, not base64): rewrite
	// them in one pass, then let protojson handle names, enums and 64-bit integers.
	buf := rewriteIDs(body)
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	var msg proto.Message
	switch sig {
	case SignalLogs:
		msg = &collogspb.ExportLogsServiceRequest{}
	case SignalTraces:
		msg = &coltracepb.ExportTraceServiceRequest{}
	case SignalMetrics:
		msg = &colmetricspb.ExportMetricsServiceRequest{}
	default:
		return Result{}, fmt.Errorf("cannot decode OTLP JSON: unknown signal %d", sig)
	}
	if err := opts.Unmarshal(buf, msg); err != nil {
		return Result{}, fmt.Errorf("cannot decode OTLP %s JSON: %w", sig, err)
	}
	switch m := msg.(type) {
	case *collogspb.ExportLogsServiceRequest:
		return logsFromStructs(m, true), nil
	case *coltracepb.ExportTraceServiceRequest:
		return tracesFromStructs(m, true), nil
	default:
		return metricsFromStructs(m.(*colmetricspb.ExportMetricsServiceRequest), true), nil
	}
}

// isIDKey reports whether a JSON object key names a trace or span id. These names are ids
// wherever they occur in OTLP (records, spans, links, exemplars); attribute keys are values of
// a "key" member, never object keys, so they cannot collide.
func isIDKey(k []byte) bool {
	switch string(k) {
	case "traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id":
		return true
	}
	return false
}

// rewriteIDs returns body with every id value turned from hex into base64, the form protojson
// expects. The base64 text is padded with spaces after the closing quote so that every other
// byte keeps its offset and protojson's error positions still point into the caller's body.
// Malformed JSON passes through for protojson to report.
func rewriteIDs(body []byte) []byte {
	var out []byte
	last := 0 // body[last:] is not yet copied to out
	for i := 0; i < len(body); {
		c := body[i]
		if c != '"' {
			i++
			continue
		}
		end := stringEnd(body, i)
		if end < 0 {
			break
		}
		key := body[i+1 : end-1]
		j := skipSpace(body, end)
		if j >= len(body) || body[j] != ':' || !isIDKey(key) {
			i = end
			continue
		}
		j = skipSpace(body, j+1)
		if j >= len(body) || body[j] != '"' {
			i = j
			continue
		}
		vend := stringEnd(body, j)
		if vend < 0 {
			break
		}
		if out == nil {
			out = make([]byte, 0, len(body)+16)
		}
		out = append(out, body[last:j]...)
		out = appendIDValue(out, body[j:vend])
		last, i = vend, vend
	}
	if out == nil {
		return body
	}
	return append(out, body[last:]...)
}

// stringEnd returns the index just past the JSON string starting at body[i] == '"', or -1.
func stringEnd(body []byte, i int) int {
	for k := i + 1; k < len(body); k++ {
		switch body[k] {
		case '\\':
			k++
		case '"':
			return k + 1
		}
	}
	return -1
}

func skipSpace(body []byte, i int) int {
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
		i++
	}
	return i
}

// appendIDValue appends the base64 form of the quoted hex string q, padded to len(q) when
// that is possible.
func appendIDValue(out, q []byte) []byte {
	hexText := q[1 : len(q)-1]
	if bytes.IndexByte(hexText, '\\') >= 0 {
		var s string
		if json.Unmarshal(q, &s) != nil {
			return append(out, q...)
		}
		hexText = []byte(s)
	}
	id, ok := decodeHex(hexText)
	if !ok {
		id = badHexID
	}
	start := len(out)
	out = append(out, '"')
	out = base64.StdEncoding.AppendEncode(out, id)
	out = append(out, '"')
	for len(out)-start < len(q) {
		out = append(out, ' ')
	}
	return out
}

func decodeHex(h []byte) ([]byte, bool) {
	if len(h)%2 != 0 {
		return nil, false
	}
	id := make([]byte, len(h)/2)
	for i := range id {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		id[i] = hi<<4 | lo
	}
	return id, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
