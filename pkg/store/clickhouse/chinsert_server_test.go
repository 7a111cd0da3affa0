package clickhouse

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/ClickHouse/ch-go/compress"
	chproto "github.com/ClickHouse/ch-go/proto"

	"github.com/heimsight/heimsight/pkg/store"
)

// protoServer is the server side of the native protocol for INSERTs, enough to run chInserter
// end to end on this machine: handshake, ping, an INSERT query, the table header sent back
// LZ4-compressed, the client's compressed data blocks decoded into fresh column buffers, then
// end of stream or a configured exception. It is no ClickHouse: it checks the wire format
// ch-go produces from our columns, not what a server does with it.
type protoServer struct {
	addr string

	mu        sync.Mutex
	received  map[int][]colBuffer // by table index, decoded blocks
	queries   []string
	exception *chproto.Exception
	conns     int
}

func startProtoServer(t *testing.T) *protoServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &protoServer{addr: l.Addr().String(), received: map[int][]colBuffer{}}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if err := s.serve(c); err != nil && !strings.Contains(err.Error(), "EOF") {
					t.Logf("protocol server: %v", err)
				}
			}()
		}
	}()
	return s
}

func (s *protoServer) serve(conn net.Conn) error {
	r := chproto.NewReader(bufio.NewReader(conn))
	var buf chproto.Buffer
	send := func() error {
		_, err := conn.Write(buf.Buf)
		buf.Reset()
		return err
	}
	if code, err := r.UVarInt(); err != nil || chproto.ClientCode(code) != chproto.ClientCodeHello {
		return fmt.Errorf("cannot read hello: code %d, %v", code, err)
	}
	var hello chproto.ClientHello
	if err := hello.Decode(r); err != nil {
		return fmt.Errorf("cannot decode hello: %w", err)
	}
	ver := min(hello.ProtocolVersion, chproto.Version)
	(&chproto.ServerHello{Name: "protoServer", Major: 25, Minor: 8, Revision: chproto.Version, Timezone: "UTC"}).EncodeAware(&buf, ver)
	if err := send(); err != nil {
		return err
	}
	if chproto.FeatureAddendum.In(ver) {
		if _, err := r.Str(); err != nil { // quota key
			return fmt.Errorf("cannot read addendum: %w", err)
		}
	}
	lz4 := compress.NewWriter(compress.LevelZero, compress.LZ4)
	// readData reads one client Data packet (compressed block) into target; it reports
	// whether the block was the empty end-of-data one.
	readData := func(target chproto.Result) (bool, error) {
		code, err := r.UVarInt()
		if err != nil {
			return false, err
		}
		if chproto.ClientCode(code) != chproto.ClientCodeData {
			return false, fmt.Errorf("packet %d, want data", code)
		}
		var cd chproto.ClientData
		if err := cd.DecodeAware(r, ver); err != nil {
			return false, err
		}
		r.EnableCompression()
		defer r.DisableCompression()
		var b chproto.Block
		if err := b.DecodeBlock(r, ver, target); err != nil {
			return false, fmt.Errorf("cannot decode block: %w", err)
		}
		return b.End(), nil
	}
	for {
		code, err := r.UVarInt()
		if err != nil {
			return err
		}
		switch chproto.ClientCode(code) {
		case chproto.ClientCodePing:
			chproto.ServerCodePong.Encode(&buf)
			if err := send(); err != nil {
				return err
			}
			continue
		case chproto.ClientCodeQuery:
		default:
			return fmt.Errorf("unexpected packet %d", code)
		}
		var q chproto.Query
		if err := q.DecodeAware(r, ver); err != nil {
			return fmt.Errorf("cannot decode query: %w", err)
		}
		if q.Compression != chproto.CompressionEnabled {
			return errors.New("query without compression")
		}
		if _, err := readData(nil); err != nil { // external tables: none
			return err
		}
		table := -1
		for i := range tableSpecs {
			if q.Body == insertQuery("heimsight_test", &tableSpecs[i]) {
				table = i
			}
		}
		s.mu.Lock()
		s.queries = append(s.queries, q.Body)
		ex := s.exception
		s.mu.Unlock()
		if ex != nil || table < 0 {
			if ex == nil {
				ex = &chproto.Exception{Code: chproto.ErrSyntaxError, Name: "DB::Exception", Message: "unexpected query " + q.Body}
			}
			chproto.ServerCodeException.Encode(&buf)
			ex.EncodeAware(&buf, ver)
			if err := send(); err != nil {
				return err
			}
			continue
		}
		// The table's structure, as a server sends it before the client's rows.
		header := newColBuffer(table).input()
		chproto.ServerCodeData.Encode(&buf)
		chproto.ClientData{}.EncodeAware(&buf, ver)
		start := len(buf.Buf)
		if err := (chproto.Block{Columns: len(header)}).EncodeBlock(&buf, ver, header); err != nil {
			return err
		}
		if err := lz4.Compress(buf.Buf[start:]); err != nil {
			return err
		}
		buf.Buf = append(buf.Buf[:start], lz4.Data...)
		if err := send(); err != nil {
			return err
		}
		for {
			got := newColBuffer(table)
			var res chproto.Results
			for _, c := range got.input() {
				res = append(res, chproto.ResultColumn{Name: c.Name, Data: c.Data.(chproto.ColResult)})
			}
			end, err := readData(res)
			if err != nil {
				return err
			}
			if end {
				break
			}
			s.mu.Lock()
			s.received[table] = append(s.received[table], got)
			s.mu.Unlock()
		}
		chproto.ServerCodeEndOfStream.Encode(&buf)
		if err := send(); err != nil {
			return err
		}
	}
}

// Rows of every raw table go through chInserter over a real TCP connection with ch-go's
// handshake, LZ4 and packet exchange; the blocks the server decodes encode to exactly the bytes
// of the writer's buffers. A server exception reaches the writer as ErrOverloaded or
// ErrUnavailable without failing fast, and the writer goes on inserting (on a new connection:
// a failed client is closed); an idle client is pinged and reused.
func TestChInserterOverTheWire(t *testing.T) {
	srv := startProtoServer(t)
	o := writerOptions()
	o.Addr, o.Database, o.FlushRows = srv.addr, "heimsight_test", 1000
	ins := newChInserter(o)
	w := newWriter(o, ins)
	defer w.close()

	batch := moreRows()
	if err := w.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	want := colBuffersOf(batch)
	srv.mu.Lock()
	for i := range tableSpecs {
		got := srv.received[i]
		if len(got) != 1 {
			t.Errorf("%s: %d blocks received, want 1", tableSpecs[i].name, len(got))
			continue
		}
		t.Logf("%s: %d rows decoded", tableSpecs[i].name, got[0].len())
		if got[0].len() == 0 {
			t.Errorf("%s: empty block received", tableSpecs[i].name)
		}
		if g, w := colBlock(t, got[0]), colBlock(t, want[i]); string(g) != string(w) {
			t.Errorf("%s: server decoded %d rows (%d bytes), sent %d rows (%d bytes)", tableSpecs[i].name, got[0].len(), len(g), want[i].len(), len(w))
		}
	}
	srv.exception = &chproto.Exception{Code: chproto.ErrTooManyParts, Name: "DB::Exception", Message: "Too many parts (3000)"}
	srv.mu.Unlock()

	if err := w.Write(context.Background(), logsBatch(3)); !errors.Is(err, store.ErrOverloaded) {
		t.Fatalf("TOO_MANY_PARTS: %v, want ErrOverloaded", err)
	}
	srv.mu.Lock()
	srv.exception = &chproto.Exception{Code: chproto.ErrUnknownTable, Name: "DB::Exception", Message: "Table does not exist"}
	srv.mu.Unlock()
	if err := w.Write(context.Background(), logsBatch(3)); !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrOverloaded) {
		t.Fatalf("UNKNOWN_TABLE: %v, want ErrUnavailable", err)
	}
	srv.mu.Lock()
	srv.exception = nil
	srv.mu.Unlock()
	// No fail-fast after exceptions: the next write is inserted.
	if err := w.Write(context.Background(), logsBatch(3)); err != nil {
		t.Fatalf("after exceptions: %v", err)
	}
	// An idle client is pinged before reuse, and reused when it answers.
	srv.mu.Lock()
	conns := srv.conns
	srv.mu.Unlock()
	ins.opts.pingIdle = 0
	if err := w.Write(context.Background(), logsBatch(2)); err != nil {
		t.Fatalf("after ping: %v", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if n := len(srv.received[idxLogs]); n != 3 || srv.received[idxLogs][1].len() != 3 || srv.received[idxLogs][2].len() != 2 {
		t.Fatalf("logs blocks after recovery: %d", n)
	}
	if srv.conns != conns {
		t.Fatalf("%d connections after a pinged reuse, want %d", srv.conns, conns)
	}
}
