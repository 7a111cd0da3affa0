package otlpconv

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
)

// seeds returns realistic request bodies plus the crafted edge cases of the unit tests.
func seeds(t testing.TB, sig Signal) [][]byte {
	var out [][]byte
	var msg proto.Message
	switch sig {
	case SignalLogs:
		msg = logsRequest(3)
		for _, c := range logCases() {
			out = append(out, mustMarshal(t, c.req))
		}
	case SignalTraces:
		msg = tracesRequest(3)
		for _, c := range spanCases() {
			out = append(out, mustMarshal(t, c.req))
		}
	case SignalMetrics:
		msg = metricsRequest(4)
		for _, c := range metricCases() {
			out = append(out, mustMarshal(t, c.req))
		}
	}
	out = append(out, mustMarshal(t, msg))
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for range 8 {
		switch sig {
		case SignalLogs:
			msg = g.logs()
		case SignalTraces:
			msg = g.traces()
		default:
			msg = g.metrics()
		}
		out = append(out, mustMarshal(t, msg))
	}
	for _, c := range wireCases() {
		if c.sig == sig {
			out = append(out, c.body)
		}
	}
	sdk, err := os.ReadFile(filepath.FromSlash(sdkSeedFiles[sig]))
	if err != nil {
		t.Fatal(err)
	}
	return append(out, sdk)
}

func fuzzProto(f *testing.F, sig Signal) {
	for _, s := range seeds(f, sig) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDifferential(t, sig, body)
	})
}

func FuzzDecodeProtoLogs(f *testing.F)    { fuzzProto(f, SignalLogs) }
func FuzzDecodeProtoTraces(f *testing.F)  { fuzzProto(f, SignalTraces) }
func FuzzDecodeProtoMetrics(f *testing.F) { fuzzProto(f, SignalMetrics) }

// FuzzDecodeJSON checks that DecodeJSON never panics and that whatever it accepts is also
// accepted, with the same rows, after a round trip through the protobuf path... as far as the
// two encodings can be compared: here only that it does not panic and that errors and results
// are exclusive.
func FuzzDecodeJSON(f *testing.F) {
	for _, c := range jsonCases() {
		f.Add(uint8(c.sig), []byte(c.body))
	}
	f.Fuzz(func(t *testing.T, sig uint8, body []byte) {
		s := Signal(sig%3 + 1)
		res, err := DecodeJSON(s, body)
		if err != nil && (res.Batch.Len() != 0 || res.Rejected != 0) {
			t.Fatalf("error %v with a non-empty result", err)
		}
		if res.Rejected == 0 && res.ErrorMessage != "" || res.Rejected != 0 && res.ErrorMessage == "" {
			t.Fatalf("rejected %d but message %q", res.Rejected, res.ErrorMessage)
		}
	})
}
