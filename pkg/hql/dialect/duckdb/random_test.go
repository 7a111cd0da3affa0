package duckdb_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
	"github.com/heimsight/heimsight/pkg/hql/internal/hqltest"
)

// gen produces random, well-typed HQL over the logs and spans fixtures, avoiding the few
// constructs whose results are documented to differ between the backends.
type gen struct {
	r     *rand.Rand
	table string
	depth int
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) str() string {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 3 {
		return g.strLeaf()
	}
	switch g.r.IntN(9) {
	case 0:
		return "lower(" + g.str() + ")"
	case 1:
		return "upper(" + g.str() + ")"
	case 2:
		return g.str() + " || " + g.str()
	case 3:
		return fmt.Sprintf("substring(%s, %d, %d)", g.str(), 1+g.r.IntN(4), g.r.IntN(6))
	case 4:
		return "coalesce(" + g.str() + ", " + g.strLeaf() + ")"
	case 5:
		return "if(" + g.boolean() + ", " + g.str() + ", " + g.str() + ")"
	case 6:
		return "replace(" + g.str() + ", " + g.pick("'a'", "'/'", "'t'") + ", " + g.pick("'_'", "''") + ")"
	}
	return g.strLeaf()
}

func (g *gen) strLeaf() string {
	if g.table == "logs" {
		return g.pick("service", "body", "severity_text", "level", "attributes['http.method']",
			"attributes['http.status_code']", "resource['service.name']", "trace_id", "'GET'", "'x''y'", "''")
	}
	return g.pick("service", "name", "status_code", "kind", "attributes['k']", "attributes['nope']", "'GET /a'", "'Ok'")
}

func (g *gen) integer() string {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 3 {
		return g.intLeaf()
	}
	switch g.r.IntN(7) {
	case 0:
		return "(" + g.integer() + " + " + g.integer() + ")"
	case 1:
		return "(" + g.integer() + " - " + g.integer() + ")"
	case 2:
		return "length(" + g.str() + ")"
	case 3:
		return "abs(" + g.integer() + ")"
	case 4:
		return "(" + g.integer() + " % " + g.pick("3", "7", "0") + ")"
	}
	return g.intLeaf()
}

func (g *gen) intLeaf() string {
	if g.table == "logs" {
		return g.pick("severity_number", "trace_flags", "to_int(attributes['http.status_code'])", "3", "-2", "17")
	}
	return g.pick("duration_ns", "trace_flags", "100", "-1", "300")
}

func (g *gen) float() string {
	switch g.r.IntN(5) {
	case 0:
		return g.integer() + " / " + g.pick("3", "7", "0", "2.5")
	case 1:
		return "round(" + g.integer() + " / 7, " + g.pick("0", "1", "2") + ")"
	case 2:
		return "floor(" + g.integer() + " / 3)"
	case 3:
		return "to_float(" + g.str() + ")"
	}
	return g.integer() + " * 1.5"
}

func (g *gen) timestamp() string {
	return g.pick("timestamp", "bucket(timestamp, 1s)", "timestamp + 1ms", "timestamp - 90m", "from_unix_nano(to_unix_nano(timestamp) + 7)",
		"if("+g.boolean()+", timestamp, "+map[string]string{"logs": "observed_timestamp", "spans": "end_timestamp"}[g.table]+")")
}

func (g *gen) boolean() string {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 3 {
		return g.integer() + " > " + g.intLeaf()
	}
	switch g.r.IntN(12) {
	case 0:
		return g.boolean() + " AND " + g.boolean()
	case 1:
		return "(" + g.boolean() + " OR " + g.boolean() + ")"
	case 2:
		return "NOT " + g.boolean()
	case 3:
		return g.str() + " " + g.pick("=", "!=", "<", ">=") + " " + g.str()
	case 4:
		return g.integer() + " " + g.pick("=", "!=", "<", "<=", ">", ">=") + " " + g.integer()
	case 5:
		return g.str() + g.pick(" LIKE ", " NOT LIKE ", " ILIKE ") + g.pick("'%t%'", "'GET%'", "'_a%'", "'%\\%%'", "'%'")
	case 6:
		return g.str() + g.pick(" CONTAINS ", " NOT CONTAINS ") + g.pick("'time'", "'A'", "'/'", "''")
	case 7:
		return g.str() + g.pick(" =~ ", " !~ ") + g.pick("'^[a-z]+'", "'(?i)get'", "'o.t'", "'\\\\d+'")
	case 8:
		return g.integer() + g.pick(" IN (1, 9, 13, 100, 300)", " NOT IN (17, 200)", " BETWEEN 5 AND 300")
	case 9:
		return g.str() + g.pick(" IS NULL", " IS NOT NULL")
	case 10:
		return "timestamp " + g.pick(">", "<=") + " '2024-01-01T00:00:" + g.pick("02", "30", "59") + "Z'"
	}
	return "starts_with(" + g.str() + ", " + g.pick("'c'", "'G'", "''") + ")"
}

func (g *gen) query() string {
	g.table = g.pick("logs", "spans")
	if g.r.IntN(3) == 0 {
		// Grouped.
		key := g.pick(g.str(), g.integer(), "bucket(timestamp, "+g.pick("1s", "1m", "2s")+")")
		aggs := []string{"count(*)", "count(DISTINCT " + g.str() + ")", "sum(" + g.integer() + ")", "min(" + g.str() + ")",
			"max(" + g.integer() + ")", "avg(" + g.integer() + ")", "p50(" + g.integer() + ")", "count_if(" + g.boolean() + ")",
			"p95(" + g.float() + ")", "min(" + g.timestamp() + ")", "sum(" + g.float() + ")", "max(" + g.float() + ")"}
		a1, a2 := aggs[g.r.IntN(len(aggs))], aggs[g.r.IntN(len(aggs))]
		q := fmt.Sprintf("SELECT %s AS k, %s AS a1, %s AS a2 FROM %s WHERE %s GROUP BY k", key, a1, a2, g.table, g.boolean())
		if g.r.IntN(2) == 0 {
			q += " HAVING count(*) " + g.pick(">", ">=") + " " + g.pick("0", "1", "2")
		}
		if g.r.IntN(2) == 0 {
			// Every output column is a sort key, so LIMIT picks the same rows everywhere.
			q += " ORDER BY a1 DESC, k, a2 LIMIT 2"
		}
		return q
	}
	q := fmt.Sprintf("SELECT %s AS s, %s AS i, %s AS b, %s AS f, %s AS t FROM %s WHERE %s", g.str(), g.integer(), g.boolean(), g.float(), g.timestamp(), g.table, g.boolean())
	if g.r.IntN(2) == 0 {
		q += " ORDER BY " + g.pick(g.str(), g.integer(), g.float()) + g.pick(" DESC", "") + ", s, i, b, f, t LIMIT 3"
	}
	return q
}

// TestDifferentialRandom runs random well-typed queries on DuckDB and ClickHouse (chDB) and
// requires the same rows. HEIMSIGHT_HQL_RANDOM sets the number of queries (default 300).
func TestDifferentialRandom(t *testing.T) {
	n := 300
	if v, err := strconv.Atoi(os.Getenv("HEIMSIGHT_HQL_RANDOM")); err == nil {
		n = v
	}
	ch := hqltest.StartChDB(t)
	db := openDB(t)
	g := &gen{r: rand.New(rand.NewPCG(7, uint64(n)))}
	failures := 0
	for i := 0; i < n && failures < 10; i++ {
		q := g.query()
		stmt, err := hql.Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		plan, err := hql.Plan(stmt, nil, hqltest.Params)
		if err != nil {
			if strings.Contains(err.Error(), "must have one type") || strings.Contains(err.Error(), "cannot group by a constant") || strings.Contains(err.Error(), "cannot order by a constant") || strings.Contains(err.Error(), "is not in the select list") {
				continue
			}
			t.Fatalf("%s: %v", q, err)
		}
		sqlText, args, err := duckdb.Emit(plan, source)
		if err != nil {
			t.Fatal(err)
		}
		duck := sortedRender(query(t, db, sqlText, args))
		chRows, chSQL := hqltest.RunChDB(t, ch, plan)
		if got := sortedRender(chRows); got != duck {
			failures++
			t.Errorf("%s\nDuckDB: %s %v\n%s\nClickHouse: %s\n%s", q, sqlText, args, duck, chSQL, got)
		}
	}
}
