package live

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	"fedsim/nodes"
	"fedsim/scenarios"
)

// The XEP pairs that need no TLS federate on real sockets as they do in
// the simulation: the same outcome both ways, the ping delivered and
// answered, and the same elements on the wire (in real time, writes of
// different servers and connections interleave as they happen, so they
// are compared as a sorted list).
func TestPlaintextPairsMatchTheSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("opens real sockets")
	}
	for _, p := range []scenarios.Pair{{Initiator: "type1", Receiver: "type1"}, {Initiator: "type1", Receiver: "type2"}, {Initiator: "type2", Receiver: "type3"}} {
		cfg, p, err := scenarios.PairConfig(p, scenarios.PairOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		sim, err := scenarios.RunPair(p, scenarios.PairOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		from, to := p.Domains()
		got := res.World.ReadPair(from, to)
		if res.TimedOut || got != sim.PairReading {
			var b bytes.Buffer
			res.World.Sim.Trace.WriteText(&b)
			t.Fatalf("%v live: %+v (timed out %v), simulated: %+v\n%s", p, got, res.TimedOut, sim.PairReading, b.String())
		}
		if got.Outcome != nodes.LevelVerified || !got.Answered {
			t.Fatalf("%v: %+v", p, got)
		}
		if a, b := elements(res.World), elements(sim.World); a != b {
			t.Errorf("%v: elements on the wire differ:\nlive: %s\nsim:  %s", p, a, b)
		}
	}
}

// elements lists who wrote which element, sorted.
func elements(w *scenarios.World) string {
	var names []string
	for _, r := range w.Sim.Trace.Records {
		if r.XML == "" {
			continue
		}
		name := r.XML
		if i := strings.IndexAny(name[1:], " />"); i >= 0 {
			name = name[:i+1]
		}
		names = append(names, r.Node+">"+name)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}
