package scenarios

// This file generalises the attacks of attack.go from the XEP-0238 pair
// world to any World, so that scenario files (package scenarios/spec) can
// place an attacker between two servers of their own, next to their own
// faults and traffic. RunAttack uses it for the XEP pairs too.

import (
	"fmt"
	"strings"
	"time"

	"github.com/fedsim/fedsim/network"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/sim"
)

// CertWindow is the validity window fedsim gives certificates and
// authorities unless told otherwise: from 30 days before sim.Epoch to 365
// days after it.
func CertWindow() (notBefore, notAfter time.Time) { return certWindow() }

// IsCertFault reports whether k is applied when certificates are made
// (Build) rather than at run time (World.ApplyFault).
func IsCertFault(k FaultKind) bool { return isCertFault(k) }

// AddImpostor puts a server that claims domain on an attacker's host: it
// holds a self-signed certificate in the domain's name (no CA would issue
// it one), its own dialback secret (it does not know the victim's) and a
// policy that accepts whatever gets the victim to talk to it.
func AddImpostor(w *World, domain, host, addr string, users []string) (*Node, error) {
	return addImpostor(w, domain, host, addr, users)
}

// AddShortcutImpostor puts the dialback-shortcut attacker's server on an
// attacker's host: an impostor claiming domain (as AddImpostor's) that
// sends <db:result type='valid'/> instead of a dialback key and falls back
// to dialback after a failed SASL EXTERNAL. Only a receiver with the defect
// dialback_trust_result believes it.
func AddShortcutImpostor(w *World, domain, host, addr string, users []string) (*Node, error) {
	pol := impostorPolicy()
	pol.SASLFallback = true
	return addImpostorAs(w, domain, host, addr, users, pol, nodes.ClaimDialbackValid)
}

// AttackPlan places one attack of the security matrix between two servers
// of any world.
type AttackPlan struct {
	Kind AttackKind
	// Initiator and Receiver are the victims' domains: the initiator's
	// traffic to the receiver is what the attacker wants to read, and the
	// initiator's domain is the one it wants to impersonate.
	Initiator, Receiver string
	// Forged is the stanza a dns-poison impostor sends in the initiating
	// domain's name (nil: a chat message from the initiator's first user to
	// the receiver's first user, id "forged-1"). ForgeAt is when (virtual
	// time; default 0).
	Forged  *xmlstream.Element
	ForgeAt time.Duration
	// ImpostorAddrs are the addresses of the dns-poison impostors for the
	// initiating and the receiving domain (default 10.6.6.1 and 10.6.6.2).
	ImpostorAddrs [2]string
	// AsServer and AsClient are the certificates a tls-intercept attacker
	// shows the initiator and the receiver (nil: self-signed in the names of
	// the ends it impersonates).
	AsServer, AsClient *ca.Cert
}

// Attack is an attack installed in a world; after the run, Result reads
// what it achieved.
type Attack struct {
	Plan AttackPlan
	// Impostors are the dns-poison attacker's servers (claiming the
	// initiating and the receiving domain), nil for on-path attacks.
	Impostors [2]*Node
	w         *World
	stripped  int
	broken    int // plaintext-retry: TLS handshakes reset
	read      []string
}

// breakTLS is the plaintext-retry attacker between hosts a and b: it
// resets every connection whose TLS handshake starts (the ClientHello,
// STARTTLS or Direct TLS, never arrives), calling onBreak, and calls onRead
// with every stanza that crosses in plaintext.
func breakTLS(a, b string, onBreak, onRead func(s *network.Segment)) network.Filter {
	return network.Filter{Name: "TLS breaker", F: func(n *network.Net, s *network.Segment) network.Action {
		if (s.From != a || s.To != b) && (s.From != b || s.To != a) {
			return network.Pass
		}
		switch {
		case s.Kind == network.KindClientHello:
			onBreak(s)
			return network.Reset
		case s.Kind == network.KindData && !s.Encrypted && isStanza(s.Data):
			onRead(s)
		}
		return network.Pass
	}}
}

// isStanza reports whether a write starts with a stanza (RFC 6120 §8).
func isStanza(b []byte) bool {
	t := string(b)
	return strings.HasPrefix(t, "<iq ") || strings.HasPrefix(t, "<message ") || strings.HasPrefix(t, "<presence ")
}

// ImpostorHost names the host of a dns-poison impostor claiming domain.
func ImpostorHost(domain string) string { return "mallory-as-" + domain }

// InstallAttack adds the attacker to w: impostors and poisoned DNS for
// dns-poison, an on-path filter for strip-starttls and tls-intercept. Call
// it after the servers are added, then Launch, then Run.
func (w *World) InstallAttack(p AttackPlan) (*Attack, error) {
	ini, rec := w.Node(p.Initiator), w.Node(p.Receiver)
	if ini == nil || rec == nil {
		return nil, fmt.Errorf("scenarios: attack %s: %s and %s must both be servers of this world", p.Kind, p.Initiator, p.Receiver)
	}
	a := &Attack{Plan: p, w: w}
	switch p.Kind {
	case AttackDNSPoison:
		addrs := p.ImpostorAddrs
		if addrs[0] == "" {
			addrs[0] = "10.6.6.1"
		}
		if addrs[1] == "" {
			addrs[1] = "10.6.6.2"
		}
		var err error
		if a.Impostors[0], err = addImpostor(w, p.Initiator, ImpostorHost(p.Initiator), addrs[0], ini.S.Config().Users); err != nil {
			return nil, err
		}
		if a.Impostors[1], err = addImpostor(w, p.Receiver, ImpostorHost(p.Receiver), addrs[1], rec.S.Config().Users); err != nil {
			return nil, err
		}
		for _, f := range []Fault{
			{Kind: DNSPoison, Target: p.Initiator, Observer: p.Receiver, Addr: addrs[0]},
			{Kind: DNSPoison, Target: p.Receiver, Observer: p.Initiator, Addr: addrs[1]},
		} {
			if err := w.ApplyFault(f); err != nil {
				return nil, err
			}
			w.Faults = append(w.Faults, f)
			w.TraceWorld(f.Observer, "attack", "DNS poisoned: "+f.String())
		}
		if a.Plan.Forged == nil {
			a.Plan.Forged = defaultForgery(ini, rec)
		}
	case AttackDialbackShortcut:
		addr := p.ImpostorAddrs[0]
		if addr == "" {
			addr = "10.6.6.1"
		}
		// The impostor falls back to dialback after a failed SASL EXTERNAL
		// (a receiver that offers EXTERNAL on every TLS stream judges its
		// self-signed certificate at <auth/>), and then forges the result.
		var err error
		if a.Impostors[0], err = AddShortcutImpostor(w, p.Initiator, ImpostorHost(p.Initiator), addr, ini.S.Config().Users); err != nil {
			return nil, err
		}
		w.TraceWorld(ImpostorHost(p.Initiator), "attack", fmt.Sprintf("an impostor claiming %s will send %s <db:result type='valid'/> instead of a dialback key", p.Initiator, p.Receiver))
		if a.Plan.Forged == nil {
			a.Plan.Forged = defaultForgery(ini, rec)
		}
	case AttackPlaintextRetry:
		w.Net.Filters = append(w.Net.Filters, breakTLS(ini.Host.Name, rec.Host.Name, func(s *network.Segment) {
			a.broken++
			w.TraceWorld("mallory", "attack", fmt.Sprintf("resets c%d: the ClientHello %s sends never arrives", s.Conn, s.From))
		}, func(s *network.Segment) {
			a.read = append(a.read, string(s.Data))
			w.TraceWorld("mallory", "attack", fmt.Sprintf("reads in plaintext on c%d: %s", s.Conn, s.Data))
		}))
	case AttackStripSTARTTLS:
		w.Net.Filters = append(w.Net.Filters, network.StripSTARTTLS(ini.Host.Name, rec.Host.Name, func(s *network.Segment) {
			a.stripped++
			w.TraceWorld("mallory", "attack", fmt.Sprintf("strips <starttls/> from the features %s sends on c%d", s.From, s.Conn))
		}))
	case AttackTLSIntercept:
		nb, na := certWindow()
		asServer, asClient := p.AsServer, p.AsClient
		if asServer == nil {
			asServer = ca.SelfSign(ca.Template{Subject: p.Receiver, DNSNames: []string{p.Receiver}, NotBefore: nb, NotAfter: na}, []byte("mallory-s"))
		}
		if asClient == nil {
			asClient = ca.SelfSign(ca.Template{Subject: p.Initiator, DNSNames: []string{p.Initiator}, NotBefore: nb, NotAfter: na}, []byte("mallory-c"))
		}
		w.Net.Filters = append(w.Net.Filters, network.Intercept(ini.Host.Name, rec.Host.Name, asServer, asClient, func(s *network.Segment) {
			if isStanza(s.Data) {
				a.read = append(a.read, string(s.Data))
				w.TraceWorld("mallory", "attack", fmt.Sprintf("reads inside TLS on c%d: %s", s.Conn, s.Data))
			}
		}))
	default:
		return nil, fmt.Errorf("scenarios: unknown attack %q (want %s)", p.Kind, attackNames())
	}
	return a, nil
}

// Launch schedules what the attacker does of its own accord: the
// dns-poison impostor's forged stanza. Call it after the victims' own
// traffic is scheduled, so that at equal times the victims go first (as in
// RunAttack).
func (a *Attack) Launch() {
	if a.Plan.Kind == AttackDNSPoison || a.Plan.Kind == AttackDialbackShortcut {
		a.Impostors[0].SendAt(sim.Time(a.Plan.ForgeAt), a.Plan.Forged)
	}
}

// defaultForgery is the message RunAttack's impostor forges: from the
// initiating domain's first user to the receiving domain's first user.
func defaultForgery(ini, rec *Node) *xmlstream.Element {
	from, to := "user@"+ini.S.Domain(), "user@"+rec.S.Domain()
	if u := ini.S.Config().Users; len(u) > 0 {
		from = u[0] + "@" + ini.S.Domain()
	}
	if u := rec.S.Config().Users; len(u) > 0 {
		to = u[0] + "@" + rec.S.Domain()
	}
	forged := xmlstream.NewElement("message", "from", from+"/forged", "id", "forged-1", "to", to, "type", "chat")
	forged.AddChild(xmlstream.NewElement("body")).AddText("This message was forged by an attacker.")
	return forged
}

// Result reads what the attack achieved in the finished world. baseline is
// the initiator's outcome towards the receiver in the same world without
// the attacker (strip-starttls and tls-intercept verdicts depend on it).
func (a *Attack) Result(baseline nodes.Level) *AttackResult {
	w, p := a.w, a.Plan
	res := &AttackResult{Pair: Pair{Initiator: p.Initiator, Receiver: p.Receiver}, Kind: p.Kind, Baseline: baseline, World: w}
	iniHost := w.Node(p.Initiator).Host.Name
	recHost := w.Node(p.Receiver).Host.Name
	for _, o := range w.Outcomes {
		if o.Host == iniHost && o.From == p.Initiator && o.To == p.Receiver {
			res.Outcome = o.Level
			break
		}
	}
	switch p.Kind {
	case AttackDNSPoison:
		type key struct{ from, id string }
		sentByVictim := map[key]bool{}
		for _, s := range w.Sent {
			if s.Host == iniHost {
				sentByVictim[key{s.Stanza.Attr("from"), s.Stanza.Attr("id")}] = true
			}
		}
		for _, d := range w.Deliveries {
			switch {
			case d.Host == recHost && d.Stanza.Attr("id") == p.Forged.Attr("id") && d.Stanza.Attr("from") == p.Forged.Attr("from"):
				res.Impersonated = true
			case d.Host == a.Impostors[1].Host.Name && sentByVictim[key{d.Stanza.Attr("from"), d.Stanza.Attr("id")}]:
				res.Read = true
			}
		}
		if !res.Impersonated {
			res.Stopped = append(res.Stopped, "impersonation: "+outcomeReason(w, a.Impostors[0].Host.Name, p.Receiver, "the receiver accepted the impostor's stream but not its stanza"))
		}
		if !res.Read {
			res.Stopped = append(res.Stopped, "interception: "+outcomeReason(w, iniHost, p.Receiver, p.Initiator+" never sent its stanza to the impostor"))
		}
	case AttackStripSTARTTLS:
		a.downgradeResult(res, baseline, false, a.stripped, "nothing to strip", "no <starttls/> crossed the attacker", "TLS was negotiated anyway")
	case AttackDialbackShortcut:
		for _, d := range w.Deliveries {
			if d.Host == recHost && d.Stanza.Attr("id") == p.Forged.Attr("id") && d.Stanza.Attr("from") == p.Forged.Attr("from") {
				res.Impersonated = true
			}
		}
		if !res.Impersonated {
			res.Stopped = append(res.Stopped, "impersonation: "+a.refusal(recHost, a.Impostors[0].Host.Name, p.Receiver))
		}
	case AttackPlaintextRetry:
		a.downgradeResult(res, baseline, len(a.read) > 0, a.broken, "no TLS to break", "no TLS handshake crossed the attacker", "the pair federated at "+res.Outcome.Letter()+" anyway")
	case AttackTLSIntercept:
		res.Read = len(a.read) > 0
		switch {
		case res.Read:
		case baseline == nodes.LevelNone:
			res.Stopped = append(res.Stopped, "nothing to attack: the pair does not federate")
		case baseline == nodes.LevelVerified:
			res.Stopped = append(res.Stopped, "no TLS to intercept (the pair's traffic is plaintext anyway)")
		case res.Outcome == nodes.LevelNone:
			res.Denied = true
			res.Stopped = append(res.Stopped, "interception: "+outcomeReason(w, iniHost, p.Receiver, "the pair refused to go on"))
		default:
			res.Stopped = append(res.Stopped, "interception: no stanza crossed the intercepted session")
		}
	}
	return res
}

// downgradeResult reads the verdict of an attack that wants the pair in
// plaintext (strip-starttls, plaintext-retry): downgraded when a pair that
// uses TLS without the attacker ends at V, read when it is downgraded (or,
// with sawStanza, when the attacker saw a stanza cross in plaintext).
// acts counts what the attacker did (stripped offers, reset handshakes);
// the texts say why nothing happened: the pair never used TLS (noTLS), the
// attacker never acted (idle), or the pair kept TLS (kept).
func (a *Attack) downgradeResult(res *AttackResult, baseline nodes.Level, sawStanza bool, acts int, noTLS, idle, kept string) {
	tlsBefore := baseline == nodes.LevelEncrypted || baseline == nodes.LevelTrusted
	res.Downgraded = tlsBefore && res.Outcome == nodes.LevelVerified
	res.Read = res.Downgraded || tlsBefore && sawStanza
	switch {
	case res.Downgraded || res.Read:
	case baseline == nodes.LevelNone:
		res.Stopped = append(res.Stopped, "nothing to attack: the pair does not federate")
	case baseline == nodes.LevelVerified:
		res.Stopped = append(res.Stopped, noTLS+": the pair never uses TLS (its traffic is plaintext anyway)")
	case res.Outcome == nodes.LevelNone:
		res.Denied = true
		res.Stopped = append(res.Stopped, "the downgrade: "+outcomeReason(a.w, a.w.Node(a.Plan.Initiator).Host.Name, a.Plan.Receiver, "the pair refused to go on"))
	case acts == 0:
		res.Stopped = append(res.Stopped, idle)
	default:
		res.Stopped = append(res.Stopped, "the downgrade: "+kept)
	}
}

// refusal says why host refused the impostor's stream, from host's own
// stream-error notes on the impostor's connections (the trace), or else
// from the impostor's outcome.
func (a *Attack) refusal(host, impostor, domain string) string {
	w := a.w
	if w.Sim.Trace != nil {
		conns := map[int64]bool{}
		for _, r := range w.Sim.Trace.Records {
			if r.Node == impostor && r.Conn != 0 {
				conns[int64(r.Conn)] = true
			}
		}
		for _, r := range w.Sim.Trace.Records {
			if r.Node == host && r.Kind == sim.KindEvent && r.Event == "stream-error" && conns[int64(r.Conn)] {
				return r.Detail
			}
		}
	}
	return outcomeReason(w, impostor, domain, "the receiver accepted the impostor's stream but not its stanza")
}
