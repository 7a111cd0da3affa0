// Package query runs HQL: it parses, plans with the catalog, picks the emitter that matches the
// store's dialect, and executes through store.Querier with limits on rows and time. The REST API
// and the CLI call Engine; nothing else should stitch the pipeline together.
//
// This package may import pkg/store (and so Arrow) but never a database driver.
package query
