//go:build duckdb_arrow

package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/rollup"
)

// The aggregation tiers (pkg/rollup.Tiers) are written by an incremental rollup job, from raw
// parts only, with DuckDB's COPY:
//
//	rollup/state.json                          per raw table and unit: the generation rolled up
//	rollup/<tier>/<YYYY-MM-DD>.parquet         one part per tier and day
//
// A unit (an hour or a day of one raw table) is rolled up once it is closed: it ended at least
// Options.RollupDelay ago. Every tier of the unit is recomputed from all of the unit's raw
// parts: a day unit replaces its day's tier part, an hour unit replaces the rows of its hour
// in its day's tier part (the part is rewritten; tier rows are few), atomically either way
// (temporary file, fsync, rename, fsync of the directory). So a tier part always equals the
// aggregation of the raw rows its units had on disk, and the quantiles of every tier, daily ones included, are exact
// (quantile_cont over the raw durations of the hour or of the day, not a merge of digests), as
// are the daily distinct trace counts. metrics_1day and logs_1day_counts merge the day's
// hourly tier rows instead (sums, counts, mins and maxes combine exactly), which is what keeps
// a day of raw metric points out of memory.
//
// Watermark and late data: generations only grow, and a part of generation g holds rows that
// were written before any part of a higher generation was flushed. The state records, per raw
// table and unit, the highest generation among the parts the unit was computed from. A unit
// whose parts now reach a higher generation received rows since (late data, or rows that
// were still in memory when the unit was first rolled up) and is recomputed; compaction keeps
// the highest generation of its inputs (c-<low>-<high>), so it triggers nothing. Retention
// deleting raw parts lowers nothing that is compared, so tiers outlive their raw data. After a
// restart the job compares every closed unit on disk with the state and catches up. The state
// is written after the tier parts it describes, atomically: a crash in between recomputes a
// unit, which is idempotent.
//
// Late data past the raw retention horizon: a tier usually lives longer than its raw table
// (metrics 90 days, metrics_1hour 365), so a late row can arrive for an hour whose raw parts
// retention already deleted. Recomputing that hour would replace its tier rows, built from
// all of its rows, with the aggregation of the late row alone; recomputing a day that lost
// some of its hours would do the same to the day tiers read from raw parts. So a unit that
// starts before the raw table's retention horizon (rawHorizon) is not recomputed from raw
// parts: its tier rows stay as they are and its late rows are in no tier (they are past the
// TTL, and the next enforcement deletes them). The day tiers merged from hourly tiers are
// still recomputed, as the hourly rows they read are complete.
//
// Rows still in memory are not rolled up until flushed; with the default delay the flush
// interval has long passed when an hour closes, and a later flush recomputes the unit anyway.

const rollupDirName = "rollup"

// rollupUnit is an hour or a day, in the unit's own count since the epoch.
type rollupUnit struct {
	day bool
	n   int64
}

func (u rollupUnit) start() int64 {
	if u.day {
		return u.n * 24 * nsPerHour
	}
	return u.n * nsPerHour
}

func (u rollupUnit) end() int64 {
	if u.day {
		return (u.n + 1) * 24 * nsPerHour
	}
	return (u.n + 1) * nsPerHour
}

func (u rollupUnit) name() string {
	t := time.Unix(0, u.start()).UTC()
	if u.day {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02T15")
}

func parseUnitName(s string) (rollupUnit, bool) {
	if t, err := time.Parse("2006-01-02T15", s); err == nil {
		return rollupUnit{n: t.Unix() / 3600}, true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return rollupUnit{day: true, n: t.Unix() / 86400}, true
	}
	return rollupUnit{}, false
}

// tierCol is one column of a tier part: its DuckDB type, the expression over the raw table
// (bucket stands for the interval start expression) and whether it is a grouping key.
type tierCol struct {
	name, typ, expr string
	key             bool
}

func tierKey(name, typ, expr string) tierCol {
	return tierCol{name: name, typ: typ, expr: expr, key: true}
}
func tierAgg(name, typ, expr string) tierCol { return tierCol{name: name, typ: typ, expr: expr} }

// tierSpec is how one tier is computed and read.
type tierSpec struct {
	name   string
	table  int    // raw table index
	day    bool   // computed per day (else per hour)
	bucket string // interval start of a raw row, as TIMESTAMP
	where  string
	cols   []tierCol
	// from, when set, is the hourly tier a day tier merges instead of reading raw parts: its
	// aggregates combine exactly (sums, mins, maxes, counts), and a day of tier rows is far
	// smaller than a day of raw rows.
	from string
}

// histogramBuckets sums bucket counts element-wise. FILTER: a list of every gauge point's NULL
// would be built and dropped otherwise.
const histogramBuckets = `CASE WHEN "type" = 'histogram' THEN list_reduce(list("bucket_counts") FILTER (WHERE "bucket_counts" IS NOT NULL), (a, b) -> [a[i] + b[i] for i in range(1, len(a) + 1)]) END`

// metricsDayFromHours merges a day of metrics_1hour rows into metrics_1day.
func metricsDayFromHours() tierSpec {
	return tierSpec{name: "metrics_1day", table: tableIndex(tableMetrics), day: true, bucket: bucketDay, from: "metrics_1hour",
		cols: []tierCol{
			tierKey("timestamp", "TIMESTAMP_NS", "bucket"),
			tierKey("name", "VARCHAR", `"name"`),
			tierKey("service", "VARCHAR", `"service"`),
			tierKey("attributes", "MAP(VARCHAR, VARCHAR)", `"attributes"`),
			tierKey("type", "VARCHAR", `"type"`),
			tierAgg("count", "BIGINT", `sum("count")`),
			tierAgg("sum", "DOUBLE", `sum("sum")`),
			tierAgg("min", "DOUBLE", `min("min")`),
			tierAgg("max", "DOUBLE", `max("max")`),
			tierAgg("avg", "DOUBLE", `sum("sum") / NULLIF(sum("count"), 0)`),
			tierAgg("bucket_counts", "BIGINT[]", histogramBuckets),
			tierKey("explicit_bounds", "DOUBLE[]", `"explicit_bounds"`),
		}}
}

// logsDayFromHours merges a day of logs_1hour_counts rows into logs_1day_counts.
func logsDayFromHours() tierSpec {
	return tierSpec{name: "logs_1day_counts", table: tableIndex(tableLogs), day: true, bucket: bucketDay, from: "logs_1hour_counts",
		cols: []tierCol{
			tierKey("timestamp", "TIMESTAMP_NS", "bucket"),
			tierKey("level", "VARCHAR", `"level"`),
			tierKey("service", "VARCHAR", `"service"`),
			tierKey("pattern", "VARCHAR", `"pattern"`),
			tierAgg("count", "BIGINT", `sum("count")`),
		}}
}

func metricsTier(name, bucket string, day bool) tierSpec {
	val := func(hist string) string {
		return `CASE WHEN "type" = 'histogram' THEN "` + hist + `" ELSE "value" END`
	}
	count := `sum(CASE WHEN "type" = 'histogram' THEN "count" ELSE 1 END)`
	return tierSpec{name: name, table: tableIndex(tableMetrics), day: day, bucket: bucket, where: `"type" IN ('gauge', 'sum', 'histogram')`,
		cols: []tierCol{
			tierKey("timestamp", "TIMESTAMP_NS", "bucket"),
			tierKey("name", "VARCHAR", `"name"`),
			tierKey("service", "VARCHAR", `"service"`),
			tierKey("attributes", "MAP(VARCHAR, VARCHAR)", `"attributes"`),
			tierKey("type", "VARCHAR", `"type"`),
			tierAgg("count", "BIGINT", count),
			tierAgg("sum", "DOUBLE", "sum("+val("sum")+")"),
			tierAgg("min", "DOUBLE", "min("+val("min")+")"),
			tierAgg("max", "DOUBLE", "max("+val("max")+")"),
			tierAgg("avg", "DOUBLE", "sum("+val("sum")+") / NULLIF("+count+", 0)"),
			tierAgg("bucket_counts", "BIGINT[]", histogramBuckets),
			tierKey("explicit_bounds", "DOUBLE[]", `"explicit_bounds"`),
		}}
}

// levelExpr is the logical logs.level (pkg/hql's catalog derives it the same way).
const levelExpr = `CASE WHEN "severity_number" = 0 THEN lower("severity_text")
	WHEN "severity_number" <= 4 THEN 'trace' WHEN "severity_number" <= 8 THEN 'debug'
	WHEN "severity_number" <= 12 THEN 'info' WHEN "severity_number" <= 16 THEN 'warn'
	WHEN "severity_number" <= 20 THEN 'error' ELSE 'fatal' END`

func logsTier(name, bucket string, day bool) tierSpec {
	pattern, err := rollup.SQLExpr(rollup.DuckDB, `"body"`, quoteString)
	if err != nil {
		panic("embedded: cannot render log normalization: " + err.Error())
	}
	return tierSpec{name: name, table: tableIndex(tableLogs), day: day, bucket: bucket,
		cols: []tierCol{
			tierKey("timestamp", "TIMESTAMP_NS", "bucket"),
			tierKey("level", "VARCHAR", levelExpr),
			tierKey("service", "VARCHAR", `"service"`),
			tierKey("pattern", "VARCHAR", pattern),
			tierAgg("count", "BIGINT", "count(*)"),
		}}
}

func spansTier(name, bucket string, day bool) tierSpec {
	q := func(p string) string { return `quantile_cont("duration_ns", ` + p + `)` }
	return tierSpec{name: name, table: tableIndex(tableSpans), day: day, bucket: bucket,
		cols: []tierCol{
			tierKey("timestamp", "TIMESTAMP_NS", "bucket"),
			tierKey("service", "VARCHAR", `"service"`),
			tierKey("operation", "VARCHAR", `"name"`),
			tierAgg("span_count", "BIGINT", "count(*)"),
			tierAgg("error_count", "BIGINT", `count(*) FILTER (WHERE "status_code" = 'Error')`),
			tierAgg("error_rate", "DOUBLE", `count(*) FILTER (WHERE "status_code" = 'Error') / count(*)`),
			tierAgg("avg_duration_ns", "DOUBLE", `avg("duration_ns")`),
			tierAgg("p50_duration_ns", "DOUBLE", q("0.5")),
			tierAgg("p95_duration_ns", "DOUBLE", q("0.95")),
			tierAgg("p99_duration_ns", "DOUBLE", q("0.99")),
		}}
}

func tracesTier(name, bucket string, day bool) tierSpec {
	return tierSpec{name: name, table: tableIndex(tableSpans), day: day, bucket: bucket,
		cols: []tierCol{
			tierKey("timestamp", "TIMESTAMP_NS", "bucket"),
			tierKey("service", "VARCHAR", `"service"`),
			tierAgg("unique_traces", "BIGINT", `count(DISTINCT "trace_id")`),
			tierAgg("total_spans", "BIGINT", "count(*)"),
		}}
}

const (
	bucketMinute  = `date_trunc('minute', CAST("timestamp" AS TIMESTAMP))`
	bucket5Minute = `time_bucket(INTERVAL 5 MINUTE, CAST("timestamp" AS TIMESTAMP))`
	bucketHour    = `date_trunc('hour', CAST("timestamp" AS TIMESTAMP))`
	bucketDay     = `date_trunc('day', CAST("timestamp" AS TIMESTAMP))`
)

// tierSpecs lists every tier of rollup.Tiers (a test checks the two lists agree).
var tierSpecs = []tierSpec{
	metricsTier("metrics_1min", bucketMinute, false),
	metricsTier("metrics_5min", bucket5Minute, false),
	metricsTier("metrics_1hour", bucketHour, false),
	metricsDayFromHours(),
	logsTier("logs_1hour_counts", bucketHour, false),
	logsDayFromHours(),
	spansTier("spans_1hour_stats", bucketHour, false),
	spansTier("spans_1day_stats", bucketDay, true),
	tracesTier("traces_1hour_stats", bucketHour, false),
	tracesTier("traces_1day_stats", bucketDay, true),
}

func lookupTierSpec(name string) (*tierSpec, bool) {
	for i := range tierSpecs {
		if tierSpecs[i].name == name {
			return &tierSpecs[i], true
		}
	}
	return nil, false
}

// selectSQL renders the aggregation of the raw relation src into the tier's columns.
func (t *tierSpec) selectSQL(src string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	var keys []string
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		expr := c.expr
		if expr == "bucket" {
			expr = t.bucket
		}
		// Keys that are raw columns stay bare (their types are the tier's), so that aggregates
		// testing them ("type") see the grouped column; keys are grouped by their expression,
		// as an output name would bind to the raw column of that name first ("timestamp").
		if !c.key || !strings.HasPrefix(expr, `"`) {
			expr = "CAST(" + expr + " AS " + c.typ + ")"
		}
		b.WriteString(expr + " AS " + quoteIdent(c.name))
		if c.key {
			keys = append(keys, expr)
		}
	}
	b.WriteString(" FROM " + src)
	if t.where != "" {
		b.WriteString(" WHERE " + t.where)
	}
	b.WriteString(" GROUP BY " + strings.Join(keys, ", "))
	return b.String()
}

// emptySQL is the tier's relation when it has no part yet: the columns, typed, and no rows.
func (t *tierSpec) emptySQL() string {
	parts := make([]string, len(t.cols))
	for i, c := range t.cols {
		parts[i] = "CAST(NULL AS " + c.typ + ") AS " + quoteIdent(c.name)
	}
	return "(SELECT " + strings.Join(parts, ", ") + " WHERE false)"
}

// rollupState is the job's persistent watermark: per "<table>/<unit>", the highest raw
// generation rolled up.
type rollupState struct {
	mu   sync.Mutex        // one run at a time
	Done map[string]uint64 `json:"done"`
	// complete is the cutoff of the last run that rolled up every closed unit (Unix ns; 0
	// before the first since Open).
	complete atomic.Int64

	// rawMu guards raw (an enforcement and a run may overlap) and its file.
	rawMu sync.Mutex
	// raw is the raw retention last enforced, per raw table name, persisted in
	// rollup/raw_retention.json (a restart must not forget which hours are gone).
	raw map[string]rawRetention
}

const rawRetentionFile = "raw_retention.json"

// rawRetention is what the rollup job knows of one raw table's retention: the store keeps no
// policy of its own, so it is recorded at every enforcement.
type rawRetention struct {
	// TTL is the table's TTL in the policies last enforced.
	TTL time.Duration `json:"ttl"`
	// Cutoff is the end of the newest hour whose raw parts an enforcement deleted (Unix ns):
	// every hour that ended at or before it lost its raw parts, even if a longer TTL was set
	// since. It is what was deleted, not now - TTL at the enforcement, so that one enforcement
	// under a clock set in the future cannot stop the rollup of every later hour for good.
	Cutoff int64 `json:"cutoff"`
}

// rawHorizon is the hour boundary (Unix ns) before which raw table ti has lost its parts, or
// will at the next enforcement, per the retention last enforced: max(now - TTL, end of the
// newest hour deleted), floored to the hour, as retention deletes an hour once its end has
// passed the cutoff. A unit that starts before it is not whole any more (or soon will not be);
// using now - TTL and not only the cutoffs enforced also covers a late row flushed between an
// enforcement deleting its hour and the cutoff being recorded here. 0 before any enforcement.
func (st *rollupState) rawHorizon(ti int, now int64) int64 {
	st.rawMu.Lock()
	r := st.raw[tableNames[ti]]
	st.rawMu.Unlock()
	h := r.Cutoff
	if r.TTL > 0 {
		h = max(h, now-int64(r.TTL))
	}
	if h <= 0 {
		return 0
	}
	return h - h%nsPerHour
}

// recordRawRetention records the raw TTLs of p and, per table, the end of the newest hour an
// enforcement deleted (deleted, Unix ns, 0: none), and writes them down when they changed.
func (s *Store) recordRawRetention(p retention.Policies, deleted [len(tableNames)]int64) error {
	st := s.rollup
	if st == nil {
		return nil
	}
	st.rawMu.Lock()
	defer st.rawMu.Unlock()
	next := make(map[string]rawRetention, len(tableNames))
	changed := false
	for ti, table := range tableNames {
		ttl := p.TTL(retentionDataType[ti])
		if ttl <= 0 {
			return fmt.Errorf("cannot record raw retention: no TTL for %s", retentionDataType[ti])
		}
		old := st.raw[table]
		r := rawRetention{TTL: ttl, Cutoff: max(old.Cutoff, deleted[ti])}
		changed = changed || r != old
		next[table] = r
	}
	if !changed {
		return nil
	}
	b, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("cannot record raw retention: %w", err)
	}
	// Kept in memory even if the write fails: this process must not recompute deleted hours.
	st.raw = next
	if err := writeFileAtomic(filepath.Join(s.rollupDir(), rawRetentionFile), b); err != nil {
		return fmt.Errorf("cannot record raw retention: %w", err)
	}
	return nil
}

func (s *Store) rollupDir() string { return filepath.Join(s.opts.Dir, rollupDirName) }

func (s *Store) loadRollupState() (*rollupState, error) {
	// Temporary files of a rollup that a crash interrupted: the state does not record their
	// units, which the next run recomputes.
	tmps, _ := filepath.Glob(filepath.Join(s.rollupDir(), "*", "*.tmp"))
	more, _ := filepath.Glob(filepath.Join(s.rollupDir(), "*.tmp"))
	for _, tmp := range append(tmps, more...) {
		s.opts.Logger.Info("removing temporary file of an interrupted rollup", "path", tmp)
		if err := os.Remove(tmp); err != nil {
			return nil, fmt.Errorf("cannot remove temporary rollup file: %w", err)
		}
	}
	st := &rollupState{Done: map[string]uint64{}, raw: map[string]rawRetention{}}
	b, err := os.ReadFile(filepath.Join(s.rollupDir(), rawRetentionFile))
	if err == nil {
		err = json.Unmarshal(b, &st.raw)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cannot read raw retention of the rollup: %w", err)
	}
	b, err = os.ReadFile(filepath.Join(s.rollupDir(), "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read rollup state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("cannot read rollup state: %w", err)
	}
	if st.Done == nil {
		st.Done = map[string]uint64{}
	}
	return st, nil
}

// writeFileAtomic replaces path with data: temporary file, fsync, rename, fsync of the
// directory, so a crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	if err := ensureDir(filepath.Dir(path)); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return publishFile(tmp, path)
}

// publishFile renames a written and fsynced tmp onto path and fsyncs the directory.
func publishFile(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func (s *Store) rollupLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.RollupInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if _, err := s.Rollup(ctx); err != nil && ctx.Err() == nil {
			s.opts.Logger.Error("rollup failed; will retry", "err", err)
		}
		cancel()
	}
}

type rollupJob struct {
	table int
	unit  rollupUnit
	gen   uint64
	parts []*part
}

func (j *rollupJob) key() string { return tableNames[j.table] + "/" + j.unit.name() }

// Rollup rolls up every closed unit (hour, and day for the day tiers) whose raw parts reach a
// generation above the one recorded for it, and returns how many units it computed. Units
// past the raw retention horizon are not counted: their tiers read from raw parts are left
// as they are (see the top of this file). Safe to call concurrently with writes and queries;
// runs are serialised.
func (s *Store) Rollup(ctx context.Context) (int, error) {
	st := s.rollup
	if st == nil {
		return 0, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	now := s.opts.now()
	cutoff := now.Add(-s.opts.RollupDelay).UnixNano()
	var horizon [len(tableNames)]int64
	for ti := range tableNames {
		horizon[ti] = st.rawHorizon(ti, now.UnixNano())
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, nil
	}
	var jobs []*rollupJob
	present := map[string]bool{}
	for ti := range tableNames {
		units := map[rollupUnit]*rollupJob{}
		for _, p := range s.parts[ti] {
			if p.removed {
				continue
			}
			for _, u := range []rollupUnit{{n: p.hour}, {day: true, n: p.hour / 24}} {
				present[tableNames[ti]+"/"+u.name()] = true
				if u.end() > cutoff {
					continue
				}
				j := units[u]
				if j == nil {
					j = &rollupJob{table: ti, unit: u}
					units[u] = j
				}
				j.gen = max(j.gen, p.high)
				j.parts = append(j.parts, p)
			}
		}
		for _, j := range units {
			if j.gen > st.Done[j.key()] {
				for _, p := range j.parts {
					p.refs++ // keeps the files while DuckDB reads them
				}
				jobs = append(jobs, j)
			}
		}
	}
	s.mu.Unlock()
	// Units whose raw parts are all gone (retention) can never change again: forget them, so
	// the state does not grow with the tiers' history.
	for k := range st.Done {
		if !present[k] {
			delete(st.Done, k)
		}
	}
	// By end, hours before the day that ends with them: a day merged from an hourly tier
	// must see all of that day's hours.
	sort.Slice(jobs, func(a, b int) bool {
		if ea, eb := jobs[a].unit.end(), jobs[b].unit.end(); ea != eb {
			return ea < eb
		}
		if jobs[a].unit.day != jobs[b].unit.day {
			return !jobs[a].unit.day
		}
		return jobs[a].table < jobs[b].table
	})
	defer func() {
		for _, j := range jobs {
			s.releaseParts(j.parts)
		}
	}()
	done, kept := 0, 0
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		expired := j.unit.start() < horizon[j.table]
		if err := s.rollupUnit(ctx, j, expired); err != nil {
			return done, err
		}
		// Recorded for an expired unit as well: its late rows are left out once, not
		// reconsidered every run until retention deletes them.
		st.Done[j.key()] = j.gen
		if expired {
			kept++
		} else {
			done++
		}
		// Recorded after each unit, so a long catch-up that is stopped keeps its progress.
		b, err := json.Marshal(st)
		if err != nil {
			return done, fmt.Errorf("cannot write rollup state: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(s.rollupDir(), "state.json"), b); err != nil {
			return done, fmt.Errorf("cannot write rollup state: %w", err)
		}
	}
	if done > 0 {
		s.opts.Logger.Debug("rolled up closed intervals", "units", done)
	}
	if kept > 0 {
		s.opts.Logger.Info("late rows past the raw retention horizon not rolled up; the tiers keep the rows built before",
			"units", kept)
	}
	st.complete.Store(cutoff)
	return done, nil
}

// TierInfo implements store.TierInfo: a tier holds every closed unit up to the cutoff of the
// last complete run (rows still in memory then excepted: the delay is meant to be far longer
// than the flush interval), and its quantiles are exact.
func (s *Store) TierInfo(tier string) (completeFrom, completeTo int64, exactQuantiles bool) {
	t, ok := lookupTierSpec(tier)
	if !ok || s.rollup == nil {
		return 0, 0, false
	}
	unit := nsPerHour
	if t.day {
		unit = 24 * nsPerHour
	}
	c := s.rollup.complete.Load()
	return 0, c - c%unit, true
}

// rollupUnit writes the part of every tier of the job's table and unit kind; of an expired
// unit (past the raw retention horizon), only the day tiers merged from hourly tiers.
func (s *Store) rollupUnit(ctx context.Context, j *rollupJob, expired bool) error {
	var tiers []*tierSpec
	for i := range tierSpecs {
		t := &tierSpecs[i]
		if t.table == j.table && t.day == j.unit.day && (!expired || t.from != "") {
			tiers = append(tiers, t)
		}
	}
	if len(tiers) == 0 {
		return nil
	}
	paths := make([]string, len(j.parts))
	for i, p := range j.parts {
		paths[i] = quoteString(p.path)
	}
	src := "read_parquet([" + strings.Join(paths, ",") + "], union_by_name=true, hive_partitioning=false)"
	c, err := s.db.get(ctx)
	if err != nil {
		return fmt.Errorf("cannot roll up %s: %w", j.key(), err)
	}
	defer s.db.put(c)
	for _, t := range tiers {
		// Every tier part holds a day: a query over months opens one file per day, not one
		// per hour. An hourly unit replaces its hour's rows in its day's part.
		day := rollupUnit{day: true, n: j.unit.start() / (24 * nsPerHour)}
		path := filepath.Join(s.rollupDir(), t.name, day.name()+".parquet")
		if err := ensureDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("cannot roll up %s: %w", t.name, err)
		}
		tmp := path + ".tmp"
		sel := t.selectSQL(src)
		if t.from != "" {
			hours := filepath.Join(s.rollupDir(), t.from, day.name()+".parquet")
			if _, err := os.Stat(hours); err != nil {
				continue // no hour of this day has rows
			}
			sel = t.selectSQL("read_parquet(" + quoteString(hours) + ")")
		}
		if _, err := os.Stat(path); err == nil && !j.unit.day {
			// The unit bounds are computed here, not user input.
			sel = "SELECT * FROM read_parquet(" + quoteString(path) + ") WHERE \"timestamp\" < make_timestamp_ns(" +
				strconv.FormatInt(j.unit.start(), 10) + ") OR \"timestamp\" >= make_timestamp_ns(" + strconv.FormatInt(j.unit.end(), 10) +
				") UNION ALL BY NAME " + sel
		}
		stmt := "COPY (" + sel + ") TO " + quoteString(tmp) + " (FORMAT parquet, COMPRESSION zstd)"
		if err := c.exec(ctx, stmt); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("cannot roll up %s %s: %w", t.name, j.unit.name(), err)
		}
		if err := syncFile(tmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("cannot roll up %s: %w", t.name, err)
		}
		if err := publishFile(tmp, path); err != nil {
			return fmt.Errorf("cannot roll up %s: %w", t.name, err)
		}
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// tierPart is one tier part on disk.
type tierPart struct {
	unit  rollupUnit
	path  string
	bytes int64
}

// tierParts lists the parts of a tier whose unit meets [from, to) (0: unbounded), oldest first.
func (s *Store) tierParts(name string, from, to int64) ([]tierPart, error) {
	dir := filepath.Join(s.rollupDir(), name)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list tier %s: %w", name, err)
	}
	var out []tierPart
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name(), ".parquet")
		if !ok {
			continue
		}
		u, ok := parseUnitName(base)
		if !ok || (from != 0 && u.end() <= from) || (to != 0 && u.start() >= to) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // replaced or removed meanwhile
		}
		out = append(out, tierPart{unit: u, path: filepath.Join(dir, e.Name()), bytes: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].unit.start() < out[j].unit.start() })
	return out, nil
}

// tierSource returns the relation of a tier table for the scan range [from, to), or ok false
// when table is not a tier.
func (s *Store) tierSource(table string, from, to int64) (rel string, ok bool, err error) {
	t, ok := lookupTierSpec(table)
	if !ok {
		return "", false, nil
	}
	parts, err := s.tierParts(t.name, from, to)
	if err != nil {
		return "", true, err
	}
	if len(parts) == 0 {
		return t.emptySQL(), true, nil
	}
	paths := make([]string, len(parts))
	for i, p := range parts {
		paths[i] = quoteString(p.path)
	}
	return "(SELECT * FROM read_parquet([" + strings.Join(paths, ",") + "], union_by_name=true, hive_partitioning=false))", true, nil
}

// enforceTierRetention removes the tier parts whose unit ended before now minus the tier's TTL.
// deleted is, per raw table, the end of the newest hour whose raw parts the enforcement
// deleted (0: none).
func (s *Store) enforceTierRetention(p retention.Policies, deleted [len(tableNames)]int64) error {
	now := s.opts.now()
	var errs []error
	// Called once the raw parts are deleted: from now on, the rollup must not recompute the
	// units that lost them.
	if err := s.recordRawRetention(p, deleted); err != nil {
		errs = append(errs, err)
	}
	removed := 0
	for i := range tierSpecs {
		t := &tierSpecs[i]
		ttl := p.TTL(t.name)
		if ttl <= 0 {
			return fmt.Errorf("cannot enforce retention: no TTL for %s", t.name)
		}
		cutoff := now.Add(-ttl).UnixNano()
		parts, err := s.tierParts(t.name, 0, cutoff)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, pt := range parts {
			if pt.unit.end() > cutoff {
				continue
			}
			if err := os.Remove(pt.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("cannot remove expired tier part: %w", err))
				continue
			}
			removed++
		}
		if len(parts) > 0 {
			if err := syncDir(filepath.Join(s.rollupDir(), t.name)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if removed > 0 {
		s.opts.Logger.Info("retention removed expired tier parts", "parts", removed)
	}
	return errors.Join(errs...)
}

// tierAges reports every tier as a table of the data age: rows and time bounds from the
// parts' footers (tier parts are few: one per hour or day).
func (s *Store) tierAges(ctx context.Context) ([]retention.TableAge, error) {
	out := make([]retention.TableAge, 0, len(tierSpecs))
	for i := range tierSpecs {
		t := &tierSpecs[i]
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tier, _ := rollup.LookupTier(t.name)
		a := retention.TableAge{DataType: tier.DataType, Tier: t.name, Table: rollupDirName + "/" + t.name}
		parts, err := s.tierParts(t.name, 0, 0)
		if err != nil {
			return nil, err
		}
		for j, pt := range parts {
			a.Bytes += pt.bytes
			rows, lo, hi, ok, err := readPartFooter(pt.path)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue // replaced or expired meanwhile
				}
				return nil, fmt.Errorf("cannot read data age of %s: %w", t.name, err)
			}
			a.Rows += rows
			if rows == 0 {
				continue
			}
			if !ok {
				lo, hi = pt.unit.start(), pt.unit.end()-1
			}
			if j == 0 || a.Oldest.IsZero() || time.Unix(0, lo).Before(a.Oldest) {
				a.Oldest = time.Unix(0, lo).UTC()
			}
			if time.Unix(0, hi).After(a.Newest) {
				a.Newest = time.Unix(0, hi).UTC()
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// Tiers implements store.TierBuilder: the rollup job builds every tier of pkg/rollup.
func (s *Store) Tiers() []string {
	out := make([]string, len(tierSpecs))
	for i := range tierSpecs {
		out[i] = tierSpecs[i].name
	}
	return out
}
