package scenarios

import (
	"fmt"
	"strconv"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// PairsConfig describes n independent pairs of servers s0.lit, s1.lit, …
// of one preset, each with an address record; server 2i pings server 2i+1
// at time zero. Outcomes are counted, not kept.
func PairsConfig(n int, preset string, seed uint64) (*Config, error) {
	p, ok := nodes.PresetByName(preset)
	if !ok {
		return nil, fmt.Errorf("scenarios: unknown preset %q (want %s)", preset, nodes.PresetNames())
	}
	cfg := &Config{Seed: seed, CountOnly: true, Servers: make([]Server, 2*n)}
	var trust []string
	if p.TrustsCA {
		trust = []string{ImplicitCA}
	}
	users := []string{"u"}
	for i := range cfg.Servers {
		cfg.Servers[i] = Server{Domain: "s" + strconv.Itoa(i) + ".lit", Preset: p.Name, Policy: p.Policy,
			CertKind: p.Cert, Trust: trust, Users: users,
			Address: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
	}
	for i := 0; i < n; i++ {
		a, b := cfg.Servers[2*i].Domain, cfg.Servers[2*i+1].Domain
		iq := xmlstream.NewElement("iq", "from", "u@"+a+"/r", "id", "p"+strconv.Itoa(i), "to", "u@"+b, "type", "get")
		iq.AddChild(xmlstream.NewElement("ping", "xmlns", "urn:xmpp:ping"))
		cfg.Traffic = append(cfg.Traffic, Send{From: a, Stanza: iq})
	}
	return cfg, nil
}
