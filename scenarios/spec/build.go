package spec

import (
	"fmt"

	"fedsim/dns"
	"fedsim/network"
	"fedsim/network/ca"
	"fedsim/nodes"
	"fedsim/scenarios"
	"fedsim/sim"
)

// built is one world made from a scenario, with its attacks installed.
type built struct {
	w       *scenarios.World
	attacks []*scenarios.Attack
}

// build makes the world a scenario describes, in the order the pair world
// (scenarios.NewPairWorld) makes its own: authorities, certificates,
// servers with their DNS records, links, faults, then attacks and traffic.
// Secrets are drawn from the seed's "secrets" stream in that order, so the
// XEP-0238 scenarios reproduce RunPair's trace byte for byte.
func (s *Scenario) build(withAttacks bool) (*built, error) {
	w := scenarios.NewWorld(s.Seed)
	w.DNSDelay = s.DNSDelay
	switch s.Fragment {
	case "random":
		w.Net.Segmenter = network.RandomSplit
	case "byte":
		w.Net.Segmenter = network.OneByte
	}
	secrets := w.Sim.Stream("secrets")
	secret := func() []byte {
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(secrets.Uint32())
		}
		return b
	}
	nb, na := scenarios.CertWindow()

	// Authorities, parents before children.
	auths := map[string]*ca.Authority{}
	if s.implicitCA {
		auths[ImplicitCA] = ca.NewRoot(ImplicitCA, nb, na, secret())
	}
	var revoked []*ca.Cert
	for left := len(s.Authorities); left > 0; {
		progress := false
		for _, a := range s.Authorities {
			if auths[a.Name] != nil {
				continue
			}
			switch parent := auths[a.Issuer]; {
			case a.Issuer == "":
				auths[a.Name] = ca.NewRoot(a.Name, a.NotBefore, a.NotAfter, secret())
			case parent != nil:
				auths[a.Name] = parent.NewIntermediate(a.Name, a.NotBefore, a.NotAfter, secret())
			default:
				continue
			}
			if a.Revoked {
				revoked = append(revoked, auths[a.Name].Cert)
			}
			left--
			progress = true
		}
		if !progress {
			return nil, fmt.Errorf("spec: %s: authorities do not chain to a root", s.Path)
		}
	}

	// Named certificates.
	certs := map[string]*ca.Cert{}
	specs := map[string]Certificate{}
	for _, c := range s.Certificates {
		t := ca.Template{Subject: c.Subject, DNSNames: c.DNS, SRVNames: c.SRV, XMPPAddrs: c.XMPPAddr, NotBefore: c.NotBefore, NotAfter: c.NotAfter}
		if c.SelfSigned {
			certs[c.Name] = ca.SelfSign(t, secret())
		} else {
			certs[c.Name] = auths[c.Issuer].Issue(t)
		}
		specs[c.Name] = c
		if c.Revoked {
			revoked = append(revoked, certs[c.Name])
		}
	}

	// Each server's certificate: named, or as its preset says, and changed
	// by the certificate faults that target it.
	held := make([]*ca.Cert, len(s.Servers))
	for i, sv := range s.Servers {
		if sv.Certificate == "none" {
			continue
		}
		var tmpl ca.Template
		var issuer *ca.Authority
		isRevoked := false
		if sv.implicit {
			tmpl = ca.Template{Subject: sv.Domain, DNSNames: []string{sv.Domain}, NotBefore: nb, NotAfter: na}
			if p, _ := nodes.PresetByName(sv.Preset); p.Cert == nodes.CertCAIssued {
				issuer = auths[s.defaultCA]
			}
		} else {
			c := specs[sv.Certificate]
			tmpl = ca.Template{Subject: c.Subject, DNSNames: c.DNS, SRVNames: c.SRV, XMPPAddrs: c.XMPPAddr, NotBefore: c.NotBefore, NotAfter: c.NotAfter}
			if !c.SelfSigned {
				issuer = auths[c.Issuer]
			}
			isRevoked = c.Revoked
		}
		faulted := false
		for _, f := range s.Faults {
			if f.Target != sv.Domain || !scenarios.IsCertFault(f.Kind) {
				continue
			}
			plan := scenarios.PlanCertFault(f.Fault, tmpl, auths[s.defaultCA], secret)
			tmpl = plan.Template
			if plan.Issuer != nil {
				issuer = plan.Issuer
			}
			isRevoked = isRevoked || plan.Revoke
			faulted = true
		}
		switch {
		case !faulted && !sv.implicit:
			held[i] = certs[sv.Certificate]
			continue // its revocation, if any, is already listed
		case issuer != nil:
			held[i] = issuer.Issue(tmpl)
		default:
			held[i] = ca.SelfSign(tmpl, secret())
		}
		if isRevoked {
			revoked = append(revoked, held[i])
		}
	}

	// Servers, with their trust stores and DNS records.
	for i, sv := range s.Servers {
		trust := ca.NewPool()
		for _, name := range sv.Trust {
			if a := auths[name]; a != nil {
				trust.Add(a.Cert)
			} else {
				trust.Add(certs[name]) // a pinned self-signed certificate
			}
		}
		for _, c := range revoked {
			trust.Revoke(c)
		}
		sec := sv.Secret
		if sec == "" {
			sec = fmt.Sprintf("%x", secret())
		}
		srv, err := nodes.New(nodes.Config{
			Domain: sv.Domain, Policy: sv.Policy, Cert: held[i], Trust: trust, Secret: sec, Users: sv.Users,
			Rand:               w.Sim.Stream("ids/" + sv.Domain),
			NegotiationTimeout: sv.NegotiationTimeout, ConnectTimeout: sv.ConnectTimeout,
			DNSTimeout: sv.DNSTimeout, VerifyTimeout: sv.VerifyTimeout,
			Broken: s.brokenFor(sv.Domain),
		})
		if err != nil {
			return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
		}
		if _, err := w.AddServer(srv, sv.Address); err != nil {
			return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
		}
		switch sv.DNS {
		case "addr":
			w.Zone.AddAddr(sv.Domain, sv.Address)
		case "srv":
			host := "xmpp." + sv.Domain
			w.Zone.AddSRV(sv.Domain, dns.SRV{Target: host, Port: dns.DefaultPort, Priority: 10, Weight: 10})
			w.Zone.AddAddr(host, sv.Address)
		}
	}
	for _, r := range s.SRV {
		w.Zone.AddSRV(r.Domain, dns.SRV{Target: r.Target, Port: r.Port, Priority: r.Priority, Weight: r.Weight})
	}
	for _, r := range s.Addr {
		w.Zone.AddAddr(r.Host, r.Addr)
	}
	for _, k := range s.Links {
		if k.hasLatency {
			w.Net.SetLatency(k.A, k.B, k.Latency)
		}
		if k.Jitter > 0 {
			w.Net.SetJitter(k.A, k.B, k.Jitter)
		}
	}

	// Faults, each visible in the trace from the start.
	for _, f := range s.Faults {
		if err := f.Validate(w.Domains()); err != nil {
			return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
		}
		if err := w.ApplyFault(f.Fault); err != nil {
			return nil, fmt.Errorf("spec: %s: fault %s: %w", s.Path, f.Fault, err)
		}
		w.Faults = append(w.Faults, f.Fault)
		w.TraceWorld(f.Target, "fault-scheduled", f.String())
	}

	b := &built{w: w}
	if withAttacks {
		used := map[string]bool{}
		for _, sv := range s.Servers {
			used[sv.Address] = true
		}
		nextAddr := func() string {
			for i := 1; ; i++ {
				a := fmt.Sprintf("10.6.6.%d", i)
				if !used[a] {
					used[a] = true
					return a
				}
			}
		}
		for _, a := range s.Attacks {
			plan := scenarios.AttackPlan{Kind: a.Kind, Initiator: a.Initiator, Receiver: a.Receiver, ForgeAt: a.ForgeAt}
			switch a.Kind {
			case scenarios.AttackDNSPoison:
				plan.ImpostorAddrs = [2]string{nextAddr(), nextAddr()}
				if a.Forge != "" {
					el, err := parseStanza(a.Forge)
					if err != nil {
						return nil, fmt.Errorf("spec: %s: attack %s: %w", s.Path, a.Name, err)
					}
					plan.Forged = el
				}
			case scenarios.AttackTLSIntercept:
				switch a.Cert {
				case "", "self-signed":
				case "wrong-name":
					// A real certificate from the default CA, for the
					// attacker's own name (as `fedsim attack --cert wrong-name`).
					c := auths[s.defaultCA].Issue(ca.Template{Subject: "mallory.example", DNSNames: []string{"mallory.example"}, NotBefore: nb, NotAfter: na})
					plan.AsServer, plan.AsClient = c, c
				default:
					plan.AsServer, plan.AsClient = certs[a.Cert], certs[a.Cert]
				}
			}
			att, err := w.InstallAttack(plan)
			if err != nil {
				return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
			}
			b.attacks = append(b.attacks, att)
		}
	}

	// Traffic, then what attackers do of their own accord.
	for _, t := range s.Traffic {
		el, err := parseStanza(t.XML)
		if err != nil {
			return nil, fmt.Errorf("spec: %s: traffic: %w", s.Path, err)
		}
		w.Node(t.From).SendAt(sim.Time(t.At), el)
	}
	for _, a := range b.attacks {
		a.Launch()
	}
	return b, nil
}

func (s *Scenario) brokenFor(domain string) nodes.BrokenRule {
	if r, ok := s.broken[domain]; ok {
		return r
	}
	return s.broken["*"]
}
