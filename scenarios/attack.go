package scenarios

import (
	"fmt"
	"strings"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes"
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
	// AttackDialbackShortcut: an impostor claiming the initiating domain
	// connects to the receiver and, in place of a dialback key, sends
	// <db:result type='valid'/> — claiming its own key valid — then a
	// forged stanza. Only a receiver with the defect
	// dialback_trust_result believes it (the class of Metronome issue
	// #391).
	AttackDialbackShortcut AttackKind = "dialback-shortcut"
	// AttackPlaintextRetry: an on-path attacker resets every TLS handshake
	// between the pair; an initiator with the defect
	// tls_failure_retry_plaintext (Openfire 4.7 and earlier) connects
	// again without TLS, and the attacker reads its stanzas.
	AttackPlaintextRetry AttackKind = "plaintext-retry"
)

// AttackKindSpec is one attack kind: what the attacker does and which of an
// attack's settings it uses. attackSpecs holds one per kind, and the
// scenario loader, the CLI and the explorer read it.
type AttackKindSpec struct {
	Kind AttackKind
	// Intro says what the attacker does (the heading of fedsim attack).
	Intro string
	// Cert: the attacker presents a certificate of its choosing (the
	// scenario field cert, fedsim attack --cert).
	Cert bool
	// Forges: the attacker forges stanzas (forge, forge_at).
	Forges bool
	// NeedsTLS: the attack is on TLS, so a pair that never federates, or
	// federates without TLS, gives it nothing to attack (verdicts
	// no-federation and plaintext).
	NeedsTLS bool
	// Defect names the policy field (a bool, default false) that models
	// the server bug the attack exploits, and DefectSide whose policy it
	// is in ("initiator" or "receiver"): with AttackOptions.WithDefect the
	// matrix switches it on in that side's policy. "" for attacks on
	// correct servers.
	Defect, DefectSide string
	// Servers are the kinds of server fedsim attack runs against each
	// other by default (nil: Types).
	Servers []string
	_       struct{}
}

// attackSpecs is the attack vocabulary, in display order.
var attackSpecs = []AttackKindSpec{
	{Kind: AttackDNSPoison, Forges: true,
		Intro: "The attacker poisons the receiver's DNS for the initiating domain (and the initiator's for the receiving one), runs\n" +
			"impostor servers for both domains with self-signed certificates, forges a message in the initiating domain's name,\n" +
			"and confirms its own dialback keys as the \"Authoritative Server\"."},
	{Kind: AttackStripSTARTTLS, NeedsTLS: true,
		Intro: "An on-path attacker deletes <starttls/> from every <stream:features/> between the two servers."},
	{Kind: AttackTLSIntercept, NeedsTLS: true, Cert: true,
		Intro: "An on-path attacker terminates TLS towards both servers with certificates of its own."},
	{Kind: AttackDialbackShortcut, Forges: true, Defect: "dialback_trust_result", DefectSide: "receiver", Servers: withRealServers,
		Intro: "An impostor claiming the initiating domain (a self-signed certificate in its name) connects to the receiver, sends\n" +
			"<db:result type='valid'/> instead of a dialback key — claiming its own key valid — and forges a message in the\n" +
			"initiating domain's name. Only a receiver with the defect dialback_trust_result believes it (Metronome #391's class)."},
	{Kind: AttackPlaintextRetry, NeedsTLS: true, Defect: "tls_failure_retry_plaintext", DefectSide: "initiator", Servers: withRealServers,
		Intro: "An on-path attacker resets every TLS handshake between the two servers (their ClientHello never arrives); an initiator\n" +
			"with the defect tls_failure_retry_plaintext (Openfire 4.7 and earlier) connects again without TLS."},
}

// withRealServers is the six types and two real servers whose defaults
// use TLS opportunistically (docs/presets.md): the XEP's types use TLS
// either only when the peer requires it or always, so no downgrade shows
// among them alone.
var withRealServers = append(append([]string(nil), Types...), "openfire", "ejabberd-24")

// AttackKindSpecs returns the table of attack kinds, in display order.
func AttackKindSpecs() []AttackKindSpec { return append([]AttackKindSpec(nil), attackSpecs...) }

// AttackKindOf finds a kind's entry.
func AttackKindOf(k AttackKind) (AttackKindSpec, bool) {
	for _, s := range attackSpecs {
		if s.Kind == k {
			return s, true
		}
	}
	return AttackKindSpec{}, false
}

// AttackKinds lists the kinds in display order.
var AttackKinds = func() []AttackKind {
	var out []AttackKind
	for _, s := range attackSpecs {
		out = append(out, s.Kind)
	}
	return out
}()

// AttackKindNames lists the kinds' names in display order.
func AttackKindNames() []string {
	var out []string
	for _, k := range AttackKinds {
		out = append(out, string(k))
	}
	return out
}

// VerdictSpec is one word of an attack's verdict (AttackResult.Verdict).
type VerdictSpec struct {
	Name string
	// Help says what it means, for the docs and fedsim attack's legend.
	Help string
	// Achieved: something the attacker got; achievements combine in one
	// verdict ("impersonated+read"). The other verdicts stand alone.
	Achieved bool
	// holds decides the verdict from a result; the standalone ones
	// exclude each other.
	holds func(r *AttackResult, s AttackKindSpec) bool
	_     struct{}
}

// verdictSpecs is the table of verdicts, in display order.
var verdictSpecs = []VerdictSpec{
	{Name: "impersonated", Achieved: true, Help: "the receiver delivered a stanza the attacker forged in the initiating domain's name",
		holds: func(r *AttackResult, _ AttackKindSpec) bool { return r.Impersonated }},
	{Name: "read", Achieved: true, Help: "the attacker saw the stanza the initiator's user sent",
		holds: func(r *AttackResult, _ AttackKindSpec) bool { return r.Read }},
	{Name: "downgraded", Achieved: true, Help: "the pair federated without TLS, although it uses TLS without the attacker",
		holds: func(r *AttackResult, _ AttackKindSpec) bool { return r.Downgraded }},
	{Name: "refused", Help: "a victim refused to go on: the attack was stopped, and the pair does not federate",
		holds: func(r *AttackResult, _ AttackKindSpec) bool { return r.Denied }},
	{Name: "stopped", Help: "the attacker achieved nothing",
		holds: func(r *AttackResult, s AttackKindSpec) bool {
			return !r.Denied && !(s.NeedsTLS && r.Baseline <= nodes.LevelVerified)
		}},
	{Name: "plaintext", Help: "the pair never uses TLS: there is nothing to attack, and its traffic is readable anyway",
		holds: func(r *AttackResult, s AttackKindSpec) bool {
			return !r.Denied && s.NeedsTLS && r.Baseline == nodes.LevelVerified
		}},
	{Name: "no-federation", Help: "the pair does not federate even without the attacker",
		holds: func(r *AttackResult, s AttackKindSpec) bool {
			return !r.Denied && s.NeedsTLS && r.Baseline == nodes.LevelNone
		}},
}

// VerdictSpecs returns the table of verdicts, in display order.
func VerdictSpecs() []VerdictSpec { return append([]VerdictSpec(nil), verdictSpecs...) }

// Verdicts lists every verdict Verdict can give: each combination of
// achievements (one, then two, then all three, in table order), then the
// standalone verdicts.
func Verdicts() []string {
	var ach, rest []string
	for _, v := range verdictSpecs {
		if v.Achieved {
			ach = append(ach, v.Name)
		} else {
			rest = append(rest, v.Name)
		}
	}
	var out []string
	for size := 1; size <= len(ach); size++ {
		var pick func(from int, set []string)
		pick = func(from int, set []string) {
			if len(set) == size {
				out = append(out, strings.Join(set, "+"))
				return
			}
			for i := from; i < len(ach); i++ {
				pick(i+1, append(append([]string(nil), set...), ach[i]))
			}
		}
		pick(0, nil)
	}
	return append(out, rest...)
}

// AttackOptions tunes an attack run.
type AttackOptions struct {
	Seed uint64
	// InterceptCert: "self-signed" (default) or "wrong-name" (issued by the
	// common CA to another name) for tls-intercept.
	InterceptCert string
	// Policies replaces presets' policies, as in PairOptions.
	Policies map[string]nodes.Policy
	// WithDefect switches the attack kind's defect (AttackKindSpec.Defect)
	// on in its side's policy, for the run and its baseline; false leaves
	// the policies as they are (the defects default off).
	WithDefect bool
	// Servers are the kinds of server the matrix runs against each other
	// (XEP-0238 types and real-server presets; default Types).
	Servers []string
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

// Verdict is a short cell label: what the attacker achieved, or why not
// (the verdict table, VerdictSpecs).
func (r *AttackResult) Verdict() string {
	spec, _ := AttackKindOf(r.Kind)
	var parts []string
	for _, v := range verdictSpecs {
		if v.Achieved && v.holds(r, spec) {
			parts = append(parts, v.Name)
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, "+")
	}
	for _, v := range verdictSpecs {
		if !v.Achieved && v.holds(r, spec) {
			return v.Name
		}
	}
	return "stopped"
}

// Succeeded reports whether the attacker achieved anything.
func (r *AttackResult) Succeeded() bool { return r.Impersonated || r.Read || r.Downgraded }

// RunAttack runs one pair under one attack: the pair's fresh world, the
// attacker installed by InstallAttack, the XEP's ping at time zero.
func RunAttack(kind AttackKind, p Pair, opt AttackOptions) (*AttackResult, error) {
	cfg, p, err := PairConfig(p, PairOptions{Seed: opt.Seed, Policies: opt.Policies})
	if err != nil {
		return nil, err
	}
	switch opt.InterceptCert {
	case "", "self-signed", "wrong-name":
	default:
		return nil, fmt.Errorf("scenarios: intercept certificate %q: want self-signed or wrong-name", opt.InterceptCert)
	}
	if err := opt.applyDefect(kind, cfg); err != nil {
		return nil, err
	}
	from, to := p.Domains()
	cfg.Attacks = []AttackSpec{{Kind: kind, Initiator: from, Receiver: to, Cert: opt.InterceptCert}}
	if kind != AttackTLSIntercept {
		cfg.Attacks[0].Cert = ""
	}
	_, results, _, err := RunConfig(cfg)
	if err != nil {
		return nil, err
	}
	res := results[0]
	res.Pair = p
	return res, nil
}

func attackNames() string { return strings.Join(AttackKindNames(), ", ") }

// applyDefect switches kind's defect on in the policy of its side of a
// pair's config (cfg.Servers[0] initiates, [1] receives), when opt asks.
func (opt AttackOptions) applyDefect(kind AttackKind, cfg *Config) error {
	spec, _ := AttackKindOf(kind)
	if !opt.WithDefect || spec.Defect == "" {
		return nil
	}
	f, ok := nodes.PolicyFieldByName(spec.Defect)
	if !ok {
		return fmt.Errorf("scenarios: attack %s: no policy field %q", kind, spec.Defect)
	}
	i := 0
	if spec.DefectSide == "receiver" {
		i = 1
	}
	return f.Set(&cfg.Servers[i].Policy, "true")
}

// MatrixServers is the matrix's kinds of server: opt.Servers, or Types.
func (opt AttackOptions) MatrixServers() []string {
	if len(opt.Servers) > 0 {
		return opt.Servers
	}
	return Types
}

// RunAttackMatrix runs every pair of opt.MatrixServers() (by default the
// 36 pairs of XEP-0238 types) under one attack, row by row.
func RunAttackMatrix(kind AttackKind, opt AttackOptions) ([]*AttackResult, error) {
	var out []*AttackResult
	servers := opt.MatrixServers()
	for _, a := range servers {
		for _, b := range servers {
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
	return addImpostorAs(w, domain, host, addr, users, impostorPolicy(), nodes.NotBroken)
}

// addImpostorAs is addImpostor with the impostor's policy and the rule it
// breaks on purpose (the dialback-shortcut impostor's forged result).
func addImpostorAs(w *World, domain, host, addr string, users []string, pol nodes.Policy, broken nodes.BrokenRule) (*Node, error) {
	nb, na := certWindow()
	r := w.Sim.Stream("attacker/" + host)
	key := make([]byte, 16)
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	cert := ca.SelfSign(ca.Template{Subject: domain, DNSNames: []string{domain}, NotBefore: nb, NotAfter: na}, key)
	srv, err := nodes.New(nodes.Config{Domain: domain, Policy: pol, Cert: cert, Trust: ca.NewPool(),
		Secret: fmt.Sprintf("attacker-%x", key), Users: users, Rand: w.Sim.Stream("ids/" + host), Broken: broken})
	if err != nil {
		return nil, err
	}
	return w.AddServerAs(srv, host, addr)
}

// outcomeReason finds why host's negotiation to domain failed, from the
// outcomes the world collected (typed: with or without a trace).
func outcomeReason(w *World, host, domain, fallback string) string {
	for _, o := range w.Outcomes {
		if o.Host == host && o.To == domain && o.Level == nodes.LevelNone {
			return o.Reason
		}
	}
	return fallback
}
