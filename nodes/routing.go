package nodes

import (
	"errors"
	"strings"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

type routeState uint8

const (
	routeIdle routeState = iota
	routeResolving
	routeConnecting
	routeNegotiating
	routeEstablished
)

// route is everything about sending to one remote domain: the stanzas that
// wait, the DNS targets left to try and the Originating stream.
type route struct {
	domain string
	state  routeState
	// sm is the route's stream management session (XEP-0198), nil when
	// none: it outlives a broken stream, to be resumed on the next.
	sm *smOut
	// smBreaks counts the streams broken in a row without an
	// acknowledgement (SMMaxReconnects).
	smBreaks int
	queue    []*xmlstream.Element
	targets  []dns.Target
	next     int
	st       *stream
	timer    int64
	level    Level
	// lastErr remembers why the last target failed, for the bounce;
	// timedOut whether any target's connection attempt timed out (rather
	// than being refused).
	lastErr  string
	timedOut bool
	// plaintext: the route is retrying without TLS after a failed
	// handshake (the defect Policy.TLSFailureRetryPlaintext).
	plaintext bool
}

// route sends a stanza from a local user (or a local answer) towards its
// recipient (RFC 6120 §10).
func (s *Server) route(stanza *xmlstream.Element) {
	to := bareDomain(stanza.Attr("to"))
	if to == s.cfg.Domain {
		s.deliverLocal(stanza)
		return
	}
	r := s.routes[to]
	if r == nil {
		r = &route{domain: to}
		s.routes[to] = r
	}
	if r.state == routeEstablished && r.st != nil && !r.st.closed && !r.smWaiting() {
		s.sendStanza(r, stanza)
		return
	}
	r.queue = append(r.queue, stanza)
	if r.state != routeIdle {
		s.note(nil, "queue", "stanza to %s waits for the negotiation in progress", str(to))
		return
	}
	s.startRoute(r)
}

// startRoute opens a stream to the route's domain (RFC 6120 §10.4: no
// stream to the domain yet, so open one). It starts with the DNS lookup of
// RFC 6120 §3.2.
func (s *Server) startRoute(r *route) {
	to := r.domain
	r.state = routeResolving
	r.level = LevelNone
	r.targets, r.next, r.lastErr, r.timedOut, r.plaintext = nil, 0, "", false, false
	r.timer = s.tag(tagEntry{kind: tagRouteTimer, route: r})
	s.emit(Effect{Kind: EffTimer, Tag: r.timer, Delay: s.cfg.NegotiationTimeout})
	s.note(nil, "route", "no stream to %s yet: %s starts a server-to-server negotiation", str(to), str(s.cfg.Domain))
	s.emit(Effect{Kind: EffResolve, Tag: s.request(tagEntry{kind: tagRouteResolve, route: r}, s.cfg.DNSTimeout), Domain: to, Direct: s.cfg.Policy.DirectTLS || s.cfg.Policy.DirectTLSConnect})
}

func (s *Server) routeResolved(r *route, a dns.Answer) {
	if r.state != routeResolving {
		return
	}
	if a.Err != nil {
		// RFC 6120 §8.3.3.16: the remote domain cannot be resolved. NXDOMAIN
		// is permanent; SERVFAIL and silence may pass.
		cond, typ := "remote-server-not-found", "wait"
		if errors.Is(a.Err, dns.ErrNXDomain) {
			typ = "cancel"
		}
		s.routeFailed(r, "DNS: "+a.Err.Error()+" ("+a.Note+")", cond, typ)
		return
	}
	r.targets, r.next = a.Targets, 0
	r.state = routeConnecting
	s.dialNext(r)
}

func (s *Server) dialNext(r *route) {
	if r.next >= len(r.targets) {
		cond, typ := s.cfg.Policy.Errors.BounceCondition(), "wait"
		if s.cfg.Policy.Errors.Bounce == "" && !r.timedOut && fallbackOnly(r.targets) {
			// RFC 6120 §8.3.3.16: the address record resolved but nothing
			// answers on port 5269 — remote-server-not-found, not
			// remote-server-timeout (§8.3.3.17 is for a resolved server
			// that cannot be reached in time).
			cond, typ = "remote-server-not-found", "cancel"
		}
		s.routeFailed(r, "no reachable target: "+r.lastErr, cond, typ)
		return
	}
	t := r.targets[r.next]
	r.next++
	s.emit(Effect{Kind: EffDial, Tag: s.request(tagEntry{kind: tagRouteDial, route: r}, s.cfg.ConnectTimeout), Addr: t.Addr, Port: t.Port, Domain: r.domain})
}

func (s *Server) routeDialed(r *route, c transport.ConnID, err error) {
	if r.state != routeConnecting {
		if err == nil {
			s.emit(Effect{Kind: EffClose, Conn: c, End: transport.Client})
		}
		return
	}
	if err != nil {
		r.lastErr = err.Error()
		r.timedOut = r.timedOut || errors.Is(err, ErrConnectTimeout)
		s.dialNext(r) // RFC 6120 §3.2.1 step 9: try the next target
		return
	}
	r.state = routeNegotiating
	st := s.newStream(roleOriginating, c, transport.Client)
	st.peer = r.domain
	st.route = r
	r.st = st
	if t := r.targets[r.next-1]; t.Direct {
		// XEP-0368 §3: an _xmpps-server target speaks TLS from the first
		// byte; the stream header follows the handshake.
		s.note(st, "decide", "%s connects to %s with Direct TLS (XEP-0368): TLS first, SNI %s, ALPN xmpp-server", str(s.cfg.Domain), str(t.Host), str(r.domain))
		s.startDirectTLS(st, transport.Client, r.domain)
		return
	}
	s.sendInitialHeader(st)
}

// routeEstablished is reached when the Originating stream is authenticated:
// the queue is flushed in order.
func (s *Server) routeEstablished(r *route, level Level, how string) {
	s.cancelTimer(r.timer)
	r.timer = 0
	r.state = routeEstablished
	r.level = level
	if r.st.direct {
		how = "Direct " + how
	}
	auth := ReceiverByDNS
	if r.st.tls && r.st.peerCert != nil && r.st.peerCertErr == nil {
		auth = ReceiverByCertificate
		switch {
		case strings.HasPrefix(r.st.peerAuth, "DANE-"):
			auth = ReceiverByDANE
		case r.st.peerAuth == ca.ByPOSH:
			auth = ReceiverByPOSH
		}
	}
	e := s.note(r.st, "outcome", "%s -> %s: %s (%s; %s authenticated by %s)", str(s.cfg.Domain), str(r.domain), str(level.Letter()), str(how), str(r.domain), str(auth.String()))
	e.Peer = r.domain
	e.Outcome = &Outcome{From: s.cfg.Domain, To: r.domain, Level: level, ReceiverAuth: auth}
	if s.smBegin(r) {
		return // the stanzas wait for <enabled/>, <resumed/> or <failed/>
	}
	s.flushRoute(r)
}

// routeFailed bounces every waiting stanza with cond (RFC 6120 §8.3.3)
// and forgets the route so that a later stanza starts afresh.
func (s *Server) routeFailed(r *route, reason, cond, errType string) {
	if r.state == routeIdle || r.state == routeEstablished {
		return
	}
	s.cancelTimer(r.timer)
	r.timer = 0
	st := r.st
	r.state = routeIdle
	r.st = nil
	if st != nil && !st.closed {
		st.route = nil
		s.closeStream(st)
		st.closed = true
	}
	e := s.note(st, "outcome", "%s -> %s: U (%s)", str(s.cfg.Domain), str(r.domain), str(reason))
	e.Peer = r.domain
	e.Outcome = &Outcome{From: s.cfg.Domain, To: r.domain, Level: LevelNone, Reason: reason, Condition: cond, ErrorType: errType}
	if r.sm != nil {
		// A resumption that could not even reach an authenticated stream.
		s.cancelTimer(r.sm.ackTimer)
		s.smGiveUp(r, "the stream management session could not be resumed: "+reason, nil)
		r.sm = nil
	}
	q := r.queue
	r.queue = nil
	for _, stanza := range q {
		s.bounce(stanza, cond, errType, r.domain, reason)
	}
}

// bounce returns a stanza to its local sender with a stanza error, because
// the stream to domain could not be established for reason. Errors and
// results are never bounced (RFC 6120 §8.3.1).
func (s *Server) bounce(stanza *xmlstream.Element, cond, errType, domain, reason string) {
	typ := stanza.Attr("type")
	if typ == "error" || (stanza.Local() == "iq" && typ == "result") {
		s.note(nil, "drop", "not bouncing an error or result: the stream to %s could not be established: %s", str(domain), str(reason)).Stanza = stanza
		return
	}
	e := errorReply(stanza, cond, errType)
	s.note(nil, "bounce", "%s returns <%s/> (type %s) to %s: the stream to %s could not be established: %s",
		str(s.cfg.Domain), str(cond), str(errType), str(stanza.Attr("from")), str(domain), str(reason)).Stanza = e
	s.route(e)
}

// bounceUnconfirmed returns a stanza that was written but never
// acknowledged (XEP-0198) to its sender: the peer may have handled it —
// its <a/> may be what was lost — so the error says so in its text, and
// the note is "bounce-unconfirmed", not "bounce": a checker must not take
// it for a stanza that was not delivered.
func (s *Server) bounceUnconfirmed(stanza *xmlstream.Element, cond, domain, reason string) {
	typ := stanza.Attr("type")
	if typ == "error" || (stanza.Local() == "iq" && typ == "result") {
		s.note(nil, "drop", "not bouncing an error or result: it was not acknowledged by %s: %s", str(domain), str(reason)).Stanza = stanza
		return
	}
	e := errorReply(stanza, cond, "wait")
	e.Child("error").AddChild(xmlstream.NewElement("text", "xmlns", nsStanzas)).AddText("not acknowledged by " + domain + " (XEP-0198): it may have been delivered")
	s.note(nil, "bounce-unconfirmed", "%s returns <%s/> (type wait) to %s, unconfirmed: %s never acknowledged it and %s",
		str(s.cfg.Domain), str(cond), str(stanza.Attr("from")), str(domain), str(reason)).Stanza = e
	s.route(e)
}

// errorReply builds the error response to stanza: addresses swapped, same
// id, type='error', one defined condition (RFC 6120 §8.3.2).
func errorReply(stanza *xmlstream.Element, cond, errType string) *xmlstream.Element {
	e := xmlstream.NewElement(stanza.Local())
	if v := stanza.Attr("to"); v != "" {
		e.SetAttr("from", v)
	}
	if v := stanza.Attr("id"); v != "" {
		e.SetAttr("id", v)
	}
	if v := stanza.Attr("from"); v != "" {
		e.SetAttr("to", v)
	}
	e.SetAttr("type", "error")
	er := e.AddChild(xmlstream.NewElement("error", "type", errType))
	er.AddChild(xmlstream.NewElement(cond, "xmlns", nsStanzas))
	return e
}

// deliverLocal hands a stanza to a local account. The simulated users are
// always online; a ping to a user is answered (XEP-0199 §4.1), and an IQ
// to an account that does not exist gets <service-unavailable/> (RFC 6121
// §8.5.1).
func (s *Server) deliverLocal(stanza *xmlstream.Element) {
	to := stanza.Attr("to")
	user := localpart(to)
	if user == "" || !s.users[user] {
		s.note(nil, "no-such-user", "%s has no account %q", str(s.cfg.Domain), str(bareJID(to))).Stanza = stanza
		if stanza.Local() == "iq" && (stanza.Attr("type") == "get" || stanza.Attr("type") == "set") {
			s.route(errorReply(stanza, "service-unavailable", "cancel")) // RFC 6120 §8.3.3.19
		}
		return
	}
	// The stanza's XML is serialised for the explanation only when it is
	// read (elem).
	s.note(nil, "deliver", "%s delivers to %s: %s", str(s.cfg.Domain), str(to), elem(stanza)).Stanza = stanza
	if stanza.Local() == "iq" && stanza.Attr("type") == "get" && stanza.ChildNS(nsPing, "ping") != nil {
		reply := xmlstream.NewElement("iq", "from", bareJID(to), "id", stanza.Attr("id"), "to", stanza.Attr("from"), "type", "result")
		s.note(nil, "answer", "%s answers the ping (XEP-0199)", str(bareJID(to))).Stanza = reply
		s.route(reply)
	}
}

// retryPlaintext is the defect Policy.TLSFailureRetryPlaintext: st, an
// Originating stream, lost its TLS handshake (reason), and the server
// connects to the same target again to go on without TLS (to the first
// STARTTLS target when the handshake was Direct TLS). It reports whether it
// retried, and otherwise, when the defect is on, why not (for the outcome's
// reason).
func (s *Server) retryPlaintext(st *stream, reason string) (bool, string) {
	r, p := st.route, s.cfg.Policy
	if !p.TLSFailureRetryPlaintext || st.state != stTLS || r.plaintext || r.state != routeNegotiating {
		return false, ""
	}
	switch {
	case p.InitiateTLS == InitiateAlways:
		return false, "no plaintext retry: " + s.cfg.Domain + " requires encryption (policy initiate_tls=always)"
	case p.DANE != DANEOff && len(s.usableTLSA(st)) > 0:
		return false, "no plaintext retry: " + r.domain + " has usable TLSA records, so TLS is mandatory with it (RFC 7673 §2.4)"
	}
	next := r.next - 1
	for next < len(r.targets) && r.targets[next].Direct {
		next++
	}
	if next >= len(r.targets) {
		return false, "no plaintext retry: " + r.domain + " has no STARTTLS target"
	}
	r.next, r.plaintext, r.state, r.st = next, true, routeConnecting, nil
	st.route = nil
	s.note(st, "decide", "%s connects to %s again and will not negotiate TLS: the TLS handshake failed (%s) (policy tls_failure_retry_plaintext=true, a defect: Openfire 4.7 and earlier)",
		str(s.cfg.Domain), str(r.domain), str(reason))
	s.dialNext(r)
	return true, ""
}

// fallbackOnly reports whether the targets came from the address-record
// fallback (RFC 6120 §3.2.1 step 4: no SRV record, the domain's own
// address at port 5269).
func fallbackOnly(ts []dns.Target) bool {
	for _, t := range ts {
		if t.Via != "A" {
			return false
		}
	}
	return len(ts) > 0
}
