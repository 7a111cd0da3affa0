package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/config"
	"github.com/heimsight/heimsight/pkg/ingest/rest"
)

func health(ctx context.Context, opts config.Options, stdout, stderr io.Writer) int {
	c, err := client.New(opts.APIURL, cliHTTPClient(opts, 10*time.Second))
	if err != nil {
		fmt.Fprintf(stderr, "heimsight health: %v\n", err)
		return 2
	}
	h, err := c.Health(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "heimsight health: %v\n", err)
		return 1
	}
	if h.Status != "ok" {
		fmt.Fprintf(stderr, "heimsight health: server status %q\n", h.Status)
		return 1
	}
	fmt.Fprintf(stdout, "status=%s version=%s storage=%s uptime=%s\n", h.Status, h.Version, h.Storage, h.Uptime)
	return 0
}

type queryFlags struct {
	format   string
	from, to string
	maxRows  int
	interval string
}

func (q *queryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&q.format, "format", "table", "output format: table, json or csv")
	fs.StringVar(&q.from, "from", "", "start of the time range: RFC 3339 or Unix nanoseconds")
	fs.StringVar(&q.to, "to", "", "end of the time range: RFC 3339 or Unix nanoseconds")
	fs.IntVar(&q.maxRows, "max-rows", 0, "most rows to return (0: server default)")
	fs.StringVar(&q.interval, "interval", "", "$__interval, a Go duration")
}

func runQuery(ctx context.Context, opts config.Options, qf queryFlags, hql string, stdout, stderr io.Writer) int {
	switch qf.format {
	case "table", "json", "csv":
	default:
		fmt.Fprintf(stderr, "heimsight query: unknown --format %q: want table, json or csv\n", qf.format)
		return 2
	}
	req := client.QueryRequest{Query: hql, MaxRows: qf.maxRows, Interval: qf.interval}
	for _, t := range []struct {
		name string
		in   string
		out  *json.RawMessage
	}{{"from", qf.from, &req.From}, {"to", qf.to, &req.To}} {
		if t.in == "" {
			continue
		}
		ns, err := rest.ParseTime(t.in)
		if err != nil {
			fmt.Fprintf(stderr, "heimsight query: invalid --%s %q: want RFC 3339 or Unix nanoseconds\n", t.name, t.in)
			return 2
		}
		*t.out = client.TimeArg(ns)
	}
	c, err := client.New(opts.APIURL, cliHTTPClient(opts, 60*time.Second))
	if err != nil {
		fmt.Fprintf(stderr, "heimsight query: %v\n", err)
		return 2
	}
	res, err := c.Query(ctx, req)
	if err != nil {
		fmt.Fprintf(stderr, "heimsight query: %v\n", err)
		return 1
	}
	switch qf.format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	case "csv":
		writeCSV(stdout, res)
	default:
		writeTable(stdout, res)
		fmt.Fprintf(stdout, "(%d rows in %.1f ms%s)\n", res.Stats.Rows, res.Stats.ElapsedMS, truncatedNote(res.Stats.Truncated))
	}
	return 0
}

func truncatedNote(t bool) string {
	if t {
		return ", truncated"
	}
	return ""
}

func rowsOf(res *client.QueryResponse) int {
	if len(res.Data) == 0 {
		return 0
	}
	return len(res.Data[0])
}

// cell renders one value for table and CSV output: strings as they are, everything else as
// compact JSON.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func writeTable(w io.Writer, res *client.QueryResponse) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	fmt.Fprintln(tw, strings.Join(names, "\t"))
	row := make([]string, len(res.Columns))
	for r := range rowsOf(res) {
		for c := range res.Columns {
			row[c] = strings.NewReplacer("\t", " ", "\n", " ").Replace(cell(res.Data[c][r]))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

func writeCSV(w io.Writer, res *client.QueryResponse) {
	cw := csv.NewWriter(w)
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	cw.Write(names)
	row := make([]string, len(res.Columns))
	for r := range rowsOf(res) {
		for c := range res.Columns {
			row[c] = cell(res.Data[c][r])
		}
		cw.Write(row)
	}
	cw.Flush()
}
