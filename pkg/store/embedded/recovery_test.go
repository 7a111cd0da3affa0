//go:build duckdb_arrow

package embedded

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/model"
	"github.com/heimsight/heimsight/pkg/store"
)

var errSimulatedCrash = errors.New("simulated crash")

// seqLogs returns n logs numbered from first, with body "m<seq>", at t0 + seq*step.
func seqLogs(first, n int, t0 int64, step time.Duration) []model.LogRecord {
	res := &model.Resource{Attributes: model.Attributes{model.StringKV("service.name", "recovery")}}
	logs := make([]model.LogRecord, n)
	for i := range logs {
		k := first + i
		logs[i] = model.LogRecord{
			Timestamp:    t0 + int64(k)*int64(step),
			SeverityText: "INFO",
			Body:         model.StringValue("m" + strconv.Itoa(k)),
			Attributes:   model.Attributes{model.KV("seq", model.IntValue(int64(k)))},
			Resource:     res,
		}
	}
	return logs
}

func mustWrite(t testing.TB, s *Store, logs []model.LogRecord) {
	t.Helper()
	if err := s.Write(context.Background(), &model.Batch{Logs: logs}); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// bodies returns how often each body occurs in the logs table.
func bodies(t testing.TB, s *Store) map[string]int {
	t.Helper()
	q := &store.Query{
		Tables: []store.TableScan{{Table: "logs"}},
		Build: func(src store.TableSource) (string, []any, error) {
			rel, err := src("logs")
			return `SELECT "body" FROM ` + rel + ` AS t`, nil, err
		},
	}
	res, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer res.Release()
	out := map[string]int{}
	for _, rec := range res.Records {
		col := rec.Column(0)
		for i := 0; i < col.Len(); i++ {
			out[col.ValueStr(i)]++
		}
	}
	return out
}

// expectExactly checks that bodies m<first>..m<first+n-1> occur once each and nothing else.
func expectExactly(t testing.TB, got map[string]int, first, n int) {
	t.Helper()
	bad := 0
	for k := first; k < first+n; k++ {
		if c := got["m"+strconv.Itoa(k)]; c != 1 {
			if bad++; bad <= 5 {
				t.Errorf("m%d present %d times, want once", k, c)
			}
		}
	}
	if len(got) != n {
		t.Errorf("%d distinct rows, want %d", len(got), n)
	}
}

func countFiles(t testing.TB, root, suffix string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, suffix) {
			n++
		}
		return nil
	})
	return n
}

func TestReplayAfterCrash(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().UnixNano()
	s := openTest(t, testOptions(dir))
	mustWrite(t, s, seqLogs(0, 100, t0, time.Millisecond))
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, seqLogs(100, 100, t0, time.Millisecond))
	mustWrite(t, s, seqLogs(200, 50, t0, time.Millisecond))
	s.crash()

	s = openTest(t, testOptions(dir))
	expectExactly(t, bodies(t, s), 0, 250)
	s.crash() // replayed rows are still only in the WAL: crash again before any flush
	s = openTest(t, testOptions(dir))
	expectExactly(t, bodies(t, s), 0, 250)
	mustWrite(t, s, seqLogs(250, 10, t0, time.Millisecond))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := countFiles(t, filepath.Join(dir, walDirName), walSuffix); n != 0 {
		t.Errorf("%d WAL segments left after a clean close, want 0", n)
	}
	s = openTest(t, testOptions(dir))
	defer s.Close()
	expectExactly(t, bodies(t, s), 0, 260)
}

func TestTornWALTail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"cut header", func(t *testing.T, path string) { appendBytes(t, path, []byte{0x10, 0, 0}) }},
		{"cut payload", func(t *testing.T, path string) { appendBytes(t, path, []byte{0x10, 0, 0, 0, 1, 2, 3, 4, 5, 6}) }},
		{"bad checksum", func(t *testing.T, path string) { appendBytes(t, path, []byte{2, 0, 0, 0, 1, 2, 3, 4, 5, 6}) }},
		{"huge length", func(t *testing.T, path string) { appendBytes(t, path, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}) }},
		{"last record flipped", func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 0xff
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t0 := time.Now().UnixNano()
			s := openTest(t, testOptions(dir))
			for i := 0; i < 5; i++ {
				mustWrite(t, s, seqLogs(i*20, 20, t0, time.Millisecond))
			}
			s.crash()
			segs, err := listSegments(filepath.Join(dir, walDirName))
			if err != nil || len(segs) != 1 {
				t.Fatalf("segments %v, %v", segs, err)
			}
			tc.damage(t, filepath.Join(dir, walDirName, segmentName(segs[0])))
			s = openTest(t, testOptions(dir))
			want := 100
			if tc.name == "last record flipped" {
				want = 80 // the damaged record is lost, as a record torn before its ack would be
			}
			expectExactly(t, bodies(t, s), 0, want)
			// New writes go to a new segment and survive another crash.
			mustWrite(t, s, seqLogs(want, 20, t0, time.Millisecond))
			s.crash()
			s = openTest(t, testOptions(dir))
			defer s.Close()
			expectExactly(t, bodies(t, s), 0, want+20)
		})
	}
}

func appendBytes(t *testing.T, path string, b []byte) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestFlushInterruptedBeforeCheckpoint(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().Add(-3 * time.Hour).UnixNano()
	s := openTest(t, testOptions(dir))
	mustWrite(t, s, seqLogs(0, 50, t0, time.Minute)) // spans several hours: several parts
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, seqLogs(50, 300, t0, time.Minute))
	s.hooks.beforeCheckpoint = func() error { return errSimulatedCrash }
	if err := s.Flush(context.Background()); !errors.Is(err, errSimulatedCrash) {
		t.Fatalf("flush: %v", err)
	}
	partsBefore := countFiles(t, dir, ".parquet")
	s.crash()

	s = openTest(t, testOptions(dir))
	if n := countFiles(t, dir, ".parquet"); n >= partsBefore {
		t.Errorf("%d parts after open, want the incomplete flush's parts removed (had %d)", n, partsBefore)
	}
	expectExactly(t, bodies(t, s), 0, 350)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, testOptions(dir))
	defer s.Close()
	expectExactly(t, bodies(t, s), 0, 350)
}

func TestCompactionInterruptedBeforeDelete(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().Truncate(time.Hour).Add(-5 * time.Hour).UnixNano()
	s := openTest(t, testOptions(dir))
	for i := 0; i < 4; i++ { // four generations, each with rows in the same three hours
		var logs []model.LogRecord
		for h := 0; h < 3; h++ {
			logs = append(logs, seqLogs(0, 25, t0+int64(h)*int64(time.Hour)+int64(i)*int64(time.Second), 0)...)
		}
		for j := range logs {
			logs[j].Body = model.StringValue("m" + strconv.Itoa(i*75+j))
		}
		mustWrite(t, s, logs)
		if err := s.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := countFiles(t, dir, ".parquet"); n != 12 {
		t.Fatalf("%d parts, want 12", n)
	}
	calls := 0
	s.hooks.beforeCompactPublish = func() error {
		if calls++; calls == 2 {
			return errSimulatedCrash
		}
		return nil
	}
	if err := s.Compact(context.Background()); !errors.Is(err, errSimulatedCrash) {
		t.Fatalf("compact: %v", err)
	}
	s.crash()
	// Hour 1 compacted cleanly (1 part), hour 2 has its compacted part and its 4 inputs, hour 3
	// was not compacted (the loop continues after an error, so it may be compacted too).
	s = openTest(t, testOptions(dir))
	if n := countFiles(t, dir, ".parquet"); n != 3 && n != 6 {
		t.Errorf("%d parts after open, want 3 or 6", n)
	}
	expectExactly(t, bodies(t, s), 0, 300)
	if err := s.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countFiles(t, dir, ".parquet"); n != 3 {
		t.Errorf("%d parts after compaction, want 3", n)
	}
	expectExactly(t, bodies(t, s), 0, 300)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCompactionKeepsFilesOfRunningQueries(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().Truncate(time.Hour).Add(-2 * time.Hour).UnixNano()
	s := openTest(t, testOptions(dir))
	defer s.Close()
	for i := 0; i < 3; i++ {
		mustWrite(t, s, seqLogs(i*10, 10, t0, time.Second))
		if err := s.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	_, parts := s.snapshot(0, 0, 0) // a query in flight
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	if err := s.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if _, err := os.Stat(p.path); err != nil {
			t.Errorf("part used by a query was deleted: %v", err)
		}
	}
	expectExactly(t, bodies(t, s), 0, 30)
	s.releaseParts(parts)
	for _, p := range parts {
		if _, err := os.Stat(p.path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("replaced part %s still there after the last query ended", p.path)
		}
	}
	if n := countFiles(t, dir, ".parquet"); n != 1 {
		t.Errorf("%d parts, want 1", n)
	}
}

func newBatch(logs []model.LogRecord) *model.Batch { return &model.Batch{Logs: logs} }

func TestCompactionOfOpenHour(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(dir)
	o.CompactMinParts = 4
	o.CompactAfter = time.Hour // nothing is closed: only the open-hour rule applies
	s := openTest(t, o)
	t0 := time.Now().UnixNano()
	for i := 0; i < 10; i++ {
		mustWrite(t, s, seqLogs(i*10, 10, t0, time.Microsecond))
		if err := s.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if i == 4 || i == 9 {
			if err := s.Compact(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 5 parts -> 1, then 5 more -> 1: two compacted parts with disjoint generation ranges.
	if n := countFiles(t, dir, ".parquet"); n != 2 {
		t.Errorf("%d parts, want 2", n)
	}
	expectExactly(t, bodies(t, s), 0, 100)
	s.crash()
	s = openTest(t, o)
	defer s.Close()
	if n := countFiles(t, dir, ".parquet"); n != 2 {
		t.Errorf("%d parts after reopen, want 2", n)
	}
	expectExactly(t, bodies(t, s), 0, 100)
}

func TestMissingCheckpointRefusesToOpen(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, testOptions(dir))
	mustWrite(t, s, seqLogs(0, 10, time.Now().UnixNano(), time.Millisecond))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, checkpointName)); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(testOptions(dir)); err == nil {
		s.Close()
		t.Fatal("opened a store whose checkpoint is missing; its parts would have been deleted")
	}
	if n := countFiles(t, dir, ".parquet"); n != 1 {
		t.Errorf("%d parts left, want 1", n)
	}
}
