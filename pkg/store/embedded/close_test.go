package embedded

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/heimsight/heimsight/pkg/store"
)

// Close must not wait forever for a query whose caller set no deadline: it interrupts it, and
// the query reports that the store closed.
func TestCloseInterruptsRunningQuery(t *testing.T) {
	s, err := Open(testOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		res, err := s.Query(context.Background(), &store.Query{
			Tables: []store.TableScan{{Table: "logs"}},
			Build: func(src store.TableSource) (string, []any, error) {
				rel, err := src("logs")
				close(started)
				// Hours of work: only an interruption ends it.
				return "SELECT (SELECT count(*) FROM " + rel + " AS l) + sum(x % 7) FROM range(1000000000000) AS r(x)", nil, err
			},
		})
		res.Release()
		done <- err
	}()
	<-started
	time.Sleep(300 * time.Millisecond) // let DuckDB start executing
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close waited more than 30 s for a running query")
	}
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrClosed) {
			t.Fatalf("interrupted query: %v, want store.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the query did not return after Close")
	}
}

// An execution error says whose fault it is: out of memory is a query limit (HTTP 422), an I/O
// failure the store's (503), anything else the query's (400).
func TestClassifyDuckDBErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want error
	}{
		{&duckdb.Error{Type: duckdb.ErrorTypeOutOfMemory, Msg: "Out of Memory Error: failed to allocate"}, store.ErrQueryLimit},
		{fmt.Errorf("wrapped: %w", &duckdb.Error{Type: duckdb.ErrorTypeIO, Msg: "IO Error: No files found"}), store.ErrUnavailable},
		{&duckdb.Error{Type: duckdb.ErrorTypeConversion, Msg: "Conversion Error: could not convert"}, store.ErrInvalidQuery},
		{errors.New("something else"), store.ErrInvalidQuery},
	} {
		if got := classifyDuckDB(c.err); got != c.want {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
	}
}
