package nodes

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/xmlstream"

	"github.com/fedsim/fedsim/nodes/dialback"
)

func newTestServer(t *testing.T, preset string) *Server {
	t.Helper()
	p, ok := PresetByName(preset)
	if !ok {
		t.Fatalf("no preset %s", preset)
	}
	s, err := New(Config{Domain: p.Name + ".lit", Policy: p.Policy, Secret: "s3cr3t", Users: []string{"juliet"},
		Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const peerHeader = `<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' ` +
	`xmlns:stream='http://etherx.jabber.org/streams' from='evil.lit' to='type2.lit' version='1.0'>`

// written concatenates what the server wrote and reports whether it closed.
func written(effs []Effect) (string, bool) {
	var b strings.Builder
	closed := false
	for _, e := range effs {
		switch e.Kind {
		case EffWrite:
			b.Write(e.Data)
		case EffClose:
			closed = true
		}
	}
	return b.String(), closed
}

// A peer that breaks RFC 6120 §11 gets the right stream error, the stream
// is closed cleanly (</stream:stream> and a TCP close), and nothing panics.
func TestMisbehavingPeerGetsStreamError(t *testing.T) {
	cases := []struct {
		name, input, cond string
	}{
		{"comment", peerHeader + "<!-- hello -->", "restricted-xml"},
		{"processing instruction", peerHeader + "<?evil instruction?>", "restricted-xml"},
		{"DTD", "<!DOCTYPE stream [<!ENTITY x 'y'>]>" + peerHeader, "restricted-xml"},
		{"entity reference", peerHeader + "<message from='a@evil.lit' to='juliet@type2.lit'><body>&x;</body></message>", "restricted-xml"},
		{"undeclared prefix", peerHeader + "<foo:bar/>", "not-well-formed"},
		{"broken XML", peerHeader + "<db:result from='evil.lit' to='type2.lit'>key</db:verify>", "not-well-formed"},
		{"wrong stream namespace", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.lit/streams' to='type2.lit' version='1.0'>`, "invalid-namespace"},
		{"wrong content namespace", `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='type2.lit' version='1.0'>`, "invalid-namespace"},
		{"unknown host", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='nobody.lit' version='1.0'>`, "host-unknown"},
		{"stanza before authentication", peerHeader + "<message from='a@evil.lit' to='juliet@type2.lit'/>", "not-authorized"},
		{"unknown first-level element", peerHeader + "<foo xmlns='urn:example'/>", "unsupported-stanza-type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(t, "type2")
			s.Accepted(1, 5269, "evil.lit")
			// Feed it one byte at a time as well: same verdict.
			for _, oneByte := range []bool{false, true} {
				s := newTestServer(t, "type2")
				s.Accepted(1, 5269, "evil.lit")
				var effs []Effect
				if oneByte {
					for i := 0; i < len(c.input); i++ {
						effs = append(effs, s.Received(1, transport.Server, []byte{c.input[i]})...)
					}
				} else {
					effs = append(effs, s.Received(1, transport.Server, []byte(c.input))...)
				}
				out, closed := written(effs)
				want := "<stream:error><" + c.cond + " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"
				if !strings.Contains(out, want) {
					t.Fatalf("oneByte=%t: server wrote\n%s\nwant it to contain %s", oneByte, out, want)
				}
				if !strings.HasPrefix(out, "<stream:stream ") {
					t.Fatalf("oneByte=%t: the stream error is not inside a stream (RFC 6120 §4.9.1.2):\n%s", oneByte, out)
				}
				if !closed {
					t.Fatalf("oneByte=%t: connection not closed after the stream error", oneByte)
				}
				// Anything after the error is ignored, not processed.
				if more := s.Received(1, transport.Server, []byte("<message/>")); len(more) != 0 {
					t.Fatalf("server acted on bytes after its stream error: %+v", more)
				}
			}
		})
	}
}

// RFC 6120 §4.7.5: a header without version gets a response without one
// and no stream features; with version='1.0' it gets both.
func TestVersionNegotiation(t *testing.T) {
	for _, c := range []struct {
		header       string
		wantVersion  bool
		wantFeatures bool
	}{
		{strings.Replace(peerHeader, " version='1.0'", "", 1), false, false},
		{peerHeader, true, true},
	} {
		s := newTestServer(t, "type2")
		s.Accepted(1, 5269, "evil.lit")
		out, _ := written(s.Received(1, transport.Server, []byte(c.header)))
		if got := strings.Contains(out, "version='1.0'"); got != c.wantVersion {
			t.Errorf("header %q: response version present = %t, want %t (%s)", c.header, got, c.wantVersion, out)
		}
		if got := strings.Contains(out, "<stream:features>"); got != c.wantFeatures {
			t.Errorf("header %q: features sent = %t, want %t (%s)", c.header, got, c.wantFeatures, out)
		}
	}
}

// The Authoritative Server answers db:verify by recomputing the XEP-0185 key.
func TestAuthoritativeAnswer(t *testing.T) {
	s := newTestServer(t, "type2")
	s.Accepted(1, 5269, "type4.lit")
	hdr := strings.Replace(peerHeader, "evil.lit", "type4.lit", 1)
	s.Received(1, transport.Server, []byte(hdr))
	key := dialback.Key("s3cr3t", "type4.lit", "type2.lit", "abc")
	out, _ := written(s.Received(1, transport.Server, []byte("<db:verify from='type4.lit' id='abc' to='type2.lit'>"+key+"</db:verify>")))
	if !strings.Contains(out, "<db:verify from='type2.lit' id='abc' to='type4.lit' type='valid'/>") {
		t.Fatalf("valid key: %s", out)
	}
	out, _ = written(s.Received(1, transport.Server, []byte("<db:verify from='type4.lit' id='abd' to='type2.lit'>"+key+"</db:verify>")))
	if !strings.Contains(out, "type='invalid'") {
		t.Fatalf("key for another stream id accepted: %s", out)
	}
}

func TestPolicyValidation(t *testing.T) {
	for _, p := range Presets() {
		if err := p.Policy.Validate(); err != nil {
			t.Errorf("preset %s: %v", p.Name, err)
		}
	}
	bad := Policy{Version: XMPP09, StartTLS: TLSRequired, InitiateTLS: InitiateAlways, Accept: LevelSet(LevelVerified)}
	err := bad.Validate()
	if err == nil {
		t.Fatal("inconsistent policy accepted")
	}
	for _, want := range []string{"starttls must be not-offered", "initiate_tls must be never", "dialback nor SASL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// After a SASL EXTERNAL failure, a server with sasl_fallback tries dialback
// on the same stream; without it, it gives up.
func TestSASLFallback(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		p, _ := PresetByName("type3")
		pol := p.Policy
		pol.SASLFallback = fallback
		s, err := New(Config{Domain: "a.lit", Policy: pol, Secret: "k", Users: []string{"u"}, Rand: rand.New(rand.NewPCG(1, 2)),
			Cert: caTestCert()})
		if err != nil {
			t.Fatal(err)
		}
		tagOf := func(effs []Effect, k EffectKind) int64 {
			for _, e := range effs {
				if e.Kind == k {
					return e.Tag
				}
			}
			t.Fatalf("no effect of kind %d in %+v", k, effs)
			return 0
		}
		effs := s.Send(xmlstreamPing())
		effs = s.Resolved(tagOf(effs, EffResolve), dnsAnswer())
		s.Dialed(tagOf(effs, EffDial), 1, nil)
		hdr := "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' from='b.lit' id='s1' to='a.lit' version='1.0'>"
		s.Received(1, transport.Client, []byte(hdr+"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"))
		s.Received(1, transport.Client, []byte("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
		s.TLSDone(1, transport.Client, transport.TLSResult{OK: true})
		out, _ := written(s.Received(1, transport.Client, []byte(strings.Replace(hdr, "s1", "s2", 1)+"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms></stream:features>")))
		if !strings.Contains(out, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>") {
			t.Fatalf("no SASL EXTERNAL attempt: %s", out)
		}
		out, closed := written(s.Received(1, transport.Client, []byte("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>")))
		if fallback && (!strings.Contains(out, "<db:result from='a.lit' to='b.lit'>") || closed) {
			t.Fatalf("sasl_fallback: want a dialback key, got %q closed=%t", out, closed)
		}
		if !fallback && (strings.Contains(out, "db:result") || !closed) {
			t.Fatalf("without sasl_fallback: want the stream closed, got %q closed=%t", out, closed)
		}
	}
}

func caTestCert() *ca.Cert {
	return ca.SelfSign(ca.Template{Subject: "a.lit", DNSNames: []string{"a.lit"}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<40, 0)}, []byte("k"))
}

func xmlstreamPing() *xmlstream.Element {
	iq := xmlstream.NewElement("iq", "from", "u@a.lit/r", "id", "p1", "to", "v@b.lit", "type", "get")
	iq.AddChild(xmlstream.NewElement("ping", "xmlns", nsPing))
	return iq
}

func dnsAnswer() dns.Answer {
	return dns.Answer{Domain: "b.lit", Targets: []dns.Target{{Host: "b.lit", Addr: "10.0.0.2", Port: 5269, Via: "A"}}}
}

// Review findings, pinned.

// Plaintext that follows <starttls/> is dropped, never read as the
// encrypted stream (CVE-2011-0411).
func TestSTARTTLSInjectionIsDropped(t *testing.T) {
	s := newTestServer(t, "type2")
	s.Accepted(1, 5269, "evil.lit")
	s.Received(1, transport.Server, []byte(peerHeader))
	injected := "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" + peerHeader + "<db:result from='evil.lit' to='type2.lit'>k</db:result>"
	out, _ := written(s.Received(1, transport.Server, []byte(injected)))
	if !strings.Contains(out, "<proceed") {
		t.Fatalf("no proceed: %s", out)
	}
	effs := s.TLSDone(1, transport.Server, transport.TLSResult{OK: true})
	for _, e := range effs {
		if e.Kind == EffWrite || e.Kind == EffResolve {
			t.Fatalf("the injected header or key was acted on: %+v", e)
		}
	}
	// The real encrypted stream still works.
	if out, _ := written(s.Received(1, transport.Server, []byte(peerHeader))); !strings.Contains(out, "<stream:stream ") {
		t.Fatalf("no answer to the encrypted stream's header: %s", out)
	}
}

// A dialback check started before TLS does not authenticate the stream
// after it (RFC 6120 §5.4.3.3).
func TestTrustBeforeTLSIsDiscarded(t *testing.T) {
	s := newTestServer(t, "type2")
	s.Accepted(1, 5269, "evil.lit")
	s.Received(1, transport.Server, []byte(peerHeader))
	effs := s.Received(1, transport.Server, []byte("<db:result from='evil.lit' to='type2.lit'>k</db:result>"))
	var resolve int64
	for _, e := range effs {
		if e.Kind == EffResolve {
			resolve = e.Tag
		}
	}
	if resolve == 0 {
		t.Fatal("no verification started")
	}
	s.Received(1, transport.Server, []byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
	s.TLSDone(1, transport.Server, transport.TLSResult{OK: true})
	s.Received(1, transport.Server, []byte(peerHeader))
	// The old check's answer path must be dead: resolving it starts nothing.
	for _, e := range s.Resolved(resolve, dnsAnswer()) {
		if e.Kind == EffDial {
			t.Fatalf("a check from before TLS went on: %+v", e)
		}
	}
	out, _ := written(s.Received(1, transport.Server, []byte("<message from='a@evil.lit' to='juliet@type2.lit'/>")))
	if !strings.Contains(out, "<not-authorized") {
		t.Fatalf("a stanza was accepted on the strength of a pre-TLS check: %s", out)
	}
}

// A 0.9 server ignores stream features a 1.0 peer sends anyway.
func TestOldServerIgnoresFeatures(t *testing.T) {
	p, _ := PresetByName("type1")
	s, err := New(Config{Domain: "a.lit", Policy: p.Policy, Secret: "k", Users: []string{"u"}, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	tagOf := func(effs []Effect, k EffectKind) int64 {
		for _, e := range effs {
			if e.Kind == k {
				return e.Tag
			}
		}
		t.Fatalf("no effect %d", k)
		return 0
	}
	effs := s.Send(xmlstreamPing())
	effs = s.Resolved(tagOf(effs, EffResolve), dnsAnswer())
	s.Dialed(tagOf(effs, EffDial), 1, nil)
	hdr := "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' from='b.lit' id='s1' to='a.lit' version='1.0'>"
	out, closed := written(s.Received(1, transport.Client, []byte(hdr+"<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>")))
	if closed || strings.Contains(out, "stream:error") || !strings.Contains(out, "<db:result") {
		t.Fatalf("0.9 server and features: %q closed=%t", out, closed)
	}
}

// After SASL success a second <auth/> is not on offer.
// saslReady is a type3-policy receiving server whose connection 1 from
// evil.lit has done TLS with a CA-issued certificate for evil.lit and
// restarted its stream: the next element is SASL EXTERNAL's <auth/>.
func saslReady(t *testing.T) *Server {
	t.Helper()
	p, _ := PresetByName("type3")
	root := ca.NewRoot("R", time.Unix(0, 0), time.Unix(1<<40, 0), []byte("r"))
	peer := root.Issue(ca.Template{Subject: "evil.lit", DNSNames: []string{"evil.lit"}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<40, 0)})
	s, err := New(Config{Domain: "type2.lit", Policy: p.Policy, Secret: "k", Users: []string{"u"}, Rand: rand.New(rand.NewPCG(1, 2)),
		Cert: caTestCert(), Trust: ca.NewPool(root.Cert)})
	if err != nil {
		t.Fatal(err)
	}
	s.Now = time.Unix(1000, 0)
	s.Accepted(1, 5269, "evil.lit")
	s.Received(1, transport.Server, []byte(peerHeader))
	s.Received(1, transport.Server, []byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
	s.TLSDone(1, transport.Server, transport.TLSResult{OK: true, PeerCert: peer})
	s.Received(1, transport.Server, []byte(peerHeader))
	return s
}

func TestSecondAuthRefused(t *testing.T) {
	s := saslReady(t)
	auth := "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>"
	if out, _ := written(s.Received(1, transport.Server, []byte(auth))); !strings.Contains(out, "<success") {
		t.Fatalf("first auth: %s", out)
	}
	s.Received(1, transport.Server, []byte(peerHeader))
	if out, _ := written(s.Received(1, transport.Server, []byte(auth))); strings.Contains(out, "<success") {
		t.Fatalf("a second auth succeeded: %s", out)
	}
}

// A peer that connects and falls silent is cut off after the negotiation
// timeout with <connection-timeout/>.
func TestSilentPeerTimesOut(t *testing.T) {
	s := newTestServer(t, "type2")
	effs := s.Accepted(1, 5269, "evil.lit")
	var timer int64
	for _, e := range effs {
		if e.Kind == EffTimer {
			timer = e.Tag
		}
	}
	if timer == 0 {
		t.Fatal("no deadline armed for the inbound stream")
	}
	out, closed := written(s.Timer(timer))
	if !strings.Contains(out, "<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") || !closed {
		t.Fatalf("silent peer: %q closed=%t", out, closed)
	}
}

func TestConstantElements(t *testing.T) {
	for want, el := range map[string]*xmlstream.Element{
		starttlsXML: xmlstream.NewElement("starttls", "xmlns", nsTLS),
		proceedXML:  xmlstream.NewElement("proceed", "xmlns", nsTLS),
		successXML:  xmlstream.NewElement("success", "xmlns", nsSASL),
	} {
		if got := string(el.AppendXML(nil)); got != want {
			t.Errorf("constant %q, serialised %q", want, got)
		}
	}
}

// TestDialbackElements: the dialback elements written without a tree are
// the bytes AppendXML makes of the tree the protocol code used to build.
func TestDialbackElements(t *testing.T) {
	for _, c := range []struct{ name, from, id, to, typ, key string }{
		{"db:result", "a.lit", "", "b.lit", "", "0123abcd"},
		{"db:result", "a.lit", "", "b.lit", "valid", ""},
		{"db:result", "a.lit", "", "b.lit", "invalid", ""},
		{"db:verify", "a.lit", "i'd<&>", "b.lit", "", "k&<'\""},
		{"db:verify", "a.lit", "", "b.lit", "valid", ""},
		{"db:verify", "a'.lit", "x\ty\n", "b\".lit", "invalid", ""},
	} {
		el := xmlstream.NewElement(c.name, "from", c.from)
		if c.name == "db:verify" {
			el.SetAttr("id", c.id)
		}
		el.SetAttr("to", c.to)
		if c.typ != "" {
			el.SetAttr("type", c.typ)
		}
		el.AddText(c.key)
		want := el.String()
		if got := string(appendDialback(nil, c.name, c.from, c.id, c.to, c.typ, c.key)); got != want {
			t.Errorf("%+v:\n got  %s\n want %s", c, got, want)
		}
	}
}

// TestFeatureForms: every feature's forms, listed in <stream:features/>,
// parse back to an element the feature's take finds by its name, and
// re-serialise to the same bytes (so a form is what AppendXML makes of it).
func TestFeatureForms(t *testing.T) {
	for _, f := range featuresFor(Policy{}) {
		if len(f.forms) == 0 {
			t.Errorf("%s has no forms", f.name)
		}
		for i, form := range f.forms {
			x := "<stream:features>" + form + "</stream:features>"
			p := xmlstream.NewParser()
			p.Feed([]byte("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>" + x))
			if _, _, err := p.Next(); err != nil {
				t.Fatal(err)
			}
			tok, ok, err := p.Next()
			if !ok || err != nil {
				t.Fatalf("%s form %d: %v %v", f.name, i+1, ok, err)
			}
			ad := tok.Elem.ChildNS(f.space, f.local)
			if ad == nil {
				t.Errorf("%s form %d %s: no <%s xmlns='%s'/> in it", f.name, i+1, form, f.local, f.space)
				continue
			}
			if got := tok.Elem.String(); got != x {
				t.Errorf("%s form %d re-serialises as %s, want %s", f.name, i+1, got, x)
			}
		}
	}
}

// TestReceivedWithHandle: a stream handle from StreamContext reaches the
// same stream as Received; a nil handle, another server's, or one for a
// different connection falls back to the lookup; after the connection is
// closed the old handle finds nothing.
func TestReceivedWithHandle(t *testing.T) {
	run := func(feed func(s, other *Server) []Effect) string {
		s, other := newTestServer(t, "type2"), newTestServer(t, "type2")
		s.Accepted(1, 5269, "evil.lit")
		other.Accepted(1, 5269, "evil.lit")
		s.Accepted(2, 5269, "evil.lit")
		out, _ := written(feed(s, other))
		return out
	}
	want := run(func(s, _ *Server) []Effect { return s.Received(1, transport.Server, []byte(peerHeader)) })
	if !strings.Contains(want, "<stream:stream ") {
		t.Fatalf("no response header: %q", want)
	}
	for name, feed := range map[string]func(s, other *Server) []Effect{
		"own handle": func(s, _ *Server) []Effect {
			return s.ReceivedWith(s.StreamContext(1, transport.Server), 1, transport.Server, []byte(peerHeader))
		},
		"nil handle": func(s, _ *Server) []Effect { return s.ReceivedWith(nil, 1, transport.Server, []byte(peerHeader)) },
		"foreign handle": func(s, o *Server) []Effect {
			return s.ReceivedWith(o.StreamContext(1, transport.Server), 1, transport.Server, []byte(peerHeader))
		},
		"other stream": func(s, _ *Server) []Effect {
			return s.ReceivedWith(s.StreamContext(2, transport.Server), 1, transport.Server, []byte(peerHeader))
		},
		"not a stream": func(s, _ *Server) []Effect { return s.ReceivedWith("x", 1, transport.Server, []byte(peerHeader)) },
	} {
		if got := run(feed); got != want {
			t.Errorf("%s: wrote %q, want %q", name, got, want)
		}
	}
	s := newTestServer(t, "type2")
	s.Accepted(1, 5269, "evil.lit")
	h := s.StreamContext(1, transport.Server)
	s.Closed(1, transport.Server, nil)
	if out, _ := written(s.ReceivedWith(h, 1, transport.Server, []byte(peerHeader))); out != "" {
		t.Errorf("a closed connection's handle still reached its stream: wrote %q", out)
	}
	if s.StreamContext(1, transport.Server) != nil || s.StreamContext(7, transport.Server) != nil {
		t.Error("StreamContext found a stream that is gone or never was")
	}
}
