package query

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/store"
)

// fakeStore records the query it is asked to run and builds its SQL.
type fakeStore struct {
	dialect string
	q       *store.Query
	sql     string
	args    []any
	delay   time.Duration
	err     error
}

func (f *fakeStore) Dialect() string { return f.dialect }

func (f *fakeStore) Query(ctx context.Context, q *store.Query) (*store.Result, error) {
	f.q = q
	var err error
	f.sql, f.args, err = q.Build(func(t string) (string, error) { return "src_" + t, nil })
	if err != nil {
		return nil, err
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	return &store.Result{}, nil
}

const t0 = int64(1704067200) * 1e9

func TestRun(t *testing.T) {
	for _, d := range []string{"duckdb", "clickhouse"} {
		fs := &fakeStore{dialect: d}
		e := &Engine{Store: fs, MaxRows: 500}
		resp, err := e.Run(context.Background(), "SELECT level, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) AND service = 'api' GROUP BY level",
			hql.Params{From: t0, To: t0 + 60e9})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Release()
		if got := fs.q.Tables; len(got) != 1 || got[0] != (store.TableScan{Table: "logs", From: t0, To: t0 + 60e9 + 1}) {
			t.Errorf("%s: tables %+v", d, got)
		}
		if fs.q.MaxRows != 500 || resp.Plan.Limit != 500 || !resp.Plan.LimitCapped {
			t.Errorf("%s: max rows %d, limit %d", d, fs.q.MaxRows, resp.Plan.Limit)
		}
		if len(resp.Columns) != 2 || resp.Columns[1] != (hql.OutputColumn{Name: "n", Type: hql.TypeInt}) {
			t.Errorf("%s: columns %+v", d, resp.Columns)
		}
		if !strings.Contains(fs.sql, "FROM src_logs AS") || len(fs.args) != 1 || fs.args[0] != "api" {
			t.Errorf("%s: sql %s args %v", d, fs.sql, fs.args)
		}
		if resp.Elapsed <= 0 {
			t.Errorf("%s: elapsed %v", d, resp.Elapsed)
		}
	}
}

func TestRunSelectTree(t *testing.T) {
	fs := &fakeStore{dialect: "duckdb"}
	e := &Engine{Store: fs, DefaultLimit: 20}
	q := hql.SelectFrom("spans", hql.Col("trace_id")).Filter(hql.Eq(hql.Col("service"), hql.Str("x'y")))
	resp, err := e.RunSelect(context.Background(), q, hql.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Plan.Limit != 20 || fs.q.MaxRows != DefaultMaxRows || fs.args[0] != "x'y" {
		t.Errorf("limit %d max rows %d args %v", resp.Plan.Limit, fs.q.MaxRows, fs.args)
	}
}

func TestUserErrors(t *testing.T) {
	e := &Engine{Store: &fakeStore{dialect: "duckdb"}}
	for _, src := range []string{"SELEC 1", "SELECT sevrity FROM logs", "SELECT * FROM metrics_1hour"} {
		_, err := e.Run(context.Background(), src, hql.Params{})
		var he *hql.Error
		if !errors.Is(err, store.ErrInvalidQuery) || !errors.As(err, &he) || he.Pos.Line != 1 {
			t.Errorf("%q: %v should be an invalid query with a position", src, err)
		}
	}
}

func TestTimeoutAndBackendErrors(t *testing.T) {
	e := &Engine{Store: &fakeStore{dialect: "duckdb", delay: time.Second}, Timeout: 10 * time.Millisecond}
	_, err := e.Run(context.Background(), "SELECT body FROM logs", hql.Params{})
	if !errors.Is(err, store.ErrQueryLimit) {
		t.Errorf("timeout: %v", err)
	}
	e = &Engine{Store: &fakeStore{dialect: "duckdb", err: store.ErrUnavailable}}
	if _, err := e.Run(context.Background(), "SELECT body FROM logs", hql.Params{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("backend error: %v", err)
	}
	e = &Engine{Store: &fakeStore{dialect: "oracle"}}
	if _, err := e.Run(context.Background(), "SELECT body FROM logs", hql.Params{}); err == nil || !strings.Contains(err.Error(), "no HQL emitter") {
		t.Errorf("unknown dialect: %v", err)
	}
	if _, err := (&Engine{}).Run(context.Background(), "SELECT body FROM logs", hql.Params{}); err == nil {
		t.Error("no store should fail")
	}
}
