package scenarios

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/")

func allPairs() []Pair {
	var out []Pair
	for _, a := range Types {
		for _, b := range Types {
			out = append(out, Pair{a, b})
		}
	}
	return out
}

func transcript(t *testing.T, r *PairResult) string {
	t.Helper()
	var b strings.Builder
	if err := r.World.Sim.Trace.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "outcome %s; delivered %t; answered %t; reverse %s; bounce %s %s\n",
		r.Outcome.Letter(), r.Delivered, r.Answered, r.Reverse.Letter(), r.Bounce, r.BounceType)
	return b.String()
}

// The flow-derived matrix (docs/xep0238.md): what XEP-0238's 36 example
// flows show when followed with RFC 6120 and XEP-0220. The negotiation must
// arrive at it; it is an expectation, never an input.
var flowMatrix = [6]string{
	"VVVUUU",
	"VVVEEU",
	"VVVETT",
	"UEEEEU",
	"UETETT",
	"UUTUTT",
}

func TestMatrixFollowsTheXEPFlows(t *testing.T) {
	results, err := RunMatrix(PairOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got [6]string
	for i, r := range results {
		got[i/6] += r.Outcome.Letter()
		success := r.Outcome != nodes.LevelNone
		if success != r.Delivered || success != r.Answered {
			t.Errorf("%s -> %s: outcome %s but delivered=%t answered=%t", r.Initiator, r.Receiver, r.Outcome.Letter(), r.Delivered, r.Answered)
		}
		if !success && r.Bounce != "remote-server-timeout" {
			t.Errorf("%s -> %s failed but the bounce is %q, want remote-server-timeout (XEP-0238 §4.4)", r.Initiator, r.Receiver, r.Bounce)
		}
		if success && r.Reverse != r.Outcome {
			t.Errorf("%s -> %s: reverse stream %s differs from forward %s", r.Initiator, r.Receiver, r.Reverse.Letter(), r.Outcome.Letter())
		}
	}
	if diff := cmp.Diff(flowMatrix, got); diff != "" {
		t.Fatalf("matrix differs from the XEP's flows (-want +got):\n%s", diff)
	}
}

// Changing one policy field changes the matrix: outcomes are computed.
func TestPolicyFieldChangesTheMatrix(t *testing.T) {
	p, _ := nodes.PresetByName("type2")
	pol := p.Policy
	pol.InitiateTLS = nodes.InitiateIfOffered // type2 now takes TLS whenever offered
	r, err := RunPair(Pair{"type2", "type3"}, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type2": pol}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != nodes.LevelEncrypted {
		t.Fatalf("type2 (initiate_tls=if-offered) -> type3 = %s, want E", r.Outcome.Letter())
	}
	p6, _ := nodes.PresetByName("type6")
	pol6 := p6.Policy
	pol6.RequireValidCert = false // type6 no longer aborts TLS on a self-signed peer
	r, err = RunPair(Pair{"type2", "type6"}, PairOptions{Seed: 1, Policies: map[string]nodes.Policy{"type6": pol6}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != nodes.LevelNone || !strings.Contains(r.Reason, "Dialback") {
		t.Fatalf("type2 -> type6 without require_valid_cert = %s (%s), want U for lack of dialback", r.Outcome.Letter(), r.Reason)
	}
}

// TestGoldenTranscripts: the 36 pairs' transcripts under testdata/golden/.
func TestGoldenTranscripts(t *testing.T) {
	goldenPairs(t, filepath.Join("testdata", "golden"), allPairs(), PairOptions{Seed: 1})
}

// goldenPairs runs each pair with opt and compares its transcript with
// dir/<initiator>_<receiver>.txt, or rewrites it with -update: the one
// golden check behind the XEP-0238 transcripts and the feature ones
// (TestFeatureGoldens).
func goldenPairs(t *testing.T, dir string, pairs []Pair, opt PairOptions) {
	t.Helper()
	for _, p := range pairs {
		name := p.Initiator + "_" + p.Receiver
		t.Run(name, func(t *testing.T) {
			r, err := RunPair(p, opt)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join(dir, name+".txt"), transcript(t, r))
		})
	}
}

// checkGolden compares got with the golden file at path, or rewrites it
// with -update: the one golden check of this package's transcripts.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./scenarios -update' to create it)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Fatalf("transcript changed (-golden +got); rerun with -update if intended:\n%s", diff)
	}
}

// xepLetter is the flow-derived matrix's letter for a pair of XEP types.
func xepLetter(initiator, receiver string) string {
	return string(flowMatrix[slices.Index(Types, initiator)][slices.Index(Types, receiver)])
}

// Same seed, same trace, byte for byte — for every pair, run twice.
func TestDeterministic(t *testing.T) {
	for _, p := range allPairs() {
		a, err := RunPair(p, PairOptions{Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := RunPair(p, PairOptions{Seed: 42})
		if ha, hb := a.World.Sim.Trace.Hash(), b.World.Sim.Trace.Hash(); ha != hb {
			t.Fatalf("%v: seed 42 gave two traces (%s, %s)", p, ha[:12], hb[:12])
		}
		c, _ := RunPair(p, PairOptions{Seed: 43})
		if c.Outcome != a.Outcome {
			t.Fatalf("%v: outcome depends on the seed", p)
		}
		if a.Outcome != nodes.LevelNone && c.World.Sim.Trace.Hash() == a.World.Sim.Trace.Hash() {
			t.Fatalf("%v: seeds 42 and 43 gave the same trace: stream ids are not drawn from the seed", p)
		}
	}
}

// Delivering every write one byte at a time (or cut at random points)
// changes nothing the peers decide: the same elements are sent at the same
// virtual times, so the trace is identical.
func TestFragmentationDoesNotChangeRuns(t *testing.T) {
	for _, p := range allPairs() {
		whole, err := RunPair(p, PairOptions{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"byte", "random"} {
			frag, err := RunPair(p, PairOptions{Seed: 7, Fragment: name})
			if err != nil {
				t.Fatal(err)
			}
			if frag.Outcome != whole.Outcome || frag.Answered != whole.Answered {
				t.Fatalf("%v with %s segments: outcome %s, whole writes %s", p, name, frag.Outcome.Letter(), whole.Outcome.Letter())
			}
			if diff := cmp.Diff(transcript(t, whole), transcript(t, frag)); diff != "" {
				t.Fatalf("%v with %s segments: transcript differs:\n%s", p, name, diff)
			}
		}
	}
}

// Every stream in every transcript is well-formed, namespace-correct XML,
// checked with encoding/xml (a parser independent of fedsim's own).
func TestTranscriptsAreWellFormedXML(t *testing.T) {
	for _, p := range allPairs() {
		r, err := RunPair(p, PairOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		type key struct {
			conn, stream int
			from         string
		}
		streams := map[key]*bytes.Buffer{}
		var order []key
		for _, rec := range r.World.Sim.Trace.Records {
			if rec.Kind != sim.KindXML {
				continue
			}
			k := key{rec.Conn, rec.Stream, rec.Node}
			if streams[k] == nil {
				streams[k] = &bytes.Buffer{}
				order = append(order, k)
			}
			streams[k].WriteString(rec.XML)
		}
		for _, k := range order {
			doc := streams[k].String()
			if !strings.HasSuffix(doc, "</stream:stream>") {
				doc += "</stream:stream>" // a stream left open by a restart
			}
			if err := checkStreamXML(doc); err != nil {
				t.Fatalf("%v conn %d stream %d from %s: %v\n%s", p, k.conn, k.stream, k.from, err, doc)
			}
		}
	}
}

var knownNS = map[string]bool{
	xmlstream.NSStreams: true, xmlstream.NSServer: true, xmlstream.NSDialback: true,
	"urn:ietf:params:xml:ns:xmpp-tls": true, "urn:ietf:params:xml:ns:xmpp-sasl": true,
	"urn:ietf:params:xml:ns:xmpp-streams": true, "urn:ietf:params:xml:ns:xmpp-stanzas": true,
	"urn:xmpp:features:dialback": true, "urn:xmpp:ping": true,
}

func checkStreamXML(doc string) error {
	d := xml.NewDecoder(strings.NewReader(doc))
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return fmt.Errorf("unbalanced at EOF")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && (tk.Name.Space != xmlstream.NSStreams || tk.Name.Local != "stream") {
				return fmt.Errorf("root is {%s}%s, want {%s}stream", tk.Name.Space, tk.Name.Local, xmlstream.NSStreams)
			}
			if !knownNS[tk.Name.Space] {
				// encoding/xml leaves an undeclared prefix as the "namespace".
				return fmt.Errorf("element %s is in unknown or undeclared namespace %q", tk.Name.Local, tk.Name.Space)
			}
			for _, a := range tk.Attr {
				if a.Name.Space != "" && a.Name.Space != "xmlns" && a.Name.Space != "http://www.w3.org/XML/1998/namespace" {
					return fmt.Errorf("attribute %s:%s has an undeclared prefix", a.Name.Space, a.Name.Local)
				}
			}
		case xml.EndElement:
			depth--
		case xml.Comment, xml.ProcInst, xml.Directive:
			return fmt.Errorf("restricted XML construct %T", tk)
		}
	}
}

// Validating a peer needs no certificate of one's own (issue 14): an
// initiator that requires valid certificates but holds none checks the
// receiver's CA-issued certificate and federates by dialback over TLS.
func TestRequireValidCertWithoutOwnCertificate(t *testing.T) {
	cfg, _, err := PairConfig(Pair{Initiator: "type4", Receiver: "type5"}, PairOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ini := &cfg.Servers[0]
	ini.CertKind, ini.Trust = nodes.CertNone, []string{ImplicitCA}
	ini.Policy.RequireValidCert = true
	w, err := Build(cfg)
	if err != nil {
		t.Fatalf("a server requiring valid certificates without one of its own: %v", err)
	}
	w.Run(RunDeadline)
	if r := w.ReadPair("type4.lit", "type5.lit"); r.Outcome != nodes.LevelEncrypted || !r.Delivered {
		t.Fatalf("type4 without a certificate, requiring valid ones, to type5: %+v, want E and the ping delivered", r)
	}
}

// Who verified whom (issue 14): XEP-0238's letter is how the receiver
// authenticated the initiator; ReceiverAuth is the other half. A receiver
// whose certificate the initiator cannot verify still yields T (SASL
// EXTERNAL authenticated the initiator) but was reached on DNS's word only.
func TestWhoVerifiedWhom(t *testing.T) {
	for _, c := range []struct {
		pair   Pair
		faults []Fault
		level  nodes.Level
		auth   nodes.ReceiverAuth
	}{
		{Pair{"type5", "type5"}, nil, nodes.LevelTrusted, nodes.ReceiverByCertificate},
		{Pair{"type5", "type5"}, []Fault{{Kind: CertUntrustedCA, Target: "example.lit"}}, nodes.LevelTrusted, nodes.ReceiverByDNS},
		{Pair{"type2", "type3"}, nil, nodes.LevelVerified, nodes.ReceiverByDNS},
		{Pair{"type1", "type4"}, nil, nodes.LevelNone, nodes.ReceiverUnauthenticated},
	} {
		r, err := RunPair(c.pair, PairOptions{Seed: 1, Faults: c.faults})
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != c.level || r.ReceiverAuth != c.auth {
			t.Errorf("%v %v: %s, receiver authenticated by %s; want %s and %s", c.pair, c.faults, r.Outcome.Letter(), r.ReceiverAuth, c.level.Letter(), c.auth)
		}
	}
}
