package spec

import (
	"fmt"
	"time"

	"github.com/fedsim/fedsim/network/pki"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/live"
	"github.com/fedsim/fedsim/sim"
)

// LiveSkip says why a scenario cannot run on real sockets with the same
// meaning ("" when it can): a fault or attack that acts only inside the
// simulated network (a partition, a stripped STARTTLS, a TLS interceptor
// on the path…), or a fault scheduled at a virtual time (the live
// runtime's DNS and certificates take their faults from the start).
func (s *Scenario) LiveSkip() string {
	if s.HasReal() {
		return "it names a real server (Run starts it)"
	}
	for _, f := range s.Faults {
		if live.SimulatedOnly(f.Kind) {
			return fmt.Sprintf("fault %s acts inside the simulated network", f.Kind)
		}
		if f.At != 0 || f.Until != 0 {
			return fmt.Sprintf("fault %s is scheduled in virtual time", f.Kind)
		}
	}
	for _, sv := range s.Servers {
		// The live runtime's TLS is crypto/tls with the scenario's PKI: it
		// checks certificates by PKIX only, and its DNS server signs
		// nothing (issue 15).
		if p := sv.Policy; p.DNSSEC != nodes.DNSSECOff || p.DANE != nodes.DANEOff || p.POSH != nodes.POSHOff {
			return fmt.Sprintf("server %s uses DNSSEC, DANE or POSH, which only the simulated network models", sv.Domain)
		}
		if sv.Signed || sv.TLSA != "" || sv.POSH {
			return fmt.Sprintf("server %s publishes DNSSEC, TLSA or POSH data, which only the simulated network models", sv.Domain)
		}
	}
	for _, a := range s.Attacks {
		if a.Kind != scenarios.AttackDNSPoison {
			return fmt.Sprintf("attack %s is a filter on the simulated network", a.Kind)
		}
	}
	for _, t := range s.Traffic {
		if t.At > time.Second {
			return "traffic is scheduled " + t.At.String() + " in"
		}
	}
	return ""
}

// RunLive runs the scenario's world on real sockets (package
// scenarios/live) — real TCP on loopback, real TLS with certificates made
// from the scenario's PKI — and checks the expectations that mean the same
// in real time: outcomes, elements sent and not sent, events, deliveries,
// bounces, the invariants and dns-poison verdicts. Elapsed-time bounds,
// determinism and the golden transcript are about virtual time and are not
// checked. Call LiveSkip first.
func (s *Scenario) RunLive(opt live.Options) (*Result, error) {
	start := time.Now()
	w, err := scenarios.Build(s.Config())
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
	}
	if opt.TLS == nil {
		certs := pki.New(time.Since(sim.Epoch))
		opt.TLS = live.PKI(certs)
	}
	lr, err := live.RunWorld(w, opt)
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
	}
	res := &Result{Scenario: s, World: w, Attacks: lr.Attacks, Events: lr.Events, Virtual: w.Sim.Now()}
	res.Report = scenarios.Check(w)
	res.checkLive(lr.TimedOut, false)
	res.Wall = time.Since(start)
	return res, nil
}
