package spec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

// check validates what the sections say about each other (references,
// uniqueness, what a fault or attack needs of its target) and fills in the
// defaults that depend on the whole file.
func (l *loader) check() {
	d, s := l.d, l.s
	servers := map[string]*Server{}
	var domains []string
	addrs := map[string]string{}
	for i := range s.Servers {
		sv := &s.Servers[i]
		if sv.Domain == "" {
			continue
		}
		if _, dup := servers[sv.Domain]; dup {
			d.errorf(sv.at, "servers[%d]: domain %s is defined twice", i, sv.Domain)
			continue
		}
		servers[sv.Domain] = sv
		domains = append(domains, sv.Domain)
	}
	if len(s.Servers) == 0 && !l.noServers {
		d.errorf(pos{1, 1}, "scenario: servers: want at least one server")
	}
	// Addresses: given, or 10.0.0.N, skipping any the file uses.
	for _, sv := range s.Servers {
		if sv.Address == "" {
			continue
		}
		if other, dup := addrs[sv.Address]; dup {
			d.errorf(sv.at, "servers: %s and %s both have address %s", other, sv.Domain, sv.Address)
		}
		addrs[sv.Address] = sv.Domain
	}
	next := 1
	for i := range s.Servers {
		sv := &s.Servers[i]
		for sv.Address == "" {
			a := fmt.Sprintf("10.0.0.%d", next)
			next++
			if _, used := addrs[a]; !used {
				sv.Address = a
				addrs[a] = sv.Domain
			}
		}
	}
	known := func(name string) bool { _, ok := servers[name]; return ok }
	serverList := strings.Join(domains, ", ")
	ref := func(at pos, path, name string) bool {
		if name == "" || known(name) {
			return true
		}
		d.errorf(at, "%s: %q is not a server of this scenario (servers: %s)", path, name, serverList)
		return false
	}

	// Authorities and certificates share one name space: trust lists mix them.
	auths := map[string]*Authority{}
	certs := map[string]*Certificate{}
	var authNames, certNames []string
	for i := range s.Authorities {
		a := &s.Authorities[i]
		if a.Name == "" {
			continue
		}
		if _, dup := auths[a.Name]; dup {
			d.errorf(a.at, "authorities[%d]: %q is defined twice", i, a.Name)
			continue
		}
		auths[a.Name] = a
		authNames = append(authNames, a.Name)
	}
	for i := range s.Authorities {
		a := &s.Authorities[i]
		if a.Issuer == "" {
			continue
		}
		if _, ok := auths[a.Issuer]; !ok {
			d.errorf(a.at, "authorities[%d].issuer: no authority named %q (authorities: %s)", i, a.Issuer, strings.Join(authNames, ", "))
			continue
		}
		// A chain must end at a root.
		seen := map[string]bool{a.Name: true}
		for cur := auths[a.Issuer]; cur != nil && cur.Issuer != ""; cur = auths[cur.Issuer] {
			if seen[cur.Name] {
				d.errorf(a.at, "authorities[%d]: the issuer chain of %q loops back to %q", i, a.Name, cur.Name)
				break
			}
			seen[cur.Name] = true
		}
	}
	for i := range s.Certificates {
		c := &s.Certificates[i]
		if c.Name == "" {
			continue
		}
		if _, dup := auths[c.Name]; dup {
			d.errorf(c.at, "certificates[%d]: %q is already an authority's name (trust lists name both)", i, c.Name)
			continue
		}
		if _, dup := certs[c.Name]; dup {
			d.errorf(c.at, "certificates[%d]: %q is defined twice", i, c.Name)
			continue
		}
		certs[c.Name] = c
		certNames = append(certNames, c.Name)
		if c.Issuer != "" {
			if _, ok := auths[c.Issuer]; !ok {
				d.errorf(c.at, "certificates[%d].issuer: no authority named %q (authorities: %s)", i, c.Issuer, noneIfEmpty(authNames))
			}
		}
	}

	// The default authority, and whether an implicit one is needed.
	for _, a := range s.Authorities {
		if a.Issuer == "" && a.Name != "" {
			s.defaultCA = a.Name
			break
		}
	}
	needCA := func() bool {
		for _, sv := range s.Servers {
			p, ok := nodes.PresetByName(sv.Preset)
			if !ok || sv.Preset == "" {
				continue
			}
			if (sv.Certificate == "" && p.Cert == nodes.CertCAIssued) || (sv.Trust == nil && p.TrustsCA) {
				return true
			}
		}
		for _, f := range s.Faults {
			if fs, _ := scenarios.SpecOf(f.Kind); fs.NeedsCA {
				return true
			}
		}
		for _, a := range s.Attacks {
			if a.Cert == "wrong-name" {
				return true
			}
		}
		return false
	}()
	if needCA && s.defaultCA == "" {
		if len(s.Authorities) > 0 {
			d.errorf(s.Authorities[0].at, "authorities: a preset server or fault needs a root authority to use by default, and none is a root")
		} else {
			s.defaultCA, s.implicitCA = ImplicitCA, true
		}
	}

	// Servers: certificate, trust, and what the policy needs of them.
	for i := range s.Servers {
		sv := &s.Servers[i]
		path := fmt.Sprintf("servers[%d]", i)
		p, hasPreset := nodes.PresetByName(sv.Preset)
		hasPreset = hasPreset && sv.Preset != ""
		switch {
		case sv.Certificate == "none":
		case sv.Certificate != "":
			if _, ok := certs[sv.Certificate]; !ok {
				if len(certNames) == 0 {
					d.errorf(sv.certAt, "%s.certificate: no certificate named %q (the scenario defines none under certificates; write none for a server without one)", path, sv.Certificate)
				} else {
					d.errorf(sv.certAt, "%s.certificate: no certificate named %q (certificates: %s; or none)", path, sv.Certificate, strings.Join(certNames, ", "))
				}
			}
		case hasPreset && p.Cert != nodes.CertNone:
			sv.CertKind = p.Cert
		default:
			sv.Certificate = "none"
		}
		if sv.Trust == nil && hasPreset && p.TrustsCA && s.defaultCA != "" {
			sv.Trust = []string{s.defaultCA}
			sv.trustAt = []pos{sv.at}
		}
		for j, t := range sv.Trust {
			if _, ok := auths[t]; ok {
				continue
			}
			if t == s.defaultCA && s.implicitCA {
				continue
			}
			if c, ok := certs[t]; ok {
				if !c.SelfSigned {
					d.errorf(sv.trustAt[j], "%s.trust[%d]: %q is issued by %s; only a self-signed certificate can be pinned (trust its issuer instead)", path, j, t, c.Issuer)
				}
				continue
			}
			d.errorf(sv.trustAt[j], "%s.trust[%d]: no authority or certificate named %q (authorities: %s; certificates: %s)", path, j, t, noneIfEmpty(authNames), noneIfEmpty(certNames))
		}
	}

	// DNS records and links.
	// SRV and address records may name domains without a server: a record
	// pointing nowhere is a scenario too.
	recorded := map[string]bool{}
	for _, r := range s.SRV {
		recorded[r.Domain] = true
	}
	for _, r := range s.Addr {
		recorded[r.Host] = true
	}
	for i := range s.Servers {
		sv := &s.Servers[i]
		if sv.DNS == "" {
			sv.DNS = "addr"
			if recorded[sv.Domain] {
				sv.DNS = "none"
			}
		}
	}
	for i, k := range s.Links {
		path := fmt.Sprintf("links[%d].between", i)
		if ref(k.at, path, k.A) && ref(k.at, path, k.B) && k.A == k.B && k.A != "" {
			d.errorf(k.at, "%s: a link joins two different servers", path)
		}
	}

	// Faults.
	failover := false
	for i, f := range s.Faults {
		path := fmt.Sprintf("faults[%d]", i)
		ref(f.at, path+".target", f.Target)
		ref(f.at, path+".peer", f.Peer)
		ref(f.at, path+".observer", f.Observer)
		if sv := servers[f.Target]; sv != nil && scenarios.IsCertFault(f.Kind) && sv.Certificate == "none" {
			d.errorf(f.at, "%s: %s holds no certificate for a %s fault to change", path, f.Target, f.Kind)
		}
		failover = failover || f.Kind == scenarios.DNSFailover
	}
	if failover {
		for _, sv := range s.Servers {
			if strings.HasPrefix(sv.Address, "10.0.9.") {
				d.errorf(sv.at, "servers: %s uses %s, but 10.0.9.0/24 is where dns-failover puts its dead SRV targets", sv.Domain, sv.Address)
			}
		}
	}

	// Attacks.
	attacks := map[string]*Attack{}
	hosts := map[string]bool{}
	for _, dom := range domains {
		hosts[dom] = true
	}
	onPath := false
	impostorDomains := map[string]bool{}
	for i := range s.Attacks {
		a := &s.Attacks[i]
		path := "attack"
		if len(s.Attacks) > 1 || l.attackList != (pos{}) {
			path = fmt.Sprintf("attacks[%d]", i)
		}
		ref(a.at, path+".initiator", a.Initiator)
		ref(a.at, path+".receiver", a.Receiver)
		if prev, dup := attacks[a.Name]; dup {
			d.errorf(a.at, "%s: another attack is named %q; give each a distinct name", path, prev.Name)
		}
		attacks[a.Name] = a
		switch a.Kind {
		case scenarios.AttackDNSPoison:
			for _, dom := range []string{a.Initiator, a.Receiver} {
				if impostorDomains[dom] {
					d.errorf(a.at, "%s: %s is already impersonated by another dns-poison attack", path, dom)
				}
				impostorDomains[dom] = true
				hosts[scenarios.ImpostorHost(dom)] = true
			}
		case scenarios.AttackDialbackShortcut:
			if impostorDomains[a.Initiator] {
				d.errorf(a.at, "%s: %s is already impersonated by another attack", path, a.Initiator)
			}
			impostorDomains[a.Initiator] = true
			hosts[scenarios.ImpostorHost(a.Initiator)] = true
		case scenarios.AttackPlaintextRetry:
			onPath = true
		case scenarios.AttackStripSTARTTLS, scenarios.AttackTLSIntercept:
			onPath = true
			switch a.Cert {
			case "", "self-signed", "wrong-name":
			default:
				if _, ok := certs[a.Cert]; !ok {
					d.errorf(a.at, "%s.cert: %q is neither self-signed, wrong-name nor a certificate of this scenario (certificates: %s)", path, a.Cert, noneIfEmpty(certNames))
				}
			}
		}
	}
	hostList := func() string {
		var hs []string
		for h := range hosts {
			hs = append(hs, h)
		}
		sort.Strings(hs)
		return strings.Join(hs, ", ")
	}
	hostRef := func(at pos, path, name string) {
		if name != "" && !hosts[name] && !(onPath && name == "mallory") {
			d.errorf(at, "%s: %q is not a server or attacker of this scenario (%s)", path, name, hostList())
		}
	}

	// Traffic.
	for i, t := range s.Traffic {
		if t.From != "" && !known(t.From) {
			d.errorf(t.at, "traffic[%d]: the sender's domain %s is not a server of this scenario (servers: %s)", i, t.From, serverList)
		}
	}

	// Expectations.
	e := &s.Expect
	for _, o := range e.Outcomes {
		ref(o.at, "expect.outcomes", o.From)
		ref(o.at, "expect.outcomes", o.To)
	}
	for _, list := range []struct {
		name string
		xs   []ElementExpectation
	}{{"sent", e.Sent}, {"not_sent", e.NotSent}} {
		for i, x := range list.xs {
			path := fmt.Sprintf("expect.%s[%d]", list.name, i)
			hostRef(x.at, path+".from", x.From)
			hostRef(x.at, path+".to", x.To)
			hostRef(x.at, path+".between", x.Between[0])
			hostRef(x.at, path+".between", x.Between[1])
		}
	}
	for _, list := range []struct {
		name string
		xs   []EventExpectation
	}{{"events", e.Events}, {"not_events", e.NotEvents}} {
		for i, x := range list.xs {
			hostRef(x.at, fmt.Sprintf("expect.%s[%d].node", list.name, i), x.Node)
		}
	}
	for i := range e.Attacks {
		x := &e.Attacks[i]
		path := fmt.Sprintf("expect.attacks[%d]", i)
		if x.Attack == "" {
			if len(s.Attacks) != 1 {
				if len(s.Attacks) == 0 {
					d.errorf(x.at, "%s: the scenario has no attack to check (add attack: {kind: ..., initiator: ..., receiver: ...})", path)
				} else {
					d.errorf(x.at, "%s: say which attack (attack: NAME); the scenario has %d", path, len(s.Attacks))
				}
				continue
			}
			x.Attack = s.Attacks[0].Name
		}
		if _, ok := attacks[x.Attack]; !ok {
			var names []string
			for _, a := range s.Attacks {
				if a.Name != "" {
					names = append(names, a.Name)
				}
			}
			d.errorf(x.at, "%s.attack: no attack named %q (attacks: %s)", path, x.Attack, noneIfEmpty(names))
		}
	}
	if inv := e.Invariants; inv != nil {
		for i, imp := range inv.Impersonations {
			path := fmt.Sprintf("expect.invariants.impersonations[%d]", i)
			ref(inv.impAt[i], path+".server", imp.Server)
			ref(inv.impAt[i], path+".domain", imp.Domain)
		}
	}
}

func noneIfEmpty(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
