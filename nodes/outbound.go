package nodes

import (
	"strings"

	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// initiatorHeader handles the response stream header on a stream we opened
// (Originating or Verifying).
func (s *Server) initiatorHeader(st *stream, h *xmlstream.Header) {
	st.id = strings.Clone(h.ID) // do not pin the header's buffer
	if h.ID == "" && (st.role == roleVerifying || s.cfg.Policy.Dialback) {
		// RFC 6120 §4.7.3: the receiving entity MUST include an id; dialback
		// keys are bound to it (XEP-0185).
		s.streamError(st, "invalid-xml", "the response stream header has no 'id'")
		return
	}
	if from := h.From; from != "" && !strings.EqualFold(from, st.peer) {
		s.note(st, "note", "the response header says from='%s', expected %s", str(from), str(st.peer))
	}
	withFeatures := s.cfg.Policy.Version == XMPP10 && st.peer10
	if st.role == roleVerifying {
		if withFeatures {
			st.state = stAwaitFeatures
			return
		}
		s.sendVerify(st)
		return
	}
	if withFeatures {
		// RFC 6120 §4.3.2: a 1.0 receiving entity sends stream features next.
		st.state = stAwaitFeatures
		return
	}
	if s.cfg.Policy.Version == XMPP09 {
		s.note(st, "decide", "%s speaks XMPP 0.9 (policy version=0.9): it knows no stream features and goes straight to Server Dialback", str(s.cfg.Domain))
	} else {
		s.note(st, "decide", "%s's response header has no version='1.0' (RFC 6120 §4.7.5): it speaks pre-1.0 XMPP and will send no stream features", str(st.peer))
	}
	s.chooseAuth(st, nil)
}

func (s *Server) originatingElement(st *stream, el *xmlstream.Element) {
	switch {
	case s.cfg.Policy.Version == XMPP09 && el.Space == xmlstream.NSStreams && el.Local() == "features":
		// A 0.9 server knows no stream features; a 1.0 peer that sends them
		// anyway is ignored (XEP-0238 §4.2: "it ignores the stream features").
		s.note(st, "decide", "%s speaks XMPP 0.9 and ignores the stream features", str(s.cfg.Domain))
	case st.state == stAwaitFeatures && el.Space == xmlstream.NSStreams && el.Local() == "features":
		s.chooseAuth(st, el)
	case bidiStanza(st, el):
		s.handleInboundStanza(st, el)
	default:
		if f := s.answeringFeature(st, el); f != nil {
			f.answer(s, st, el)
			return
		}
		s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> while "+stateName(st.state))
	}
}

func stateName(s sstate) string {
	return [...]string{"", "waiting for the stream header", "waiting for stream features", "waiting for <proceed/>",
		"negotiating TLS", "waiting for the SASL outcome", "waiting for the dialback result", "open", "waiting for <db:verify/>"}[s]
}

// giveUp closes the stream: the Originating Server cannot go on.
func (s *Server) giveUp(st *stream, reason string) {
	s.note(st, "decide", "%s gives up: %s", str(s.cfg.Domain), str(reason))
	s.closeStream(st)
	s.streamGone(st, reason)
}

func (s *Server) established(st *stream, level Level, how string) {
	st.state = stOpen
	if st.bidi {
		// XEP-0288 §2.2: the peer may now send us its stanzas on this stream,
		// as the domain we connected to and authenticated by DNS, and by
		// its certificate where it verified.
		st.authDomain, st.level = st.peer, level
	}
	if r := st.route; r != nil {
		s.routeEstablished(r, level, how)
	}
}
