package nodes

import (
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// startTLSFeature is STARTTLS (RFC 6120 §5): offered on a stream that is
// not yet encrypted, marked <required/> when the policy makes TLS
// mandatory-to-negotiate (§5.3.1).
var startTLSFeature = feature{
	name:    "starttls",
	forbids: secure,
	space:   nsTLS, local: "starttls",
	offer: func(s *Server, st *stream) int {
		switch s.cfg.Policy.StartTLS {
		case TLSOffered:
			return 1
		case TLSRequired:
			return 2
		}
		return 0
	},
	forms: []string{
		featureForm(func() *xmlstream.Element { return xmlstream.NewElement("starttls", "xmlns", nsTLS) }),
		featureForm(func() *xmlstream.Element {
			el := xmlstream.NewElement("starttls", "xmlns", nsTLS)
			el.AddChild(xmlstream.NewElement("required"))
			return el
		}),
	},
	handles: func(st *stream, el *xmlstream.Element) bool { return isElement(el, nsTLS, "starttls") },
	receive: func(s *Server, st *stream, _ *xmlstream.Element) { s.handleStartTLS(st) },
	take:    (*Server).takeStartTLS,
	answers: func(st *stream, el *xmlstream.Element) bool {
		return st.state == stAwaitProceed && el.Space == nsTLS && (el.Local() == "proceed" || el.Local() == "failure")
	},
	answer: (*Server).answerStartTLS,
}

// takeStartTLS is the Originating Server's STARTTLS decision (RFC 6120 §5):
// negotiate as the policy says, give up when the peer requires TLS and we
// do not negotiate it, or when we require encryption and none is offered.
func (s *Server) takeStartTLS(st *stream, starttls, features *xmlstream.Element) step {
	p := s.cfg.Policy
	// RFC 7673 §2.4 (and RFC 7672 §2.2 for SMTP): usable TLSA records for
	// the target mean TLS is mandatory with it — no plaintext fallback, so
	// a stripped STARTTLS is refused, not a downgrade.
	daneTLS := p.DANE != DANEOff && len(s.usableTLSA(st)) > 0
	if starttls != nil {
		required := starttls.Child("required") != nil
		negotiate := false
		if r := st.route; r != nil && r.plaintext {
			// The defect Policy.TLSFailureRetryPlaintext: this connection is
			// the retry after a failed handshake.
			if required {
				s.giveUp(st, st.peer+" requires STARTTLS, and "+s.cfg.Domain+" is retrying without TLS after a failed handshake")
				return settled
			}
			s.note(st, "decide", "%s does not negotiate TLS: it is retrying %s without TLS after a failed handshake (policy tls_failure_retry_plaintext=true)", str(s.cfg.Domain), str(st.peer))
			return pass
		}
		if daneTLS && p.InitiateTLS == InitiateNever {
			s.giveUp(st, st.peer+" has usable TLSA records, so TLS is mandatory with it (RFC 7673 §2.4), but "+s.cfg.Domain+" never negotiates TLS (policy initiate_tls=never)")
			return settled
		}
		if daneTLS && p.InitiateTLS == InitiateIfRequired {
			negotiate = true
			s.note(st, "decide", "%s negotiates TLS: %s has usable TLSA records, so TLS is mandatory with it (RFC 7673 §2.4)", str(s.cfg.Domain), str(st.peer))
		}
		switch p.InitiateTLS {
		case InitiateAlways, InitiateIfOffered:
			negotiate = true
			s.note(st, "decide", "%s negotiates TLS: policy initiate_tls=%s", str(s.cfg.Domain), str(p.InitiateTLS.String()))
		case InitiateIfRequired:
			if required && !negotiate {
				negotiate = true
				s.note(st, "decide", "%s negotiates TLS: %s marks STARTTLS <required/> (policy initiate_tls=if-required)", str(s.cfg.Domain), str(st.peer))
			}
		}
		if negotiate {
			st.state = stAwaitProceed
			s.writeConst(st, starttlsXML)
			return settled
		}
		if required {
			s.giveUp(st, st.peer+" requires STARTTLS but "+s.cfg.Domain+" does not negotiate TLS (policy initiate_tls="+p.InitiateTLS.String()+")")
			return settled
		}
		s.note(st, "decide", "%s does not negotiate TLS: %s offers it without <required/> and policy initiate_tls=%s", str(s.cfg.Domain), str(st.peer), str(p.InitiateTLS.String()))
	} else if daneTLS {
		what := st.peer + " offers no STARTTLS"
		if features == nil {
			what = st.peer + " sends no stream features (pre-1.0), so TLS cannot be negotiated"
		}
		s.giveUp(st, what+" but it has usable TLSA records, so "+s.cfg.Domain+" will not go on without TLS (RFC 7673 §2.4)")
		return settled
	} else if p.InitiateTLS == InitiateAlways {
		what := st.peer + " offers no STARTTLS"
		if features == nil {
			what = st.peer + " sends no stream features (pre-1.0), so TLS cannot be negotiated"
		}
		s.giveUp(st, what+" and "+s.cfg.Domain+" requires encryption (policy initiate_tls=always)")
		return settled
	}
	return pass
}

// answerStartTLS handles <proceed/> or <failure/> (RFC 6120 §5.4.2.3).
func (s *Server) answerStartTLS(st *stream, el *xmlstream.Element) {
	if el.Local() == "failure" {
		s.closeStream(st)
		s.streamGone(st, st.peer+" refused STARTTLS")
		return
	}
	// RFC 6120 §5.4.3.3: start TLS at once; the stream restarts after it.
	st.state = stTLS
	st.paused = true
	s.emit(Effect{Kind: EffStartTLS, Conn: st.conn, End: transport.Client, TLS: s.tlsConfigTo(st)})
}

// startDirectTLS begins the TLS handshake on a connection that has carried
// nothing yet (XEP-0368 §3): the stream header comes after it, as stream 1.
func (s *Server) startDirectTLS(st *stream, end transport.End, serverName string) {
	st.direct = true
	st.n = 0 // TLSDone counts the stream that starts after the handshake
	st.state = stTLS
	st.paused = true
	cfg := s.tlsConfig(serverName)
	if end == transport.Client && st.route != nil {
		// DANE and POSH as on a STARTTLS connection (the TLSA records are
		// those of the _xmpps-server target being dialled).
		cfg = s.tlsConfigTo(st)
		cfg.ServerName = serverName
	}
	cfg.ALPN = alpnXMPPServer
	s.emit(Effect{Kind: EffStartTLS, Conn: st.conn, End: end, TLS: cfg})
}

// alpnXMPPServer is the ALPN protocol id of Direct TLS between servers
// (XEP-0368 §3, §7).
var alpnXMPPServer = []string{"xmpp-server"}

func verifier(trust *ca.Pool) ca.Verifier { return ca.Verifier{Roots: trust} }

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

// tlsConfig is our side of a handshake towards (or from) peer.
func (s *Server) tlsConfig(serverName string) transport.TLSConfig {
	return transport.TLSConfig{
		Cert:         s.cfg.Cert,
		Verifier:     verifier(s.cfg.Trust),
		ServerName:   serverName,
		RequireValid: s.cfg.Policy.RequireValidCert,
		// Only meaningful on the server side of a handshake.
		CheckClientPurpose: s.cfg.Policy.EnforceClientAuthEKU && serverName == "",
	}
}

// tlsRequiredFirst reports whether the policy forbids anything but
// STARTTLS on this stream yet (RFC 6120 §5.3.1, mandatory-to-negotiate).
func (s *Server) tlsRequiredFirst(st *stream) bool {
	return s.cfg.Policy.StartTLS == TLSRequired && !st.tls
}
