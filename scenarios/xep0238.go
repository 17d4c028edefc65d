package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/sim"
)

// The XEP-0238 world: who lives where (XEP-0238 §2, "Terminology").
var xepUsers = map[string]string{
	"type1": "citizen", "type2": "juliet", "type3": "romeo",
	"type4": "hamlet", "type5": "bill", "type6": "chris",
}

// RunDeadline bounds a pair's run in virtual time; negotiations time out
// well before it (nodes.DefaultNegotiationTimeout).
const RunDeadline = 10 * time.Minute

// PairOptions tunes a pair run.
type PairOptions struct {
	Seed uint64
	// Fragment cuts every write: "" or "whole", "random" or "byte"
	// (Config.Fragment).
	Fragment string
	// Policies replaces the preset policy of a type ("type4": ...), so that
	// a changed field changes the run.
	Policies map[string]nodes.Policy
	// NoTrace disables the trace (benchmarks).
	NoTrace bool
	// Faults are injected into the pair's world.
	Faults []Fault
	// Broken makes a type's servers break a rule on purpose (tests only).
	Broken map[string]nodes.BrokenRule
	// SecureDomains and InsecureDomains set nodes.Config's per-domain
	// overrides of a type's servers.
	SecureDomains, InsecureDomains map[string][]string
	// Specs are server kinds beyond the six types, by name (a sweep's
	// policies): a pair may name them like a type. The domain is name.lit.
	Specs map[string]nodes.Preset
}

// preset finds a server kind by name: one of opt.Specs, or an XEP type.
func (opt PairOptions) preset(name string) (nodes.Preset, bool) {
	if p, ok := opt.Specs[name]; ok {
		p.Name = name
		return p, true
	}
	return nodes.PresetByName(name)
}

// userOf names the account a kind of server hosts: the XEP's user for the
// six types, "user" otherwise.
func userOf(kind string) string {
	if u, ok := xepUsers[kind]; ok {
		return u
	}
	return "user"
}

// Pair is one cell of XEP-0238: an initiating type and a receiving type.
type Pair struct {
	Initiator, Receiver string // preset names, "type1" … "type6"
}

// Domains returns the initiating and receiving domains. A same-type pair
// uses example.lit as the receiver, as the XEP does (§2).
func (p Pair) Domains() (string, string) {
	from := p.Initiator + ".lit"
	to := p.Receiver + ".lit"
	if p.Initiator == p.Receiver {
		to = "example.lit"
	}
	return from, to
}

// PairResult is what one pair's run produced.
type PairResult struct {
	Pair
	From, To string
	PairReading
	World  *World
	Events int
	// Elapsed is the virtual time the run took.
	Elapsed sim.Time
}

// ca and certificate validity: a year around the epoch.
func certWindow() (time.Time, time.Time) {
	return sim.Epoch.Add(-30 * 24 * time.Hour), sim.Epoch.Add(365 * 24 * time.Hour)
}

// PairConfig describes the fresh world in which one cell runs: the two
// servers (10.0.0.1 initiating, 10.0.0.2 receiving) with the XEP's users,
// their certificates, DNS records (type1 predates SRV: an address record
// only; the others publish SRV), the common CA that the CA-issued types
// hold certificates from and trust, and the initiator's ping at time zero.
// It returns the pair with its kinds' canonical names ("3" -> "type3").
func PairConfig(p Pair, opt PairOptions) (*Config, Pair, error) {
	ip, ok := opt.preset(p.Initiator)
	if !ok {
		return nil, p, fmt.Errorf("scenarios: unknown initiating type %q (want %s)", p.Initiator, nodes.PresetNames())
	}
	rp, ok := opt.preset(p.Receiver)
	if !ok {
		return nil, p, fmt.Errorf("scenarios: unknown receiving type %q (want %s)", p.Receiver, nodes.PresetNames())
	}
	p.Initiator, p.Receiver = ip.Name, rp.Name
	from, to := p.Domains()
	cfg := &Config{Seed: opt.Seed, NoTrace: opt.NoTrace, Fragment: opt.Fragment, Faults: opt.Faults,
		Authorities: []Authority{{Name: ImplicitCA}}}
	for i, pr := range []nodes.Preset{ip, rp} {
		sv := Server{Domain: []string{from, to}[i], Address: []string{"10.0.0.1", "10.0.0.2"}[i], Preset: pr.Name,
			Policy: pr.Policy, CertKind: pr.Cert, Users: []string{userOf(pr.Name)}, DNS: "srv",
			SecureDomains: opt.SecureDomains[pr.Name], InsecureDomains: opt.InsecureDomains[pr.Name]}
		if i == 1 && p.Initiator == p.Receiver {
			sv.Users = []string{"user"}
		}
		if o, ok := opt.Policies[pr.Name]; ok {
			sv.Policy = o
		}
		if pr.TrustsCA {
			sv.Trust = []string{ImplicitCA}
		}
		sv.Signed, sv.TLSA, sv.POSH = pr.Signed, pr.TLSA, pr.POSH
		// type1.lit is a pre-SRV server: only an address record, so the
		// resolver falls back to port 5269 (RFC 6120 §3.2.1 step 4).
		if pr.Name == "type1" {
			sv.DNS = "addr"
		}
		if r, ok := opt.Broken[pr.Name]; ok {
			if cfg.Broken == nil {
				cfg.Broken = map[string]nodes.BrokenRule{}
			}
			cfg.Broken[sv.Domain] = r
		}
		cfg.Servers = append(cfg.Servers, sv)
	}
	cfg.Traffic = []Send{{From: from, Stanza: Ping(p)}}
	return cfg, p, nil
}

// NewPairWorld builds the fresh world in which one cell runs (PairConfig)
// with its ping scheduled.
func NewPairWorld(p Pair, opt PairOptions) (*World, error) {
	cfg, _, err := PairConfig(p, opt)
	if err != nil {
		return nil, err
	}
	return Build(cfg)
}

// Ping builds the XEP's stanza for a pair (XEP-0238 Example 1 and
// siblings): an XEP-0199 ping from the initiating user to the receiving one.
func Ping(p Pair) *xmlstream.Element {
	from, to := p.Domains()
	ru := userOf(p.Receiver)
	if p.Initiator == p.Receiver {
		ru = "user"
	}
	id := "t" + strings.TrimPrefix(p.Initiator, "type") + "_t" + strings.TrimPrefix(p.Receiver, "type")
	iq := xmlstream.NewElement("iq", "from", userOf(p.Initiator)+"@"+from+"/foo", "id", id, "to", ru+"@"+to, "type", "get")
	iq.AddChild(xmlstream.NewElement("ping", "xmlns", "urn:xmpp:ping"))
	return iq
}

// RunPair runs one cell: the initiating user pings the receiving user at
// time zero, and the world runs until quiescent.
func RunPair(p Pair, opt PairOptions) (*PairResult, error) {
	cfg, p, err := PairConfig(p, opt)
	if err != nil {
		return nil, err
	}
	w, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	from, to := p.Domains()
	n := w.Run(RunDeadline)
	return &PairResult{Pair: p, From: from, To: to, PairReading: w.ReadPair(from, to),
		World: w, Events: n, Elapsed: w.Sim.Now()}, nil
}

// PairReading is what one ping between two domains left behind: how each
// direction's stream was negotiated, whether the ping and its answer got
// through, and the error the sender got if not.
type PairReading struct {
	// Outcome is the forward stream's level: U, V, E or T.
	Outcome nodes.Level
	// Reason says why the forward negotiation failed.
	Reason string
	// Bounce is the stanza error condition the sender got, if any.
	Bounce, BounceType string
	// Delivered: the ping reached its recipient. Answered: the answer came
	// back to the sender (over the reverse stream, negotiated in turn).
	Delivered, Answered bool
	// Reverse is the level of the stream negotiated for the answer.
	Reverse nodes.Level
	// ReceiverAuth is how the initiator authenticated the receiver on the
	// forward stream (issue 14: the other half of who verified whom).
	ReceiverAuth nodes.ReceiverAuth
}

// ReadPair reads a finished run in which from's user pinged to's user. It
// goes by the host that saw each event, not the domain claimed, so an
// impostor's deliveries are not taken for the real server's.
func (w *World) ReadPair(from, to string) PairReading {
	var r PairReading
	seenForward, seenReverse := false, false
	for _, o := range w.Outcomes {
		switch {
		case o.Host == from && o.From == from && o.To == to && !seenForward:
			seenForward = true
			r.Outcome, r.Reason, r.ReceiverAuth = o.Level, o.Reason, o.ReceiverAuth
		case o.Host == to && o.From == to && o.To == from && !seenReverse:
			seenReverse = true
			r.Reverse = o.Level
		}
	}
	if !seenForward {
		r.Reason = "no outcome reported before the deadline"
	}
	for _, d := range w.Deliveries {
		if d.Host == to && d.Stanza.Attr("type") == "get" {
			r.Delivered = true
		}
		if d.Host == from && d.Stanza.Attr("type") == "result" {
			r.Answered = true
		}
	}
	for _, b := range w.Bounces {
		if b.Host == from {
			if e := b.Stanza.Child("error"); e != nil {
				r.BounceType = e.Attr("type")
				if c := e.Children(); len(c) > 0 {
					r.Bounce = c[0].Local()
				}
			}
			break
		}
	}
	return r
}

// Types are the six service types in table order.
var Types = []string{"type1", "type2", "type3", "type4", "type5", "type6"}

// RunMatrix runs all 36 pairs, each in a fresh world.
func RunMatrix(opt PairOptions) ([]*PairResult, error) {
	return RunMatrixOf(Types, opt)
}

// RunMatrixOf runs every ordered pair of the named kinds of server (the
// six types, the real-server presets, or opt.Specs), row by row.
func RunMatrixOf(kinds []string, opt PairOptions) ([]*PairResult, error) {
	var out []*PairResult
	for _, a := range kinds {
		for _, b := range kinds {
			r, err := RunPair(Pair{a, b}, opt)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// XEP0238Table is the summary table printed in XEP-0238 §3 (rows:
// initiating type, columns: receiving type). fedsim never uses it to
// decide anything; `fedsim matrix --compare xep0238` reports against it.
// docs/xep0238.md explains the four cells where the XEP's own flows say
// otherwise (§5.3, §5.5, §6.3, §6.5).
var XEP0238Table = [6][6]string{
	{"V", "V", "V", "U", "U", "U"},
	{"V", "V", "E", "E", "U", "U"},
	{"V", "V", "E", "E", "E", "T"},
	{"U", "E", "E", "E", "E", "U"},
	{"U", "E", "T", "E", "T", "T"},
	{"U", "U", "T", "U", "T", "T"},
}

// XEPCell returns the XEP's printed letter for a pair.
func XEPCell(p Pair) string {
	i := typeIndex(p.Initiator)
	j := typeIndex(p.Receiver)
	if i < 0 || j < 0 {
		return "?"
	}
	return XEP0238Table[i][j]
}

func typeIndex(name string) int {
	for i, t := range Types {
		if t == name {
			return i
		}
	}
	return -1
}
