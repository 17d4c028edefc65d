package teach

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
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
	// Publish replaces what the server's domain publishes (issue 15):
	// words among "signed" (a DNSSEC-signed zone), "tlsa=dane-ee" or
	// "tlsa=dane-ta" and "posh" (a POSH document), joined by commas, or
	// "none"; "": the preset's. ParsePublish reads it.
	Publish string
}

// Publication is what a domain publishes: scenarios.Server's Signed, TLSA
// and POSH.
type Publication struct {
	Signed bool
	TLSA   string
	POSH   bool
}

// ParsePublish reads a --publish-… value ("signed,tlsa=dane-ee,posh",
// or "none").
func ParsePublish(v string) (Publication, error) {
	var p Publication
	if v == "none" {
		return p, nil
	}
	for _, w := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(w), "=")
		switch {
		case k == "signed" && val == "":
			p.Signed = true
		case k == "posh" && val == "":
			p.POSH = true
		case k == "tlsa" && slices.Contains(scenarios.TLSAWords, val):
			p.TLSA = val
		default:
			return p, fmt.Errorf("teach: publish %q: want words among signed, tlsa=%s and posh, joined by commas, or none", w, strings.Join(scenarios.TLSAWords, "|"))
		}
	}
	return p, nil
}

// Config is one run of a pair with everything a learner may change: a
// pair of presets in the pair world (scenarios.PairConfig), or two servers
// of a world read from a scenario file (Scenario).
type Config struct {
	// Initiator and Receiver are preset names ("type1" … "type6", or "1" …
	// "6"); with Scenario, the domains of two of its servers (default: the
	// sender of the scenario's first stanza and the domain it is sent to).
	Initiator, Receiver string
	// Scenario is a world to explain instead of the pair world (a scenario
	// file's Config, spec.Scenario.Config), read from Path. Its own faults
	// belong in Faults, so that counterfactuals can take each away; its
	// attacks stay as written.
	Scenario *scenarios.Config
	Path     string
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
	if cfg.Scenario != nil {
		return cfg.scenarioWorld()
	}
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
	if err := res.override(wc, [2]int{0, 1}); err != nil {
		return nil, nil, err
	}
	return wc, res, nil
}

// override applies the sides' changes to the servers at idx of wc (the
// initiating and the receiving one) and places the attack.
func (res *Result) override(wc *scenarios.Config, idx [2]int) error {
	cfg := res.Config
	for i, s := range cfg.Sides {
		sv := &wc.Servers[idx[i]]
		if s.Policy != nil {
			sv.Policy = *s.Policy
		}
		res.Policies[i] = sv.Policy
		if s.Cert != "" {
			k, ok := certKind(s.Cert)
			if !ok {
				return fmt.Errorf("teach: certificate kind %q: want %s", s.Cert, strings.Join(CertKinds, ", "))
			}
			sv.Certificate, sv.CertKind = "", k
		}
		if s.Publish != "" {
			pub, err := ParsePublish(s.Publish)
			if err != nil {
				return err
			}
			sv.Signed, sv.TLSA, sv.POSH = pub.Signed, pub.TLSA, pub.POSH
		}
		res.Certs[i] = sv.CertKind.String()
		if sv.Certificate != "" {
			res.Certs[i] = sv.Certificate // a named certificate of the file
		}
		if err := sv.Policy.Validate(); err != nil {
			return fmt.Errorf("teach: %s policy of %s: %w", roleName(i), sv.Domain, err)
		}
	}
	if cfg.Attack != "" {
		wc.Attacks = append(wc.Attacks, scenarios.AttackSpec{Kind: cfg.Attack, Initiator: res.From, Receiver: res.To})
	}
	return nil
}

// scenarioWorld is World for a scenario file's world: a copy of it with
// the sides of the chosen pair changed.
func (cfg Config) scenarioWorld() (*scenarios.Config, *Result, error) {
	wc := *cfg.Scenario
	wc.Servers = append([]scenarios.Server(nil), wc.Servers...)
	wc.Attacks = append([]scenarios.AttackSpec(nil), wc.Attacks...)
	wc.Seed, wc.Faults, wc.NoTrace = cfg.Seed, cfg.Faults, cfg.quiet
	if cfg.Fragment != "" {
		wc.Fragment = cfg.Fragment
	}
	from, to := cfg.Initiator, cfg.Receiver
	if from == "" && len(wc.Traffic) > 0 {
		from = wc.Traffic[0].From
		if to == "" {
			to = trafficTo(wc.Traffic[0])
		}
	}
	idx := [2]int{-1, -1}
	var domains []string
	for i, sv := range wc.Servers {
		domains = append(domains, sv.Domain)
		for k, d := range [2]string{from, to} {
			if sv.Domain == d && idx[k] < 0 {
				idx[k] = i
			}
		}
	}
	for k, d := range [2]string{from, to} {
		if idx[k] < 0 {
			return nil, nil, fmt.Errorf("teach: %s: the %s server %q is not a server of the scenario (%s)", cfg.Path, roleName(k), d, strings.Join(domains, ", "))
		}
	}
	if from == to {
		return nil, nil, fmt.Errorf("teach: %s: initiating and receiving server are both %s", cfg.Path, from)
	}
	cfg.Initiator, cfg.Receiver = from, to
	res := &Result{Config: cfg, Pair: scenarios.Pair{Initiator: from, Receiver: to}, From: from, To: to}
	for k, i := range idx {
		sv := wc.Servers[i]
		if p, ok := nodes.PresetByName(sv.Preset); ok && sv.Preset != "" {
			res.Presets[k] = p
		} else {
			res.Presets[k] = nodes.Preset{Name: sv.Domain, Title: "as " + cfg.Path + " describes it", Policy: sv.Policy, Cert: sv.CertKind}
		}
		res.Presets[k].Title += ", in " + cfg.Path
	}
	if err := res.override(&wc, idx); err != nil {
		return nil, nil, err
	}
	return &wc, res, nil
}

// trafficTo is the domain a stanza of the traffic is addressed to.
func trafficTo(t scenarios.Send) string {
	el := t.Stanza
	if el == nil {
		var err error
		if el, err = scenarios.ParseStanza(t.XML); err != nil {
			return ""
		}
	}
	to := el.Attr("to")
	if i := strings.IndexByte(to, '@'); i >= 0 {
		to = to[i+1:]
	}
	if i := strings.IndexByte(to, '/'); i >= 0 {
		to = to[:i]
	}
	return to
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
