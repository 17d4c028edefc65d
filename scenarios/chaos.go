package scenarios

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"fedsim/nodes"
	"fedsim/sim"
)

// ChaosRun is one randomly drawn run: a pair of XEP types, a fault schedule
// and the stanzas sent, all derived from Seed alone.
type ChaosRun struct {
	Seed   uint64
	Pair   Pair
	Faults []Fault
	// Outcome of the first negotiation; Report of the invariant checker.
	Outcome nodes.Level
	Report  Report
	// Deterministic: a second run of the same seed gave the same trace.
	Deterministic bool
	Events        int
	Elapsed       sim.Time
}

// Replay is the command that reruns exactly this run.
func (c *ChaosRun) Replay() string { return fmt.Sprintf("fedsim chaos --runs 1 --seed %d", c.Seed) }

// drawFaults picks a fault schedule for a pair: up to three faults of any
// kind, at random times in the first seconds, some of them healing. The
// kind's entry in the fault table says which of these it takes (a peer,
// a time window) and draws its own parameters.
func drawFaults(r *rand.Rand, p Pair) []Fault {
	from, to := p.Domains()
	ends := []string{from, to}
	kinds := FaultKinds()
	n := r.IntN(4)
	var out []Fault
	for i := 0; i < n; i++ {
		k := kinds[r.IntN(len(kinds))]
		s, _ := SpecOf(k)
		target := ends[r.IntN(2)]
		other := ends[0]
		if target == ends[0] {
			other = ends[1]
		}
		at := time.Duration(r.IntN(400)) * time.Millisecond
		var until time.Duration
		if r.IntN(2) == 0 {
			until = at + time.Duration(1+r.IntN(20000))*time.Millisecond
		}
		f := Fault{Kind: k, Target: target, At: at, Until: until}
		if s.Takes(ParamPeer) {
			f.Peer = other
		}
		if s.draw != nil {
			s.draw(r, &f, other)
		}
		if !s.Takes(ParamAt) {
			f.At = 0
		}
		if !s.Takes(ParamUntil) {
			f.Until = 0
		}
		out = append(out, f)
	}
	return out
}

// RunChaos draws and runs one chaos run from seed: a random pair, random
// faults, a ping at time zero and a second one after every fault has had
// its time, then checks the invariants and replays the seed to check
// determinism.
func RunChaos(seed uint64) (*ChaosRun, error) {
	r := rand.New(rand.NewPCG(seed, 0xc4a05))
	p := Pair{Types[r.IntN(6)], Types[r.IntN(6)]}
	c := &ChaosRun{Seed: seed, Pair: p, Faults: drawFaults(r, p)}
	build := func() (*World, error) {
		cfg, _, err := PairConfig(p, PairOptions{Seed: seed, Faults: c.Faults})
		if err != nil {
			return nil, err
		}
		from, _ := p.Domains()
		again := Ping(p)
		again.SetAttr("id", again.Attr("id")+"-later")
		cfg.Traffic = append(cfg.Traffic, Send{At: 90 * time.Second, From: from, Stanza: again})
		w, err := Build(cfg)
		if err != nil {
			return nil, err
		}
		w.Run(RunDeadline)
		return w, nil
	}
	w, err := build()
	if err != nil {
		return nil, fmt.Errorf("scenarios: chaos seed %d: %w", seed, err)
	}
	w2, err := build()
	if err != nil {
		return nil, err
	}
	c.Deterministic = w.Sim.Trace.Hash() == w2.Sim.Trace.Hash()
	c.Report = Check(w)
	if !c.Deterministic {
		c.Report.Violations = append(c.Report.Violations, Violation{"deterministic", "re-running the seed gave a different trace"})
	}
	from, to := p.Domains()
	for _, o := range w.Outcomes {
		if o.Host == from && o.From == from && o.To == to {
			c.Outcome = o.Level
			break
		}
	}
	c.Events = int(w.Sim.Processed)
	c.Elapsed = w.Sim.Now()
	return c, nil
}

// ChaosSummary aggregates many runs.
type ChaosSummary struct {
	Runs, Faults, Events int
	ByFault              map[FaultKind]int
	ByOutcome            map[string]int
	Lost                 int
	Violating            []*ChaosRun
}

// RunChaosMany runs n chaos runs with seeds seed, seed+1, … so that run i
// replays alone as `fedsim chaos --runs 1 --seed seed+i`.
func RunChaosMany(n int, seed uint64) (*ChaosSummary, error) {
	s := &ChaosSummary{ByFault: map[FaultKind]int{}, ByOutcome: map[string]int{}}
	for i := 0; i < n; i++ {
		c, err := RunChaos(seed + uint64(i))
		if err != nil {
			return s, err
		}
		s.Runs++
		s.Faults += len(c.Faults)
		s.Events += c.Events
		for _, f := range c.Faults {
			s.ByFault[f.Kind]++
		}
		s.ByOutcome[c.Outcome.Letter()]++
		s.Lost += c.Report.Lost
		if len(c.Report.Violations) > 0 {
			s.Violating = append(s.Violating, c)
		}
	}
	return s, nil
}

// FaultCounts lists ByFault in a stable order.
func (s *ChaosSummary) FaultCounts() []string {
	var out []string
	for k, n := range s.ByFault {
		out = append(out, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(out)
	return out
}
