package clickhouse

import (
	"strings"
	"testing"
	"time"
)

func TestSetURL(t *testing.T) {
	for _, tt := range []struct {
		url, addr string
		secure    bool
		user, pw  string
		db        string
		err       string
	}{
		{url: "http://localhost:8123", addr: "localhost:9000"},
		{url: "http://clickhouse", addr: "clickhouse:9000"},
		{url: "https://ch.example.com:8443", addr: "ch.example.com:9440", secure: true},
		{url: "http://localhost:18123", err: "native protocol"},
		{url: "clickhouse://ch:9000", addr: "ch:9000"},
		{url: "clickhouse://ch", addr: "ch:9000"},
		{url: "clickhouses://ch", addr: "ch:9440", secure: true},
		{url: "clickhouse://u:p%40ss@ch:19000/metricsdb", addr: "ch:19000", user: "u", pw: "p@ss", db: "metricsdb"},
		{url: "clickhouse://ch:9440?secure=true", addr: "ch:9440", secure: true},
		{url: "[::1]:9000", addr: "[::1]:9000"},
		{url: "tcp://10.0.0.1:9000", addr: "10.0.0.1:9000"},
		{url: "ftp://x", err: "unknown scheme"},
		{url: "localhost", err: "want clickhouse://host:port"},
		{url: "clickhouse://:9000", err: "no host"},
	} {
		o := DefaultOptions()
		err := o.SetURL(tt.url)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.url, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		want := DefaultOptions()
		if tt.user != "" {
			want.Username, want.Password = tt.user, tt.pw
		}
		if tt.db != "" {
			want.Database = tt.db
		}
		if o.Addr != tt.addr || o.Secure != tt.secure || o.Username != want.Username || o.Password != want.Password || o.Database != want.Database {
			t.Errorf("%s: got addr %s secure %v user %s pw %s db %s", tt.url, o.Addr, o.Secure, o.Username, o.Password, o.Database)
		}
	}
}

func TestSetURLRedactsPassword(t *testing.T) {
	o := DefaultOptions()
	err := o.SetURL("http://u:secret@h:1234")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %v leaks the password or is missing", err)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	env := map[string]string{
		EnvURL:      "clickhouse://u1:p1@db.internal:9000/fromurl",
		EnvName:     "explicit",
		EnvPassword: "pw2",
		EnvCluster:  "prod",
	}
	o, err := OptionsFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != "db.internal:9000" || o.Database != "explicit" || o.Username != "u1" || o.Password != "pw2" || o.Cluster != "prod" {
		t.Fatalf("got %+v", o)
	}
	o, err = OptionsFromEnv(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultOptions()
	if o.Addr != d.Addr || o.Database != "heimsight" || o.Username != "heimsight" || o.Password != "heimsight_dev" {
		t.Fatalf("defaults: %+v", o)
	}
	if o.LogsTTL != 30*day || o.TracesTTL != 30*day || o.MetricsTTL != 90*day {
		t.Fatalf("retention defaults: %s %s %s", o.LogsTTL, o.TracesTTL, o.MetricsTTL)
	}
}

func TestValidate(t *testing.T) {
	o := DefaultOptions()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	o.FlushRows, o.MaxPendingRows, o.LogsTTL, o.Database = 10, 5, 500*time.Millisecond, ""
	err := o.Validate()
	for _, want := range []string{"max pending rows", "logs TTL", "database"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want mention of %q", err, want)
		}
	}
}
