package teach

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fedsim/network"
	"fedsim/network/ca"
	"fedsim/nodes"
	"fedsim/scenarios"
)

// The two roles of a pair, as indexes into Config.Sides and Result.Policies.
const (
	Initiating = 0
	Receiving  = 1
)

// Certificate kinds a Side can ask for (nodes.CertKind's names).
const (
	CertNone       = "none"
	CertSelfSigned = "self-signed"
	CertCAIssued   = "CA-issued"
)

// CertKinds lists the kinds in display order.
var CertKinds = []string{CertNone, CertSelfSigned, CertCAIssued}

// Side overrides one server of the pair.
type Side struct {
	// Policy replaces the preset's policy (nil: keep it).
	Policy *nodes.Policy
	// Cert replaces the kind of certificate the server holds: "none",
	// "self-signed" or "CA-issued" ("": the preset's). Certificate faults
	// (cert-expired, cert-wrong-name, …) still apply to the new one.
	Cert string
}

// Config is one run of a pair with everything a learner may change.
type Config struct {
	// Initiator and Receiver are preset names ("type1" … "type6", or "1" … "6").
	Initiator, Receiver string
	// Seed is the master seed (default 0 is a valid seed; the CLI uses 1).
	Seed uint64
	// Sides are the overrides for the initiating and receiving server.
	Sides [2]Side
	// Faults are injected as in scenarios.PairOptions.
	Faults []scenarios.Fault
	// Attack places an attacker between the two servers ("": none).
	Attack scenarios.AttackKind
	// Fragment is how writes are cut into segments on the wire: "" or
	// "whole", "random" (up to four pieces, from the world's seed) or
	// "byte". Receivers parse incrementally, so only the wire changes.
	Fragment string

	// quiet runs without a trace (counterfactuals need only the outcome).
	quiet bool
	_     struct{}
}

// Result is what one run produced, read from its world.
type Result struct {
	Config Config
	Pair   scenarios.Pair
	// From and To are the initiating and receiving domains.
	From, To string
	// Presets, Policies and Certs are what each side actually ran with.
	Presets  [2]nodes.Preset
	Policies [2]nodes.Policy
	Certs    [2]string
	// PairReading holds the forward and reverse stream levels, why the
	// forward one failed, whether ping and answer got through and the
	// error the sender got: read by scenarios.World.ReadPair, as the
	// matrix reads its cells.
	scenarios.PairReading
	// Attack is the attack's verdict when Config.Attack is set.
	Attack *scenarios.AttackResult
	World  *scenarios.World
	// Events is how many kernel events the run processed.
	Events int
}

// Fragments are the values Config.Fragment takes.
var Fragments = []string{"whole", "random", "byte"}

// segmenter maps Config.Fragment to the network's segmenter.
func segmenter(fragment string) (network.Segmenter, error) {
	switch fragment {
	case "", "whole":
		return nil, nil
	case "random":
		return network.RandomSplit, nil
	case "byte":
		return network.OneByte, nil
	}
	return nil, fmt.Errorf("teach: fragment %q: want %s", fragment, strings.Join(Fragments, ", "))
}

// Run builds the pair's world as scenarios.NewPairWorld does, swaps in the
// overridden policies and certificates, runs the initiator's ping and
// reads the result. With no overrides and no attack, the trace is the one
// scenarios.RunPair produces, byte for byte (TestRunMatchesRunPair).
func Run(cfg Config) (*Result, error) {
	ip, ok := nodes.PresetByName(cfg.Initiator)
	if !ok {
		return nil, fmt.Errorf("teach: unknown initiating type %q (want %s)", cfg.Initiator, nodes.PresetNames())
	}
	rp, ok := nodes.PresetByName(cfg.Receiver)
	if !ok {
		return nil, fmt.Errorf("teach: unknown receiving type %q (want %s)", cfg.Receiver, nodes.PresetNames())
	}
	cfg.Initiator, cfg.Receiver = ip.Name, rp.Name
	p := scenarios.Pair{Initiator: ip.Name, Receiver: rp.Name}
	from, to := p.Domains()
	res := &Result{Config: cfg, Pair: p, From: from, To: to, Presets: [2]nodes.Preset{ip, rp}}
	for i, s := range cfg.Sides {
		res.Policies[i] = res.Presets[i].Policy
		if s.Policy != nil {
			res.Policies[i] = *s.Policy
		}
		res.Certs[i] = res.Presets[i].Cert.String()
		if s.Cert != "" {
			if !validCert(s.Cert) {
				return nil, fmt.Errorf("teach: certificate kind %q: want %s", s.Cert, strings.Join(CertKinds, ", "))
			}
			res.Certs[i] = s.Cert
		}
		if err := res.Policies[i].Validate(); err != nil {
			return nil, fmt.Errorf("teach: %s policy of %s: %w", roleName(i), []string{from, to}[i], err)
		}
	}
	seg, err := segmenter(cfg.Fragment)
	if err != nil {
		return nil, err
	}
	w, err := scenarios.NewPairWorld(p, scenarios.PairOptions{Seed: cfg.Seed, Faults: cfg.Faults, Segmenter: seg,
		NoTrace: cfg.quiet && cfg.Attack == ""}) // Attack.Result reads the trace
	if err != nil {
		return nil, fmt.Errorf("teach: %w", err)
	}
	if err := override(w, res); err != nil {
		return nil, err
	}
	var attack *scenarios.Attack
	if cfg.Attack != "" {
		attack, err = w.InstallAttack(scenarios.AttackPlan{Kind: cfg.Attack, Initiator: from, Receiver: to})
		if err != nil {
			return nil, fmt.Errorf("teach: %w", err)
		}
	}
	w.Node(from).SendAt(0, scenarios.Ping(p))
	if attack != nil {
		attack.Launch()
	}
	res.Events = w.Run(scenarios.RunDeadline)
	res.World = w
	res.PairReading = res.World.ReadPair(res.From, res.To)
	if attack != nil {
		base := cfg
		base.Attack, base.quiet = "", true
		b, err := Run(base)
		if err != nil {
			return nil, err
		}
		res.Attack = attack.Result(b.Outcome)
	}
	return res, nil
}

func validCert(k string) bool {
	for _, c := range CertKinds {
		if c == k {
			return true
		}
	}
	return false
}

func roleName(i int) string {
	if i == Initiating {
		return "initiating"
	}
	return "receiving"
}

// override replaces the servers whose policy or certificate kind the
// config changes. A server that has not run yet holds no state but its
// config, so rebuilding it from a changed config is the same as having
// built it that way (the secret and id stream are kept, so the rest of the
// run draws the same numbers).
func override(w *scenarios.World, res *Result) error {
	domains := [2]string{res.From, res.To}
	var root *ca.Authority
	for i, s := range res.Config.Sides {
		if s.Policy == nil && s.Cert == "" {
			continue
		}
		n := w.Node(domains[i])
		nc := n.S.Config()
		nc.Policy = res.Policies[i]
		if s.Cert != "" {
			nb, na := scenarios.CertWindow()
			tmpl := ca.Template{Subject: domains[i], DNSNames: []string{domains[i]}, NotBefore: nb, NotAfter: na}
			if s.Cert == CertCAIssued && root == nil {
				// A second CA, trusted wherever the common one is: the pair
				// world's own root is not exported, and the learner's
				// question is "what if this server held a CA-issued
				// certificate", not which CA issued it.
				root = ca.NewRoot("Lit Explorer CA", nb, na, []byte("fedsim/teach root"))
				for _, m := range w.Nodes() {
					if t := m.S.Config().Trust; len(t.Roots()) > 0 {
						t.Add(root.Cert)
					}
				}
			}
			var issuer *ca.Authority
			revoke := false
			for _, f := range res.Config.Faults {
				if f.Target == domains[i] && scenarios.IsCertFault(f.Kind) {
					plan := scenarios.PlanCertFault(f, tmpl, rootOr(root, nb, na), func() []byte { return []byte("fedsim/teach " + string(f.Kind)) })
					tmpl, revoke = plan.Template, revoke || plan.Revoke
					if plan.Issuer != nil {
						issuer = plan.Issuer
					}
				}
			}
			switch {
			case s.Cert == CertNone:
				nc.Cert = nil
			case issuer != nil:
				nc.Cert = issuer.Issue(tmpl)
			case s.Cert == CertSelfSigned:
				nc.Cert = ca.SelfSign(tmpl, []byte("fedsim/teach self "+domains[i]))
			default:
				nc.Cert = root.Issue(tmpl)
			}
			if revoke && nc.Cert != nil {
				for _, m := range w.Nodes() {
					m.S.Config().Trust.Revoke(nc.Cert)
				}
			}
		}
		quiet := n.S.Quiet
		srv, err := nodes.New(nc)
		if err != nil {
			return fmt.Errorf("teach: %s as %s: %w", domains[i], roleName(i), err)
		}
		srv.Quiet = quiet
		n.S = srv
	}
	return nil
}

// rootOr returns root, or a fresh untrusted one for a cert-intermediate
// fault on a server that was not made CA-issued.
func rootOr(root *ca.Authority, nb, na time.Time) *ca.Authority {
	if root != nil {
		return root
	}
	return ca.NewRoot("Lit Explorer CA", nb, na, []byte("fedsim/teach root"))
}

// read fills the outcome fields as scenarios.RunPair does.
// Replay is the CLI command line that reproduces the run with the given
// command ("explain", "diagram --format svg", …).
func (c Config) Replay(command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fedsim %s %s %s --seed %d", command, c.Initiator, c.Receiver, c.Seed)
	for i, s := range c.Sides {
		flag := [2]string{"initiator", "receiver"}[i]
		if s.Policy != nil {
			fmt.Fprintf(&b, " --policy-%s %s", flag, PolicyFlag(*s.Policy))
		}
		if s.Cert != "" {
			fmt.Fprintf(&b, " --cert-%s %s", flag, s.Cert)
		}
	}
	for _, f := range c.Faults {
		fmt.Fprintf(&b, " --fault %s", FaultFlag(f))
	}
	if c.Attack != "" {
		fmt.Fprintf(&b, " --attack %s", c.Attack)
	}
	if c.Fragment != "" && c.Fragment != "whole" {
		fmt.Fprintf(&b, " --fragment %s", c.Fragment)
	}
	return b.String()
}

// PolicyFlag prints a policy as the --policy-… flag value: the pairs of
// Policy.String joined by commas.
func PolicyFlag(p nodes.Policy) string { return strings.ReplaceAll(p.String(), " ", ",") }

// Policy fields, in Policy.String order, with the values each takes.
var PolicyFields = []struct {
	Name   string
	Values []string
	Help   string
}{
	{"version", []string{"1.0", "0.9"}, "XMPP version spoken: 0.9 has no stream features, dialback only (RFC 6120 §4.7.5)"},
	{"starttls", []string{"not-offered", "offered", "required"}, "what the server offers as receiving entity (RFC 6120 §5)"},
	{"initiate_tls", []string{"never", "if-required", "if-offered", "always"}, "when it negotiates TLS as initiating entity"},
	{"dialback", []string{"true", "false"}, "Server Dialback supported (XEP-0220)"},
	{"sasl", []string{"never", "when-cert-valid"}, "when SASL EXTERNAL is offered (XEP-0178)"},
	{"require_valid_cert", []string{"false", "true"}, "abort TLS when the peer's certificate does not verify"},
	{"accept", []string{"V", "E", "T", "V,E", "E,T", "V,E,T", "V,T"}, "levels federated at: V dialback, E TLS+dialback, T TLS+SASL EXTERNAL"},
}

// ParsePolicy applies "k=v,k=v" to base and reports every bad pair at
// once. A comma-separated piece without '=' continues the previous value,
// so "accept=E,T" (Policy.String's own spelling) works.
func ParsePolicy(base nodes.Policy, spec string) (nodes.Policy, error) {
	p := base
	var keys []string
	vals := map[string]string{}
	for _, piece := range strings.Split(spec, ",") {
		piece = strings.TrimSpace(piece)
		if piece == "" {
			continue
		}
		k, v, ok := strings.Cut(piece, "=")
		if !ok && len(keys) > 0 {
			last := keys[len(keys)-1]
			vals[last] += "," + piece
			continue
		}
		k = strings.ReplaceAll(strings.TrimSpace(k), "-", "_")
		if _, dup := vals[k]; dup {
			return p, fmt.Errorf("teach: policy %q: %s given twice", spec, k)
		}
		keys = append(keys, k)
		vals[k] = strings.TrimSpace(v)
		if !ok {
			vals[k] = "\x00"
		}
	}
	var errs []string
	for _, k := range keys {
		if err := setField(&p, k, vals[k]); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return base, fmt.Errorf("teach: policy %q: %s", spec, strings.Join(errs, "; "))
	}
	return p, nil
}

func setField(p *nodes.Policy, k, v string) error {
	if v == "\x00" {
		return fmt.Errorf("%s has no value (want %s=VALUE)", k, k)
	}
	bad := func(want string) error { return fmt.Errorf("%s=%s: want %s", k, v, want) }
	switch k {
	case "version":
		switch v {
		case "1.0":
			p.Version = nodes.XMPP10
		case "0.9":
			p.Version = nodes.XMPP09
		default:
			return bad("1.0 or 0.9")
		}
	case "starttls":
		i := index([]string{"not-offered", "offered", "required"}, v)
		if i < 0 {
			return bad("not-offered, offered or required")
		}
		p.StartTLS = nodes.TLSOffer(i)
	case "initiate_tls":
		i := index([]string{"never", "if-required", "if-offered", "always"}, v)
		if i < 0 {
			return bad("never, if-required, if-offered or always")
		}
		p.InitiateTLS = nodes.TLSInitiate(i)
	case "sasl":
		i := index([]string{"never", "when-cert-valid"}, v)
		if i < 0 {
			return bad("never or when-cert-valid")
		}
		p.SASL = nodes.SASLOffer(i)
	case "dialback", "require_valid_cert":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return bad("true or false")
		}
		if k == "dialback" {
			p.Dialback = b
		} else {
			p.RequireValidCert = b
		}
	case "accept":
		var ls []nodes.Level
		for _, l := range strings.FieldsFunc(strings.ToUpper(v), func(r rune) bool { return r == ',' || r == '+' || r == ' ' || r == '/' }) {
			switch l {
			case "V":
				ls = append(ls, nodes.LevelVerified)
			case "E":
				ls = append(ls, nodes.LevelEncrypted)
			case "T":
				ls = append(ls, nodes.LevelTrusted)
			default:
				return bad("letters among V, E, T (e.g. accept=E,T)")
			}
		}
		if len(ls) == 0 {
			return bad("letters among V, E, T (e.g. accept=E,T)")
		}
		p.Accept = nodes.LevelSet(ls...)
	default:
		names := make([]string, len(PolicyFields))
		for i, f := range PolicyFields {
			names[i] = f.Name
		}
		return fmt.Errorf("unknown field %q (fields: %s)", k, strings.Join(names, ", "))
	}
	return nil
}

func index(xs []string, v string) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return -1
}

// Default parameters for faults given as kind:target[:peer], chosen so
// that each fault visibly changes a run that is otherwise the preset's.
const (
	DefaultPoisonAddr = "10.6.6.6" // where nothing listens
	DefaultDelay      = 2 * time.Second
	DefaultResetBytes = 400
)

// ParseFault reads kind:target[:peer]. target and peer are "initiator",
// "receiver", a type name or a domain of the pair; the parameters a kind
// needs take the Default… values.
func ParseFault(p scenarios.Pair, spec string) (scenarios.Fault, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return scenarios.Fault{}, fmt.Errorf("teach: fault %q: want kind:target[:peer], e.g. cert-expired:receiver", spec)
	}
	from, to := p.Domains()
	who := func(s string) (string, error) {
		switch strings.ToLower(s) {
		case "initiator", "initiating", from, p.Initiator:
			return from, nil
		case "receiver", "receiving", to, p.Receiver:
			return to, nil
		}
		return "", fmt.Errorf("teach: fault %q: %q is neither side of the pair (initiator, receiver, %s, %s)", spec, s, from, to)
	}
	f := scenarios.Fault{Kind: scenarios.FaultKind(parts[0])}
	var err error
	if f.Target, err = who(parts[1]); err != nil {
		return f, err
	}
	if len(parts) == 3 {
		if f.Peer, err = who(parts[2]); err != nil {
			return f, err
		}
	}
	switch f.Kind {
	case scenarios.DNSPoison:
		f.Addr = DefaultPoisonAddr
	case scenarios.DNSSlow, scenarios.Latency:
		f.Delay = DefaultDelay
	case scenarios.ResetAfter:
		f.Bytes = DefaultResetBytes
	}
	if (f.Kind == scenarios.Partition || f.Kind == scenarios.ResetAfter || f.Kind == scenarios.Latency) && f.Peer == "" {
		f.Peer = from
		if f.Target == from {
			f.Peer = to
		}
	}
	if err := f.Validate([]string{from, to}); err != nil {
		return f, fmt.Errorf("teach: fault %q: %w", spec, err)
	}
	return f, nil
}

// FaultFlag prints a fault as ParseFault reads it.
func FaultFlag(f scenarios.Fault) string {
	s := string(f.Kind) + ":" + f.Target
	if f.Peer != "" {
		s += ":" + f.Peer
	}
	return s
}

// sortedKinds is FaultKinds as strings (for messages and forms).
func sortedKinds() []string {
	var out []string
	for _, k := range scenarios.FaultKinds() {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}
