package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/sim"
)

// Build makes the world cfg describes, in one fixed order: authorities,
// named certificates, each server's certificate (with the certificate
// faults that change it), servers with their trust stores and DNS records,
// extra DNS records, links, faults, attacks, then traffic and what
// attackers do of their own accord. It is the only place fedsim turns a
// description into a simulated world; the first half (Prepare) is shared
// with any other runtime. Errors name the part of cfg at fault; a scenario
// file's loader (package scenarios/spec) has already reported them with
// file positions, so here they guard Go callers.
func Build(cfg *Config) (*World, error) {
	w := NewWorld(cfg.Seed)
	if cfg.NoTrace {
		w.Sim.Trace = nil
	}
	w.CountOnly = cfg.CountOnly
	if cfg.DNSDelay != 0 {
		w.DNSDelay = cfg.DNSDelay
	}
	seg, err := Segmenter(cfg.Fragment)
	if err != nil {
		return nil, err
	}
	w.Net.Segmenter = seg
	b, err := prepare(cfg, w.Sim, w.Zone)
	if err != nil {
		return nil, err
	}
	b.w = w
	w.Prepared = b.prepared
	for _, step := range []func() error{b.addServers, b.links, b.faults, b.attacks, b.traffic} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Prepared is a Config made concrete, before any runtime: the
// authorities and certificates, each server's nodes.Config (certificate,
// trust store, dialback secret, id stream) and address, the DNS zone and
// the traffic's stanzas. Build wires it into a simulated world; another
// runtime (real sockets) wires the same servers into its own.
type Prepared struct {
	Config *Config
	// Servers are in Config.Servers order.
	Servers []PreparedServer
	Zone    *dns.Zone
	// Web is the world's web (POSH documents); empty when no server
	// serves one.
	Web ca.Web
	// Authorities and Certificates by name; DefaultCA is the first root
	// (or ImplicitCA), nil when nothing needed one.
	Authorities  map[string]*ca.Authority
	Certificates map[string]*ca.Cert
	DefaultCA    *ca.Authority
	// Traffic is Config.Traffic with each stanza parsed.
	Traffic []Send
}

// PreparedServer is one server ready to be made with nodes.New.
type PreparedServer struct {
	Node    nodes.Config
	Address string
}

// Prepare makes the runtime-independent part of cfg's world. Streams of
// randomness come from seeds, as in Build: the same Config gives the same
// certificates and secrets in every runtime.
func Prepare(cfg *Config) (*Prepared, error) {
	b, err := prepare(cfg, sim.New(cfg.Seed), dns.NewZone())
	if err != nil {
		return nil, err
	}
	return b.prepared, nil
}

// prepare runs the steps every runtime shares, drawing from streams of s.
func prepare(cfg *Config, s *sim.World, zone *dns.Zone) (*builder, error) {
	b := &builder{cfg: cfg, streams: s, secrets: s.Stream("secrets"), auths: map[string]*ca.Authority{}, certs: map[string]*ca.Cert{},
		prepared: &Prepared{Config: cfg, Zone: zone}}
	for _, step := range []func() error{b.authorities, b.certificates, b.serverCerts, b.servers, b.records, b.security, b.parseTraffic} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	b.prepared.Authorities, b.prepared.Certificates, b.prepared.DefaultCA = b.auths, b.certs, b.defaultCA
	return b, nil
}

// Segmenter maps a Config.Fragment word to the network's segmenter.
func Segmenter(fragment string) (network.Segmenter, error) {
	switch fragment {
	case "", "whole":
		return nil, nil
	case "random":
		return network.RandomSplit, nil
	case "byte":
		return network.OneByte, nil
	}
	return nil, fmt.Errorf("scenarios: fragment %q: want %s", fragment, strings.Join(Fragments, ", "))
}

// Fragments are the words Config.Fragment takes.
var Fragments = []string{"whole", "random", "byte"}

// builder holds what Build has made so far.
type builder struct {
	cfg      *Config
	w        *World     // nil until Build wires the prepared world
	streams  *sim.World // the seed's named streams
	prepared *Prepared
	secrets  interface{ Uint32() uint32 }
	// auths and certs by name; defaultCA is the first root (or ImplicitCA).
	auths     map[string]*ca.Authority
	defaultCA *ca.Authority
	certs     map[string]*ca.Cert
	revoked   []*ca.Cert
	held      []*ca.Cert // each server's certificate
}

// secret draws 16 bytes from the seed's "secrets" stream.
func (b *builder) secret() []byte {
	s := make([]byte, 16)
	for i := range s {
		s[i] = byte(b.secrets.Uint32())
	}
	return s
}

// needsDefaultCA reports whether something in cfg is issued by, chains
// through or is trusted from the default authority.
func (cfg *Config) needsDefaultCA() bool {
	for _, sv := range cfg.Servers {
		if sv.Certificate == "" && sv.CertKind == nodes.CertCAIssued {
			return true
		}
		for _, t := range sv.Trust {
			if t == ImplicitCA {
				return true
			}
		}
	}
	for _, f := range cfg.Faults {
		if f.Kind == CertIntermediate {
			return true
		}
	}
	for _, sv := range cfg.Servers {
		if sv.POSH {
			return true // the web server's certificate
		}
	}
	for _, a := range cfg.Attacks {
		if a.Kind == AttackTLSIntercept && a.Cert == "wrong-name" {
			return true
		}
	}
	return false
}

// authorities makes the authorities, parents before children.
func (b *builder) authorities() error {
	cfg := b.cfg
	var root string
	for _, a := range cfg.Authorities {
		if a.Issuer == "" {
			root = a.Name
			break
		}
	}
	if root == "" && cfg.needsDefaultCA() {
		nb, na := certWindow()
		b.auths[ImplicitCA] = ca.NewRoot(ImplicitCA, nb, na, b.secret())
		root = ImplicitCA
	}
	for left := len(cfg.Authorities); left > 0; {
		progress := false
		for _, a := range cfg.Authorities {
			if b.auths[a.Name] != nil {
				continue
			}
			nb, na := window(a.NotBefore, a.NotAfter)
			switch parent := b.auths[a.Issuer]; {
			case a.Issuer == "":
				b.auths[a.Name] = ca.NewRoot(a.Name, nb, na, b.secret())
			case parent != nil:
				b.auths[a.Name] = parent.NewIntermediate(a.Name, nb, na, b.secret())
			default:
				continue
			}
			if a.Revoked {
				b.revoked = append(b.revoked, b.auths[a.Name].Cert)
			}
			left--
			progress = true
		}
		if !progress {
			return errors.New("scenarios: authorities do not chain to a root")
		}
	}
	b.defaultCA = b.auths[root]
	return nil
}

// window fills an unset validity bound from CertWindow.
func window(nb, na time.Time) (time.Time, time.Time) {
	dnb, dna := certWindow()
	if nb.IsZero() {
		nb = dnb
	}
	if na.IsZero() {
		na = dna
	}
	return nb, na
}

func templateOf(c Certificate) ca.Template {
	nb, na := window(c.NotBefore, c.NotAfter)
	return ca.Template{Subject: c.Subject, DNSNames: c.DNS, SRVNames: c.SRV, XMPPAddrs: c.XMPPAddr, NotBefore: nb, NotAfter: na}
}

// certificates makes the named certificates.
func (b *builder) certificates() error {
	for _, c := range b.cfg.Certificates {
		if c.SelfSigned {
			b.certs[c.Name] = ca.SelfSign(templateOf(c), b.secret())
		} else if a := b.auths[c.Issuer]; a != nil {
			b.certs[c.Name] = a.Issue(templateOf(c))
		} else {
			return fmt.Errorf("scenarios: certificate %s: no authority named %q", c.Name, c.Issuer)
		}
		if c.Revoked {
			b.revoked = append(b.revoked, b.certs[c.Name])
		}
	}
	return nil
}

// named finds a Certificate by name.
func (cfg *Config) named(name string) (Certificate, bool) {
	for _, c := range cfg.Certificates {
		if c.Name == name {
			return c, true
		}
	}
	return Certificate{}, false
}

// serverCerts gives each server its certificate: named, or made for its
// domain as CertKind says, and changed by the certificate faults that
// target it.
func (b *builder) serverCerts() error {
	cfg := b.cfg
	b.held = make([]*ca.Cert, len(cfg.Servers))
	for i, sv := range cfg.Servers {
		if sv.Certificate == "none" || (sv.Certificate == "" && sv.CertKind == nodes.CertNone) {
			continue
		}
		var tmpl ca.Template
		var issuer *ca.Authority
		revoked := false
		implicit := sv.Certificate == ""
		if implicit {
			nb, na := certWindow()
			tmpl = ca.Template{Subject: sv.Domain, DNSNames: []string{sv.Domain}, NotBefore: nb, NotAfter: na}
			if sv.CertKind == nodes.CertCAIssued {
				issuer = b.defaultCA
			}
		} else {
			c, ok := cfg.named(sv.Certificate)
			if !ok {
				return fmt.Errorf("scenarios: server %s: no certificate named %q", sv.Domain, sv.Certificate)
			}
			tmpl = templateOf(c)
			if !c.SelfSigned {
				issuer = b.auths[c.Issuer]
			}
			revoked = c.Revoked
		}
		faulted := false
		for _, f := range cfg.Faults {
			if f.Target != sv.Domain || !isCertFault(f.Kind) {
				continue
			}
			plan := certPlan{tmpl: tmpl}
			planCert(f, &plan, b.defaultCA, b.secret)
			tmpl = plan.tmpl
			if plan.issuer != nil {
				issuer = plan.issuer
			}
			revoked = revoked || plan.revoke
			faulted = true
		}
		switch {
		case !faulted && !implicit:
			b.held[i] = b.certs[sv.Certificate]
			continue // its revocation, if any, is already listed
		case issuer != nil:
			b.held[i] = issuer.Issue(tmpl)
		default:
			b.held[i] = ca.SelfSign(tmpl, b.secret())
		}
		if revoked {
			b.revoked = append(b.revoked, b.held[i])
		}
	}
	return nil
}

// servers makes each server's nodes.Config (trust store, secret, id
// stream) and publishes its DNS records.
func (b *builder) servers() error {
	cfg, zone := b.cfg, b.prepared.Zone
	pools := map[string]*ca.Pool{} // by trust list: shared, read-only
	for i, sv := range cfg.Servers {
		key := strings.Join(sv.Trust, "\x00")
		trust := pools[key]
		if trust == nil {
			trust = ca.NewPool()
			for _, name := range sv.Trust {
				if a := b.auths[name]; a != nil {
					trust.Add(a.Cert)
				} else if c := b.certs[name]; c != nil {
					trust.Add(c) // a pinned self-signed certificate
				} else {
					return fmt.Errorf("scenarios: server %s: trusts %q, which is neither an authority nor a certificate", sv.Domain, name)
				}
			}
			for _, c := range b.revoked {
				trust.Revoke(c)
			}
			pools[key] = trust
		}
		sec := sv.Secret
		if sec == "" {
			sec = fmt.Sprintf("%x", b.secret())
		}
		nc := nodes.Config{
			Domain: sv.Domain, Policy: sv.Policy, Cert: b.held[i], Trust: trust, Secret: sec, Users: sv.Users,
			Rand:               b.streams.Stream("ids/" + sv.Domain),
			NegotiationTimeout: sv.NegotiationTimeout, ConnectTimeout: sv.ConnectTimeout,
			DNSTimeout: sv.DNSTimeout, VerifyTimeout: sv.VerifyTimeout,
			SecureDomains: sv.SecureDomains, InsecureDomains: sv.InsecureDomains,
			Broken: cfg.brokenFor(sv.Domain),
		}
		addr := sv.Address
		if addr == "" {
			addr = fmt.Sprintf("10.0.0.%d", i+1)
		}
		b.prepared.Servers = append(b.prepared.Servers, PreparedServer{Node: nc, Address: addr})
		switch sv.DNS {
		case "", "addr":
			zone.AddAddr(sv.Domain, addr)
			if sv.Policy.DirectTLS {
				// XEP-0368 needs an SRV record; the address record stays
				// the fallback for STARTTLS on 5269.
				zone.AddSRV(sv.Domain, dns.SRV{Target: sv.Domain, Port: dns.DirectTLSPort, Priority: 5, Weight: 10, Direct: true})
			}
		case "srv":
			host := "xmpp." + sv.Domain
			zone.AddSRV(sv.Domain, dns.SRV{Target: host, Port: dns.DefaultPort, Priority: 10, Weight: 10})
			if sv.Policy.DirectTLS {
				// Direct TLS first (the lower priority), STARTTLS after it.
				zone.AddSRV(sv.Domain, dns.SRV{Target: host, Port: dns.DirectTLSPort, Priority: 5, Weight: 10, Direct: true})
			}
			zone.AddAddr(host, addr)
		case "none":
		default:
			return fmt.Errorf("scenarios: server %s: dns %q: want addr, srv or none", sv.Domain, sv.DNS)
		}
	}
	return nil
}

// addServers makes the prepared servers and adds them to the simulated
// world.
func (b *builder) addServers() error {
	b.w.rootCA = b.defaultCA
	for i, ps := range b.prepared.Servers {
		if b.cfg.Servers[i].Real != "" {
			continue // a real program: another runtime starts it
		}
		srv, err := nodes.New(ps.Node)
		if err != nil {
			label := ps.Node.Domain
			if p := b.cfg.Servers[i].Preset; p != "" {
				label += " as " + p
			}
			return fmt.Errorf("scenarios: %s: %w", label, err)
		}
		if _, err := b.w.AddServer(srv, ps.Address); err != nil {
			return err
		}
	}
	return nil
}

func (cfg *Config) brokenFor(domain string) nodes.BrokenRule {
	if r, ok := cfg.Broken[domain]; ok {
		return r
	}
	return cfg.Broken["*"]
}

// records adds the extra DNS records.
func (b *builder) records() error {
	cfg, zone := b.cfg, b.prepared.Zone
	for _, r := range cfg.SRV {
		port := r.Port
		if port == 0 {
			port = dns.DefaultPort
		}
		zone.AddSRV(r.Domain, dns.SRV{Target: r.Target, Port: port, Priority: r.Priority, Weight: r.Weight, Direct: r.Direct})
	}
	for _, r := range cfg.Addr {
		zone.AddAddr(r.Host, r.Addr)
	}
	return nil
}

// links sets the simulated links' latency and jitter.
func (b *builder) links() error {
	cfg, w := b.cfg, b.w
	for _, k := range cfg.Links {
		if k.HasLatency {
			w.Net.SetLatency(k.A, k.B, k.Latency)
		}
		if k.Jitter > 0 {
			w.Net.SetJitter(k.A, k.B, k.Jitter)
		}
	}
	return nil
}

// faults schedules the faults, each visible in the trace from the start.
func (b *builder) faults() error {
	w := b.w
	for _, f := range b.cfg.Faults {
		if err := f.Validate(w.Domains()); err != nil {
			return err
		}
		if err := w.ApplyFault(f); err != nil {
			return fmt.Errorf("scenarios: fault %s: %w", f, err)
		}
		w.Faults = append(w.Faults, f)
		w.TraceWorld(f.Target, "fault-scheduled", f.String())
	}
	return nil
}

// attacks installs the attackers. A dns-poison impostor takes the first
// free addresses of 10.6.6.0/24.
func (b *builder) attacks() error {
	cfg, w := b.cfg, b.w
	used := map[string]bool{}
	for _, n := range w.nodes {
		used[n.Host.Addr] = true
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
	for _, a := range cfg.Attacks {
		plan := AttackPlan{Kind: a.Kind, Initiator: a.Initiator, Receiver: a.Receiver, ForgeAt: a.ForgeAt}
		name := a.Name
		if name == "" {
			name = string(a.Kind)
		}
		if spec, _ := AttackKindOf(a.Kind); spec.Forges && a.Forge != "" {
			el, err := ParseStanza(a.Forge)
			if err != nil {
				return fmt.Errorf("scenarios: attack %s: forge: %w", name, err)
			}
			plan.Forged = el
		}
		switch a.Kind {
		case AttackDNSPoison:
			plan.ImpostorAddrs = [2]string{nextAddr(), nextAddr()}
		case AttackDialbackShortcut:
			plan.ImpostorAddrs = [2]string{nextAddr(), ""}
		case AttackTLSIntercept:
			switch a.Cert {
			case "", "self-signed":
			case "wrong-name":
				// A real certificate from the default authority, for the
				// attacker's own name.
				nb, na := certWindow()
				c := b.defaultCA.Issue(ca.Template{Subject: "mallory.example", DNSNames: []string{"mallory.example"}, NotBefore: nb, NotAfter: na})
				plan.AsServer, plan.AsClient = c, c
			default:
				c := b.certs[a.Cert]
				if c == nil {
					return fmt.Errorf("scenarios: attack %s: cert %q: want self-signed, wrong-name or a certificate's name", name, a.Cert)
				}
				plan.AsServer, plan.AsClient = c, c
			}
		}
		att, err := w.InstallAttack(plan)
		if err != nil {
			return err
		}
		w.Attacks = append(w.Attacks, att)
	}
	return nil
}

// parseTraffic parses the traffic's stanzas.
func (b *builder) parseTraffic() error {
	for i, t := range b.cfg.Traffic {
		if t.Stanza == nil {
			el, err := ParseStanza(t.XML)
			if err != nil {
				return fmt.Errorf("scenarios: traffic[%d]: %w", i, err)
			}
			t.Stanza = el
		} else {
			t.Stanza = t.Stanza.Clone() // a Config may be built again: each world sends its own
		}
		b.prepared.Traffic = append(b.prepared.Traffic, t)
	}
	return nil
}

// traffic schedules the users' stanzas, the load, then what attackers do
// of their own accord (so that at equal times the victims go first).
func (b *builder) traffic() error {
	cfg, w := b.cfg, b.w
	for i, t := range b.prepared.Traffic {
		n := w.Node(t.From)
		if n == nil {
			return fmt.Errorf("scenarios: traffic[%d]: %s is not a server of this world", i, t.From)
		}
		n.SendAt(sim.Time(t.At), t.Stanza)
	}
	if cfg.Load != nil {
		if err := startLoad(w, *cfg.Load, len(cfg.Servers)); err != nil {
			return err
		}
	}
	for _, a := range w.Attacks {
		a.Launch()
	}
	return nil
}

// streamPrefix is the stream header stanzas are parsed in: a jabber:server
// stream that declares the dialback prefix, as servers send them.
const streamPrefix = "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams'>"

// byteOffset is compiled on first use, not at every start of fedsim.
var byteOffset = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`at byte \d+`) })

// ParseStanza parses one stanza as it would appear on a jabber:server
// stream (RFC 6120 §4.8.3): message, iq or presence, with from and to.
func ParseStanza(raw string) (*xmlstream.Element, error) {
	p := xmlstream.NewParser()
	p.Feed([]byte(streamPrefix))
	p.Feed([]byte(strings.TrimSpace(raw)))
	var el *xmlstream.Element
	for {
		tok, ok, err := p.Next()
		if err != nil {
			// Offsets count from the start of the stanza, not of the
			// stream header it was parsed in.
			msg := byteOffset().ReplaceAllStringFunc(err.Error(), func(m string) string {
				n, _ := strconv.Atoi(strings.TrimPrefix(m, "at byte "))
				return fmt.Sprintf("at byte %d", n-len(streamPrefix))
			})
			return nil, fmt.Errorf("not a well-formed stanza: %s", strings.TrimPrefix(msg, "xmlstream: "))
		}
		if !ok {
			break
		}
		if tok.Kind != xmlstream.TokElement {
			continue
		}
		if el != nil {
			return nil, errors.New("want one stanza, found a second element")
		}
		el = tok.Elem
	}
	if el == nil {
		return nil, errors.New("not a complete stanza (want <message/>, <iq/> or <presence/>)")
	}
	switch el.Name {
	case "message", "iq", "presence":
	default:
		return nil, fmt.Errorf("<%s/> is not a stanza (want message, iq or presence)", el.Name)
	}
	if el.Attr("from") == "" || el.Attr("to") == "" {
		return nil, errors.New("a stanza needs from and to attributes (the sender's server routes it by them)")
	}
	return el, nil
}

// RunConfig builds cfg, runs it until quiescent or cfg.Deadline, and reads
// the attacks' verdicts. A Config with attacks is first run without them:
// strip-starttls and tls-intercept verdicts compare with that baseline.
func RunConfig(cfg *Config) (*World, []*AttackResult, int, error) {
	baselines := make([]nodes.Level, len(cfg.Attacks))
	if len(cfg.Attacks) > 0 {
		base := *cfg
		base.Attacks, base.NoTrace = nil, true
		bw, err := Build(&base)
		if err != nil {
			return nil, nil, 0, err
		}
		bw.Run(cfg.deadline())
		for i, a := range cfg.Attacks {
			baselines[i] = bw.firstLevel(a.Initiator, a.Receiver)
		}
	}
	w, err := Build(cfg)
	if err != nil {
		return nil, nil, 0, err
	}
	events := w.Run(cfg.deadline())
	var results []*AttackResult
	for i, a := range w.Attacks {
		results = append(results, a.Result(baselines[i]))
	}
	return w, results, events, nil
}

func (cfg *Config) deadline() time.Duration {
	if cfg.Deadline == 0 {
		return RunDeadline
	}
	return cfg.Deadline
}

// firstLevel is a's first outcome towards b, negotiated by a's own host
// (not an impostor claiming a).
func (w *World) firstLevel(a, b string) nodes.Level {
	n := w.Node(a)
	if n == nil {
		return nodes.LevelNone
	}
	for _, o := range w.Outcomes {
		if o.Host == n.Host.Name && o.From == a && o.To == b {
			return o.Level
		}
	}
	return nodes.LevelNone
}
