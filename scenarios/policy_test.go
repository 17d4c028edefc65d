package scenarios

import (
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

func preset(name string) nodes.Policy {
	p, _ := nodes.PresetByName(name)
	return p.Policy
}

func traceText(r *PairResult) string {
	var b strings.Builder
	r.World.Sim.Trace.WriteText(&b)
	return b.String()
}

// The error profile decides the conditions on the wire and in bounces.
func TestErrorProfile(t *testing.T) {
	p4 := preset("type4")
	p4.Errors.TLSRequired = "policy-violation" // what Prosody sends
	p1 := preset("type1")
	p1.Errors.Bounce = "remote-server-not-found"
	r, err := RunPair(Pair{"type1", "type4"}, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type4": p4, "type1": p1}})
	if err != nil {
		t.Fatal(err)
	}
	if tr := traceText(r); !strings.Contains(tr, "<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") {
		t.Fatalf("no policy-violation on the wire:\n%s", tr)
	}
	if r.Bounce != "remote-server-not-found" {
		t.Fatalf("bounce %q, want the profile's remote-server-not-found", r.Bounce)
	}
}

// Per-domain overrides: a secure domain must use a CA-validated
// certificate; an insecure one may use dialback.
func TestPerDomainOverrides(t *testing.T) {
	r, err := RunPair(Pair{"type2", "type3"}, PairOptions{Seed: 1, SecureDomains: map[string][]string{"type3": {"type2.lit"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != nodes.LevelNone || !strings.Contains(traceText(r), "accepts only T from it") {
		t.Fatalf("secure domain accepted by dialback: %s %s", r.Outcome.Letter(), r.Reason)
	}
	strict := preset("type3")
	strict.Accept = nodes.LevelSet(nodes.LevelTrusted)
	r, err = RunPair(Pair{"type2", "type3"}, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type3": strict}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != nodes.LevelNone {
		t.Fatalf("a T-only receiver accepted dialback: %s", r.Outcome.Letter())
	}
	r, err = RunPair(Pair{"type2", "type3"}, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type3": strict},
		InsecureDomains: map[string][]string{"type3": {"type2.lit"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != nodes.LevelVerified {
		t.Fatalf("insecure domain not accepted by dialback: %s (%s)", r.Outcome.Letter(), r.Reason)
	}
}

// A receiver that offers dialback alongside SASL EXTERNAL: the initiator
// still prefers EXTERNAL.
func TestDialbackWithSASL(t *testing.T) {
	p5 := preset("type5")
	p5.DialbackWithSASL = true
	r, err := RunPair(Pair{"type3", "type5"}, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type5": p5}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != nodes.LevelTrusted {
		t.Fatalf("outcome %s, want T", r.Outcome.Letter())
	}
	if tr := traceText(r); !strings.Contains(tr, "<mechanism>EXTERNAL</mechanism></mechanisms><dialback xmlns='urn:xmpp:features:dialback'/>") {
		t.Fatalf("both features not offered:\n%s", tr)
	}
}

// With dialback errors, a verification that fails is reported as
// <db:result type='error'/> with <remote-server-not-found/> (XEP-0220 §2.5)
// and the stream stays up; the sender's stanza bounces with
// remote-server-timeout of type wait.
func TestDialbackErrors(t *testing.T) {
	p4 := preset("type4")
	p4.DialbackErrors = true
	r, err := RunPair(Pair{"type2", "type4"}, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type4": p4},
		Faults: []Fault{{Kind: DNSNXDomain, Target: "type2.lit", Observer: "type4.lit"}}})
	if err != nil {
		t.Fatal(err)
	}
	tr := traceText(r)
	for _, want := range []string{
		"<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>",
		"<db:result from='type4.lit' to='type2.lit' type='error'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></db:result>",
	} {
		if !strings.Contains(tr, want) {
			t.Fatalf("trace lacks %s:\n%s", want, tr)
		}
	}
	if strings.Contains(tr, "remote-connection-failed") {
		t.Fatal("a stream error was sent although dialback errors are on")
	}
	if r.Outcome != nodes.LevelNone || r.Bounce != "remote-server-timeout" || r.BounceType != "wait" {
		t.Fatalf("outcome %s bounce %s/%s", r.Outcome.Letter(), r.Bounce, r.BounceType)
	}
}

// A record that points a domain at the asking server's own address makes
// it dial itself; it must answer its own header like any other (here with
// host-unknown, since it does not host type2.lit), not mistake it for the
// peer's answer.
func TestServerDialingItself(t *testing.T) {
	r, err := RunPair(Pair{"type1", "type2"}, PairOptions{Seed: 1, Faults: []Fault{{Kind: DNSPoison, Target: "type2.lit", Observer: "type1.lit", Addr: "10.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	tr := traceText(r)
	if r.Outcome != nodes.LevelNone || !strings.Contains(tr, "<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") {
		t.Fatalf("outcome %s:\n%s", r.Outcome.Letter(), tr)
	}
	if v := CheckInvariants(r.World); len(v) != 0 {
		t.Fatal(v)
	}
}
