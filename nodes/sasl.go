package nodes

import (
	"encoding/base64"
	"strings"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// saslExternalFeature is SASL EXTERNAL with the peer's certificate
// (RFC 6120 §6, XEP-0178): only on an encrypted stream, never twice.
var saslExternalFeature = feature{
	name:    "sasl-external",
	needs:   secure,
	forbids: authenticated,
	space:   nsSASL, local: "mechanisms",
	offer: (*Server).offerSASL,
	forms: []string{featureForm(func() *xmlstream.Element {
		m := xmlstream.NewElement("mechanisms", "xmlns", nsSASL)
		m.AddChild(xmlstream.NewElement("mechanism")).AddText("EXTERNAL")
		return m
	})},
	handles: func(st *stream, el *xmlstream.Element) bool {
		return el.Space == nsSASL && (el.Local() == "auth" || el.Local() == "response" && st.saslChallenged)
	},
	receive: func(s *Server, st *stream, el *xmlstream.Element) {
		if el.Local() == "auth" {
			s.handleAuth(st, el)
			return
		}
		st.saslChallenged = false
		s.authenticateExternal(st, el)
	},
	take: (*Server).takeSASL,
	answers: func(st *stream, el *xmlstream.Element) bool {
		return st.state == stAwaitSASL && el.Space == nsSASL
	},
	answer: (*Server).answerSASL,
}

// offerSASL decides whether the receiving stream st lists EXTERNAL.
func (s *Server) offerSASL(st *stream) int {
	p := s.cfg.Policy
	if !s.acceptFor(st.peer).Has(LevelTrusted) {
		return 0
	}
	switch p.SASL {
	case SASLAlways:
		// Offered whatever the certificate; handleAuth judges it.
		st.offeredSASL = true
		s.note(st, "decide", "%s offers SASL EXTERNAL on every TLS stream (policy sasl=always): %s's certificate will be judged at <auth/>", str(s.cfg.Domain), str(st.peer))
		return 1
	case SASLWhenCertValid:
		// XEP-0178 §3 step 7: offer EXTERNAL when the certificate can be
		// matched against the stream's 'from'.
		if err := s.verifyClient(st); err != nil {
			s.note(st, "decide", "%s does not offer SASL EXTERNAL: %v", str(s.cfg.Domain), errArg(err))
			return 0
		}
		st.offeredSASL = true
		if st.peerAuth != "" {
			s.note(st, "decide", "%s offers SASL EXTERNAL: %s's certificate is authenticated by %s (%s)", str(s.cfg.Domain), str(st.peer), str(st.peerAuth), str(proofSpec(st.peerAuth)))
			return 1
		}
		s.note(st, "decide", "%s offers SASL EXTERNAL: %s's certificate verifies", str(s.cfg.Domain), str(st.peer))
		return 1
	}
	return 0
}

// takeSASL authenticates with EXTERNAL when the peer offers it and we
// have a certificate to present.
func (s *Server) takeSASL(st *stream, mechs, _ *xmlstream.Element) step {
	if s.cfg.Cert == nil || !hasMechanism(mechs, "EXTERNAL") {
		return pass
	}
	s.note(st, "decide", "%s offers SASL EXTERNAL: %s authenticates with its certificate (XEP-0178)", str(st.peer), str(s.cfg.Domain))
	st.state = stAwaitSASL
	// XEP-0178 §3 interop note: include the authorization identity.
	auth := xmlstream.NewElement("auth", "xmlns", nsSASL, "mechanism", "EXTERNAL")
	auth.AddText(base64.StdEncoding.EncodeToString([]byte(s.cfg.Domain)))
	s.write(st, auth)
	return settled
}

// answerSASL handles the receiving entity's <challenge/>, <success/> or
// <failure/> (RFC 6120 §6.4).
func (s *Server) answerSASL(st *stream, el *xmlstream.Element) {
	switch el.Local() {
	case "challenge":
		// RFC 6120 §6.4.3: answer the (empty) EXTERNAL challenge with the
		// authorization identity, as the initial response would have.
		r := xmlstream.NewElement("response", "xmlns", nsSASL)
		r.AddText(base64.StdEncoding.EncodeToString([]byte(s.cfg.Domain)))
		s.write(st, r)
	case "success":
		// RFC 6120 §6.4.6: restart the stream over the same TLS connection.
		st.saslDone = true
		st.n++
		st.p.Restart()
		s.sendInitialHeader(st)
	case "failure":
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
	default:
		s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> while "+stateName(st.state))
	}
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
	if st.peerAuth != "" {
		s.note(st, "authenticated", "%s accepts %s: its certificate is authenticated by %s (SASL EXTERNAL, %s)", str(s.cfg.Domain), str(st.peer), str(st.peerAuth), str(proofSpec(st.peerAuth)))
	} else {
		s.note(st, "authenticated", "%s accepts %s: its certificate names it and chains to a trusted root (SASL EXTERNAL)", str(s.cfg.Domain), str(st.peer))
	}
	// RFC 6120 §6.4.6: both sides restart the stream; no TLS this time.
	st.n++
	st.p.Restart()
	st.state = stAwaitHeader
	st.gotHeader = false
}

// verifyClient checks the certificate the peer presented as TLS client
// for SASL EXTERNAL: chain, name (RFC 6125 against the stream's 'from')
// and, when the policy enforces it, the clientAuth key usage.
func (s *Server) verifyClient(st *stream) error {
	if err := s.authenticateClient(st); err != nil {
		return err
	}
	if s.cfg.Policy.EnforceClientAuthEKU {
		return ca.CheckPurpose(st.peerCert, ca.ClientAuth)
	}
	return nil
}
