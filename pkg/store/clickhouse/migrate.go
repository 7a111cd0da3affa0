package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	clickhouseschema "github.com/heimsight/heimsight/schema/clickhouse"
)

// sqlConn is what the migration runner and the retention statements need from a connection.
// The store adapts clickhouse-go's driver.Conn; the tests run the same code on the ClickHouse
// engine in-process (chDB).
type sqlConn interface {
	// Exec runs one statement. Args bind to ? placeholders.
	Exec(ctx context.Context, query string, args ...any) error
	// QueryStrings runs a query whose columns are all String and returns its rows.
	QueryStrings(ctx context.Context, query string, args ...any) ([][]string, error)
}

// ClickHouse error codes the runner reacts to.
const (
	codeTableAlreadyExists = 57
)

var codeInMessage = regexp.MustCompile(`Code: (\d+)\.`)

// errorCode extracts the ClickHouse error code of err: from clickhouse-go's exception, or from
// the "Code: N." text every ClickHouse error message starts with (what chDB reports).
func errorCode(err error) (int32, bool) {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return ex.Code, true
	}
	if err == nil {
		return 0, false
	}
	if m := codeInMessage.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return int32(n), true
	}
	return 0, false
}

// Migration is one numbered schema file.
type Migration struct {
	Version  uint32
	Name     string // file name, e.g. 0001_otel_logs.sql
	Text     string // the template text as embedded
	Checksum string // sha256 of Text, recorded when applied
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Migrations returns the embedded migrations in version order. It fails on a malformed name, a
// duplicate version or a file with more than one statement (each version is one statement, so a
// failure never leaves a version half applied and unrecorded).
func Migrations() ([]Migration, error) {
	return loadMigrations(clickhouseschema.Migrations)
}

func loadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("cannot read migrations: %w", err)
	}
	var out []Migration
	seen := map[uint32]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("cannot load migration %s: name must be NNNN_lower_snake.sql", e.Name())
		}
		v, _ := strconv.ParseUint(m[1], 10, 32)
		if prev, dup := seen[uint32(v)]; dup {
			return nil, fmt.Errorf("cannot load migration %s: version %d already used by %s", e.Name(), v, prev)
		}
		seen[uint32(v)] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("cannot read migration %s: %w", e.Name(), err)
		}
		text := string(b)
		if n := countStatements(text); n != 1 {
			return nil, fmt.Errorf("cannot load migration %s: %d statements, want exactly 1", e.Name(), n)
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: uint32(v), Name: e.Name(), Text: text, Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// countStatements counts statements in a schema file: text outside comments and string
// literals, separated by semicolons. Good enough for DDL files this package owns.
func countStatements(text string) int {
	n, inStmt := 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '\'':
			inStmt = true
			for i++; i < len(text) && text[i] != '\''; i++ {
				if text[i] == '\\' {
					i++
				}
			}
		case c == ';':
			if inStmt {
				n++
			}
			inStmt = false
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			inStmt = true
		}
	}
	if inStmt {
		n++
	}
	return n
}

// MigrateResult says what one runner did.
type MigrateResult struct {
	Applied []string      // migrations this runner applied, in order
	Waited  time.Duration // time spent waiting for another runner's lock
}

// migrator applies the embedded schema. Hooks are for tests.
type migrator struct {
	conn   sqlConn
	opts   *Options
	owner  string
	log    *slog.Logger
	poll   time.Duration
	fsys   fs.FS  // migrations; nil: the embedded ones
	locked func() // called once the lock is held, before applying
}

// Migrate applies every embedded migration not yet recorded in heimsight_schema_migrations, in
// order, under the migration lock: of several concurrent runners one applies, the others wait
// for it and then find nothing left to do. Safe to call on every start.
func Migrate(ctx context.Context, conn sqlConn, o *Options) (MigrateResult, error) {
	return newMigrator(conn, o).run(ctx)
}

func newMigrator(conn sqlConn, o *Options) *migrator {
	host, _ := os.Hostname()
	return &migrator{
		conn:  conn,
		opts:  o,
		owner: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano()),
		log:   o.logger(),
		poll:  250 * time.Millisecond,
	}
}

func (m *migrator) exec(ctx context.Context, name, text string, args ...any) error {
	sql, err := renderDDL(m.opts, name, text)
	if err != nil {
		return err
	}
	if err := m.conn.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("cannot apply %s: %w", name, err)
	}
	return nil
}

func (m *migrator) bootstrap(name string) (string, error) {
	b, err := fs.ReadFile(clickhouseschema.Bootstrap, path.Join("bootstrap", name))
	if err != nil {
		return "", fmt.Errorf("cannot read bootstrap/%s: %w", name, err)
	}
	return string(b), nil
}

func (m *migrator) run(ctx context.Context) (MigrateResult, error) {
	var res MigrateResult
	fsys := m.fsys
	if fsys == nil {
		fsys = clickhouseschema.Migrations
	}
	migs, err := loadMigrations(fsys)
	if err != nil {
		return res, err
	}
	for _, name := range []string{"0001_database.sql", "0002_schema_migrations.sql"} {
		text, err := m.bootstrap(name)
		if err != nil {
			return res, err
		}
		if err := m.exec(ctx, "bootstrap/"+name, text); err != nil {
			return res, err
		}
	}
	pending, err := m.pending(ctx, migs)
	if err != nil || len(pending) == 0 {
		// Nothing to do: the common restart path takes no lock.
		return res, err
	}
	start := time.Now()
	release, err := m.lock(ctx)
	res.Waited = time.Since(start)
	if err != nil {
		return res, err
	}
	defer release()
	if m.locked != nil {
		m.locked()
	}
	// Another runner may have applied everything while this one waited.
	if pending, err = m.pending(ctx, migs); err != nil {
		return res, err
	}
	for _, mig := range pending {
		if err := m.exec(ctx, mig.Name, mig.Text); err != nil {
			return res, err
		}
		if err := m.conn.Exec(ctx, "INSERT INTO "+QuoteIdent(m.opts.Database)+".`heimsight_schema_migrations` (version, name, checksum, applied_at, applied_by) VALUES (?, ?, ?, now64(3), ?)",
			mig.Version, mig.Name, mig.Checksum, m.owner); err != nil {
			return res, fmt.Errorf("cannot record migration %s: %w", mig.Name, err)
		}
		m.log.Info("applied ClickHouse migration", "migration", mig.Name, "database", m.opts.Database)
		res.Applied = append(res.Applied, mig.Name)
	}
	return res, nil
}

// pending returns the migrations not recorded yet. A recorded migration whose file changed is an
// error: the database no longer matches what the code believes it ran.
func (m *migrator) pending(ctx context.Context, migs []Migration) ([]Migration, error) {
	rows, err := m.conn.QueryStrings(ctx, "SELECT toString(version), checksum FROM "+QuoteIdent(m.opts.Database)+".`heimsight_schema_migrations` FINAL")
	if err != nil {
		return nil, fmt.Errorf("cannot read applied migrations: %w", err)
	}
	applied := map[uint32]string{}
	for _, r := range rows {
		if len(r) != 2 {
			return nil, fmt.Errorf("cannot read applied migrations: got %d columns", len(r))
		}
		v, err := strconv.ParseUint(r[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("cannot read applied migrations: bad version %q", r[0])
		}
		applied[uint32(v)] = r[1]
	}
	var out []Migration
	for _, mig := range migs {
		sum, ok := applied[mig.Version]
		switch {
		case !ok:
			out = append(out, mig)
		case sum != mig.Checksum:
			return nil, fmt.Errorf("cannot migrate: %s was changed after it was applied (recorded checksum %s); add a new migration instead", mig.Name, sum)
		}
	}
	return out, nil
}

// lock takes the migration lock: an atomic CREATE TABLE of a fixed name (see
// schema/clickhouse/bootstrap/lock.sql). It waits while another runner holds a fresh lock, takes
// over a lock older than MigrationLockStale and gives up after MigrationLockWait. The returned
// func releases the lock, even when ctx is done.
//
// Two waiters may both judge the same lock stale and one may then drop the lock the other just
// took. That needs a runner dead for MigrationLockStale and two others starting within one poll
// of each other; even then every migration is idempotent DDL and the record table collapses
// duplicates, so the worst case is a statement run twice.
func (m *migrator) lock(ctx context.Context) (func(), error) {
	lockText, err := m.bootstrap("lock.sql")
	if err != nil {
		return nil, err
	}
	unlockText, err := m.bootstrap("unlock.sql")
	if err != nil {
		return nil, err
	}
	release := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := m.exec(ctx, "bootstrap/unlock.sql", unlockText); err != nil {
			m.log.Warn("cannot release the ClickHouse migration lock; the next runner takes it over once stale", "err", err)
		}
	}
	deadline := time.Now().Add(m.opts.MigrationLockWait)
	logged := false
	for {
		err := m.exec(ctx, "bootstrap/lock.sql", lockText)
		if err == nil {
			// Best effort: who holds the lock, for whoever finds it stuck.
			if err := m.conn.Exec(ctx, "INSERT INTO "+QuoteIdent(m.opts.Database)+".`heimsight_schema_lock` (owner) VALUES (?)", m.owner); err != nil {
				m.log.Debug("cannot record migration lock owner", "err", err)
			}
			return release, nil
		}
		if code, ok := errorCode(err); !ok || code != codeTableAlreadyExists {
			return nil, fmt.Errorf("cannot take the migration lock: %w", err)
		}
		age, exists, err := m.lockAge(ctx)
		if err != nil {
			return nil, err
		}
		if exists && age > m.opts.MigrationLockStale {
			m.log.Warn("taking over a stale ClickHouse migration lock", "age", age, "stale_after", m.opts.MigrationLockStale)
			if err := m.exec(ctx, "bootstrap/unlock.sql", unlockText); err != nil {
				return nil, fmt.Errorf("cannot drop the stale migration lock: %w", err)
			}
			continue
		}
		if !exists {
			continue // released between our CREATE and the lookup
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("cannot take the migration lock: held by another runner for %s, waited %s", age, m.opts.MigrationLockWait)
		}
		if !logged {
			m.log.Info("waiting for another runner's ClickHouse migrations", "lock_age", age)
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cannot take the migration lock: %w", ctx.Err())
		case <-time.After(m.poll):
		}
	}
}

// lockAge is how long the lock table has existed, measured on the server's clock.
func (m *migrator) lockAge(ctx context.Context) (time.Duration, bool, error) {
	rows, err := m.conn.QueryStrings(ctx,
		"SELECT toString(dateDiff('second', metadata_modification_time, now())) FROM system.tables WHERE database = ? AND name = 'heimsight_schema_lock'",
		m.opts.Database)
	if err != nil {
		return 0, false, fmt.Errorf("cannot read the migration lock: %w", err)
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return 0, false, nil
	}
	s, err := strconv.ParseInt(strings.TrimSpace(rows[0][0]), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("cannot read the migration lock age %q: %w", rows[0][0], err)
	}
	return time.Duration(s) * time.Second, true, nil
}
