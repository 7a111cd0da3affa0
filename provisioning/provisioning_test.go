// Package provisioning holds the Grafana datasource and dashboards that docker-compose provisions.
// Its test checks that every HQL query in those dashboards, and every query the editor's
// builder translation prints (src/hql/testdata/builders.json), parses, prints back unchanged and
// plans against the catalog.
package provisioning

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heimsight/heimsight/pkg/hql"
)

const pluginID = "heimsight-heimsight-datasource"

// tierRefusal is the planner's message for a tier table that the server does not build yet.
const tierRefusal = "aggregation tier that this server does not build yet"

func params() hql.Params {
	to := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	return hql.Params{From: to.Add(-6 * time.Hour).UnixNano(), To: to.UnixNano(), Interval: time.Minute, Now: to.UnixNano()}
}

// checkPlans parses src, checks that the printed tree parses back to the same text, and plans it
// twice: against the default catalog, where a tier table may be refused only with the "not
// built yet" error, and against a catalog with every tier enabled, where it must plan.
func checkPlans(t *testing.T, where, src string) {
	t.Helper()
	sel, err := hql.Parse(src)
	if err != nil {
		t.Errorf("%s: cannot parse %q: %v", where, src, err)
		return
	}
	printed := sel.String()
	again, err := hql.Parse(printed)
	if err != nil {
		t.Errorf("%s: printed query does not parse: %q: %v", where, printed, err)
		return
	}
	if again.String() != printed {
		t.Errorf("%s: printing is not stable:\n%s\n%s", where, printed, again.String())
	}
	if _, err := hql.Plan(sel, hql.DefaultCatalog(), params()); err != nil {
		if !strings.Contains(err.Error(), tierRefusal) {
			t.Errorf("%s: cannot plan %q: %v", where, src, err)
			return
		}
		t.Logf("%s: tier refused until the rollups exist: %v", where, err)
	}
	tiers := hql.DefaultCatalog()
	if err := tiers.EnableTiers(); err != nil {
		t.Fatal(err)
	}
	if _, err := hql.Plan(sel, tiers, params()); err != nil {
		t.Errorf("%s: cannot plan %q with every tier enabled: %v", where, src, err)
	}
}

// TestBuilderTranslations checks the editor's builder → HQL fixtures: each expected text must
// be exactly what the Go printer prints for its tree, and must plan.
func TestBuilderTranslations(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "src", "hql", "testdata", "builders.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name string `json:"name"`
		HQL  string `json:"hql"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no builder fixtures")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			sel, err := hql.Parse(c.HQL)
			if err != nil {
				t.Fatalf("cannot parse %q: %v", c.HQL, err)
			}
			if got := sel.String(); got != c.HQL {
				t.Errorf("the editor prints a different text than the Go printer:\neditor: %s\nGo:     %s", c.HQL, got)
			}
			checkPlans(t, c.Name, c.HQL)
		})
	}
}

// substituteVariables replaces Grafana template variables ($name, ${name}, ${name:fmt}) outside
// string literals with a sample string literal, as the plugin does with the variable's value
// (always a literal). $__macros are left alone.
func substituteVariables(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(src) {
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c {
						j += 2
						continue
					}
					j++
					break
				}
				j++
			}
			b.WriteString(src[i:j])
			i = j
		case c == '$' && !strings.HasPrefix(src[i:], "$__"):
			j := i + 1
			if j < len(src) && src[j] == '{' {
				end := strings.IndexByte(src[j:], '}')
				if end < 0 {
					b.WriteString(src[i:])
					return b.String()
				}
				j += end + 1
			} else {
				for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
					j++
				}
			}
			if j == i+1 {
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteString("'sample'")
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

type panel struct {
	Title      string          `json:"title"`
	Type       string          `json:"type"`
	Datasource json.RawMessage `json:"datasource"`
	Targets    []target        `json:"targets"`
	Panels     []panel         `json:"panels"`
}

type target struct {
	RefID      string          `json:"refId"`
	Datasource json.RawMessage `json:"datasource"`
	QueryType  string          `json:"queryType"`
	HQL        string          `json:"hql"`
	Metric     string          `json:"metric"`
	TraceID    string          `json:"traceId"`
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Datasource json.RawMessage `json:"datasource"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func isHeimsight(ds json.RawMessage) bool {
	return len(ds) == 0 || strings.Contains(string(ds), pluginID) || strings.Contains(string(ds), "heimsight")
}

// TestDashboards parses every provisioned dashboard and checks each Heimsight query in it.
func TestDashboards(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("want at least 4 provisioned dashboards, found %d", len(files))
	}
	uids := map[string]string{}
	total := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Errorf("%s: not a dashboard: %v", f, err)
			continue
		}
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: dashboard needs a uid and a title", f)
		}
		if prev, dup := uids[d.UID]; dup {
			t.Errorf("%s: uid %q already used by %s", f, d.UID, prev)
		}
		uids[d.UID] = f
		queries := 0
		var walk func(ps []panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				walk(p.Panels)
				for _, tg := range p.Targets {
					if !isHeimsight(tg.Datasource) || !isHeimsight(p.Datasource) {
						continue
					}
					where := filepath.Base(f) + ": " + p.Title + " (" + tg.RefID + ")"
					queries++
					switch tg.QueryType {
					case "hql", "":
						if strings.TrimSpace(tg.HQL) == "" {
							t.Errorf("%s: empty HQL", where)
							continue
						}
						checkPlans(t, where, substituteVariables(tg.HQL))
					case "logs", "traces", "metrics", "traceId", "logsVolume":
						if tg.QueryType == "metrics" && tg.Metric == "" {
							t.Errorf("%s: metrics query without a metric", where)
						}
					default:
						t.Errorf("%s: unknown queryType %q", where, tg.QueryType)
					}
				}
			}
		}
		walk(d.Panels)
		for _, v := range d.Templating.List {
			if v.Type != "query" || !isHeimsight(v.Datasource) {
				continue
			}
			var q struct {
				VariableType string `json:"variableType"`
				HQL          string `json:"hql"`
			}
			if err := json.Unmarshal(v.Query, &q); err != nil {
				continue
			}
			if q.VariableType == "hql" {
				queries++
				checkPlans(t, filepath.Base(f)+": variable "+v.Name, substituteVariables(q.HQL))
			}
		}
		if queries == 0 {
			t.Errorf("%s: no Heimsight query", f)
		}
		total += queries
	}
	t.Logf("checked %d queries in %d dashboards", total, len(files))
}

func TestSubstituteVariables(t *testing.T) {
	for in, want := range map[string]string{
		"service = $service":                "service = 'sample'",
		"service IN (${service:csv})":       "service IN ('sample')",
		"x = '$kept' AND $__timeFilter(ts)": "x = '$kept' AND $__timeFilter(ts)",
		"a = $__interval AND b = ${b}":      "a = $__interval AND b = 'sample'",
		`"$quoted" = 1`:                     `"$quoted" = 1`,
		"cost $":                            "cost $",
	} {
		if got := substituteVariables(in); got != want {
			t.Errorf("substituteVariables(%q) = %q, want %q", in, got, want)
		}
	}
}
