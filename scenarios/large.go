package scenarios

import (
	"fmt"
	"strconv"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/sim"
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
	// Bidi turns on bidirectional streams (XEP-0288) in every server's
	// policy; Reciprocal makes every route carry stanzas both ways (Load).
	Bidi, Reciprocal bool
	Seed             uint64
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
	// ConnectionsAll is every TCP connection opened, verification
	// connections included.
	ConnectionsAll int
}

// LargeConfig describes a large federation as a Config: opt.Domains
// servers d0.lit … of one preset, each with an address record, and a Load
// that draws each domain's peers and sends the stanzas.
func LargeConfig(opt LargeOptions) (*Config, error) {
	if opt.Domains < 2 || opt.Peers < 1 || opt.Peers >= opt.Domains || opt.Stanzas < 1 {
		return nil, fmt.Errorf("scenarios: large run needs domains >= 2, 1 <= peers < domains, stanzas >= 1 (got %d, %d, %d)", opt.Domains, opt.Peers, opt.Stanzas)
	}
	if opt.Preset == "" {
		opt.Preset = "type5"
	}
	preset, ok := nodes.PresetByName(opt.Preset)
	if !ok {
		return nil, fmt.Errorf("scenarios: unknown preset %q (want %s)", opt.Preset, nodes.PresetNames())
	}
	cfg := &Config{Seed: opt.Seed, NoTrace: true, CountOnly: true,
		Servers: make([]Server, opt.Domains),
		Load:    &Load{Peers: opt.Peers, Stanzas: opt.Stanzas, Spread: opt.Spread, Reciprocal: opt.Reciprocal}}
	policy := preset.Policy
	if opt.Bidi {
		policy.Bidi = true
		if err := policy.Validate(); err != nil {
			return nil, fmt.Errorf("scenarios: preset %s with bidi: %w", preset.Name, err)
		}
	}
	var trust []string
	if preset.TrustsCA {
		trust = []string{ImplicitCA}
	}
	users := []string{"u"}
	for i := range cfg.Servers {
		cfg.Servers[i] = Server{Domain: fmt.Sprintf("d%d.lit", i), Preset: preset.Name, Policy: policy,
			CertKind: preset.Cert, Trust: trust, Users: users,
			Address: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
	}
	return cfg, nil
}

// NewLargeWorld builds the world and schedules the traffic without running
// it, so that callers can measure the run alone.
func NewLargeWorld(opt LargeOptions) (*World, *LargeResult, error) {
	cfg, err := LargeConfig(opt)
	if err != nil {
		return nil, nil, err
	}
	w, err := Build(cfg)
	if err != nil {
		return nil, nil, err
	}
	return w, &LargeResult{World: w, Routes: opt.Domains * opt.Peers, Servers: opt.Domains}, nil
}

// startLoad draws each of the world's first n servers' peers from the
// seed's "load" stream and schedules the first stanza; each stanza
// schedules the next, round-robin over the routes.
func startLoad(w *World, load Load, n int) error {
	if n < 2 || load.Peers < 1 || load.Peers >= n || load.Stanzas < 1 {
		return fmt.Errorf("scenarios: load needs 2 or more servers, 1 <= peers < servers, stanzas >= 1 (got %d, %d, %d)", n, load.Peers, load.Stanzas)
	}
	if load.Spread == 0 {
		load.Spread = time.Minute
	}
	if load.User == "" {
		load.User = "u"
	}
	r := w.Sim.Stream("load")
	gen := &traffic{w: w, user: load.User, nodes: w.nodes[:n], step: load.Spread / time.Duration(load.Stanzas), left: load.Stanzas}
	gen.routes = make([][2]int32, 0, n*load.Peers)
	for i := 0; i < n; i++ {
		seen := map[int]bool{i: true}
		for len(seen) <= load.Peers {
			j := r.IntN(n)
			if !seen[j] {
				seen[j] = true
				gen.routes = append(gen.routes, [2]int32{int32(i), int32(j)})
			}
		}
	}
	if load.Reciprocal {
		// After the forward pass, the reverse of each route that is not
		// itself a drawn route, in the same order.
		drawn := make(map[[2]int32]bool, len(gen.routes))
		for _, rt := range gen.routes {
			drawn[rt] = true
		}
		for _, rt := range gen.routes {
			if back := [2]int32{rt[1], rt[0]}; !drawn[back] {
				gen.routes = append(gen.routes, back)
			}
		}
	}
	w.Sim.At(0, gen, 0, 0)
	return nil
}

// traffic sends the large run's stanzas one after another, round-robin
// over the routes, each scheduling the next.
type traffic struct {
	w      *World
	user   string
	routes [][2]int32
	nodes  []*Node  // by index
	full   []string // "u@domain/r", by index
	bare   []string // "u@domain"
	step   time.Duration
	left   int
	k      int
}

func (g *traffic) HandleEvent(w *sim.World, _, _ int64) {
	rt := g.routes[g.k%len(g.routes)]
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
		g.full, g.bare = make([]string, len(g.nodes)), make([]string, len(g.nodes))
		for k, n := range g.nodes {
			g.bare[k] = g.user + "@" + n.S.Domain()
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
