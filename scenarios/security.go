package scenarios

import (
	"fmt"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/sim"
)

// DNSSEC, DANE and POSH in the world (issue 15): which zones are signed,
// which TLSA records and POSH documents are published. Nothing here runs
// for a Config that mentions none of them, so the XEP-0238 worlds draw
// the same secrets and trace the same bytes as before.

// TLSA words of Server.TLSA.
var TLSAWords = []string{"dane-ee", "dane-ta"}

// dnssecSeed is the seed DNSSEC keys derive from: the world's seed, by a
// path of its own, so that signing draws nothing from the secrets stream.
func dnssecSeed(seed uint64) []byte { return []byte(fmt.Sprintf("fedsim dnssec %d", seed)) }

// usesDNSSEC reports whether any server signs, publishes TLSA or
// validates: then the zone gets its root key.
func (cfg *Config) usesDNSSEC() bool {
	for _, sv := range cfg.Servers {
		if sv.Signed || sv.TLSA != "" || sv.Policy.DNSSEC != nodes.DNSSECOff {
			return true
		}
	}
	return false
}

// security signs zones, publishes TLSA records and POSH documents.
func (b *builder) security() error {
	cfg, zone := b.cfg, b.prepared.Zone
	if cfg.usesDNSSEC() {
		nb, na := certWindow()
		zone.EnableDNSSEC(dnssecSeed(cfg.Seed), nb, na)
	}
	for i, sv := range cfg.Servers {
		if sv.Signed {
			if err := zone.SignZone(sv.Domain); err != nil {
				return fmt.Errorf("scenarios: server %s: %w", sv.Domain, err)
			}
		}
		if sv.TLSA != "" {
			if err := b.publishTLSA(i, sv); err != nil {
				return err
			}
		}
		if sv.POSH {
			if err := b.publishPOSH(i, sv); err != nil {
				return err
			}
		}
	}
	if b.prepared.Web != nil {
		// The web PKI: every server checks web servers against the default
		// authority, which issued their certificates, whatever it trusts
		// for XMPP peers.
		webTrust := ca.NewPool(b.defaultCA.Cert)
		for i := range b.prepared.Servers {
			b.prepared.Servers[i].Node.Web = b.prepared.Web
			b.prepared.Servers[i].Node.WebTrust = webTrust
		}
	}
	return nil
}

// endpoint is where a server's TLSA records go: its SRV target, or its
// domain when it publishes only an address record.
func endpoint(sv Server) string {
	if sv.DNS == "srv" {
		return "xmpp." + sv.Domain
	}
	return sv.Domain
}

func (b *builder) publishTLSA(i int, sv Server) error {
	c := b.held[i]
	if c == nil {
		return fmt.Errorf("scenarios: server %s: tlsa %s, but it has no certificate", sv.Domain, sv.TLSA)
	}
	var rec ca.TLSA
	var err error
	switch sv.TLSA {
	case "dane-ee":
		rec, err = ca.NewTLSA(c, ca.UsageDANEEE, ca.SelectorSPKI, ca.MatchSHA256)
	case "dane-ta":
		ta := b.issuerOf(c)
		if ta == nil {
			return fmt.Errorf("scenarios: server %s: tlsa dane-ta, but its certificate is self-signed: there is no authority to name (use dane-ee)", sv.Domain)
		}
		rec, err = ca.NewTLSA(ta, ca.UsageDANETA, ca.SelectorSPKI, ca.MatchSHA256)
		// RFC 7671 §5.2.2: the server presents the trust anchor, which the
		// client has nowhere else.
		b.held[i] = ca.WithChain(c, ta)
		b.prepared.Servers[i].Node.Cert = b.held[i]
	default:
		return fmt.Errorf("scenarios: server %s: tlsa %q: want %s", sv.Domain, sv.TLSA, nodes.OrList(TLSAWords))
	}
	if err != nil {
		return fmt.Errorf("scenarios: server %s: %w", sv.Domain, err)
	}
	b.prepared.Zone.AddTLSA(endpoint(sv), dns.DefaultPort, rec)
	return nil
}

// issuerOf finds the authority certificate that issued c.
func (b *builder) issuerOf(c *ca.Cert) *ca.Cert {
	if c.SelfSigned() {
		return nil
	}
	for _, x := range c.Chain {
		if x.Subject == c.Issuer {
			return x
		}
	}
	for _, name := range b.authNames() {
		if a := b.auths[name]; a.Cert.Subject == c.Issuer && c.SignedBy(a.Cert) {
			return a.Cert
		}
	}
	return nil
}

// authNames lists the authorities in Config order (then the implicit CA).
func (b *builder) authNames() []string {
	var out []string
	for _, a := range b.cfg.Authorities {
		out = append(out, a.Name)
	}
	if _, ok := b.auths[ImplicitCA]; ok {
		out = append(out, ImplicitCA)
	}
	return out
}

// POSHExpires is how long the world's POSH documents may be cached, in
// seconds (RFC 7711 §3.1): a day.
const POSHExpires = 86400

func (b *builder) publishPOSH(i int, sv Server) error {
	c := b.held[i]
	if c == nil {
		return fmt.Errorf("scenarios: server %s: posh, but it has no certificate", sv.Domain)
	}
	if b.prepared.Web == nil {
		b.prepared.Web = ca.Web{}
	}
	nb, na := certWindow()
	web := b.defaultCA.Issue(ca.Template{Subject: sv.Domain, DNSNames: []string{sv.Domain}, NotBefore: nb, NotAfter: na})
	b.prepared.Web[sv.Domain] = &ca.Site{Cert: web, Documents: map[string][]byte{ca.POSHPath: ca.NewPOSHDocument(POSHExpires, c)}}
	return nil
}

// DNSAnswer is one DNS answer with what DNSSEC and a poisoner made of it.
type DNSAnswer struct {
	Host, Domain string
	// Security is the resolver's verdict (dns.Unvalidated when it does
	// not validate).
	Security dns.Security
	// Poisoned: a poisoner's answer; Bogus: answered SERVFAIL as bogus.
	Poisoned, Bogus bool
	// Why is the validator's reason.
	Why  string
	Time sim.Time
}

// srvTargets lists the SRV targets of domain, in record order.
func srvTargets(z *dns.Zone, domain string) []string {
	var out []string
	for _, r := range z.SRVRecords(domain) {
		out = append(out, r.Target)
	}
	return out
}

// FeatureSpecs are servers that use DNSSEC, DANE or POSH, by name, for
// PairOptions.Specs: each an XEP-0238 type with one feature added, for
// the feature goldens and fault cases (issue 15).
//
//   - dnssec5: type5 whose zone is signed and whose resolver validates.
//   - dane4: type4 (self-signed, no CA) with a signed zone, a DANE-EE
//     TLSA record and policy dane=accept.
//   - danota5: type5 (CA-issued) with a DANE-TA record naming the CA,
//     which it presents, and dane=accept — a trust anchor the peer need
//     not trust.
//   - posh4: type4 publishing a POSH document and accepting POSH.
//   - dtls5: type5 with Direct TLS (XEP-0368): listens on 5270,
//     publishes an _xmpps-server record and connects to such targets.
//   - bidi5: type5 with bidirectional streams (XEP-0288): one connection
//     carries both directions once SASL EXTERNAL authenticated it.
//   - bidi4: type4 (self-signed, dialback over TLS) with bidi: the reverse
//     direction rides on a stream authenticated by dialback.
func FeatureSpecs() map[string]nodes.Preset {
	t4, _ := nodes.PresetByName("type4")
	t5, _ := nodes.PresetByName("type5")
	out := map[string]nodes.Preset{}
	dnssec5 := t5
	dnssec5.Name, dnssec5.Title = "dnssec5", "type5 with a signed zone and a validating resolver"
	dnssec5.Signed, dnssec5.Policy.DNSSEC = true, nodes.DNSSECValidate
	out[dnssec5.Name] = dnssec5
	dane4 := t4
	dane4.Name, dane4.Title = "dane4", "type4 with DNSSEC, a DANE-EE TLSA record and dane=accept"
	dane4.Signed, dane4.TLSA = true, "dane-ee"
	dane4.Policy.DNSSEC, dane4.Policy.DANE = nodes.DNSSECValidate, nodes.DANEAccept
	out[dane4.Name] = dane4
	danota5 := t5
	danota5.Name, danota5.Title = "danota5", "type5 with DNSSEC, a DANE-TA TLSA record and dane=accept"
	danota5.Signed, danota5.TLSA = true, "dane-ta"
	danota5.Policy.DNSSEC, danota5.Policy.DANE = nodes.DNSSECValidate, nodes.DANEAccept
	out[danota5.Name] = danota5
	posh4 := t4
	posh4.Name, posh4.Title = "posh4", "type4 publishing a POSH document and accepting POSH"
	posh4.POSH, posh4.Policy.POSH = true, nodes.POSHAccept
	out[posh4.Name] = posh4
	dtls5 := t5
	dtls5.Name, dtls5.Title = "dtls5", "type5 with Direct TLS (XEP-0368)"
	dtls5.Policy.DirectTLS = true
	out[dtls5.Name] = dtls5
	bidi5 := t5
	bidi5.Name, bidi5.Title = "bidi5", "type5 with bidirectional streams (XEP-0288)"
	bidi5.Policy.Bidi = true
	out[bidi5.Name] = bidi5
	bidi4 := t4
	bidi4.Name, bidi4.Title = "bidi4", "type4 with bidirectional streams (XEP-0288)"
	bidi4.Policy.Bidi = true
	out[bidi4.Name] = bidi4
	return out
}

// FeatureNames lists FeatureSpecs' names in a fixed order.
var FeatureNames = []string{"dnssec5", "dane4", "danota5", "posh4", "dtls5", "bidi5", "bidi4"}

// FeatureBase is the XEP-0238 type each of FeatureSpecs is built on.
var FeatureBase = map[string]string{"dnssec5": "type5", "dane4": "type4", "danota5": "type5", "posh4": "type4",
	"dtls5": "type5", "bidi5": "type5", "bidi4": "type4"}
