package datasource

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestLoadSettings(t *testing.T) {
	ok := []struct {
		url, json string
		token     string
		want      Settings
	}{
		{"http://h:8080/", `{}`, " tok ", Settings{URL: "http://h:8080", APIToken: "tok", Timeout: DefaultTimeout}},
		{"", `{"url":"https://h/base","timeout":12}`, "", Settings{URL: "https://h/base", Timeout: 12 * time.Second}},
		{"http://h", `{"timeout":"2m"}`, "", Settings{URL: "http://h", Timeout: 2 * time.Minute}},
		{"http://h", `{"timeout":"45"}`, "", Settings{URL: "http://h", Timeout: 45 * time.Second}},
	}
	for _, c := range ok {
		s, err := LoadSettings(backend.DataSourceInstanceSettings{URL: c.url, JSONData: []byte(c.json),
			DecryptedSecureJSONData: map[string]string{"apiToken": c.token}})
		if err != nil {
			t.Errorf("%s %s: %v", c.url, c.json, err)
			continue
		}
		if s != c.want {
			t.Errorf("%s %s: %+v, want %+v", c.url, c.json, s, c.want)
		}
	}
	bad := []struct{ url, json, msg string }{
		{"", `{}`, "URL is empty"},
		{"localhost:8080", `{}`, "must start with http"},
		{"http://", `{}`, "has no host"},
		{"http://h?x=1", `{}`, "must not have a query"},
		{"http://h", `{"timeout":"soon"}`, "timeout \"soon\" is not valid"},
		{"http://h", `{"timeout":0.1}`, "out of range"},
		{"http://h", `{"timeout":"1h"}`, "out of range"},
		{"http://h", `not json`, "cannot read the datasource settings"},
	}
	for _, c := range bad {
		_, err := LoadSettings(backend.DataSourceInstanceSettings{URL: c.url, JSONData: []byte(c.json)})
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q %s: error %v, want one containing %q", c.url, c.json, err, c.msg)
		}
	}
}
