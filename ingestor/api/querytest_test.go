//go:build duckdb_arrow

package api

import "github.com/heimsight/heimsight/pkg/store"

func testQuerier(st store.Store) Querier { return nil }
