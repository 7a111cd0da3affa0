//go:build mage

// Build, test and lint targets. Run them with `go tool mage <target>` (mage is a tool dependency
// in go.mod, so nothing has to be installed globally).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/build/buildinfo"
	"github.com/grafana/grafana-plugin-sdk-go/build/utils"
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

// Test runs everything CI runs: Go lint, every Go test (unit, conformance, process-level, the
// plugin end to end), each fuzz target briefly, then the frontend's checks and tests.
func Test() error {
	mg.SerialDeps(Lint, GoTest, Fuzz, Frontend)
	return nil
}

// goPackages lists the module's packages, leaving out Go files that npm packages ship inside
// node_modules (the go tool only skips directories starting with "." or "_" and testdata).
func goPackages() ([]string, error) {
	out, err := sh.Output("go", "list", "-tags", buildTags, "./...")
	if err != nil {
		return nil, err
	}
	var pkgs []string
	for _, p := range strings.Fields(out) {
		if !strings.Contains(p, "/node_modules/") {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

// GoTest runs `go test` over the whole module.
func GoTest() error {
	pkgs, err := goPackages()
	if err != nil {
		return err
	}
	args := append([]string{"test", "-tags", buildTags, "-count=1", "-timeout", "30m"}, pkgs...)
	return sh.RunWithV(goEnv(), "go", args...)
}

// Frontend installs the npm packages when they are missing, then runs the plugin frontend's
// typecheck, lint, jest tests, production build and headless-browser test (`npm run ci`).
func Frontend() error {
	if _, err := os.Stat("node_modules"); os.IsNotExist(err) {
		if err := sh.RunV("npm", "ci", "--no-audit", "--no-fund"); err != nil {
			return err
		}
	}
	return sh.RunV("npm", "run", "ci")
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
			if err := fuzzTarget(pkg, fn, fuzztime); err != nil {
				return err
			}
		}
	}
	return nil
}

// fuzzAttempts bounds the re-runs of a target that stopped only because of Go's fuzzing
// coordinator race at the -fuzztime boundary (go.dev/issue/75804, fixed in Go 1.27): the run
// fails with a bare "context deadline exceeded" and writes no failing input. Any other failure,
// and any run that writes a failing input, fails at once.
const fuzzAttempts = 3

func fuzzTarget(pkg, fn, fuzztime string) error {
	corpus := filepath.Join(pkg, "testdata", "fuzz", fn)
	for attempt := 1; ; attempt++ {
		before := dirEntries(corpus)
		fmt.Printf("fuzz %s %s for %s\n", pkg, fn, fuzztime)
		var out strings.Builder
		cmd := exec.Command("go", "test", "-tags", buildTags, "-run", "^$",
			"-fuzz", "^"+fn+"$", "-fuzztime", fuzztime, "-fuzzminimizetime", "2s", pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		cmd.Stdout = io.MultiWriter(os.Stdout, &out)
		cmd.Stderr = io.MultiWriter(os.Stderr, &out)
		err := cmd.Run()
		if err == nil {
			return nil
		}
		written := len(dirEntries(corpus)) > len(before) || strings.Contains(out.String(), "Failing input written")
		if written || !isCoordinatorDeadline(out.String()) || attempt == fuzzAttempts {
			return fmt.Errorf("fuzz %s %s: %w", pkg, fn, err)
		}
		fmt.Printf("fuzz %s %s: stopped with the Go fuzzing coordinator's deadline race (go.dev/issue/75804), no failing input written; running it again\n", pkg, fn)
	}
}

// isCoordinatorDeadline reports whether a failed fuzz run's only complaint is the coordinator's
// own deadline: the line after "--- FAIL: FuzzX" is "context deadline exceeded".
func isCoordinatorDeadline(out string) bool {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "--- FAIL: Fuzz") {
			return i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "context deadline exceeded" &&
				(i+2 >= len(lines) || !strings.HasPrefix(lines[i+2], "    "))
		}
	}
	return false
}

func dirEntries(dir string) []os.DirEntry {
	entries, _ := os.ReadDir(dir)
	return entries
}

// Lint checks formatting and runs go vet.
func Lint() error {
	pkgs, err := goPackages()
	if err != nil {
		return err
	}
	dirs, err := sh.Output("go", append([]string{"list", "-tags", buildTags, "-f", "{{.Dir}}"}, pkgs...)...)
	if err != nil {
		return err
	}
	out, err := sh.Output("gofmt", append([]string{"-l", "magefile.go"}, strings.Fields(dirs)...)...)
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) != "" {
		return fmt.Errorf("gofmt would change:\n%s", out)
	}
	return sh.RunWithV(goEnv(), "go", append([]string{"vet", "-tags", buildTags}, pkgs...)...)
}

// Bench runs the Go benchmarks of the hot paths once each.
func Bench() error {
	return sh.RunWithV(goEnv(), "go", "test", "-tags", buildTags, "-run", "^$", "-bench", ".",
		"-benchmem", "-benchtime", "1x", "./pkg/...")
}

// Plugin builds the Grafana datasource plugin's backend.
//
// It runs the same `go build` as the plugin SDK's build package (static, stripped, CGO off, the
// SDK's build info and arrow_json_stdlib tag, binaries named <executable>_<os>_<arch>) but with
// ./plugin as the root package. The SDK package itself is not imported: it pulls in modules
// (unknwon/bra, urfave/cli) that are not in go.sum.
type Plugin mg.Namespace

// pluginPlatforms are the targets Grafana runs backend plugins on.
var pluginPlatforms = [][2]string{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

const (
	pluginDist     = "dist"
	pluginManifest = "src/plugin.json"
	pluginLogo     = "src/img/logo.svg"
	pluginRootPkg  = "./plugin"
)

// Build builds the plugin backend for linux, darwin and windows (amd64 and arm64) into dist/
// and copies plugin.json and the logo next to the binaries.
func (Plugin) Build() error {
	for _, p := range pluginPlatforms {
		if err := buildPlugin(p[0], p[1]); err != nil {
			return err
		}
	}
	return pluginFiles()
}

// Current builds the plugin backend for this machine's platform only (for development and the
// end-to-end test).
func (Plugin) Current() error {
	if err := buildPlugin(runtime.GOOS, runtime.GOARCH); err != nil {
		return err
	}
	return pluginFiles()
}

// pluginJSON reads the fields of plugin.json the build needs.
func pluginJSON() (id, executable string, err error) {
	b, err := os.ReadFile(pluginManifest)
	if err != nil {
		return "", "", fmt.Errorf("cannot read %s: %w", pluginManifest, err)
	}
	var pj struct {
		ID         string `json:"id"`
		Executable string `json:"executable"`
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		return "", "", fmt.Errorf("cannot parse %s: %w", pluginManifest, err)
	}
	if pj.Executable == "" {
		return "", "", fmt.Errorf("%s has no executable", pluginManifest)
	}
	return pj.ID, pj.Executable, nil
}

// packageVersion is the plugin version from package.json ("" when there is none).
func packageVersion() string {
	b, err := os.ReadFile("package.json")
	if err != nil {
		return ""
	}
	var pj struct {
		Version string `json:"version"`
	}
	_ = json.Unmarshal(b, &pj)
	return pj.Version
}

func buildPlugin(goos, goarch string) error {
	id, exe, err := pluginJSON()
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s_%s_%s", exe, goos, goarch)
	if goos == "windows" {
		name += ".exe"
	}
	info := buildinfo.Info{Time: time.Now().UnixMilli(), PluginID: id, Version: packageVersion()}
	flags := map[string]string{}
	info.AppendFlags(flags)
	keys := make([]string, 0, len(flags))
	for k := range flags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ldflags := `-w -s -extldflags "-static"`
	for _, k := range keys {
		ldflags += fmt.Sprintf(" -X '%s=%s'", k, flags[k])
	}
	env := map[string]string{"CGO_ENABLED": "0", "GOOS": goos, "GOARCH": goarch}
	return sh.RunWithV(env, "go", "build", "-o", filepath.Join(pluginDist, name),
		"-tags", "arrow_json_stdlib", "-ldflags", ldflags, pluginRootPkg)
}

// pluginFiles copies plugin.json (with the version and date filled in, as the frontend build
// does) and the logo into dist/, and writes the source manifest Grafana's plugin validator
// checks.
func pluginFiles() error {
	b, err := os.ReadFile(pluginManifest)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", pluginManifest, err)
	}
	version := packageVersion()
	if version == "" {
		version = "0.0.0-dev"
	}
	b = []byte(strings.NewReplacer("%VERSION%", version, "%TODAY%", time.Now().UTC().Format("2006-01-02")).Replace(string(b)))
	if err := os.MkdirAll(filepath.Join(pluginDist, "img"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(pluginDist, "plugin.json"), b, 0o644); err != nil {
		return err
	}
	logo, err := os.ReadFile(pluginLogo)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", pluginLogo, err)
	}
	if err := os.WriteFile(filepath.Join(pluginDist, "img", "logo.svg"), logo, 0o644); err != nil {
		return err
	}
	manifest, err := utils.GenerateManifest()
	if err != nil {
		return fmt.Errorf("cannot generate the Go source manifest: %w", err)
	}
	return os.WriteFile(filepath.Join(pluginDist, "go_plugin_build_manifest"), []byte(manifest), 0o644)
}
