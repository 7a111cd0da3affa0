package clickhouse

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/store"
)

func rawQuery(sql string, args ...any) *store.Query {
	return &store.Query{Build: func(store.TableSource) (string, []any, error) { return sql, args, nil }}
}

// Per-query settings on the real engine: user mistakes are ErrInvalidQuery, limits are
// ErrQueryLimit or truncation, and nothing a query runs can write.
func TestQuerySettingsOnEngine(t *testing.T) {
	e, _ := newEngine(t)
	s := openChDBStore(t, e, "heimsight_q")
	defer s.Close()
	ctx := context.Background()
	if err := s.Write(ctx, sampleBatch()); err != nil {
		t.Fatal(err)
	}

	for _, sql := range []string{"SELEC 1", "SELECT no_such_column FROM numbers(1)", "SELECT 'a' + 1"} {
		if _, err := s.Query(ctx, rawQuery(sql)); !errors.Is(err, store.ErrInvalidQuery) {
			t.Errorf("%s: %v, want ErrInvalidQuery", sql, err)
		}
	}
	if _, err := s.Query(ctx, &store.Query{Build: func(src store.TableSource) (string, []any, error) {
		rel, err := src("no_such_table")
		return "SELECT * FROM " + rel, nil, err
	}}); !errors.Is(err, store.ErrInvalidQuery) {
		t.Errorf("unknown logical table: %v, want ErrInvalidQuery", err)
	}

	// readonly: neither DDL nor inserts run through the query path.
	for _, sql := range []string{"DROP TABLE heimsight_q.otel_logs", "INSERT INTO heimsight_q.otel_logs (Body) SELECT 'x'", "CREATE TABLE heimsight_q.x (a UInt8) ENGINE = Memory"} {
		res, err := s.Query(ctx, rawQuery(sql))
		if err == nil {
			res.Release()
			t.Errorf("%s ran through Query", sql)
		} else if code, _ := errorCode(err); code != 164 { // READONLY
			t.Errorf("%s: %v, want a READONLY refusal", sql, err)
		}
	}
	res, err := s.Query(ctx, rawQuery("SELECT count() AS n FROM heimsight_q.otel_logs"))
	if err != nil {
		t.Fatal(err)
	}
	if rows := rowsOf(&storeResult{records: res.Records}); len(rows) != 1 || rows[0]["n"] != uint64(3) {
		t.Errorf("otel_logs after the refused writes: %v", rows)
	}
	res.Release()

	// MaxRows truncates and says so.
	q := rawQuery("SELECT number FROM numbers(100000)")
	q.MaxRows = 10
	res, err = s.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 10 || !res.Truncated {
		t.Errorf("MaxRows 10: %d rows, truncated %v", res.Rows, res.Truncated)
	}
	res.Release()
	q = rawQuery("SELECT number FROM numbers(10)")
	q.MaxRows = 10
	if res, err = s.Query(ctx, q); err != nil || res.Rows != 10 || res.Truncated {
		t.Errorf("exactly MaxRows rows: %v %+v", err, res)
	}
	res.Release()

	// max_execution_time stops a long query with ErrQueryLimit.
	s.opts.QueryTimeout = time.Second
	start := time.Now()
	_, err = s.Query(ctx, rawQuery("SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 0"))
	if !errors.Is(err, store.ErrQueryLimit) || time.Since(start) > 20*time.Second {
		t.Errorf("long query: %v after %s, want ErrQueryLimit after about 1s", err, time.Since(start))
	}

	// Bound parameters keep hostile strings as values.
	res, err = s.Query(ctx, rawQuery("SELECT count() AS n FROM heimsight_q.otel_logs WHERE Body = ? OR ServiceName = ?", "x'; DROP TABLE heimsight_q.otel_logs; --", `a\'b`))
	if err != nil {
		t.Fatal(err)
	}
	res.Release()
}
