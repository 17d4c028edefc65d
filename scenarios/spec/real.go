package spec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/interop"
	"github.com/fedsim/fedsim/scenarios/live"
)

// ErrUnavailable is what Run returns when a scenario names a real server
// that is not installed here: the run did not happen (fedsim test reports
// it as skipped, not failed).
var ErrUnavailable = errors.New("spec: a real server the scenario names is not available")

// HasReal reports whether the scenario names a real server (`real:`): such
// a world runs on real sockets only.
func (s *Scenario) HasReal() bool {
	for _, sv := range s.Servers {
		if sv.Real != "" {
			return true
		}
	}
	return false
}

// runReal runs a scenario with real servers: every server gets a loopback
// address (interop.Loopback(N) for the N-th; a real server's DNS answers must point
// where it can connect), fedsim's DNS server answers from the scenario's
// records and faults, each real server is configured (its policy written
// where it can express it), started, and stopped by PID after the run, and
// its log is kept in Result.RealDir beside the run's transcript. The
// expectations that mean the same in real time are checked (RunLive).
func (s *Scenario) runReal() (*Result, error) {
	start := time.Now()
	cfg := s.Config()
	loop := map[string]string{}
	for i := range cfg.Servers {
		sv := &cfg.Servers[i]
		old := sv.Address
		if old == "" {
			old = fmt.Sprintf("10.0.0.%d", i+1)
		}
		sv.Address = interop.Loopback(i + 1)
		if sv.Real != "" {
			if host, _, err := net.SplitHostPort(sv.Real); err == nil {
				sv.Address = host // a server already running: where it is
			}
		}
		loop[old] = sv.Address
	}
	for i := range cfg.Addr {
		if a, ok := loop[cfg.Addr[i].Addr]; ok {
			cfg.Addr[i].Addr = a
		}
	}
	for i := range cfg.Faults {
		if a, ok := loop[cfg.Faults[i].Addr]; ok {
			cfg.Faults[i].Addr = a
		}
	}
	w, err := scenarios.Build(cfg)
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
	}
	dir, err := os.MkdirTemp("", "fedsim-real-")
	if err != nil {
		return nil, err
	}
	var reals []interop.Real
	for i, sv := range cfg.Servers {
		if sv.Real == "" {
			continue
		}
		var policy *nodes.Policy
		if s.Servers[i].Preset != "" || s.Servers[i].policySet {
			p := sv.Policy
			policy = &p
		}
		srv, err := interop.ForScenario(sv.Real, sv.Domain, policy)
		if err != nil {
			return nil, fmt.Errorf("spec: %s: servers[%d].real: %w", s.Path, i, err)
		}
		if err := srv.Available(); err != nil {
			return nil, fmt.Errorf("%w: %s: servers[%d].real: %v", ErrUnavailable, s.Path, i, err)
		}
		ps := w.Prepared.Servers[i].Node
		reals = append(reals, interop.Real{Server: srv, Domain: sv.Domain, Addr: sv.Address, Cert: ps.Cert, Trust: ps.Trust})
	}
	launched, err := interop.Launch(context.Background(), w, dir, "", nil, reals)
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
	}
	lr, err := live.RunWorld(w, launched.Live(live.Options{Deadline: s.Deadline}))
	if stopErr := launched.Stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
	}
	res := &Result{Scenario: s, World: w, Attacks: lr.Attacks, Events: lr.Events, Virtual: w.Sim.Now(), RealDir: dir}
	var tr bytes.Buffer
	if err := w.Sim.Trace.WriteText(&tr); err != nil {
		return nil, err
	}
	res.Transcript = tr.Bytes()
	if err := interop.WriteTranscript(filepath.Join(dir, "transcript.txt"), w); err != nil {
		return nil, err
	}
	if n := len(w.Sim.Trace.Records); n > 0 {
		res.Virtual = w.Sim.Trace.Records[n-1].Time // the run's span, as its transcript shows it
	}
	// The invariant checker needs every server's records (what it
	// delivered, whom its Authoritative Server vouched for); a real server
	// keeps its own, so a run with one is not checked for invariants.
	res.Report = scenarios.Report{}
	res.checkLive(lr.TimedOut, true)
	res.Wall = time.Since(start)
	return res, nil
}

// checkLive checks the expectations that mean the same in real time (a
// simulated run checks them too, and its virtual-time ones): without the
// invariants when a real server keeps its own records.
func (r *Result) checkLive(timedOut, real bool) {
	e := &r.Scenario.Expect
	r.checkOutcomes()
	r.checkElements("sent", e.Sent, true)
	r.checkElements("not_sent", e.NotSent, false)
	r.checkEvents("events", e.Events, true)
	r.checkEvents("not_events", e.NotEvents, false)
	r.checkDelivered()
	r.checkBounced()
	if !real {
		r.checkInvariants()
	}
	r.checkAttacks()
	if timedOut {
		r.fail("live", "the live run did not go quiet before its deadline", "")
	}
}
