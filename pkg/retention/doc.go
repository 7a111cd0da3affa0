// Package retention owns how long Heimsight keeps data: the policies (a TTL in whole days per
// raw data type and per aggregation tier, 1 to 3650 days), their validation, their persistence
// in the data directory, the Manager that changes them at run time (store first, then the
// file, nothing changed on error), the background enforcement for stores that delete expired
// data themselves, and the monitor that reports data older than its TTL.
//
// Stores implement Applier (and Enforcer when they delete expired data themselves); this
// package imports no store package, and stores import it for the Policies and TableAge types.
// It must not import database drivers: the plugin and the CLI reach it through pkg/client.
package retention
