package nodes

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

var smIDRe = regexp.MustCompile(`<enabled xmlns='urn:xmpp:sm:3' id='([^']*)'`)

// A Receiving Server's session (XEP-0198 §4, §5): counted, kept when the
// stream breaks, resumed on a newly authenticated stream with the count
// it had, or — after its resumption timeout — refused with that count
// still in <failed h=…/>; and never resumed for another domain.
func TestSMReceivingSession(t *testing.T) {
	for _, c := range []struct {
		name string
		// expire fires the resumption timeout before the <resume/>;
		// other: the new stream is authenticated for another domain.
		// forget fires the tombstone's timeout too.
		expire, other, forget bool
		want                  string
	}{
		{name: "resumed", want: "<resumed xmlns='urn:xmpp:sm:3' h='2' previd='ID'/>"},
		{name: "expired", expire: true, want: "<failed xmlns='urn:xmpp:sm:3' h='2'><item-not-found"},
		{name: "forgotten", expire: true, forget: true, want: "<failed xmlns='urn:xmpp:sm:3'><item-not-found"},
		{name: "another domain", other: true, want: "<failed xmlns='urn:xmpp:sm:3'><item-not-found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(t, "type2")
			s.cfg.Policy.StreamManagement = true
			authenticateOn(t, s, 1, 2)
			out, _ := written(s.Received(1, transport.Server, []byte("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")))
			m := smIDRe.FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, "max='120' resume='true'") {
				t.Fatalf("no resumable session: %s", out)
			}
			id := m[1]
			s.Received(1, transport.Server, []byte(stanza+stanza))
			effs := s.Closed(1, transport.Server, errors.New("reset"))
			timer := effectTag(t, effs, EffTimer)
			if c.expire {
				again := effectTag(t, s.Timer(timer), EffTimer)
				if c.forget {
					s.Timer(again)
					if len(s.smSessions) != 0 {
						t.Fatalf("%d sessions left after their tombstone's timeout", len(s.smSessions))
					}
				}
			}
			if c.other {
				s.smSessions[id].domain = "someone-else.lit"
			}
			authenticateOn(t, s, 3, 4)
			out, _ = written(s.Received(3, transport.Server, []byte("<resume xmlns='urn:xmpp:sm:3' h='0' previd='"+id+"'/>")))
			if want := strings.ReplaceAll(c.want, "ID", id); !strings.Contains(out, want) {
				t.Fatalf("want %s, got %s", want, out)
			}
			if c.name == "resumed" {
				// The count goes on where it was.
				out, _ = written(s.Received(3, transport.Server, []byte(stanza+"<r xmlns='urn:xmpp:sm:3'/>")))
				if !strings.Contains(out, "h='3'") {
					t.Fatalf("after resumption: %s", out)
				}
			}
		})
	}
}

// The initiating server's acknowledgements are counts modulo 2^32
// (XEP-0198 §4): an <a/> drops exactly the stanzas it covers, across the
// wrap; a count beyond what was sent is a stream error.
func TestSMAckedCounts(t *testing.T) {
	const max32 = 1<<32 - 1
	for _, c := range []struct {
		name         string
		acked        uint32
		unacked      int
		h            string
		left         int
		streamError  string
		wantAckedNow uint32
	}{
		{name: "none", acked: 5, unacked: 3, h: "5", left: 3, wantAckedNow: 5},
		{name: "some", acked: 5, unacked: 3, h: "7", left: 1, wantAckedNow: 7},
		{name: "all", acked: 5, unacked: 3, h: "8", left: 0, wantAckedNow: 8},
		{name: "across the wrap", acked: max32 - 1, unacked: 3, h: "0", left: 1, wantAckedNow: 0},
		{name: "too many", acked: 5, unacked: 3, h: "9", streamError: "undefined-condition"},
		{name: "too many across the wrap", acked: max32, unacked: 1, h: "1", streamError: "undefined-condition"},
		{name: "not a 32-bit count", acked: 0, unacked: 1, h: "4294967296", streamError: "invalid-xml"},
		{name: "not a number", acked: 0, unacked: 1, h: "x", streamError: "invalid-xml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(t, "type5")
			st := s.newStream(roleOriginating, 1, transport.Client)
			st.peer = "peer.lit"
			r := &route{domain: "peer.lit", st: st, state: routeEstablished, sm: &smOut{enabled: true, acked: c.acked}}
			st.route = r
			for i := 0; i < c.unacked; i++ {
				r.sm.unacked = append(r.sm.unacked, xmlstream.NewElement("message"))
			}
			ok := s.smAcked(r, c.h)
			out, _ := written(s.take())
			if c.streamError != "" {
				if ok || !strings.Contains(out, "<"+c.streamError+" ") {
					t.Fatalf("want <%s/>, ok=%t, wrote %s", c.streamError, ok, out)
				}
				return
			}
			if !ok || len(r.sm.unacked) != c.left || r.sm.acked != c.wantAckedNow {
				t.Fatalf("ok=%t, %d left (want %d), acked %d (want %d), wrote %s", ok, len(r.sm.unacked), c.left, r.sm.acked, c.wantAckedNow, out)
			}
		})
	}
}

// The initiating server's answers to <resume/> (XEP-0198 §5): <resumed
// h/> re-sends what was not handled; <failed h/> puts it first in the
// queue of a new session; <failed/> without h bounces every unacknowledged
// stanza as unconfirmed. Either failure enables a new session.
func TestSMResumeAnswers(t *testing.T) {
	for _, c := range []struct {
		name, answer   string
		resent, queued int
		bounced        int
		enable         bool
	}{
		{name: "resumed", answer: "<resumed xmlns='urn:xmpp:sm:3' h='11' previd='S'/>", resent: 2},
		{name: "failed with h", answer: "<failed xmlns='urn:xmpp:sm:3' h='12'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>", queued: 1, enable: true},
		{name: "failed without h", answer: "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>", bounced: 3, enable: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(t, "type5")
			s.cfg.Policy.StreamManagement = true
			st := s.newStream(roleOriginating, 1, transport.Client)
			st.peer, st.state = "peer.lit", stOpen
			r := &route{domain: "peer.lit", st: st, state: routeEstablished,
				sm: &smOut{id: "S", waiting: true, resuming: true, acked: 10, sent: 13}}
			st.route = r
			for i := 0; i < 3; i++ {
				r.sm.unacked = append(r.sm.unacked, xmlstream.NewElement("message", "from", "juliet@type5.lit/x", "to", "romeo@peer.lit", "id", string(rune('a'+i))))
			}
			s.smAnswer(st, xmlstream.ParseUnit(c.answer))
			effs := s.take()
			out, _ := written(effs)
			bounced := 0
			for _, e := range effs {
				if e.Kind == EffNote && e.Event == "bounce-unconfirmed" {
					bounced++
				}
			}
			resent := strings.Count(out, "<message ")
			if resent != c.resent || len(r.queue) != c.queued || bounced != c.bounced || strings.Contains(out, "<enable ") != c.enable {
				t.Fatalf("resent %d (want %d), queued %d (want %d), bounced %d (want %d), enable %t; wrote %s",
					resent, c.resent, len(r.queue), c.queued, bounced, c.bounced, strings.Contains(out, "<enable "), out)
			}
			if c.name == "resumed" && (!strings.Contains(out, "id='b'") || strings.Contains(out, "id='a'")) {
				t.Fatalf("re-sent the wrong stanzas: %s", out)
			}
		})
	}
}

// Stream management without resumption (sm_resume=false, as Prosody
// 0.12.3 on s2s): as receiving server, <enable resume='true'/> gets
// <enabled/> without id or max (the 'resume' echoed, as Prosody does), no session is kept for resumption
// and a broken stream arms no resumption timer (XEP-0198 §5 lets a server
// refuse resumption); with the default, the same <enable/> gets a
// resumable session.
func TestSMNoResumeReceiving(t *testing.T) {
	for _, c := range []struct {
		name     string
		noResume bool
		enable   string
		want     string
		kept     int
	}{
		{name: "default grants", enable: "<enable xmlns='urn:xmpp:sm:3' resume='true'/>", want: "max='120' resume='true'", kept: 1},
		{name: "refused", noResume: true, enable: "<enable xmlns='urn:xmpp:sm:3' resume='true'/>", want: "<enabled xmlns='urn:xmpp:sm:3' resume='true'/>"},
		{name: "not asked", noResume: true, enable: "<enable xmlns='urn:xmpp:sm:3'/>", want: "<enabled xmlns='urn:xmpp:sm:3'/>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(t, "type2")
			s.cfg.Policy.StreamManagement, s.cfg.Policy.SMNoResume = true, c.noResume
			authenticateOn(t, s, 1, 2)
			out, _ := written(s.Received(1, transport.Server, []byte(c.enable)))
			if !strings.Contains(out, c.want) || len(s.smSessions) != c.kept {
				t.Fatalf("want %s and %d sessions kept, got %d, wrote %s", c.want, c.kept, len(s.smSessions), out)
			}
			// Handled stanzas are still counted and acknowledged.
			out, _ = written(s.Received(1, transport.Server, []byte(stanza+stanza+"<r xmlns='urn:xmpp:sm:3'/>")))
			if !strings.Contains(out, "<a xmlns='urn:xmpp:sm:3' h='2'/>") {
				t.Fatalf("no <a h='2'/>: %s", out)
			}
			timers := 0
			for _, e := range s.Closed(1, transport.Server, errors.New("reset")) {
				if e.Kind == EffTimer {
					timers++
				}
			}
			if timers != c.kept {
				t.Fatalf("%d resumption timers armed when the stream broke, want %d", timers, c.kept)
			}
		})
	}
}

// As initiating server without resumption: <enable/> asks for none; an
// <enabled/> that grants it anyway is not taken up; and when the stream
// breaks, the unacknowledged stanzas are bounced as unconfirmed and no
// new connection is made to resume them.
func TestSMNoResumeInitiating(t *testing.T) {
	for _, c := range []struct {
		name     string
		noResume bool
		enable   string
		id       string
	}{
		{name: "default", enable: "<enable xmlns='urn:xmpp:sm:3' resume='true'/>", id: "S"},
		{name: "no resumption", noResume: true, enable: "<enable xmlns='urn:xmpp:sm:3'/>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(t, "type5")
			s.cfg.Policy.StreamManagement, s.cfg.Policy.SMNoResume = true, c.noResume
			if got := s.smEnableXML(); got != c.enable {
				t.Fatalf("<enable/>: got %s, want %s", got, c.enable)
			}
			st := s.newStream(roleOriginating, 1, transport.Client)
			st.peer, st.state = "peer.lit", stOpen
			r := &route{domain: "peer.lit", st: st, state: routeEstablished, sm: &smOut{waiting: true}}
			st.route = r
			s.smAnswer(st, xmlstream.ParseUnit("<enabled xmlns='urn:xmpp:sm:3' id='S' max='120' resume='true'/>"))
			s.take()
			if !r.sm.enabled || r.sm.id != c.id {
				t.Fatalf("enabled %t, session id %q (want %q)", r.sm.enabled, r.sm.id, c.id)
			}
			if !c.noResume {
				return // resuming after a break: TestSMResumeAnswers, scenarios/modern/sm-resume.yaml
			}
			for i := 0; i < 2; i++ {
				s.sendStanza(r, xmlstream.NewElement("message", "from", "juliet@type5.lit/x", "to", "romeo@peer.lit", "id", string(rune('a'+i))))
			}
			s.take()
			if s.smBroken(r, "reset") {
				t.Fatal("reconnected to resume a session that is not resumable")
			}
			bounced, connects := 0, 0
			for _, e := range s.take() {
				switch {
				case e.Kind == EffNote && e.Event == "bounce-unconfirmed":
					bounced++
				case e.Kind == EffNote && e.Event == "sm-reconnect", e.Kind == EffDial:
					connects++
				}
			}
			if bounced != 2 || connects != 0 || r.sm != nil {
				t.Fatalf("bounced %d (want 2), reconnects %d, session left %v", bounced, connects, r.sm)
			}
		})
	}
}
