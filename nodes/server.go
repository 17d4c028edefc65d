package nodes

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/dialback"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// Namespaces of RFC 6120, XEP-0220 and XEP-0199.
const (
	nsTLS             = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL            = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsStreamErrors    = "urn:ietf:params:xml:ns:xmpp-streams"
	nsStanzas         = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsDialbackFeature = "urn:xmpp:features:dialback"
	nsPing            = "urn:xmpp:ping"
)

// Timeouts, in virtual time. Servers differ; these are round figures of
// the order Prosody and ejabberd use.
const (
	// DefaultNegotiationTimeout bounds a whole outbound negotiation, from the
	// DNS query to an authenticated stream, before queued stanzas are bounced
	// with <remote-server-timeout/>.
	DefaultNegotiationTimeout = 60 * time.Second
	// DefaultConnectTimeout bounds one TCP connection attempt; the next DNS
	// target is tried after it (RFC 6120 §3.2.1 step 9).
	DefaultConnectTimeout = 10 * time.Second
	// DefaultDNSTimeout bounds one resolution.
	DefaultDNSTimeout = 10 * time.Second
	// DefaultVerifyTimeout bounds a dialback verification (XEP-0220 §2.1.1
	// "the Initiating Server MAY impose a timeout"; the same holds for the
	// Receiving Server waiting for the Authoritative Server).
	DefaultVerifyTimeout = 30 * time.Second
)

// Config is what a server is built from. It is validated by New.
type Config struct {
	// Domain is the XMPP domain the server hosts (and its host name).
	Domain string
	// Policy decides every negotiation step.
	Policy Policy
	// Cert is the certificate presented in TLS (nil: none).
	Cert *ca.Cert
	// Trust is the trust store for peers' certificates.
	Trust *ca.Pool
	// Secret is the dialback secret (XEP-0185 §3); never sent.
	Secret string
	// Users are the localparts of the accounts the server hosts.
	Users []string
	// Rand draws stream ids. Must be a stream derived from the world seed.
	Rand *rand.Rand
	// NegotiationTimeout, ConnectTimeout, DNSTimeout, VerifyTimeout: zero
	// means the Default… value.
	NegotiationTimeout time.Duration
	ConnectTimeout     time.Duration
	DNSTimeout         time.Duration
	VerifyTimeout      time.Duration

	// SecureDomains must authenticate with a CA-validated certificate
	// (level T only, no dialback); InsecureDomains may authenticate by
	// dialback (V and E allowed) whatever Policy.Accept says. These are
	// Prosody's s2s_secure_domains and s2s_insecure_domains.
	SecureDomains, InsecureDomains []string

	// Web is the simulated web the server fetches POSH documents from
	// (policy posh=accept, RFC 7711); nil: none reachable. The world owns
	// it; the server only reads it, during a call.
	Web ca.Web
	// WebTrust holds the public CAs web servers are checked against when
	// fetching POSH documents (the web PKI, RFC 7711 §3); nil: Trust.
	WebTrust *ca.Pool

	// Broken deliberately breaks one negotiation rule so that tests can
	// show the invariant checker and the shipped scenarios catch it, or so
	// that an attacker's server can send what no honest one does
	// (ClaimDialbackValid). Never set it on a victim.
	Broken BrokenRule
}

// BrokenRule names a rule a test server may break on purpose.
type BrokenRule uint8

const (
	// NotBroken: the server follows every rule.
	NotBroken BrokenRule = iota
	// SkipDialbackVerification: accept a <db:result/> key without asking
	// the Authoritative Server (the mistake XEP-0220 §2.2.1 forbids).
	SkipDialbackVerification
	// ResumeWithoutAuthentication: resume a stream management session on
	// a stream nobody authenticated (XEP-0198 §9 forbids it) — as
	// initiating server, send <resume/> instead of authenticating; as
	// receiving server, grant it and take the stream for the session's
	// domain.
	ResumeWithoutAuthentication
	// ClaimDialbackValid: as Originating Server, send <db:result
	// type='valid'/> in place of a dialback key — the forgery of the
	// dialback-shortcut attacker's server (scenarios, fedsim attack
	// dialback-shortcut), which only a receiver with the defect
	// Policy.DialbackTrustResult believes.
	ClaimDialbackValid
)

// Server is one XMPP server's federation logic.
type Server struct {
	cfg Config
	// Now is the virtual calendar time of the input being handled; the
	// world sets it before every call (certificate validity needs it).
	Now time.Time
	// Arena is where the server serialises what it writes and collects the
	// effects it returns; a world sets one shared by its servers, and a
	// server without one makes its own.
	Arena *Arena

	hdrPrefix []byte
	feats     []*feature // the stream features it knows, in negotiation order
	keys      *dialback.Keyer
	streams   map[connEnd]*stream
	routes    map[string]*route
	tags      tagTable
	users     map[string]bool
	// smSessions are the stream management sessions this server granted
	// as receiving server, by SM-ID (XEP-0198 §5); looked up, never ranged.
	smSessions map[string]*smSession
}

// connEnd names one end of a connection: the key of a stream. An integer
// rather than a struct: the map lookup on every received segment then takes
// the runtime's 64-bit fast path (a struct key was 7 % of a large run).
type connEnd uint64

func endKey(c transport.ConnID, e transport.End) connEnd { return connEnd(uint64(c)<<1 | uint64(e&1)) }

type tagKind uint8

const (
	tagRouteResolve tagKind = iota + 1
	tagRouteDial
	tagRouteTimer
	tagVerifyResolve
	tagVerifyDial
	tagVerifyTimer
	// tagInboundTimer bounds how long a Receiving stream may stay
	// unauthenticated (a peer that connects and falls silent).
	tagInboundTimer
	// tagTimeout guards a request (a resolve or a dial): link is the
	// request's tag, and the request's link is the timer's.
	tagTimeout
	// tagPeerTLSA: a Receiving stream's lookup of the peer domain's TLSA
	// records (policy dane), inbound is the stream.
	tagPeerTLSA
	// tagSMAck bounds the answer to a route's <r/> (XEP-0198).
	tagSMAck
	// tagSMExpire ends a detached stream management session, sm.
	tagSMExpire
)

type tagEntry struct {
	kind    tagKind
	route   *route
	verif   *verification
	inbound *stream
	sm      *smSession
	link    int64
}

// New validates cfg and returns a server.
func New(cfg Config) (*Server, error) {
	var errs []string
	if cfg.Domain == "" {
		errs = append(errs, "domain is empty")
	}
	if err := cfg.Policy.Validate(); err != nil {
		errs = append(errs, err.Error())
	}
	if cfg.Rand == nil {
		errs = append(errs, "no random source for stream ids")
	}
	if cfg.Policy.Dialback && cfg.Secret == "" {
		errs = append(errs, "dialback is on but the dialback secret is empty")
	}
	// A server that requires valid peer certificates needs none of its
	// own to validate a peer (issue 14): as initiating entity it checks the
	// receiver's; it just cannot be authenticated by one itself.
	if len(errs) > 0 {
		return nil, fmt.Errorf("nodes: server %q: %s", cfg.Domain, strings.Join(errs, "; "))
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.NegotiationTimeout, DefaultNegotiationTimeout}, {&cfg.ConnectTimeout, DefaultConnectTimeout},
		{&cfg.DNSTimeout, DefaultDNSTimeout}, {&cfg.VerifyTimeout, DefaultVerifyTimeout}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	s := &Server{
		cfg:     cfg,
		streams: map[connEnd]*stream{},
		routes:  map[string]*route{},
		users:   map[string]bool{},
		feats:   featuresFor(cfg.Policy),
	}
	for _, u := range cfg.Users {
		s.users[strings.ToLower(u)] = true
	}
	return s, nil
}

// keyer makes and checks this server's dialback keys (XEP-0185).
func (s *Server) keyer() *dialback.Keyer {
	if s.keys == nil {
		s.keys = dialback.NewKeyer(s.cfg.Secret)
	}
	return s.keys
}

// AcceptFor is the set of levels the server accepts from (and towards) a
// peer domain, after the per-domain overrides.
func (s *Server) AcceptFor(domain string) Levels { return s.acceptFor(domain) }

func (s *Server) acceptFor(domain string) Levels {
	for _, d := range s.cfg.SecureDomains {
		if strings.EqualFold(d, domain) {
			return LevelSet(LevelTrusted)
		}
	}
	for _, d := range s.cfg.InsecureDomains {
		if strings.EqualFold(d, domain) {
			return s.cfg.Policy.Accept | LevelSet(LevelVerified, LevelEncrypted)
		}
	}
	return s.cfg.Policy.Accept
}

// Domain is the hosted domain.
func (s *Server) Domain() string { return s.cfg.Domain }

// Policy is the server's policy.
func (s *Server) Policy() Policy { return s.cfg.Policy }

// Config returns the server's configuration.
func (s *Server) Config() Config { return s.cfg }

func (s *Server) emit(e Effect) {
	a := s.arena()
	a.effects = append(a.effects, e)
}

// take hands the accumulated effects to the caller. The slice is reused:
// the caller must consume it before the next input.
func (s *Server) take() []Effect {
	a := s.arena()
	out := a.effects
	a.effects = a.effects[:0]
	return out
}

// note records a decision and its reason, on stream st if it is not nil,
// and returns the note so that the caller can add its structured part
// (Stanza, Outcome, Accept) before emitting anything else.
//
// It formats nothing: the format and the typed arguments travel in the
// effect as a Text, and only a world that records a trace turns them into
// words. So a note costs no allocation, and protocol code notes every
// decision without asking whether anyone listens. The effect is filled in
// place in the arena's slice, not built and copied: an Effect is large,
// and copying one twice per note was a measurable part of a federation.
func (s *Server) note(st *stream, event, format string, args ...Arg) *Effect {
	a := s.arena()
	a.effects = append(a.effects, Effect{Kind: EffNote, Event: event})
	e := &a.effects[len(a.effects)-1]
	e.Detail.set(format, args)
	if st != nil {
		e.Conn, e.End, e.Stream, e.Peer = st.conn, st.end, st.n, st.peer
	}
	return e
}

func (s *Server) tag(e tagEntry) int64 { return s.tags.add(e) }

// request registers a resolve or dial and arms its timeout.
func (s *Server) request(e tagEntry, timeout time.Duration) int64 {
	req := s.tag(e)
	tm := s.tag(tagEntry{kind: tagTimeout, link: req})
	if r, ok := s.tags.get(req); ok {
		r.link = tm
	}
	s.emit(Effect{Kind: EffTimer, Tag: tm, Delay: timeout})
	return req
}

// answered takes a request off the books and cancels its timeout.
func (s *Server) answered(tag int64) (tagEntry, bool) {
	e, ok := s.tags.take(tag)
	if !ok {
		return e, false
	}
	s.cancelTimer(e.link)
	return e, true
}

func (s *Server) cancelTimer(tag int64) {
	if tag == 0 {
		return
	}
	if _, ok := s.tags.take(tag); ok {
		s.emit(Effect{Kind: EffCancel, Tag: tag})
	}
}

// Errors a request can end with when its timer fires first.
var (
	ErrConnectTimeout = errors.New("connect timeout")
	ErrDNSTimeout     = errors.New("DNS: no answer (timeout)")
)

// ---- inputs ----

// Send is a local user's stanza. It is delivered locally, routed over an
// established stream, or queued while a new negotiation runs.
func (s *Server) Send(stanza *xmlstream.Element) []Effect {
	s.route(stanza)
	return s.take()
}

// Dialed is the outcome of an EffDial.
func (s *Server) Dialed(tag int64, c transport.ConnID, err error) []Effect {
	t, ok := s.answered(tag)
	if !ok {
		if err == nil {
			// A connection that came up after its attempt timed out.
			s.emit(Effect{Kind: EffClose, Conn: c, End: transport.Client})
		}
		return s.take()
	}
	switch t.kind {
	case tagRouteDial:
		s.routeDialed(t.route, c, err)
	case tagVerifyDial:
		s.verifyDialed(t.verif, c, err)
	}
	return s.take()
}

// Accepted is a new inbound connection on port: a Receiving stream
// starts. On dns.DirectTLSPort, when the policy has Direct TLS, it starts
// with the TLS handshake (XEP-0368).
func (s *Server) Accepted(c transport.ConnID, port int, remote string) []Effect {
	// (The stream is keyed by connection and end: a server that dials
	// itself — a record pointing at its own address — has both ends.)
	st := s.newStream(roleReceiving, c, transport.Server)
	st.peer = remote
	st.state = stAwaitHeader
	st.timer = s.tag(tagEntry{kind: tagInboundTimer, inbound: st})
	s.emit(Effect{Kind: EffTimer, Tag: st.timer, Delay: s.cfg.NegotiationTimeout})
	if port == dns.DirectTLSPort && s.cfg.Policy.DirectTLS {
		s.startDirectTLS(st, transport.Server, "")
	}
	return s.take()
}

// Received feeds bytes from a connection to its stream's parser and state
// machine.
func (s *Server) Received(c transport.ConnID, e transport.End, data []byte) []Effect {
	return s.ReceivedWith(nil, c, e, data)
}

// StreamContext returns a handle on the stream at end e of connection c
// (nil if there is none), for a world to attach to the connection
// (in the simulated network, Net.SetContext) and pass back to ReceivedWith.
func (s *Server) StreamContext(c transport.ConnID, e transport.End) any {
	if st := s.streams[endKey(c, e)]; st != nil {
		return st
	}
	return nil
}

// ReceivedWith is Received with the handle StreamContext gave for the
// connection: it saves looking the stream up for every segment, which in a
// large federation is a cache miss or three. A handle that does not match
// (another server's, a stale one, nil) falls back to the lookup.
func (s *Server) ReceivedWith(ctx any, c transport.ConnID, e transport.End, data []byte) []Effect {
	st, _ := ctx.(*stream)
	if st == nil || st.owner != s || st.conn != c || st.end != e || st.detached {
		st = s.streams[endKey(c, e)]
	}
	if st == nil || st.closed {
		return s.take()
	}
	if st.state == stTLS {
		// Nothing may arrive between <proceed/> and the end of the
		// handshake: plaintext here is an injection (CVE-2011-0411).
		s.note(st, "drop", "%s drops %d bytes received in plaintext while TLS is negotiated", str(s.cfg.Domain), num(len(data)))
		return s.take()
	}
	st.p.Feed(data)
	s.pump(st)
	return s.take()
}

// pump hands every complete token to the stream's state machine.
func (s *Server) pump(st *stream) {
	for !st.closed && !st.paused {
		tok, ok, err := st.p.Next()
		if err != nil {
			se, _ := err.(*xmlstream.StreamError)
			cond, text := "not-well-formed", err.Error()
			if se != nil {
				cond, text = se.Condition, se.Text
			}
			s.streamError(st, cond, "the peer's XML broke RFC 6120: "+text)
			break
		}
		if !ok {
			break
		}
		s.handleToken(st, tok)
	}
	st.p.Release() // a paused or closed stream stopped before Next said "no more"
}

// TLSDone reports this end's TLS handshake result.
func (s *Server) TLSDone(c transport.ConnID, e transport.End, r transport.TLSResult) []Effect {
	st := s.streams[endKey(c, e)]
	if st == nil || st.closed {
		return s.take()
	}
	if !r.OK {
		// The network already traced the handshake failure and its reason.
		s.streamGone(st, strings.TrimPrefix(errString(r.Err), "network: "))
		return s.take()
	}
	st.tls = true
	st.paused = false
	st.peerCert = r.PeerCert
	st.peerCertErr = r.PeerErr
	if r.PeerErr == nil && r.PeerAuth != "" && r.PeerAuth != ca.ByPKIX {
		st.peerAuth = r.PeerAuth
	}
	st.n++
	if n := st.p.DropPending(); n > 0 {
		s.note(st, "drop", "%s drops %d bytes that arrived in plaintext before TLS (CVE-2011-0411)", str(s.cfg.Domain), num(n))
	}
	st.p.Restart()
	if st.role == roleReceiving {
		// RFC 6120 §5.4.3.3: what was learnt before TLS is discarded —
		// no authentication and no pending dialback check carries over.
		st.authDomain, st.level, st.byCert = "", LevelNone, false
		st.offeredSASL, st.saslDone = false, false
		s.dropVerifications(st)
	}
	switch st.role {
	case roleOriginating:
		s.sendInitialHeader(st)
	case roleReceiving:
		st.state = stAwaitHeader
		st.gotHeader = false
		s.pump(st)
	}
	return s.take()
}

// Closed reports that the peer closed or reset the connection.
func (s *Server) Closed(c transport.ConnID, e transport.End, err error) []Effect {
	st := s.streams[endKey(c, e)]
	if st == nil {
		return s.take()
	}
	if !st.closed {
		reason := "the peer closed the connection"
		if err != nil {
			reason = "connection lost: " + err.Error()
			st.transient = !errors.Is(err, transport.ErrTLSAlert)
		}
		s.streamGone(st, reason)
	}
	// Complete the TCP close from our side.
	s.emit(Effect{Kind: EffClose, Conn: st.conn, End: st.end})
	delete(s.streams, endKey(c, e))
	st.detached = true // a handle on it must not find it any more
	return s.take()
}

// Resolved is a DNS answer for an EffResolve.
func (s *Server) Resolved(tag int64, a dns.Answer) []Effect {
	t, ok := s.answered(tag)
	if !ok {
		return s.take() // answered after its timeout
	}
	switch t.kind {
	case tagRouteResolve:
		s.routeResolved(t.route, a)
	case tagVerifyResolve:
		s.verifyResolved(t.verif, a)
	case tagPeerTLSA:
		s.peerTLSAResolved(t.inbound, a)
	}
	return s.take()
}

// Timer fires an EffTimer.
func (s *Server) Timer(tag int64) []Effect {
	t, ok := s.tags.take(tag)
	if !ok {
		return s.take()
	}
	switch t.kind {
	case tagRouteTimer:
		if t.route.timer == tag {
			t.route.timer = 0
			if st := t.route.st; st != nil && !st.closed {
				st.transient = true
				// RFC 6120 §4.9.3.4: we give up on a silent peer.
				s.streamError(st, "connection-timeout", "negotiation did not finish within "+s.cfg.NegotiationTimeout.String())
			}
			s.routeFailed(t.route, "negotiation did not finish within "+s.cfg.NegotiationTimeout.String(), s.cfg.Policy.Errors.BounceCondition(), "wait")
		}
	case tagSMAck:
		if r := t.route; r.sm != nil && r.sm.ackTimer == tag {
			r.sm.ackTimer = 0
			s.smAckTimeout(r)
		}
	case tagSMExpire:
		if t.sm.timer == tag {
			s.smExpired(t.sm)
		}
	case tagInboundTimer:
		if st := t.inbound; st != nil && st.timer == tag && !st.closed {
			st.timer = 0
			st.transient = true
			s.streamError(st, "connection-timeout", "the peer did not authenticate within "+s.cfg.NegotiationTimeout.String())
		}
	case tagVerifyTimer:
		if v := t.verif; v != nil && v.timer == tag {
			v.timer = 0
			s.verifyFailed(v, "the Authoritative Server did not answer within "+s.cfg.VerifyTimeout.String())
		}
	case tagTimeout:
		req, ok := s.tags.take(t.link)
		if !ok {
			break
		}
		switch req.kind {
		case tagRouteResolve:
			s.routeResolved(req.route, dns.Answer{Domain: req.route.domain, Err: ErrDNSTimeout, Note: "no answer within " + s.cfg.DNSTimeout.String()})
		case tagVerifyResolve:
			s.verifyResolved(req.verif, dns.Answer{Domain: req.verif.from, Err: ErrDNSTimeout, Note: "no answer within " + s.cfg.DNSTimeout.String()})
		case tagPeerTLSA:
			s.peerTLSAResolved(req.inbound, dns.Answer{Domain: req.inbound.peer, Err: ErrDNSTimeout, Note: "no answer within " + s.cfg.DNSTimeout.String()})
		case tagRouteDial:
			s.note(nil, "connect-timeout", "no answer to the connection attempt within %s", dur(s.cfg.ConnectTimeout))
			s.routeDialed(req.route, 0, ErrConnectTimeout)
		case tagVerifyDial:
			s.note(nil, "connect-timeout", "no answer to the connection attempt within %s", dur(s.cfg.ConnectTimeout))
			s.verifyDialed(req.verif, 0, ErrConnectTimeout)
		}
	}
	return s.take()
}

func errString(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// ---- streams ----

type role uint8

const (
	roleOriginating role = iota + 1
	roleReceiving
	roleVerifying
)

func (r role) String() string {
	return [...]string{"", "originating", "receiving", "verifying"}[r]
}

type sstate uint8

const (
	stAwaitHeader sstate = iota + 1
	stAwaitFeatures
	stAwaitProceed
	stTLS
	stAwaitSASL
	stAwaitDialback
	stOpen // receiving: features sent, elements flow; originating: established
	stAwaitVerify
)

// stream is one connection's XML stream and its negotiation state.
type stream struct {
	owner    *Server // for checking a handle (ReceivedWith)
	detached bool    // taken out of owner.streams
	role     role
	conn     transport.ConnID
	end      transport.End
	p        xmlstream.Parser // in the stream: one allocation and one pointer fewer
	n        int              // stream number on the connection (restarts: RFC 6120 §4.3.3)
	peer     string           // the peer's domain (expected, or as announced)
	id       string           // the stream id: ours on receiving streams, theirs otherwise
	state    sstate

	peer10   bool // the peer's header carried version >= 1.0
	peerDBNS bool // the peer's header declared jabber:server:dialback
	// gotHeader: the peer's header for the current stream has arrived (or,
	// on a receiving stream, ours was sent in answer); peerFrom is its
	// 'from'. The header itself is not kept: an established stream should
	// hold little memory.
	gotHeader bool
	peerFrom  string

	tls         bool
	direct      bool // TLS from the first byte (XEP-0368), not STARTTLS
	bidi        bool // bidirectional (XEP-0288): carries the receiver's stanzas too
	paused      bool // between <proceed/>/<success/> handling and the restart
	peerCert    *ca.Cert
	peerCertErr error
	// peerAuth says how the peer's certificate was authenticated when it
	// was by more than PKIX ("DANE-EE", "DANE-TA", "POSH"); "" otherwise.
	peerAuth string
	// Receiving, policy dane on: the DNSSEC-secure TLSA records of the
	// peer domain's SRV targets and those targets' names, looked up after
	// TLS (peerTLSAKnown) before the stream features are sent.
	peerTLSA      []ca.TLSA
	peerTLSARefs  []string
	peerTLSAKnown bool
	// byCert: the Receiving stream's dialback key was answered from the
	// certificate (XEP-0344 §2.4), not by the Authoritative Server.
	byCert         bool
	offeredSASL    bool
	saslChallenged bool // an <auth/> without initial response got the empty challenge; <response/> is due
	saslDone       bool
	saslFailed     bool
	sentClose      bool
	closed         bool
	transient      bool  // the stream died of a network failure, not a refusal
	timer          int64 // receiving: the authentication deadline

	// smOffered: the peer listed XEP-0198's <sm/> in the features of this
	// originating stream; sm: the stream management session of a
	// receiving stream (nil: not enabled).
	smOffered bool
	sm        *smSession

	// Receiving streams: the domain the peer authenticated as and how.
	authDomain string
	level      Level

	route   *route          // originating
	verif   *verification   // verifying
	pending []*verification // receiving: keys being checked
}

func (s *Server) newStream(r role, c transport.ConnID, e transport.End) *stream {
	st := &stream{owner: s, role: r, conn: c, end: e, n: 1} // a zero Parser has the defaults
	st.p.DiscardRaw = true                                  // servers trace what they send, never raw input
	st.p.Borrow = true                                      // tokens are handled and forgotten; stanzas kept are cloned
	s.streams[endKey(c, e)] = st
	return st
}

// write serialises el and emits it.
func (s *Server) write(st *stream, el *xmlstream.Element) {
	s.emit(Effect{Kind: EffWrite, Conn: st.conn, End: st.end, Stream: st.n, Peer: st.peer, Data: s.arena().element(el)})
}

// writeConst writes an element that never varies (the network keeps what it
// is given, so it gets a copy).
func (s *Server) writeConst(st *stream, x string) { s.writeRaw(st, s.arena().bytes(x)) }

func (s *Server) arena() *Arena {
	if s.Arena == nil {
		s.Arena = new(Arena)
	}
	return s.Arena
}

func (s *Server) writeRaw(st *stream, b []byte) {
	s.emit(Effect{Kind: EffWrite, Conn: st.conn, End: st.end, Stream: st.n, Peer: st.peer, Data: b})
}

const closeTag = "</stream:stream>"

// Elements that never vary, as they serialise: written without building a
// tree (TestConstantElements checks they match what AppendXML makes).
const (
	starttlsXML = "<starttls xmlns='" + nsTLS + "'/>"
	proceedXML  = "<proceed xmlns='" + nsTLS + "'/>"
	successXML  = "<success xmlns='" + nsSASL + "'/>"
)

// closeStream sends </stream:stream> and half-closes TCP (RFC 6120 §4.4).
func (s *Server) closeStream(st *stream) {
	if !st.sentClose {
		st.sentClose = true
		s.writeConst(st, closeTag)
		s.emit(Effect{Kind: EffClose, Conn: st.conn, End: st.end})
	}
}

// streamError sends a stream error with condition and closes the stream
// (RFC 6120 §4.9.1.1). The reason goes to the trace, not on the wire.
func (s *Server) streamError(st *stream, cond, reason string) {
	if st.sentClose {
		return
	}
	if st.state == stAwaitHeader && st.role == roleReceiving && !st.gotHeader {
		// RFC 6120 §4.9.1.2: a stream error before the response header is
		// still sent inside a stream, so open one first.
		s.sendResponseHeader(st, false)
	}
	s.note(st, "stream-error", "%s sends <%s/>: %s", str(s.cfg.Domain), str(cond), str(reason))
	e := xmlstream.NewElement("stream:error")
	e.AddChild(xmlstream.NewElement(cond, "xmlns", nsStreamErrors))
	s.write(st, e)
	s.closeStream(st)
	s.streamGone(st, "stream error <"+cond+"/>: "+reason)
}

// streamGone ends a stream's negotiation: whatever waited on it fails.
func (s *Server) streamGone(st *stream, reason string) {
	if st.closed {
		return
	}
	st.closed = true
	s.cancelTimer(st.timer)
	st.timer = 0
	switch st.role {
	case roleOriginating:
		if st.route != nil && st.route.st == st {
			if st.route.state == routeEstablished {
				r := st.route
				s.note(st, "route-closed", "stream to %s closed: %s", str(r.domain), str(reason))
				r.state = routeIdle
				r.st = nil
				if !s.smBroken(r, reason) && len(r.queue) > 0 {
					// Stanzas held while <enable/> was answered were never
					// written: a new stream will carry them.
					s.startRoute(r)
				}
			} else {
				retried, why := s.retryPlaintext(st, reason)
				if retried {
					return
				}
				if why != "" {
					reason += "; " + why
				}
				// RFC 6120 §8.3.3.17: 'wait' for a transient failure, 'cancel'
				// when the peer was reached but authentication or policy failed.
				typ := "cancel"
				if st.transient {
					typ = "wait"
				}
				s.routeFailed(st.route, reason, s.cfg.Policy.Errors.BounceCondition(), typ)
			}
		}
	case roleVerifying:
		if v := st.verif; v != nil && !v.done {
			s.verifyFailed(v, "verification stream ended: "+reason)
		}
	case roleReceiving:
		s.dropVerifications(st)
		s.smDetach(st)
		if r := st.route; r != nil && r.st == st {
			// A bidirectional stream carried our stanzas to its peer.
			s.note(st, "route-closed", "bidirectional stream from %s closed: %s", str(r.domain), str(reason))
			r.state = routeIdle
			r.st = nil
		}
	}
}

func (s *Server) handleToken(st *stream, tok xmlstream.Token) {
	switch tok.Kind {
	case xmlstream.TokStreamStart:
		s.handleHeader(st, tok.Header)
	case xmlstream.TokStreamEnd:
		s.note(st, "stream-end", "%s closed its stream", str(st.peer))
		s.closeStream(st)
		s.streamGone(st, "the peer closed its stream")
	case xmlstream.TokElement:
		if st.state == stAwaitHeader {
			s.streamError(st, "not-well-formed", "element before the stream header")
			return
		}
		if tok.Elem.Space == xmlstream.NSStreams && tok.Elem.Local() == "error" {
			cond := "undefined-condition"
			for _, c := range tok.Elem.Children() {
				if c.Space == nsStreamErrors && c.Local() != "text" {
					cond = c.Local()
					break
				}
			}
			s.note(st, "stream-error-received", "%s reported <%s/>", str(st.peer), str(cond))
			s.closeStream(st)
			s.streamGone(st, "the peer sent stream error <"+cond+"/>")
			return
		}
		switch st.role {
		case roleOriginating:
			s.originatingElement(st, tok.Elem)
		case roleReceiving:
			s.receivingElement(st, tok.Elem)
		case roleVerifying:
			s.verifyingElement(st, tok.Elem)
		}
	}
}

func (s *Server) handleHeader(st *stream, h *xmlstream.Header) {
	if st.state != stAwaitHeader {
		s.streamError(st, "not-well-formed", "a second stream header without a restart")
		return
	}
	st.gotHeader = true
	// Copies: the header's strings share one buffer that the stream need
	// not keep alive.
	if h.From != "" && h.From == st.peer {
		st.peerFrom = st.peer // the usual case, and after every restart: no copy
	} else {
		st.peerFrom = strings.Clone(h.From)
	}
	st.peer10 = versionAtLeast10(h.Version)
	st.peerDBNS = h.Declares(xmlstream.NSDialback)
	switch st.role {
	case roleReceiving:
		s.receivingHeader(st, h)
	default:
		s.initiatorHeader(st, h)
	}
}

// versionAtLeast10 reads RFC 6120 §4.7.5 version numbers ("major.minor").
func versionAtLeast10(v string) bool {
	if v == "" {
		return false
	}
	major, _, _ := strings.Cut(v, ".")
	n := 0
	for _, c := range major {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1
}

// header serialises our stream header; to/id are omitted when empty. The
// part that never changes (namespaces and 'from') is built once per server.
func (s *Server) header(to, id string, version bool) []byte {
	if s.hdrPrefix == nil {
		h := &xmlstream.Header{Attrs: make([]xmlstream.Attr, 0, 5)}
		h.Attrs = append(h.Attrs, xmlstream.Attr{Name: "xmlns", Value: xmlstream.NSServer})
		if s.cfg.Policy.Dialback {
			// XEP-0220 §2.4.1: support is advertised by declaring the namespace.
			h.Attrs = append(h.Attrs, xmlstream.Attr{Name: "xmlns:db", Value: xmlstream.NSDialback})
		}
		// RFC 6120 §4.7.4: the receiving entity MUST include xml:lang in
		// its response header, and the initiating entity SHOULD include it
		// in its initial header; fedsim's servers speak English.
		h.Attrs = append(h.Attrs,
			xmlstream.Attr{Name: "xmlns:stream", Value: xmlstream.NSStreams},
			xmlstream.Attr{Name: "from", Value: s.cfg.Domain},
			xmlstream.Attr{Name: "xml:lang", Value: "en"})
		b := h.AppendXML(make([]byte, 0, 256))
		s.hdrPrefix = b[:len(b)-1] // without the closing '>'
	}
	return s.arena().appendWith(func(out []byte) []byte {
		out = append(out, s.hdrPrefix...)
		if id != "" {
			out = xmlstream.AppendAttr(out, "id", id)
		}
		if to != "" {
			out = xmlstream.AppendAttr(out, "to", to)
		}
		if version {
			out = append(out, " version='1.0'"...)
		}
		return append(out, '>')
	})
}

func (s *Server) sendHeader(st *stream, h []byte) {
	s.writeRaw(st, h)
}

// sendInitialHeader opens (or re-opens after TLS/SASL) an initiated stream.
func (s *Server) sendInitialHeader(st *stream) {
	st.state = stAwaitHeader
	st.gotHeader = false
	s.sendHeader(st, s.header(st.peer, "", s.cfg.Policy.Version == XMPP10))
}

// newStreamID draws a stream id (RFC 6120 §4.7.3: unique and unpredictable).
func (s *Server) newStreamID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [16]byte
	for i := range b {
		b[i] = alphabet[s.cfg.Rand.IntN(len(alphabet))]
	}
	return string(b[:])
}

// bareDomain returns the domain part of a JID.
func bareDomain(jid string) string {
	if i := strings.IndexByte(jid, '@'); i >= 0 {
		jid = jid[i+1:]
	}
	if i := strings.IndexByte(jid, '/'); i >= 0 {
		jid = jid[:i]
	}
	return strings.ToLower(jid)
}

func bareJID(jid string) string {
	if i := strings.IndexByte(jid, '/'); i >= 0 {
		return jid[:i]
	}
	return jid
}

func localpart(jid string) string {
	if i := strings.IndexByte(jid, '@'); i >= 0 {
		return strings.ToLower(jid[:i])
	}
	return ""
}
