package config

import (
	"flag"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoad(t *testing.T) {
	def := DefaultOptions()
	tests := []struct {
		name    string
		env     []string
		args    []string
		want    func(o *Options)
		rest    []string
		wantErr string
	}{
		{name: "defaults", want: func(o *Options) {}},
		{
			name: "env",
			env: []string{
				"HEIMSIGHT_HOST", "127.0.0.1", "HEIMSIGHT_PORT", "0", "HEIMSIGHT_GRPC_PORT", "1",
				"HEIMSIGHT_OTLP_HTTP_PORT", "2", "HEIMSIGHT_LOG_LEVEL", "debug", "HEIMSIGHT_STORAGE", "ClickHouse",
				"HEIMSIGHT_DATA_DIR", "/tmp/x", "HEIMSIGHT_MAX_REQUEST_BYTES", "4MiB", "HEIMSIGHT_QUERY_MAX_ROWS", "10",
				"HEIMSIGHT_QUERY_TIMEOUT", "5s", "HEIMSIGHT_API_URL", "http://h:1",
			},
			want: func(o *Options) {
				*o = Options{Host: "127.0.0.1", Port: 0, GRPCPort: 1, OTLPHTTPPort: 2, LogLevel: slog.LevelDebug,
					Storage: StorageClickHouse, DataDir: "/tmp/x", MaxRequestBytes: 4 << 20, QueryMaxRows: 10,
					QueryTimeout: 5 * time.Second, APIURL: "http://h:1",
					MaxRecordsPerRequest: def.MaxRecordsPerRequest, MaxAttributesPerRecord: def.MaxAttributesPerRecord,
					MaxAttributeValueLength: def.MaxAttributeValueLength, QueryMaxConcurrent: def.QueryMaxConcurrent}
			},
		},
		{
			name: "flags override env",
			env:  []string{"HEIMSIGHT_PORT", "9000", "HEIMSIGHT_LOG_LEVEL", "debug"},
			args: []string{"--port", "9001", "-log-level=warn", "--max-request-bytes=2048"},
			want: func(o *Options) { o.Port = 9001; o.LogLevel = slog.LevelWarn; o.MaxRequestBytes = 2048 },
		},
		{
			name: "positional arguments between flags",
			args: []string{"--port", "1", "SELECT 1", "--grpc-port", "2", "x"},
			want: func(o *Options) { o.Port = 1; o.GRPCPort = 2 },
			rest: []string{"SELECT 1", "x"},
		},
		{name: "empty env value keeps default", env: []string{"HEIMSIGHT_PORT", ""}, want: func(o *Options) {}},
		{name: "bad port", env: []string{"HEIMSIGHT_PORT", "70000"}, wantErr: "HEIMSIGHT_PORT"},
		{name: "bad port flag", args: []string{"--grpc-port", "x"}, wantErr: "grpc-port"},
		{name: "bad level", env: []string{"HEIMSIGHT_LOG_LEVEL", "loud"}, wantErr: "HEIMSIGHT_LOG_LEVEL"},
		{name: "bad storage", env: []string{"HEIMSIGHT_STORAGE", "s3"}, wantErr: "HEIMSIGHT_STORAGE"},
		{name: "bad size", env: []string{"HEIMSIGHT_MAX_REQUEST_BYTES", "lots"}, wantErr: "HEIMSIGHT_MAX_REQUEST_BYTES"},
		{name: "tiny size", env: []string{"HEIMSIGHT_MAX_REQUEST_BYTES", "10"}, wantErr: "at least 1024"},
		{name: "bad timeout", env: []string{"HEIMSIGHT_QUERY_TIMEOUT", "soon"}, wantErr: "HEIMSIGHT_QUERY_TIMEOUT"},
		{name: "zero timeout", env: []string{"HEIMSIGHT_QUERY_TIMEOUT", "0s"}, wantErr: "positive duration"},
		{name: "bad rows", env: []string{"HEIMSIGHT_QUERY_MAX_ROWS", "-1"}, wantErr: "HEIMSIGHT_QUERY_MAX_ROWS"},
		{name: "shutdown delay", env: []string{"HEIMSIGHT_SHUTDOWN_DELAY", "5s"}, want: func(o *Options) { o.ShutdownDelay = 5 * time.Second }},
		{name: "shutdown delay flag", args: []string{"--shutdown-delay=250ms"}, want: func(o *Options) { o.ShutdownDelay = 250 * time.Millisecond }},
		{name: "bad shutdown delay", env: []string{"HEIMSIGHT_SHUTDOWN_DELAY", "later"}, wantErr: "HEIMSIGHT_SHUTDOWN_DELAY"},
		{name: "negative shutdown delay", env: []string{"HEIMSIGHT_SHUTDOWN_DELAY", "-1s"}, wantErr: "want 0 to 5m"},
		{name: "bad url", env: []string{"HEIMSIGHT_API_URL", "localhost:8080"}, wantErr: "HEIMSIGHT_API_URL"},
		{name: "empty data dir", args: []string{"--data-dir", ""}, wantErr: "HEIMSIGHT_DATA_DIR"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "nope"},
		{name: "grpc port clash", args: []string{"--grpc-port", "8080"}, wantErr: "HEIMSIGHT_GRPC_PORT"},
		{name: "tokens from env", env: []string{"HEIMSIGHT_API_TOKENS", "a:ingest:0123456789abcdef", "HEIMSIGHT_API_TOKEN", " t "},
			want: func(o *Options) { o.APITokens = "a:ingest:0123456789abcdef"; o.APIToken = "t" }},
		{name: "no token flag", args: []string{"--api-tokens", "a:ingest:0123456789abcdef"}, wantErr: "api-tokens"},
		{name: "tokens and file", env: []string{"HEIMSIGHT_API_TOKENS", "x", "HEIMSIGHT_API_TOKENS_FILE", "/f"}, wantErr: "not both"},
		{name: "TLS pair", args: []string{"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem"},
			want: func(o *Options) { o.TLSCertFile, o.TLSKeyFile = "c.pem", "k.pem" }},
		{name: "TLS cert without key", env: []string{"HEIMSIGHT_TLS_CERT_FILE", "c.pem"}, wantErr: "both HEIMSIGHT_TLS_CERT_FILE and HEIMSIGHT_TLS_KEY_FILE"},
		{name: "NUL in path", env: []string{"HEIMSIGHT_TLS_CERT_FILE", "c\x00", "HEIMSIGHT_TLS_KEY_FILE", "k"}, wantErr: "NUL"},
		{name: "limits", env: []string{"HEIMSIGHT_MAX_RECORDS_PER_REQUEST", "10", "HEIMSIGHT_MAX_ATTRIBUTES_PER_RECORD", "0",
			"HEIMSIGHT_MAX_ATTRIBUTE_VALUE_LENGTH", "100", "HEIMSIGHT_QUERY_MAX_CONCURRENT", "2"},
			want: func(o *Options) {
				o.MaxRecordsPerRequest, o.MaxAttributesPerRecord, o.MaxAttributeValueLength, o.QueryMaxConcurrent = 10, 0, 100, 2
			}},
		{name: "zero records", env: []string{"HEIMSIGHT_MAX_RECORDS_PER_REQUEST", "0"}, wantErr: "HEIMSIGHT_MAX_RECORDS_PER_REQUEST"},
		{name: "negative attributes", env: []string{"HEIMSIGHT_MAX_ATTRIBUTES_PER_RECORD", "-1"}, wantErr: "HEIMSIGHT_MAX_ATTRIBUTES_PER_RECORD"},
		{name: "zero concurrency", env: []string{"HEIMSIGHT_QUERY_MAX_CONCURRENT", "0"}, wantErr: "HEIMSIGHT_QUERY_MAX_CONCURRENT"},
		{name: "shared HTTP port", args: []string{"--otlp-http-port", "8080"}, want: func(o *Options) { o.OTLPHTTPPort = 8080 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, err := Load("heimsight", tt.args, env(tt.env...), nil, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := def
			tt.want(&want)
			if got != want {
				t.Fatalf("options =\n%+v\nwant\n%+v", got, want)
			}
			if !reflect.DeepEqual(rest, tt.rest) {
				t.Fatalf("rest = %q, want %q", rest, tt.rest)
			}
		})
	}
}

func TestLoadExtraFlags(t *testing.T) {
	var format string
	_, rest, err := Load("query", []string{"SELECT 1", "--format", "csv"}, env(), nil, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "table", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if format != "csv" || len(rest) != 1 || rest[0] != "SELECT 1" {
		t.Fatalf("format %q rest %q", format, rest)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"16777216": 16 << 20, "16MiB": 16 << 20, "16 mb": 16 << 20, "1k": 1024, "2GiB": 2 << 30} {
		var got int64
		if err := parseBytes(in, &got); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1TiB", "MiB", "1.5MiB"} {
		var got int64
		if err := parseBytes(in, &got); err == nil {
			t.Errorf("parseBytes(%q) = %d, want error", in, got)
		}
	}
}
