package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestErrorsAndBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/health":
			w.WriteHeader(503)
			w.Write([]byte(`{"status":"stopping","version":"v","storage":"embedded"}`))
		case "/api/v1/query":
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"code":"invalid_query","message":"unexpected end","line":2,"column":5}}`))
		case "/api/v1/logs":
			if r.URL.Query().Get("service") != "a b" {
				t.Errorf("query = %q", r.URL.RawQuery)
			}
			w.Write([]byte(`{"items":[{"timestamp":1795000000000000001}],"count":1}`))
		default:
			w.WriteHeader(502)
			w.Write([]byte("bad gateway"))
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	h, err := c.Health(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 || h.Status != "stopping" {
		t.Fatalf("health = %+v, %v", h, err)
	}
	_, err = c.Query(ctx, QueryRequest{Query: "SELECT"})
	if !errors.As(err, &ae) || ae.Detail.Code != "invalid_query" || ae.Detail.Line != 2 || ae.Error() != "server answered 400 invalid_query: unexpected end (line 2, column 5)" {
		t.Fatalf("query error = %v", err)
	}
	l, err := c.List(ctx, "/api/v1/logs", url.Values{"service": {"a b"}})
	if err != nil || l.Count != 1 || l.Items[0]["timestamp"].(interface{ String() string }).String() != "1795000000000000001" {
		t.Fatalf("list = %+v, %v", l, err)
	}
	_, err = c.Query(ctx, QueryRequest{Query: "x"})
	if err == nil {
		t.Fatal("want error")
	}
	if _, err := c.IngestSpans(ctx, nil); !errors.As(err, &ae) || ae.StatusCode != 502 || ae.Detail.Message != "bad gateway" {
		t.Fatalf("ingest error = %v", err)
	}
	if _, err := New("localhost:8080", nil); err == nil {
		t.Fatal("want an error for a URL without scheme")
	}
}
