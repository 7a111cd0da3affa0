package clickhouse

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/store"
	"github.com/heimsight/heimsight/pkg/store/storetest"
)

var envSeq atomic.Int64

func newEnvName() string {
	return fmt.Sprintf("heimsight_test_%d_%d", time.Now().UnixNano()%1e9, envSeq.Add(1))
}

// The conformance suite on the ClickHouse engine in-process: the store's own DDL, writer,
// encoders, table sources and Arrow conversion, with chDB in place of the network (see
// openChDBStore). What it cannot cover is clickhouse-go's network layer; TestConformanceServer
// does, given a server.
func TestConformanceChDB(t *testing.T) {
	e, _ := newEngine(t)
	storetest.Run(t, storetest.Harness{
		NewEnv: func(t *testing.T) string { return newEnvName() },
		Open: func(t *testing.T, env string) store.Store {
			return openChDBStore(t, e, env)
		},
		Placeholder:  func(int) string { return "?" },
		LenientNulls: true,
	})
}

// TestConformanceServer runs the conformance suite against a real ClickHouse server through
// the native protocol: `docker compose up -d clickhouse`, then
// HEIMSIGHT_TEST_CLICKHOUSE_ADDR=localhost:9000 go test ./pkg/store/clickhouse/.
// HEIMSIGHT_TEST_CLICKHOUSE_USER and _PASSWORD override the compose file's credentials.
func TestConformanceServer(t *testing.T) {
	addr := os.Getenv("HEIMSIGHT_TEST_CLICKHOUSE_ADDR")
	if addr == "" {
		t.Skip("SKIP: HEIMSIGHT_TEST_CLICKHOUSE_ADDR is not set; start a server with `docker compose up -d clickhouse` and set it to localhost:9000 to run the conformance suite against ClickHouse")
	}
	base := DefaultOptions()
	if err := base.SetURL(addr); err != nil {
		t.Fatal(err)
	}
	if v := os.Getenv("HEIMSIGHT_TEST_CLICKHOUSE_USER"); v != "" {
		base.Username = v
	}
	if v := os.Getenv("HEIMSIGHT_TEST_CLICKHOUSE_PASSWORD"); v != "" {
		base.Password = v
	}
	base.FlushInterval = 10 * time.Millisecond
	storetest.Run(t, storetest.Harness{
		NewEnv: func(t *testing.T) string {
			db := newEnvName()
			t.Cleanup(func() {
				o := base
				o.Database = db
				s, err := Open(context.Background(), o)
				if err != nil {
					return
				}
				defer s.Close()
				_ = s.ddl.Exec(context.Background(), "DROP DATABASE IF EXISTS "+QuoteIdent(db))
			})
			return db
		},
		Open: func(t *testing.T, env string) store.Store {
			o := base
			o.Database = env
			s, err := Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			// Rows go through ch-go's client and the column buffers, the path production takes.
			if _, ok := s.w.ins.(*chInserter); !ok {
				t.Fatalf("inserter is %T, want *chInserter", s.w.ins)
			}
			return s
		},
		Placeholder:  func(int) string { return "?" },
		LenientNulls: true,
	})
}
