package scenarios

import (
	"fmt"
	"strings"

	"github.com/fedsim/fedsim/nodes"
)

// The DNS-poisoning matrix with DNSSEC and DANE (issue 15): the same
// attack as fedsim attack dns-poison — impostors for both domains, each
// victim's resolver poisoned for the other — run against deployments of
// DNSSEC and DANE, for each XEP-0238 type talking to its own kind. It
// shows impersonation stopped by signatures alone, with no public CA, and
// where a poisoner who cannot forge signatures still wins: a zone that is
// not signed, a resolver that does not validate.

// Deployment is one row of the DNSSEC matrix: what the zones publish and
// what the servers' resolvers and policies do with it.
type Deployment struct {
	Name string
	// Help says what it is, for the legend.
	Help string
	// Signed zones; TLSA records (dane-ee) for servers with a certificate.
	Signed bool
	TLSA   string
	// Validate: the servers' resolvers validate (policy dnssec=validate).
	Validate bool
	// DANE is the policy dane for servers that use TLS.
	DANE nodes.DANEMode
	_    struct{}
}

// Deployments are the rows, in display order.
var Deployments = []Deployment{
	{Name: "none", Help: "no zone signed, no resolver validates: XEP-0238's world"},
	{Name: "signed-only", Signed: true, Help: "zones signed, but the resolvers do not validate"},
	{Name: "validate-only", Validate: true, Help: "resolvers validate, but the zones are not signed (provably insecure)"},
	{Name: "dnssec", Signed: true, Validate: true, Help: "zones signed and resolvers validating"},
	{Name: "dnssec+dane", Signed: true, Validate: true, TLSA: "dane-ee", DANE: nodes.DANEAccept, Help: "and TLSA 3 1 1 records, policy dane=accept"},
	{Name: "dane-require-unsigned", Validate: true, DANE: nodes.DANERequire, Help: "dane=require, zones not signed: no usable TLSA anywhere"},
}

// DeploymentByName finds a row.
func DeploymentByName(name string) (Deployment, bool) {
	for _, d := range Deployments {
		if d.Name == name {
			return d, true
		}
	}
	return Deployment{}, false
}

// Apply puts the deployment into cfg: every server's zone, TLSA records
// and policy. Servers that never use TLS (XEP-0238's type1) keep dane off
// and publish no TLSA: they have no certificate to authenticate.
func (d Deployment) Apply(cfg *Config) {
	for i := range cfg.Servers {
		sv := &cfg.Servers[i]
		sv.Signed = d.Signed
		if d.Validate {
			sv.Policy.DNSSEC = nodes.DNSSECValidate
		}
		usesTLS := sv.Policy.StartTLS != nodes.TLSNotOffered || sv.Policy.InitiateTLS != nodes.InitiateNever
		hasCert := sv.Certificate != "none" && !(sv.Certificate == "" && sv.CertKind == nodes.CertNone)
		if d.TLSA != "" && hasCert {
			sv.TLSA = d.TLSA
		}
		if d.DANE != nodes.DANEOff && usesTLS {
			sv.Policy.DANE = d.DANE
		}
	}
}

// DNSSECCell is one cell: a type talking to its own kind under the
// deployment, with and without the attacker.
type DNSSECCell struct {
	Deployment string
	Type       string
	*AttackResult
	// Why says, computed from the run, why the impersonation succeeded or
	// what stopped it; ReadWhy the same for the interception.
	Why, ReadWhy string
}

// RunDNSSECMatrix runs every deployment against every type, under one
// attack: dns-poison, or an on-path one (strip-starttls, tls-intercept),
// which DANE's TLSA records answer too (RFC 7673 §2.4: TLS mandatory, and
// the certificate must match).
func RunDNSSECMatrix(kind AttackKind, opt AttackOptions) ([]*DNSSECCell, error) {
	var out []*DNSSECCell
	for _, d := range Deployments {
		for _, t := range Types {
			c, err := RunDNSSECCell(kind, d, t, opt)
			if err != nil {
				return out, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// RunDNSSECCell runs one cell.
func RunDNSSECCell(kind AttackKind, d Deployment, typ string, opt AttackOptions) (*DNSSECCell, error) {
	cfg, p, err := PairConfig(Pair{typ, typ}, PairOptions{Seed: opt.Seed, Policies: opt.Policies})
	if err != nil {
		return nil, err
	}
	d.Apply(cfg)
	from, to := p.Domains()
	cfg.Attacks = []AttackSpec{{Kind: kind, Initiator: from, Receiver: to, Cert: opt.InterceptCert}}
	if kind != AttackTLSIntercept {
		cfg.Attacks[0].Cert = ""
	}
	w, results, _, err := RunConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %s under %s: %w", typ, d.Name, err)
	}
	res := results[0]
	res.Pair = p
	c := &DNSSECCell{Deployment: d.Name, Type: typ, AttackResult: res}
	// The receiver looked the initiating domain up to verify the
	// impostor's dialback key; the initiator looked the receiving domain
	// up to connect.
	recHost, iniHost := w.Node(to).Host.Name, w.Node(from).Host.Name
	if kind == AttackDNSPoison {
		c.Why = poisonWhy(w, recHost, from, res.Impersonated, strings.TrimPrefix(firstStopped(res, "impersonation: "), "impersonation: "))
		c.ReadWhy = poisonWhy(w, iniHost, to, res.Read, strings.TrimPrefix(firstStopped(res, "interception: "), "interception: "))
		return c, nil
	}
	// On the path: what the initiator made of the receiver it reached.
	c.Why = "an on-path attacker forges nothing in this attack"
	switch {
	case res.Read:
		auth := "nothing"
		for _, o := range w.Outcomes {
			if o.Host == iniHost && o.To == to && o.Level != nodes.LevelNone {
				auth = o.ReceiverAuth.String()
				break
			}
		}
		c.ReadWhy = fmt.Sprintf("%s went on with the receiver authenticated by %s, at %s", from, auth, res.Outcome.Letter())
	default:
		var why []string
		for _, s := range res.Stopped {
			why = append(why, strings.TrimPrefix(s, "interception: "))
		}
		c.ReadWhy = orText(strings.Join(why, "; "), "the attacker read nothing")
	}
	return c, nil
}

func firstStopped(r *AttackResult, prefix string) string {
	for _, s := range r.Stopped {
		if strings.HasPrefix(s, prefix) {
			return s
		}
	}
	return ""
}

// poisonWhy explains from host's DNS answers for domain why the poison
// worked (won) or not. When DNS was not what decided — the poison was
// believed and something else stopped the attacker — it says that thing
// (other, from the outcomes).
func poisonWhy(w *World, host, domain string, won bool, other string) string {
	var last *DNSAnswer
	for i := range w.DNSAnswers {
		if a := &w.DNSAnswers[i]; a.Host == host && a.Domain == domain && a.Poisoned {
			last = a
		}
	}
	if last == nil {
		if won {
			return "the poisoned answer was used"
		}
		return orText(other, host+" never asked for "+domain)
	}
	switch {
	case last.Bogus:
		return "DNSSEC: " + host + " found the poisoned answer for " + domain + " bogus (" + last.Why + ") and got SERVFAIL"
	case won && last.Security == 0:
		return host + "'s resolver does not validate: it believed the poisoned answer for " + domain
	case won:
		return host + " validates, but " + domain + "'s answer is " + last.Security.String() + ": " + last.Why
	}
	believed := "believed"
	if last.Security != 0 {
		believed += " (" + last.Security.String() + ")"
	}
	return "the poisoned answer was " + believed + ", but: " + orText(other, "the attacker got nothing from it")
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
