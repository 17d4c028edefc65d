package interop

import (
	"context"
	"testing"
)

// XEP-0238's security claim on software people run: against Debian's
// Prosody 0.12, a DNS-poisoning impostor impersonates a domain through
// Server Dialback when s2s_secure_auth is off (the code default), and is
// stopped when it is on (the shipped configuration).
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
		})
	}
}
