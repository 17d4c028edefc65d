package nodes

import (
	"fmt"
	"strings"

	"github.com/fedsim/fedsim/nodes/xmlstream"
)

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
		if s.lookupPeerTLSA(st) {
			return // the features follow the answer (peerTLSAResolved)
		}
		s.writeRaw(st, s.features(st))
	}
	if st.saslDone {
		// The stream restarted after SASL is open both ways: a
		// bidirectional one now carries our stanzas too (XEP-0288).
		s.bidiReverse(st)
	}
}

// sendResponseHeader sends our response header with a fresh stream id.
func (s *Server) sendResponseHeader(st *stream, v10 bool) {
	st.id = s.newStreamID()
	s.sendHeader(st, s.header(st.peerFrom, st.id, v10))
	st.peerFrom = "" // not needed again until the next header
	st.gotHeader = true
}

func (s *Server) receivingElement(st *stream, el *xmlstream.Element) {
	if f := s.receivingFeature(st, el); f != nil {
		f.receive(s, st, el)
		return
	}
	if el.Space == xmlstream.NSServer && (el.Local() == "iq" || el.Local() == "message" || el.Local() == "presence") {
		s.handleInboundStanza(st, el)
		return
	}
	s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> in namespace "+el.Space)
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
	switch {
	case st.role == roleOriginating:
		method = "bidi" // our own stream, carrying the peer's stanzas (XEP-0288)
	case st.level == LevelTrusted:
		method = "sasl"
	case st.byCert:
		method = "dialback-certificate" // XEP-0344 §2.4
	}
	// What the invariant checker reads (and the world collects).
	e := s.note(st, "accept-stanza", "%s accepts a stanza from %s: the stream is authenticated at level %s by %s",
		str(s.cfg.Domain), str(from), str(st.level.Letter()), str(method))
	e.Stanza = el
	e.Accept = Acceptance{From: from, Level: st.level, Method: method, StreamID: st.id}
	s.smHandled(st)
	s.deliverLocal(el)
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
