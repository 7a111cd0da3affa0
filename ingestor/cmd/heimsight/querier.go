package main

import (
	"time"

	"github.com/heimsight/heimsight/ingestor/api"
	"github.com/heimsight/heimsight/pkg/config"
	"github.com/heimsight/heimsight/pkg/query"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/store"
)

// newQuerier wires the query engine over st for the REST API; tier selection follows the
// retention policies in force.
func newQuerier(st store.Store, opts config.Options, policies *retention.Manager) api.Querier {
	e := &query.Engine{Store: st, MaxRows: opts.QueryMaxRows, Timeout: opts.QueryTimeout}
	if policies != nil {
		e.TierRetention = func(tier string) time.Duration { return policies.Policies().TTL(tier) }
	}
	return e
}
