package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/config"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/store"
)

// startRetention loads the persisted retention policies and starts applying, enforcing and
// monitoring them for st. It returns a nil manager when the store cannot apply retention (the
// REST endpoints then answer 503). stop ends the background work; call it before closing the
// store.
func startRetention(opts config.Options, st store.Store, log *slog.Logger, reg prometheus.Registerer) (m *retention.Manager, stop func(), err error) {
	applier, ok := st.(retention.Applier)
	if !ok {
		log.Warn("the store cannot apply retention policies; the retention endpoints are disabled", "storage", st.Backend())
		return nil, func() {}, nil
	}
	ro := retention.DefaultOptions(opts.DataDir, applier)
	ro.Logger, ro.Registerer = log, reg
	if st.Backend() == config.StorageEmbedded {
		// Hour partitions, deleted at the next enforcement once expired.
		ro.Grace = time.Hour + 2*ro.EnforceInterval
	}
	m, err = retention.New(ro)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	return m, func() { cancel(); <-done }, nil
}

const retentionUsage = `usage: heimsight retention get [--format table|json]
       heimsight retention set <target> <days>    (days as 60d or 60; 1 to 3650)
       heimsight retention age [--format table|json]

Targets are the data types logs, metrics and traces, and the tiers metrics_1min, metrics_5min,
metrics_1hour, metrics_1day, logs_1hour_counts, logs_1day_counts, spans_1hour_stats,
spans_1day_stats, traces_1hour_stats, traces_1day_stats.
`

// parseDays reads "60d" or "60".
func parseDays(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "d"))
	if err != nil {
		return 0, fmt.Errorf("invalid retention %q: want days such as 60d or 60", s)
	}
	if err := retention.ValidateDays("retention", n); err != nil {
		return 0, err
	}
	return n, nil
}

// runRetention runs "heimsight retention get|set|age" against the server at opts.APIURL.
func runRetention(ctx context.Context, opts config.Options, format string, args []string, stdout, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "heimsight retention: "+format+"\n", a...)
		return code
	}
	// --format may also follow the subcommand and its arguments.
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--format" || a == "-format":
			if i+1 == len(args) {
				return fail(2, "--format needs a value")
			}
			format = args[i+1]
			i++
		case strings.HasPrefix(a, "--format=") || strings.HasPrefix(a, "-format="):
			format = a[strings.IndexByte(a, '=')+1:]
		default:
			pos = append(pos, a)
		}
	}
	args = pos
	if format != "table" && format != "json" {
		return fail(2, "unknown --format %q: want table or json", format)
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, retentionUsage)
		return 2
	}
	c, err := client.New(opts.APIURL, cliHTTPClient(opts, 60*time.Second))
	if err != nil {
		return fail(2, "%v", err)
	}
	switch args[0] {
	case "get":
		if len(args) != 1 {
			return fail(2, "get takes no arguments")
		}
		cfg, err := c.Retention(ctx)
		if err != nil {
			return fail(1, "%v", err)
		}
		if format == "json" {
			return writeIndentedJSON(stdout, cfg)
		}
		writeRetention(stdout, cfg)
		return 0
	case "set":
		if len(args) != 3 {
			return fail(2, "want: set <target> <days>, e.g. set logs 60d")
		}
		t, ok := retention.LookupTarget(args[1])
		if !ok {
			return fail(2, "unknown target %q\n\n%s", args[1], retentionUsage)
		}
		days, err := parseDays(args[2])
		if err != nil {
			return fail(2, "%v", err)
		}
		cfg, err := c.SetRetentionPolicy(ctx, client.RetentionPolicy{DataType: t.DataType, Tier: t.Tier, TTLDays: days})
		if err != nil {
			return fail(1, "%v", err)
		}
		if format == "json" {
			return writeIndentedJSON(stdout, cfg)
		}
		fmt.Fprintf(stdout, "%s: %dd\n", t.Name(), days)
		return 0
	case "age":
		if len(args) != 1 {
			return fail(2, "age takes no arguments")
		}
		resp, err := c.DataAge(ctx)
		if err != nil {
			return fail(1, "%v", err)
		}
		if format == "json" {
			return writeIndentedJSON(stdout, resp)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TARGET\tTTL\tROWS\tBYTES\tOLDEST\tNEWEST\tEXPIRED DATA")
		for _, d := range resp.Data {
			name := d.DataType
			if d.Tier != "" {
				name = d.Tier
			}
			oldest, newest := "-", "-"
			if d.OldestTimestamp != nil {
				oldest, newest = *d.OldestTimestamp, *d.NewestTimestamp
			}
			fmt.Fprintf(tw, "%s\t%dd\t%d\t%d\t%s\t%s\t%v\n", name, d.TTLDays, d.RowCount, d.Bytes, oldest, newest, d.ExceedsTTL)
		}
		tw.Flush()
		return 0
	}
	return fail(2, "unknown subcommand %q\n\n%s", args[0], retentionUsage)
}

func writeRetention(w io.Writer, cfg *client.RetentionConfig) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tDATA TYPE\tTTL")
	for _, p := range []*client.RetentionPolicy{cfg.Logs, cfg.Metrics, cfg.Traces} {
		if p != nil {
			fmt.Fprintf(tw, "%s\t%s\t%dd\n", p.DataType, p.DataType, p.TTLDays)
		}
	}
	for _, t := range retention.Targets() {
		if p, ok := cfg.Tiers[t.Tier]; ok && t.Tier != "" {
			fmt.Fprintf(tw, "%s\t%s\t%dd\n", t.Tier, p.DataType, p.TTLDays)
		}
	}
	tw.Flush()
}

func writeIndentedJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}
