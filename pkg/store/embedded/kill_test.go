//go:build duckdb_arrow

package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const killChildEnv = "HEIMSIGHT_EMBEDDED_KILL_CHILD"

func killOptions(dir string) Options {
	o := testOptions(dir)
	o.FlushBytes = 1 << 20 // flush every few hundred batches, so kills land in flushes too
	o.CompactAfter = 0
	o.CompactInterval = 300 * time.Millisecond
	return o
}

// TestMain lets the test binary double as the writer process that TestKillDuringWrites kills.
func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(dir)
		return
	}
	os.Exit(m.Run())
}

// killChild writes batches from four goroutines forever and prints "ack <first> <n>" after
// each acknowledged Write.
func killChild(dir string) {
	base, _ := strconv.Atoi(os.Getenv(killChildEnv + "_BASE"))
	s, err := Open(killOptions(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	t0 := time.Now().Truncate(time.Hour).Add(-3 * time.Hour).UnixNano()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				first := base + w*10_000_000 + i*100
				logs := seqLogs(first, 100, t0, 0)
				for j := range logs { // spread over four hours
					logs[j].Timestamp = t0 + int64((first+j)%4)*int64(time.Hour) + int64(first+j)
				}
				if err := s.Write(context.Background(), newBatch(logs)); err != nil {
					fmt.Fprintln(os.Stderr, "write:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %d\n", first, len(logs))
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
}

func TestKillDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills writer processes")
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killChildEnv+"_BASE="+strconv.Itoa(round*100_000_000))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var lines []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
		}()
		time.Sleep(time.Duration(800+round*700) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		cmd.Wait()
		n := 0
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 3 || f[0] != "ack" {
				continue // a line cut by the kill was never complete
			}
			first, _ := strconv.Atoi(f[1])
			cnt, _ := strconv.Atoi(f[2])
			for k := first; k < first+cnt; k++ {
				acked["m"+strconv.Itoa(k)] = true
			}
			n++
		}
		if n == 0 {
			t.Fatalf("round %d: the writer acknowledged nothing", round)
		}
		s := openTest(t, killOptions(dir))
		got := bodies(t, s)
		missing, dup := 0, 0
		for k := range acked {
			if got[k] == 0 {
				missing++
			}
		}
		for _, c := range got {
			if c > 1 {
				dup++
			}
		}
		t.Logf("round %d: %d acknowledged rows, %d rows stored", round, len(acked), len(got))
		if missing > 0 || dup > 0 {
			t.Fatalf("round %d: %d acknowledged rows missing, %d rows duplicated", round, missing, dup)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
