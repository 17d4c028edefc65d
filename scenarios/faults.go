package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fedsim/dns"
	"fedsim/network"
	"fedsim/network/ca"
	"fedsim/nodes"
	"fedsim/sim"
)

// FaultKind names an injectable fault. Faults are data: they compose with
// any world and each is scheduled at a virtual time (or from the start) and
// leaves its mark in the trace.
type FaultKind string

// The fault kinds, by layer.
const (
	// DNS (applied to the resolver of Fault.Observer, or every resolver).
	DNSPoison   FaultKind = "dns-poison"   // Target's records point at Fault.Addr
	DNSNXDomain FaultKind = "dns-nxdomain" // Target does not exist
	DNSServFail FaultKind = "dns-servfail" // the resolver fails for Target
	DNSTimeout  FaultKind = "dns-timeout"  // queries for Target go unanswered
	DNSSlow     FaultKind = "dns-slow"     // answers for Target come Fault.Delay late
	DNSFailover FaultKind = "dns-failover" // Target gets a first SRV target that refuses

	// Certificates (applied to the certificate Target holds).
	CertExpired      FaultKind = "cert-expired"
	CertNotYetValid  FaultKind = "cert-not-yet-valid"
	CertWrongName    FaultKind = "cert-wrong-name"
	CertWildcard     FaultKind = "cert-wildcard"      // only *.lit: RFC 6125 §7.2 refuses a wildcard right under the TLD
	CertUntrustedCA  FaultKind = "cert-untrusted-ca"  // issued by a CA no one trusts
	CertRevoked      FaultKind = "cert-revoked"       // revoked, and every trust store knows it
	CertIntermediate FaultKind = "cert-intermediate"  // issued through an intermediate (still valid)
	CertNoClientAuth FaultKind = "cert-no-clientauth" // serverAuth-only key usage, as public CAs issue since 2025
	TLSHandshakeFail FaultKind = "tls-fail"           // every handshake with Target fails outright

	// Network.
	Partition  FaultKind = "partition"   // Target | Peer, from At until Until
	BlackHole  FaultKind = "blackhole"   // everything to and from Target vanishes
	Refuse     FaultKind = "refuse"      // Target stops listening at At
	ResetAfter FaultKind = "reset-after" // connections between Target and Peer reset after Fault.Bytes
	Latency    FaultKind = "latency"     // Target–Peer latency Fault.Delay, jitter Fault.Jitter
	Crash      FaultKind = "crash"       // Target crashes at At, restarts at Until with its state lost
)

// FaultKinds lists every kind, sorted.
func FaultKinds() []FaultKind {
	ks := []FaultKind{DNSPoison, DNSNXDomain, DNSServFail, DNSTimeout, DNSSlow, DNSFailover,
		CertExpired, CertNotYetValid, CertWrongName, CertWildcard, CertUntrustedCA, CertRevoked, CertIntermediate, CertNoClientAuth, TLSHandshakeFail,
		Partition, BlackHole, Refuse, ResetAfter, Latency, Crash}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// Fault is one injected fault.
type Fault struct {
	Kind FaultKind
	// Target is the domain the fault is about.
	Target string
	// Peer is the other end for link faults (partition, reset-after, latency).
	Peer string
	// Observer limits a DNS fault to one server's resolver ("" = everyone).
	Observer string
	// Addr is where a poisoned record points.
	Addr string
	// At and Until bound the fault in virtual time; Until 0 = forever.
	At, Until time.Duration
	// Bytes for reset-after; Delay for dns-slow and latency; Jitter for latency.
	Bytes  int64
	Delay  time.Duration
	Jitter time.Duration
}

func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", f.Kind, f.Target)
	if f.Peer != "" {
		fmt.Fprintf(&b, "|%s", f.Peer)
	}
	if f.Observer != "" {
		fmt.Fprintf(&b, " seen by %s", f.Observer)
	}
	if f.Addr != "" {
		fmt.Fprintf(&b, " -> %s", f.Addr)
	}
	if f.At != 0 || f.Until != 0 {
		fmt.Fprintf(&b, " [%s, %s)", f.At, until(f.Until))
	}
	if f.Bytes != 0 {
		fmt.Fprintf(&b, " after %d bytes", f.Bytes)
	}
	if f.Delay != 0 {
		fmt.Fprintf(&b, " delay %s", f.Delay)
	}
	if f.Jitter != 0 {
		fmt.Fprintf(&b, " jitter %s", f.Jitter)
	}
	return b.String()
}

func until(d time.Duration) string {
	if d == 0 {
		return "end"
	}
	return d.String()
}

// Validate checks a fault against a world's domains.
func (f Fault) Validate(domains []string) error {
	known := func(d string) bool {
		for _, x := range domains {
			if x == d {
				return true
			}
		}
		return false
	}
	valid := false
	for _, k := range FaultKinds() {
		if k == f.Kind {
			valid = true
		}
	}
	switch {
	case !valid:
		return fmt.Errorf("scenarios: unknown fault kind %q", f.Kind)
	case f.Target == "" || !known(f.Target):
		return fmt.Errorf("scenarios: fault %s: target %q is not a server of this world (%s)", f.Kind, f.Target, strings.Join(domains, ", "))
	case (f.Kind == Partition || f.Kind == ResetAfter || f.Kind == Latency) && !known(f.Peer):
		return fmt.Errorf("scenarios: fault %s: peer %q is not a server of this world", f.Kind, f.Peer)
	case f.Observer != "" && !known(f.Observer):
		return fmt.Errorf("scenarios: fault %s: observer %q is not a server of this world", f.Kind, f.Observer)
	case f.Until != 0 && f.Until <= f.At:
		return fmt.Errorf("scenarios: fault %s: until %s is not after at %s", f.Kind, f.Until, f.At)
	case f.Kind == ResetAfter && f.Bytes <= 0:
		return fmt.Errorf("scenarios: fault reset-after: bytes must be positive")
	case f.Kind == DNSPoison && f.Addr == "":
		return fmt.Errorf("scenarios: fault dns-poison: addr (where the record points) is empty")
	}
	return nil
}

// certFault adjusts a certificate template, issuer and trust for the
// certificate faults; it reports whether it handled f.
type certPlan struct {
	tmpl      ca.Template
	issuer    *ca.Authority // nil: as the preset says
	revoke    bool
	noCert    bool
	selfIssue bool
}

func planCert(f Fault, p *certPlan, root *ca.Authority, secret func() []byte) {
	nb, na := certWindow()
	switch f.Kind {
	case CertExpired:
		p.tmpl.NotBefore, p.tmpl.NotAfter = nb.Add(-400*24*time.Hour), sim.Epoch.Add(-24*time.Hour)
	case CertNotYetValid:
		p.tmpl.NotBefore, p.tmpl.NotAfter = sim.Epoch.Add(24*time.Hour), na
	case CertWrongName:
		p.tmpl.Subject, p.tmpl.DNSNames = "wrong.example", []string{"wrong.example"}
	case CertWildcard:
		p.tmpl.DNSNames = []string{"*.lit"}
	case CertUntrustedCA:
		p.issuer = ca.NewRoot("Unknown CA", nb, na, secret())
	case CertRevoked:
		p.revoke = true
	case CertIntermediate:
		p.issuer = root.NewIntermediate("Lit Intermediate CA", nb, na, secret())
	case CertNoClientAuth:
		p.tmpl.NoClientAuth = true
	}
}

// ApplyFault installs a runtime fault in w (certificate faults are applied
// when certificates are made: see CertTemplateFor). Call it before Run.
func (w *World) ApplyFault(f Fault) error {
	at, end := sim.Time(f.At), sim.Time(f.Until)
	win := network.Window{From: at, Until: end}
	dnsFault := func(k dns.FaultKind, targets []dns.Target) {
		w.DNSFaults = append(w.DNSFaults, dns.Fault{Kind: k, Domain: f.Target, Resolver: f.Observer,
			Targets: targets, Delay: f.Delay, From: f.At, Until: f.Until})
	}
	switch f.Kind {
	case DNSPoison:
		dnsFault(dns.Poison, []dns.Target{{Host: "poisoned", Addr: f.Addr, Port: dns.DefaultPort, Via: "poisoned record"}})
	case DNSNXDomain:
		dnsFault(dns.NXDomain, nil)
	case DNSServFail:
		dnsFault(dns.ServFail, nil)
	case DNSTimeout:
		dnsFault(dns.NoAnswer, nil)
	case DNSSlow:
		dnsFault(dns.Slow, nil)
	case DNSFailover:
		// A first-priority SRV target that refuses connections (an address
		// where nothing listens); RFC 6120 §3.2.1 step 9 moves on to the next.
		host := "dead." + f.Target
		if w.Net.HostByName(host) != nil {
			break // already failing over
		}
		w.extraHosts++
		deadAddr := fmt.Sprintf("10.0.9.%d", w.extraHosts)
		w.Zone.AddSRV(f.Target, dns.SRV{Target: host, Port: dns.DefaultPort, Priority: 0, Weight: 1})
		w.Zone.AddAddr(host, deadAddr)
		if _, err := w.Net.AddHost(host, deadAddr, nil); err != nil {
			return err
		}
	case TLSHandshakeFail:
		w.Net.Filters = append(w.Net.Filters, network.TLSFailure(f.Target, win))
	case Partition:
		w.Net.Filters = append(w.Net.Filters, network.Partition(f.Target, f.Peer, win))
	case BlackHole:
		w.Net.Filters = append(w.Net.Filters, network.BlackHole(f.Target, win))
	case ResetAfter:
		w.Net.Filters = append(w.Net.Filters, network.ResetAfter(f.Target, f.Peer, f.Bytes))
	case Latency:
		w.Net.SetLatency(f.Target, f.Peer, f.Delay)
		if f.Jitter > 0 {
			w.Net.SetJitter(f.Target, f.Peer, f.Jitter)
		}
	case Refuse:
		w.Sim.At(at, &worldEvent{w: w, fn: func() {
			w.TraceWorld(f.Target, "fault", "stops listening on port 5269: connections are refused")
			w.Node(f.Target).Host.Unlisten(dns.DefaultPort)
		}}, 0, 0)
		if end != 0 {
			w.Sim.At(end, &worldEvent{w: w, fn: func() {
				w.TraceWorld(f.Target, "fault-end", "listens on port 5269 again")
				w.Node(f.Target).Host.Listen(dns.DefaultPort)
			}}, 0, 0)
		}
	case Crash:
		w.Sim.At(at, &worldEvent{w: w, fn: func() { w.crash(f.Target) }}, 0, 0)
		if end != 0 {
			w.Sim.At(end, &worldEvent{w: w, fn: func() { w.restart(f.Target) }}, 0, 0)
		}
	}
	return nil
}

// worldEvent runs a closure at a scheduled time (faults are rare: the
// allocation does not matter).
type worldEvent struct {
	w  *World
	fn func()
}

func (e *worldEvent) HandleEvent(*sim.World, int64, int64) { e.fn() }

// TraceWorld adds an event record that belongs to no server's decisions
// (a fault starting, an attacker acting).
func (w *World) TraceWorld(node, event, detail string) {
	if w.Sim.Trace == nil {
		return
	}
	w.Sim.Trace.Add(sim.Record{Time: w.Sim.Now(), Kind: sim.KindEvent, Node: node, Event: event, Detail: detail})
}

// crash stops a server: its host goes dark and its state is discarded.
func (w *World) crash(domain string) {
	n := w.Node(domain)
	if n == nil {
		return
	}
	w.TraceWorld(domain, "fault", "crashes: every connection and all in-memory state are lost")
	w.Net.Crash(n.Host.Name)
	for tag, id := range n.timers {
		w.Sim.Cancel(id)
		delete(n.timers, tag)
	}
	n.answers = nil
	n.down = true
}

// restart brings a crashed server back with a fresh state.
func (w *World) restart(domain string) {
	n := w.Node(domain)
	if n == nil || !n.down {
		return
	}
	cfg := n.S.Config()
	s, err := nodes.New(cfg)
	if err != nil {
		panic("scenarios: rebuilding a server from its own valid config: " + err.Error())
	}
	s.Quiet = w.Sim.Trace == nil
	s.Arena = &w.arena
	n.S = s
	n.down = false
	n.epoch++
	w.Net.Restart(n.Host.Name)
	w.TraceWorld(domain, "fault-end", "restarts with empty state")
}
