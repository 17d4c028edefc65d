package nodes

import (
	"fmt"
	"strings"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// verification is one pending dialback check: a <db:result/> received on a
// Receiving stream, to be confirmed by the Authoritative Server of the
// originating domain over a separate Verifying stream (XEP-0220 §2.1.2).
type verification struct {
	inbound  *stream
	from, to string // originating and receiving domains
	id       string // the Receiving stream's id
	key      string
	targets  []dns.Target
	next     int
	st       *stream
	done     bool
	lastErr  string
	timer    int64
}

// MaxPendingPerStream and MaxPendingPerPeer bound the dialback checks a
// peer can make a server run at once (issue 14): every <db:result/> costs
// a DNS lookup and an outbound connection to the Authoritative Server, so
// a thousand keys on one stream would be a thousand connections. Past the
// bound the stream is closed with <policy-violation/> (RFC 6120
// §4.9.3.18). A legitimate peer has one key per domain pair in flight.
const (
	MaxPendingPerStream = 8
	MaxPendingPerPeer   = 32
)

func (s *Server) startVerification(in *stream, from, key string) {
	if n, m := len(in.pending), s.pendingFor(from); n >= MaxPendingPerStream || m >= MaxPendingPerPeer {
		s.streamError(in, "policy-violation", fmt.Sprintf("%d dialback keys already being verified on this stream and %d for %s (at most %d and %d)", n, m, from, MaxPendingPerStream, MaxPendingPerPeer))
		return
	}
	v := &verification{inbound: in, from: from, to: s.cfg.Domain, id: in.id, key: key}
	in.pending = append(in.pending, v)
	if s.cfg.Broken == SkipDialbackVerification {
		// Deliberately wrong (see BrokenRule): trust the key unchecked.
		s.note(in, "broken-rule", "%s skips the dialback verification", str(s.cfg.Domain))
		s.verifyDone(v, "valid")
		return
	}
	v.timer = s.tag(tagEntry{kind: tagVerifyTimer, verif: v})
	s.emit(Effect{Kind: EffTimer, Tag: v.timer, Delay: s.cfg.VerifyTimeout})
	s.emit(Effect{Kind: EffResolve, Tag: s.request(tagEntry{kind: tagVerifyResolve, verif: v}, s.cfg.DNSTimeout), Domain: from})
}

func (s *Server) verifyResolved(v *verification, a dns.Answer) {
	if v.done {
		return
	}
	if a.Err != nil {
		s.verifyFailed(v, "cannot find the Authoritative Server of "+v.from+": "+a.Err.Error())
		return
	}
	v.targets = a.Targets
	s.verifyDialNext(v)
}

func (s *Server) verifyDialNext(v *verification) {
	if v.next >= len(v.targets) {
		s.verifyFailed(v, "cannot connect to the Authoritative Server of "+v.from+": "+v.lastErr)
		return
	}
	t := v.targets[v.next]
	v.next++
	s.emit(Effect{Kind: EffDial, Tag: s.request(tagEntry{kind: tagVerifyDial, verif: v}, s.cfg.ConnectTimeout), Addr: t.Addr, Port: t.Port, Domain: v.from})
}

func (s *Server) verifyDialed(v *verification, c transport.ConnID, err error) {
	if v.done {
		if err == nil {
			s.emit(Effect{Kind: EffClose, Conn: c, End: transport.Client})
		}
		return
	}
	if err != nil {
		v.lastErr = err.Error()
		s.verifyDialNext(v)
		return
	}
	st := s.newStream(roleVerifying, c, transport.Client)
	st.peer = v.from
	st.verif = v
	v.st = st
	s.sendInitialHeader(st)
}

// sendVerify is step 2 of XEP-0220: the key goes back to its author.
func (s *Server) sendVerify(st *stream) {
	v := st.verif
	if !st.peerDBNS {
		s.giveUp(st, st.peer+" does not support Server Dialback, so it cannot vouch for the key")
		return
	}
	st.state = stAwaitVerify
	s.writeDialback(st, "db:verify", v.to, v.id, v.from, "", v.key)
}

func (s *Server) verifyingElement(st *stream, el *xmlstream.Element) {
	v := st.verif
	switch {
	case st.state == stAwaitFeatures && el.Space == xmlstream.NSStreams && el.Local() == "features":
		// XEP-0220 §2.1.2: a connection used only for verification may skip
		// TLS and every other feature.
		s.note(st, "decide", "%s skips the features on this verification-only connection and sends <db:verify/> (XEP-0220 §2.1.2)", str(s.cfg.Domain))
		s.sendVerify(st)
	case st.state == stAwaitVerify && el.Space == xmlstream.NSDialback && el.Local() == "verify":
		if !strings.EqualFold(el.Attr("from"), v.from) || !strings.EqualFold(el.Attr("to"), v.to) || el.Attr("id") != v.id {
			s.note(st, "note", "ignoring a <db:verify/> answer that matches no request (XEP-0220 §2.1.2)")
			return
		}
		typ := el.Attr("type")
		s.verifyDone(v, typ)
		// XEP-0220 §2.1.2: close the verification-only connection at once.
		s.closeStream(st)
		st.verif = nil
		st.closed = true
	default:
		s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> on a verification stream")
	}
}

// verifyDone is step 4: tell the Initiating Server.
func (s *Server) verifyDone(v *verification, typ string) {
	if v.done {
		return
	}
	v.done = true
	s.cancelTimer(v.timer)
	in := v.inbound
	in.removePending(v)
	if in.closed {
		return
	}
	switch typ {
	case "valid":
		s.authenticatedByDialback(in, v.from, v.id)
		s.note(in, "authenticated", "%s accepts %s at level %s: its Authoritative Server confirmed the key", str(s.cfg.Domain), str(v.from), str(in.level.Letter()))
		s.writeDialback(in, "db:result", v.to, "", v.from, "valid", "")
		s.bidiReverse(in)
	default:
		// XEP-0220 §2.2.1: tell the peer and close the stream.
		s.note(in, "decide", "%s refuses %s: its Authoritative Server answered type=%q", str(s.cfg.Domain), str(v.from), str(typ))
		s.writeDialback(in, "db:result", v.to, "", v.from, "invalid", "")
		s.closeStream(in)
		s.streamGone(in, "dialback key invalid")
	}
}

func (s *Server) verifyFailed(v *verification, reason string) {
	if v.done {
		return
	}
	v.done = true
	s.cancelTimer(v.timer)
	if v.st != nil && !v.st.closed {
		s.closeStream(v.st)
		v.st.closed = true
	}
	in := v.inbound
	in.removePending(v)
	if in.closed {
		return
	}
	if s.cfg.Policy.DialbackErrors {
		// XEP-0220 §2.5: an error in Step 3 MUST be reported as a
		// <remote-server-not-found/> dialback error; the stream stays up.
		s.note(in, "decide", "%s reports the failed verification as a dialback error (policy dialback_errors=true): %s", str(s.cfg.Domain), str(reason))
		s.write(in, dialbackError(v.to, v.from, "remote-server-not-found"))
		return
	}
	// Without dialback errors (XEP-0220 §2.5) the only way to tell the
	// Initiating Server is a stream error (RFC 6120 §4.9.3.15).
	s.streamError(in, "remote-connection-failed", reason)
}

// dropVerifications abandons the checks a closed Receiving stream waited for.
func (s *Server) dropVerifications(in *stream) {
	for _, v := range in.pending {
		v.done = true
		s.cancelTimer(v.timer)
		if v.st != nil && !v.st.closed {
			s.closeStream(v.st)
			v.st.closed = true
		}
	}
	in.pending = nil
}

func (st *stream) removePending(v *verification) {
	for i, p := range st.pending {
		if p == v {
			st.pending = append(st.pending[:i], st.pending[i+1:]...)
			return
		}
	}
}

// pendingFor counts the checks in flight for keys from domain, on every
// receiving stream.
func (s *Server) pendingFor(domain string) int {
	n := 0
	for _, st := range s.streams {
		for _, v := range st.pending {
			if v.from == domain {
				n++
			}
		}
	}
	return n
}
