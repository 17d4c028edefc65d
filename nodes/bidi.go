package nodes

import "github.com/fedsim/fedsim/nodes/xmlstream"

// Namespaces of XEP-0288.
const (
	nsBidiFeature = "urn:xmpp:features:bidi"
	nsBidi        = "urn:xmpp:bidi"
)

// bidiFeature is bidirectional server-to-server streams (XEP-0288): the
// receiving server lists <bidi xmlns='urn:xmpp:features:bidi'/> before and
// after TLS (§2.1); the initiating server enables it with <bidi
// xmlns='urn:xmpp:bidi'/> once STARTTLS is done, before SASL or dialback
// (§2.2), and needs no answer. Once the initiating server is authenticated,
// the receiving server sends its own stanzas to it over the same
// connection (bidiReverse) and the initiating server accepts them
// (bidiStanza), so one TCP connection carries both directions.
//
// It sits after STARTTLS and before authentication in Server.feats, so a
// stream that is about to negotiate TLS enables it only on the restarted,
// encrypted stream.
var bidiFeature = feature{
	name:    "bidi",
	forbids: authenticated,
	space:   nsBidiFeature, local: "bidi",
	offer: func(s *Server, st *stream) int {
		if s.cfg.Policy.Bidi && !st.bidi {
			return 1
		}
		return 0
	},
	forms: []string{featureForm(func() *xmlstream.Element { return xmlstream.NewElement("bidi", "xmlns", nsBidiFeature) })},
	handles: func(st *stream, el *xmlstream.Element) bool {
		return isElement(el, nsBidi, "bidi")
	},
	receive: func(s *Server, st *stream, _ *xmlstream.Element) {
		if !s.cfg.Policy.Bidi || st.bidi || st.authDomain != "" {
			s.streamError(st, "unsupported-stanza-type", "<bidi/> not offered on this stream (XEP-0288 §2.2)")
			return
		}
		st.bidi = true
		s.note(st, "decide", "%s enables bidirectionality on the stream from %s (XEP-0288): once %s is authenticated, its stanzas to it go back over this connection", str(s.cfg.Domain), str(st.peer), str(st.peer))
	},
	take: func(s *Server, st *stream, ad, _ *xmlstream.Element) step {
		if ad == nil || !s.cfg.Policy.Bidi || st.bidi {
			return pass
		}
		st.bidi = true
		s.note(st, "decide", "%s enables bidirectionality (XEP-0288 §2.2): %s may send its stanzas back over this connection once %s is authenticated", str(s.cfg.Domain), str(st.peer), str(s.cfg.Domain))
		s.writeConst(st, bidiXML)
		return pass // authentication follows on the same stream
	},
	answers: func(*stream, *xmlstream.Element) bool { return false },
}

const bidiXML = "<bidi xmlns='" + nsBidi + "'/>"

// bidiReverse makes an authenticated bidirectional Receiving stream the
// route for our stanzas to its peer (XEP-0288 §2.2: "the receiving server
// MUST only send stanzas for which it has been authenticated" — here the
// domain the stream authenticated). A route already established, or being
// negotiated, keeps its own stream.
func (s *Server) bidiReverse(st *stream) {
	if !st.bidi || st.authDomain == "" {
		return
	}
	domain := st.authDomain
	r := s.routes[domain]
	if r == nil {
		r = &route{domain: domain}
		s.routes[domain] = r
	}
	if r.state != routeIdle {
		s.note(st, "decide", "%s keeps its own stream to %s rather than the bidirectional one", str(s.cfg.Domain), str(domain))
		return
	}
	r.state = routeNegotiating
	r.st = st
	st.route = r
	how := "bidi over " + domain + "'s stream, which it authenticated by dialback"
	if st.level == LevelTrusted {
		how = "bidi over " + domain + "'s stream, which it authenticated by SASL EXTERNAL"
	}
	s.routeEstablished(r, st.level, how)
}

// bidiStanza reports whether el is a stanza the peer may send on our
// originating stream: only once the stream is bidirectional and
// established, from the domain we connected to (XEP-0288 §2.2).
func bidiStanza(st *stream, el *xmlstream.Element) bool {
	return st.bidi && st.state == stOpen && el.Space == xmlstream.NSServer &&
		(el.Local() == "iq" || el.Local() == "message" || el.Local() == "presence")
}
