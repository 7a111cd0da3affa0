package datasource

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// PluginID is the plugin's id in plugin.json.
const PluginID = "heimsight-heimsight-datasource"

// Timeout bounds.
const (
	DefaultTimeout = 30 * time.Second
	minTimeout     = time.Second
	maxTimeout     = 10 * time.Minute
)

// Settings is one datasource instance's configuration, read once from Grafana's instance settings.
type Settings struct {
	// URL is the ingestor's REST base URL, e.g. http://heimsight:8080 (no trailing slash).
	URL string
	// APIToken is sent as "Authorization: Bearer <token>"; empty means no auth header.
	APIToken string
	// Timeout bounds each HTTP request to the ingestor.
	Timeout time.Duration
	// UID and Name identify this datasource in data links (logs → trace, span → logs).
	UID, Name string
}

// jsonData is the non-secret part of the config page.
type jsonData struct {
	// URL is accepted here as well as in the instance's URL field, because provisioning files
	// often put it in jsonData.
	URL string `json:"url"`
	// Timeout is seconds (a number or a numeric string) or a Go duration ("30s", "2m").
	Timeout json.RawMessage `json:"timeout"`
}

// LoadSettings reads and validates s. Its errors are meant for the config page: they name the
// field and say what a valid value looks like.
func LoadSettings(s backend.DataSourceInstanceSettings) (Settings, error) {
	var jd jsonData
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &jd); err != nil {
			return Settings{}, fmt.Errorf("cannot read the datasource settings (jsonData): %w", err)
		}
	}
	out := Settings{UID: s.UID, Name: s.Name, APIToken: strings.TrimSpace(s.DecryptedSecureJSONData["apiToken"])}

	raw := strings.TrimSpace(s.URL)
	if raw == "" {
		raw = strings.TrimSpace(jd.URL)
	}
	u, err := validateURL(raw)
	if err != nil {
		return Settings{}, err
	}
	out.URL = u

	out.Timeout, err = parseTimeout(jd.Timeout)
	if err != nil {
		return Settings{}, err
	}
	return out, nil
}

func validateURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("the ingestor URL is empty: set it to the Heimsight REST address, e.g. http://localhost:8080")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("the ingestor URL %q is not a valid URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("the ingestor URL %q must start with http:// or https://", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("the ingestor URL %q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("the ingestor URL %q must not have a query or fragment", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func parseTimeout(raw json.RawMessage) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == `""` {
		return DefaultTimeout, nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("the timeout %s is not valid: %w", raw, err)
		}
		s = strings.TrimSpace(s)
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		d = time.Duration(secs * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("the timeout %q is not valid: give seconds (30) or a duration (30s, 2m)", s)
	}
	if d < minTimeout || d > maxTimeout {
		return 0, fmt.Errorf("the timeout %s is out of range: it must be between %s and %s", d, minTimeout, maxTimeout)
	}
	return d, nil
}
