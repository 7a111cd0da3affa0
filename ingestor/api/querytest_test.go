//go:build duckdb_arrow

package api

import (
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/store"
)

func testQuerier(st store.Store) Querier { return &query.Engine{Store: st} }
