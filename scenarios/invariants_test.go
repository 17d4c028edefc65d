package scenarios

import (
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

// All 36 XEP pairs satisfy the invariants.
func TestInvariantsHoldOnTheXEPWorld(t *testing.T) {
	for _, p := range allPairs() {
		r, err := RunPair(p, PairOptions{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		rep := Check(r.World)
		if len(rep.Violations) != 0 || len(rep.Impersonations) != 0 || rep.Lost != 0 {
			t.Fatalf("%v: %+v", p, rep)
		}
	}
}

// A receiving server that skips the dialback verification breaks a rule;
// the checker must notice, even though the run "succeeds".
func TestCheckerCatchesSkippedDialbackVerification(t *testing.T) {
	r, err := RunPair(Pair{"type2", "type4"}, PairOptions{Seed: 1, Broken: map[string]nodes.BrokenRule{"type4": nodes.SkipDialbackVerification}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != nodes.LevelEncrypted || !r.Delivered {
		t.Fatalf("the broken server should still let the stanza in: %s delivered=%t", r.Outcome.Letter(), r.Delivered)
	}
	v := CheckInvariants(r.World)
	if len(v) == 0 {
		t.Fatal("the invariant checker did not notice the skipped verification")
	}
	if v[0].Rule != "dialback-verified" || !strings.Contains(v[0].Detail, "accepted type2.lit by dialback but no Authoritative Server confirmed") {
		t.Fatalf("unexpected violation: %v", v)
	}
}

func TestDeterminismCheck(t *testing.T) {
	if v, ok := CheckDeterminism(func() (*World, error) {
		r, err := RunPair(Pair{"type3", "type6"}, PairOptions{Seed: 9, Faults: []Fault{{Kind: Latency, Target: "type3.lit", Peer: "type6.lit", Delay: 30e6, Jitter: 20e6}}})
		if err != nil {
			return nil, err
		}
		return r.World, nil
	}); !ok {
		t.Fatal(v)
	}
}

// The checker compares a server's own account of an acceptance with the
// wire: the stream id it sent on that connection and whether TLS came up.
func TestCheckerComparesAcceptancesWithTheWire(t *testing.T) {
	r, err := RunPair(Pair{"type2", "type4"}, PairOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if v := CheckInvariants(r.World); len(v) != 0 {
		t.Fatalf("clean run: %v", v)
	}
	orig := append([]Acceptance(nil), r.World.Acceptances...)
	r.World.Acceptances[0].StreamID = "not-on-the-wire"
	if v := CheckInvariants(r.World); len(v) == 0 || !strings.Contains(v[0].Detail, "on the wire was") {
		t.Fatalf("a stream id the server never sent passed: %v", v)
	}
	copy(r.World.Acceptances, orig)
	r.World.Acceptances[0].Level = nodes.LevelVerified // claims no TLS on a TLS connection
	v := CheckInvariants(r.World)
	found := false
	for _, x := range v {
		found = found || strings.Contains(x.Detail, "the connection had TLS")
	}
	if !found {
		t.Fatalf("a level contradicting the wire passed: %v", v)
	}
}

// Stream management resumed on a stream nobody authenticated (both
// servers break XEP-0198 §9 on purpose): the checker must report it, and
// the stanza accepted on that stream, although every stanza arrives.
func TestCheckerCatchesResumptionWithoutAuthentication(t *testing.T) {
	for _, broken := range []bool{false, true} {
		opt := PairOptions{Seed: 1, Specs: smSpecs(),
			Faults: []Fault{{Kind: Partition, Target: "type2.lit", Peer: "type3.lit", At: 1000e6, Until: 5000e6}}}
		if broken {
			opt.Broken = map[string]nodes.BrokenRule{"type2": nodes.ResumeWithoutAuthentication, "type3": nodes.ResumeWithoutAuthentication}
		}
		cfg, _, err := PairConfig(Pair{"type2", "type3"}, opt)
		if err != nil {
			t.Fatal(err)
		}
		later := Ping(Pair{"type2", "type3"})
		later.SetAttr("id", "later")
		cfg.Traffic = append(cfg.Traffic, Send{At: 2000e6, From: "type2.lit", Stanza: later})
		w, err := Build(cfg)
		if err != nil {
			t.Fatal(err)
		}
		w.Run(RunDeadline)
		rep := Check(w)
		var rules []string
		for _, v := range rep.Violations {
			rules = append(rules, v.Rule)
		}
		resumed := false
		for _, r := range w.Sim.Trace.Records {
			resumed = resumed || strings.HasPrefix(r.XML, "<resumed ")
		}
		if !resumed {
			t.Fatalf("broken=%t: no session was resumed; the test does not test anything", broken)
		}
		got := strings.Join(rules, ",")
		if !broken && got != "" {
			t.Fatalf("a resumption after authentication was reported: %v", rep.Violations)
		}
		if broken && (!strings.Contains(got, "sm-authenticated") || !strings.Contains(got, "dialback-verified")) {
			t.Fatalf("broken: want sm-authenticated and dialback-verified violations, got %v", rep.Violations)
		}
	}
}
