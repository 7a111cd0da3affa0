package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPluginImportsNoCgo keeps cgo out of the plugin: Grafana runs it as a static binary on
// every platform. A package with cgo files outside the standard library (a store driver, DuckDB)
// in the plugin's import graph fails this test even where a C compiler would hide the problem.
func TestPluginImportsNoCgo(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}} {{join .CgoFiles \",\"}}{{end}}", "./plugin")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if pkg, files, ok := strings.Cut(line, " "); ok && files != "" {
			t.Errorf("the plugin imports %s, which uses cgo (%s)", pkg, files)
		}
	}
}
