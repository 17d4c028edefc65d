package teach

import (
	"fmt"
	"strings"

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
var Fragments = scenarios.Fragments

// certKind maps a Side's certificate word to nodes.CertKind.
func certKind(k string) (nodes.CertKind, bool) {
	for i, c := range CertKinds {
		if c == k {
			return nodes.CertKind(i), true
		}
	}
	return nodes.CertNone, false
}

// World describes the run as a world Config: the pair's (scenarios.
// PairConfig) with the sides' policies and certificate kinds changed and
// the attack placed. A counterfactual edits this Config, never a built
// world. It returns the Result to fill, with the presets, policies and
// certificates each side runs with.
func (cfg Config) World() (*scenarios.Config, *Result, error) {
	ip, ok := nodes.PresetByName(cfg.Initiator)
	if !ok {
		return nil, nil, fmt.Errorf("teach: unknown initiating type %q (want %s)", cfg.Initiator, nodes.PresetNames())
	}
	rp, ok := nodes.PresetByName(cfg.Receiver)
	if !ok {
		return nil, nil, fmt.Errorf("teach: unknown receiving type %q (want %s)", cfg.Receiver, nodes.PresetNames())
	}
	cfg.Initiator, cfg.Receiver = ip.Name, rp.Name
	if _, err := scenarios.Segmenter(cfg.Fragment); err != nil {
		return nil, nil, fmt.Errorf("teach: fragment %q: want %s", cfg.Fragment, strings.Join(Fragments, ", "))
	}
	wc, p, err := scenarios.PairConfig(scenarios.Pair{Initiator: ip.Name, Receiver: rp.Name},
		scenarios.PairOptions{Seed: cfg.Seed, Faults: cfg.Faults, Fragment: cfg.Fragment, NoTrace: cfg.quiet})
	if err != nil {
		return nil, nil, fmt.Errorf("teach: %w", err)
	}
	from, to := p.Domains()
	res := &Result{Config: cfg, Pair: p, From: from, To: to, Presets: [2]nodes.Preset{ip, rp}}
	for i, s := range cfg.Sides {
		sv := &wc.Servers[i]
		if s.Policy != nil {
			sv.Policy = *s.Policy
		}
		res.Policies[i] = sv.Policy
		if s.Cert != "" {
			k, ok := certKind(s.Cert)
			if !ok {
				return nil, nil, fmt.Errorf("teach: certificate kind %q: want %s", s.Cert, strings.Join(CertKinds, ", "))
			}
			sv.CertKind = k
		}
		res.Certs[i] = sv.CertKind.String()
		if err := sv.Policy.Validate(); err != nil {
			return nil, nil, fmt.Errorf("teach: %s policy of %s: %w", roleName(i), sv.Domain, err)
		}
	}
	if cfg.Attack != "" {
		wc.Attacks = []scenarios.AttackSpec{{Kind: cfg.Attack, Initiator: from, Receiver: to}}
	}
	return wc, res, nil
}

// Run builds the run's world (Config.World), runs the initiator's ping and
// reads the result. With no overrides and no attack, the trace is the one
// scenarios.RunPair produces, byte for byte (TestRunMatchesRunPair): it is
// the same Config.
func Run(cfg Config) (*Result, error) {
	wc, res, err := cfg.World()
	if err != nil {
		return nil, err
	}
	w, attacks, events, err := scenarios.RunConfig(wc)
	if err != nil {
		return nil, fmt.Errorf("teach: %w", err)
	}
	res.World, res.Events = w, events
	res.PairReading = w.ReadPair(res.From, res.To)
	if len(attacks) > 0 {
		res.Attack = attacks[0]
	}
	return res, nil
}

func roleName(i int) string {
	if i == Initiating {
		return "initiating"
	}
	return "receiving"
}
