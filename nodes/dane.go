package nodes

import (
	"strings"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
)

// DANE and POSH: a peer's certificate authenticated without a public CA
// (issue 15). The policy fields dnssec, dane and posh decide; package ca
// does the matching (ca.Authenticator), and the resolver (package dns)
// says which TLSA records are DNSSEC-secure.
//
// As initiating server (RFC 7673): the TLSA records come with the DNS
// answer for the SRV target being dialled — looked up only when the SRV
// and address records are secure (§3.2, §3.3) — and the TLS handshake
// checks the receiver's certificate with them (tlsConfigTo). The target
// host name is the SNI and, with the domain, a reference identifier for
// DANE-TA (§4).
//
// As receiving server: after TLS, before the stream features, the
// peer domain's SRV targets and their TLSA records are looked up
// (lookupPeerTLSA), and the certificate the peer presented as TLS client
// must match one of them to be accepted for SASL EXTERNAL. No RFC
// specifies DANE for TLS clients of XMPP; this is what Prosody's
// mod_s2s_auth_dane does, and XEP-0344 §3.3 names DNSSEC as what makes
// the DNS side of server-to-server authentication trustworthy.
//
// POSH (RFC 7711) needs no DNS: the peer domain's web server is asked
// (ca.Web.VerifyPOSH) when PKIX does not accept the certificate.

// proofSpec cites the rule a prooftype follows, for notes.
func proofSpec(how string) string {
	switch how {
	case "DANE-EE":
		return "TLSA usage 3: the certificate itself, no CA, RFC 7671 §5.1"
	case "DANE-TA":
		return "TLSA usage 2: a trust anchor of the domain's own, RFC 7671 §5.2"
	case "PKIX-EE", "PKIX-TA":
		return "TLSA usage 0/1 constraining PKIX, RFC 6698 §2.1.1"
	case ca.ByPOSH:
		return "the domain's POSH document lists its key, RFC 7711 §3"
	}
	return how
}

// authenticator is how this server accepts a peer certificate: nil when
// its policy knows only PKIX.
func (s *Server) authenticator(tlsa []ca.TLSA, refs []string) *ca.Authenticator {
	p := s.cfg.Policy
	if p.DANE == DANEOff && p.POSH == POSHOff {
		return nil
	}
	a := &ca.Authenticator{Verifier: verifier(s.cfg.Trust)}
	if p.DANE != DANEOff {
		a.TLSA, a.Refs, a.RequireDANE = tlsa, refs, p.DANE == DANERequire
	}
	if p.POSH != POSHOff {
		a.Web = s.cfg.Web
		if a.Web == nil {
			a.Web = ca.Web{} // no web server answers
		}
		if s.cfg.WebTrust != nil {
			a.WebVerifier = &ca.Verifier{Roots: s.cfg.WebTrust}
		}
	}
	return a
}

// tlsConfigTo is the Originating Server's side of the handshake on st:
// with dane or posh, the receiver's certificate is checked by every means
// the policy accepts, with the TLSA records of the target being dialled.
func (s *Server) tlsConfigTo(st *stream) transport.TLSConfig {
	c := s.tlsConfig(st.peer)
	var tlsa []ca.TLSA
	var refs []string
	if tlsa = s.usableTLSA(st); len(tlsa) > 0 {
		refs = []string{st.route.targets[st.route.next-1].Host, st.peer}
	}
	c.Auth = s.authenticator(tlsa, refs)
	if c.Auth != nil && (len(tlsa) > 0 || s.cfg.Policy.DANE == DANERequire) {
		// RFC 7673 §2.4: with usable TLSA records a certificate that
		// matches none ends the connection; dane=require makes records
		// mandatory too.
		c.RequireValid = true
	}
	return c
}

// authenticateClient checks the certificate the peer presented as TLS
// client for its stream 'from': PKIX (RFC 6125), or, as the policy
// allows, DANE with the TLSA records looked up after TLS, or POSH. It
// records how in st.peerAuth.
func (s *Server) authenticateClient(st *stream) error {
	a := s.authenticator(st.peerTLSA, st.peerTLSARefs)
	if a == nil {
		return verifier(s.cfg.Trust).Verify(st.peerCert, st.peer, s.Now)
	}
	how, err := a.Authenticate(st.peerCert, st.peer, s.Now)
	if err != nil {
		return err
	}
	st.peerAuth = ""
	if how != ca.ByPKIX {
		st.peerAuth = how
	}
	return nil
}

// lookupPeerTLSA starts the lookup of the peer domain's TLSA records on a
// Receiving stream that has just been encrypted, when the policy uses
// DANE and the certificate can matter (SASL EXTERNAL can be offered, or a
// dialback key can be answered from it, XEP-0344 §2.4).
// It reports whether the features must wait for the answer.
func (s *Server) lookupPeerTLSA(st *stream) bool {
	p := s.cfg.Policy
	certMatters := (p.SASL != SASLNever && s.acceptFor(st.peer).Has(LevelTrusted)) || p.DialbackWithoutDialback
	if p.DANE == DANEOff || !st.tls || st.peerTLSAKnown || st.peer == "" || st.peerCert == nil || !certMatters {
		return false
	}
	st.peerTLSAKnown = true
	s.note(st, "decide", "%s looks up %s's SRV targets and their TLSA records to authenticate its certificate by DANE (policy dane=%s, RFC 7673)", str(s.cfg.Domain), str(st.peer), str(p.DANE.String()))
	s.emit(Effect{Kind: EffResolve, Tag: s.request(tagEntry{kind: tagPeerTLSA, inbound: st}, s.cfg.DNSTimeout), Domain: st.peer})
	return true
}

// peerTLSAResolved keeps the secure TLSA records of the peer's targets
// and sends the stream features that waited for them.
func (s *Server) peerTLSAResolved(st *stream, a dns.Answer) {
	if st == nil || st.closed {
		return
	}
	var hosts []string
	for _, t := range a.Targets {
		if t.TLSASecurity == dns.Secure && len(t.TLSA) > 0 {
			st.peerTLSA = append(st.peerTLSA, t.TLSA...)
			hosts = append(hosts, t.Host)
		}
	}
	switch {
	case len(st.peerTLSA) > 0:
		st.peerTLSARefs = append(hosts, st.peer)
		s.note(st, "decide", "%s has DNSSEC-secure TLSA records for %s (%s): its certificate must match one", str(s.cfg.Domain), str(st.peer), str(strings.Join(hosts, ", ")))
	case a.Err != nil:
		s.note(st, "decide", "%s has no TLSA records for %s: %s", str(s.cfg.Domain), str(st.peer), str(a.Note))
	default:
		why := "the answer is " + a.Security.String()
		if a.Security == dns.Secure {
			why = "none is published"
		}
		s.note(st, "decide", "%s has no usable TLSA records for %s: %s", str(s.cfg.Domain), str(st.peer), str(why))
	}
	s.writeRaw(st, s.features(st))
}

// dialbackWithoutDialback is XEP-0344 §2.4 on the Receiving Server: a
// <db:result/> key from a peer whose TLS certificate authenticates the
// key's 'from' domain is answered valid at once; the Authoritative Server
// is not asked. The certificate is checked now, when the key arrives, for
// that domain (XEP-0344 §3: not only at the handshake). It reports
// whether it answered.
func (s *Server) dialbackWithoutDialback(st *stream, from string) bool {
	if !s.cfg.Policy.DialbackWithoutDialback || !st.tls || st.peerCert == nil {
		return false
	}
	var tlsa []ca.TLSA
	var refs []string
	if from == st.peer {
		tlsa, refs = st.peerTLSA, st.peerTLSARefs
	}
	how := ca.ByPKIX
	var err error
	if a := s.authenticator(tlsa, refs); a != nil {
		how, err = a.Authenticate(st.peerCert, from, s.Now)
	} else {
		err = verifier(s.cfg.Trust).Verify(st.peerCert, from, s.Now)
	}
	if err != nil {
		s.note(st, "decide", "%s cannot answer the key from its certificate (XEP-0344 §2.4): %v", str(s.cfg.Domain), errArg(err))
		return false
	}
	s.authenticatedByDialback(st, from, st.id)
	st.byCert = true
	if how != ca.ByPKIX {
		st.peerAuth = how
	}
	s.note(st, "authenticated", "%s accepts %s at level %s without asking its Authoritative Server: the certificate is authenticated by %s for %s (XEP-0344 §2.4, dialback without dialback)",
		str(s.cfg.Domain), str(from), str(st.level.Letter()), str(how), str(from))
	s.writeDialback(st, "db:result", s.cfg.Domain, "", from, "valid", "")
	return true
}

// usableTLSA is the DNSSEC-secure TLSA records of the target st's route
// dialled, nil when there are none (or st is not an Originating stream).
func (s *Server) usableTLSA(st *stream) []ca.TLSA {
	if r := st.route; r != nil && r.next > 0 && r.next <= len(r.targets) {
		if t := r.targets[r.next-1]; t.TLSASecurity == dns.Secure {
			return t.TLSA
		}
	}
	return nil
}
