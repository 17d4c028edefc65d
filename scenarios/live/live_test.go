package live

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/network/pki"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/sim"
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
		res, err := Run(cfg, Options{Loopback: testLoopback})
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

// All 36 XEP-0238 pairs on real sockets with real TLS (certificates made
// by network/pki from the pair world's mock PKI): the same outcome both
// ways, the same delivery and answer, the same bounce as the simulation
// (live handshakes use TLS 1.2, where a rejected client certificate fails
// the client's handshake too, as in the simulation). Only the failure's
// wording may differ.
func TestXEPMatrixOnRealSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("opens real sockets")
	}
	for _, a := range scenarios.Types {
		for _, b := range scenarios.Types {
			cfg, p, err := scenarios.PairConfig(scenarios.Pair{Initiator: a, Receiver: b}, scenarios.PairOptions{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			want, err := scenarios.RunPair(p, scenarios.PairOptions{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(cfg, Options{TLS: PKI(pki.New(time.Until(sim.Epoch) * -1)), Idle: 100 * time.Millisecond, Loopback: testLoopback})
			if err != nil {
				t.Fatal(err)
			}
			from, to := p.Domains()
			got := res.World.ReadPair(from, to)
			w := want.PairReading
			got.Reason, w.Reason = "", ""
			if res.TimedOut || got != w {
				t.Errorf("%s -> %s on real sockets: %+v (timed out %v); simulated: %+v", a, b, got, res.TimedOut, w)
			}
		}
	}
}

// testLoopback keeps this package's servers off the addresses the interop
// tests use (127.77.0.x), which go test may run at the same time.
func testLoopback(k int) string { return fmt.Sprintf("127.78.%d.%d", os.Getpid()%250+1, k+1) }
