package interop

import (
	"context"
	"os"
	"path/filepath"
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
			checkModernFeatures(t, m)
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
	// stream_management is mod_smacks, loaded beside the base modules.
	deb, _ := presetByName("prosody-0.12-debian")
	if settings, _ := ProsodySettings(deb.Policy); !strings.Contains(strings.Join(settings, "\n"), `"smacks"`) {
		t.Errorf("prosody-0.12-debian (stream_management=true) writes %q, without mod_smacks", settings)
	}
	if _, err := os.Stat(ShippedProsodyConfig); err == nil {
		shipped, err := shippedSettings()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(shipped, "\n"), `"smacks"`) {
			t.Errorf("%s enables smacks, but the settings taken from it are %q", ShippedProsodyConfig, shipped)
		}
	}
	p, _ := presetByName("type1")
	_, cannot := ProsodySettings(p.Policy)
	if len(cannot) == 0 || !strings.Contains(strings.Join(cannot, ";"), "version=0.9") {
		t.Errorf("type1's policy: cannot = %v, want version=0.9 among them", cannot)
	}
}

// checkModernFeatures holds the preset to what the real server did on the
// wire and in DNS (issue 15): it offers <bidi/> (XEP-0288) on its s2s
// streams exactly when the preset has bidi, and the simulation of the
// preset offers it on the same streams; it asks for _xmpps-server records
// (XEP-0368 §3) exactly when the preset connects with Direct TLS
// (direct_tls or direct_tls_connect); it listens on port 5270 exactly
// when the preset has direct_tls; it offers <sm xmlns='urn:xmpp:sm:3'/>
// (XEP-0198) on some s2s stream exactly when the preset has
// stream_management, and so does the simulation of the preset.
func checkModernFeatures(t *testing.T, m *Matrix) {
	t.Helper()
	p, ok := presetByName(m.Preset)
	if !ok {
		t.Fatalf("no preset %q", m.Preset)
	}
	t.Logf("%s offered: %s; simulated %s: %s; asks _xmpps-server: %v; listens on 5270: %v",
		m.Server, strings.Join(m.Offered, " | "), m.Preset, strings.Join(m.SimOffered, " | "), m.AsksXMPPS, m.ListensDirectTLS)
	if len(m.Offered) == 0 {
		t.Fatalf("%s offered no stream features on any stream: nothing was measured", m.Server)
	}
	if got := Offers(m.Offered, "bidi"); got != p.Policy.Bidi {
		t.Errorf("%s offers <bidi/>: %v; preset %s has bidi=%v", m.Server, got, p.Name, p.Policy.Bidi)
	}
	if got, sim := Offers(m.Offered, "bidi"), Offers(m.SimOffered, "bidi"); got != sim {
		t.Errorf("<bidi/> offered by %s: %v, by the simulation of %s: %v", m.Server, got, p.Name, sim)
	}
	// XEP-0198 on s2s: Prosody 0.12.3's mod_smacks offers <sm/> (sm:2 and
	// sm:3) on an authenticated s2s stream when it is loaded (Debian's
	// prosody.cfg.lua enables it; smacks_enabled_s2s defaults to true);
	// ejabberd 23.01's mod_stream_mgmt hooks c2s streams only.
	if got := Offers(m.Offered, "sm:3"); got != p.Policy.StreamManagement {
		t.Errorf("%s offers <sm xmlns='urn:xmpp:sm:3'/>: %v; preset %s has stream_management=%v", m.Server, got, p.Name, p.Policy.StreamManagement)
	}
	if got, sim := Offers(m.Offered, "sm:3"), Offers(m.SimOffered, "sm:3"); got != sim {
		t.Errorf("<sm xmlns='urn:xmpp:sm:3'/> offered by %s: %v, by the simulation of %s: %v", m.Server, got, p.Name, sim)
	}
	if want := p.Policy.DirectTLS || p.Policy.DirectTLSConnect; m.AsksXMPPS != want {
		t.Errorf("%s asks for _xmpps-server records: %v; preset %s connects with Direct TLS: %v", m.Server, m.AsksXMPPS, p.Name, want)
	}
	if m.ListensDirectTLS != p.Policy.DirectTLS {
		t.Errorf("%s listens on 5270: %v; preset %s has direct_tls=%v", m.Server, m.ListensDirectTLS, p.Name, p.Policy.DirectTLS)
	}
}

// TestProsodyWithBidiAndDirectTLS is the other side of the measurement:
// with mod_s2s_bidi loaded and s2s_direct_tls_ports set (what fedsim
// writes for bidi=true, direct_tls=true), the same probe sees <bidi/> —
// after TLS only, since s2s_require_encryption holds it back until the
// stream is encrypted — and a listener on 5270. So a preset's false is
// what the program does, not what the probe cannot see.
func TestProsodyWithBidiAndDirectTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Prosody")
	}
	srv := &Prosody{}
	if err := srv.Available(); err != nil {
		t.Skipf("REAL-SERVER TEST NOT RUN: %v", err)
	}
	p, _ := presetByName("prosody-0.12")
	p.Policy.Bidi, p.Policy.DirectTLS = true, true
	srv.Policy = &p.Policy
	m, err := Run(context.Background(), srv, Options{Dir: t.TempDir()})
	if err != nil {
		log, _ := os.ReadFile(srv.LogPath())
		out, _ := os.ReadFile(filepath.Join(filepath.Dir(srv.LogPath()), "prosody.stdout"))
		t.Fatalf("%v\nprosody.stdout:\n%s\nlog:\n%s", err, out, log)
	}
	t.Logf("offered: %s; settings: %s", strings.Join(m.Offered, " | "), strings.Join(m.Settings, "; "))
	var before, after bool
	for _, l := range m.Offered {
		has := Offers([]string{l}, "bidi")
		before = before || (has && strings.HasPrefix(l, "before TLS"))
		after = after || (has && strings.HasPrefix(l, "after TLS"))
	}
	if !after || before {
		t.Errorf("<bidi/> before TLS %v, after TLS %v; want only after (mod_s2s_bidi with s2s_require_encryption)", before, after)
	}
	if !m.ListensDirectTLS {
		t.Errorf("nothing listens on 5270 with s2s_direct_tls_ports = { 5270 }")
	}
	if !m.AsksXMPPS {
		t.Errorf("Prosody asked for no _xmpps-server records")
	}
}
