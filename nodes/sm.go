package nodes

import (
	"strconv"
	"time"

	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// nsSM is XEP-0198's namespace (version 3).
const nsSM = "urn:xmpp:sm:3"

// Stream management's timing, in virtual time.
const (
	// SMResumeTimeout is how long a Receiving Server keeps a stream
	// management session whose stream broke, for the initiating server to
	// resume it (XEP-0198 §5: the 'max' of <enabled/>, in seconds on the
	// wire). After it, the session is gone: <resume/> gets <failed/> with
	// <item-not-found/>, and the 'h' it had (XEP-0198 §5).
	SMResumeTimeout = 120 * time.Second
	// SMAckTimeout is how long an initiating server waits for the <a/>
	// answering its <r/> before it takes the stream for broken — a
	// partition or a dead peer sends no FIN — and resumes on a new
	// connection. XEP-0198 leaves the figure to implementations (§4: the
	// answer "MUST NOT be withheld for any condition other than a
	// timeout").
	SMAckTimeout = 30 * time.Second
	// SMRequestEvery is the request policy: the initiating server sends
	// <r/> after the first stanza it has not yet had acknowledged, then
	// after every SMRequestEvery more, and again when an <a/> leaves
	// stanzas unacknowledged (XEP-0198 §4, §8 "Efficient acking").
	SMRequestEvery = 5
	// SMMaxReconnects bounds how many times in a row a route reconnects
	// after a broken stream without any stanza being acknowledged in
	// between: a link that always breaks at the same point (a middlebox
	// that resets every connection after so many bytes) must not make the
	// server reconnect for ever. After that the stanzas are bounced.
	SMMaxReconnects = 3
)

// smFeature is stream management on server-to-server streams (XEP-0198),
// in one direction: the initiating server's stanzas to the receiving
// server, the direction a server-to-server stream carries.
//
// The receiving server lists <sm xmlns='urn:xmpp:sm:3'/> on the stream on
// which the initiating server is, or will be, authenticated: after the
// restart that follows SASL (RFC 6120 §6.4.6), or — since Server Dialback
// authenticates on the stream without a restart and so without new
// features — in the features of the stream that dialback will
// authenticate. Either way <enable/> is answered only once the stream is
// authenticated (XEP-0198 §2: "MUST NOT be offered unless the initiating
// entity has been authenticated"; before that, <failed/> with
// <unexpected-request/>). The initiating server notes the offer here
// (take) and sends <enable resume='true'/> once its route is established
// (smBegin), holding its stanzas until the answer.
//
// Then every stanza it writes is counted and kept until an <a h=…/>
// acknowledges it (smSend, smAcked); the receiving server counts the
// stanzas it handles, h modulo 2^32 (XEP-0198 §4). When the stream breaks
// with stanzas unacknowledged, the initiating server negotiates a new one
// — DNS, TCP, TLS and authentication all over again, as its policy says:
// a session is never resumed on an unauthenticated stream (XEP-0198 §5,
// §9) — and sends <resume previd=… h=…/>. The receiving server answers
// <resumed h=…/> with the number it handled, and the initiating server
// re-sends only the rest, so nothing is handled twice; or <failed/>
// (after SMResumeTimeout, or after a crash that lost the session), and
// the stanzas it cannot know to be handled are bounced to their senders.
var smFeature = feature{
	name:  "stream-management",
	space: nsSM, local: "sm",
	offer: func(s *Server, st *stream) int {
		p := s.cfg.Policy
		if !p.StreamManagement {
			return 0
		}
		if st.session()&authenticated != 0 || !st.offeredSASL && p.Dialback && !s.tlsRequiredFirst(st) {
			return 1
		}
		return 0
	},
	forms: []string{featureForm(func() *xmlstream.Element { return xmlstream.NewElement("sm", "xmlns", nsSM) })},
	handles: func(_ *stream, el *xmlstream.Element) bool {
		return el.Space == nsSM
	},
	receive: (*Server).smReceive,
	take: func(s *Server, st *stream, ad, _ *xmlstream.Element) step {
		st.smOffered = ad != nil && s.cfg.Policy.StreamManagement
		if r := st.route; s.cfg.Broken == ResumeWithoutAuthentication && st.smOffered && r != nil && st.session()&authenticated == 0 &&
			r.sm != nil && r.sm.id != "" && len(r.sm.unacked) > 0 {
			// The broken rule: resume before authenticating.
			st.state = stOpen
			s.smBegin(r)
			return settled
		}
		return pass
	},
	answers: func(st *stream, el *xmlstream.Element) bool {
		return el.Space == nsSM && st.route != nil && st.route.st == st
	},
	answer: (*Server).smAnswer,
}

// smSession is a Receiving Server's side of one stream management
// session: the count of stanzas handled and the stream it runs on.
type smSession struct {
	id string
	// domain is the domain the stream that enabled it was authenticated
	// for: only a stream authenticated for the same domain may resume it.
	domain string
	h      uint32 // stanzas handled, modulo 2^32 (XEP-0198 §4)
	st     *stream
	timer  int64 // the resumption timeout, while detached
	// expired: the resumption timeout passed. The entry stays as a
	// tombstone so that <failed/> can still say how many were handled.
	expired bool
}

// smOut is an initiating server's side of the session on a route: what it
// sent and what is not yet acknowledged. It belongs to the route, not the
// stream, because it outlives a broken stream.
type smOut struct {
	// waiting: <enable/> or <resume/> is sent and its answer not in; the
	// route's stanzas wait in its queue.
	waiting bool
	// resuming: the <resume/> sent asks for session id.
	resuming bool
	enabled  bool
	id       string // the SM-ID, when the session is resumable
	// sent counts the stanzas sent in the session and acked the last h
	// received, both modulo 2^32; unacked holds the sent-acked stanzas
	// not yet acknowledged, oldest first.
	sent, acked uint32
	unacked     []*xmlstream.Element
	// requested: an <r/> is outstanding; ackTimer bounds its answer.
	requested bool
	ackTimer  int64
	// hIn counts the stanzas handled from the peer on our stream (only a
	// bidirectional stream carries any), for <a/> and <resume/>.
	hIn uint32
}

// smProgress notes that the peer acknowledged something: the count of
// reconnections without progress starts again.
func (r *route) smProgress() { r.smBreaks = 0 }

// Elements of XEP-0198 that never vary.
const (
	smEnableXML = "<enable xmlns='" + nsSM + "' resume='true'/>"
	// smEnableNoResumeXML is what an initiating server without resumption
	// (sm_resume=false) sends, as Prosody 0.12.3's mod_smacks does on s2s.
	smEnableNoResumeXML = "<enable xmlns='" + nsSM + "'/>"
	smRequestXML        = "<r xmlns='" + nsSM + "'/>"
)

// ---- receiving server ----

func (s *Server) smReceive(st *stream, el *xmlstream.Element) {
	if !s.cfg.Policy.StreamManagement {
		s.streamError(st, "unsupported-stanza-type", "<"+el.Name+"/> of XEP-0198, which "+s.cfg.Domain+" does not support (policy stream_management=false)")
		return
	}
	switch el.Local() {
	case "enable":
		s.smEnable(st, el)
	case "resume":
		s.smResume(st, el)
	case "r":
		if st.sm == nil {
			s.streamError(st, "unsupported-stanza-type", "<r/> before stream management was enabled (XEP-0198 §4)")
			return
		}
		s.write(st, xmlstream.NewElement("a", "xmlns", nsSM, "h", strconv.FormatUint(uint64(st.sm.h), 10)))
	case "a":
		// We send no <r/> as receiving server, so an <a/> answers nothing;
		// it is harmless (XEP-0198 §4 allows unrequested acks).
	default:
		s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> of XEP-0198")
	}
}

// smFailed writes <failed/> with a stanza error condition, and 'h' when
// known (XEP-0198 §5).
func (s *Server) smFailed(st *stream, cond string, h uint32, withH bool) {
	f := xmlstream.NewElement("failed", "xmlns", nsSM)
	if withH {
		f.SetAttr("h", strconv.FormatUint(uint64(h), 10))
	}
	f.AddChild(xmlstream.NewElement(cond, "xmlns", nsStanzas))
	s.write(st, f)
}

func (s *Server) smEnable(st *stream, el *xmlstream.Element) {
	switch {
	case st.authDomain == "":
		s.note(st, "sm-failed", "%s refuses <enable/>: %s has not authenticated on this stream (XEP-0198 §2, §3)", str(s.cfg.Domain), str(st.peer))
		s.smFailed(st, "unexpected-request", 0, false)
		return
	case st.sm != nil:
		s.note(st, "sm-failed", "%s refuses a second <enable/> on the stream from %s", str(s.cfg.Domain), str(st.peer))
		s.smFailed(st, "unexpected-request", 0, false)
		return
	}
	sess := &smSession{domain: st.authDomain, st: st}
	st.sm = sess
	resume := el.Attr("resume") == "true" || el.Attr("resume") == "1"
	e := xmlstream.NewElement("enabled", "xmlns", nsSM)
	if resume && s.cfg.Policy.SMNoResume {
		// No 'id' and no 'max': no session to resume (XEP-0198 §5), so the
		// initiating server bounces, not resumes, what a broken stream
		// leaves unacknowledged. The 'resume' asked for is echoed, as
		// Prosody 0.12.3's handle_enable does for a session without a
		// username (mod_smacks.lua: resume = stanza.attr.resume); an
		// <enabled/> without 'id' grants nothing to resume either way.
		e.SetAttr("resume", el.Attr("resume"))
		s.note(st, "sm-enabled", "%s enables stream management for %s, not resumable: it grants no resumption (policy sm_resume=false, as Prosody 0.12.3 on s2s)", str(s.cfg.Domain), str(st.authDomain))
	} else if resume {
		sess.id = s.newStreamID()
		if s.smSessions == nil {
			s.smSessions = map[string]*smSession{}
		}
		s.smSessions[sess.id] = sess
		e.SetAttr("id", sess.id)
		e.SetAttr("max", strconv.Itoa(int(SMResumeTimeout/time.Second)))
		e.SetAttr("resume", "true")
		s.note(st, "sm-enabled", "%s enables stream management for %s, resumable for %s (XEP-0198 §3, §5)", str(s.cfg.Domain), str(st.authDomain), dur(SMResumeTimeout))
	} else {
		s.note(st, "sm-enabled", "%s enables stream management for %s, not resumable (XEP-0198 §3)", str(s.cfg.Domain), str(st.authDomain))
	}
	s.write(st, e)
}

// smResume answers <resume/> (XEP-0198 §5). The stream must be
// authenticated, for the domain that enabled the session: the SM-ID alone
// proves nothing (§9, Security Considerations).
func (s *Server) smResume(st *stream, el *xmlstream.Element) {
	previd := el.Attr("previd")
	if sess := s.smSessions[previd]; s.cfg.Broken == ResumeWithoutAuthentication && st.authDomain == "" && sess != nil {
		// The broken rule: the SM-ID taken for a credential.
		st.authDomain, st.level = sess.domain, LevelVerified
	}
	if st.authDomain == "" {
		s.note(st, "sm-failed", "%s refuses to resume session %s: %s has not authenticated on this stream (XEP-0198 §5, §9)", str(s.cfg.Domain), str(previd), str(st.peer))
		s.smFailed(st, "unexpected-request", 0, false)
		return
	}
	if st.sm != nil {
		s.note(st, "sm-failed", "%s refuses <resume/> on a stream whose session is already enabled", str(s.cfg.Domain))
		s.smFailed(st, "unexpected-request", 0, false)
		return
	}
	sess := s.smSessions[previd]
	switch {
	case sess == nil:
		s.note(st, "sm-failed", "%s knows no stream management session %s (it may have restarted since): <item-not-found/>", str(s.cfg.Domain), str(previd))
		s.smFailed(st, "item-not-found", 0, false)
		return
	case sess.domain != st.authDomain:
		// Do not tell a stranger what it is not entitled to know.
		s.note(st, "sm-failed", "%s refuses to resume session %s for %s: it belongs to %s", str(s.cfg.Domain), str(previd), str(st.authDomain), str(sess.domain))
		s.smFailed(st, "item-not-found", 0, false)
		return
	case sess.expired:
		s.note(st, "sm-failed", "%s's session %s expired (not resumed in time); it had handled %d stanzas", str(s.cfg.Domain), str(previd), num(int(sess.h)))
		s.smFailed(st, "item-not-found", sess.h, true)
		delete(s.smSessions, previd)
		return
	}
	if old := sess.st; old != nil && old != st {
		// XEP-0198 §5: the former stream, if still open here (a partition
		// we never noticed), is terminated.
		old.sm = nil
		sess.st = nil
		s.note(old, "sm-replaced", "%s closes the former stream of session %s: it is resumed on another connection (XEP-0198 §5)", str(s.cfg.Domain), str(previd))
		s.closeStream(old)
		s.streamGone(old, "stream management session resumed on another connection")
	}
	s.cancelTimer(sess.timer)
	sess.timer = 0
	sess.st = st
	st.sm = sess
	s.note(st, "sm-resumed", "%s resumes session %s for %s: it had handled %d stanzas of it (XEP-0198 §5)", str(s.cfg.Domain), str(previd), str(st.authDomain), num(int(sess.h)))
	s.write(st, xmlstream.NewElement("resumed", "xmlns", nsSM, "h", strconv.FormatUint(uint64(sess.h), 10), "previd", sess.id))
}

// smHandled counts a stanza handled on st (XEP-0198 §4).
func (s *Server) smHandled(st *stream) {
	if st.sm != nil {
		st.sm.h++ // wraps at 2^32, as XEP-0198 §4 says h does
		return
	}
	if r := st.route; st.role == roleOriginating && r != nil && r.sm != nil && r.sm.enabled {
		r.sm.hIn++
	}
}

// smDetach keeps a Receiving stream's session for resumption when the
// stream ends (or forgets it, when it is not resumable).
func (s *Server) smDetach(st *stream) {
	sess := st.sm
	if sess == nil {
		return
	}
	st.sm = nil
	sess.st = nil
	if sess.id == "" {
		return
	}
	sess.timer = s.tag(tagEntry{kind: tagSMExpire, sm: sess})
	s.emit(Effect{Kind: EffTimer, Tag: sess.timer, Delay: SMResumeTimeout})
	s.note(st, "sm-detached", "%s keeps session %s of %s for resumption (XEP-0198 §5); %d stanzas handled", str(s.cfg.Domain), str(sess.id), str(sess.domain), num(int(sess.h)))
}

// smExpired ends a detached session at its resumption timeout, leaving
// a tombstone that still answers <resume/> with the count it had; the
// tombstone goes at the next timeout, so that a peer opening and dropping
// streams cannot make the table grow without bound.
func (s *Server) smExpired(sess *smSession) {
	sess.timer = 0
	if sess.st != nil {
		return
	}
	if sess.expired {
		delete(s.smSessions, sess.id)
		return
	}
	sess.expired = true
	sess.timer = s.tag(tagEntry{kind: tagSMExpire, sm: sess})
	s.emit(Effect{Kind: EffTimer, Tag: sess.timer, Delay: SMResumeTimeout})
	s.note(nil, "sm-expired", "%s's stream management session %s of %s was not resumed within %s", str(s.cfg.Domain), str(sess.id), str(sess.domain), dur(SMResumeTimeout))
}

// ---- initiating server ----

// smBegin is called when a route's stream is established: it enables
// stream management, or resumes the route's session, where the peer
// offered it, and reports whether the route must wait for the answer
// before its stanzas flow.
func (s *Server) smBegin(r *route) bool {
	st := r.st
	if !s.cfg.Policy.StreamManagement {
		return false
	}
	if !st.smOffered {
		if r.sm != nil && len(r.sm.unacked) > 0 {
			s.smGiveUp(r, st.peer+" no longer offers stream management, so the stanzas it may not have handled cannot be resumed", nil)
		}
		r.sm = nil
		return false
	}
	if r.sm != nil && r.sm.id != "" && len(r.sm.unacked) > 0 {
		r.sm.waiting, r.sm.resuming, r.sm.enabled, r.sm.requested = true, true, false, false
		s.note(st, "sm-resume", "%s asks %s to resume session %s: %d stanzas were not acknowledged when the former stream broke (XEP-0198 §5)", str(s.cfg.Domain), str(st.peer), str(r.sm.id), num(len(r.sm.unacked)))
		e := xmlstream.NewElement("resume", "xmlns", nsSM, "h", strconv.FormatUint(uint64(r.sm.hIn), 10), "previd", r.sm.id)
		s.write(st, e)
		s.smArm(r)
		return true
	}
	r.sm = &smOut{waiting: true}
	s.note(st, "sm-enable", "%s enables stream management on its stream to %s (XEP-0198 §3): its stanzas are kept until acknowledged", str(s.cfg.Domain), str(st.peer))
	s.writeConst(st, s.smEnableXML())
	s.smArm(r)
	return true
}

// smEnableXML is the <enable/> this server sends as initiating server:
// asking for resumption unless its policy has none (sm_resume=false).
func (s *Server) smEnableXML() string {
	if s.cfg.Policy.SMNoResume {
		return smEnableNoResumeXML
	}
	return smEnableXML
}

// smWaiting reports whether the route's stanzas must wait for the answer
// to <enable/> or <resume/>.
func (r *route) smWaiting() bool { return r.sm != nil && r.sm.waiting }

// sendStanza writes a stanza on the route's established stream, counting
// and keeping it when stream management is enabled, and asks for an ack
// as the request policy says (SMRequestEvery).
func (s *Server) sendStanza(r *route, stanza *xmlstream.Element) {
	s.write(r.st, stanza)
	sm := r.sm
	if sm == nil || !sm.enabled {
		return
	}
	sm.sent++
	sm.unacked = append(sm.unacked, stanza)
	if !sm.requested || len(sm.unacked)%SMRequestEvery == 0 {
		s.smRequest(r)
	}
}

// smRequest writes <r/> and arms the ack timeout.
func (s *Server) smRequest(r *route) {
	r.sm.requested = true
	s.writeConst(r.st, smRequestXML)
	s.smArm(r)
}

// smArm bounds the wait for the peer's answer — to <r/>, <enable/> or
// <resume/> — by SMAckTimeout, unless a bound is already running.
func (s *Server) smArm(r *route) {
	if r.sm.ackTimer == 0 {
		r.sm.ackTimer = s.tag(tagEntry{kind: tagSMAck, route: r})
		s.emit(Effect{Kind: EffTimer, Tag: r.sm.ackTimer, Delay: SMAckTimeout})
	}
}

// smDisarm stops the bound on the peer's answer.
func (s *Server) smDisarm(r *route) {
	s.cancelTimer(r.sm.ackTimer)
	r.sm.ackTimer = 0
}

// flushRoute sends the stanzas waiting in the route's queue.
func (s *Server) flushRoute(r *route) {
	q := r.queue
	r.queue = nil
	for _, st := range q {
		s.sendStanza(r, st)
	}
}

// smAnswer handles the receiving server's XEP-0198 elements on our stream.
func (s *Server) smAnswer(st *stream, el *xmlstream.Element) {
	r := st.route
	sm := r.sm
	if !s.cfg.Policy.StreamManagement || sm == nil && el.Local() != "r" {
		s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> of XEP-0198: no stream management session on this stream")
		return
	}
	switch el.Local() {
	case "enabled":
		if !sm.waiting || sm.resuming {
			s.streamError(st, "unsupported-stanza-type", "<enabled/> that answers no <enable/>")
			return
		}
		sm.waiting, sm.enabled = false, true
		s.smDisarm(r)
		if (el.Attr("resume") == "true" || el.Attr("resume") == "1") && !s.cfg.Policy.SMNoResume {
			sm.id = el.Attr("id")
		}
		s.note(st, "sm-enabled", "%s has stream management enabled by %s (session %s)", str(s.cfg.Domain), str(st.peer), str(orDefault(sm.id, "not resumable")))
		s.flushRoute(r)
	case "resumed":
		if !sm.resuming {
			s.streamError(st, "unsupported-stanza-type", "<resumed/> that answers no <resume/>")
			return
		}
		if !s.smAcked(r, el.Attr("h")) {
			return
		}
		sm.waiting, sm.resuming, sm.enabled = false, false, true
		s.smDisarm(r)
		resend := sm.unacked
		sm.unacked, sm.sent = nil, sm.acked
		s.note(st, "sm-resumed", "%s resumed session %s with %s: %d stanzas it had not handled are sent again", str(s.cfg.Domain), str(sm.id), str(st.peer), num(len(resend)))
		for _, x := range resend {
			s.sendStanza(r, x)
		}
		s.flushRoute(r)
	case "failed":
		if !sm.waiting {
			s.streamError(st, "unsupported-stanza-type", "<failed/> that answers no <enable/> or <resume/>")
			return
		}
		s.smDisarm(r)
		cond := "undefined-condition"
		if c := el.Children(); len(c) > 0 {
			cond = c[0].Local()
		}
		if !sm.resuming {
			s.note(st, "sm-failed", "%s refused to enable stream management (<%s/>): stanzas go unmanaged", str(st.peer), str(cond))
			r.sm = nil
			s.flushRoute(r)
			return
		}
		if h := el.Attr("h"); h != "" {
			// XEP-0198 §5: the peer says how many it handled; the rest are
			// known not to have arrived, so they go again on a new session.
			if !s.smAcked(r, h) {
				return
			}
			s.note(st, "sm-failed", "%s could not resume session %s (<%s/>) but handled %s of it: %d stanzas go again on a new session", str(st.peer), str(sm.id), str(cond), str(h), num(len(sm.unacked)))
			r.queue = append(sm.unacked, r.queue...)
			sm.unacked = nil
		} else {
			s.smGiveUp(r, st.peer+" could not resume session "+sm.id+" (<"+cond+"/>) and did not say which stanzas it handled", st)
		}
		r.sm = &smOut{waiting: true}
		s.note(st, "sm-enable", "%s enables a new stream management session with %s", str(s.cfg.Domain), str(st.peer))
		s.writeConst(st, s.smEnableXML())
		s.smArm(r)
	case "a":
		if !sm.enabled {
			s.streamError(st, "unsupported-stanza-type", "<a/> before stream management was enabled")
			return
		}
		if !s.smAcked(r, el.Attr("h")) {
			return
		}
		sm.requested = false
		s.smDisarm(r)
		if len(sm.unacked) > 0 {
			s.smRequest(r)
		}
	case "r":
		var h uint32
		if sm != nil {
			h = sm.hIn
		}
		e := xmlstream.NewElement("a", "xmlns", nsSM, "h", strconv.FormatUint(uint64(h), 10))
		s.write(st, e)
	default:
		s.streamError(st, "unsupported-stanza-type", "unexpected <"+el.Name+"/> of XEP-0198")
	}
}

// smAcked applies a handled count: the stanzas it covers are dropped from
// the unacknowledged ones. A count beyond what was sent is a stream error
// (XEP-0198's handled-count-too-high, sent as <undefined-condition/>:
// the stream error here carries no application-specific child).
func (s *Server) smAcked(r *route, hs string) bool {
	sm := r.sm
	h, err := strconv.ParseUint(hs, 10, 32)
	if err != nil {
		s.streamError(r.st, "invalid-xml", "XEP-0198 'h' is not a 32-bit count: "+hs)
		return false
	}
	n := uint32(h) - sm.acked // modulo 2^32
	if int64(n) > int64(len(sm.unacked)) {
		s.streamError(r.st, "undefined-condition", "handled-count-too-high: "+r.domain+" acknowledged "+hs+" stanzas, more than were sent (XEP-0198)")
		return false
	}
	if n > 0 {
		r.smProgress()
	}
	clear(sm.unacked[:n])
	sm.unacked = sm.unacked[n:]
	if len(sm.unacked) == 0 {
		sm.unacked = nil
	}
	sm.acked = uint32(h)
	return true
}

// smGiveUp bounces the route's unacknowledged stanzas: whether the peer
// handled them cannot be known, and a server treats them as stanzas to an
// unavailable entity (XEP-0198 §4: "returning an error to the sender").
func (s *Server) smGiveUp(r *route, reason string, st *stream) {
	sm := r.sm
	if sm == nil || len(sm.unacked) == 0 {
		return
	}
	q := sm.unacked
	sm.unacked = nil
	s.note(st, "sm-lost", "%s gives up on %d unacknowledged stanzas to %s: %s", str(s.cfg.Domain), num(len(q)), str(r.domain), str(reason))
	for _, x := range q {
		s.bounceUnconfirmed(x, s.cfg.Policy.Errors.BounceCondition(), r.domain, reason)
	}
}

// smBroken is called when a route's established stream ends: with stanzas
// unacknowledged in a resumable session, a new negotiation starts at once
// to resume it. It reports whether it did.
func (s *Server) smBroken(r *route, reason string) bool {
	sm := r.sm
	if sm == nil {
		return false
	}
	r.smBreaks++
	if r.smBreaks > SMMaxReconnects {
		why := "the stream to " + r.domain + " broke " + strconv.Itoa(r.smBreaks) + " times in a row without an acknowledgement (last: " + reason + ")"
		s.cancelTimer(sm.ackTimer)
		s.smGiveUp(r, why, nil)
		r.sm, r.smBreaks = nil, 0
		q := r.queue
		r.queue = nil
		for _, x := range q {
			s.bounce(x, s.cfg.Policy.Errors.BounceCondition(), "wait", r.domain, why)
		}
		return true
	}
	s.cancelTimer(sm.ackTimer)
	sm.ackTimer, sm.requested, sm.enabled, sm.waiting, sm.resuming = 0, false, false, false, false
	if len(sm.unacked) == 0 {
		r.sm = nil
		return false
	}
	if sm.id == "" {
		why := "the stream broke (" + reason + ") and the session is not resumable"
		if s.cfg.Policy.SMNoResume {
			why += " (policy sm_resume=false, as Prosody 0.12.3 on s2s)"
		}
		s.smGiveUp(r, why, nil)
		r.sm = nil
		return false
	}
	s.note(nil, "sm-reconnect", "%s reconnects to %s to resume session %s: %d stanzas unacknowledged (XEP-0198 §5)", str(s.cfg.Domain), str(r.domain), str(sm.id), num(len(sm.unacked)))
	s.startRoute(r)
	return true
}

// smAckTimeout takes a stream whose <r/> went unanswered for broken.
func (s *Server) smAckTimeout(r *route) {
	st := r.st
	if st == nil || st.closed || r.sm == nil {
		return
	}
	s.note(st, "sm-timeout", "%s had no answer from %s within %s: it takes the stream for broken", str(s.cfg.Domain), str(r.domain), dur(SMAckTimeout))
	st.transient = true
	s.closeStream(st)
	s.streamGone(st, "no acknowledgement within "+SMAckTimeout.String())
}
