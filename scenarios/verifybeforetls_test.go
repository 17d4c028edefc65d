package scenarios

import (
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

// verify_before_tls (XEP-0220 §2.1.2): by default an Authoritative Server
// that requires STARTTLS still answers <db:verify/> on a connection without
// TLS, so type4 -> type4 federates at E; with verify_before_tls=false it
// refuses the verification like a dialback key, and the receiving server
// cannot check the key: no federation.
func TestVerifyBeforeTLS(t *testing.T) {
	p := Pair{"type4", "type4"}
	f, ok := nodes.PolicyFieldByName("verify_before_tls")
	if !ok {
		t.Fatal("no verify_before_tls field")
	}
	for _, c := range []struct {
		value, outcome string
		trace          string
	}{
		{"true", "E", "recomputes the key"},
		{"false", "U", "verify_before_tls=false"},
	} {
		pol := nodes.Presets()[3].Policy // type4: starttls=required
		if err := f.Set(&pol, c.value); err != nil {
			t.Fatal(err)
		}
		r, err := RunPair(p, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type4": pol}})
		if err != nil {
			t.Fatal(err)
		}
		var tr strings.Builder
		r.World.Sim.Trace.WriteText(&tr)
		if r.Outcome.Letter() != c.outcome || !strings.Contains(tr.String(), c.trace) {
			t.Errorf("verify_before_tls=%s: outcome %s (%s), want %s with %q in the trace:\n%s", c.value, r.Outcome.Letter(), r.Reason, c.outcome, c.trace, tr.String())
		}
	}
	// Where TLS is not required the field changes nothing.
	pol := nodes.Presets()[1].Policy // type2: starttls=offered
	f.Set(&pol, "false")
	r, err := RunPair(Pair{"type2", "type2"}, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type2": pol}})
	if err != nil || r.Outcome.Letter() != "V" {
		t.Errorf("type2 with verify_before_tls=false: %v %v", r.Outcome.Letter(), err)
	}
}
