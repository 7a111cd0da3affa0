//go:build duckdb_arrow

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heimsight/heimsight/ingestor/otlp"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/store"
	"github.com/heimsight/heimsight/pkg/store/embedded"
)

type testEnv struct {
	api   *API
	store *embedded.Store
	reg   *prometheus.Registry
}

// newEnv returns the REST API over a real embedded store in a temporary directory.
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	reg := prometheus.NewRegistry()
	eo := embedded.DefaultOptions(t.TempDir())
	eo.Logger = slog.New(slog.DiscardHandler)
	eo.Registerer = reg
	st, err := embedded.Open(eo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	po := ingest.DefaultOptions()
	po.Registerer = reg
	p, err := ingest.New(st, po)
	if err != nil {
		t.Fatal(err)
	}
	oo := otlp.DefaultOptions()
	oo.Pipeline = p
	oo.MaxRequestBytes = 1 << 20
	oh, err := otlp.NewHTTP(oo)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Pipeline: p, OTLP: oh, Gatherer: reg, Version: "test", Backend: st.Backend(),
		MaxRequestBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler), Query: testQuerier(st)})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{api: a, store: st, reg: reg}
}

func (e *testEnv) do(method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, req)
	return rec
}

// count returns the rows of a logical table in the store.
func (e *testEnv) count(t *testing.T, table string) int64 {
	t.Helper()
	res, err := e.store.Query(context.Background(), &store.Query{
		Build: func(src store.TableSource) (string, []any, error) {
			rel, err := src(table)
			return "SELECT count(*) AS n FROM " + rel + " AS t", nil, err
		},
		Tables: []store.TableScan{{Table: table}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	return res.Records[0].Column(0).(*array.Int64).Value(0)
}

func decodeJSON(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q (body %q)", ct, rec.Body.String())
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("cannot decode %q: %v", rec.Body.String(), err)
	}
}

// wantError checks an error response's status and shape and returns its detail.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) ErrorDetail {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	var eb ErrorBody
	decodeJSON(t, rec, &eb)
	if eb.Error.Code != code || eb.Error.Message == "" {
		t.Fatalf("error = %+v, want code %q and a message", eb.Error, code)
	}
	return eb.Error
}

var _ = http.MethodGet
