package interop

import (
	"context"
	"strings"
	"testing"
)

// The interop matrix against Debian's real Prosody, started and stopped by
// fedsim: every cell must agree with the preset that claims to model it.
// Without the program installed (apt-get install prosody lua-unbound), the
// test says loudly that it did not run.
func TestProsodyAgreesWithItsPresets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Prosody")
	}
	for _, srv := range []Server{&Prosody{}, &Prosody{Shipped: true}} {
		t.Run(srv.Name(), func(t *testing.T) {
			if err := srv.Available(); err != nil {
				t.Skipf("REAL-SERVER TEST NOT RUN: %v", err)
			}
			m, err := Run(context.Background(), srv, Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Cells) != 12 {
				t.Fatalf("%d cells, want 12 (6 types x 2 directions)", len(m.Cells))
			}
			for _, c := range m.Cells {
				if !c.Agree {
					t.Errorf("%s -> %s: real %s, preset %s says %s (%s)", c.Initiator, c.Receiver, c.Real, m.Preset, c.Simulated, c.Differs)
				}
			}
			if t.Failed() {
				t.Logf("settings written: %s; transcripts and the server's log are in %s", strings.Join(m.Settings, "; "), m.Dir)
			}
		})
	}
}

// ProsodySettings says which policy words Prosody cannot express, and
// expresses the presets that claim to model it.
func TestProsodySettings(t *testing.T) {
	for _, name := range []string{"prosody-0.12", "prosody-0.12-debian", "prosody-13", "prosody-13-secure-auth"} {
		p, _ := presetByName(name)
		if _, cannot := ProsodySettings(p.Policy); len(cannot) > 0 {
			t.Errorf("%s: Prosody cannot express %v", name, cannot)
		}
	}
	p, _ := presetByName("type1")
	_, cannot := ProsodySettings(p.Policy)
	if len(cannot) == 0 || !strings.Contains(strings.Join(cannot, ";"), "version=0.9") {
		t.Errorf("type1's policy: cannot = %v, want version=0.9 among them", cannot)
	}
}
