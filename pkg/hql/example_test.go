package hql_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
)

func ExampleParse() {
	stmt, err := hql.Parse("select level, count(*) n from logs where body contains 'timeout' group by level")
	if err != nil {
		panic(err)
	}
	fmt.Println(stmt)
	// Output: SELECT level, count(*) AS n FROM logs WHERE body CONTAINS 'timeout' GROUP BY level
}

func ExampleError() {
	stmt, _ := hql.Parse("SELECT body FROM logs WHERE sevrity_text = 'ERROR'")
	_, err := hql.Plan(stmt, hql.DefaultCatalog(), hql.Params{})
	var he *hql.Error
	if errors.As(err, &he) {
		fmt.Println(he.Pos.Line, he.Pos.Column, he.Msg)
	}
	// Output: 1 29 unknown column 'sevrity_text' in table logs; did you mean 'severity_text'?
}

func ExampleSelectFrom() {
	q := hql.SelectFrom("logs", hql.Col("timestamp"), hql.Col("body")).
		Filter(hql.TimeFilter(hql.Col("timestamp"))).
		Filter(hql.Eq(hql.Attr("resource", "k8s.namespace.name"), hql.Str("prod"))).
		Filter(hql.InStrings(hql.Col("level"), "error", "fatal")).
		SortBy(hql.Desc(hql.Col("timestamp"))).
		WithLimit(50)
	fmt.Println(q)
	// Output: SELECT timestamp, body FROM logs WHERE $__timeFilter(timestamp) AND resource['k8s.namespace.name'] = 'prod' AND level IN ('error', 'fatal') ORDER BY timestamp DESC LIMIT 50
}

func ExamplePlan() {
	stmt, _ := hql.Parse("SELECT $__timeGroup(timestamp, $__interval) AS t, count(*) FROM spans WHERE $__timeFilter(timestamp) GROUP BY t")
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	p, err := hql.Plan(stmt, nil, hql.Params{From: from.UnixNano(), To: from.Add(time.Hour).UnixNano(), Interval: time.Minute})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Table.Name, p.Columns, p.Limit)
	fmt.Println(time.Unix(0, p.From).UTC(), time.Unix(0, p.To).UTC())
	// Output:
	// spans [{t timestamp} {count(*) int}] 1000
	// 2024-01-01 00:00:00 +0000 UTC 2024-01-01 01:00:00.000000001 +0000 UTC
}
