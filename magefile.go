//go:build mage

// Build, test and lint targets. Run them with `go tool mage <target>` (mage is a tool dependency
// in go.mod, so nothing has to be installed globally).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// buildTags are needed by every Go command in this repository: the embedded store exposes its
// in-memory buffers to DuckDB through duckdb-go's Arrow API, which that module builds only with
// this tag.
const buildTags = "duckdb_arrow"

// Default is what `go tool mage` runs with no target.
var Default = Build

func goEnv() map[string]string {
	return map[string]string{"CGO_ENABLED": "1"}
}

// Build compiles the heimsight binary into bin/.
func Build() error {
	if err := os.MkdirAll("bin", 0o755); err != nil {
		return err
	}
	return sh.RunWithV(goEnv(), "go", "build", "-tags", buildTags, "-o", "bin/heimsight", "./ingestor/cmd/heimsight")
}

// Run builds and starts Heimsight on the embedded store (data in $HEIMSIGHT_DATA_DIR, default ./data).
func Run() error {
	mg.Deps(Build)
	cmd := exec.Command("bin/heimsight", "serve")
	cmd.Stdout, cmd.Stderr, cmd.Stdin = os.Stdout, os.Stderr, os.Stdin
	return cmd.Run()
}

// Test runs every Go test (unit, conformance, process-level), then each fuzz target briefly.
func Test() error {
	mg.SerialDeps(Lint, GoTest, Fuzz)
	return nil
}

// GoTest runs `go test` over the whole module.
func GoTest() error {
	return sh.RunWithV(goEnv(), "go", "test", "-tags", buildTags, "-count=1", "-timeout", "30m", "./...")
}

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)

// Fuzz runs every fuzz target for $HEIMSIGHT_FUZZTIME (default 10s) each. Crashers are written
// by the Go toolchain to the package's testdata/fuzz and fail the run.
func Fuzz() error {
	fuzztime := os.Getenv("HEIMSIGHT_FUZZTIME")
	if fuzztime == "" {
		fuzztime = "10s"
	}
	targets := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllSubmatch(src, -1) {
			pkg := "./" + filepath.Dir(path)
			targets[pkg] = append(targets[pkg], string(m[1]))
		}
		return nil
	})
	if err != nil {
		return err
	}
	pkgs := make([]string, 0, len(targets))
	for p := range targets {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		sort.Strings(targets[pkg])
		for _, fn := range targets[pkg] {
			fmt.Printf("fuzz %s %s for %s\n", pkg, fn, fuzztime)
			if err := sh.RunWithV(goEnv(), "go", "test", "-tags", buildTags, "-run", "^$",
				"-fuzz", "^"+fn+"$", "-fuzztime", fuzztime, pkg); err != nil {
				return fmt.Errorf("fuzz %s %s: %w", pkg, fn, err)
			}
		}
	}
	return nil
}

// Lint checks formatting and runs go vet.
func Lint() error {
	out, err := sh.Output("gofmt", "-l", ".")
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) != "" {
		return fmt.Errorf("gofmt would change:\n%s", out)
	}
	return sh.RunWithV(goEnv(), "go", "vet", "-tags", buildTags, "./...")
}

// Bench runs the Go benchmarks of the hot paths once each.
func Bench() error {
	return sh.RunWithV(goEnv(), "go", "test", "-tags", buildTags, "-run", "^$", "-bench", ".",
		"-benchmem", "-benchtime", "1x", "./pkg/...")
}
