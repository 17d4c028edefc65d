package scenarios

import (
	"fmt"
	"strings"

	"fedsim/network"
	"fedsim/network/ca"
	"fedsim/nodes"
	"fedsim/nodes/xmlstream"
)

// AttackKind names an attack of the security matrix.
type AttackKind string

const (
	// AttackDNSPoison: the attacker poisons DNS on both sides of a pair.
	// The receiver's resolver sends the initiating domain to the attacker,
	// whose impostor server then claims that domain and confirms its own
	// dialback keys as its "Authoritative Server"; the initiator's resolver
	// sends the receiving domain to a second impostor that receives (and
	// reads) what the initiator sends. XEP-0238 §1: verified federation "is
	// still subject to DNS poisoning attacks".
	AttackDNSPoison AttackKind = "dns-poison"
	// AttackStripSTARTTLS: an on-path attacker deletes <starttls/> from
	// stream features: a downgrade attack, which only a side that requires
	// TLS (mandatory-to-negotiate, RFC 6120 §5) resists.
	AttackStripSTARTTLS AttackKind = "strip-starttls"
	// AttackTLSIntercept: an on-path attacker terminates TLS with its own
	// certificate towards both ends.
	AttackTLSIntercept AttackKind = "tls-intercept"
)

// AttackKinds lists the kinds in display order.
var AttackKinds = []AttackKind{AttackDNSPoison, AttackStripSTARTTLS, AttackTLSIntercept}

// AttackOptions tunes an attack run.
type AttackOptions struct {
	Seed uint64
	// InterceptCert: "self-signed" (default) or "wrong-name" (issued by the
	// common CA to another name) for tls-intercept.
	InterceptCert string
	// Policies replaces presets' policies, as in PairOptions.
	Policies map[string]nodes.Policy
}

// AttackResult is one cell of a security matrix. Every field is computed
// from the run.
type AttackResult struct {
	Pair
	Kind AttackKind
	// Baseline is the pair's outcome without the attacker.
	Baseline nodes.Level
	// Outcome is the initiator's outcome under attack.
	Outcome nodes.Level
	// Impersonated: the receiver delivered a stanza the attacker forged in
	// the initiating domain's name.
	Impersonated bool
	// Read: the attacker saw a stanza the initiator's user sent.
	Read bool
	// Downgraded: the pair federated under attack at a weaker level than
	// without it (TLS stripped away).
	Downgraded bool
	// Denied: the attack made a working pair fail (the victim refused to
	// go on, which is the attack being stopped at the price of service).
	Denied bool
	// Stopped says, for what the attacker did not achieve, what stopped it.
	Stopped []string
	World   *World
}

// Verdict is a short cell label: what the attacker achieved, or "stopped".
func (r *AttackResult) Verdict() string {
	var parts []string
	if r.Impersonated {
		parts = append(parts, "impersonated")
	}
	if r.Read {
		parts = append(parts, "read")
	}
	if r.Downgraded {
		parts = append(parts, "downgraded")
	}
	if len(parts) > 0 {
		return strings.Join(parts, "+")
	}
	switch {
	case r.Denied:
		return "refused"
	case r.Baseline == nodes.LevelNone && r.Kind != AttackDNSPoison:
		return "no-federation"
	case r.Baseline == nodes.LevelVerified && r.Kind != AttackDNSPoison:
		return "plaintext"
	}
	return "stopped"
}

// Succeeded reports whether the attacker achieved anything.
func (r *AttackResult) Succeeded() bool { return r.Impersonated || r.Read || r.Downgraded }

// RunAttack runs one pair under one attack.
func RunAttack(kind AttackKind, p Pair, opt AttackOptions) (*AttackResult, error) {
	base, err := RunPair(p, PairOptions{Seed: opt.Seed, NoTrace: true, Policies: opt.Policies})
	if err != nil {
		return nil, err
	}
	p = base.Pair
	res := &AttackResult{Pair: p, Kind: kind, Baseline: base.Outcome}
	switch kind {
	case AttackDNSPoison:
		err = runDNSPoison(res, opt)
	case AttackStripSTARTTLS, AttackTLSIntercept:
		err = runOnPath(res, opt)
	default:
		return nil, fmt.Errorf("scenarios: unknown attack %q (want %s)", kind, attackNames())
	}
	return res, err
}

func attackNames() string {
	var s []string
	for _, k := range AttackKinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// RunAttackMatrix runs all 36 pairs under one attack.
func RunAttackMatrix(kind AttackKind, opt AttackOptions) ([]*AttackResult, error) {
	var out []*AttackResult
	for _, a := range Types {
		for _, b := range Types {
			r, err := RunAttack(kind, Pair{a, b}, opt)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// impostorPolicy is what an attacker's server runs: it speaks XMPP 1.0,
// negotiates TLS whenever offered, offers STARTTLS without requiring it,
// supports dialback and SASL, and accepts every level — whatever gets the
// victim to talk to it.
func impostorPolicy() nodes.Policy {
	return nodes.Policy{Version: nodes.XMPP10, StartTLS: nodes.TLSOffered, InitiateTLS: nodes.InitiateIfOffered,
		Dialback: true, SASL: nodes.SASLWhenCertValid,
		Accept: nodes.LevelSet(nodes.LevelVerified, nodes.LevelEncrypted, nodes.LevelTrusted)}
}

// addImpostor puts a server claiming domain on an attacker host. It holds a
// self-signed certificate in the domain's name (it cannot get the CA to
// issue one) and its own dialback secret (it does not know the victim's).
func addImpostor(w *World, domain, host, addr string, users []string) (*Node, error) {
	nb, na := certWindow()
	r := w.Sim.Stream("attacker/" + host)
	key := make([]byte, 16)
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	cert := ca.SelfSign(ca.Template{Subject: domain, DNSNames: []string{domain}, NotBefore: nb, NotAfter: na}, key)
	srv, err := nodes.New(nodes.Config{Domain: domain, Policy: impostorPolicy(), Cert: cert, Trust: ca.NewPool(),
		Secret: fmt.Sprintf("attacker-%x", key), Users: users, Rand: w.Sim.Stream("ids/" + host)})
	if err != nil {
		return nil, err
	}
	return w.AddServerAs(srv, host, addr)
}

func runDNSPoison(res *AttackResult, opt AttackOptions) error {
	p := res.Pair
	w, err := NewPairWorld(p, PairOptions{Seed: opt.Seed, Policies: opt.Policies})
	if err != nil {
		return err
	}
	from, to := p.Domains()
	res.World = w
	victimUser := strings.SplitN(Ping(p).Attr("from"), "/", 2)[0]
	fakeA, err := addImpostor(w, from, "mallory-as-"+from, "10.6.6.1", []string{strings.SplitN(victimUser, "@", 2)[0]})
	if err != nil {
		return err
	}
	fakeB, err := addImpostor(w, to, "mallory-as-"+to, "10.6.6.2", []string{strings.SplitN(Ping(p).Attr("to"), "@", 2)[0]})
	if err != nil {
		return err
	}
	// The receiver is told the initiating domain lives at the attacker's;
	// the initiator is told the same of the receiving domain.
	for _, f := range []Fault{
		{Kind: DNSPoison, Target: from, Observer: to, Addr: fakeA.Host.Addr},
		{Kind: DNSPoison, Target: to, Observer: from, Addr: fakeB.Host.Addr},
	} {
		if err := w.ApplyFault(f); err != nil {
			return err
		}
		w.Faults = append(w.Faults, f)
		w.TraceWorld(f.Observer, "attack", "DNS poisoned: "+f.String())
	}
	// The legitimate user pings as usual; the impostor forges a message in
	// the victim's name.
	w.Node(from).SendAt(0, Ping(p))
	forged := xmlstream.NewElement("message", "from", victimUser+"/forged", "id", "forged-1", "to", Ping(p).Attr("to"), "type", "chat")
	forged.AddChild(xmlstream.NewElement("body")).AddText("This message was forged by an attacker.")
	fakeA.SendAt(0, forged)
	w.Run(RunDeadline)

	for _, d := range w.Deliveries {
		switch {
		case d.Host == to && d.Stanza.Attr("id") == "forged-1":
			res.Impersonated = true
		case d.Host == fakeB.Host.Name && d.Stanza.Attr("id") == Ping(p).Attr("id"):
			res.Read = true
		}
	}
	for _, o := range w.Outcomes {
		if o.Host == from && o.From == from && o.To == to {
			res.Outcome = o.Level
		}
	}
	if !res.Impersonated {
		res.Stopped = append(res.Stopped, "impersonation: "+outcomeReason(w, fakeA.Host.Name, to, "the receiver accepted the impostor's stream but not its stanza"))
	}
	if !res.Read {
		res.Stopped = append(res.Stopped, "interception: "+outcomeReason(w, from, to, from+" never sent its stanza to the impostor"))
	}
	return nil
}

// outcomeReason finds why host's negotiation to domain failed, from the
// outcome notes in the trace.
func outcomeReason(w *World, host, domain, fallback string) string {
	for _, r := range w.Sim.Trace.Records {
		if r.Event == "outcome" && r.Node == host && r.Peer == domain && strings.Contains(r.Detail, ": U (") {
			return r.Detail[strings.Index(r.Detail, ": U (")+5 : len(r.Detail)-1]
		}
	}
	return fallback
}

func runOnPath(res *AttackResult, opt AttackOptions) error {
	p := res.Pair
	w, err := NewPairWorld(p, PairOptions{Seed: opt.Seed, Policies: opt.Policies})
	if err != nil {
		return err
	}
	res.World = w
	from, to := p.Domains()
	stripped := 0
	var read []string
	switch res.Kind {
	case AttackStripSTARTTLS:
		w.Net.Filters = append(w.Net.Filters, network.StripSTARTTLS(from, to, func(s *network.Segment) {
			stripped++
			w.TraceWorld("mallory", "attack", fmt.Sprintf("strips <starttls/> from the features %s sends on c%d", s.From, s.Conn))
		}))
	case AttackTLSIntercept:
		nb, na := certWindow()
		var asServer, asClient *ca.Cert
		switch opt.InterceptCert {
		case "", "self-signed":
			// Self-signed certificates in the names of the two ends.
			asServer = ca.SelfSign(ca.Template{Subject: to, DNSNames: []string{to}, NotBefore: nb, NotAfter: na}, []byte("mallory-s"))
			asClient = ca.SelfSign(ca.Template{Subject: from, DNSNames: []string{from}, NotBefore: nb, NotAfter: na}, []byte("mallory-c"))
		case "wrong-name":
			// A real certificate from the common CA, for the attacker's own name.
			asServer = w.rootCA.Issue(ca.Template{Subject: "mallory.example", DNSNames: []string{"mallory.example"}, NotBefore: nb, NotAfter: na})
			asClient = asServer
		default:
			return fmt.Errorf("scenarios: intercept certificate %q: want self-signed or wrong-name", opt.InterceptCert)
		}
		w.Net.Filters = append(w.Net.Filters, network.Intercept(from, to, asServer, asClient, func(s *network.Segment) {
			if b := string(s.Data); strings.HasPrefix(b, "<iq ") || strings.HasPrefix(b, "<message ") || strings.HasPrefix(b, "<presence ") {
				read = append(read, b)
				w.TraceWorld("mallory", "attack", fmt.Sprintf("reads inside TLS on c%d: %s", s.Conn, b))
			}
		}))
	}
	w.Node(from).SendAt(0, Ping(p))
	w.Run(RunDeadline)
	for _, o := range w.Outcomes {
		if o.Host == from && o.From == from && o.To == to {
			res.Outcome = o.Level
			break
		}
	}
	switch res.Kind {
	case AttackStripSTARTTLS:
		tlsBefore := res.Baseline == nodes.LevelEncrypted || res.Baseline == nodes.LevelTrusted
		res.Downgraded = tlsBefore && res.Outcome == nodes.LevelVerified
		res.Read = res.Downgraded
		switch {
		case res.Downgraded:
		case res.Baseline == nodes.LevelNone:
			res.Stopped = append(res.Stopped, "nothing to attack: the pair does not federate")
		case res.Baseline == nodes.LevelVerified:
			res.Stopped = append(res.Stopped, "nothing to strip: the pair never uses TLS (its traffic is plaintext anyway)")
		case res.Outcome == nodes.LevelNone:
			res.Denied = true
			res.Stopped = append(res.Stopped, "the downgrade: "+outcomeReason(w, from, to, "the pair refused to go on"))
		case stripped == 0:
			res.Stopped = append(res.Stopped, "no <starttls/> crossed the attacker")
		default:
			res.Stopped = append(res.Stopped, "the downgrade: TLS was negotiated anyway")
		}
	case AttackTLSIntercept:
		res.Read = len(read) > 0
		switch {
		case res.Read:
		case res.Baseline == nodes.LevelNone:
			res.Stopped = append(res.Stopped, "nothing to attack: the pair does not federate")
		case res.Baseline == nodes.LevelVerified:
			res.Stopped = append(res.Stopped, "no TLS to intercept (the pair's traffic is plaintext anyway)")
		case res.Outcome == nodes.LevelNone:
			res.Denied = true
			res.Stopped = append(res.Stopped, "interception: "+outcomeReason(w, from, to, "the pair refused to go on"))
		default:
			res.Stopped = append(res.Stopped, "interception: no stanza crossed the intercepted session")
		}
	}
	return nil
}
