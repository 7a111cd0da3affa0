package main

import (
	"github.com/heimsight/heimsight/ingestor/api"
	"github.com/heimsight/heimsight/pkg/config"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/store"
)

// newQuerier wires the query engine over st for the REST API.
func newQuerier(st store.Store, opts config.Options) api.Querier {
	return &query.Engine{Store: st, MaxRows: opts.QueryMaxRows, Timeout: opts.QueryTimeout}
}
