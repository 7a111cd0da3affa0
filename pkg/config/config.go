package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Storage backends.
const (
	StorageEmbedded   = "embedded"
	StorageClickHouse = "clickhouse"
)

// Options is the whole process configuration.
type Options struct {
	Host            string        // HEIMSIGHT_HOST, bind address of every listener
	Port            int           // HEIMSIGHT_PORT, REST API (0 picks a free port)
	GRPCPort        int           // HEIMSIGHT_GRPC_PORT, OTLP/gRPC
	OTLPHTTPPort    int           // HEIMSIGHT_OTLP_HTTP_PORT, OTLP/HTTP
	LogLevel        slog.Level    // HEIMSIGHT_LOG_LEVEL: debug, info, warn, error
	Storage         string        // HEIMSIGHT_STORAGE: embedded or clickhouse
	DataDir         string        // HEIMSIGHT_DATA_DIR, embedded store directory
	MaxRequestBytes int64         // HEIMSIGHT_MAX_REQUEST_BYTES, per request, after decompression
	QueryMaxRows    int           // HEIMSIGHT_QUERY_MAX_ROWS, rows one query may return
	QueryTimeout    time.Duration // HEIMSIGHT_QUERY_TIMEOUT, time one query may run
	APIURL          string        // HEIMSIGHT_API_URL, the server the CLI talks to
	// ShutdownDelay is how long serve keeps answering after SIGTERM, with /health at 503
	// "stopping", before it closes its listeners: the time a load balancer or Kubernetes needs
	// to see the instance leave (HEIMSIGHT_SHUTDOWN_DELAY, 0: close at once).
	ShutdownDelay time.Duration

	// APITokens is the token list "name:scopes:secret,..." (pkg/auth.Parse). Environment only:
	// a flag would show the secrets to every user of the machine in the process list.
	APITokens     string // HEIMSIGHT_API_TOKENS
	APITokensFile string // HEIMSIGHT_API_TOKENS_FILE, the same list in a file, one per line
	// APIToken is the secret the CLI subcommands send as a bearer token. Environment only.
	APIToken string // HEIMSIGHT_API_TOKEN

	TLSCertFile string // HEIMSIGHT_TLS_CERT_FILE, PEM certificate chain for every listener
	TLSKeyFile  string // HEIMSIGHT_TLS_KEY_FILE, its PEM private key

	MaxRecordsPerRequest    int // HEIMSIGHT_MAX_RECORDS_PER_REQUEST
	MaxAttributesPerRecord  int // HEIMSIGHT_MAX_ATTRIBUTES_PER_RECORD, 0: unlimited
	MaxAttributeValueLength int // HEIMSIGHT_MAX_ATTRIBUTE_VALUE_LENGTH (bytes), 0: unlimited
	QueryMaxConcurrent      int // HEIMSIGHT_QUERY_MAX_CONCURRENT
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		Host:            "0.0.0.0",
		Port:            8080,
		GRPCPort:        4317,
		OTLPHTTPPort:    4318,
		LogLevel:        slog.LevelInfo,
		Storage:         StorageEmbedded,
		DataDir:         "./data",
		MaxRequestBytes: 16 << 20,
		QueryMaxRows:    100_000,
		QueryTimeout:    30 * time.Second,
		APIURL:          "http://localhost:8080",

		MaxRecordsPerRequest:    50_000,
		MaxAttributesPerRecord:  128,
		MaxAttributeValueLength: 64 << 10,
		QueryMaxConcurrent:      8,
	}
}

// setting ties one option to its environment variable and flag.
// An empty flag name marks a secret: read from the environment only.
type setting struct {
	env, flag, usage string
	get              func(o *Options) string
	set              func(o *Options, v string) error
}

var settings = []setting{
	{"HEIMSIGHT_HOST", "host", "bind address for every listener",
		func(o *Options) string { return o.Host },
		func(o *Options, v string) error { o.Host = v; return nil }},
	{"HEIMSIGHT_PORT", "port", "REST API port (0: any free port)",
		func(o *Options) string { return strconv.Itoa(o.Port) },
		func(o *Options, v string) error { return parsePort(v, &o.Port) }},
	{"HEIMSIGHT_GRPC_PORT", "grpc-port", "OTLP/gRPC port (0: any free port)",
		func(o *Options) string { return strconv.Itoa(o.GRPCPort) },
		func(o *Options, v string) error { return parsePort(v, &o.GRPCPort) }},
	{"HEIMSIGHT_OTLP_HTTP_PORT", "otlp-http-port", "OTLP/HTTP port (0: any free port)",
		func(o *Options) string { return strconv.Itoa(o.OTLPHTTPPort) },
		func(o *Options, v string) error { return parsePort(v, &o.OTLPHTTPPort) }},
	{"HEIMSIGHT_LOG_LEVEL", "log-level", "log level: debug, info, warn, error",
		func(o *Options) string { return strings.ToLower(o.LogLevel.String()) },
		func(o *Options, v string) error { return o.LogLevel.UnmarshalText([]byte(v)) }},
	{"HEIMSIGHT_STORAGE", "storage", "storage backend: embedded or clickhouse",
		func(o *Options) string { return o.Storage },
		func(o *Options, v string) error { o.Storage = strings.ToLower(strings.TrimSpace(v)); return nil }},
	{"HEIMSIGHT_DATA_DIR", "data-dir", "directory of the embedded store",
		func(o *Options) string { return o.DataDir },
		func(o *Options, v string) error { o.DataDir = v; return nil }},
	{"HEIMSIGHT_MAX_REQUEST_BYTES", "max-request-bytes", "largest request body accepted, after decompression (bytes, or with KiB/MiB/GiB)",
		func(o *Options) string { return strconv.FormatInt(o.MaxRequestBytes, 10) },
		func(o *Options, v string) error { return parseBytes(v, &o.MaxRequestBytes) }},
	{"HEIMSIGHT_QUERY_MAX_ROWS", "query-max-rows", "most rows one query may return",
		func(o *Options) string { return strconv.Itoa(o.QueryMaxRows) },
		func(o *Options, v string) error { return parseInt(v, &o.QueryMaxRows) }},
	{"HEIMSIGHT_QUERY_TIMEOUT", "query-timeout", "longest a query may run (Go duration)",
		func(o *Options) string { return o.QueryTimeout.String() },
		func(o *Options, v string) error { return parseDuration(v, &o.QueryTimeout) }},
	{"HEIMSIGHT_SHUTDOWN_DELAY", "shutdown-delay", "after SIGTERM, keep serving this long with /health at 503 before draining (Go duration)",
		func(o *Options) string { return o.ShutdownDelay.String() },
		func(o *Options, v string) error { return parseDuration(v, &o.ShutdownDelay) }},
	{"HEIMSIGHT_API_URL", "api-url", "REST API URL used by the CLI subcommands",
		func(o *Options) string { return o.APIURL },
		func(o *Options, v string) error { o.APIURL = v; return nil }},
	{"HEIMSIGHT_API_TOKENS", "", "API tokens name:scopes:secret,... (environment only)",
		func(o *Options) string { return "" },
		func(o *Options, v string) error { o.APITokens = v; return nil }},
	{"HEIMSIGHT_API_TOKENS_FILE", "api-tokens-file", "file of API tokens, one name:scopes:secret per line",
		func(o *Options) string { return o.APITokensFile },
		func(o *Options, v string) error { o.APITokensFile = v; return nil }},
	{"HEIMSIGHT_API_TOKEN", "", "bearer token the CLI sends (environment only)",
		func(o *Options) string { return "" },
		func(o *Options, v string) error { o.APIToken = strings.TrimSpace(v); return nil }},
	{"HEIMSIGHT_TLS_CERT_FILE", "tls-cert-file", "PEM certificate (chain) served on every listener; needs the key file",
		func(o *Options) string { return o.TLSCertFile },
		func(o *Options, v string) error { o.TLSCertFile = v; return nil }},
	{"HEIMSIGHT_TLS_KEY_FILE", "tls-key-file", "PEM private key of the TLS certificate",
		func(o *Options) string { return o.TLSKeyFile },
		func(o *Options, v string) error { o.TLSKeyFile = v; return nil }},
	{"HEIMSIGHT_MAX_RECORDS_PER_REQUEST", "max-records-per-request", "most log records, spans or data points in one ingest request",
		func(o *Options) string { return strconv.Itoa(o.MaxRecordsPerRequest) },
		func(o *Options, v string) error { return parseInt(v, &o.MaxRecordsPerRequest) }},
	{"HEIMSIGHT_MAX_ATTRIBUTES_PER_RECORD", "max-attributes-per-record", "attributes kept per record, resource, scope, event or link; the rest are dropped and counted (0: unlimited)",
		func(o *Options) string { return strconv.Itoa(o.MaxAttributesPerRecord) },
		func(o *Options, v string) error { return parseInt(v, &o.MaxAttributesPerRecord) }},
	{"HEIMSIGHT_MAX_ATTRIBUTE_VALUE_LENGTH", "max-attribute-value-length", "longest attribute string value in bytes; longer ones are truncated and counted (0: unlimited)",
		func(o *Options) string { return strconv.Itoa(o.MaxAttributeValueLength) },
		func(o *Options, v string) error { return parseInt(v, &o.MaxAttributeValueLength) }},
	{"HEIMSIGHT_QUERY_MAX_CONCURRENT", "query-max-concurrent", "queries (HQL, listings, traces) run at once; more wait up to 1 s, then get 429",
		func(o *Options) string { return strconv.Itoa(o.QueryMaxConcurrent) },
		func(o *Options, v string) error { return parseInt(v, &o.QueryMaxConcurrent) }},
}

// Load builds Options from the defaults, then the environment (getenv, usually os.LookupEnv),
// then the flags in args. It returns the arguments left after the flags (a subcommand's
// positional arguments). Flags may appear before or after positional arguments.
// Usage and errors go to output (nil: discarded). extra, if not nil, registers a subcommand's
// own flags on the same flag set.
func Load(name string, args []string, getenv func(string) (string, bool), output io.Writer, extra func(*flag.FlagSet)) (Options, []string, error) {
	o := DefaultOptions()
	for _, s := range settings {
		v, ok := getenv(s.env)
		if !ok || v == "" {
			continue
		}
		if err := s.set(&o, v); err != nil {
			return o, nil, fmt.Errorf("cannot parse %s=%q: %w", s.env, v, err)
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	if output == nil {
		output = io.Discard
	}
	fs.SetOutput(output)
	def := DefaultOptions()
	for _, s := range settings {
		if s.flag == "" {
			continue
		}
		fs.Func(s.flag, s.usage+" (env "+s.env+", default "+s.get(&def)+")", func(v string) error {
			return s.set(&o, v)
		})
	}
	if extra != nil {
		extra(fs)
	}
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, nil, err
		}
		args = fs.Args()
		// Go's flag package stops at the first positional argument; keep going so that
		// `heimsight query 'SELECT ...' --format json` works.
		for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			rest = append(rest, args[0])
			args = args[1:]
		}
		if len(args) == 0 {
			break
		}
	}
	if err := o.Validate(); err != nil {
		return o, nil, err
	}
	return o, rest, nil
}

// Validate reports the first invalid option.
func (o *Options) Validate() error {
	var errs []error
	if o.Host != "" && net.ParseIP(o.Host) == nil && strings.ContainsAny(o.Host, ":/ ") {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_HOST %q: want an IP address or host name", o.Host))
	}
	if o.GRPCPort != 0 && (o.GRPCPort == o.Port || o.GRPCPort == o.OTLPHTTPPort) {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_GRPC_PORT %d: already used by an HTTP listener", o.GRPCPort))
	}
	switch o.Storage {
	case StorageEmbedded:
		if o.DataDir == "" {
			errs = append(errs, errors.New("invalid HEIMSIGHT_DATA_DIR: empty"))
		}
	case StorageClickHouse:
	default:
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_STORAGE %q: want embedded or clickhouse", o.Storage))
	}
	if o.MaxRequestBytes < 1024 {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_MAX_REQUEST_BYTES %d: want at least 1024", o.MaxRequestBytes))
	}
	if o.QueryMaxRows <= 0 {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_QUERY_MAX_ROWS %d: want a positive number", o.QueryMaxRows))
	}
	if o.QueryTimeout <= 0 {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_QUERY_TIMEOUT %s: want a positive duration", o.QueryTimeout))
	}
	if o.ShutdownDelay < 0 || o.ShutdownDelay > 5*time.Minute {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_SHUTDOWN_DELAY %s: want 0 to 5m", o.ShutdownDelay))
	}
	if o.APITokens != "" && o.APITokensFile != "" {
		errs = append(errs, errors.New("invalid API tokens: set HEIMSIGHT_API_TOKENS or HEIMSIGHT_API_TOKENS_FILE, not both"))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("invalid TLS settings: set both HEIMSIGHT_TLS_CERT_FILE and HEIMSIGHT_TLS_KEY_FILE, or neither"))
	}
	for _, f := range []struct{ env, path string }{
		{"HEIMSIGHT_API_TOKENS_FILE", o.APITokensFile}, {"HEIMSIGHT_TLS_CERT_FILE", o.TLSCertFile},
		{"HEIMSIGHT_TLS_KEY_FILE", o.TLSKeyFile}, {"HEIMSIGHT_DATA_DIR", o.DataDir},
	} {
		if strings.ContainsRune(f.path, 0) {
			errs = append(errs, fmt.Errorf("invalid %s: the path contains a NUL byte", f.env))
		}
	}
	if o.MaxRecordsPerRequest <= 0 {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_MAX_RECORDS_PER_REQUEST %d: want a positive number", o.MaxRecordsPerRequest))
	}
	if o.MaxAttributesPerRecord < 0 {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_MAX_ATTRIBUTES_PER_RECORD %d: want 0 (unlimited) or more", o.MaxAttributesPerRecord))
	}
	if o.MaxAttributeValueLength < 0 {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_MAX_ATTRIBUTE_VALUE_LENGTH %d: want 0 (unlimited) or more", o.MaxAttributeValueLength))
	}
	if o.QueryMaxConcurrent <= 0 {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_QUERY_MAX_CONCURRENT %d: want a positive number", o.QueryMaxConcurrent))
	}
	if u, err := url.Parse(o.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("invalid HEIMSIGHT_API_URL %q: want an http:// or https:// URL", o.APIURL))
	}
	return errors.Join(errs...)
}

func parsePort(v string, dst *int) error {
	p, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("invalid port %q: want 0..65535", v)
	}
	*dst = p
	return nil
}

func parseDuration(v string, d *time.Duration) error {
	var err error
	*d, err = time.ParseDuration(v)
	return err
}

func parseInt(v string, dst *int) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("invalid number %q", v)
	}
	*dst = n
	return nil
}

// parseBytes accepts a plain byte count or one with a KiB/MiB/GiB (or KB/MB/GB, also binary)
// suffix.
func parseBytes(v string, dst *int64) error {
	s := strings.TrimSpace(v)
	mult := int64(1)
	upper := strings.ToUpper(s)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if strings.HasSuffix(upper, u.suffix) {
			s = strings.TrimSpace(s[:len(s)-len(u.suffix)])
			mult = u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("invalid size %q: want bytes, optionally with a KiB, MiB or GiB suffix", v)
	}
	*dst = n * mult
	return nil
}

// ListenAddr joins the host and a port for net.Listen.
func (o *Options) ListenAddr(port int) string {
	return net.JoinHostPort(o.Host, strconv.Itoa(port))
}
