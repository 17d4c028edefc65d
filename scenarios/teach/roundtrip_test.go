package teach

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/spec"
)

// yamlValue writes a policy field's value as a scenario file does.
func yamlValue(f nodes.PolicyField, v string) string {
	switch f.Kind {
	case nodes.FieldBool:
		return v
	case nodes.FieldLevels:
		return "[" + strings.ReplaceAll(v, ",", ", ") + "]"
	}
	return fmt.Sprintf("%q", v)
}

// policyYAML is a two-server scenario whose first server is preset with
// one policy field set (a part of a composite inside its mapping).
func policyYAML(preset string, f nodes.PolicyField, v string) string {
	line := f.Name + ": " + yamlValue(f, v)
	if parent, part, ok := strings.Cut(f.Name, "."); ok {
		line = parent + ": {" + part + ": " + yamlValue(f, v) + "}"
	}
	return fmt.Sprintf("servers:\n  - domain: a.example\n    preset: %s\n    policy:\n      %s\n  - domain: b.example\n    preset: type3\n", preset, line)
}

// Every value of every policy field goes through every surface and comes
// back equal: a scenario file (YAML) → the loaded Config's server policy →
// Policy.String → the --policy flag Replay prints → ParsePolicy → the
// policy. Each value is set over every preset that stays a consistent
// server with it (the flag applies over the preset, whose fields differ).
func TestPolicyRoundTrip(t *testing.T) {
	n := 0
	for _, f := range nodes.AllPolicyFields() {
		if f.Kind == nodes.FieldParts {
			continue // walked part by part
		}
		for _, v := range f.Values {
			var errs []string
			taken := false
			for _, pre := range nodes.AllPresets() {
				s, err := spec.Parse(f.Name+".yaml", []byte(policyYAML(pre.Name, f, v)))
				if err != nil {
					errs = append(errs, pre.Name+": "+err.Error())
					continue
				}
				taken = true
				n++
				got := s.Config().Servers[0].Policy
				want := pre.Policy
				if err := f.Set(&want, v); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s=%s over %s: the scenario file gave another policy (-want +got):\n%s", f.Name, v, pre.Name, d)
				}
				if g := f.Get(got); g != v {
					t.Errorf("%s=%s: reads back as %q", f.Name, v, g)
				}
				// The flag as Replay prints it, over the preset it applies to.
				cfg := Config{Initiator: pre.Name, Receiver: "type3", Seed: 1, Sides: [2]Side{{Policy: &got}}}
				_, flag, _ := strings.Cut(cfg.Replay("run"), "--policy-initiator ")
				back, err := ParsePolicy(pre.Policy, flag)
				if err != nil {
					t.Errorf("%s=%s over %s: the replay's flag %q: %v", f.Name, v, pre.Name, flag, err)
					continue
				}
				if d := cmp.Diff(got, back); d != "" {
					t.Errorf("%s=%s over %s: flag %q gives another policy (-file +flag):\n%s", f.Name, v, pre.Name, flag, d)
				}
				// String alone carries the whole policy from the zero one.
				if back, err := ParsePolicy(nodes.Policy{}, PolicyFlag(got)); err != nil || !cmp.Equal(got, back) {
					t.Errorf("%s=%s: Policy.String %q does not carry the policy: %v %s", f.Name, v, got, err, cmp.Diff(got, back))
				}
			}
			if !taken {
				t.Errorf("%s=%s: no preset takes it:\n%s", f.Name, v, strings.Join(errs, "\n"))
			}
		}
	}
	if n < 500 {
		t.Errorf("only %d field values walked", n)
	}
}

// faultYAML writes a fault as a scenario file does, each parameter the
// kind takes and f sets.
func faultYAML(f scenarios.Fault) string {
	var b strings.Builder
	fmt.Fprintf(&b, "servers:\n  - {domain: type3.lit, preset: type3}\n  - {domain: type5.lit, preset: type5}\nfaults:\n  - kind: %s\n    target: %s\n", f.Kind, f.Target)
	for _, p := range scenarios.FaultParams() {
		if v := p.Get(f); v != "" {
			fmt.Fprintf(&b, "    %s: %s\n", p.Name, v)
		}
	}
	return b.String()
}

// faultCases are, for each kind, a fault with every parameter it takes
// set to something other than the flag's default, one with only what it
// needs at the flag's defaults (which the flag leaves out), and, for a
// kind whose needs have alternatives, each alternative alone.
func faultCases() []scenarios.Fault {
	const a, b = "type3.lit", "type5.lit"
	full := scenarios.Fault{Peer: b, Observer: b, Addr: "10.9.9.9", At: 50 * time.Millisecond, Until: 3 * time.Second,
		Bytes: 123, Delay: 150 * time.Millisecond, Jitter: 7 * time.Millisecond}
	var out []scenarios.Fault
	for _, s := range scenarios.FaultSpecs() {
		all := scenarios.Fault{Kind: s.Kind, Target: a}
		least := scenarios.Fault{Kind: s.Kind, Target: a}
		for _, p := range scenarios.FaultParams() {
			if !s.Takes(p.Name) {
				continue
			}
			p.Set(&all, p.Get(full))
			if d := p.Get(s.Defaults); d != "" {
				p.Set(&least, d)
			}
		}
		if s.NeedsPeer() {
			least.Peer = b
		}
		out = append(out, all, least)
		for _, g := range s.Needs {
			if len(g) < 2 {
				continue
			}
			for _, alt := range g {
				one := least
				for _, p := range g {
					ps, _ := scenarios.FaultParamByName(p)
					if p == alt {
						ps.Set(&one, ps.Get(full))
					} else {
						one = unset(one, p)
					}
				}
				out = append(out, one)
			}
		}
	}
	return out
}

// unset clears one duration parameter of f.
func unset(f scenarios.Fault, p scenarios.FaultParam) scenarios.Fault {
	switch p {
	case scenarios.ParamDelay:
		f.Delay = 0
	case scenarios.ParamJitter:
		f.Jitter = 0
	}
	return f
}

// Every fault kind goes through every surface and comes back equal: a
// scenario file (YAML) → the loaded Config's fault → the --fault flag
// (FaultFlag, as Replay prints it) → ParseFault → the fault.
func TestFaultRoundTrip(t *testing.T) {
	pair := scenarios.Pair{Initiator: "type3", Receiver: "type5"}
	kinds := map[scenarios.FaultKind]bool{}
	for _, want := range faultCases() {
		s, err := spec.Parse(string(want.Kind)+".yaml", []byte(faultYAML(want)))
		if err != nil {
			t.Errorf("%s: %v\n%s", want.Flag(), err, faultYAML(want))
			continue
		}
		got := s.Config().Faults[0]
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: the scenario file gave another fault (-want +got):\n%s", want.Flag(), d)
		}
		flag := FaultFlag(got)
		back, err := ParseFault(pair, flag)
		if err != nil {
			t.Errorf("--fault %s: %v", flag, err)
			continue
		}
		if d := cmp.Diff(got, back); d != "" {
			t.Errorf("--fault %s gives another fault (-file +flag):\n%s", flag, d)
		}
		// The flag in roles, as a learner types it, reads the same.
		roles := strings.NewReplacer("type3.lit", "initiator", "type5.lit", "receiver").Replace(flag)
		if back, err := ParseFault(pair, roles); err != nil || !cmp.Equal(got, back) {
			t.Errorf("--fault %s: %v %s", roles, err, cmp.Diff(got, back))
		}
		kinds[want.Kind] = true
	}
	for _, k := range scenarios.FaultKinds() {
		if !kinds[k] {
			t.Errorf("fault kind %s was not walked", k)
		}
	}
}

// A flag without the parameters a kind needs takes the table's defaults,
// and every kind's defaults make a fault Validate accepts.
func TestFaultFlagDefaults(t *testing.T) {
	pair := scenarios.Pair{Initiator: "type3", Receiver: "type5"}
	for _, k := range scenarios.FaultKinds() {
		f, err := ParseFault(pair, string(k)+":receiver")
		if err != nil {
			t.Errorf("%s:receiver: %v", k, err)
			continue
		}
		if s, _ := scenarios.SpecOf(k); s.NeedsPeer() && f.Peer != "type3.lit" {
			t.Errorf("%s:receiver: peer %q, want the initiator", k, f.Peer)
		}
	}
	for _, bad := range []string{"partition:receiver,bytes=3", "crash:receiver:initiator", "dns-slow:receiver,delay=soon", "reset-after:receiver,bytes=0", "dns-poison:receiver,observer=mallory"} {
		if f, err := ParseFault(pair, bad); err == nil {
			t.Errorf("ParseFault(%q) = %v, want an error", bad, f)
		}
	}
}
