package clickhouse

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go"

	"github.com/heimsight/heimsight/pkg/store"
)

func TestChInserterDialOptions(t *testing.T) {
	o := DefaultOptions()
	o.Addr, o.Database, o.Username, o.Password = "ch.example:9440", "telemetry", "u", "p"
	o.Secure = true
	p := newChInserter(&o)
	d := p.opts.dial
	if d.Address != o.Addr || d.User != "u" || d.Password != "p" || d.Compression != ch.CompressionLZ4 ||
		d.DialTimeout != o.DialTimeout || d.TLS == nil || d.ReadTimeout != o.InsertTimeout {
		t.Fatalf("dial options %+v", d)
	}
	if d.Database != "default" || p.opts.database != "telemetry" {
		t.Fatalf("databases: dial %q, insert %q", d.Database, p.opts.database)
	}
	o.Secure = false
	if newChInserter(&o).opts.dial.TLS != nil {
		t.Fatal("TLS without Secure")
	}
	got := insertQuery("telemetry", &tableSpecs[idxGauge])
	if !strings.HasPrefix(got, "INSERT INTO `telemetry`.`otel_metrics_gauge` (`ResourceAttributes`, ") ||
		!strings.HasSuffix(got, ", `Value`) VALUES") {
		t.Fatalf("insert query %q", got)
	}
}

// listen returns a local address whose server runs serve on every connection.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return l.Addr().String()
}

// A server that cannot be reached, or hangs up during the handshake, makes Write fail with
// ErrUnavailable, then fail fast without dialing until RetryBackoff has passed, then dial again.
func TestChInserterConnectionFailuresAreUnavailable(t *testing.T) {
	var accepted atomic.Int64
	hangUp := listen(t, func(c net.Conn) { accepted.Add(1); c.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()
	for name, addr := range map[string]string{"refused": refused, "hang-up": hangUp} {
		t.Run(name, func(t *testing.T) {
			o := writerOptions()
			o.Addr, o.DialTimeout = addr, time.Second
			ins := newChInserter(o)
			w := newWriter(o, ins)
			defer w.close()
			err := w.Write(context.Background(), logsBatch(1))
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("first write: %v, want ErrUnavailable", err)
			}
			before := accepted.Load()
			start := time.Now()
			if err := w.Write(context.Background(), logsBatch(1)); !errors.Is(err, store.ErrUnavailable) || time.Since(start) > 50*time.Millisecond {
				t.Fatalf("during backoff: %v after %s, want ErrUnavailable at once", err, time.Since(start))
			}
			if accepted.Load() != before {
				t.Fatal("dialed during the backoff")
			}
			time.Sleep(o.RetryBackoff)
			if err := w.Write(context.Background(), logsBatch(1)); !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("after backoff: %v, want ErrUnavailable", err)
			}
			if name == "hang-up" && accepted.Load() == before {
				t.Fatal("no new dial after the backoff")
			}
		})
	}
}

// A server that accepts and never answers costs one InsertTimeout, not a hung writer.
func TestChInserterSilentServerTimesOut(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	addr := listen(t, func(c net.Conn) { <-hold; c.Close() })
	o := writerOptions()
	o.Addr = addr
	w := newWriter(o, newChInserter(o))
	defer w.close()
	start := time.Now()
	err := w.Write(context.Background(), logsBatch(1))
	if !errors.Is(err, store.ErrUnavailable) || time.Since(start) > 2*time.Second {
		t.Fatalf("silent server: %v after %s, want ErrUnavailable after ~%s", err, time.Since(start), o.InsertTimeout)
	}
}

// Server exceptions keep their class whatever wraps them, and are no reason to fail fast.
func TestClassifyChGoExceptions(t *testing.T) {
	w := newWriter(writerOptions(), &fakeInserter{})
	defer w.close()
	cases := []struct {
		err  error
		want error
		down bool
	}{
		{&ch.Exception{Code: 252, Name: "DB::Exception", Message: "Too many parts (300)"}, store.ErrOverloaded, false},
		{&ch.Exception{Code: 241, Name: "DB::Exception", Message: "Memory limit exceeded"}, store.ErrOverloaded, false},
		{&ch.Exception{Code: 202, Name: "DB::Exception", Message: "Too many simultaneous queries"}, store.ErrOverloaded, false},
		{&ch.Exception{Code: 396, Name: "DB::Exception", Message: "Limit for rows or bytes to read exceeded"}, store.ErrOverloaded, false},
		{errors.Join(errors.New("decode block"), &ch.Exception{Code: 60, Name: "DB::Exception", Message: "Table does not exist"}), store.ErrUnavailable, false},
		{context.DeadlineExceeded, store.ErrUnavailable, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, store.ErrUnavailable, true},
		{ch.ErrClosed, store.ErrUnavailable, true},
	}
	for _, c := range cases {
		w.downUntil.Store(0)
		got := w.classify("otel_logs", 3, c.err)
		if !errors.Is(got, c.want) {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
		if down := w.downUntil.Load() != 0; down != c.down {
			t.Errorf("%v: fail fast %v, want %v", c.err, down, c.down)
		}
	}
}
