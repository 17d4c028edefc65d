package nodes

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/dialback"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

func verifier(trust *ca.Pool) ca.Verifier { return ca.Verifier{Roots: trust} }

// receivingHeader answers an initial stream header (RFC 6120 §4.7).
func (s *Server) receivingHeader(st *stream, h *xmlstream.Header) {
	if to := strings.ToLower(h.To); to != "" && to != s.cfg.Domain {
		s.sendResponseHeader(st, false)
		s.streamError(st, "host-unknown", fmt.Sprintf("%s does not host %s", s.cfg.Domain, h.To))
		return
	}
	if h.From != "" {
		st.peer = strings.ToLower(st.peerFrom) // peerFrom is a copy already
	}
	// RFC 6120 §4.7.5: answer a header without version='1.0' without one,
	// and send stream features only on 1.0 streams.
	v10 := s.cfg.Policy.Version == XMPP10 && st.peer10
	s.sendResponseHeader(st, v10)
	st.state = stOpen
	if v10 {
		s.writeConst(st, s.features(st))
	}
}

// sendResponseHeader sends our response header with a fresh stream id.
func (s *Server) sendResponseHeader(st *stream, v10 bool) {
	st.id = s.newStreamID()
	s.sendHeader(st, s.header(st.peerFrom, st.id, v10))
	st.peerFrom = "" // not needed again until the next header
	st.gotHeader = true
}

// features chooses <stream:features/> for the stream's current state
// (RFC 6120 §4.3.2): STARTTLS before TLS, then SASL EXTERNAL if the peer's
// certificate earns it, otherwise Server Dialback; nothing after SASL. It
// returns the serialised element from featuresXML.
func (s *Server) features(st *stream) string {
	p := s.cfg.Policy
	var tls, sasl, db int
	if st.saslDone {
		st.offeredSASL = false // a second <auth/> is not on offer
		return featuresXML[0][0][0]
	}
	if !st.tls && p.StartTLS != TLSNotOffered {
		tls = 1
		if p.StartTLS == TLSRequired {
			tls = 2
		}
	}
	st.offeredSASL = false
	accept := s.acceptFor(st.peer)
	if st.tls && p.SASL == SASLAlways && accept.Has(LevelTrusted) {
		// Offered whatever the certificate; handleAuth judges it.
		st.offeredSASL = true
		sasl = 1
		s.note(st, "decide", "%s offers SASL EXTERNAL on every TLS stream (policy sasl=always): %s's certificate will be judged at <auth/>", str(s.cfg.Domain), str(st.peer))
	} else if st.tls && p.SASL == SASLWhenCertValid && accept.Has(LevelTrusted) {
		// XEP-0178 §3 step 7: offer EXTERNAL when the certificate can be
		// matched against the stream's 'from'.
		if err := s.verifyClient(st); err == nil {
			st.offeredSASL = true
			sasl = 1
			s.note(st, "decide", "%s offers SASL EXTERNAL: %s's certificate verifies", str(s.cfg.Domain), str(st.peer))
		} else {
			s.note(st, "decide", "%s does not offer SASL EXTERNAL: %v", str(s.cfg.Domain), errArg(err))
		}
	}
	dialbackOK := accept.Has(LevelVerified) || accept.Has(LevelEncrypted)
	if p.Dialback && dialbackOK && (!st.offeredSASL || p.DialbackWithSASL) {
		// XEP-0220 §6.2: the feature element, with <errors/> when the server
		// handles dialback errors (§2.4.2).
		db = 1
		if p.DialbackErrors {
			db = 2
		}
	}
	return featuresXML[tls][sasl][db]
}

// featuresXML holds every feature list a server can send, indexed by
// STARTTLS (none, offered, required), SASL EXTERNAL (no, yes) and dialback
// (none, offered, with <errors/>). They are built once as trees, so that
// AppendXML decides their bytes, and written as constants.
var featuresXML = func() (t [3][2][3]string) {
	for tls := range 3 {
		for sasl := range 2 {
			for db := range 3 {
				f := xmlstream.NewElement("stream:features")
				if tls > 0 {
					el := f.AddChild(xmlstream.NewElement("starttls", "xmlns", nsTLS))
					if tls == 2 {
						el.AddChild(xmlstream.NewElement("required"))
					}
				}
				if sasl > 0 {
					m := f.AddChild(xmlstream.NewElement("mechanisms", "xmlns", nsSASL))
					m.AddChild(xmlstream.NewElement("mechanism")).AddText("EXTERNAL")
				}
				if db > 0 {
					el := f.AddChild(xmlstream.NewElement("dialback", "xmlns", nsDialbackFeature))
					if db == 2 {
						el.AddChild(xmlstream.NewElement("errors"))
					}
				}
				t[tls][sasl][db] = f.String()
			}
		}
	}
	return t
}()

// verifyClient checks the certificate the peer presented as TLS client
// for SASL EXTERNAL: chain, name (RFC 6125 against the stream's 'from')
// and, when the policy enforces it, the clientAuth key usage.
func (s *Server) verifyClient(st *stream) error {
	if err := verifier(s.cfg.Trust).Verify(st.peerCert, st.peer, s.Now); err != nil {
		return err
	}
	if s.cfg.Policy.EnforceClientAuthEKU {
		return ca.CheckPurpose(st.peerCert, ca.ClientAuth)
	}
	return nil
}

// tlsRequiredFirst reports whether the policy forbids anything but
// STARTTLS on this stream yet (RFC 6120 §5.3.1, mandatory-to-negotiate).
func (s *Server) tlsRequiredFirst(st *stream) bool {
	return s.cfg.Policy.StartTLS == TLSRequired && !st.tls
}

func (s *Server) receivingElement(st *stream, el *xmlstream.Element) {
	switch {
	case el.Space == nsTLS && el.Local() == "starttls":
		s.handleStartTLS(st)
	case el.Space == nsSASL && el.Local() == "auth":
		s.handleAuth(st, el)
	case el.Space == nsSASL && el.Local() == "response" && st.saslChallenged:
		st.saslChallenged = false
		s.authenticateExternal(st, el)
	case el.Space == xmlstream.NSDialback && el.Local() == "result" && el.Attr("type") == "":
		s.handleDBResult(st, el)
	case el.Space == xmlstream.NSDialback && el.Local() == "verify" && el.Attr("type") == "":
		s.authoritativeAnswer(st, el)
	case el.Space == xmlstream.NSServer && (el.Local() == "iq" || el.Local() == "message" || el.Local() == "presence"):
		s.handleInboundStanza(st, el)
	default:
		s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> in namespace "+el.Space)
	}
}

func (s *Server) handleStartTLS(st *stream) {
	if st.tls || s.cfg.Policy.StartTLS == TLSNotOffered || !st.peer10 {
		s.write(st, xmlstream.NewElement("failure", "xmlns", nsTLS))
		s.closeStream(st)
		s.streamGone(st, "STARTTLS not offered")
		return
	}
	s.writeConst(st, proceedXML)
	st.state = stTLS
	st.paused = true
	s.emit(Effect{Kind: EffStartTLS, Conn: st.conn, End: transport.Server, TLS: s.tlsConfig("")})
}

// handleAuth runs SASL EXTERNAL (RFC 6120 §6.4, XEP-0178 §3 steps 8–9).
func (s *Server) handleAuth(st *stream, el *xmlstream.Element) {
	// fail notes why (a format starting "%s refuses SASL EXTERNAL: ", its
	// first argument this server's domain) and sends <failure/> with cond.
	fail := func(cond, format string, args ...Arg) {
		s.note(st, "sasl-failure", format, args...)
		f := xmlstream.NewElement("failure", "xmlns", nsSASL)
		f.AddChild(xmlstream.NewElement(cond))
		s.write(st, f)
	}
	if !st.offeredSASL || el.Attr("mechanism") != "EXTERNAL" {
		fail("invalid-mechanism", "%s refuses SASL EXTERNAL: mechanism %s was not offered", str(s.cfg.Domain), str(el.Attr("mechanism")))
		return
	}
	if len(el.Nodes) == 0 {
		// RFC 6120 §6.4.2: no initial response at all (not even "=", the
		// empty one): the receiving entity sends an empty challenge, and
		// the initiating entity answers with <response/> (XEP-0178 §3).
		st.saslChallenged = true
		s.note(st, "decide", "%s sends an empty SASL challenge: <auth/> carried no initial response (RFC 6120 §6.4.2)", str(s.cfg.Domain))
		s.writeConst(st, "<challenge xmlns='"+nsSASL+"'>=</challenge>")
		return
	}
	s.authenticateExternal(st, el)
}

// authenticateExternal finishes SASL EXTERNAL with the initial response of
// <auth/> or the <response/> to our empty challenge: the authorization
// identity, if any, must be the stream's 'from', and the certificate must
// name it (XEP-0178 §3 steps 8–9).
func (s *Server) authenticateExternal(st *stream, el *xmlstream.Element) {
	fail := func(cond, format string, args ...Arg) {
		s.note(st, "sasl-failure", format, args...)
		f := xmlstream.NewElement("failure", "xmlns", nsSASL)
		f.AddChild(xmlstream.NewElement(cond))
		s.write(st, f)
	}
	authz := strings.TrimSpace(el.Text())
	if authz != "" && authz != "=" {
		b, err := base64.StdEncoding.DecodeString(authz)
		if err != nil {
			fail("incorrect-encoding", "%s refuses SASL EXTERNAL: authorization identity is not base64", str(s.cfg.Domain))
			return
		}
		authz = string(b)
	} else {
		authz = ""
	}
	if authz != "" && !strings.EqualFold(authz, st.peer) {
		fail("invalid-authzid", "%s refuses SASL EXTERNAL: authorization identity %q differs from the stream's from %q", str(s.cfg.Domain), str(authz), str(st.peer))
		return
	}
	if err := s.verifyClient(st); err != nil {
		fail("not-authorized", "%s refuses SASL EXTERNAL: %s", str(s.cfg.Domain), errArg(err))
		return
	}
	s.writeConst(st, successXML)
	st.saslDone = true
	st.authDomain = st.peer
	st.level = LevelTrusted
	s.cancelTimer(st.timer)
	st.timer = 0
	s.note(st, "authenticated", "%s accepts %s: its certificate names it and chains to a trusted root (SASL EXTERNAL)", str(s.cfg.Domain), str(st.peer))
	// RFC 6120 §6.4.6: both sides restart the stream; no TLS this time.
	st.n++
	st.p.Restart()
	st.state = stAwaitHeader
	st.gotHeader = false
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
	s.note(st, "decide", "%s verifies the key with %s's Authoritative Server, found through DNS (XEP-0220 §2.1.2)", str(s.cfg.Domain), str(from))
	s.startVerification(st, from, strings.TrimSpace(el.Text()))
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

func (s *Server) handleInboundStanza(st *stream, el *xmlstream.Element) {
	from := bareDomain(el.Attr("from"))
	switch {
	case st.level == LevelNone:
		// RFC 6120 §4.9.3.12 / §13.1: nothing is processed on a stream that
		// has not been authenticated.
		s.streamError(st, "not-authorized", fmt.Sprintf("stanza from %s on a stream not authenticated for it", from))
		return
	case from == "" || bareDomain(el.Attr("to")) == "":
		// RFC 6120 §4.9.3.14, §8.1.1.1, §8.1.2.1: between servers a stanza
		// must carry both addresses.
		s.streamError(st, "improper-addressing", fmt.Sprintf("stanza without %s", missingAddress(el)))
		return
	case !jidShape(el.Attr("from")) || !jidShape(el.Attr("to")):
		// RFC 6120 §4.9.3.14: an address that violates the rules for XMPP
		// addresses (RFC 7622 §3) is improper addressing too.
		s.streamError(st, "improper-addressing", fmt.Sprintf("stanza from %q to %q: not an XMPP address", el.Attr("from"), el.Attr("to")))
		return
	case from != st.authDomain:
		// RFC 6120 §4.9.3.9: 'from' names a domain the stream was not
		// authenticated for.
		s.streamError(st, "invalid-from", fmt.Sprintf("stanza from %s on a stream authenticated for %s", from, st.authDomain))
		return
	}
	if bareDomain(el.Attr("to")) != s.cfg.Domain {
		s.streamError(st, "host-unknown", "stanza addressed to "+el.Attr("to"))
		return
	}
	// The parser lent el (Borrow); the effects below keep it.
	el = el.Clone()
	method := "dialback"
	if st.level == LevelTrusted {
		method = "sasl"
	}
	// What the invariant checker reads (and the world collects).
	e := s.note(st, "accept-stanza", "%s accepts a stanza from %s: the stream is authenticated at level %s by %s",
		str(s.cfg.Domain), str(from), str(st.level.Letter()), str(method))
	e.Stanza = el
	e.Accept = Acceptance{From: from, Level: st.level, Method: method, StreamID: st.id}
	s.deliverLocal(el)
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

// missingAddress names the addresses a stanza lacks.
func missingAddress(el *xmlstream.Element) string {
	switch {
	case bareDomain(el.Attr("from")) == "" && bareDomain(el.Attr("to")) == "":
		return "'from' and 'to'"
	case bareDomain(el.Attr("from")) == "":
		return "'from'"
	}
	return "'to'"
}

// jidShape checks the structure of an XMPP address (RFC 7622 §3.1): an
// optional localpart before the first '@' (not empty, at most 1023 bytes,
// none of the characters §3.3.1 forbids: " & ' / : < > @), a non-empty
// domainpart without spaces or a second '@', and an optional non-empty
// resourcepart after the first '/'. It checks the shape a peer could get
// wrong, not PRECIS profiles: enough to refuse "romeo@@evil.lit".
func jidShape(j string) bool {
	bare, res, hasRes := strings.Cut(j, "/")
	if hasRes && (res == "" || len(res) > 1023) {
		return false
	}
	local, domain, hasLocal := strings.Cut(bare, "@")
	if !hasLocal {
		local, domain = "", bare
	}
	if hasLocal && (local == "" || len(local) > 1023 || strings.ContainsAny(local, "\"&'/:<>@")) {
		return false
	}
	return domain != "" && len(domain) <= 1023 && !strings.ContainsAny(domain, "@ \t\r\n")
}
