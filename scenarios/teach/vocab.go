package teach

import (
	"fmt"
	"strings"
	"sync"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

// Replay is the CLI command line that reproduces the run with the given
// command ("explain", "diagram --format svg", …).
func (c Config) Replay(command string) string {
	var b strings.Builder
	if c.Scenario != nil {
		// The file's faults are in the file: only added ones are flags.
		fmt.Fprintf(&b, "fedsim %s %s --pair %s,%s --seed %d", command, shellWord(c.Path), c.Initiator, c.Receiver, c.Seed)
		c.Faults = c.Faults[len(c.Scenario.Faults):]
	} else {
		fmt.Fprintf(&b, "fedsim %s %s %s --seed %d", command, c.Initiator, c.Receiver, c.Seed)
	}
	for i, s := range c.Sides {
		flag := [2]string{"initiator", "receiver"}[i]
		if s.Policy != nil {
			fmt.Fprintf(&b, " --policy-%s %s", flag, policyFlagOver(c.sideBase(i), *s.Policy))
		}
		if s.Cert != "" {
			fmt.Fprintf(&b, " --cert-%s %s", flag, s.Cert)
		}
		if s.Publish != "" {
			fmt.Fprintf(&b, " --publish-%s %s", flag, s.Publish)
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

// policyFlagOver is PolicyFlag for a flag applied to base: String leaves
// out the fields at their default, which base may not have, so those are
// spelled out too (prosody-13 with dialback_with_sasl=false).
func policyFlagOver(base, p nodes.Policy) string {
	s := PolicyFlag(p)
	for _, f := range nodes.PolicyFields() {
		if v := f.Get(p); !f.Always && v == f.Default && f.Get(base) != v {
			s += "," + f.Name + "=" + v
		}
	}
	return s
}

// sideBase is the policy a side's --policy flag applies to: the preset's,
// or that of the scenario's server.
func (c Config) sideBase(i int) nodes.Policy {
	name := [2]string{c.Initiator, c.Receiver}[i]
	if c.Scenario != nil {
		for _, sv := range c.Scenario.Servers {
			if sv.Domain == name {
				return sv.Policy
			}
		}
		return nodes.Policy{}
	}
	p, _ := nodes.PresetByName(name)
	return p.Policy
}

// PolicyFields are the fields counterfactuals vary (Counterfactuals): the
// nodes.PolicyFields table's Always fields, XEP-0238's seven, with every
// value each takes. ParsePolicy, Replay and the explorer read the whole
// table. Made on first use: reading nodes' table at package
// initialisation would build it at every start of fedsim (issue 17).
func PolicyFields() []nodes.PolicyField {
	return append([]nodes.PolicyField(nil), counterfactualFields()...)
}

var counterfactualFields = sync.OnceValue(func() []nodes.PolicyField {
	var out []nodes.PolicyField
	for _, f := range nodes.PolicyFields() {
		if f.Always {
			out = append(out, f)
		}
	}
	return out
})

// ParsePolicy applies "k=v,k=v" to base and reports every bad pair at
// once. Keys are the nodes.PolicyFields table's names (a composite's part
// as "errors.bounce"); a comma-separated piece without '=' continues the
// previous value, so "accept=E,T" (Policy.String's own spelling) works.
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

// setField sets one field of the table by name.
func setField(p *nodes.Policy, k, v string) error {
	if v == "\x00" {
		return fmt.Errorf("%s has no value (want %s=VALUE)", k, k)
	}
	f, ok := nodes.PolicyFieldByName(k)
	if !ok {
		return fmt.Errorf("unknown field %q (fields: %s)", k, strings.Join(nodes.PolicyFieldNames(), ", "))
	}
	return f.Set(p, v)
}

// ParseFault reads kind:target[:peer][,param=value...] (the fault table's
// flag form, scenarios.ParseFaultFlag). target, peer and an observer are
// "initiator", "receiver", a type name or a domain of the pair; a needed
// parameter left out takes the kind's default, a needed peer the other
// side of the pair.
func ParseFault(p scenarios.Pair, spec string) (scenarios.Fault, error) {
	from, to := p.Domains()
	who := func(s string) (string, error) {
		switch strings.ToLower(s) {
		case "initiator", "initiating", from, p.Initiator:
			return from, nil
		case "receiver", "receiving", to, p.Receiver:
			return to, nil
		}
		return "", fmt.Errorf("%q is neither side of the pair (initiator, receiver, %s, %s)", s, from, to)
	}
	other := func(target string) string {
		if target == from {
			return to
		}
		return from
	}
	f, err := scenarios.ParseFaultFlag(spec, who, other)
	if err == nil {
		err = f.Validate([]string{from, to})
	}
	if err != nil {
		return f, fmt.Errorf("teach: fault %q: %w", spec, err)
	}
	return f, nil
}

// FaultFlag prints a fault as ParseFault reads it (scenarios.Fault.Flag).
func FaultFlag(f scenarios.Fault) string { return f.Flag() }

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`&|;<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
