package nodes

import (
	"errors"

	"fedsim/dns"
	"fedsim/network/transport"
	"fedsim/nodes/xmlstream"
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
	domain  string
	state   routeState
	queue   []*xmlstream.Element
	targets []dns.Target
	next    int
	st      *stream
	timer   int64
	level   Level
	// lastErr remembers why the last target failed, for the bounce.
	lastErr string
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
	if r.state == routeEstablished && r.st != nil && !r.st.closed {
		s.write(r.st, stanza)
		return
	}
	r.queue = append(r.queue, stanza)
	if r.state != routeIdle {
		if !s.Quiet {
			s.note(nil, "queue", "stanza to %s waits for the negotiation in progress", to)
		}
		return
	}
	// RFC 6120 §10.4: no stream to the domain yet, so open one. It starts
	// with the DNS lookup of RFC 6120 §3.2.
	r.state = routeResolving
	r.level = LevelNone
	r.targets, r.next, r.lastErr = nil, 0, ""
	r.timer = s.tag(tagEntry{kind: tagRouteTimer, route: r})
	s.emit(Effect{Kind: EffTimer, Tag: r.timer, Delay: s.cfg.NegotiationTimeout})
	if !s.Quiet {
		s.note(nil, "route", "no stream to %s yet: %s starts a server-to-server negotiation", to, s.cfg.Domain)
	}
	s.emit(Effect{Kind: EffResolve, Tag: s.request(tagEntry{kind: tagRouteResolve, route: r}, s.cfg.DNSTimeout), Domain: to})
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
		s.routeFailed(r, "no reachable target: "+r.lastErr, s.cfg.Policy.Errors.BounceCondition(), "wait")
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
		s.dialNext(r) // RFC 6120 §3.2.1 step 9: try the next target
		return
	}
	r.state = routeNegotiating
	st := s.newStream(roleOriginating, c, transport.Client)
	st.peer = r.domain
	st.route = r
	r.st = st
	s.sendInitialHeader(st)
}

// routeEstablished is reached when the Originating stream is authenticated:
// the queue is flushed in order.
func (s *Server) routeEstablished(r *route, level Level, how string) {
	s.cancelTimer(r.timer)
	r.timer = 0
	r.state = routeEstablished
	r.level = level
	e := Effect{Kind: EffNote, Event: "outcome", Conn: r.st.conn, End: r.st.end, Stream: r.st.n, Peer: r.domain,
		Outcome: &Outcome{From: s.cfg.Domain, To: r.domain, Level: level}}
	if !s.Quiet { // formatting boxes its arguments even when it prints nothing
		e.Detail = s.detail("%s -> %s: %s (%s)", s.cfg.Domain, r.domain, level.Letter(), how)
	}
	s.emit(e)
	q := r.queue
	r.queue = nil
	for _, st := range q {
		s.write(r.st, st)
	}
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
	e := Effect{Kind: EffNote, Event: "outcome", Peer: r.domain,
		Detail:  s.detail("%s -> %s: U (%s)", s.cfg.Domain, r.domain, reason),
		Outcome: &Outcome{From: s.cfg.Domain, To: r.domain, Level: LevelNone, Reason: reason, Condition: cond, ErrorType: errType}}
	if st != nil {
		e.Conn, e.End, e.Stream = st.conn, st.end, st.n
		if !st.closed {
			st.route = nil
			s.closeStream(st)
			st.closed = true
		}
	}
	s.emit(e)
	q := r.queue
	r.queue = nil
	for _, stanza := range q {
		s.bounce(stanza, cond, errType, "the stream to "+r.domain+" could not be established: "+reason)
	}
}

// bounce returns a stanza to its local sender with a stanza error. Errors
// and results are never bounced (RFC 6120 §8.3.1).
func (s *Server) bounce(stanza *xmlstream.Element, cond, errType, why string) {
	typ := stanza.Attr("type")
	if typ == "error" || (stanza.Local() == "iq" && typ == "result") {
		s.emit(Effect{Kind: EffNote, Event: "drop", Detail: "not bouncing an error or result: " + why, Stanza: stanza})
		return
	}
	e := errorReply(stanza, cond, errType)
	s.emit(Effect{Kind: EffNote, Event: "bounce", Stanza: e,
		Detail: s.detail("%s returns <%s/> (type %s) to %s: %s", s.cfg.Domain, cond, errType, stanza.Attr("from"), why)})
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
		s.emit(Effect{Kind: EffNote, Event: "no-such-user", Stanza: stanza, Detail: s.detail("%s has no account %q", s.cfg.Domain, bareJID(to))})
		if stanza.Local() == "iq" && (stanza.Attr("type") == "get" || stanza.Attr("type") == "set") {
			s.route(errorReply(stanza, "service-unavailable", "cancel")) // RFC 6120 §8.3.3.19
		}
		return
	}
	e := Effect{Kind: EffNote, Event: "deliver", Stanza: stanza}
	if !s.Quiet { // formatting boxes its arguments even when it prints nothing
		e.Detail = s.detail("%s delivers to %s: %s", s.cfg.Domain, to, stanzaXML{stanza})
	}
	s.emit(e)
	if stanza.Local() == "iq" && stanza.Attr("type") == "get" && stanza.ChildNS(nsPing, "ping") != nil {
		reply := xmlstream.NewElement("iq", "from", bareJID(to), "id", stanza.Attr("id"), "to", stanza.Attr("from"), "type", "result")
		e := Effect{Kind: EffNote, Event: "answer", Stanza: reply}
		if !s.Quiet {
			e.Detail = s.detail("%s answers the ping (XEP-0199)", bareJID(to))
		}
		s.emit(e)
		s.route(reply)
	}
}

// stanzaXML prints an element only when formatted (so that a quiet server
// never serialises it for a note).
type stanzaXML struct{ e *xmlstream.Element }

func (x stanzaXML) String() string { return string(x.e.AppendXML(nil)) }
