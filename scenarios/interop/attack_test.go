package interop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// XEP-0238's security claim on software people run: against Debian's
// Prosody 0.12, a DNS-poisoning impostor impersonates a domain through
// Server Dialback when s2s_secure_auth is off (the code default), and is
// stopped when it is on (the shipped configuration). The dialback-shortcut
// impostor is stopped in both (checkShortcutRefused).
func TestPoisonedDNSAgainstProsody(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Prosody")
	}
	for _, c := range []struct {
		srv          *Prosody
		impersonated bool
	}{{&Prosody{}, true}, {&Prosody{Shipped: true}, false}} {
		t.Run(c.srv.Name(), func(t *testing.T) {
			if err := c.srv.Available(); err != nil {
				t.Skipf("REAL-SERVER TEST NOT RUN: %v", err)
			}
			r, err := PoisonAttack(context.Background(), c.srv, Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(r)
			if r.Impersonated != c.impersonated {
				t.Errorf("%s: impersonated %v, want %v (transcript and log in %s)", c.srv.Name(), r.Impersonated, c.impersonated, r.Dir)
			}
			checkShortcutRefused(t, c.srv)
		})
	}
}

// checkShortcutRefused runs the dialback shortcut against the Prosody:
// the impostor's <db:result type='valid'/> is treated as a key and checked
// with victim.lit's real Authoritative Server, which answers invalid (code
// defaults), or the impostor's certificate is refused first
// (s2s_secure_auth). Prosody does not have the defect
// dialback_trust_result.
func checkShortcutRefused(t *testing.T, srv *Prosody) {
	t.Helper()
	r, err := ShortcutAttack(context.Background(), srv, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if r.Impersonated || r.Level != "U" {
		t.Errorf("%s: dialback-shortcut impersonated %v at %s, want refused (transcript and log in %s)", srv.Name(), r.Impersonated, r.Level, r.Dir)
	}
	if srv.Shipped {
		return
	}
	// The refusal is Prosody's verification, not a lucky timeout: it
	// asked victim.lit and reported the key invalid.
	tr, err := os.ReadFile(filepath.Join(r.Dir, "transcript.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Prosody writes attributes in no fixed order (a Lua table).
	sent := func(name string, attrs ...string) bool {
		for _, l := range strings.Split(string(tr), "\n") {
			l = strings.TrimSpace(l)
			ok := strings.HasPrefix(l, "<"+name+" ")
			for _, a := range attrs {
				ok = ok && strings.Contains(l, a)
			}
			if ok {
				return true
			}
		}
		return false
	}
	if !sent("db:verify", "from='prosody.lit'", "to='victim.lit'") || !sent("db:result", "from='prosody.lit'", "type='invalid'") {
		t.Errorf("Prosody did not verify the forged result with victim.lit and answer invalid (transcript in %s)", r.Dir)
	}
}
