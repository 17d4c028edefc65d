package teach

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fedsim/fedsim/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// render produces the three golden outputs of a pair.
func render(t *testing.T, cfg Config) (explain, mermaid, svg []byte, flow *Flow) {
	t.Helper()
	res, err := Run(cfg)
	if err != nil {
		t.Fatalf("Run(%s %s): %v", cfg.Initiator, cfg.Receiver, err)
	}
	flow = BuildFlow(res)
	changes, err := Counterfactuals(res)
	if err != nil {
		t.Fatalf("Counterfactuals: %v", err)
	}
	var e, m, s bytes.Buffer
	title := res.From + " → " + res.To
	if err := Explain(&e, res, flow, changes, cfg.Replay("explain")); err != nil {
		t.Fatal(err)
	}
	if err := Mermaid(&m, flow, title); err != nil {
		t.Fatal(err)
	}
	if err := SVG(&s, flow, title); err != nil {
		t.Fatal(err)
	}
	return e.Bytes(), m.Bytes(), s.Bytes(), flow
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./scenarios/teach -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from the golden file (-want +got; regenerate with -update and review):\n%s", path, d)
	}
}

// TestGolden checks explain, mermaid and svg for all 36 pairs, and that
// every SVG parses and has no overlapping labels.
func TestGolden(t *testing.T) {
	longest := 0
	for _, a := range scenarios.Types {
		for _, b := range scenarios.Types {
			t.Run(a+"-"+b, func(t *testing.T) {
				e, m, s, flow := render(t, Config{Initiator: a, Receiver: b, Seed: 1})
				golden(t, a+"-"+b+".explain.txt", e)
				golden(t, a+"-"+b+".mmd", m)
				golden(t, a+"-"+b+".svg", s)
				if err := checkSVG(s); err != nil {
					t.Error(err)
				}
				if len(flow.Steps) > longest {
					longest = len(flow.Steps)
				}
			})
		}
	}
	if longest > MaxDiagramSteps {
		t.Errorf("the longest of the 36 flows has %d steps: it is capped (MaxDiagramSteps %d), so it is not drawn whole", longest, MaxDiagramSteps)
	}
}

// TestRunMatchesRunPair: with no overrides, teach.Run is scenarios.RunPair.
func TestRunMatchesRunPair(t *testing.T) {
	for _, a := range scenarios.Types {
		for _, b := range scenarios.Types {
			want, err := scenarios.RunPair(scenarios.Pair{Initiator: a, Receiver: b}, scenarios.PairOptions{Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Run(Config{Initiator: a, Receiver: b, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := got.World.Sim.Trace.Hash(), want.World.Sim.Trace.Hash(); g != w || got.Outcome != want.Outcome {
				t.Errorf("%s %s: trace %s outcome %s, RunPair gives %s %s", a, b, g[:12], got.Outcome.Letter(), w[:12], want.Outcome.Letter())
			}
		}
	}
}

type box struct {
	text           string
	x0, y0, x1, y1 float64
}

// checkSVG parses an SVG and checks that no two text labels overlap, with
// each label's box computed from its font size × character count.
func checkSVG(data []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var boxes []box
	size := FontSize
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &svgError{"svg does not parse as XML: " + err.Error()}
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "text" {
			continue
		}
		attr := map[string]string{}
		for _, a := range se.Attr {
			attr[a.Name.Local] = a.Value
		}
		var content string
		if err := dec.DecodeElement(&content, &se); err != nil {
			return &svgError{"svg text: " + err.Error()}
		}
		fs := size
		if v, ok := attr["font-size"]; ok {
			fs, _ = strconv.ParseFloat(v, 64)
		}
		x, _ := strconv.ParseFloat(attr["x"], 64)
		y, _ := strconv.ParseFloat(attr["y"], 64)
		w := float64(len([]rune(content))) * fs * CharWidth
		switch attr["text-anchor"] {
		case "middle":
			x -= w / 2
		case "end":
			x -= w
		}
		boxes = append(boxes, box{content, x, y - fs, x + w, y})
	}
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			a, b := boxes[i], boxes[j]
			if a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 {
				return &svgError{"labels overlap: " + strconv.Quote(a.text) + " and " + strconv.Quote(b.text)}
			}
		}
	}
	return nil
}

type svgError struct{ msg string }

func (e *svgError) Error() string { return "teach: " + e.msg }

// TestOverlapCheckFails proves the overlap check can fail.
func TestOverlapCheckFails(t *testing.T) {
	bad := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text x="10" y="20">hello world</text><text x="40" y="24">again</text></svg>`)
	if err := checkSVG(bad); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("checkSVG on overlapping labels: %v, want an overlap error", err)
	}
}

func TestPoliciesFaultsAndAttacks(t *testing.T) {
	p := scenarios.Pair{Initiator: "type1", Receiver: "type4"}
	pol, err := ParsePolicy(mustPreset(t, "type1"), "version=1.0,initiate_tls=always,accept=V,E")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(Config{Initiator: "type1", Receiver: "type4", Seed: 1, Sides: [2]Side{{Policy: &pol}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Outcome.Letter(); got != "E" {
		t.Errorf("type1 speaking 1.0 with TLS -> type4: %s, want E", got)
	}
	f, err := ParseFault(p, "cert-expired:receiver")
	if err != nil {
		t.Fatal(err)
	}
	res, err = Run(Config{Initiator: "type5", Receiver: "type5", Seed: 1, Faults: []scenarios.Fault{{Kind: scenarios.CertExpired, Target: "type5.lit"}}})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := Counterfactuals(res)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range changes {
		found = found || strings.Contains(c.Sentence, "without the fault cert-expired")
	}
	if !found {
		t.Errorf("type5 -> example.lit with an expired certificate (%s): no counterfactual names the fault; got %+v", f, changes)
	}
	res, err = Run(Config{Initiator: "type2", Receiver: "type3", Seed: 1, Attack: scenarios.AttackStripSTARTTLS, Sides: [2]Side{{}, {Cert: CertNone}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attack == nil {
		t.Fatal("attack result missing")
	}
	for _, bad := range []string{"version=2", "color=red", "accept=X", "dialback"} {
		if _, err := ParsePolicy(mustPreset(t, "type2"), bad); err == nil {
			t.Errorf("ParsePolicy(%q) accepted it", bad)
		}
	}
	for _, bad := range []string{"nope:receiver", "cert-expired:elsewhere", "cert-expired"} {
		if _, err := ParseFault(p, bad); err == nil {
			t.Errorf("ParseFault(%q) accepted it", bad)
		}
	}
}
