package clickhouse

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The docker-compose quick start runs Heimsight on this store; this test keeps it consistent
// with the code: services, ports, and every HEIMSIGHT_* variable one the code reads.

type composeFile struct {
	Services map[string]composeService `json:"services" yaml:"services"`
	Volumes  map[string]any            `json:"volumes" yaml:"volumes"`
}

type composeService struct {
	Image       string            `json:"image" yaml:"image"`
	Build       map[string]string `json:"build" yaml:"build"`
	Environment map[string]string `json:"environment" yaml:"environment"`
	Ports       []string          `json:"ports" yaml:"ports"`
	Volumes     []string          `json:"volumes" yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `json:"condition" yaml:"condition"`
	} `json:"depends_on" yaml:"depends_on"`
	Healthcheck struct {
		Test []string `json:"test" yaml:"test"`
	} `json:"healthcheck" yaml:"healthcheck"`
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// knownEnv collects the HEIMSIGHT_* names the process configuration (pkg/config) reads, from
// its source, plus this package's.
func knownEnv(t *testing.T, root string) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	for _, v := range EnvVars {
		known[v] = true
	}
	files, err := filepath.Glob(filepath.Join(root, "pkg", "config", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("cannot find pkg/config sources: %v", err)
	}
	re := regexp.MustCompile(`"(HEIMSIGHT_[A-Z0-9_]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			known[m[1]] = true
		}
	}
	return known
}

func hostPorts(ports []string) map[string]string {
	out := map[string]string{}
	for _, p := range ports {
		parts := strings.Split(p, ":")
		if len(parts) >= 2 {
			out[parts[len(parts)-2]] = parts[len(parts)-1]
		}
	}
	return out
}

func TestDockerCompose(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"clickhouse", "heimsight", "grafana"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("service %s missing", name)
		}
	}
	ch, hs, gf := c.Services["clickhouse"], c.Services["heimsight"], c.Services["grafana"]

	// ClickHouse: pinned, healthy, native and HTTP ports, the credentials Heimsight uses.
	if !regexp.MustCompile(`^clickhouse/clickhouse-server:\d+\.\d+`).MatchString(ch.Image) {
		t.Errorf("clickhouse image %q is not a pinned version", ch.Image)
	}
	if len(ch.Healthcheck.Test) == 0 {
		t.Error("clickhouse has no healthcheck")
	}
	if p := hostPorts(ch.Ports); p["9000"] != "9000" || p["8123"] != "8123" {
		t.Errorf("clickhouse ports %v, want 9000 and 8123 published", ch.Ports)
	}

	// Heimsight: built here, on ClickHouse, every variable one the code reads.
	if hs.Build["context"] != "." {
		t.Errorf("heimsight build context %q, want .", hs.Build["context"])
	}
	if _, err := os.Stat(filepath.Join(root, hs.Build["dockerfile"])); err != nil {
		t.Errorf("heimsight Dockerfile: %v", err)
	}
	if hs.DependsOn["clickhouse"].Condition != "service_healthy" {
		t.Error("heimsight does not wait for a healthy clickhouse")
	}
	known := knownEnv(t, root)
	for k := range hs.Environment {
		if strings.HasPrefix(k, "HEIMSIGHT_") && !known[k] {
			t.Errorf("heimsight sets %s, which no configuration code reads", k)
		}
	}
	if hs.Environment["HEIMSIGHT_STORAGE"] != "clickhouse" {
		t.Errorf("HEIMSIGHT_STORAGE = %q, want clickhouse", hs.Environment["HEIMSIGHT_STORAGE"])
	}
	o, err := OptionsFromEnv(func(k string) (string, bool) { v, ok := hs.Environment[k]; return v, ok })
	if err != nil {
		t.Fatalf("heimsight's DB settings: %v", err)
	}
	if o.Addr != "clickhouse:9000" || o.Database != ch.Environment["CLICKHOUSE_DB"] ||
		o.Username != ch.Environment["CLICKHOUSE_USER"] || o.Password != ch.Environment["CLICKHOUSE_PASSWORD"] {
		t.Errorf("heimsight reaches %s db %s as %s/%s; clickhouse serves db %s for %s/%s", o.Addr, o.Database, o.Username, o.Password,
			ch.Environment["CLICKHOUSE_DB"], ch.Environment["CLICKHOUSE_USER"], ch.Environment["CLICKHOUSE_PASSWORD"])
	}
	hp := hostPorts(hs.Ports)
	for env, def := range map[string]string{"HEIMSIGHT_PORT": "8080", "HEIMSIGHT_GRPC_PORT": "4317", "HEIMSIGHT_OTLP_HTTP_PORT": "4318"} {
		port := def
		if v, ok := hs.Environment[env]; ok {
			port = v
		}
		if hp[port] != port {
			t.Errorf("heimsight listens on %s (%s) but publishes %v", port, env, hs.Ports)
		}
	}
	// The data directory holds retention.json: it must outlive the container, or a recreated
	// one re-applies the default TTLs to ClickHouse.
	dataDir := "/var/lib/heimsight/data" // the Dockerfile's HEIMSIGHT_DATA_DIR
	if v, ok := hs.Environment["HEIMSIGHT_DATA_DIR"]; ok {
		dataDir = v
	}
	persisted := false
	for _, v := range hs.Volumes {
		if name, target, ok := strings.Cut(v, ":"); ok && strings.TrimSuffix(target, ":rw") == dataDir {
			_, declared := c.Volumes[name]
			persisted = declared || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "/")
		}
	}
	if !persisted {
		t.Errorf("heimsight volumes %v: want a volume on its data directory %s", hs.Volumes, dataDir)
	}
	if !slices.Contains(hs.Healthcheck.Test, "health") {
		t.Errorf("heimsight healthcheck %v does not use the health subcommand", hs.Healthcheck.Test)
	}

	// Grafana 12.x, new enough for the plugin, which is mounted and allowed unsigned.
	var plugin struct {
		ID           string `json:"id" yaml:"id"`
		Dependencies struct {
			GrafanaDependency string `json:"grafanaDependency"`
		} `json:"dependencies" yaml:"dependencies"`
	}
	pb, err := os.ReadFile(filepath.Join(root, "src", "plugin.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(pb, &plugin); err != nil {
		t.Fatal(err)
	}
	if plugin.ID != "heimsight-heimsight-datasource" {
		t.Errorf("plugin id %q", plugin.ID)
	}
	m := regexp.MustCompile(`^grafana/grafana:(12)\.(\d+)\.(\d+)$`).FindStringSubmatch(gf.Image)
	if m == nil {
		t.Fatalf("grafana image %q is not a pinned 12.x.y", gf.Image)
	}
	if dep := regexp.MustCompile(`>=\s*(\d+)\.(\d+)\.(\d+)`).FindStringSubmatch(plugin.Dependencies.GrafanaDependency); dep != nil {
		have := [3]int{atoi(m[1]), atoi(m[2]), atoi(m[3])}
		need := [3]int{atoi(dep[1]), atoi(dep[2]), atoi(dep[3])}
		if slices.Compare(have[:], need[:]) < 0 {
			t.Errorf("grafana %v is older than the plugin's grafanaDependency %s", have, plugin.Dependencies.GrafanaDependency)
		}
	}
	if !slices.Contains(strings.Split(gf.Environment["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"], ","), plugin.ID) {
		t.Errorf("GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS does not allow %s", plugin.ID)
	}
	var dist, prov bool
	for _, v := range gf.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			continue
		}
		switch {
		case parts[0] == "./dist" && parts[1] == "/var/lib/grafana/plugins/"+plugin.ID:
			dist = true
		case parts[0] == "./provisioning" && parts[1] == "/etc/grafana/provisioning":
			prov = true
		}
	}
	if !dist || !prov {
		t.Errorf("grafana volumes %v: want ./dist as the plugin and ./provisioning", gf.Volumes)
	}
	if hostPorts(gf.Ports)["3000"] != "3000" {
		t.Errorf("grafana ports %v, want 3000", gf.Ports)
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
