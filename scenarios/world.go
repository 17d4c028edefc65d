// Package scenarios describes worlds — servers, certificates, DNS, links,
// faults, attacks and traffic — and builds and runs them. It is where
// fedsim's pieces meet: the sim kernel, the network, the resolver and the
// pure server state machines of package nodes, whose Effects a World
// carries out.
//
// Every world comes from one description, Config (config.go), and one
// builder, Build (build.go): the XEP-0238 pairs (PairConfig), scenario
// files (package scenarios/spec, the Config's YAML form), large runs
// (LargeConfig), the benchmarks (PairsConfig), teach's explanations and
// counterfactuals, sweeps, attacks and chaos. A counterfactual edits a
// Config, never a built world. Build's first half, Prepare, is what any
// runtime needs; package scenarios/live runs the same world on real
// sockets.
//
// The built-in world is XEP-0238's (xep0238.go): type1.lit … type6.lit with
// the XEP's users, example.lit as the receiver of same-type pairs, and one
// certification authority trusted by the CA-issued types. Each pair runs in
// a fresh world so that no state leaks between cells of the matrix.
package scenarios

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/sim"
)

// DefaultDNSDelay is how long a resolver takes to answer.
const DefaultDNSDelay = time.Millisecond

// World is a simulation with its servers.
type World struct {
	// arena is shared by the world's servers for what they write.
	arena nodes.Arena

	Sim  *sim.World
	Net  *network.Net
	Zone *dns.Zone
	// DNSDelay is the resolver's answer time (default DefaultDNSDelay).
	DNSDelay time.Duration

	nodes    []*Node
	byDomain map[string]*Node
	// Outcomes collects every negotiation outcome in the order reported.
	Outcomes []Outcome
	// DNSAnswers collects the answers a DNSSEC verdict or a poisoner
	// shaped (issue 15), in the order they were given: what the attack
	// matrices read their reasons from.
	DNSAnswers []DNSAnswer
	// Sent collects every stanza a user handed to its (running) server.
	Sent []Delivery
	// Deliveries collects every stanza handed to a local user.
	Deliveries []Delivery
	// Rejections collects stanzas the recipient's server refused because
	// the addressee has no account there.
	Rejections []Delivery
	// Bounces collects every stanza error a server generated for its user.
	Bounces []Delivery
	// DNSFaults apply to every resolver (each names the resolver it hits).
	DNSFaults []dns.Fault
	// Acceptances are the stanzas servers let in from remote domains.
	Acceptances []Acceptance
	// CountOnly keeps counts instead of the stanzas and outcomes themselves
	// (Sent, Deliveries, Bounces, Acceptances and Outcomes stay empty): for
	// large runs.
	CountOnly bool
	// Counts are kept in every run; Established and Failed count outcomes.
	Counts struct{ Sent, Delivered, Bounced, Established, Failed int }
	// Faults are the faults this world was built with.
	Faults []Fault
	// Attacks are the attacks installed in it (Build), in the Config's
	// order.
	Attacks    []*Attack
	extraHosts int
	rootCA     *ca.Authority
	// Clock, when set, is the time records and collections are stamped
	// with instead of the kernel's virtual time: a runtime on real
	// sockets (package scenarios/live) stamps them with wall time since
	// it started.
	Clock func() sim.Time
	// scheduled lists SendAt's stanzas (Scheduled).
	scheduled []Scheduled
	// Prepared is what Build made the world from: its authorities,
	// certificates and servers' configurations (for another runtime, which
	// needs the same certificates as real X.509).
	Prepared *Prepared
}

// now is the time to stamp records with.
func (w *World) now() sim.Time {
	if w.Clock != nil {
		return w.Clock()
	}
	return w.Sim.Now()
}

// Delivery is a stanza that reached (or was generated for) a user.
type Delivery struct {
	Time   sim.Time
	Server string // the domain of the server
	Host   string // the host it runs on (an attacker's host for an impostor)
	Stanza *xmlstream.Element
	// Unconfirmed marks a bounce of a stanza that was written but never
	// acknowledged (XEP-0198): its recipient may have had it.
	Unconfirmed bool
}

// Outcome is a nodes.Outcome with the host that reported it (an impostor
// reports outcomes in the domain it claims) and when.
type Outcome struct {
	nodes.Outcome
	Host string
	Time sim.Time
}

// Acceptance is a nodes.Acceptance with where and when it happened.
type Acceptance struct {
	nodes.Acceptance
	Time   sim.Time
	Server string
	Host   string
	Conn   int
	Stanza *xmlstream.Element
}

// Node binds one nodes.Server to the network and the kernel.
type Node struct {
	S        *nodes.Server
	Host     *network.Host
	Resolver *dns.Resolver
	w        *World
	timers   map[int64]sim.TimerID
	answers  []pendingAnswer // DNS answers on their way, in no order
	sends    []*xmlstream.Element
	// Attacker marks a server that runs on a host not its domain's: it
	// claims a domain that is not its own.
	Attacker bool
	// down: crashed; epoch counts restarts so that events scheduled for an
	// earlier incarnation are ignored.
	down  bool
	epoch int64
}

// NewWorld returns an empty world with the given seed.
func NewWorld(seed uint64) *World {
	s := sim.New(seed)
	return &World{
		Sim:      s,
		Net:      network.New(s),
		Zone:     dns.NewZone(),
		DNSDelay: DefaultDNSDelay,
		byDomain: map[string]*Node{},
	}
}

// AddServer attaches a server at addr, listening on dns.DefaultPort.
func (w *World) AddServer(s *nodes.Server, addr string) (*Node, error) {
	return w.AddServerAs(s, s.Domain(), addr)
}

// AddServerAs attaches a server on a host with its own name: an attacker
// that claims another server's domain runs on a host of its own.
func (w *World) AddServerAs(s *nodes.Server, host, addr string) (*Node, error) {
	n := &Node{S: s, w: w, timers: map[int64]sim.TimerID{}}
	h, err := w.Net.AddHost(host, addr, n)
	if err != nil {
		return nil, fmt.Errorf("scenarios: adding %s: %w", host, err)
	}
	h.Listen(dns.DefaultPort)
	if s.Policy().DirectTLS {
		h.Listen(dns.DirectTLSPort) // XEP-0368
	}
	n.Host = h
	s.Arena = &w.arena
	n.Resolver = &dns.Resolver{Name: host, Zone: w.Zone, Rand: w.Sim.Stream("dns/" + host),
		Faults: &w.DNSFaults, Now: func() time.Duration { return time.Duration(w.Sim.Now()) }, Quiet: w.Sim.Trace == nil,
		Validate: s.Policy().DNSSEC == nodes.DNSSECValidate, Calendar: func() time.Time { return w.Sim.Now().Std() }}
	w.nodes = append(w.nodes, n)
	if _, taken := w.byDomain[s.Domain()]; !taken {
		w.byDomain[s.Domain()] = n
	}
	n.Attacker = host != s.Domain()
	return n, nil
}

// Node finds a server by domain.
func (w *World) Node(domain string) *Node { return w.byDomain[domain] }

// Nodes lists the servers in the order they were added.
func (w *World) Nodes() []*Node { return w.nodes }

// event kinds a Node schedules on itself (sim.Handler argument a).
const (
	evTimer int64 = iota + 1
	evDNS
	evSend
)

// SendAt makes a local user of the node send stanza at virtual time t.
func (n *Node) SendAt(t sim.Time, stanza *xmlstream.Element) {
	n.sends = append(n.sends, stanza)
	n.w.Sim.At(t, n, evSend, int64(len(n.sends)-1))
	n.w.scheduled = append(n.w.scheduled, Scheduled{Node: n, At: t, Stanza: stanza})
}

// Scheduled is a stanza a user of Node sends at virtual time At.
type Scheduled struct {
	Node   *Node
	At     sim.Time
	Stanza *xmlstream.Element
}

// Scheduled lists the stanzas users were scheduled to send (SendAt), in the
// order they were scheduled: what another runtime sends at those times.
func (w *World) Scheduled() []Scheduled { return w.scheduled }

// SendNow makes a local user of the node send stanza now.
func (n *Node) SendNow(stanza *xmlstream.Element) {
	if n.down {
		return
	}
	n.RecordSend(stanza)
	n.S.Now = n.w.Sim.Now().Std()
	n.apply(n.S.Send(stanza))
}

// RecordSend counts and records a stanza a user hands to the server (the
// "user-send" trace record, World.Sent); the caller then gives it to the
// server. Every runtime records sends here.
func (n *Node) RecordSend(st *xmlstream.Element) {
	w := n.w
	w.Counts.Sent++
	if !w.CountOnly {
		w.Sent = append(w.Sent, Delivery{Time: w.now(), Server: n.S.Domain(), Host: n.Host.Name, Stanza: st})
	}
	if w.Sim.Trace != nil { // serialising the stanza for nobody was a cost per stanza
		x := string(st.AppendXML(nil))
		w.trace(n, sim.Record{Kind: sim.KindEvent, Event: "user-send", Detail: st.Attr("from") + " sends " + x, Stanza: x})
	}
}

func (n *Node) schedule(d time.Duration, kind, tag int64) {
	n.w.Sim.After(d, n, kind|n.epoch<<8, tag)
}

// pendingAnswer is a DNS answer scheduled for delivery (evDNS carries its
// tag). A node has a handful at most at once, so they are kept in a short
// slice: a map of 88-byte answers cost a 776-byte group per node — a tenth
// of a federation's allocation — for one or two entries.
type pendingAnswer struct {
	tag int64
	ans dns.Answer
}

// takeAnswer removes and returns the pending answer for tag.
func (n *Node) takeAnswer(tag int64) (dns.Answer, bool) {
	for i, p := range n.answers {
		if p.tag != tag {
			continue
		}
		last := len(n.answers) - 1
		n.answers[i] = n.answers[last]
		n.answers[last] = pendingAnswer{}
		n.answers = n.answers[:last]
		if last == 0 {
			n.answers = nil // a burst of lookups leaves no storage behind
		}
		return p.ans, true
	}
	return dns.Answer{}, false
}

// HandleEvent implements sim.Handler for timers, DNS answers and sends.
func (n *Node) HandleEvent(w *sim.World, a, b int64) {
	if a>>8 != n.epoch && a != evSend {
		return // scheduled by an incarnation that crashed
	}
	a &= 0xff
	if n.down {
		if a == evSend {
			n.w.trace(n, sim.Record{Kind: sim.KindEvent, Event: "user-send-lost", Detail: "the server is down; the stanza is lost with its user's session",
				Reason: "server-down", Failure: true})
		}
		return
	}
	n.S.Now = w.Now().Std()
	switch a {
	case evTimer:
		delete(n.timers, b)
		n.apply(n.S.Timer(b))
	case evDNS:
		ans, ok := n.takeAnswer(b)
		if !ok {
			return
		}
		if n.w.Sim.Trace != nil { // the detail is formatted only for a trace
			n.w.trace(n, sim.Record{Kind: sim.KindEvent, Event: "dns-answer", Detail: dnsDetail(ans), Reason: ans.Reason(), Failure: ans.Err != nil})
		}
		n.apply(n.S.Resolved(b, ans))
	case evSend:
		st := n.sends[b]
		n.RecordSend(st)
		n.apply(n.S.Send(st))
	}
}

func dnsDetail(a dns.Answer) string {
	if a.Err != nil {
		return a.Domain + ": " + a.Err.Error() + " (" + a.Note + ")"
	}
	return a.Note
}

// network.App

func (n *Node) Dialed(c network.ConnID, tag int64, err error) {
	n.S.Now = n.w.Sim.Now().Std()
	effs := n.S.Dialed(tag, c, err)
	if err == nil {
		n.w.Net.SetContext(c, network.Client, n.S.StreamContext(c, network.Client))
	}
	n.apply(effs)
}

func (n *Node) Accepted(c network.ConnID, port int, remote string) {
	n.S.Now = n.w.Sim.Now().Std()
	effs := n.S.Accepted(c, port, remote)
	n.w.Net.SetContext(c, network.Server, n.S.StreamContext(c, network.Server))
	n.apply(effs)
}

func (n *Node) Received(c network.ConnID, e network.End, data []byte) {
	n.ReceivedContext(c, e, nil, data)
}

// ReceivedContext implements network.ContextReceiver: the context is the
// server's handle on the stream, attached when the connection was set up.
func (n *Node) ReceivedContext(c network.ConnID, e network.End, ctx any, data []byte) {
	n.S.Now = n.w.Sim.Now().Std()
	n.apply(n.S.ReceivedWith(ctx, c, e, data))
}

func (n *Node) TLSDone(c network.ConnID, e network.End, r network.TLSResult) {
	n.S.Now = n.w.Sim.Now().Std()
	n.apply(n.S.TLSDone(c, e, r))
}

func (n *Node) Closed(c network.ConnID, e network.End, err error) {
	n.S.Now = n.w.Sim.Now().Std()
	n.apply(n.S.Closed(c, e, err))
}

func (w *World) trace(n *Node, r sim.Record) {
	if w.Sim.Trace == nil {
		return
	}
	r.Time = w.now()
	if r.Node == "" {
		r.Node = n.Host.Name
	}
	w.Sim.Trace.Add(r)
}

// apply carries out a server's effects, in order.
func (n *Node) apply(effs []nodes.Effect) {
	// The server reuses the slice: once carried out, clear the effects so
	// that the stanzas and bytes they point to are not kept alive.
	defer clear(effs)
	w := n.w
	for i := range effs {
		e := &effs[i]
		switch e.Kind {
		case nodes.EffWrite:
			if w.Sim.Trace != nil {
				w.trace(n, sim.Record{Kind: sim.KindXML, Peer: e.Peer, Conn: int(e.Conn), Stream: e.Stream, XML: string(e.Data)})
			}
			// The server serialised Data for this write alone: the network
			// may keep it without copying.
			w.Net.WriteOwned(e.Conn, e.End, e.Data)
		case nodes.EffStartTLS:
			w.Net.StartTLS(e.Conn, e.End, e.TLS)
		case nodes.EffClose:
			w.Net.Close(e.Conn, e.End)
		case nodes.EffDial:
			w.Net.Dial(n.Host, e.Addr, e.Port, e.Tag)
		case nodes.EffResolve:
			ans := n.Resolver.Lookup(e.Domain, e.Direct)
			if ans.Poisoned || (ans.Security != dns.Unvalidated && !w.CountOnly) {
				w.DNSAnswers = append(w.DNSAnswers, DNSAnswer{Host: n.Host.Name, Domain: e.Domain, Security: ans.Security,
					Poisoned: ans.Poisoned, Bogus: errors.Is(ans.Err, dns.ErrBogus), Why: ans.SecurityNote, Time: w.now()})
			}
			if w.Sim.Trace != nil {
				w.trace(n, sim.Record{Kind: sim.KindEvent, Event: "dns-query", Detail: dns.Query(e.Domain, e.Direct)})
			}
			if ans.Lost {
				w.trace(n, sim.Record{Kind: sim.KindEvent, Event: "fault", Detail: ans.Note, Reason: ans.Reason(), Failure: true})
				break
			}
			n.answers = append(n.answers, pendingAnswer{e.Tag, ans})
			n.schedule(w.DNSDelay+ans.Delay, evDNS, e.Tag)
		case nodes.EffTimer:
			n.timers[e.Tag] = w.Sim.Timer(e.Delay, n, evTimer|n.epoch<<8, e.Tag)
		case nodes.EffCancel:
			if id, ok := n.timers[e.Tag]; ok {
				w.Sim.Cancel(id)
				delete(n.timers, e.Tag)
			}
		case nodes.EffNote:
			n.Note(e)
		}
	}
}

// noteRecord is the trace record of a server's note: its words, and beside
// them the facts the effect carries as data: the outcome's level and the
// condition its waiting stanzas were bounced with, the stanza concerned
// and, for an error stanza, its condition (sim.Record's typed fields).
// The words are formatted here, from the note's format and arguments
// (nodes.Text): the server only said what it decided, and a world without
// a trace never formats them.
func noteRecord(e *nodes.Effect) sim.Record {
	r := sim.Record{Kind: sim.KindEvent, Peer: e.Peer, Conn: int(e.Conn), Stream: e.Stream, Event: e.Event, Detail: e.Detail.String()}
	if o := e.Outcome; o != nil {
		r.Outcome = o.Level.Letter()
		if o.Level == nodes.LevelNone {
			r.Failure, r.Condition = true, o.Condition
		}
	}
	if st := e.Stanza; st != nil {
		r.Stanza = string(st.AppendXML(nil))
		if st.Attr("type") == "error" {
			r.Failure, r.Condition = true, stanzaCondition(st)
		}
	}
	return r
}

// stanzaCondition is the defined condition of an error stanza: the first
// element inside its <error/> other than <text/> (RFC 6120 §8.3.2).
func stanzaCondition(st *xmlstream.Element) string {
	er := st.Child("error")
	if er == nil {
		return ""
	}
	for _, c := range er.Nodes {
		if c.Elem != nil && c.Elem.Local() != "text" {
			return c.Elem.Local()
		}
	}
	return ""
}

// Note records what a server noted: the trace record (when there is a
// trace) and the world's collections and counts (outcomes, deliveries,
// acceptances, rejections, bounces). Every runtime records notes here.
func (n *Node) Note(e *nodes.Effect) {
	w := n.w
	if w.Sim.Trace != nil {
		w.trace(n, noteRecord(e))
	}
	switch e.Event {
	case "outcome":
		if e.Outcome != nil {
			if e.Outcome.Level == nodes.LevelNone {
				w.Counts.Failed++
			} else {
				w.Counts.Established++
			}
			if !w.CountOnly {
				w.Outcomes = append(w.Outcomes, Outcome{Outcome: *e.Outcome, Host: n.Host.Name, Time: w.now()})
			}
		}
	case "deliver":
		w.Counts.Delivered++
		if !w.CountOnly {
			w.Deliveries = append(w.Deliveries, Delivery{Time: w.now(), Server: n.S.Domain(), Host: n.Host.Name, Stanza: e.Stanza})
		}
	case "accept-stanza":
		if !w.CountOnly {
			w.Acceptances = append(w.Acceptances, Acceptance{Acceptance: e.Accept, Time: w.now(), Server: n.S.Domain(), Host: n.Host.Name, Conn: int(e.Conn), Stanza: e.Stanza})
		}
	case "no-such-user":
		// The recipient's server answered for an account it does not
		// have: the stanza was handled, with an error to its sender.
		if !w.CountOnly {
			w.Rejections = append(w.Rejections, Delivery{Time: w.now(), Server: n.S.Domain(), Host: n.Host.Name, Stanza: e.Stanza})
		}
	case "bounce", "bounce-unconfirmed":
		w.Counts.Bounced++
		if !w.CountOnly {
			w.Bounces = append(w.Bounces, Delivery{Time: w.now(), Server: n.S.Domain(), Host: n.Host.Name, Stanza: e.Stanza, Unconfirmed: e.Event == "bounce-unconfirmed"})
		}
	}
}

// Run runs the world until it is quiescent or deadline (virtual time from
// now) passes, and returns the number of events dispatched.
func (w *World) Run(deadline time.Duration) int {
	return w.Sim.Run(w.Sim.Now() + sim.Time(deadline))
}

// Domains lists the servers' domains, sorted.
func (w *World) Domains() []string {
	out := make([]string, 0, len(w.nodes))
	for _, n := range w.nodes {
		out = append(out, n.S.Domain())
	}
	sort.Strings(out)
	return out
}

// Trace adds r to the world's trace as n's, stamped with the world's time
// (a runtime on real sockets records its network events here).
func (w *World) Trace(n *Node, r sim.Record) { w.trace(n, r) }
