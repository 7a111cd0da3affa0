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

// fuzzJSON checks that DecodeJSON never panics, that an error comes with an empty result and
// that rejections always come with a reason. (Agreement with the protobuf path is checked on
// realistic requests by TestDecodeJSONMatchesProto.)
func fuzzJSON(f *testing.F, sig Signal) {
	for _, c := range jsonCases() {
		if c.sig == sig {
			f.Add([]byte(c.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := DecodeJSON(sig, body)
		if err != nil && (res.Batch.Len() != 0 || res.Rejected != 0) {
			t.Fatalf("error %v with a non-empty result", err)
		}
		if res.Rejected == 0 && res.ErrorMessage != "" || res.Rejected != 0 && res.ErrorMessage == "" {
			t.Fatalf("rejected %d but message %q", res.Rejected, res.ErrorMessage)
		}
	})
}

func FuzzDecodeJSONLogs(f *testing.F)    { fuzzJSON(f, SignalLogs) }
func FuzzDecodeJSONTraces(f *testing.F)  { fuzzJSON(f, SignalTraces) }
func FuzzDecodeJSONMetrics(f *testing.F) { fuzzJSON(f, SignalMetrics) }
