package rest

import (
	"encoding/json"
	"testing"
)

// FuzzDecode holds the three decoders to their contract on any input: no panic, and for a
// well-formed request every record is either kept or rejected.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"timestamp": 1, "body": "x", "attributes": {"a": [1, {"b": null}]}}`,
		`[{"timestamp": "2026-11-27T10:00:00Z"}, {"timestamp": 0}, 5]`,
		`[{"trace_id": "0102030405060708090a0b0c0d0e0f10", "span_id": "0102030405060708", "name": "x", "start_time": 1, "duration_ns": 2}]`,
		`{"name": "h", "type": "histogram", "timestamp": 1, "count": 1, "bucket_counts": [1], "explicit_bounds": []}`,
		`[{"timestamp": 1, "unknown": 1}]`, `[`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, decode := range []func([]byte) (Result, error){DecodeLogs, DecodeSpans, DecodeMetrics} {
			res, err := decode(body)
			if err != nil {
				continue
			}
			var arr []json.RawMessage
			n := 1
			if json.Unmarshal(body, &arr) == nil {
				n = len(arr)
			}
			if got := int64(res.Batch.Len()) + res.Rejected; got != int64(n) {
				t.Fatalf("%d records kept or rejected, want %d", got, n)
			}
		}
	})
}
