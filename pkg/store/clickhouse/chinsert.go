package clickhouse

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"github.com/ClickHouse/ch-go"
)

// chInserter sends flushes through ch-go's native protocol client: one INSERT … VALUES query
// per flush whose data block is encoded straight from the table's column buffer (LZ4
// compressed). Clients are pooled; one that failed for any reason is closed and the next
// insert dials a new one, which is how the writer recovers after the server comes back. Safe
// for concurrent use; each client carries one insert at a time.
type chInserter struct {
	opts chOptions
	idle chan pooledClient // idle clients, at most min(MaxOpenConns, numTables)
	mu   sync.Mutex
	done bool
}

type pooledClient struct {
	c        *ch.Client
	lastUsed time.Time
}

// chOptions is what the inserter needs of Options.
type chOptions struct {
	dial     ch.Options
	database string
	pingIdle time.Duration // a client idle longer than this is pinged before reuse
}

// idlePing: servers close idle connections (keep_alive_timeout, load balancers); pinging a
// client that sat idle this long costs one round trip and spares an insert failing on a
// connection that is already gone.
const idlePing = 10 * time.Second

func newChInserter(o *Options) *chInserter {
	dial := ch.Options{
		Address:     o.Addr,
		Database:    "default", // every statement names its database; ours may not exist at dial time
		User:        o.Username,
		Password:    o.Password,
		Compression: ch.CompressionLZ4,
		ClientName:  "heimsight",
		DialTimeout: o.DialTimeout,
		// ch-go's default (3 s per packet) would fail a large insert on a busy server that
		// the flush's deadline (InsertTimeout) still allows.
		ReadTimeout: o.InsertTimeout,
	}
	if o.Secure {
		dial.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	// Each table's flusher sends one insert at a time, so numTables clients are all the
	// inserts can use at once.
	n := max(min(o.MaxOpenConns, numTables), 1)
	return &chInserter{
		opts: chOptions{dial: dial, database: o.Database, pingIdle: idlePing},
		idle: make(chan pooledClient, n),
	}
}

// get returns an idle client that still answers, or dials a new one.
func (p *chInserter) get(ctx context.Context) (*ch.Client, error) {
	for {
		select {
		case pc := <-p.idle:
			if time.Since(pc.lastUsed) < p.opts.pingIdle {
				return pc.c, nil
			}
			if err := pc.c.Ping(ctx); err == nil {
				return pc.c, nil
			}
			_ = pc.c.Close()
			continue
		default:
		}
		c, err := ch.Dial(ctx, p.opts.dial)
		if err != nil {
			return nil, fmt.Errorf("cannot connect to ClickHouse at %s: %w", p.opts.dial.Address, err)
		}
		return c, nil
	}
}

// put returns a client to the pool, or closes it when it failed, the pool is full or the
// inserter is closed.
func (p *chInserter) put(c *ch.Client, failed bool) {
	if failed || c.IsClosed() {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		_ = c.Close()
		return
	}
	select {
	case p.idle <- pooledClient{c: c, lastUsed: time.Now()}:
	default:
		_ = c.Close()
	}
}

// insert sends buf's rows into t with t's explicit column list. buf is only read, and not
// after insert returns.
func (p *chInserter) insert(ctx context.Context, t *tableSpec, buf colBuffer) error {
	c, err := p.get(ctx)
	if err != nil {
		return err
	}
	err = c.Do(ctx, ch.Query{Body: insertQuery(p.opts.database, t), Input: buf.input()})
	// Any failure may leave the connection mid-query; a new one is cheap next to a flush.
	p.put(c, err != nil)
	return err
}

// insertQuery is the query text of an insert into t; the rows follow as the query's data
// block, named and typed as t's columns.
func insertQuery(database string, t *tableSpec) string { return insertSQL(database, t) + " VALUES" }

// Close closes the idle clients; clients in use are closed when their insert returns.
func (p *chInserter) Close() error {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	for {
		select {
		case pc := <-p.idle:
			_ = pc.c.Close()
		default:
			return nil
		}
	}
}
