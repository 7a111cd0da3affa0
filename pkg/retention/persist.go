package retention

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// FileName is the policies file in the data directory.
const FileName = "retention.json"

// fileFormat is the file's content: {"version": 1, "ttl_days": {"logs": 30, ...}}. Every
// target is written, defaults included, so that a later change of a default does not silently
// change the retention of a running installation.
type fileFormat struct {
	Version int            `json:"version"`
	TTLDays map[string]int `json:"ttl_days"`
}

// Load reads the policies persisted in dir. A missing file yields the defaults. Targets
// missing from the file keep their defaults (a tier added by a later version); an unknown
// target or an invalid TTL is an error, so that a hand-edited file cannot be half applied.
func Load(dir string) (Policies, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return Defaults(), false, nil
	}
	if err != nil {
		return Policies{}, false, fmt.Errorf("cannot read retention policies: %w", err)
	}
	var f fileFormat
	if err := json.Unmarshal(b, &f); err != nil {
		return Policies{}, false, fmt.Errorf("cannot parse retention policies in %s: %w", filepath.Join(dir, FileName), err)
	}
	if f.Version != 1 {
		return Policies{}, false, fmt.Errorf("cannot read retention policies: unknown version %d", f.Version)
	}
	p := Defaults()
	names := make([]string, 0, len(f.TTLDays))
	for name := range f.TTLDays {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if p, err = p.Set(name, f.TTLDays[name]); err != nil {
			return Policies{}, false, fmt.Errorf("cannot load retention policies from %s: %w", filepath.Join(dir, FileName), err)
		}
	}
	return p, true, nil
}

// Save writes p to dir atomically: a temporary file, fsynced, renamed over the old one, and
// the directory fsynced, so that a crash leaves the old or the new policies, never a mix.
func Save(dir string, p Policies) error {
	f := fileFormat{Version: 1, TTLDays: map[string]int{}}
	for _, t := range Targets() {
		f.TTLDays[t.Name()] = p.Days(t.Name())
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode retention policies: %w", err)
	}
	b = append(b, '\n')
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create directory for retention policies: %w", err)
	}
	path := filepath.Join(dir, FileName)
	tmp := path + ".tmp"
	w, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("cannot create retention policies file: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		w.Close()
		os.Remove(tmp)
		return fmt.Errorf("cannot write retention policies: %w", err)
	}
	if err := w.Sync(); err != nil {
		w.Close()
		os.Remove(tmp)
		return fmt.Errorf("cannot sync retention policies: %w", err)
	}
	if err := w.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot close retention policies file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot replace retention policies file: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot sync data directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync data directory: %w", err)
	}
	return nil
}
