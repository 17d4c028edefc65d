package sweep

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

// parseSpec rebuilds a spec from its field=value description, field by
// field, starting from nothing: no preset is involved.
func parseSpec(t *testing.T, name, desc string) Spec {
	t.Helper()
	var s Spec
	for _, kv := range strings.Fields(desc) {
		k, v, _ := strings.Cut(kv, "=")
		f, ok := fieldByName(k)
		if !ok {
			t.Fatalf("unknown field %q in %q", k, desc)
		}
		if err := f.apply(&s, v); err != nil {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
	}
	s.Name = name
	return s
}

// The six XEP types written as explicit policy fields give the preset
// matrix (scenarios.RunMatrix).
func TestExplicitFieldsGiveThePresetMatrix(t *testing.T) {
	var specs []Spec
	for _, p := range nodes.Presets() {
		specs = append(specs, parseSpec(t, p.Name, Describe(p)))
	}
	res, err := Run(specs, Options{Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want, err := scenarios.RunMatrix(scenarios.PairOptions{Seed: 1, NoTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	var got, exp []string
	for i, c := range res.Cells {
		got = append(got, c.Initiator+">"+c.Receiver+"="+c.Outcome)
		exp = append(exp, want[i].Initiator+">"+want[i].Receiver+"="+want[i].Outcome.Letter())
	}
	if diff := cmp.Diff(exp, got); diff != "" {
		t.Fatalf("explicit fields differ from presets (-preset +explicit):\n%s", diff)
	}
}

// A grid of at least 200 policies (40,000 ordered pairs): the same report
// with one worker, with several, and from four shards merged.
func TestGridSweepIsTheSameHoweverItIsRun(t *testing.T) {
	base, _ := nodes.PresetByName("type3")
	specs, _, err := Grid(base, map[string][]string{
		"starttls":     {"not-offered", "offered", "required"},
		"initiate_tls": {"never", "if-required", "if-offered", "always"},
		"dialback":     {"true", "false"},
		"accept":       {"V,E,T", "E,T", "T", "V"},
		"cert":         {"self-signed", "ca-issued"},
		"trusts_ca":    {"true", "false"},
		"sasl":         {"never", "when-cert-valid"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) < 200 {
		t.Fatalf("grid has %d consistent policies, want at least 200", len(specs))
	}
	specs = specs[:200] // 40,000 ordered pairs
	if testing.Short() {
		// Every fifth policy: the first forty alone all share the grid's
		// first values and never reach E or T.
		var few []Spec
		for i := 0; i < len(specs); i += 5 {
			few = append(few, specs[i])
		}
		specs = few
	}
	one, err := Run(specs, Options{Seed: 5, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	many, err := Run(specs, Options{Seed: 5, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	exp := Experiment{Fedsim: "test", Seed: 5, Latency: "0s", Jitter: "0s"}
	for _, s := range specs {
		exp.Policies = append(exp.Policies, PolicyInfo{s.Name, Describe(s)})
	}
	var shards []Named
	for _, i := range []int{2, 0, 3, 1} {
		r, err := Run(specs, Options{Seed: 5, Workers: 2, Shard: i, Shards: 4})
		if err != nil {
			t.Fatal(err)
		}
		// Shards travel as shard files.
		f, err := NewShardFile(exp, r, nil)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		back, err := ReadShardFile(&b)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, Named{Name: fmt.Sprintf("shard %d", i), File: back})
	}
	m, err := MergeShards(shards, MergeOptions{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	merged := m.Result
	if diff := cmp.Diff(one.Cells, many.Cells); diff != "" {
		t.Fatalf("1 worker vs 4 workers:\n%s", diff)
	}
	if diff := cmp.Diff(one.Cells, merged.Cells); diff != "" {
		t.Fatalf("one run vs 4 shards merged:\n%s", diff)
	}
	a, b := Analyse(one), Analyse(merged)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("analyses differ:\n%s", diff)
	}
	if a.Counts["U"] == 0 || a.Counts["V"] == 0 || a.Counts["E"] == 0 || a.Counts["T"] == 0 {
		t.Fatalf("a grid this wide should produce every outcome: %v", a.Counts)
	}
	t.Logf("%d policies, %d pairs: %v, %d islands, %d failure classes", len(specs), len(one.Cells), a.Counts, len(a.Islands), len(a.Reasons))
}

func TestMergeRejectsIncompleteOrMixedShards(t *testing.T) {
	specs := []Spec{parseSpec(t, "a", Describe(nodes.Presets()[1])), parseSpec(t, "b", Describe(nodes.Presets()[4]))}
	s0, _ := Run(specs, Options{Seed: 1, Shard: 0, Shards: 2})
	s1, _ := Run(specs, Options{Seed: 2, Shard: 1, Shards: 2})
	if _, err := Merge([]*Result{s0}); err == nil || !strings.Contains(err.Error(), "1 of 2 shards") {
		t.Fatalf("incomplete merge: %v", err)
	}
	if _, err := Merge([]*Result{s0, s1}); err == nil || !strings.Contains(err.Error(), "different sweep") {
		t.Fatalf("mixed merge: %v", err)
	}
	if _, _, err := Grid(nodes.Presets()[0], map[string][]string{"colour": {"red"}}); err == nil || !strings.Contains(err.Error(), `unknown field "colour"`) {
		t.Fatalf("bad field: %v", err)
	}
}

// Suggest finds the change that connects an isolated policy: a server that
// requires encryption and trusts the CA but holds a self-signed
// certificate cannot federate with a trusted-only server; a CA-issued
// certificate is the one change that fixes both directions.
func TestSuggest(t *testing.T) {
	p := nodes.Presets()
	self := parseSpec(t, "self", strings.Replace(Describe(p[3]), "trusts_ca=false", "trusts_ca=true", 1))
	specs := []Spec{self, parseSpec(t, "trusted", Describe(p[5]))}
	res, err := Run(specs, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	changes, ran, err := Suggest(specs, res, Options{Seed: 1}, 0)
	if err != nil || !ran {
		t.Fatal(err, ran)
	}
	want := Change{Policy: "self", Field: "cert", From: "self-signed", To: "ca-issued", Gain: 1}
	found := false
	for _, c := range changes {
		found = found || c == want
	}
	if !found {
		t.Fatalf("changes %+v lack %+v", changes, want)
	}
}

// TestNewFieldsLeaveTheSixTypesUnchanged (issue 15): a grid over the
// DNSSEC fields — the domain's zone signed or not, the resolver validating
// or not — on top of each of the six XEP types gives 24 policies, and
// every ordered pair of them federates exactly as the two types do in the
// XEP-0238 matrix: without an attacker, DNSSEC changes no outcome, and a
// type that says nothing of it is the type it was. With DANE on (and
// TLSA published) type4 reaches T with type4, which it does not without:
// the grid does reach the new behaviour.
func TestNewFieldsLeaveTheSixTypesUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("576 pairs")
	}
	if n := gridAgreesWithXEP(t, map[string][]string{"dnssec": {"off", "validate"}, "signed": {"false", "true"}}, nil, nil); n != 24 {
		t.Fatalf("%d specs, want 24", n)
	}

	type4, _ := nodes.PresetByName("type4")
	dane, _, err := Grid(type4, map[string][]string{"dnssec": {"validate"}, "dane": {"off", "accept"}, "signed": {"true"}, "tlsa": {"dane-ee"}})
	if err != nil || len(dane) != 2 {
		t.Fatalf("dane grid: %v, %d specs", err, len(dane))
	}
	r2, err := Run(dane, Options{Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range r2.Cells {
		got[c.Initiator+">"+c.Receiver] = c.Outcome
	}
	if got["p001>p001"] != "E" || got["p002>p002"] != "T" {
		t.Fatalf("type4 with dane off/accept: %v, want p001>p001=E, p002>p002=T", got)
	}
}

// TestDirectTLSAndBidiLeaveTheSixTypesUnchanged (issue 15): the same for
// Direct TLS (XEP-0368) and bidirectional streams (XEP-0288): a grid over
// direct_tls x bidi on top of each XEP type (type1, XMPP 0.9, can take
// neither: its grid is the type alone), 21 policies and 441 ordered pairs,
// each federating as its two types do in the XEP-0238 matrix. Bidi
// changes which connection carries the reverse direction, never a level.
// Direct TLS changes a level in one place only, and the test names it:
// when both servers have it, type2 and type3 — which negotiate no
// STARTTLS — get TLS from the first byte on port 5270, so their V becomes
// E (dialback over TLS), and type3 with type3 (both CA-certified) T.
// Every other cell, including every pair where only one side has
// direct_tls, is the XEP's. The grid does reach both features: type5 with
// direct_tls and bidi connects with ALPN xmpp-server and answers over the
// stream it received.
func TestDirectTLSAndBidiLeaveTheSixTypesUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("361 pairs")
	}
	skipType1 := func(preset string, skipped []string) bool { return preset == "type1" && len(skipped) == 3 }
	lifted := map[string]string{"type2>type2": "E", "type2>type3": "E", "type3>type2": "E", "type3>type3": "T"}
	bothDirect := func(ini, rec Spec, xep string) string {
		if l, ok := lifted[ini.Name[:5]+">"+rec.Name[:5]]; ok && ini.Policy.DirectTLS && rec.Policy.DirectTLS {
			return l
		}
		return xep
	}
	if n := gridAgreesWithXEP(t, map[string][]string{"direct_tls": {"false", "true"}, "bidi": {"false", "true"}}, skipType1, bothDirect); n != 21 {
		t.Fatalf("%d specs, want 21 (4 for each of type2..type6, 1 for type1)", n)
	}

	type5, _ := nodes.PresetByName("type5")
	both, _, err := Grid(type5, map[string][]string{"direct_tls": {"true"}, "bidi": {"true"}})
	if err != nil || len(both) != 1 {
		t.Fatalf("type5 grid: %v, %d specs", err, len(both))
	}
	spec := both[0]
	spec.Name = "dtlsbidi5"
	r, err := scenarios.RunPair(scenarios.Pair{Initiator: spec.Name, Receiver: spec.Name}, scenarios.PairOptions{Seed: 1, Specs: map[string]nodes.Preset{spec.Name: spec}})
	if err != nil {
		t.Fatal(err)
	}
	var tr strings.Builder
	r.World.Sim.Trace.WriteText(&tr)
	for _, w := range []string{"ALPN xmpp-server", "<bidi xmlns='urn:xmpp:bidi'/>", "authenticated at level T by bidi"} {
		if !strings.Contains(tr.String(), w) {
			t.Errorf("type5 with direct_tls and bidi against itself: no %q in the trace", w)
		}
	}
	if r.Outcome.Letter() != "T" {
		t.Errorf("type5 with direct_tls and bidi against itself: %s, want T", r.Outcome.Letter())
	}
}

// gridAgreesWithXEP runs the grid axes on top of each of the six XEP
// types and checks that every ordered pair of the policies federates as
// the two types do in the XEP-0238 matrix, or as want (when set) says
// from the two policies and the XEP's letter. A type whose grid leaves
// values out (invalid with it) is allowed only when skipOK says so. It
// returns the number of policies.
func gridAgreesWithXEP(t *testing.T, axes map[string][]string, skipOK func(preset string, skipped []string) bool, want func(ini, rec Spec, xep string) string) int {
	t.Helper()
	var specs []Spec
	typeOf := map[string]string{}
	byName := map[string]Spec{}
	for _, p := range nodes.Presets() {
		grid, skipped, err := Grid(p, axes)
		if err != nil || (len(skipped) > 0 && (skipOK == nil || !skipOK(p.Name, skipped))) {
			t.Fatalf("%s: %v %v", p.Name, err, skipped)
		}
		for _, s := range grid {
			s.Name = p.Name + "-" + strings.ReplaceAll(s.Title, " ", ",")
			typeOf[s.Name] = p.Name
			byName[s.Name] = s
			specs = append(specs, s)
		}
	}
	res, err := Run(specs, Options{Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	xep, err := scenarios.RunMatrix(scenarios.PairOptions{Seed: 1, NoTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	xepCell := map[string]string{}
	for _, c := range xep {
		xepCell[c.Initiator+">"+c.Receiver] = c.Outcome.Letter()
	}
	if len(res.Cells) != len(specs)*len(specs) {
		t.Fatalf("%d cells for %d policies", len(res.Cells), len(specs))
	}
	for _, c := range res.Cells {
		w := xepCell[typeOf[c.Initiator]+">"+typeOf[c.Receiver]]
		if want != nil {
			w = want(byName[c.Initiator], byName[c.Receiver], w)
		}
		if c.Outcome != w {
			t.Errorf("%s -> %s: %s, want %s as %s -> %s (%s)", c.Initiator, c.Receiver, c.Outcome, w, typeOf[c.Initiator], typeOf[c.Receiver], c.Reason)
		}
	}
	return len(specs)
}

// TestFieldNamesUnique: a grid axis names one field. The policy fields and
// the spec's own (cert, trusts_ca, signed, tlsa, posh_document) share one
// namespace, and a name in both would be set twice (the policy field posh
// and the published POSH document once collided).
func TestFieldNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Fields() {
		if seen[f.Name] {
			t.Errorf("two sweep fields are named %q", f.Name)
		}
		seen[f.Name] = true
	}
}
