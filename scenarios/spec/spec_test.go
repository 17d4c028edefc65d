package spec

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

var update = flag.Bool("update", false, "rewrite the shipped scenarios' golden transcripts and the broken files' expected errors")

// shipped is the folder `fedsim test` runs by default.
const shipped = "../../scenarios"

// Every shipped scenario passes: this is `fedsim test scenarios/` inside
// `go test ./...`.
func TestShippedScenarios(t *testing.T) {
	RunDir(t, shipped, Update(*update))
}

// The XEP-0238 scenario files describe exactly the world RunPair builds:
// the same seed gives the same trace, byte for byte, for all 36 pairs.
func TestXEPScenariosAreThePairWorld(t *testing.T) {
	n := 0
	for _, a := range scenarios.Types {
		for _, b := range scenarios.Types {
			path := filepath.Join(shipped, "xep0238", a+"-"+b+".yaml")
			s, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Run()
			if err != nil {
				t.Fatal(err)
			}
			pr, err := scenarios.RunPair(scenarios.Pair{Initiator: a, Receiver: b}, scenarios.PairOptions{Seed: s.Seed})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := res.World.Sim.Trace.Hash(), pr.World.Sim.Trace.Hash(); got != want {
				t.Errorf("%s: trace %s, RunPair's %s", path, got[:12], want[:12])
			}
			n++
		}
	}
	if n != 36 {
		t.Fatalf("%d XEP-0238 scenarios, want 36", n)
	}
}

// Every fault kind and every attack kind has a shipped scenario.
func TestEveryKindHasAScenario(t *testing.T) {
	files, err := Find(shipped)
	if err != nil {
		t.Fatal(err)
	}
	faults := map[scenarios.FaultKind]bool{}
	attacks := map[scenarios.AttackKind]bool{}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range s.Faults {
			faults[x.Kind] = true
		}
		for _, x := range s.Attacks {
			if len(s.Expect.Attacks) > 0 {
				attacks[x.Kind] = true
			}
		}
	}
	for _, k := range scenarios.FaultKinds() {
		if !faults[k] {
			t.Errorf("no shipped scenario injects fault %s", k)
		}
	}
	for _, k := range scenarios.AttackKinds {
		if !attacks[k] {
			t.Errorf("no shipped scenario checks the verdict of attack %s", k)
		}
	}
}

// Breaking one negotiation rule on purpose (a receiving server accepts a
// dialback key without asking the Authoritative Server, which XEP-0220
// §2.2.1 forbids) makes the shipped XEP-0238 scenarios fail: every pair
// that authenticates with dialback reports the broken invariant, and its
// transcript diff points at the first element that changed — the
// <db:result type='valid'/> sent without a verification.
func TestBrokenRuleIsCaught(t *testing.T) {
	files, err := Find(filepath.Join(shipped, "xep0238"))
	if err != nil {
		t.Fatal(err)
	}
	caught, dialback := 0, 0
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		usesDialback := false
		for _, o := range s.Expect.Outcomes {
			usesDialback = usesDialback || o.Levels[0] == "V" || o.Levels[0] == "E"
		}
		s.broken = map[string]nodes.BrokenRule{"*": nodes.SkipDialbackVerification}
		res, err := s.Run()
		if err != nil {
			t.Fatal(err)
		}
		if !usesDialback {
			if !res.Passed() {
				t.Errorf("%s does not use dialback but failed: %v", f, res.Failures)
			}
			continue
		}
		dialback++
		var checks []string
		var transcript Failure
		for _, fl := range res.Failures {
			checks = append(checks, fl.Check)
			if fl.Check == "transcript" {
				transcript = fl
			}
		}
		if !strings.Contains(strings.Join(checks, " "), "invariants") || transcript.Check == "" {
			t.Errorf("%s: the broken rule was caught by %v, want invariants and transcript", f, checks)
			continue
		}
		if !strings.Contains(transcript.Message, "first element that changed") || !strings.Contains(transcript.Diff, "+     <db:result") ||
			!strings.Contains(transcript.Diff, "type='valid'/>") {
			t.Errorf("%s: the transcript failure does not point at the <db:result type='valid'/> sent without verification:\n%s", f, transcript)
			continue
		}
		caught++
	}
	if dialback != 18 || caught != dialback {
		t.Fatalf("%d of %d dialback pairs caught the broken rule; want all 18 (the V and E cells)", caught, dialback)
	}
}

// Each broken file yields exactly the errors in its .err file: every
// problem, each at its line and column.
func TestBrokenFiles(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "scenarios", "broken")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("%d broken scenario files, want at least 20", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Named as `fedsim test` run from the repository root names it.
			_, err = Parse("testdata/scenarios/broken/"+name, data)
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %v, want spec.Errors", err)
			}
			got := err.Error() + "\n"
			errFile := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(errFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(errFile)
			if err != nil {
				t.Fatalf("%v (run go test ./scenarios/spec -update to create it)", err)
			}
			if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); d != "" {
				t.Errorf("errors differ (-want +got):\n%s", d)
			}
		})
	}
}

// The starter file `fedsim new` writes passes as it is.
func TestStarterPasses(t *testing.T) {
	s, err := Parse(filepath.Join(t.TempDir(), "mine.yaml"), Starter("mine"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() || s.Name != "mine" {
		t.Fatalf("starter %q failed: %v", s.Name, res.Failures)
	}
}

const pairYAML = `
name: pair
servers:
  - {domain: a.example, preset: type2, users: [alice]}
  - {domain: b.example, preset: type4, users: [bob]}
traffic:
  - {ping: bob@b.example, from: alice@a.example/x, id: p1}
expect:
  outcomes:
    a.example -> b.example: %s
  transcript: golden/pair.txt
`

func parseString(t *testing.T, path, src string) *Scenario {
	t.Helper()
	s, err := Parse(path, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A failed expectation comes with a go-cmp diff, -want +got; a missing
// golden transcript is a failure that says how to create it; -update
// writes it, after which the scenario passes; a changed transcript names
// its first differing record.
func TestFailuresAndUpdate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pair.yaml")
	s := parseString(t, path, strings.Replace(pairYAML, "%s", "T", 1))
	res, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 2 || res.Failures[0].Check != "outcomes" || res.Failures[1].Check != "transcript" {
		t.Fatalf("failures %v", res.Failures)
	}
	if d := res.Failures[0].Diff; !strings.Contains(d, `"a.example -> b.example": "T"`) || !strings.Contains(d, `"a.example -> b.example": "E"`) {
		t.Fatalf("outcome diff:\n%s", d)
	}
	if m := res.Failures[1].Message; !strings.Contains(m, "does not exist") || !strings.Contains(m, "fedsim test -update "+path) {
		t.Fatalf("transcript message: %s", m)
	}
	if err := res.UpdateTranscript(); err != nil {
		t.Fatal(err)
	}
	if !res.Updated || len(res.Failures) != 1 {
		t.Fatalf("after update: updated=%t failures %v", res.Updated, res.Failures)
	}
	s = parseString(t, path, strings.Replace(pairYAML, "%s", "E", 1))
	if res, err = s.Run(); err != nil || !res.Passed() {
		t.Fatalf("%v %v", err, res.Failures)
	}
	// A changed seed changes stream ids: the transcript diff names the
	// first record that differs.
	s = parseString(t, path, "seed: 2\n"+strings.Replace(pairYAML, "%s", "E", 1))
	res, err = s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Message, "first difference at record") {
		t.Fatalf("failures %v", res.Failures)
	}
}

// YAML anchors under x- keys, aliases and merge keys work.
func TestAnchorsAndMerges(t *testing.T) {
	s := parseString(t, "anchors.yaml", `
x-server: &server {preset: type2, dns: srv}
x-opportunistic: &opp {initiate_tls: if-offered}
servers:
  - {<<: *server, domain: a.example, policy: *opp}
  - {<<: *server, domain: b.example, preset: type3}
`)
	if s.Servers[0].Preset != "type2" || s.Servers[0].Policy.InitiateTLS != nodes.InitiateIfOffered || s.Servers[0].DNS != "srv" {
		t.Fatalf("server a: %+v", s.Servers[0])
	}
	if s.Servers[1].Preset != "type3" {
		t.Fatalf("the mapping's own key must override the merged one: %+v", s.Servers[1])
	}
}

// Defaults fill in what a short file leaves out.
func TestDefaults(t *testing.T) {
	s := parseString(t, "dir/short.yaml", `
servers:
  - {domain: a.example, preset: type5}
  - {domain: b.example, preset: type2}
  - {domain: c.example, preset: type1, address: 10.0.0.2}
`)
	if s.Name != "short" || s.Seed != 1 || s.Deadline != scenarios.RunDeadline || !s.Expect.Deterministic {
		t.Fatalf("defaults: %+v", s)
	}
	addrs := []string{s.Servers[0].Address, s.Servers[1].Address, s.Servers[2].Address}
	if d := cmp.Diff([]string{"10.0.0.1", "10.0.0.3", "10.0.0.2"}, addrs); d != "" {
		t.Fatalf("addresses (-want +got):\n%s", d)
	}
	if !s.implicitCA || s.defaultCA != ImplicitCA || cmp.Diff([]string{ImplicitCA}, s.Servers[0].Trust) != "" || s.Servers[1].Trust != nil {
		t.Fatalf("type5 trusts the implicit CA, type2 nothing: %+v", s.Servers)
	}
	if s.Servers[0].DNS != "addr" || s.Servers[2].Certificate != "none" {
		t.Fatalf("dns %q, certificate %q", s.Servers[0].DNS, s.Servers[2].Certificate)
	}
}

// Nothing panics on input that is cut short anywhere: every prefix of the
// shipped files either loads or yields position-tagged errors.
func TestTruncatedInputNeverPanics(t *testing.T) {
	files, err := Find(filepath.Join(shipped, "examples"), filepath.Join(shipped, "attacks"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n += 7 {
			_, err := Parse(f, data[:n])
			var es Errors
			if err != nil && !errors.As(err, &es) {
				t.Fatalf("%s cut at %d: %v is not spec.Errors", f, n, err)
			}
			for _, e := range es {
				if e.Line < 1 || e.Col < 1 {
					t.Fatalf("%s cut at %d: error without a position: %v", f, n, e)
				}
			}
		}
	}
}

// RunFile reports through testing.TB: a passing file reports nothing.
func TestRunFileReportsThroughTB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "starter.yaml")
	if err := os.WriteFile(path, Starter("starter"), 0o644); err != nil {
		t.Fatal(err)
	}
	RunFile(t, path)
}

// FuzzParse: no input makes the loader panic, and every error it reports
// has a position. The seeds (the broken files and a few shipped ones) run
// with every go test; `go test -fuzz=FuzzParse ./scenarios/spec` explores.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "scenarios", "broken", "*.yaml"))
	more, _ := Find(filepath.Join(shipped, "examples"), filepath.Join(shipped, "attacks"))
	for _, p := range append(seeds, more...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.yaml", data)
		var es Errors
		if err != nil && !errors.As(err, &es) {
			t.Fatalf("%v is not spec.Errors", err)
		}
		for _, e := range es {
			if e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("error without a position or message: %#v", e)
			}
		}
	})
}

// A UTF-8 byte-order mark at the start of a file is skipped (YAML 1.2
// §5.2), and a file over MaxFileSize is refused before it is parsed, or
// read, with its name and size (issue 14: a 17 MB file took 50 s and
// 2.7 GB).
func TestByteOrderMarkAndSizeCap(t *testing.T) {
	dir := t.TempDir()
	plain, err := Parse(filepath.Join(dir, "mine.yaml"), Starter("mine"))
	if err != nil {
		t.Fatal(err)
	}
	withBOM, err := Parse(filepath.Join(dir, "mine.yaml"), append([]byte("\ufeff"), Starter("mine")...))
	if err != nil {
		t.Fatalf("a file with a byte-order mark: %v", err)
	}
	if len(plain.Traffic) != len(withBOM.Traffic) || plain.Traffic[0].XML != withBOM.Traffic[0].XML || plain.Name != withBOM.Name ||
		plain.Traffic[0].at != withBOM.Traffic[0].at {
		t.Errorf("the byte-order mark changed the scenario: %+v, want %+v", withBOM.Traffic, plain.Traffic)
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, append(Starter("big"), make([]byte, 17<<20)...), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Load(big)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || !strings.HasPrefix(err.Error(), big+":1:1: the file is ") ||
		!strings.Contains(err.Error(), " bytes (17 MiB); a scenario file may be at most 1048576 bytes (1 MiB)") {
		t.Errorf("a 17 MiB file: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing a 17 MiB file took %v", d)
	}
	// Parse, given the bytes, refuses them too; the cap itself passes.
	data := []byte(strings.Repeat("#", MaxFileSize+1))
	if _, err := Parse("big.yaml", data); err == nil || !strings.Contains(err.Error(), "big.yaml:1:1: the file is 1048577 bytes; a scenario file may be at most") {
		t.Errorf("1 MiB and a byte: %v", err)
	}
	if _, err := Parse("cap.yaml", data[:MaxFileSize]); err == nil || strings.Contains(err.Error(), "at most") {
		t.Errorf("exactly 1 MiB: %v, want it parsed (an empty scenario)", err)
	}
}
