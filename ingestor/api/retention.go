package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/heimsight/heimsight/pkg/client"
	"github.com/heimsight/heimsight/pkg/retention"
	"github.com/heimsight/heimsight/pkg/store"
)

// retentionPath is under ConfigPrefix, so the admin scope guards it.
const retentionPath = ConfigPrefix + "/retention"

// maxRetentionBody bounds a retention request: thirteen small policies.
const maxRetentionBody = 64 << 10

// retentionRoutes registers the retention endpoints. Without a manager they answer 503.
func (a *API) retentionRoutes(r *mux.Router) {
	r.HandleFunc(retentionPath, a.getRetention).Methods(http.MethodGet)
	r.HandleFunc(retentionPath, a.putRetention).Methods(http.MethodPut)
	r.HandleFunc(retentionPath+"/policy", a.putRetentionPolicy).Methods(http.MethodPut)
	r.HandleFunc(retentionPath+"/metrics", a.getDataAge).Methods(http.MethodGet)
}

func (a *API) retentionManager(w http.ResponseWriter) *retention.Manager {
	if a.opts.Retention == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "retention is not configurable on this server")
	}
	return a.opts.Retention
}

// retentionConfig renders policies in the REST form.
func retentionConfig(p retention.Policies) client.RetentionConfig {
	cfg := client.RetentionConfig{Tiers: map[string]client.RetentionPolicy{}}
	for _, t := range retention.Targets() {
		pol := client.RetentionPolicy{DataType: t.DataType, Tier: t.Tier, TTLDays: p.Days(t.Name())}
		switch {
		case t.Tier != "":
			cfg.Tiers[t.Tier] = pol
		case t.DataType == "logs":
			cfg.Logs = &pol
		case t.DataType == "metrics":
			cfg.Metrics = &pol
		case t.DataType == "traces":
			cfg.Traces = &pol
		}
	}
	return cfg
}

func (a *API) getRetention(w http.ResponseWriter, r *http.Request) {
	m := a.retentionManager(w)
	if m == nil {
		return
	}
	writeJSON(w, http.StatusOK, retentionConfig(m.Policies()))
}

// decodeRetention reads a JSON body strictly (unknown fields are errors) into v, answering
// the error itself and returning false when it cannot.
func decodeRetention(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
				fmt.Sprintf("unsupported Content-Type %q: use application/json", ct))
			return false
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRetentionBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("retention request is over %d bytes", maxRetentionBody))
			return false
		}
		writeError(w, http.StatusBadRequest, "bad_request", "cannot read retention request: "+err.Error())
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		d := ErrorDetail{Code: "invalid_json", Message: "cannot decode retention request: " + err.Error()}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			d.Code, d.Field = "unknown_field", strings.Trim(f, `"`)
		}
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: d})
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "invalid_json", "cannot decode retention request: data after the JSON object")
		return false
	}
	return true
}

// applyPolicy sets one policy on p after checking that its data type and tier agree with
// where it was given (key is the data type or tier it was listed under, "" for the policy
// endpoint).
func applyPolicy(p retention.Policies, key string, pol client.RetentionPolicy) (retention.Policies, error) {
	name := pol.Tier
	if name == "" {
		name = pol.DataType
	}
	if key != "" {
		if name == "" {
			name = key
		} else if name != key {
			return p, fmt.Errorf("policy listed under %q names %q", key, name)
		}
	}
	if name == "" {
		return p, errors.New("missing data_type: want logs, metrics or traces (and tier for a tier)")
	}
	t, ok := retention.LookupTarget(name)
	if !ok {
		if pol.Tier != "" {
			return p, fmt.Errorf("unknown tier %q: want one of %s", pol.Tier, strings.Join(allTierNames(), ", "))
		}
		return p, fmt.Errorf("unknown data_type %q: want logs, metrics or traces", name)
	}
	if pol.DataType != "" {
		dt := pol.DataType
		if dt == "spans" {
			dt = "traces"
		}
		if dt != t.DataType {
			if t.Tier != "" {
				return p, fmt.Errorf("tier %s holds %s, not %s", t.Tier, t.DataType, pol.DataType)
			}
			return p, fmt.Errorf("unknown data_type %q: want logs, metrics or traces", pol.DataType)
		}
	}
	return p.Set(t.Name(), pol.TTLDays)
}

func allTierNames() []string {
	var out []string
	for _, dt := range []string{"metrics", "logs", "traces"} {
		out = append(out, retention.TierNames(dt)...)
	}
	return out
}

func (a *API) putRetention(w http.ResponseWriter, r *http.Request) {
	m := a.retentionManager(w)
	if m == nil {
		return
	}
	var cfg client.RetentionConfig
	if !decodeRetention(w, r, &cfg) {
		return
	}
	a.updateRetention(w, r, m, func(p retention.Policies) (retention.Policies, error) {
		var err error
		for _, raw := range []struct {
			key string
			pol *client.RetentionPolicy
		}{{"logs", cfg.Logs}, {"metrics", cfg.Metrics}, {"traces", cfg.Traces}} {
			if raw.pol == nil {
				return p, fmt.Errorf("missing policy for %s: a complete configuration lists logs, metrics and traces", raw.key)
			}
			if raw.pol.Tier != "" {
				return p, fmt.Errorf("policy for %s names tier %q: list tiers under \"tiers\"", raw.key, raw.pol.Tier)
			}
			if p, err = applyPolicy(p, raw.key, *raw.pol); err != nil {
				return p, err
			}
		}
		for key, pol := range cfg.Tiers {
			if !isTierName(key) {
				return p, fmt.Errorf("unknown tier %q: want one of %s", key, strings.Join(allTierNames(), ", "))
			}
			if pol.Tier == "" {
				pol.Tier = key
			}
			if p, err = applyPolicy(p, key, pol); err != nil {
				return p, err
			}
		}
		return p, nil
	})
}

func isTierName(name string) bool {
	t, ok := retention.LookupTarget(name)
	return ok && t.Tier == name
}

func (a *API) putRetentionPolicy(w http.ResponseWriter, r *http.Request) {
	m := a.retentionManager(w)
	if m == nil {
		return
	}
	var pol client.RetentionPolicy
	if !decodeRetention(w, r, &pol) {
		return
	}
	a.updateRetention(w, r, m, func(p retention.Policies) (retention.Policies, error) {
		return applyPolicy(p, "", pol)
	})
}

// updateRetention changes the policies through the manager and answers with the configuration
// in force.
func (a *API) updateRetention(w http.ResponseWriter, r *http.Request, m *retention.Manager, change func(retention.Policies) (retention.Policies, error)) {
	got, err := m.Update(r.Context(), change)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, retentionConfig(got))
	case errors.Is(err, retention.ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid_retention", err.Error())
	case errors.Is(err, store.ErrClosed), errors.Is(err, store.ErrUnavailable):
		w.Header().Set("Retry-After", fmt.Sprint(a.retryAfterSeconds()))
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error()+"; the previous retention stays in force")
	default:
		a.opts.Logger.Error("retention change failed", "err", err)
		writeError(w, http.StatusInternalServerError, "retention_not_applied", err.Error()+"; the previous retention stays in force")
	}
}

func (a *API) getDataAge(w http.ResponseWriter, r *http.Request) {
	m := a.retentionManager(w)
	if m == nil {
		return
	}
	st, now, err := m.Status(r.Context())
	if err != nil {
		if errors.Is(err, store.ErrClosed) || errors.Is(err, store.ErrUnavailable) {
			writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
			return
		}
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	resp := client.DataAgeResponse{CheckedAt: now.UTC().Format(time.RFC3339Nano), Data: []client.DataAge{}}
	for _, s := range st {
		d := client.DataAge{DataType: s.DataType, Tier: s.Tier, TTLDays: int(s.TTL / retention.Day),
			RowCount: s.Rows, Bytes: s.Bytes, ExceedsTTL: s.Expired}
		if !s.Oldest.IsZero() {
			o, n := s.Oldest.UTC().Format(time.RFC3339Nano), s.Newest.UTC().Format(time.RFC3339Nano)
			d.OldestTimestamp, d.NewestTimestamp = &o, &n
			d.OldestAgeSeconds = now.Sub(s.Oldest).Seconds()
		}
		resp.Data = append(resp.Data, d)
	}
	writeJSON(w, http.StatusOK, resp)
}
