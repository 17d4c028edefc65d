package scenarios

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/sim"
)

// ChaosRun is one randomly drawn run: a pair of XEP types, a fault schedule
// and the stanzas sent, all derived from Seed alone.
type ChaosRun struct {
	Seed   uint64
	Pair   Pair
	Faults []Fault
	// Rogue, when not nil, is a hostile peer the seed placed in the run: it
	// writes a stanza in the initiator's name to the receiver without
	// authenticating (see RoguePeer).
	Rogue *RoguePeer
	// Outcome of the first negotiation; Report of the invariant checker.
	Outcome nodes.Level
	Report  Report
	// Deterministic: a second run of the same seed gave the same trace.
	Deterministic bool
	// StreamManagement: both servers ran with stream_management=true
	// (ChaosOptions.StreamManagement).
	StreamManagement bool
	// Hash is the trace hash of the run (sim.Trace.Hash), which
	// determinism checks compare, in this process or across processes.
	Hash    string
	Events  int
	Elapsed sim.Time
}

// Replay is the command that reruns exactly this run.
func (c *ChaosRun) Replay() string {
	if c.StreamManagement {
		return fmt.Sprintf("fedsim chaos --stream-management --runs 1 --seed %d", c.Seed)
	}
	return fmt.Sprintf("fedsim chaos --runs 1 --seed %d", c.Seed)
}

// drawFaults picks a fault schedule for a pair: up to three faults of any
// kind, at random times in the first seconds, some of them healing. The
// kind's entry in the fault table says which of these it takes (a peer,
// a time window) and draws its own parameters.
func drawFaults(r *rand.Rand, p Pair) []Fault {
	from, to := p.Domains()
	ends := []string{from, to}
	var kinds []FaultKind
	for _, k := range FaultKinds() {
		if s, _ := SpecOf(k); !s.NoChaos {
			kinds = append(kinds, k)
		}
	}
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

// RoguePeerKind names the hostile peer in fault counts. It is not in the
// fault table (FaultKinds): it is not a filter on the network but a host of
// its own, which chaos alone places.
const RoguePeerKind FaultKind = "rogue-peer"

// RoguePeer is a raw TCP client on the simulated network, not a server: it
// follows no protocol. At time At it connects to the receiver's port 5269
// and writes, in one go and without waiting for an answer, a stream header
// from the claimed domain, a <db:result/> with a key it made up (XEP-0220
// §2.1.1: only the Authoritative Server can confirm it) and a stanza in the
// claimed domain's name. A receiver that follows RFC 6120 §4.9.3.20 and
// XEP-0220 §2.2.1 never accepts that stanza: it must first ask the claimed
// domain's Authoritative Server, which denies the key. A receiver that takes
// stanzas on an unauthenticated stream, or trusts dialback keys unchecked
// (nodes.SkipDialbackVerification), accepts it, and the chaos run reports
// the violation.
type RoguePeer struct {
	// Claims is the domain the rogue pretends to be (the initiator's); To
	// the domain it writes to (the receiver's).
	Claims, To string
	// At is when it connects (virtual time from the start of the run).
	At time.Duration
	// Key is the forged dialback key; StanzaID the forged stanza's id.
	Key, StanzaID string

	w    *World
	host *network.Host
	conn network.ConnID
	// rcpt is the receiver's first user ("user" if it has none), so that
	// an accepted forgery is delivered, not refused for want of an account.
	rcpt string
}

// RogueHost and RogueAddr are where chaos places its rogue peer.
const (
	RogueHost = "rogue"
	RogueAddr = "10.6.6.66"
)

func drawRogue(r *rand.Rand, p Pair, seed uint64) *RoguePeer {
	if r.IntN(4) != 0 {
		return nil
	}
	from, to := p.Domains()
	return &RoguePeer{Claims: from, To: to, At: time.Duration(r.IntN(3000)) * time.Millisecond,
		Key: fmt.Sprintf("%016x", r.Uint64()), StanzaID: fmt.Sprintf("rogue-%d", seed)}
}

// install adds the rogue's host to w and schedules its connection.
func (g *RoguePeer) install(w *World) error {
	h, err := w.Net.AddHost(RogueHost, RogueAddr, g)
	if err != nil {
		return fmt.Errorf("scenarios: placing the rogue peer: %w", err)
	}
	g.w, g.host, g.rcpt = w, h, "user"
	if n := w.Node(g.To); n != nil && len(n.S.Config().Users) > 0 {
		g.rcpt = n.S.Config().Users[0]
	}
	w.Sim.At(sim.Time(g.At), g, 0, 0)
	return nil
}

// HandleEvent is the rogue's one scheduled event: connect to the receiver.
func (g *RoguePeer) HandleEvent(_ *sim.World, _, _ int64) {
	n := g.w.Node(g.To)
	if n == nil {
		return
	}
	g.conn = g.w.Net.Dial(g.host, n.Host.Addr, dns.DefaultPort, 0)
	g.w.TraceWorld(RogueHost, "attack", fmt.Sprintf("rogue peer connects to %s (c%d) to write a stanza in %s's name without authenticating", g.To, g.conn, g.Claims))
}

// Bytes is everything the rogue writes once connected.
func (g *RoguePeer) Bytes() []byte {
	return []byte("<?xml version='1.0'?>" +
		"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback'" +
		" from='" + g.Claims + "' to='" + g.To + "' version='1.0'>" +
		"<db:result from='" + g.Claims + "' to='" + g.To + "'>" + g.Key + "</db:result>" +
		"<message from='user@" + g.Claims + "/rogue' to='" + g.rcpt + "@" + g.To + "' id='" + g.StanzaID + "' type='chat'><body>forged by a rogue peer</body></message>")
}

// Dialed writes the whole forgery as soon as the connection is up.
func (g *RoguePeer) Dialed(c network.ConnID, _ int64, err error) {
	if err != nil {
		return
	}
	b := g.Bytes()
	g.w.TraceWorld(RogueHost, "attack", fmt.Sprintf("rogue peer writes on c%d: %s", c, b))
	g.w.Net.Write(c, network.Client, b)
}

// The rogue reads nothing and answers nothing.
func (g *RoguePeer) Accepted(network.ConnID, int, string)                   {}
func (g *RoguePeer) Received(network.ConnID, network.End, []byte)           {}
func (g *RoguePeer) TLSDone(network.ConnID, network.End, network.TLSResult) {}
func (g *RoguePeer) Closed(network.ConnID, network.End, error)              {}

// check reports the rogue's stanza if the receiver accepted or delivered
// it: whatever else the checker found, that stanza never authenticated.
func (g *RoguePeer) check(w *World) []Violation {
	var out []Violation
	n := w.Node(g.To)
	if n == nil {
		return nil
	}
	for _, a := range w.Acceptances {
		if a.Host == n.Host.Name && a.Stanza.Attr("id") == g.StanzaID {
			out = append(out, Violation{"authenticated-origin", fmt.Sprintf("%s at %v on c%d accepted a stanza in %s's name from a rogue peer that never authenticated (forged dialback key %s)", a.Server, a.Time, a.Conn, g.Claims, g.Key)})
		}
	}
	return out
}

// ChaosOptions changes how chaos runs are built; the zero value is the
// default.
type ChaosOptions struct {
	// Broken makes a type's servers break a rule on purpose (tests only):
	// chaos must then find violations.
	Broken map[string]nodes.BrokenRule
	// StreamManagement runs both servers with stream_management=true
	// (XEP-0198): a stanza written on a stream a fault breaks is re-sent
	// on a resumed session, or bounced, instead of lost. The pair is then
	// drawn from type2..type6: type1 speaks XMPP 0.9, which has no stream
	// features and so cannot negotiate stream management.
	StreamManagement bool
	_                struct{}
}

// SMChaosTypes are the types a chaos run with stream management draws
// from (ChaosOptions.StreamManagement).
var SMChaosTypes = Types[1:]

// smSpecs are the six types with stream management on, where it can be
// (not type1: XMPP 0.9 has no stream features).
func smSpecs() map[string]nodes.Preset {
	out := map[string]nodes.Preset{}
	for _, t := range SMChaosTypes {
		p, _ := nodes.PresetByName(t)
		p.Policy.StreamManagement = true
		out[t] = p
	}
	return out
}

// RunChaos draws and runs one chaos run from seed: a random pair, random
// faults, a ping at time zero and a second one after every fault has had
// its time, sometimes a rogue peer, then checks the invariants and replays
// the seed to check determinism.
func RunChaos(seed uint64) (*ChaosRun, error) { return RunChaosWith(seed, ChaosOptions{}) }

// RunChaosWith is RunChaos with options.
func RunChaosWith(seed uint64, opt ChaosOptions) (*ChaosRun, error) {
	r := rand.New(rand.NewPCG(seed, 0xc4a05))
	p := Pair{Types[r.IntN(6)], Types[r.IntN(6)]}
	var specs map[string]nodes.Preset
	if opt.StreamManagement {
		// Another draw than without: seeds of plain chaos keep their runs.
		r = rand.New(rand.NewPCG(seed, 0x5e198))
		p = Pair{SMChaosTypes[r.IntN(len(SMChaosTypes))], SMChaosTypes[r.IntN(len(SMChaosTypes))]}
		specs = smSpecs()
	}
	c := &ChaosRun{Seed: seed, Pair: p, Faults: drawFaults(r, p), StreamManagement: opt.StreamManagement}
	// Drawn after the faults, so that every seed keeps the faults it had.
	c.Rogue = drawRogue(r, p, seed)
	build := func() (*World, *RoguePeer, error) {
		cfg, _, err := PairConfig(p, PairOptions{Seed: seed, Faults: c.Faults, Broken: opt.Broken, Specs: specs})
		if err != nil {
			return nil, nil, err
		}
		from, _ := p.Domains()
		again := Ping(p)
		again.SetAttr("id", again.Attr("id")+"-later")
		cfg.Traffic = append(cfg.Traffic, Send{At: 90 * time.Second, From: from, Stanza: again})
		w, err := Build(cfg)
		if err != nil {
			return nil, nil, err
		}
		var g *RoguePeer
		if c.Rogue != nil {
			g = &RoguePeer{Claims: c.Rogue.Claims, To: c.Rogue.To, At: c.Rogue.At, Key: c.Rogue.Key, StanzaID: c.Rogue.StanzaID}
			if err := g.install(w); err != nil {
				return nil, nil, err
			}
		}
		w.Run(RunDeadline)
		return w, g, nil
	}
	w, g, err := build()
	if err != nil {
		return nil, fmt.Errorf("scenarios: chaos seed %d: %w", seed, err)
	}
	w2, _, err := build()
	if err != nil {
		return nil, err
	}
	c.Hash = w.Sim.Trace.Hash()
	c.Deterministic = c.Hash == w2.Sim.Trace.Hash()
	c.Report = Check(w)
	if g != nil {
		c.Rogue = g
		c.Report.Violations = append(c.Report.Violations, g.check(w)...)
	}
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
	// Duplicates counts stanzas delivered more than once (each is an
	// exactly-once violation too).
	Duplicates int
	// LostWithSender and Unconfirmed sum the reports' (see Report).
	LostWithSender, Unconfirmed int
	Violating                   []*ChaosRun
	// Hashes are the runs' trace hashes, in seed order (ChaosRun.Hash).
	Hashes []string
	opt    ChaosOptions
}

// RunChaosMany runs n chaos runs with seeds seed, seed+1, … so that run i
// replays alone as `fedsim chaos --runs 1 --seed seed+i`.
func RunChaosMany(n int, seed uint64) (*ChaosSummary, error) {
	return RunChaosManyWith(n, seed, ChaosOptions{})
}

// RunChaosManyWith is RunChaosMany with options.
func RunChaosManyWith(n int, seed uint64, opt ChaosOptions) (*ChaosSummary, error) {
	s := &ChaosSummary{ByFault: map[FaultKind]int{}, ByOutcome: map[string]int{}, opt: opt}
	for i := 0; i < n; i++ {
		c, err := RunChaosWith(seed+uint64(i), opt)
		if err != nil {
			return s, err
		}
		s.Runs++
		s.Faults += len(c.Faults)
		s.Events += c.Events
		for _, f := range c.Faults {
			s.ByFault[f.Kind]++
		}
		if c.Rogue != nil {
			// Counted with the faults, under its own name.
			s.Faults++
			s.ByFault[RoguePeerKind]++
		}
		s.Hashes = append(s.Hashes, c.Hash)
		s.ByOutcome[c.Outcome.Letter()]++
		s.Lost += c.Report.Lost
		s.Duplicates += c.Report.Duplicates
		s.LostWithSender += c.Report.LostWithSender
		s.Unconfirmed += c.Report.Unconfirmed
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

// CompareAcross checks the runs' trace hashes against other, the hashes
// another process computed for the same seeds (first is this summary's first
// seed; how says what differed in that process, e.g. "a child process with
// GOMAXPROCS=1"). A seed whose hash differs or is missing is a violation of
// the deterministic rule: the run depends on something outside its seed,
// such as the wall clock, scheduling or per-process randomness, which a
// second run in the same process cannot see. It returns how many seeds
// were compared.
func (s *ChaosSummary) CompareAcross(first uint64, other map[uint64]string, how string) (int, error) {
	n := 0
	for i, h := range s.Hashes {
		seed := first + uint64(i)
		o, ok := other[seed]
		if ok && o == h {
			n++
			continue
		}
		detail := fmt.Sprintf("%s printed no trace hash for this seed", how)
		if ok {
			detail = fmt.Sprintf("trace hash %s in this process, %s in %s", short(h), short(o), how)
			n++
		}
		var c *ChaosRun
		for _, v := range s.Violating {
			if v.Seed == seed {
				c = v
			}
		}
		if c == nil {
			var err error
			if c, err = RunChaosWith(seed, s.opt); err != nil {
				return n, err
			}
			s.Violating = append(s.Violating, c)
		}
		c.Report.Violations = append(c.Report.Violations, Violation{"deterministic", detail})
	}
	sort.Slice(s.Violating, func(i, j int) bool { return s.Violating[i].Seed < s.Violating[j].Seed })
	return n, nil
}

func short(h string) string { return h[:min(12, len(h))] }
