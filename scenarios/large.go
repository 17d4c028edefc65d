package scenarios

import (
	"fmt"
	"strconv"
	"time"

	"fedsim/network/ca"
	"fedsim/nodes"
	"fedsim/nodes/xmlstream"
	"fedsim/sim"
)

// LargeOptions describes a large federation: many domains, each talking
// to a few peers drawn at random, many stanzas. Each ordered pair negotiates
// once and then reuses its stream.
type LargeOptions struct {
	Domains int
	Peers   int // peers per domain
	Stanzas int // in all
	// Preset is the policy of every server (default type5: TLS + SASL
	// EXTERNAL with CA-issued certificates).
	Preset string
	Seed   uint64
	// Spread is the virtual time over which the stanzas are sent.
	Spread time.Duration
}

// LargeResult is what a large run produced.
type LargeResult struct {
	World                    *World
	Routes                   int // ordered pairs that had traffic
	Established, Failed      int // outbound negotiations
	Sent, Delivered, Bounced int
	Events                   int
	Elapsed                  sim.Time
	Servers                  int
	ConnectionsAll           int
}

// NewLargeWorld builds the world and schedules the traffic without running
// it, so that callers can measure the run alone.
func NewLargeWorld(opt LargeOptions) (*World, *LargeResult, error) {
	if opt.Domains < 2 || opt.Peers < 1 || opt.Peers >= opt.Domains || opt.Stanzas < 1 {
		return nil, nil, fmt.Errorf("scenarios: large run needs domains >= 2, 1 <= peers < domains, stanzas >= 1 (got %d, %d, %d)", opt.Domains, opt.Peers, opt.Stanzas)
	}
	if opt.Preset == "" {
		opt.Preset = "type5"
	}
	if opt.Spread == 0 {
		opt.Spread = time.Minute
	}
	preset, ok := nodes.PresetByName(opt.Preset)
	if !ok {
		return nil, nil, fmt.Errorf("scenarios: unknown preset %q", opt.Preset)
	}
	w := NewWorld(opt.Seed)
	w.Sim.Trace = nil
	w.CountOnly = true
	nb, na := certWindow()
	r := w.Sim.Stream("large")
	secret := func() []byte {
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	root := ca.NewRoot("Large Root CA", nb, na, secret())
	trust := ca.NewPool(root.Cert) // shared: trust stores are read-only
	domains := make([]string, opt.Domains)
	for i := range domains {
		domains[i] = fmt.Sprintf("d%d.lit", i)
	}
	ids := w.Sim.Stream("ids") // one id source for all: draws stay deterministic
	for i, d := range domains {
		var cert *ca.Cert
		tmpl := ca.Template{Subject: d, DNSNames: []string{d}, NotBefore: nb, NotAfter: na}
		switch preset.Cert {
		case nodes.CertSelfSigned:
			cert = ca.SelfSign(tmpl, secret())
		case nodes.CertCAIssued:
			cert = root.Issue(tmpl)
		}
		t := ca.NewPool()
		if preset.TrustsCA {
			t = trust
		}
		srv, err := nodes.New(nodes.Config{Domain: d, Policy: preset.Policy, Cert: cert, Trust: t,
			Secret: fmt.Sprintf("%x", secret()), Users: []string{"u"}, Rand: ids})
		if err != nil {
			return nil, nil, err
		}
		addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if _, err := w.AddServer(srv, addr); err != nil {
			return nil, nil, err
		}
		w.Zone.AddAddr(d, addr)
	}
	// Each domain draws its peers; stanzas go round-robin over the routes.
	type route struct{ from, to int }
	routes := make([]route, 0, opt.Domains*opt.Peers)
	for i := range domains {
		seen := map[int]bool{i: true}
		for len(seen) <= opt.Peers {
			j := r.IntN(opt.Domains)
			if !seen[j] {
				seen[j] = true
				routes = append(routes, route{i, j})
			}
		}
	}
	res := &LargeResult{World: w, Routes: len(routes), Servers: opt.Domains}
	// Stanzas are made when they are sent, not all up front: a million
	// prepared stanzas would dominate the memory the run is meant to measure.
	gen := &traffic{w: w, domains: domains, step: opt.Spread / time.Duration(opt.Stanzas), left: opt.Stanzas}
	for _, rt := range routes {
		gen.routes = append(gen.routes, [2]int32{int32(rt.from), int32(rt.to)})
	}
	w.Sim.At(0, gen, 0, 0)
	return w, res, nil
}

// traffic sends the large run's stanzas one after another, round-robin
// over the routes, each scheduling the next.
type traffic struct {
	w       *World
	domains []string
	routes  [][2]int32
	nodes   []*Node  // by domain index
	full    []string // "u@domain/r", by domain index
	bare    []string // "u@domain"
	step    time.Duration
	left, k int
}

func (g *traffic) HandleEvent(w *sim.World, _, _ int64) {
	rt := g.routes[g.k%len(g.routes)]
	if g.nodes == nil {
		g.nodes = make([]*Node, len(g.domains))
		for i, d := range g.domains {
			g.nodes[i] = g.w.Node(d)
		}
	}
	g.nodes[rt[0]].SendNow(g.stanza(rt[0], rt[1]))
	g.k++
	if g.k < g.left {
		w.After(g.step, g, 0, 0)
	}
}

// chatStanza holds a <message type='chat'><body>hello</body></message> in
// one allocation: a million of them are sent, and building each from
// NewElement, AddChild and AddText cost nine.
type chatStanza struct {
	msg, body xmlstream.Element
	attrs     [4]xmlstream.Attr
	msgNode   [1]xmlstream.Node
	bodyNode  [1]xmlstream.Node
}

// stanza builds the next message from domain i to domain j. The JIDs are
// made once per domain.
func (g *traffic) stanza(i, j int32) *xmlstream.Element {
	if g.full == nil {
		g.full, g.bare = make([]string, len(g.domains)), make([]string, len(g.domains))
		for k, d := range g.domains {
			g.bare[k] = "u@" + d
			g.full[k] = g.bare[k] + "/r"
		}
	}
	c := &chatStanza{}
	c.attrs = [4]xmlstream.Attr{{Name: "from", Value: g.full[i]}, {Name: "id", Value: strconv.Itoa(g.k)},
		{Name: "to", Value: g.bare[j]}, {Name: "type", Value: "chat"}}
	c.bodyNode[0].Text = "hello"
	c.body = xmlstream.Element{Name: "body", Nodes: c.bodyNode[:]}
	c.msgNode[0].Elem = &c.body
	c.msg = xmlstream.Element{Name: "message", Attrs: c.attrs[:], Nodes: c.msgNode[:]}
	return &c.msg
}

// RunLarge builds and runs a large federation.
func RunLarge(opt LargeOptions) (*LargeResult, error) {
	w, res, err := NewLargeWorld(opt)
	if err != nil {
		return nil, err
	}
	res.Events = w.Run(RunDeadline)
	res.Finish()
	return res, nil
}

// Finish fills the counts from the world after it ran.
func (res *LargeResult) Finish() {
	w := res.World
	res.Elapsed = w.Sim.Now()
	res.Sent, res.Delivered, res.Bounced = w.Counts.Sent, w.Counts.Delivered, w.Counts.Bounced
	res.Established, res.Failed = w.Counts.Established, w.Counts.Failed
	res.ConnectionsAll = w.Net.Conns()
}
