package interop

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// ejabberdDisagreement is a cell where Debian's ejabberd 23.01 does what
// no fedsim policy can say: the letters each side gives, why, and the line
// of ejabberd's log that shows the cause.
type ejabberdDisagreement struct {
	Real, Simulated, Why string
	Log                  *regexp.Regexp
}

// ejabberdKnownDisagreements are the cells of the interop matrix where
// ejabberd 23.01 and its preset cannot agree, by initiator and receiver:
// none since fedsim's sasl word has the value ejabberd needs (always: offer
// SASL EXTERNAL on every TLS stream, judge the certificate at <auth/>).
// Before it, type2 and type4 -> ejabberd were listed here (real U: they
// take EXTERNAL up with a self-signed certificate, ejabberd refuses it with
// "self signed certificate", and they do not fall back; simulated E). If a
// cell disagrees again, measure, and list it here with the log line that
// shows why.
var ejabberdKnownDisagreements = map[[2]string]ejabberdDisagreement{}

// The interop matrix against Debian's real ejabberd 23.01, started and
// stopped by fedsim: every cell must agree with the ejabberd-23.01 preset,
// but for the cells fedsim's policy words cannot express, which must stay
// exactly as listed, for the listed reason. Without the program installed
// (apt-get install ejabberd), or without root (ejabberd needs a private
// /etc/resolv.conf), the test says loudly that it did not run.
func TestEjabberdAgreesWithItsPreset(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real ejabberd")
	}
	srv := &Ejabberd{}
	if err := srv.Available(); err != nil {
		t.Skipf("REAL-SERVER TEST NOT RUN: %v", err)
	}
	start := time.Now()
	m, err := Run(context.Background(), srv, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s against %s: %v (simulation %v), %d negotiations; s2s settings: %s", m.Server, m.Preset,
		time.Since(start).Round(time.Millisecond), m.Simulated.Round(time.Microsecond), m.Negotiations, strings.Join(m.Settings, "; "))
	if len(m.Cells) != 12 {
		t.Fatalf("%d cells, want 12 (6 types x 2 directions)", len(m.Cells))
	}
	checkModernFeatures(t, m)
	log, err := os.ReadFile(m.Log)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]string]bool{}
	for _, c := range m.Cells {
		k := [2]string{c.Initiator, c.Receiver}
		known, isKnown := ejabberdKnownDisagreements[k]
		switch {
		case isKnown:
			seen[k] = true
			if c.Real != known.Real || c.Simulated != known.Simulated {
				t.Errorf("%s -> %s: real %s, preset %s says %s; the known disagreement was real %s, simulated %s (%s): measure again and update the list",
					c.Initiator, c.Receiver, c.Real, m.Preset, c.Simulated, known.Real, known.Simulated, known.Why)
				continue
			}
			if !known.Log.Match(log) {
				t.Errorf("%s -> %s: real %s as known, but ejabberd's log has no line matching %q: the reason is no longer %q", c.Initiator, c.Receiver, c.Real, known.Log, known.Why)
				continue
			}
			t.Logf("%s -> %s: real %s, preset %s says %s: KNOWN DISAGREEMENT, fedsim cannot express it: %s", c.Initiator, c.Receiver, c.Real, m.Preset, c.Simulated, known.Why)
		case !c.Agree:
			t.Errorf("%s -> %s: real %s, preset %s says %s (%s)", c.Initiator, c.Receiver, c.Real, m.Preset, c.Simulated, c.Differs)
		}
	}
	for k := range ejabberdKnownDisagreements {
		if !seen[k] {
			t.Errorf("%s -> %s: listed as a known disagreement, but the matrix has no such cell", k[0], k[1])
		}
	}
	if t.Failed() {
		t.Logf("transcripts and ejabberd's log are in %s", m.Dir)
	}
}

// EjabberdSettings expresses the preset that claims to model Debian's
// ejabberd, and says what ejabberd 23.01 cannot express.
func TestEjabberdSettings(t *testing.T) {
	for _, c := range []struct {
		preset string
		want   []string // settings, when expressible
		cannot string   // a word of the reasons, when not
	}{
		{preset: "ejabberd-23.01", want: []string{"s2s_use_starttls: required", "modules: {mod_s2s_dialback: {}}"}},
		{preset: "ejabberd-24", want: []string{"s2s_use_starttls: optional", "modules: {mod_s2s_dialback: {}}"}},
		{preset: "ejabberd-required-trusted", want: []string{"s2s_use_starttls: required"}},
		{preset: "ejabberd-25.08", cannot: "enforce_clientauth_eku=false"},
		{preset: "ejabberd-required", cannot: "verify_before_tls=true"},
		{preset: "type1", cannot: "version=0.9"},
		{preset: "type2", cannot: "initiate_tls=if-required"},
		{preset: "type6", cannot: "require_valid_cert=true"},
	} {
		p, ok := presetByName(c.preset)
		if !ok {
			t.Fatalf("no preset %s", c.preset)
		}
		settings, cannot := EjabberdSettings(p.Policy)
		if c.cannot == "" {
			if len(cannot) > 0 {
				t.Errorf("%s: ejabberd cannot express %v", c.preset, cannot)
			}
			if strings.Join(settings, "; ") != strings.Join(c.want, "; ") {
				t.Errorf("%s: settings %q, want %q", c.preset, settings, c.want)
			}
		} else if !strings.Contains(strings.Join(cannot, "; "), c.cannot) {
			t.Errorf("%s: cannot = %q, want %s among them", c.preset, cannot, c.cannot)
		}
	}
}

// The preset says what Debian ships: the shipped file's s2s_use_starttls
// and mod_s2s_dialback are what EjabberdSettings writes for the preset.
func TestEjabberdPresetIsTheShippedConfig(t *testing.T) {
	shipped, err := shippedEjabberdS2S()
	if err != nil {
		t.Skipf("REAL-SERVER TEST NOT RUN: %v", err)
	}
	p, _ := presetByName("ejabberd-23.01")
	s, cannot := ejabberdPolicy(p.Policy)
	if len(cannot) > 0 {
		t.Fatalf("ejabberd cannot express its own preset: %v", cannot)
	}
	if !slices.Contains(shipped.lines, s.lines[0]) {
		t.Errorf("the preset writes %q; %s has %q", s.lines[0], ShippedEjabberdConfig, shipped.lines)
	}
	if (shipped.dialback != "") != (s.dialback != "") {
		t.Errorf("mod_s2s_dialback: the preset %t, %s %t", s.dialback != "", ShippedEjabberdConfig, shipped.dialback != "")
	}
}
