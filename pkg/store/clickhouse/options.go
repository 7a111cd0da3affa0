package clickhouse

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The environment variables OptionsFromEnv reads. Exported so the process configuration and the
// docker-compose test can check that they agree with this package.
const (
	EnvURL      = "HEIMSIGHT_DB_URL"
	EnvName     = "HEIMSIGHT_DB_NAME"
	EnvUser     = "HEIMSIGHT_DB_USER"
	EnvPassword = "HEIMSIGHT_DB_PASSWORD"
	EnvCluster  = "HEIMSIGHT_DB_CLUSTER"
)

// EnvVars lists every environment variable OptionsFromEnv reads.
var EnvVars = []string{EnvURL, EnvName, EnvUser, EnvPassword, EnvCluster}

// Default native protocol ports.
const (
	nativePort       = 9000
	nativeSecurePort = 9440
	httpPort         = 8123
	httpSecurePort   = 8443
)

// Options configures the ClickHouse store. Build it with DefaultOptions and adjust fields; Open
// validates it.
type Options struct {
	// Addr is the native protocol address, host:port (ClickHouse's TCP port, 9000 by default).
	Addr string
	// Secure connects with TLS (the native TLS port is 9440 by default).
	Secure bool
	// Database holds every Heimsight table. Created by the migrations when missing.
	Database string
	// Username and Password authenticate the connection.
	Username string
	Password string
	// Cluster, when set, runs every DDL statement ON CLUSTER and creates Replicated*MergeTree
	// tables (replica paths from the server's default_replica_path/default_replica_name, which
	// need the {shard} and {replica} macros configured). Empty: a single server.
	Cluster string

	// FlushRows flushes a table's buffer once it holds this many rows.
	FlushRows int
	// FlushInterval flushes a non-empty buffer this long after its first row arrived. It is the
	// latency Write adds to a small request, since Write waits for the insert.
	FlushInterval time.Duration
	// MaxPendingRows bounds the rows buffered or in flight across all tables. A Write that would
	// exceed it fails at once with store.ErrOverloaded instead of queueing without limit (a
	// batch larger than the limit is taken only when nothing else is pending).
	MaxPendingRows int
	// InsertTimeout bounds one batch insert. A slower insert fails its writers with
	// store.ErrUnavailable.
	InsertTimeout time.Duration
	// DialTimeout bounds connecting to the server.
	DialTimeout time.Duration
	// MaxOpenConns bounds the query and DDL connection pool, and the idle insert connections
	// kept (inserts use at most one connection per raw table at a time).
	MaxOpenConns int
	// RetryBackoff is how long Write fails fast with store.ErrUnavailable after an insert failed
	// on a connection error, before the store probes the server again.
	RetryBackoff time.Duration

	// LogsTTL, TracesTTL and MetricsTTL are the retention the tables are created with (0: no
	// TTL). Changing them later is the retention component's job (RetentionStatements); these
	// only shape a fresh schema.
	LogsTTL    time.Duration
	TracesTTL  time.Duration
	MetricsTTL time.Duration

	// QueryMaxRows is the default row limit of a query (store.Query.MaxRows overrides it).
	QueryMaxRows int
	// QueryTimeout is max_execution_time for every query.
	QueryTimeout time.Duration

	// MigrationLockStale is the age after which another runner's migration lock is considered
	// abandoned (its process died) and taken over. It must exceed the longest migration.
	MigrationLockStale time.Duration
	// MigrationLockWait bounds how long a runner waits for another runner's lock.
	MigrationLockWait time.Duration

	// Logger receives migration, flush and recovery events (nil: slog.Default()).
	Logger *slog.Logger
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

const day = 24 * time.Hour

// DefaultOptions returns the documented defaults: a local server on the native port, database,
// user and password heimsight/heimsight/heimsight_dev as in the original design, and the
// retention defaults (logs 30 days, traces 30 days, metrics 90 days).
func DefaultOptions() Options {
	return Options{
		Addr:               "localhost:9000",
		Database:           "heimsight",
		Username:           "heimsight",
		Password:           "heimsight_dev",
		FlushRows:          20_000,
		FlushInterval:      100 * time.Millisecond,
		MaxPendingRows:     500_000,
		InsertTimeout:      15 * time.Second,
		DialTimeout:        5 * time.Second,
		MaxOpenConns:       16,
		RetryBackoff:       time.Second,
		LogsTTL:            30 * day,
		TracesTTL:          30 * day,
		MetricsTTL:         90 * day,
		QueryMaxRows:       100_000,
		QueryTimeout:       30 * time.Second,
		MigrationLockStale: 10 * time.Minute,
		MigrationLockWait:  15 * time.Minute,
	}
}

// OptionsFromEnv returns DefaultOptions overridden by the HEIMSIGHT_DB_* variables (getenv is
// usually os.LookupEnv; unset and empty variables keep the default). HEIMSIGHT_DB_URL may carry a
// user, password and database (clickhouse://user:pass@host:9000/db); the separate variables win
// over them.
func OptionsFromEnv(getenv func(string) (string, bool)) (Options, error) {
	o := DefaultOptions()
	get := func(k string) (string, bool) {
		v, ok := getenv(k)
		return v, ok && v != ""
	}
	if v, ok := get(EnvURL); ok {
		if err := o.SetURL(v); err != nil {
			return o, fmt.Errorf("cannot parse %s: %w", EnvURL, err)
		}
	}
	if v, ok := get(EnvName); ok {
		o.Database = v
	}
	if v, ok := get(EnvUser); ok {
		o.Username = v
	}
	if v, ok := get(EnvPassword); ok {
		o.Password = v
	}
	if v, ok := get(EnvCluster); ok {
		o.Cluster = v
	}
	return o, o.Validate()
}

// SetURL sets Addr and Secure (and, when present, Username, Password and Database) from a
// server URL. Accepted forms:
//
//	clickhouse://host[:port][/db]   native protocol, port 9000 by default
//	clickhouses://host[:port][/db]  native protocol over TLS, port 9440 by default
//	http://host[:8123][/db]         the original design's form: the same host's native port 9000
//	https://host[:8443][/db]        native TLS port 9440
//	host:port                       native protocol
//
// The store speaks only the native protocol (batch inserts stream column blocks). An http URL
// names the HTTP interface, so it is mapped to the native port only when it uses the standard
// HTTP port (or none); another HTTP port is rejected because the native port cannot be guessed.
func (o *Options) SetURL(raw string) error {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		if _, _, err := net.SplitHostPort(raw); err != nil {
			return fmt.Errorf("invalid address %q: want clickhouse://host:port or host:port", raw)
		}
		o.Addr, o.Secure = raw, false
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", redact(raw), err)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return fmt.Errorf("invalid URL %q: no host", redact(raw))
	}
	var p int
	switch u.Scheme {
	case "clickhouse", "tcp":
		o.Secure, p = false, nativePort
	case "clickhouses":
		o.Secure, p = true, nativeSecurePort
	case "http":
		o.Secure, p = false, nativePort
		if port != "" && port != strconv.Itoa(httpPort) {
			return fmt.Errorf("invalid URL %q: the store uses the native protocol; give clickhouse://%s:<native port> for an HTTP port other than %d", redact(raw), host, httpPort)
		}
		port = ""
	case "https":
		o.Secure, p = true, nativeSecurePort
		if port != "" && port != strconv.Itoa(httpSecurePort) {
			return fmt.Errorf("invalid URL %q: the store uses the native protocol; give clickhouses://%s:<native TLS port> for an HTTPS port other than %d", redact(raw), host, httpSecurePort)
		}
		port = ""
	default:
		return fmt.Errorf("invalid URL %q: unknown scheme %q (want clickhouse, clickhouses, http or https)", redact(raw), u.Scheme)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("invalid URL %q: bad port", redact(raw))
		}
		p = n
	}
	if v := u.Query().Get("secure"); v != "" {
		o.Secure = v == "true" || v == "1"
	}
	o.Addr = net.JoinHostPort(host, strconv.Itoa(p))
	if u.User != nil {
		o.Username = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			o.Password = pw
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		o.Database = db
	}
	return nil
}

// redact drops the password from a URL for error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Validate reports every invalid field.
func (o *Options) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		errs = append(errs, fmt.Errorf("invalid address %q: want host:port", o.Addr))
	}
	if o.Database == "" {
		errs = append(errs, errors.New("invalid database: empty"))
	}
	if strings.ContainsRune(o.Database, 0) || strings.ContainsRune(o.Cluster, 0) {
		errs = append(errs, errors.New("invalid database or cluster name: contains NUL"))
	}
	if o.FlushRows <= 0 {
		errs = append(errs, fmt.Errorf("invalid flush rows %d: want > 0", o.FlushRows))
	}
	if o.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("invalid flush interval %s: want > 0", o.FlushInterval))
	}
	if o.MaxPendingRows < o.FlushRows {
		errs = append(errs, fmt.Errorf("invalid max pending rows %d: want >= flush rows %d", o.MaxPendingRows, o.FlushRows))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"insert timeout", o.InsertTimeout}, {"dial timeout", o.DialTimeout}, {"retry backoff", o.RetryBackoff},
		{"query timeout", o.QueryTimeout}, {"migration lock stale timeout", o.MigrationLockStale}, {"migration lock wait", o.MigrationLockWait}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("invalid %s %s: want > 0", d.name, d.v))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"logs TTL", o.LogsTTL}, {"traces TTL", o.TracesTTL}, {"metrics TTL", o.MetricsTTL}} {
		if d.v < 0 || (d.v > 0 && d.v < time.Second) {
			errs = append(errs, fmt.Errorf("invalid %s %s: want 0 (none) or at least 1s", d.name, d.v))
		}
	}
	if o.MaxOpenConns <= 0 {
		errs = append(errs, fmt.Errorf("invalid max open connections %d: want > 0", o.MaxOpenConns))
	}
	if o.QueryMaxRows <= 0 {
		errs = append(errs, fmt.Errorf("invalid query max rows %d: want > 0", o.QueryMaxRows))
	}
	return errors.Join(errs...)
}
