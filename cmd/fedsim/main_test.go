package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestMatrixJSON(t *testing.T) {
	out, errs, code := runCLI("matrix", "--format", "json", "--compare", "xep0238")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m struct {
		Cells []struct {
			Initiator, Receiver, Outcome, XEP0238 string
			Differs                               *bool
		}
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != 36 {
		t.Fatalf("%d cells, want 36", len(m.Cells))
	}
	differ := 0
	for _, c := range m.Cells {
		if c.Differs == nil {
			t.Fatal("--compare did not fill 'differs'")
		}
		if *c.Differs {
			differ++
		}
		if c.Initiator == "type1" && c.Receiver == "type4" && c.Outcome != "U" {
			t.Fatalf("type1 -> type4 = %s", c.Outcome)
		}
	}
	if differ != 4 {
		t.Fatalf("%d cells differ from the XEP table, want 4 (docs/xep0238.md)", differ)
	}
}

func TestMatrixTextIsDeterministic(t *testing.T) {
	a, _, _ := runCLI("matrix", "--seed", "5", "--compare", "xep0238")
	b, _, _ := runCLI("matrix", "--compare", "xep0238", "--seed", "5")
	if a != b || !strings.Contains(a, "type2 -> type3: fedsim V, XEP table E") || !strings.Contains(a, "Replay: fedsim matrix --seed 5 --compare xep0238") {
		t.Fatalf("matrix output:\n%s", a)
	}
}

func TestRunJSONL(t *testing.T) {
	out, errs, code := runCLI("run", "type2", "type4", "--format", "jsonl", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	n, xmlLines := 0, 0
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		for _, k := range []string{"time", "conn", "from", "to"} {
			if _, ok := rec[k]; !ok {
				t.Fatalf("line %d lacks %q: %s", n+1, k, sc.Text())
			}
		}
		_, hasXML := rec["xml"]
		_, hasEvent := rec["event"]
		if hasXML == hasEvent {
			t.Fatalf("line %d must have exactly one of xml/event: %s", n+1, sc.Text())
		}
		if hasXML {
			xmlLines++
		}
		n++
	}
	if n < 50 || xmlLines < 20 {
		t.Fatalf("%d records, %d xml: too few for type2 -> type4", n, xmlLines)
	}
}

func TestRunTextAndErrors(t *testing.T) {
	out, _, code := runCLI("run", "type5", "type3", "--fragment", "byte")
	if code != 0 || !strings.Contains(out, "Outcome: T") || !strings.Contains(out, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>dHlwZTUubGl0</auth>") ||
		!strings.Contains(out, "Replay: fedsim run type5 type3 --seed 1 --fragment byte") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "type7", "type1"}, `unknown kind of server "type7" (want one of type1, type2, type3, type4, type5, type6, prosody-0.12,`},
		{[]string{"run", "type1"}, "want INITIATOR RECEIVER"},
		{[]string{"run", "type1", "type2", "--format", "xml"}, `--format "xml"`},
		{[]string{"run", "type1", "type2", "--fragment", "bits"}, `--fragment "bits": want whole, random, byte`},
		{[]string{"run", "type1", "type2", "--policy-receiver", "starttls=maybe"}, "--policy-receiver"},
		{[]string{"matrix", "--compare", "rfc"}, "the only reference table is xep0238"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"matrix", "--seed", "x"}, "invalid value"},
	} {
		_, errs, code := runCLI(c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
	// run takes explain's overrides: a type4 that no longer requires TLS
	// federates with a type1 by dialback alone, where the matrix says U.
	out, _, code = runCLI("run", "type1", "type4", "--policy-receiver", "starttls=offered,accept=V,E")
	if code != 0 || !strings.Contains(out, "Outcome: V") ||
		!strings.Contains(out, "Replay: fedsim run type1 type4 --seed 1 --policy-receiver ") {
		t.Fatalf("run with a policy override: exit %d:\n%s", code, out)
	}
	out, _, code = runCLI("run", "type2", "type5", "--attack", "strip-starttls")
	if code != 0 || !strings.Contains(out, "Attack strip-starttls: ") {
		t.Fatalf("run under attack: exit %d:\n%s", code, out)
	}
	out, _, code = runCLI("help", "run")
	if code != 0 || !strings.Contains(out, "-fragment") || !strings.Contains(out, "-policy-initiator") {
		t.Fatalf("help run: %d %s", code, out)
	}
}

func TestAttackAndChaosCommands(t *testing.T) {
	out, errs, code := runCLI("attack", "dns-poison", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m struct {
		Cells []struct {
			Initiator, Receiver, Verdict string
			Impersonated                 bool
		}
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || len(m.Cells) != 36 {
		t.Fatalf("%v, %d cells", err, len(m.Cells))
	}
	for _, c := range m.Cells {
		if c.Impersonated != (c.Receiver != "type6") {
			t.Fatalf("%+v", c)
		}
	}
	out, _, code = runCLI("attack", "strip-starttls")
	if code != 0 || !strings.Contains(out, "refused") || !strings.Contains(out, "Replay: fedsim attack strip-starttls --seed 1") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, _, code = runCLI("chaos", "--runs", "50", "--seed", "7")
	if code != 0 || !strings.Contains(out, "violations: none") || !strings.Contains(out, "chaos: 50 runs (seeds 7..56)") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, _, code = runCLI("chaos", "--stream-management", "--runs", "50", "--seed", "7")
	if code != 0 || !strings.Contains(out, "violations: none") ||
		!strings.Contains(out, "stanzas lost in transit when a fault broke an established stream (XEP-0198: resumed and re-sent, or bounced): 0") ||
		!strings.Contains(out, "Replay: fedsim chaos --stream-management --runs 50 --seed 7") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"attack"}, "want one attack kind"},
		{[]string{"attack", "ddos"}, `unknown attack "ddos"`},
		{[]string{"attack", "tls-intercept", "--cert", "stolen"}, `--cert "stolen"`},
		{[]string{"chaos", "--runs", "0"}, "want at least 1"},
	} {
		_, errs, code := runCLI(c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

func TestSweepAndMerge(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := runCLI("sweep", "--pictures", "svg", "--out", dir)
	if code != 0 || !strings.Contains(out, "Sweep of 6 policies, 36 ordered pairs") || !strings.Contains(out, "picture: "+dir+"/sweep-matrix.svg") {
		t.Fatalf("exit %d %s:\n%s", code, errs, out)
	}
	grid := []string{"--grid", "starttls=offered,required", "--grid", "initiate_tls=if-required,always", "--grid", "cert=self-signed,ca-issued"}
	whole, _, code := runCLI(append([]string{"sweep", "--format", "csv", "--pictures", "none"}, grid...)...)
	if code != 0 {
		t.Fatal("whole sweep failed")
	}
	var files []string
	for i := 0; i < 3; i++ {
		shard, errs, code := runCLI(append([]string{"sweep", "--shard", fmt.Sprintf("%d/3", i)}, grid...)...)
		if code != 0 {
			t.Fatalf("shard %d: %s", i, errs)
		}
		f := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		if err := os.WriteFile(f, []byte(shard), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	merged, errs, code := runCLI(append([]string{"merge", "--format", "csv", "--pictures", "none"}, files...)...)
	if code != 0 || merged != whole {
		t.Fatalf("merge exit %d %s; merged differs from the whole sweep:\n%s\n---\n%s", code, errs, merged, whole)
	}
	if _, errs, code := runCLI("sweep", "--grid", "colour=red"); code != 2 || !strings.Contains(errs, `unknown field "colour"`) {
		t.Fatalf("bad grid: %d %s", code, errs)
	}
}

func TestSweepServersAndFaults(t *testing.T) {
	out, errs, code := runCLI("sweep", "--servers", "prosody-13,ejabberd-24,ejabberd-required-trusted", "--fault", "cert-no-clientauth:initiator", "--pictures", "none", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// A serverAuth-only certificate: ejabberd-24 falls back to dialback, the
	// no-dialback server refuses.
	for _, want := range []string{"prosody-13,ejabberd-24,E,", "prosody-13,ejabberd-required-trusted,U,", "prosody-13,prosody-13,T,"} {
		if !strings.Contains(out, want) {
			t.Errorf("csv lacks %q:\n%s", want, out)
		}
	}
	if _, errs, code := runCLI("sweep", "--fault", "cert-expired:bystander", "--pictures", "none"); code == 0 || !strings.Contains(errs, "want initiator or receiver") {
		t.Errorf("bad fault role: exit %d %s", code, errs)
	}
}

// A scenario file is a world like a pair: run, explain and diagram take one,
// the XEP pair's file gives the pair's own trace, and the replay line each
// prints re-runs with exit 0 and the same output.
func TestCommandsTakeScenarioFiles(t *testing.T) {
	root := filepath.Join("..", "..")
	file := filepath.Join(root, "scenarios", "xep0238", "type2-type4.yaml")
	fromFile, errs, code := runCLI("run", file)
	if code != 0 {
		t.Fatalf("run FILE: exit %d: %s", code, errs)
	}
	fromPair, _, _ := runCLI("run", "type2", "type4")
	body := func(s string) string { // the trace and summary, without the header and replay lines
		lines := strings.Split(s, "\n")
		return strings.Join(lines[1:len(lines)-2], "\n")
	}
	if body(fromFile) != body(fromPair) {
		t.Fatalf("run %s differs from run type2 type4:\n%s\n---\n%s", file, fromFile, fromPair)
	}
	for _, args := range [][]string{
		{"run", file},
		{"explain", file, "--policy-receiver", "starttls=offered,accept=V,E,T"},
		{"diagram", file, "--format", "mermaid"},
		{"explain", filepath.Join(root, "scenarios", "faults", "cert-expired.yaml")},
		{"run", filepath.Join(root, "scenarios", "examples", "srv-records.yaml"), "--pair", "montague.example,capulet.example", "--seed", "3"},
	} {
		out, errs, code := runCLI(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		replay := ""
		for _, l := range strings.Split(out, "\n") {
			if _, r, ok := strings.Cut(l, "Replay: fedsim "); ok {
				replay = r
			}
			if _, r, ok := strings.Cut(l, "(fedsim diagram "); ok {
				replay = "diagram " + strings.TrimSuffix(strings.TrimSpace(r), ")")
			}
		}
		if replay == "" {
			t.Fatalf("%v printed no replay line:\n%s", args, out)
		}
		again, errs, code := runCLI(strings.Fields(replay)...)
		if code != 0 || again != out {
			t.Fatalf("%v: its replay %q gave exit %d (%s) and different output:\n%s\n---\n%s", args, replay, code, errs, out, again)
		}
	}
	_, errs, code = runCLI("explain", file, "--pair", "type2.lit,nowhere.lit")
	if code != exitUsage || !strings.Contains(errs, `"nowhere.lit" is not a server of the scenario (type2.lit, type4.lit)`) {
		t.Fatalf("--pair with an unknown domain: exit %d: %s", code, errs)
	}
}

// fedsim interop refuses what it must not do before starting anything.
func TestInteropRefusesBadServers(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"interop"}, "want one server"},
		{[]string{"interop", "openfire"}, `want prosody, prosody-debian, ejabberd, or HOST:PORT`},
		{[]string{"interop", "192.0.2.1:5269", "--domain", "x.example", "--preset", "type5"}, "nothing but loopback"},
		{[]string{"interop", "127.0.0.1:5269"}, "give the server's --domain"},
		{[]string{"interop", "prosody", "--format", "xml"}, `--format "xml"`},
	} {
		_, errs, code := runCLI(c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errs, c.want)
		}
	}
}
