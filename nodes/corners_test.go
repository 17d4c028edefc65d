package nodes

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// XEP-0220 §2.2.2: with dialback errors, a <db:verify/> for a domain the
// server does not host gets a dialback item-not-found error, and the
// stream stays up (it may carry other domain pairs); without them, the
// stream error host-unknown remains.
func TestVerifyForUnhostedDomain(t *testing.T) {
	for _, c := range []struct {
		errors bool
		want   string
		closed bool
	}{
		{true, "<db:verify from='nobody.lit' id='abc' to='type4.lit' type='error'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></db:verify>", false},
		{false, "<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", true},
	} {
		p, _ := PresetByName("type2")
		p.Policy.DialbackErrors = c.errors
		s, err := New(Config{Domain: "type2.lit", Policy: p.Policy, Secret: "s3cr3t", Users: []string{"juliet"}, Rand: rand.New(rand.NewPCG(1, 2))})
		if err != nil {
			t.Fatal(err)
		}
		s.Accepted(1, 5269, "type4.lit")
		s.Received(1, transport.Server, []byte(strings.Replace(peerHeader, "evil.lit", "type4.lit", 1)))
		out, closed := written(s.Received(1, transport.Server, []byte("<db:verify from='type4.lit' id='abc' to='nobody.lit'>k</db:verify>")))
		if !strings.Contains(out, c.want) || closed != c.closed {
			t.Errorf("dialback_errors=%v: wrote %s (closed %v); want %s (closed %v)", c.errors, out, closed, c.want, c.closed)
		}
	}
}

// RFC 6120 §4.9.3.9 and §4.9.3.14: on a stream authenticated for a domain,
// a stanza from another domain gets invalid-from, and one without 'from'
// or 'to' gets improper-addressing; an unauthenticated stream still gets
// not-authorized.
func TestStanzaAddressing(t *testing.T) {
	for _, c := range []struct{ stanza, cond string }{
		{"<message from='romeo@other.lit' to='juliet@type2.lit'/>", "invalid-from"},
		{"<message to='juliet@type2.lit'/>", "improper-addressing"},
		{"<message from='romeo@type4.lit'/>", "improper-addressing"},
		{"<message from='romeo@type4.lit' to='juliet@type2.lit'><body>hi</body></message>", ""},
	} {
		s := newTestServer(t, "type2")
		st := &stream{conn: 1, end: transport.Server, level: LevelVerified, authDomain: "type4.lit", state: stOpen}
		s.handleInboundStanza(st, parseTestStanza(t, c.stanza))
		out, _ := written(s.take())
		switch {
		case c.cond == "" && strings.Contains(out, "stream:error"):
			t.Errorf("%s: refused: %s", c.stanza, out)
		case c.cond != "" && !strings.Contains(out, "<"+c.cond+" "):
			t.Errorf("%s: wrote %s, want <%s/>", c.stanza, out, c.cond)
		}
	}
	s := newTestServer(t, "type2")
	st := &stream{conn: 1, end: transport.Server, state: stOpen}
	s.handleInboundStanza(st, parseTestStanza(t, "<message from='romeo@type4.lit' to='juliet@type2.lit'/>"))
	if out, _ := written(s.take()); !strings.Contains(out, "<not-authorized ") {
		t.Errorf("unauthenticated stream: %s", out)
	}
}

// RFC 6120 §8.3.3.16: when the address record resolves but nothing answers
// on port 5269, waiting stanzas bounce with remote-server-not-found
// (cancel); a target that times out, or one found through SRV, keeps
// remote-server-timeout (wait, §8.3.3.17).
func TestRefusedFallbackBounce(t *testing.T) {
	for _, c := range []struct {
		via      string
		err      error
		cond, ty string
	}{
		{"A", errRefusedForTest, "remote-server-not-found", "cancel"},
		{"A", ErrConnectTimeout, "remote-server-timeout", "wait"},
		{"SRV", errRefusedForTest, "remote-server-timeout", "wait"},
	} {
		s := newTestServer(t, "type2")
		ping := xmlstream.NewElement("iq", "from", "juliet@type2.lit/r", "id", "p1", "to", "v@type4.lit", "type", "get")
		ping.AddChild(xmlstream.NewElement("ping", "xmlns", nsPing))
		tag := tagOf(t, s.Send(ping), EffResolve)
		effs := s.Resolved(tag, dns.Answer{Domain: "type4.lit", Targets: []dns.Target{{Host: "type4.lit", Addr: "10.0.0.4", Port: 5269, Via: c.via}}})
		dial := tagOf(t, effs, EffDial)
		effs = s.Dialed(dial, 0, c.err)
		var bounce string
		for _, e := range effs {
			if e.Kind == EffNote && e.Event == "bounce" && e.Stanza != nil {
				bounce = string(e.Stanza.AppendXML(nil))
			}
		}
		if !strings.Contains(bounce, "<error type='"+c.ty+"'><"+c.cond+" ") {
			t.Errorf("via %s, %v: bounce %s, want %s/%s", c.via, c.err, bounce, c.cond, c.ty)
		}
	}
}

var errRefusedForTest = errors.New("connection refused")

// tagOf finds the tag of the first effect of kind k.
func tagOf(t *testing.T, effs []Effect, k EffectKind) int64 {
	t.Helper()
	for _, e := range effs {
		if e.Kind == k {
			return e.Tag
		}
	}
	t.Fatalf("no effect of kind %d among %d", k, len(effs))
	return 0
}

func parseTestStanza(t *testing.T, x string) *xmlstream.Element {
	t.Helper()
	e := xmlstream.ParseUnit(x)
	if e == nil {
		t.Fatalf("does not parse: %s", x)
	}
	return e
}

// RFC 6120 §6.4.2: an <auth mechanism='EXTERNAL'/> without any initial
// response (not even "=") gets the empty challenge; success comes only
// after the initiating entity's <response/>. The initiating side answers a
// challenge with its authorization identity.
func TestExternalChallengeRound(t *testing.T) {
	s := saslReady(t)
	out, _ := written(s.Received(1, transport.Server, []byte("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'/>")))
	if strings.Contains(out, "<success") || !strings.Contains(out, "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</challenge>") {
		t.Fatalf("auth without initial response: %s, want the empty challenge and no success", out)
	}
	out, _ = written(s.Received(1, transport.Server, []byte("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>ZXZpbC5saXQ=</response>")))
	if !strings.Contains(out, "<success") {
		t.Fatalf("response to the challenge: %s, want success", out)
	}
}

// A thousand <db:result/> on one stream used to start a thousand DNS
// lookups and outbound connections; now at most MaxPendingPerStream checks
// run at once, and the stream that asks for more is closed with
// <policy-violation/> (issue 14).
func TestPendingVerificationsAreBounded(t *testing.T) {
	s := newTestServer(t, "type2")
	s.Accepted(1, 5269, "type4.lit")
	s.Received(1, transport.Server, []byte(strings.Replace(peerHeader, "evil.lit", "type4.lit", 1)))
	resolves, violation := 0, false
	for i := 0; i < 1000 && !violation; i++ {
		effs := s.Received(1, transport.Server, []byte("<db:result from='type4.lit' to='type2.lit'>k</db:result>"))
		for _, e := range effs {
			if e.Kind == EffResolve {
				resolves++
			}
		}
		out, _ := written(effs)
		violation = strings.Contains(out, "<policy-violation ")
	}
	if resolves > MaxPendingPerStream || !violation {
		t.Fatalf("%d lookups started (at most %d), policy-violation sent: %v", resolves, MaxPendingPerStream, violation)
	}
}
