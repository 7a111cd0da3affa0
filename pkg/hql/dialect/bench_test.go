package dialect_test

import (
	"testing"

	"github.com/heimsight/heimsight/pkg/hql"
	"github.com/heimsight/heimsight/pkg/hql/dialect/clickhouse"
	"github.com/heimsight/heimsight/pkg/hql/dialect/duckdb"
)

// typical is a dashboard panel query: time buckets, a derived column, filters, grouping.
const typical = `SELECT $__timeGroup(timestamp, $__interval) AS time, level, count(*) AS n
FROM logs
WHERE $__timeFilter(timestamp) AND service = 'checkout' AND body CONTAINS 'timeout'
  AND attributes['http.method'] IN ('GET', 'POST')
GROUP BY time, level
ORDER BY time
LIMIT 1000`

func benchmarkPipeline(b *testing.B, emit func(*hql.QueryPlan) error) {
	cat := hql.DefaultCatalog()
	b.ReportAllocs()
	for b.Loop() {
		stmt, err := hql.Parse(typical)
		if err != nil {
			b.Fatal(err)
		}
		p, err := hql.Plan(stmt, cat, GoldenParams)
		if err != nil {
			b.Fatal(err)
		}
		if err := emit(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePlanEmitDuckDB(b *testing.B) {
	benchmarkPipeline(b, func(p *hql.QueryPlan) error { _, _, err := duckdb.Emit(p, goldenSource); return err })
}

func BenchmarkParsePlanEmitClickHouse(b *testing.B) {
	benchmarkPipeline(b, func(p *hql.QueryPlan) error { _, _, err := clickhouse.Emit(p, goldenSource); return err })
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hql.Parse(typical); err != nil {
			b.Fatal(err)
		}
	}
}
