package nodes

import (
	"fmt"
	"strings"

	"github.com/fedsim/fedsim/nodes/dialback"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// dialbackFeature is Server Dialback (XEP-0220): listed as the
// urn:xmpp:features:dialback feature (§6.2, with <errors/> when the server
// handles dialback errors, §2.4.2) and also announced by declaring the
// jabber:server:dialback namespace in the stream header (§2.4.1), which is
// how a pre-1.0 peer learns of it. It is the last feature and always
// settles: it authenticates or it gives up.
var dialbackFeature = feature{
	name:    "dialback",
	forbids: authenticated,
	space:   nsDialbackFeature, local: "dialback",
	offer: func(s *Server, st *stream) int {
		p := s.cfg.Policy
		accept := s.acceptFor(st.peer)
		if !p.Dialback || !(accept.Has(LevelVerified) || accept.Has(LevelEncrypted)) || st.offeredSASL && !p.DialbackWithSASL {
			return 0
		}
		if p.DialbackErrors {
			return 2
		}
		return 1
	},
	forms: []string{
		featureForm(func() *xmlstream.Element { return xmlstream.NewElement("dialback", "xmlns", nsDialbackFeature) }),
		featureForm(func() *xmlstream.Element {
			el := xmlstream.NewElement("dialback", "xmlns", nsDialbackFeature)
			el.AddChild(xmlstream.NewElement("errors"))
			return el
		}),
	},
	handles: func(st *stream, el *xmlstream.Element) bool {
		if el.Space != xmlstream.NSDialback {
			return false
		}
		typ := el.Attr("type")
		return (el.Local() == "result" || el.Local() == "verify") && typ == "" ||
			el.Local() == "result" && typ == "valid" // forged: see refuseTypedResult
	},
	receive: func(s *Server, st *stream, el *xmlstream.Element) {
		if el.Local() == "result" {
			if el.Attr("type") != "" && !s.cfg.Policy.DialbackTrustResult {
				s.refuseTypedResult(st, el)
				return
			}
			s.handleDBResult(st, el)
			return
		}
		s.authoritativeAnswer(st, el)
	},
	take: (*Server).takeDialback,
	answers: func(st *stream, el *xmlstream.Element) bool {
		return st.state == stAwaitDialback && el.Space == xmlstream.NSDialback && el.Local() == "result"
	},
	answer: (*Server).dialbackResult,
}

// takeDialback is XEP-0220 §2.1.1 on the Originating side: send a key if
// the policies of both sides allow dialback at the level this stream would
// reach, else give up.
func (s *Server) takeDialback(st *stream, dbFeature, _ *xmlstream.Element) step {
	p := s.cfg.Policy
	level := LevelVerified
	if st.tls {
		level = LevelEncrypted
	}
	peerDialback := st.peerDBNS || dbFeature != nil
	switch {
	case !p.Dialback:
		s.giveUp(st, "no SASL EXTERNAL was offered and "+s.cfg.Domain+" does not support Server Dialback (policy dialback=false)")
	case !peerDialback:
		s.giveUp(st, st.peer+" does not support Server Dialback (no jabber:server:dialback namespace, XEP-0220 §2.4.1)")
	case !s.acceptFor(st.peer).Has(level):
		s.giveUp(st, "dialback would give level "+level.Letter()+" but "+s.cfg.Domain+" accepts only "+s.acceptFor(st.peer).String()+" with "+st.peer)
	default:
		st.state = stAwaitDialback
		if s.cfg.Broken == ClaimDialbackValid {
			s.note(st, "broken-rule", "%s sends <db:result type='valid'/> instead of a key: it claims its own key valid", str(s.cfg.Domain))
			s.writeDialback(st, "db:result", s.cfg.Domain, "", st.peer, "valid", "")
			return settled
		}
		s.noteDialbackKey(st)
		key := s.keyer().Key(st.peer, s.cfg.Domain, st.id)
		s.writeDialback(st, "db:result", s.cfg.Domain, "", st.peer, "", key)
	}
	return settled
}

// noteDialbackKey notes why the Originating Server authenticates by
// dialback on st.
func (s *Server) noteDialbackKey(st *stream) {
	switch {
	case st.tls && st.peerCertErr != nil:
		s.note(st, "decide", "%s sends a dialback key: the stream is encrypted but %s's certificate did not verify, so identity is checked by dialback", str(s.cfg.Domain), str(st.peer))
	case st.tls:
		s.note(st, "decide", "%s sends a dialback key: the stream is encrypted but SASL EXTERNAL was not offered", str(s.cfg.Domain))
	default:
		s.note(st, "decide", "%s sends a dialback key: no TLS on this stream; identity is checked by dialback (XEP-0220)", str(s.cfg.Domain))
	}
}

func (s *Server) dialbackResult(st *stream, el *xmlstream.Element) {
	if !strings.EqualFold(el.Attr("from"), st.peer) || !strings.EqualFold(el.Attr("to"), s.cfg.Domain) {
		// XEP-0220 §2.1.1: the answer must correlate to our request.
		s.streamError(st, "invalid-from", "db:result answer for an unknown domain pair")
		return
	}
	switch el.Attr("type") {
	case "valid":
		how := "dialback"
		level := LevelVerified
		if st.tls {
			how, level = "TLS + dialback", LevelEncrypted
		}
		s.established(st, level, how)
	case "invalid":
		r := st.route
		s.note(st, "dialback-invalid", "%s reports the key invalid", str(st.peer))
		if r != nil {
			// XEP-0220 §2.1.1: queued stanzas get <internal-server-error/>.
			s.routeFailed(r, st.peer+" found the dialback key invalid", "internal-server-error", "cancel")
		}
		s.closeStream(st)
		s.streamGone(st, "dialback invalid")
	case "error":
		cond := "undefined-condition"
		if e := el.Child("error"); e != nil {
			if c := e.Children(); len(c) > 0 {
				cond = c[0].Local()
			}
		}
		s.note(st, "dialback-error", "%s answered the dialback request with error <%s/>", str(st.peer), str(cond))
		if r := st.route; r != nil {
			s.routeFailed(r, "dialback error <"+cond+"/>", s.cfg.Policy.Errors.BounceCondition(), "wait")
		}
	default:
		s.streamError(st, "invalid-xml", "db:result answer without a valid 'type'")
	}
}

// handleDBResult is step 1 of XEP-0220 on the receiving side.
func (s *Server) handleDBResult(st *stream, el *xmlstream.Element) {
	p := s.cfg.Policy
	if s.tlsRequiredFirst(st) {
		// XEP-0238 §4.4: "it returns a stream error ... <not-authorized/>";
		// RFC 6120 §4.9.3.12.
		s.streamError(st, p.Errors.TLSRequiredCondition(), fmt.Sprintf("%s requires STARTTLS first (policy starttls=required) and got a dialback key on an unencrypted stream", s.cfg.Domain))
		return
	}
	if !p.Dialback {
		s.streamError(st, p.Errors.RefusedCondition(), fmt.Sprintf("%s does not support Server Dialback (policy dialback=false)", s.cfg.Domain))
		return
	}
	level := LevelVerified
	if st.tls {
		level = LevelEncrypted
	}
	if accept := s.acceptFor(strings.ToLower(el.Attr("from"))); !accept.Has(level) {
		s.streamError(st, p.Errors.RefusedCondition(), fmt.Sprintf("dialback would authenticate %s at level %s; %s accepts only %s from it", el.Attr("from"), level.Letter(), s.cfg.Domain, accept))
		return
	}
	from, to := strings.ToLower(el.Attr("from")), strings.ToLower(el.Attr("to"))
	if from == "" || to == "" {
		s.streamError(st, "improper-addressing", "db:result without 'from' or 'to'")
		return
	}
	if to != s.cfg.Domain {
		if p.DialbackErrors {
			// XEP-0220 §2.2.1: not a stream error, the stream may carry
			// other domain pairs.
			s.note(st, "decide", "%s answers a key for %s, which it does not host, with a dialback error (policy dialback_errors=true)", str(s.cfg.Domain), str(to))
			s.write(st, dialbackError(to, from, "item-not-found"))
			return
		}
		s.streamError(st, "host-unknown", fmt.Sprintf("db:result for %s, which %s does not host", to, s.cfg.Domain))
		return
	}
	if st.peer != "" && from != st.peer {
		s.note(st, "note", "db:result from %s on a stream whose header said from=%s", str(from), str(st.peer))
	}
	if el.Attr("type") == "valid" {
		// Only with the defect (receive refuses it otherwise).
		s.trustResult(st, from)
		return
	}
	if s.dialbackWithoutDialback(st, from) {
		return
	}
	s.note(st, "decide", "%s verifies the key with %s's Authoritative Server, found through DNS (XEP-0220 §2.1.2)", str(s.cfg.Domain), str(from))
	s.startVerification(st, from, strings.TrimSpace(el.Text()))
}

// refuseTypedResult answers a <db:result/> with a 'type' received on a
// Receiving stream: the Originating Server claiming its own key valid (the
// dialback shortcut attack, fedsim attack dialback-shortcut). XEP-0220
// §2.1.1 and §2.2.1: the Originating Server sends a key; only the Receiving
// Server, after asking the Authoritative Server, says whether it is valid.
// Prosody's and Metronome's mod_dialback look at db:result's 'type' only on
// streams they opened, and there only from the peer they dialled
// (docs/security.md).
func (s *Server) refuseTypedResult(st *stream, el *xmlstream.Element) {
	s.streamError(st, "unsupported-stanza-type", fmt.Sprintf("%s got <db:result type='%s'/> from %s on its own stream: only the Receiving Server says whether a key is valid (XEP-0220 §2.1.1), after asking the Authoritative Server",
		s.cfg.Domain, el.Attr("type"), orPeer(el.Attr("from"), st.peer)))
}

func orPeer(from, peer string) string {
	if from != "" {
		return from
	}
	return peer
}

// trustResult is the defect Policy.DialbackTrustResult models: the
// Receiving Server takes the Originating Server's own <db:result
// type='valid'/> at its word and authenticates the stream for its 'from'
// domain without asking that domain's Authoritative Server — anyone who
// can open a stream can then speak for any domain the policy accepts at
// this level.
func (s *Server) trustResult(st *stream, from string) {
	s.authenticatedByDialback(st, from, st.id)
	s.note(st, "authenticated", "%s accepts %s at level %s on the word of the peer's own <db:result type='valid'/>, without asking %s's Authoritative Server (policy dialback_trust_result=true, a defect: XEP-0220 §2.1.1)",
		str(s.cfg.Domain), str(from), str(st.level.Letter()), str(from))
	s.writeDialback(st, "db:result", s.cfg.Domain, "", from, "valid", "")
	s.bidiReverse(st)
}

// authoritativeAnswer answers <db:verify/> for our own domain (XEP-0220
// §2.2.2) by recomputing the key from its 'from', 'to', 'id'. It is
// answered on any stream, before TLS too: a verification carries no user
// data, and XEP-0220 §2.1.2 suggests verification connections skip TLS.
func (s *Server) authoritativeAnswer(st *stream, el *xmlstream.Element) {
	if p := s.cfg.Policy; p.RefuseVerifyBeforeTLS && s.tlsRequiredFirst(st) {
		s.streamError(st, p.Errors.TLSRequiredCondition(), fmt.Sprintf("%s requires STARTTLS first, for verifications too (policy starttls=required, verify_before_tls=false), and got <db:verify/> on an unencrypted stream", s.cfg.Domain))
		return
	}
	from, to, id := el.Attr("from"), el.Attr("to"), el.Attr("id")
	if !strings.EqualFold(to, s.cfg.Domain) && s.cfg.Policy.Dialback && s.cfg.Policy.DialbackErrors {
		// XEP-0220 §2.2.2 (and §2.5): a verification for a domain we do
		// not host gets a dialback error, and the stream stays up for the
		// other domain pairs it may carry.
		s.note(st, "decide", "%s answers a verification for %s, which it does not host, with a dialback error (policy dialback_errors=true)", str(s.cfg.Domain), str(to))
		v := xmlstream.NewElement("db:verify", "from", to, "id", id, "to", from, "type", "error")
		v.AddChild(xmlstream.NewElement("error", "type", "cancel")).AddChild(xmlstream.NewElement("item-not-found", "xmlns", nsStanzas))
		s.write(st, v)
		return
	}
	if !strings.EqualFold(to, s.cfg.Domain) || !s.cfg.Policy.Dialback {
		s.streamError(st, "host-unknown", fmt.Sprintf("db:verify for %s, which %s does not vouch for", to, s.cfg.Domain))
		return
	}
	want := s.keyer().Key(strings.ToLower(from), s.cfg.Domain, id)
	typ := "invalid"
	if dialback.Equal(want, strings.TrimSpace(el.Text())) {
		typ = "valid"
		s.note(st, "decide", "as Authoritative Server, %s recomputes the key for (%s, %s, %s): it matches", str(s.cfg.Domain), str(from), str(to), str(id))
	} else {
		s.note(st, "decide", "as Authoritative Server, %s recomputes the key for (%s, %s, %s): it does not match", str(s.cfg.Domain), str(from), str(to), str(id))
	}
	s.writeDialback(st, "db:verify", to, id, from, typ, "")
}

// authenticatedByDialback records a verified domain on a receiving stream.
func (s *Server) authenticatedByDialback(st *stream, domain string, id string) {
	st.authDomain = domain
	st.level = LevelVerified
	s.cancelTimer(st.timer)
	st.timer = 0
	if st.tls {
		st.level = LevelEncrypted
	}
}

// dialbackError is <db:result type='error'/> with a stanza error condition
// (XEP-0220 §2.5): from the target domain to the sender domain.
func dialbackError(from, to, cond string) *xmlstream.Element {
	r := xmlstream.NewElement("db:result", "from", from, "to", to, "type", "error")
	e := r.AddChild(xmlstream.NewElement("error", "type", "cancel"))
	e.AddChild(xmlstream.NewElement(cond, "xmlns", nsStanzas))
	return r
}

// writeDialback writes a <db:result/> or <db:verify/> (XEP-0220 §2.1)
// straight into the arena, with the attributes in the order the protocol
// code always used — from, id (db:verify only), to, type (when set) — and
// the key, if any, as text. Every dialback exchange writes four to six of
// them; a tree for each was a tenth of a federation's allocations.
// TestDialbackElements checks the bytes against AppendXML of the tree.
func (s *Server) writeDialback(st *stream, name, from, id, to, typ, key string) {
	s.writeRaw(st, s.arena().appendWith(func(b []byte) []byte {
		return appendDialback(b, name, from, id, to, typ, key)
	}))
}

func appendDialback(b []byte, name, from, id, to, typ, key string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = xmlstream.AppendAttr(b, "from", from)
	if name == "db:verify" {
		b = xmlstream.AppendAttr(b, "id", id)
	}
	b = xmlstream.AppendAttr(b, "to", to)
	if typ != "" {
		b = xmlstream.AppendAttr(b, "type", typ)
	}
	if key == "" {
		return append(b, '/', '>')
	}
	b = append(b, '>')
	b = xmlstream.AppendText(b, key)
	b = append(b, '<', '/')
	b = append(b, name...)
	return append(b, '>')
}
