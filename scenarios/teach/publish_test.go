package teach

import (
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

// TestPublish: --publish-… words reach the world, the replay line carries
// them, and two type4 servers with DANE published and accepted reach T
// where the presets reach E.
func TestPublish(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Publication
		bad  bool
	}{
		{"signed,tlsa=dane-ee,posh", Publication{Signed: true, TLSA: "dane-ee", POSH: true}, false},
		{"tlsa=dane-ta", Publication{TLSA: "dane-ta"}, false},
		{"none", Publication{}, false},
		{"tlsa", Publication{}, true},
		{"signed=yes", Publication{}, true},
		{"", Publication{}, true},
	} {
		got, err := ParsePublish(c.in)
		if (err != nil) != c.bad || (!c.bad && got != c.want) {
			t.Errorf("ParsePublish(%q) = %+v, %v", c.in, got, err)
		}
	}
	p, _ := nodes.PresetByName("type4")
	pol := p.Policy
	pol.DNSSEC, pol.DANE = nodes.DNSSECValidate, nodes.DANEAccept
	cfg := Config{Initiator: "type4", Receiver: "type4", Seed: 1}
	for i := range cfg.Sides {
		cfg.Sides[i] = Side{Policy: &pol, Publish: "signed,tlsa=dane-ee"}
	}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != nodes.LevelTrusted {
		t.Fatalf("type4 with DANE both ways: %s, want T", res.Outcome.Letter())
	}
	if r := cfg.Replay("run"); !strings.Contains(r, "--publish-initiator signed,tlsa=dane-ee") || !strings.Contains(r, "--publish-receiver signed,tlsa=dane-ee") {
		t.Fatalf("replay line lacks the publish flags: %s", r)
	}
}
