package scenarios

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

// featurePairs: each feature server (FeatureSpecs) in both directions
// against every XEP-0238 type, and against itself.
func featurePairs() []Pair {
	var out []Pair
	for _, f := range FeatureNames {
		for _, t := range Types {
			out = append(out, Pair{f, t}, Pair{t, f})
		}
		out = append(out, Pair{f, f})
	}
	return out
}

// TestFeatureGoldens: the transcripts of DNSSEC, DANE-EE, DANE-TA, POSH,
// Direct TLS and bidi servers with every XEP type, both ways, and with
// their own kind, under
// testdata/golden/features/ (rewritten by go test ./scenarios -update).
func TestFeatureGoldens(t *testing.T) {
	goldenPairs(t, filepath.Join("testdata", "golden", "features"), featurePairs(), PairOptions{Seed: 1, Specs: FeatureSpecs()})
}

// TestFeatureOutcomes pins what each feature changes, read from the runs:
// between two servers of the feature, DANE-EE and POSH lift type4 (no
// CA) from E to T and DANE-TA keeps type5 at T with no shared CA trust;
// DNSSEC alone changes no level, nor do Direct TLS and bidi (they change
// the connections, not the authentication). Against the plain types, where the peer
// publishes nothing, a feature server federates as its type does.
func TestFeatureOutcomes(t *testing.T) {
	want := map[string]string{"dnssec5_dnssec5": "T", "dane4_dane4": "T", "danota5_danota5": "T", "posh4_posh4": "T",
		"dtls5_dtls5": "T", "bidi5_bidi5": "T", "bidi4_bidi4": "E"}
	base := FeatureBase
	for _, p := range featurePairs() {
		r, err := RunPair(p, PairOptions{Seed: 1, Specs: FeatureSpecs(), NoTrace: true})
		if err != nil {
			t.Fatal(err)
		}
		name := p.Initiator + "_" + p.Receiver
		w, ok := want[name]
		if !ok {
			// Against a plain type: as the feature's base type does in
			// the XEP-0238 matrix.
			w = xepLetter(orBase(base, p.Initiator), orBase(base, p.Receiver))
		}
		if got := r.Outcome.Letter(); got != w {
			t.Errorf("%s: %s (%s), want %s", name, got, r.Reason, w)
		}
	}
}

func orBase(base map[string]string, name string) string {
	if b, ok := base[name]; ok {
		return b
	}
	return name
}

// TestFeatureDeterministic: with DNSSEC keys, signatures, TLSA records and
// POSH documents in the world, the same seed gives the same trace, byte
// for byte; another seed gives other keys (and another trace).
func TestFeatureDeterministic(t *testing.T) {
	for _, f := range FeatureNames {
		p := Pair{f, f}
		a, err := RunPair(p, PairOptions{Seed: 42, Specs: FeatureSpecs()})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := RunPair(p, PairOptions{Seed: 42, Specs: FeatureSpecs()})
		c, _ := RunPair(p, PairOptions{Seed: 43, Specs: FeatureSpecs()})
		if a.World.Sim.Trace.Hash() != b.World.Sim.Trace.Hash() {
			t.Errorf("%s: seed 42 twice, different traces", f)
		}
		if a.World.Sim.Trace.Hash() == c.World.Sim.Trace.Hash() {
			t.Errorf("%s: seeds 42 and 43 give the same trace", f)
		}
	}
}

// BenchmarkFeaturePair: one pair's whole run, without a trace, for a
// feature pair and the XEP type it is built on — what DNSSEC signing and
// validation, TLSA lookups and POSH checks cost a federation.
func BenchmarkFeaturePair(b *testing.B) {
	for _, p := range []Pair{{"type4", "type4"}, {"dane4", "dane4"}, {"type5", "type5"}, {"dnssec5", "dnssec5"}, {"danota5", "danota5"}, {"posh4", "posh4"}} {
		b.Run(p.Initiator, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := RunPair(p, PairOptions{Seed: uint64(i) + 1, Specs: FeatureSpecs(), NoTrace: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDialbackWithoutDialback (XEP-0344 §2.4): a receiver with the
// shortcut answers a key from the certificate when it authenticates the
// key's domain — PKIX between type5 servers — and opens no verification
// connection; when it does not (type4's self-signed certificate, no DANE),
// it asks the Authoritative Server as before. The invariant checker
// accepts the first on the certificate's evidence.
func TestDialbackWithoutDialback(t *testing.T) {
	for _, c := range []struct {
		pair     Pair
		shortcut bool
	}{{Pair{"type5", "type5"}, true}, {Pair{"type4", "type4"}, false}} {
		// type5 would use SASL EXTERNAL: take it away so that dialback runs.
		p, _ := nodes.PresetByName(c.pair.Receiver)
		p.Policy.SASL, p.Policy.DialbackWithoutDialback = nodes.SASLNever, true
		ini, _ := nodes.PresetByName(c.pair.Initiator)
		ini.Name = "ini" + ini.Name
		p.Name = "rec" + p.Name
		r, err := RunPair(Pair{ini.Name, p.Name}, PairOptions{Seed: 1, Specs: map[string]nodes.Preset{ini.Name: ini, p.Name: p}})
		if err != nil {
			t.Fatal(err)
		}
		var tr strings.Builder
		r.World.Sim.Trace.WriteText(&tr)
		answered := strings.Contains(tr.String(), "without asking its Authoritative Server")
		verified := strings.Contains(tr.String(), "<db:verify from='"+r.From+"'")
		if answered != c.shortcut || verified == c.shortcut || r.Outcome != nodes.LevelEncrypted {
			t.Errorf("%v: shortcut %v, verification connection %v, outcome %s; want shortcut %v, E\n%s", c.pair, answered, verified, r.Outcome.Letter(), c.shortcut, tr.String())
		}
		if v := CheckInvariants(r.World); len(v) != 0 {
			t.Errorf("%v: invariant violations: %v", c.pair, v)
		}
	}
}
