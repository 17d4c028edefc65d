package teach

import (
	"fmt"
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
