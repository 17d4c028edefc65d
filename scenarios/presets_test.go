package scenarios

import (
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

// Each real-server preset's documented behaviour (docs/presets.md),
// checked by running it.
func TestRealPresetBehaviour(t *testing.T) {
	run := func(a, b string, opt PairOptions) (*PairResult, string) {
		t.Helper()
		opt.Seed = 1
		r, err := RunPair(Pair{a, b}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return r, traceText(r)
	}
	// Prosody 13 (and ejabberd with STARTTLS required) refuse a plaintext
	// peer with policy-violation (mod_s2s: "Encrypted server-to-server
	// communication is required but was not offered"; ejabberd: "Use of
	// STARTTLS required").
	for _, p := range []string{"prosody-0.12", "prosody-13", "ejabberd-required"} {
		r, tr := run("type1", p, PairOptions{})
		if r.Outcome != nodes.LevelNone || !strings.Contains(tr, "<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") {
			t.Errorf("%s: a plaintext 0.9 peer got %s, want U with policy-violation", p, r.Outcome.Letter())
		}
	}
	// Prosody offers dialback alongside SASL EXTERNAL.
	if _, tr := run("prosody-13", "prosody-0.12", PairOptions{}); !strings.Contains(tr, "</mechanisms><dialback xmlns='urn:xmpp:features:dialback'/>") {
		t.Error("prosody does not offer dialback next to EXTERNAL")
	}
	// s2s_secure_auth: a self-signed peer (type4) cannot authenticate.
	if r, _ := run("type4", "prosody-13-secure-auth", PairOptions{}); r.Outcome != nodes.LevelNone {
		t.Errorf("secure_auth accepted a self-signed peer: %s", r.Outcome.Letter())
	}
	// Openfire bounces with remote-server-not-found.
	if r, _ := run("openfire", "type6", PairOptions{Faults: []Fault{{Kind: CertWrongName, Target: "openfire.lit"}}}); r.Bounce != "remote-server-not-found" {
		t.Errorf("openfire bounce %q, want remote-server-not-found", r.Bounce)
	}
}

// Certificates without the clientAuth key usage (public CAs since 2025):
// which pairs lose SASL EXTERNAL, which fall back to dialback, which fail.
func TestServerAuthOnlyCertificates(t *testing.T) {
	cases := []struct {
		initiator, receiver string
		want                nodes.Level
	}{
		{"prosody-13", "prosody-13", nodes.LevelTrusted},             // Prosody ignores key usage
		{"prosody-13", "ejabberd-25.08", nodes.LevelTrusted},         // 25.08 stopped enforcing it
		{"prosody-13", "ejabberd-24", nodes.LevelEncrypted},          // EXTERNAL refused, dialback instead
		{"prosody-13", "ejabberd-required-trusted", nodes.LevelNone}, // no dialback to fall back to
		{"ejabberd-24", "prosody-13", nodes.LevelTrusted},            // the receiver decides
	}
	for _, c := range cases {
		r, err := RunPair(Pair{c.initiator, c.receiver}, PairOptions{Seed: 1, Faults: []Fault{{Kind: CertNoClientAuth, Target: c.initiator + ".lit"}}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != c.want {
			t.Errorf("%s -> %s with a serverAuth-only certificate: %s (%s), want %s", c.initiator, c.receiver, r.Outcome.Letter(), r.Reason, c.want.Letter())
		}
		// Without the fault every one of these pairs is T.
		base, _ := RunPair(Pair{c.initiator, c.receiver}, PairOptions{Seed: 1, NoTrace: true})
		if base.Outcome != nodes.LevelTrusted {
			t.Errorf("%s -> %s without the fault: %s, want T", c.initiator, c.receiver, base.Outcome.Letter())
		}
	}
}
