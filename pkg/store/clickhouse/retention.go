package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heimsight/heimsight/pkg/retention"
)

var _ retention.Applier = (*Store)(nil)

// auxiliaryTables hold a second copy of rows counted elsewhere (the trace-id lookup of
// otel_traces): their bytes count toward their data type, their rows do not.
var auxiliaryTables = map[string]bool{"otel_traces_trace_id_ts": true}

// ApplyRetention implements retention.Applier: ALTER TABLE … MODIFY TTL on every TTL'd table
// whose definition does not already show the policy's TTL, then SHOW CREATE TABLE (from
// system.tables) must show it. Tables already right are left alone, because MODIFY TTL
// rewrites the TTL information of every part (materialize_ttl_after_modify), which a restart
// should not cost. The TTL text comes from TTLExpr, as at table creation.
func (s *Store) ApplyRetention(ctx context.Context, p retention.Policies) error {
	return applyPolicies(ctx, s.ddl, &s.opts, p)
}

func applyPolicies(ctx context.Context, conn sqlConn, o *Options, p retention.Policies) error {
	var signals []string
	seen := map[string]bool{}
	for _, t := range ttlTables {
		if !seen[t.signal] {
			seen[t.signal] = true
			signals = append(signals, t.signal)
		}
	}
	for _, sig := range signals {
		// Every TTL'd table must belong to a policy: a table without one would otherwise get
		// TTL 0, i.e. its TTL removed.
		if _, ok := retention.LookupTarget(sig); !ok {
			return fmt.Errorf("cannot apply retention: tables of %q have no retention policy", sig)
		}
		stmts, err := RetentionStatements(o, sig, p.TTL(sig))
		if err != nil {
			return fmt.Errorf("cannot apply retention: %w", err)
		}
		for _, st := range stmts {
			cur, err := tableTTL(ctx, conn, o, st.Table)
			if err != nil {
				return err
			}
			if cur == st.TTL {
				continue
			}
			if err := conn.Exec(ctx, st.SQL); err != nil {
				return fmt.Errorf("cannot set retention of %s: %w", st.Table, err)
			}
			got, err := tableTTL(ctx, conn, o, st.Table)
			if err != nil {
				return err
			}
			if got != st.TTL {
				return fmt.Errorf("cannot verify retention of %s: table shows %q, want %q", st.Table, got, st.TTL)
			}
			o.Logger.Info("table retention changed", "table", st.Table, "from", cur, "to", st.TTL)
		}
	}
	return nil
}

// tableTTL returns the TTL clause the table's definition shows ("" for none).
func tableTTL(ctx context.Context, conn sqlConn, o *Options, table string) (string, error) {
	rows, err := conn.QueryStrings(ctx, "SELECT create_table_query FROM system.tables WHERE database = ? AND name = ?", o.Database, table)
	if err != nil {
		return "", fmt.Errorf("cannot read the definition of %s: %w", table, err)
	}
	if len(rows) != 1 {
		return "", fmt.Errorf("cannot read the definition of %s: table not found", table)
	}
	return ttlClause(rows[0][0]), nil
}

// timeColumn is the column a TTL expression counts from: toDateTime(Timestamp) -> Timestamp.
// min and max of the bare column are answered from the parts' minmax indexes (the partition
// key is a function of it) instead of a scan.
func timeColumn(timeExpr string) string {
	if c, ok := strings.CutPrefix(timeExpr, "toDateTime("); ok {
		return strings.TrimSuffix(c, ")")
	}
	return timeExpr
}

// DataAge implements retention.Applier: rows and bytes of the active parts from system.parts,
// the oldest and newest row time from min and max of each table's time column.
func (s *Store) DataAge(ctx context.Context) ([]retention.TableAge, error) {
	return dataAge(ctx, s.ddl, &s.opts)
}

func dataAge(ctx context.Context, conn sqlConn, o *Options) ([]retention.TableAge, error) {
	parts, err := conn.QueryStrings(ctx, "SELECT table, toString(sum(rows)), toString(sum(bytes_on_disk)) FROM system.parts "+
		"WHERE database = ? AND active GROUP BY table", o.Database)
	if err != nil {
		return nil, fmt.Errorf("cannot read table sizes: %w", err)
	}
	size := map[string][2]int64{}
	for _, r := range parts {
		rows, _ := strconv.ParseInt(r[1], 10, 64)
		bytes, _ := strconv.ParseInt(r[2], 10, 64)
		size[r[0]] = [2]int64{rows, bytes}
	}
	out := make([]retention.TableAge, 0, len(ttlTables))
	for _, t := range ttlTables {
		target, ok := retention.LookupTarget(t.signal)
		if !ok {
			continue
		}
		a := retention.TableAge{DataType: target.DataType, Tier: target.Tier, Table: t.table,
			Rows: size[t.table][0], Bytes: size[t.table][1]}
		if a.Rows > 0 {
			col := QuoteIdent(timeColumn(t.timeExpr))
			// Nanoseconds as text: exact for DateTime64(9), and QueryStrings reads strings only.
			rows, err := conn.QueryStrings(ctx, "SELECT toString(toUnixTimestamp64Nano(toDateTime64(min("+col+"), 9))), "+
				"toString(toUnixTimestamp64Nano(toDateTime64(max("+col+"), 9))) FROM "+QuoteIdent(o.Database)+"."+QuoteIdent(t.table))
			if err != nil {
				return nil, fmt.Errorf("cannot read data age of %s: %w", t.table, err)
			}
			if len(rows) == 1 {
				lo, err1 := strconv.ParseInt(rows[0][0], 10, 64)
				hi, err2 := strconv.ParseInt(rows[0][1], 10, 64)
				if err1 == nil && err2 == nil {
					a.Oldest, a.Newest = time.Unix(0, lo).UTC(), time.Unix(0, hi).UTC()
				}
			}
		}
		if auxiliaryTables[t.table] {
			a.Rows = 0
		}
		out = append(out, a)
	}
	return out, nil
}
