// Package chdbtest runs SQL on the ClickHouse engine in-process, through chDB (the ClickHouse
// engine as a Python module), so tests can verify the ClickHouse store's DDL, row encoding and
// queries against a real engine on machines without a ClickHouse server.
//
// One Engine is one Python process (chdb_server.py) with a persistent session directory,
// serving requests one at a time over JSON lines on stdin/stdout; concurrent callers interleave
// statement by statement, as concurrent clients of one server would.
//
// chDB has no network server, hence no native protocol: values reach it as SQL text or as
// Native-format input files. Tests only; this package imports nothing from Heimsight.
package chdbtest
