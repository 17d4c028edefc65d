package scenarios

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestStreamManagementGoldens: the 36 XEP-0238 pairs with stream
// management (XEP-0198) on every server that can have it — every type but
// type1, whose XMPP 0.9 has no stream features — each type against every
// other in both directions, under testdata/golden/sm/ (rewritten by go
// test ./scenarios -update). Stream management changes no outcome: the
// levels are the flow-derived matrix's; where both ends have it and the
// stream is established, the initiator enables it, the ping is
// acknowledged with h='1', and the answer comes back on the receiver's
// own managed stream; with type1 at either end nothing of XEP-0198 is on
// the wire.
func TestStreamManagementGoldens(t *testing.T) {
	for i, a := range Types {
		for j, b := range Types {
			p := Pair{a, b}
			name := a + "_" + b
			t.Run(name, func(t *testing.T) {
				r, err := RunPair(p, PairOptions{Seed: 1, Specs: smSpecs()})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := r.Outcome.Letter(), string(flowMatrix[i][j]); got != want {
					t.Errorf("outcome %s with stream management, %s without", got, want)
				}
				if rep := Check(r.World); len(rep.Violations) != 0 || rep.Lost != 0 {
					t.Errorf("invariants: %+v", rep)
				}
				got := transcript(t, r)
				from, to := r.From, r.To
				switch managed := a != "type1" && b != "type1" && r.Outcome.Letter() != "U"; {
				case managed:
					for _, want := range []string{
						"c1.", // the forward stream…
						from + " -> " + to + "\n    <enable xmlns='urn:xmpp:sm:3' resume='true'/>",
						to + " -> " + from + "\n    <a xmlns='urn:xmpp:sm:3' h='1'/>",
					} {
						if !strings.Contains(got, want) {
							t.Errorf("transcript lacks %q", want)
						}
					}
					if r.Answered && !strings.Contains(got, from+" -> "+to+"\n    <a xmlns='urn:xmpp:sm:3' h='1'/>") {
						t.Errorf("the answer came back, but %s acknowledged nothing on its own managed stream", from)
					}
				case a == "type1" || b == "type1":
					if strings.Contains(got, "urn:xmpp:sm:3") {
						t.Errorf("XEP-0198 on the wire with type1 (XMPP 0.9)")
					}
				}
				checkGolden(t, filepath.Join("testdata", "golden", "sm", name+".txt"), got)
			})
		}
	}
}

// BenchmarkStreamManagementPair: one pair's whole run without a trace,
// with stream management on both servers and without — what XEP-0198's
// <enable/>, the held first stanza and the acks cost a federation.
func BenchmarkStreamManagementPair(b *testing.B) {
	for _, p := range []Pair{{"type5", "type6"}, {"type2", "type4"}} {
		for _, sm := range []bool{false, true} {
			name := p.Initiator + "-" + p.Receiver
			// The same presets through PairOptions.Specs either way, so
			// that only the policy field differs.
			specs := smSpecs()
			if sm {
				name += "-sm"
			} else {
				for k, v := range specs {
					v.Policy.StreamManagement = false
					specs[k] = v
				}
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := RunPair(p, PairOptions{Seed: uint64(i) + 1, Specs: specs, NoTrace: true}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
