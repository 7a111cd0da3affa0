package otlpconv

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

type wireCase struct {
	name string
	sig  Signal
	body []byte
}

// Raw encoders for bodies that proto.Marshal cannot produce (repeated singular fields,
// invalid UTF-8, unpacked packed fields, wrong wire types).
func msg(fields ...[]byte) []byte { return concat(fields...) }
func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
func fBytes(num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
}
func fStr(num protowire.Number, s string) []byte { return fBytes(num, []byte(s)) }
func fVarint(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}
func fFixed64(num protowire.Number, v uint64) []byte {
	return protowire.AppendFixed64(protowire.AppendTag(nil, num, protowire.Fixed64Type), v)
}
func fFixed32(num protowire.Number, v uint32) []byte {
	return protowire.AppendFixed32(protowire.AppendTag(nil, num, protowire.Fixed32Type), v)
}

func rawKV(k string, val []byte) []byte { return msg(fStr(1, k), fBytes(2, val)) }

// rawLogs wraps raw log records into a request with a raw resource.
func rawLogs(resource []byte, recs ...[]byte) []byte {
	var sl []byte
	for _, r := range recs {
		sl = append(sl, fBytes(2, r)...)
	}
	rl := concat(fBytes(1, resource), fBytes(2, sl))
	return fBytes(1, rl)
}

// mergedLogs repeats singular fields: resource twice, time twice, body five times with the
// oneof switching between members.
func mergedLogs() []byte {
	body := concat(
		fBytes(5, fBytes(5, fBytes(1, fStr(1, "x")))),
		fBytes(5, fBytes(5, fBytes(1, fVarint(3, 7)))),
		fBytes(5, fStr(1, "s")),
		fBytes(5, fBytes(6, fBytes(1, rawKV("k", fVarint(2, 1))))),
		fBytes(5, fBytes(6, fBytes(1, rawKV("k", fVarint(3, 2))))),
	)
	rec := concat(fFixed64(1, 5), body, fFixed64(1, 9))
	rl := concat(
		fBytes(1, fBytes(1, rawKV("a", fStr(1, "1")))),
		fBytes(2, fBytes(2, rec)),
		fBytes(1, msg(fBytes(1, rawKV("b", fStr(1, "2"))), fVarint(2, 3))),
	)
	return fBytes(1, rl)
}

func wireCases() []wireCase {
	goodRec := msg(fFixed64(1, 5), fBytes(6, rawKV("a", fStr(1, "x"))))
	return []wireCase{
		{"invalid utf-8 in one record", SignalLogs, rawLogs(nil, goodRec, msg(fFixed64(1, 6), fStr(3, "bad\xff")), goodRec)},
		{"invalid utf-8 in resource", SignalLogs, rawLogs(fBytes(1, rawKV("k\xfe", fStr(1, "v"))), goodRec)},
		{"merged body and resource", SignalLogs, mergedLogs()},
		{"wrong wire types are skipped", SignalLogs, rawLogs(nil, msg(fVarint(1, 5), fFixed64(1, 8), fFixed64(3, 1), fStr(2, "x"), fFixed32(12, 1)))},
		{"unpacked and split packed buckets", SignalMetrics, inRequest(msg(fStr(1, "h"), fBytes(9, msg(fVarint(2, 1), fBytes(1, msg(
			fFixed64(3, 1), fFixed64(6, 1), fFixed64(6, 2), fBytes(6, protowire.AppendFixed64(nil, 3)),
			fFixed64(7, 0x3ff0000000000000), fBytes(7, protowire.AppendFixed64(nil, 0x4000000000000000)))))))),
		},
		{"oneof switches drop earlier data", SignalMetrics, inRequest(msg(
			fBytes(5, fBytes(1, fFixed64(3, 1))), fBytes(7, fBytes(1, fFixed64(3, 2))),
			fBytes(5, fBytes(1, fFixed64(3, 3))), fBytes(5, fBytes(1, fFixed64(3, 4))))),
		},
		{"exp histogram buckets unpacked and merged", SignalMetrics, inRequest(fBytes(10, fBytes(1, msg(
			fFixed64(3, 1), fBytes(8, msg(fVarint(1, 3), fVarint(2, 4))), fBytes(8, fBytes(2, []byte{1, 0x80, 1})), fVarint(6, 5))))),
		},
		{"span status merged", SignalTraces, inRequest(msg(fBytes(1, tid1), fBytes(2, sid1), fFixed64(7, 1), fFixed64(8, 2),
			fBytes(15, fVarint(3, 2)), fBytes(15, fStr(2, "m")), fBytes(11, fStr(2, "e")), fBytes(13, msg(fBytes(1, tid1), fBytes(2, sid2))))),
		},
	}
}

// inRequest wraps one item (log record, span or metric) in a request without resource or scope.
func inRequest(item []byte) []byte { return fBytes(1, fBytes(2, fBytes(2, item))) }

func TestWireCasesAgree(t *testing.T) {
	for _, c := range wireCases() {
		t.Run(c.name, func(t *testing.T) {
			if strings.HasPrefix(c.name, "invalid utf-8") {
				// proto.Unmarshal refuses these; TestWireInvalidUTF8RejectsOnlyItsRecord checks them.
				checkDifferential(t, c.sig, c.body)
				return
			}
			mustAgree(t, c.sig, c.body)
		})
	}
}

func TestWireMergesFields(t *testing.T) {
	res := mustDecode(t, SignalLogs, wireCases()[2].body)
	if len(res.Batch.Logs) != 1 {
		t.Fatalf("got %+v", res)
	}
	r := res.Batch.Logs[0]
	// The second time_unix_nano wins; the body's last oneof member (a kvlist given twice) is
	// merged; both resource occurrences contribute attributes and the last dropped count.
	if r.Timestamp != 9 || r.Body.Kind.String() != "kvlist" || len(r.Body.Map) != 1 || r.Body.Map[0].Value.Int != 2 {
		t.Errorf("record %+v", r)
	}
	if len(r.Resource.Attributes) != 2 || r.Resource.DroppedAttributesCount != 3 {
		t.Errorf("resource %+v", r.Resource)
	}
}

func TestWireInvalidUTF8RejectsOnlyItsRecord(t *testing.T) {
	res := mustDecode(t, SignalLogs, wireCases()[0].body)
	if len(res.Batch.Logs) != 2 || res.Rejected != 1 || res.ErrorMessage != "log record contains invalid UTF-8" {
		t.Fatalf("got %d logs, %d rejected, %q", len(res.Batch.Logs), res.Rejected, res.ErrorMessage)
	}
	res = mustDecode(t, SignalLogs, wireCases()[1].body)
	if len(res.Batch.Logs) != 0 || res.Rejected != 1 || res.ErrorMessage != "resource contains invalid UTF-8" {
		t.Fatalf("got %d logs, %d rejected, %q", len(res.Batch.Logs), res.Rejected, res.ErrorMessage)
	}
	// A span with a bad string, and a metric whose name is bad (all its points go).
	spans := fBytes(1, fBytes(2, concat(
		fBytes(2, msg(fBytes(1, tid1), fBytes(2, sid1), fFixed64(7, 1), fFixed64(8, 2), fStr(5, "\xff"))),
		fBytes(2, msg(fBytes(1, tid1), fBytes(2, sid1), fFixed64(7, 1), fFixed64(8, 2), fStr(5, "ok"))))))
	res = mustDecode(t, SignalTraces, spans)
	if len(res.Batch.Spans) != 1 || res.Batch.Spans[0].Name != "ok" || res.ErrorMessage != "span contains invalid UTF-8" {
		t.Fatalf("spans: %+v", res)
	}
	metrics := fBytes(1, fBytes(2, concat(
		fBytes(2, msg(fStr(1, "bad\xc0"), fBytes(5, concat(fBytes(1, fFixed64(3, 1)), fBytes(1, fFixed64(3, 2)))))),
		fBytes(2, msg(fStr(1, "good"), fBytes(5, fBytes(1, fFixed64(3, 1))))))))
	res = mustDecode(t, SignalMetrics, metrics)
	if len(res.Batch.Metrics) != 1 || res.Rejected != 2 || res.ErrorMessage != "metric contains invalid UTF-8 (2 times)" {
		t.Fatalf("metrics: %+v", res)
	}
}

func TestDecodeProtoErrors(t *testing.T) {
	good := mustMarshal(t, logsRequest(2))
	for _, c := range []struct {
		name string
		sig  Signal
		body []byte
		want string
	}{
		{"truncated", SignalLogs, good[:len(good)-3], "cannot decode OTLP logs protobuf: "},
		{"bad length at offset", SignalTraces, []byte{0x0a, 0x05, 0x01}, "field 1 at offset 1: unexpected EOF"},
		{"field number zero", SignalMetrics, []byte{0x00}, "cannot decode OTLP metrics protobuf: field tag at offset 0"},
		{"bad varint", SignalLogs, []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "field 1 at offset 1"},
		{"stray end group", SignalLogs, []byte{0x0c}, "cannot decode OTLP logs protobuf"},
		{"packed fixed64 with a bad length", SignalMetrics, fBytes(1, fBytes(2, fBytes(2, fBytes(9, fBytes(1, fBytes(6, []byte{1, 2, 3})))))), "packed fixed64 field"},
		{"unknown signal", Signal(9), good, "unknown signal 9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := DecodeProto(c.sig, c.body)
			if err == nil {
				t.Fatalf("no error, result %+v", res)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if res.Batch.Len() != 0 || res.Rejected != 0 {
				t.Errorf("result not empty: %+v", res)
			}
		})
	}
}

func TestDecodeProtoDoesNotAliasBody(t *testing.T) {
	body := mustMarshal(t, logsRequest(3))
	res := mustDecode(t, SignalLogs, body)
	before := res.Batch.Logs[1].Body.Str
	for i := range body {
		body[i] = 'X'
	}
	if res.Batch.Logs[1].Body.Str != before || res.Batch.Logs[1].Resource.ServiceName() != "svc-0" {
		t.Fatal("decoded rows changed when the body was overwritten")
	}
}

func TestEmptyRequests(t *testing.T) {
	for _, sig := range []Signal{SignalLogs, SignalTraces, SignalMetrics} {
		res := mustDecode(t, sig, nil)
		if res.Batch.Len() != 0 || res.Rejected != 0 || res.ErrorMessage != "" {
			t.Errorf("%s: %+v", sig, res)
		}
	}
}
