// Command heimsight is the Heimsight server and its command-line client.
//
//	heimsight [serve] [flags]        run the server (the default)
//	heimsight health                 check the server at HEIMSIGHT_API_URL; exit 1 if unhealthy
//	heimsight version                print the version
//	heimsight query '<HQL>' [--format table|json|csv] [--from T] [--to T]
//	heimsight retention get | set <target> <days> | age [--format table|json]
//
// Every setting is an environment variable with a matching flag (see pkg/config); main only
// wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/heimsight/heimsight/pkg/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		// After the first signal starts the graceful shutdown, restore the default handling so
		// that a second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: heimsight [serve|health|version|query|retention] [flags]

  serve            run the server (default)
  health           check the server at HEIMSIGHT_API_URL (exit 1 if unhealthy)
  version          print the version
  query '<HQL>'    run a query at HEIMSIGHT_API_URL (--format table|json|csv, --from, --to)
  retention get    show the retention policies at HEIMSIGHT_API_URL (also: set logs 60d, age)

Run 'heimsight <command> -h' for the flags.
`

// run executes one subcommand and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var qf queryFlags
	var extra func(*flag.FlagSet)
	retentionFormat := "table"
	switch cmd {
	case "serve", "health", "version":
	case "query":
		extra = qf.register
	case "retention":
		extra = func(fs *flag.FlagSet) {
			fs.StringVar(&retentionFormat, "format", "table", "output format: table or json")
		}
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "heimsight: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	opts, rest, err := config.Load("heimsight "+cmd, args, getenv, stderr, extra)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "heimsight: %v\n", err)
		return 2
	}
	switch cmd {
	case "serve":
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "heimsight serve: unexpected arguments %q\n", rest)
			return 2
		}
		if err := serve(ctx, opts, stderr); err != nil {
			fmt.Fprintf(stderr, "heimsight: %v\n", err)
			return 1
		}
		return 0
	case "version":
		fmt.Fprintf(stdout, "heimsight %s\n", version)
		return 0
	case "health":
		return health(ctx, opts, stdout, stderr)
	case "retention":
		return runRetention(ctx, opts, retentionFormat, rest, stdout, stderr)
	default:
		if len(rest) != 1 {
			fmt.Fprintf(stderr, "heimsight query: want exactly one HQL argument, got %d\n", len(rest))
			return 2
		}
		return runQuery(ctx, opts, qf, rest[0], stdout, stderr)
	}
}
