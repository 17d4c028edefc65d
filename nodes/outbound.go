package nodes

import (
	"encoding/base64"
	"strings"

	"github.com/fedsim/fedsim/network/transport"
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
	case st.state == stAwaitProceed && el.Space == nsTLS && el.Local() == "proceed":
		// RFC 6120 §5.4.3.3: start TLS at once; the stream restarts after it.
		st.state = stTLS
		st.paused = true
		s.emit(Effect{Kind: EffStartTLS, Conn: st.conn, End: transport.Client, TLS: s.tlsConfig(st.peer)})
	case st.state == stAwaitProceed && el.Space == nsTLS && el.Local() == "failure":
		s.closeStream(st)
		s.streamGone(st, st.peer+" refused STARTTLS")
	case st.state == stAwaitSASL && el.Space == nsSASL && el.Local() == "challenge":
		// RFC 6120 §6.4.3: answer the (empty) EXTERNAL challenge with the
		// authorization identity, as the initial response would have.
		r := xmlstream.NewElement("response", "xmlns", nsSASL)
		r.AddText(base64.StdEncoding.EncodeToString([]byte(s.cfg.Domain)))
		s.write(st, r)
	case st.state == stAwaitSASL && el.Space == nsSASL && el.Local() == "success":
		// RFC 6120 §6.4.6: restart the stream over the same TLS connection.
		st.saslDone = true
		st.n++
		st.p.Restart()
		s.sendInitialHeader(st)
	case st.state == stAwaitSASL && el.Space == nsSASL && el.Local() == "failure":
		cond := "not-authorized"
		if c := el.Children(); len(c) > 0 {
			cond = c[0].Local()
		}
		s.note(st, "sasl-failure", "%s refused SASL EXTERNAL with <%s/>", str(st.peer), str(cond))
		if s.cfg.Policy.SASLFallback && s.cfg.Policy.Dialback && st.peerDBNS && !st.saslFailed {
			// XEP-0178 §3 step 9b: the receiving server may continue with
			// dialback; this policy tries it (policy sasl_fallback=true).
			st.saslFailed = true
			s.note(st, "decide", "%s falls back to Server Dialback after the SASL failure (policy sasl_fallback=true)", str(s.cfg.Domain))
			s.chooseAuth(st, nil)
			return
		}
		s.closeStream(st)
		s.streamGone(st, "SASL EXTERNAL failed: <"+cond+"/>")
	case st.state == stAwaitDialback && el.Space == xmlstream.NSDialback && el.Local() == "result":
		s.dialbackResult(st, el)
	default:
		s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> while "+stateName(st.state))
	}
}

func stateName(s sstate) string {
	return [...]string{"", "waiting for the stream header", "waiting for stream features", "waiting for <proceed/>",
		"negotiating TLS", "waiting for the SASL outcome", "waiting for the dialback result", "open", "waiting for <db:verify/>"}[s]
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

// chooseAuth is the Originating Server's decision after the response header
// (0.9 peer: features nil) or after each <stream:features/>: STARTTLS, SASL
// EXTERNAL, Server Dialback, done, or give up.
func (s *Server) chooseAuth(st *stream, features *xmlstream.Element) {
	p := s.cfg.Policy
	var starttls, mechs, dbFeature *xmlstream.Element
	if features != nil {
		starttls = features.ChildNS(nsTLS, "starttls")
		mechs = features.ChildNS(nsSASL, "mechanisms")
		dbFeature = features.ChildNS(nsDialbackFeature, "dialback")
	}
	// 1. STARTTLS (RFC 6120 §5).
	if !st.tls {
		if starttls != nil {
			required := starttls.Child("required") != nil
			negotiate := false
			switch p.InitiateTLS {
			case InitiateAlways, InitiateIfOffered:
				negotiate = true
				s.note(st, "decide", "%s negotiates TLS: policy initiate_tls=%s", str(s.cfg.Domain), str(p.InitiateTLS.String()))
			case InitiateIfRequired:
				if required {
					negotiate = true
					s.note(st, "decide", "%s negotiates TLS: %s marks STARTTLS <required/> (policy initiate_tls=if-required)", str(s.cfg.Domain), str(st.peer))
				}
			}
			if negotiate {
				st.state = stAwaitProceed
				s.writeConst(st, starttlsXML)
				return
			}
			if required {
				s.giveUp(st, st.peer+" requires STARTTLS but "+s.cfg.Domain+" does not negotiate TLS (policy initiate_tls="+p.InitiateTLS.String()+")")
				return
			}
			s.note(st, "decide", "%s does not negotiate TLS: %s offers it without <required/> and policy initiate_tls=%s", str(s.cfg.Domain), str(st.peer), str(p.InitiateTLS.String()))
		} else if p.InitiateTLS == InitiateAlways {
			what := st.peer + " offers no STARTTLS"
			if features == nil {
				what = st.peer + " sends no stream features (pre-1.0), so TLS cannot be negotiated"
			}
			s.giveUp(st, what+" and "+s.cfg.Domain+" requires encryption (policy initiate_tls=always)")
			return
		}
	}
	// 2. SASL EXTERNAL (RFC 6120 §6, XEP-0178) once TLS is up.
	if st.tls && !st.saslDone && mechs != nil && s.cfg.Cert != nil {
		for _, m := range mechs.Children() {
			if m.Local() == "mechanism" && strings.TrimSpace(m.Text()) == "EXTERNAL" {
				s.note(st, "decide", "%s offers SASL EXTERNAL: %s authenticates with its certificate (XEP-0178)", str(st.peer), str(s.cfg.Domain))
				st.state = stAwaitSASL
				// XEP-0178 §3 interop note: include the authorization identity.
				auth := xmlstream.NewElement("auth", "xmlns", nsSASL, "mechanism", "EXTERNAL")
				auth.AddText(base64.StdEncoding.EncodeToString([]byte(s.cfg.Domain)))
				s.write(st, auth)
				return
			}
		}
	}
	if st.saslDone {
		// RFC 6120 §6.4.6: after SASL the restarted stream's features carry
		// nothing mandatory; the stream is authenticated.
		s.established(st, LevelTrusted, "TLS + SASL EXTERNAL")
		return
	}
	// 3. Server Dialback (XEP-0220 §2.1.1).
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
		s.noteDialbackKey(st)
		st.state = stAwaitDialback
		key := s.keyer().Key(st.peer, s.cfg.Domain, st.id)
		s.writeDialback(st, "db:result", s.cfg.Domain, "", st.peer, "", key)
	}
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

// giveUp closes the stream: the Originating Server cannot go on.
func (s *Server) giveUp(st *stream, reason string) {
	s.note(st, "decide", "%s gives up: %s", str(s.cfg.Domain), str(reason))
	s.closeStream(st)
	s.streamGone(st, reason)
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

func (s *Server) established(st *stream, level Level, how string) {
	st.state = stOpen
	if r := st.route; r != nil {
		s.routeEstablished(r, level, how)
	}
}
