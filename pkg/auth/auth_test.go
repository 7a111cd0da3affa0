package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const (
	secretA = "aaaaaaaaaaaaaaaaaaaaaaaa-ingest"
	secretB = "bbbbbbbbbbbbbbbbbbbbbbbb-query"
	secretC = "cccccccccccccccc:with:colons"
)

func TestParse(t *testing.T) {
	toks, err := Parse("collector:ingest:" + secretA + ", grafana:query+admin:" + secretB + "\n# comment\n\nops:admin:" + secretC)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 3 {
		t.Fatalf("got %d tokens", len(toks))
	}
	want := []struct {
		name   string
		scopes Scope
	}{{"collector", ScopeIngest}, {"grafana", ScopeQuery | ScopeAdmin}, {"ops", ScopeAdmin}}
	for i, w := range want {
		if toks[i].Name != w.name || toks[i].Scopes != w.scopes {
			t.Errorf("token %d = %s %s, want %s %s", i, toks[i].Name, toks[i].Scopes, w.name, w.scopes)
		}
	}
	a := New(toks)
	if tok, ok := a.Authenticate(secretC); !ok || tok.Name != "ops" {
		t.Errorf("secret with colons: got %v %v", tok.Name, ok)
	}
}

func TestParseErrorsNeverShowSecrets(t *testing.T) {
	for _, in := range []string{
		"a:ingest:xyzzy42",
		"a:read:" + secretA,
		"a b:ingest:" + secretA,
		"a:ingest",
		"a:ingest:" + secretA + ",a:query:" + secretB,
		"a:ingest:" + secretA + ",b:query:" + secretA,
		"a:ingest:" + strings.Replace(secretA, "a", " ", 1),
		"a:ingest:" + strings.Repeat("s", MaxSecretLength+1),
		"a:" + secretA + ":ingest",                // fields swapped
		secretB + "!:ingest:" + secretA,           // secret where the name goes
		"root:$6$" + secretB + ":19000:0:99999:7", // /etc/shadow by mistake
	} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q): no error", in)
			continue
		}
		for _, s := range []string{secretA, secretB, "xyzzy42"} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("Parse(%q): error %q shows the secret", in, err)
			}
		}
	}
}

func TestAuthorize(t *testing.T) {
	toks, err := Parse("collector:ingest:" + secretA + ",grafana:query:" + secretB)
	if err != nil {
		t.Fatal(err)
	}
	a := New(toks)
	for _, c := range []struct {
		header string
		need   Scope
		want   error
	}{
		{"Bearer " + secretA, ScopeIngest, nil},
		{"bearer " + secretA, ScopeIngest, nil},
		{"BEARER   " + secretB + " ", ScopeQuery, nil},
		{"Bearer " + secretA, ScopeQuery, ErrForbidden},
		{"Bearer " + secretB, ScopeAdmin, ErrForbidden},
		{"", ScopeQuery, ErrUnauthenticated},
		{"Basic " + secretA, ScopeIngest, ErrUnauthenticated},
		{"Bearer ", ScopeIngest, ErrUnauthenticated},
		{"Bearer " + secretA + "x", ScopeIngest, ErrUnauthenticated},
		{"Bearer " + secretA[:len(secretA)-1], ScopeIngest, ErrUnauthenticated},
		{secretA, ScopeIngest, ErrUnauthenticated},
		{"Bearer " + strings.Repeat("x", 1<<20), ScopeIngest, ErrUnauthenticated},
	} {
		err := a.Authorize(c.header, c.need)
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("Authorize(%q, %s) = %v, want %v", c.header, c.need, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), secretA) || strings.Contains(err.Error(), secretB)) {
			t.Errorf("error %q shows a secret", err)
		}
	}
	if u, f := a.Refusals(); u != 7 || f != 2 {
		t.Errorf("refusals = %d unauthenticated, %d forbidden; want 7, 2", u, f)
	}
	var open *Authenticator
	if err := open.Authorize("", ScopeAdmin); err != nil || open.Enabled() {
		t.Errorf("nil authenticator: %v", err)
	}
	if New(nil) != nil {
		t.Error("New(nil) is not the open authenticator")
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tokens")
	if err := os.WriteFile(p, []byte("# ci\ncollector:ingest:"+secretA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	toks, world, err := LoadFile(p)
	if err != nil || len(toks) != 1 || world {
		t.Fatalf("LoadFile: %v %d %v", err, len(toks), world)
	}
	os.Chmod(p, 0o644)
	if _, world, _ = LoadFile(p); !world {
		t.Error("0644 file not reported world-readable")
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, MaxFileBytes+1), 0o600)
	for _, bad := range []string{dir, fifo, "/dev/zero", big, filepath.Join(dir, "missing"), "../../../../../../etc/shadow\x00", ""} {
		if _, _, err := LoadFile(bad); err == nil {
			t.Errorf("LoadFile(%q): no error", bad)
		} else {
			t.Logf("LoadFile(%q): %v", bad, err)
		}
	}
}

func BenchmarkAuthorize(b *testing.B) {
	toks, _ := Parse("collector:ingest:" + secretA + ",grafana:query:" + secretB + ",ops:admin:" + secretC)
	a := New(toks)
	h := "Bearer " + secretB
	for b.Loop() {
		if err := a.Authorize(h, ScopeQuery); err != nil {
			b.Fatal(err)
		}
	}
}
