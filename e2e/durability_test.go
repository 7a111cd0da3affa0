package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

func strAttr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// batchBody is one OTLP/HTTP protobuf logs request of n records tagged with client and batch.
func batchBody(t *testing.T, client, batch, n int) []byte {
	recs := make([]*logspb.LogRecord, n)
	now := uint64(time.Now().UnixNano())
	for i := range recs {
		recs[i] = &logspb.LogRecord{
			TimeUnixNano: now + uint64(i),
			SeverityText: "INFO",
			Body:         &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: fmt.Sprintf("c%d-b%d-r%d", client, batch, i)}},
			Attributes:   []*commonpb.KeyValue{strAttr("client", strconv.Itoa(client)), strAttr("batch", strconv.Itoa(batch))},
		}
	}
	body, err := proto.Marshal(&collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strAttr("service.name", "durability")}},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: recs}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// query runs HQL through POST /api/v1/query and returns the columnar answer.
func (s *server) query(hql string) (columns []string, data [][]any) {
	s.t.Helper()
	req, _ := json.Marshal(map[string]any{"query": hql, "max_rows": 10000})
	resp, err := http.Post("http://"+s.rest+"/api/v1/query", "application/json", bytes.NewReader(req))
	if err != nil {
		s.t.Fatalf("query: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("query %q: %s: %s", hql, resp.Status, body)
	}
	var out struct {
		Columns []struct{ Name string } `json:"columns"`
		Data    [][]any                 `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		s.t.Fatalf("query: cannot decode %s: %v", body, err)
	}
	for _, c := range out.Columns {
		columns = append(columns, c.Name)
	}
	return columns, out.Data
}

// TestSIGKILLLosesNoAcknowledgedRecord kills the server with SIGKILL in the middle of a sustained
// ingest from several clients, restarts it on the same data directory, and checks that every
// batch whose request was acknowledged is present exactly once, and that no batch is present in
// part (a request is one atomic write-ahead-log record). It repeats the cycle on the same
// directory so that recovery also runs over data that was itself recovered.
func TestSIGKILLLosesNoAcknowledgedRecord(t *testing.T) {
	const (
		clients   = 4
		batchSize = 200
		rounds    = 3
	)
	dir := t.TempDir()
	acked := map[[2]int]bool{}
	nextBatch := make([]int, clients)
	for round := 0; round < rounds; round++ {
		s := startServer(t, dir)
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				hc := &http.Client{Timeout: 10 * time.Second}
				for i := 0; i < 10_000 && ctx.Err() == nil; i++ {
					b := nextBatch[c]
					nextBatch[c]++
					req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.otlpHTTP+"/v1/logs", bytes.NewReader(batchBody(t, c, b, batchSize)))
					req.Header.Set("Content-Type", "application/x-protobuf")
					resp, err := hc.Do(req)
					if err != nil {
						continue // killed mid-request: not acknowledged
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						acked[[2]int{c, b}] = true
						mu.Unlock()
					}
				}
			}(c)
		}
		// Let the ingest run long enough to cross group commits and buffer flushes, then kill.
		time.Sleep(time.Duration(1500+round*700) * time.Millisecond)
		s.cmd.Process.Kill()
		<-s.done
		cancel()
		wg.Wait()
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n == 0 {
			t.Fatalf("round %d: no request was acknowledged before the kill:\n%s", round, s.output())
		}
		t.Logf("round %d: %d batches acknowledged so far", round, n)
	}

	s := startServer(t, dir)
	_, data := s.query("SELECT attributes['client'] AS client, attributes['batch'] AS batch, count(*) AS n, count(DISTINCT body) AS bodies " +
		"FROM logs WHERE service = 'durability' GROUP BY attributes['client'], attributes['batch'] LIMIT 10000")
	if len(data) != 4 {
		t.Fatalf("want 4 columns, got %d", len(data))
	}
	present := map[[2]int]bool{}
	for i := range data[0] {
		c, _ := strconv.Atoi(fmt.Sprint(data[0][i]))
		b, _ := strconv.Atoi(fmt.Sprint(data[1][i]))
		n, _ := strconv.Atoi(fmt.Sprint(data[2][i]))
		bodies, _ := strconv.Atoi(fmt.Sprint(data[3][i]))
		if n != batchSize || bodies != batchSize {
			t.Errorf("batch c%d-b%d: %d rows, %d distinct bodies; want %d of each (no partial batch, no duplicate)", c, b, n, bodies, batchSize)
		}
		present[[2]int{c, b}] = true
	}
	missing := 0
	for k := range acked {
		if !present[k] {
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged batch c%d-b%d is missing after SIGKILL and restart", k[0], k[1])
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged batches lost", missing, len(acked))
	}
	t.Logf("%d acknowledged batches all present; %d batches stored in total", len(acked), len(present))
	s.stop()
}
