// Package network simulates the TCP connections and TLS sessions that XMPP
// servers federate over, inside one sim.World.
//
// A Net holds hosts with addresses; a host listens on ports; dialing costs
// one round trip (SYN, SYN-ACK) and ends in a connection or in "connection
// refused" where nothing listens. Each direction of a connection is a FIFO
// of segments delivered after the link's one-way latency, reliably and in
// order; a write may be cut into several segments (Segmenter), so receivers
// must cope with bytes split at any point. Close is a FIN delivered after
// the data already in flight; Reset is immediate.
//
// TLS is simulated at the level that matters to federation: after STARTTLS
// both ends call StartTLS; the handshake costs two round trips
// (ClientHello; ServerHello+Certificate+CertificateRequest; client
// Certificate+Finished; server Finished), each end checks the other's
// certificate with its own trust store (package ca) and either proceeds,
// recording what it found, or aborts with an alert, which closes the
// connection with the reason in the trace. The bytes that follow are still
// the XML the peers exchange, so transcripts stay readable.
//
// The application on a host sees the network through the App interface;
// fedsim's servers are pure state machines and the world adapts them to it.
package network

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/sim"
)

// DefaultLatency is the one-way latency of a link unless set otherwise.
const DefaultLatency = 10 * time.Millisecond

// The types a server and its transport agree on live in package transport,
// which package nodes imports instead of this one; these aliases keep them
// reachable under their old names.

// ConnID identifies a connection; End says which side of it.
type ConnID = transport.ConnID

// End is a side of a connection: Client dialed, Server accepted.
type End = transport.End

const (
	Client = transport.Client
	Server = transport.Server
)

// TLSConfig is one end's TLS settings for one handshake.
type TLSConfig = transport.TLSConfig

// TLSResult is what an end learns from a finished handshake.
type TLSResult = transport.TLSResult

// App receives a host's network events. Implementations must not block.
type App interface {
	// Dialed reports the outcome of Dial: err is nil on connect.
	Dialed(c ConnID, tag int64, err error)
	// Accepted reports a new inbound connection on a listening port.
	Accepted(c ConnID, port int, remote string)
	// Received delivers bytes in order. data is only valid during the call.
	Received(c ConnID, end End, data []byte)
	// TLSDone reports the end of this end's handshake.
	TLSDone(c ConnID, end End, r TLSResult)
	// Closed reports that the connection is gone for this end: err is nil
	// for an orderly close by the peer.
	Closed(c ConnID, end End, err error)
}

// ContextReceiver is an App that takes, with the bytes, the value it
// attached to the receiving end with SetContext: an application that keeps
// per-connection state (a server's streams) is spared a lookup of its own
// for every segment. Apps without it get Received.
type ContextReceiver interface {
	ReceivedContext(c ConnID, end End, ctx any, data []byte)
}

// Host is a machine with an address.
type Host struct {
	Name   string
	Addr   string
	App    App
	listen map[int]bool
	// Down: the host crashed (Net.Crash); everything addressed to it
	// vanishes until Net.Restart.
	Down bool
}

// Listen opens a port.
func (h *Host) Listen(port int) { h.listen[port] = true }

// Segmenter decides how a write is cut into segments. It returns the sizes
// of the segments (summing to n). nil means one segment per write.
type Segmenter func(n int, r *rand.Rand) []int

// OneByte cuts every write into one-byte segments: the harshest
// fragmentation a receiver can meet.
func OneByte(n int, _ *rand.Rand) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// RandomSplit cuts every write at random points into up to four pieces.
func RandomSplit(n int, r *rand.Rand) []int {
	if n < 2 {
		return []int{n}
	}
	k := 1 + r.IntN(4)
	var out []int
	left := n
	for i := 0; i < k-1 && left > 1; i++ {
		s := 1 + r.IntN(left-1)
		out = append(out, s)
		left -= s
	}
	return append(out, left)
}

// Errors reported through App.
var (
	ErrRefused  = fmt.Errorf("network: connection refused")
	ErrNoRoute  = fmt.Errorf("network: no route to host")
	ErrReset    = fmt.Errorf("network: connection reset by peer")
	ErrTLSAlert = transport.ErrTLSAlert // the same value: errors.Is holds across both names
)

type segKind uint8

const (
	segData segKind = iota
	segFIN
	segRST
	segRefused
	segSYN
	segSYNACK
	segClientHello
	segServerFlight
	segClientFlight
	segServerFinished
	segAlert
)

type segment struct {
	kind segKind
	n    uint32 // its number on its half (1, 2, …)
	data []byte
	cert *ca.Cert
	err  error
}

// half is one direction of a connection: from end `from` to its peer. Its
// segments in flight sit in the network's slab (Net.segs), each named by
// the event that delivers it; events for one half fire in the order they
// were scheduled (times never decrease, and equal times keep their order),
// so no queue per half is needed. A reset drops what is in flight by
// number: everything up to dropped.
type half struct {
	lastAt  sim.Time
	sent    uint32 // segments enqueued so far
	dropped uint32 // segments 1…dropped are discarded when their event fires
}

type tlsState uint8

const (
	tlsNone tlsState = iota
	tlsWaiting
	tlsDone
)

// handshake is a connection's TLS state while its handshake is under way:
// both ends' settings and the certificate each received. It lives apart
// from conn and is dropped once both ends are done: in a large run nearly
// every connection is idle and past its handshake, and these fields were
// 144 of a conn's 328 bytes (a 352-byte allocation, now 192) — 1,000,000
// connections at 100,000 domains.
type handshake struct {
	cfg     [2]TLSConfig
	peer    [2]*ca.Cert // what each end received
	peerErr [2]error
	// peerHow says how the peer certificate was authenticated by
	// TLSConfig.Auth ("DANE-EE", "POSH", …).
	peerHow [2]string
}

// handshake returns c's handshake state, made on first use.
func (c *conn) handshake() *handshake {
	if c.hs == nil {
		c.hs = &handshake{}
	}
	return c.hs
}

// peer is the certificate end e received, nil if none or if the
// handshake state is gone.
func (c *conn) peer(e End) *ca.Cert {
	if c.hs == nil {
		return nil
	}
	return c.hs.peer[e]
}

// peerHow is how end e's peer certificate was authenticated by
// TLSConfig.Auth ("" for plain PKIX, or when the state is gone).
func (c *conn) peerHow(e End) string {
	if c.hs == nil {
		return ""
	}
	return c.hs.peerHow[e]
}

// peerErr is why end e's peer certificate did not verify.
func (c *conn) peerErr(e End) error {
	if c.hs == nil {
		return nil
	}
	return c.hs.peerErr[e]
}

type conn struct {
	id      ConnID
	hosts   [2]*Host
	ports   [2]int
	halves  [2]half // halves[e] carries segments sent by end e
	closed  [2]bool // end e has been told the connection is gone
	sentFIN [2]bool
	tls     [2]tlsState
	hs      *handshake // while a TLS handshake is under way
	tag     int64      // dial tag returned to the client
	latency time.Duration
	open    bool
	crashed [2]bool // the host at this end crashed: its state is gone
	rstSent [2]bool
	ctx     [2]any // SetContext, handed back with received bytes
	apps    [2]App // the hosts' apps (a host's App never changes)
	// accepted: the server took the SYN; answered: the client heard back
	// (SYN-ACK, refusal); synTries counts the SYNs sent (RFC 6298
	// retransmission).
	accepted, answered bool
	synTries           uint8
	synTimer           sim.TimerID // the pending retransmission, cancelled by the answer
}

// Net is the simulated network.
type Net struct {
	W *sim.World
	// Segmenter cuts writes (nil: one segment per write).
	Segmenter Segmenter
	rng       *rand.Rand
	hosts     map[string]*Host // by address
	byName    map[string]*Host
	conns     []*conn   // index = ConnID-1
	segs      []segment // segments in flight, by slot (see half)
	freeSegs  []int32
	latency   map[[2]string]time.Duration
	jitter    map[[2]string]time.Duration
	// Filters see every segment on its way (fault.go): pass it, drop it,
	// replace it, or reset the connection.
	Filters []Filter
	// BytesSent counts payload bytes written (for --stats).
	BytesSent int64
}

// New returns an empty network in w.
func New(w *sim.World) *Net {
	return &Net{
		W:       w,
		rng:     w.Stream("network"),
		hosts:   map[string]*Host{},
		byName:  map[string]*Host{},
		latency: map[[2]string]time.Duration{},
		jitter:  map[[2]string]time.Duration{},
	}
}

// AddHost attaches a host. Names and addresses must be unique.
func (n *Net) AddHost(name, addr string, app App) (*Host, error) {
	if _, dup := n.hosts[addr]; dup {
		return nil, fmt.Errorf("network: address %s already used", addr)
	}
	if _, dup := n.byName[name]; dup {
		return nil, fmt.Errorf("network: host %s already exists", name)
	}
	h := &Host{Name: name, Addr: addr, App: app, listen: map[int]bool{}}
	n.hosts[addr] = h
	n.byName[name] = h
	return h, nil
}

// HostByName finds a host.
func (n *Net) HostByName(name string) *Host { return n.byName[name] }

// SetLatency sets the one-way latency between two hosts (both directions).
func (n *Net) SetLatency(a, b string, d time.Duration) {
	n.latency[[2]string{a, b}] = d
	n.latency[[2]string{b, a}] = d
}

func (n *Net) linkLatency(a, b *Host) time.Duration {
	if d, ok := n.latency[[2]string{a.Name, b.Name}]; ok {
		return d
	}
	return DefaultLatency
}

// trace records a network event. Callers that format the detail test
// n.W.Trace first: formatting for a run without a trace would cost an
// allocation per argument on the hot path.
func (n *Net) trace(c *conn, from End, event, detail string) {
	if n.W.Trace == nil {
		return
	}
	n.traceRecord(c, from, sim.Record{Event: event, Detail: detail})
}

// traceRecord adds r (its event, detail and typed fields filled by the
// caller) as a record of connection c from end from.
func (n *Net) traceRecord(c *conn, from End, r sim.Record) {
	r.Time, r.Kind, r.Conn = n.W.Now(), sim.KindEvent, int(c.id)
	if c.hosts[from] != nil {
		r.Node = c.hosts[from].Name
	}
	if c.hosts[from.Other()] != nil {
		r.Peer = c.hosts[from.Other()].Name
	}
	n.W.Trace.Add(r)
}

// Dial opens a connection from host to addr:port. The outcome arrives as
// App.Dialed(c, tag, err) one round trip later (or one one-way latency
// later for a refusal's RST to come back... also a round trip).
func (n *Net) Dial(from *Host, addr string, port int, tag int64) ConnID {
	c := &conn{id: ConnID(len(n.conns) + 1), tag: tag, open: true}
	c.hosts[Client] = from
	c.ports[Server] = port
	n.conns = append(n.conns, c)
	to := n.hosts[addr]
	c.hosts[Server] = to
	c.apps[Client] = from.App
	if to != nil {
		c.apps[Server] = to.App
	}
	if to == nil {
		// No host at that address: the failure comes back after a round
		// trip (an ICMP unreachable from the last router, in real life).
		c.latency = 2 * DefaultLatency
		if n.W.Trace != nil {
			n.trace(c, Client, "connect", fmt.Sprintf("%s dials %s:%d", from.Name, addr, port))
		}
		n.enqueue(c, Server, segment{kind: segRefused, err: ErrNoRoute}) // comes back as if from the server
		return c.id
	}
	c.latency = n.linkLatency(from, to)
	if n.W.Trace != nil {
		n.trace(c, Client, "connect", fmt.Sprintf("%s dials %s:%d", from.Name, addr, port))
	}
	n.enqueue(c, Client, segment{kind: segSYN})
	c.synTries = 1
	c.synTimer = n.W.Timer(synRTO, synTimer{n}, int64(c.id), 1)
	return c.id
}

// A SYN that gets no answer (dropped by a partition or a black hole) is
// sent again after the retransmission timeout, which starts at one second
// and doubles (RFC 6298 §2, §5; RFC 6298 §2.4's one-second initial RTO):
// at 1 s, 3 s and 7 s after the first, as a real stack does, so that a
// partition healed in time lets the connection come up, and the dialer's
// connect timeout decides when to stop waiting (its server closes a
// connection that comes up after it gave up).
const (
	synRTO     = time.Second
	synRetries = 3
)

// synTimer fires a SYN's retransmission timeout (a = conn id, b = the
// number of SYNs sent so far).
type synTimer struct{ n *Net }

func (t synTimer) HandleEvent(w *sim.World, a, b int64) {
	n := t.n
	c := n.conns[a-1]
	if c.answered || c.closed[Client] || c.sentFIN[Client] || int64(c.synTries) != b || c.synTries > synRetries {
		return
	}
	c.synTries++
	if n.W.Trace != nil {
		n.trace(c, Client, "syn-retransmit", fmt.Sprintf("%s sends its SYN again (no answer yet; try %d, RFC 6298 backoff)", c.hosts[Client].Name, c.synTries))
	}
	n.enqueue(c, Client, segment{kind: segSYN})
	if c.synTries <= synRetries {
		c.synTimer = n.W.Timer(synRTO<<(c.synTries-1), synTimer{n}, a, int64(c.synTries))
	}
}

// synAnswered stops the SYN's retransmission: the client heard back.
func (n *Net) synAnswered(c *conn) {
	c.answered = true
	n.W.Cancel(c.synTimer)
}

// enqueue sends a segment from end `from` towards its peer.
func (n *Net) enqueue(c *conn, from End, s segment) {
	if s.kind != segData && len(n.Filters) > 0 {
		var ok bool
		if s, ok = n.filterControl(c, from, s); !ok {
			return
		}
	}
	h := &c.halves[from]
	at := n.W.Now() + sim.Time(c.latency)
	// Building the jitter key reads both hosts: only when some link has it.
	if len(n.jitter) > 0 {
		if j := n.jitter[[2]string{hostName(c.hosts[from]), hostName(c.hosts[from.Other()])}]; j > 0 {
			at += sim.Time(n.rng.Int64N(int64(j) + 1))
		}
	}
	if at < h.lastAt {
		at = h.lastAt // in order: never overtake an earlier segment
	}
	h.lastAt = at
	h.sent++
	s.n = h.sent
	var slot int64
	if k := len(n.freeSegs); k > 0 {
		slot = int64(n.freeSegs[k-1])
		n.freeSegs = n.freeSegs[:k-1]
		n.segs[slot] = s
	} else {
		slot = int64(len(n.segs))
		n.segs = append(n.segs, s)
	}
	n.W.At(at, n, int64(c.id), slot<<1|int64(from))
}

// HandleEvent delivers one segment (a = conn id, b = slot in Net.segs << 1
// | the end that sent it).
func (n *Net) HandleEvent(w *sim.World, a, b int64) {
	c := n.conns[a-1]
	from := End(b & 1)
	to := from.Other()
	slot := int32(b >> 1)
	s := n.segs[slot]
	n.segs[slot] = segment{}
	n.freeSegs = append(n.freeSegs, slot)
	if s.n <= c.halves[from].dropped {
		return // a reset discarded it
	}
	// Only a SYN, or a connection the host had when it crashed (Crash
	// marks those), can be addressed to a host that is down: checking just
	// those spares reading the host for every segment.
	if c.crashed[to] || s.kind == segSYN {
		if h := c.hosts[to]; h != nil && h.Down {
			return // a crashed host answers nothing: a black hole
		}
	}
	if c.crashed[to] {
		// The host came back without the connection: RFC 793 says answer
		// anything for an unknown connection with a reset.
		if !c.rstSent[to] && s.kind != segRST {
			c.rstSent[to] = true
			n.traceFailure(c, to, "reset", "reset", hostName(c.hosts[to])+" restarted and no longer knows this connection")
			n.enqueue(c, to, segment{kind: segRST, err: ErrReset})
		}
		return
	}
	if c.closed[to] {
		return // the receiving end is gone
	}
	n.deliver(c, from, to, s)
}

func (n *Net) deliver(c *conn, from, to End, s segment) {
	app := c.apps[to]
	switch s.kind {
	case segSYN:
		srv := c.hosts[Server]
		if c.accepted {
			// A retransmitted SYN for a connection already accepted: its
			// SYN-ACK was lost or is late; answer again (RFC 793 §3.4).
			n.enqueue(c, Server, segment{kind: segSYNACK})
			return
		}
		if !srv.listen[c.ports[Server]] {
			if n.W.Trace != nil {
				n.traceFailure(c, Server, "refuse", "refused", fmt.Sprintf("nothing listens on %s:%d", srv.Addr, c.ports[Server]))
			}
			c.closed[Server] = true
			n.enqueue(c, Server, segment{kind: segRefused, err: ErrRefused})
			return
		}
		if n.W.Trace != nil {
			n.trace(c, Server, "accept", fmt.Sprintf("%s accepts on port %d", srv.Name, c.ports[Server]))
		}
		c.accepted = true
		n.enqueue(c, Server, segment{kind: segSYNACK})
		srv.App.Accepted(c.id, c.ports[Server], c.hosts[Client].Name)
	case segSYNACK:
		if c.answered {
			return // the answer to a retransmitted SYN
		}
		n.synAnswered(c)
		c.hosts[Client].App.Dialed(c.id, c.tag, nil)
	case segRefused:
		if c.answered {
			return
		}
		n.synAnswered(c)
		c.closed[Client] = true
		c.open = false
		n.traceFailure(c, Client, "connect-failed", reasonOf(s.err), s.err.Error())
		c.hosts[Client].App.Dialed(c.id, c.tag, s.err)
	case segRST:
		c.closed[to] = true
		c.sentFIN[to] = true
		c.open = false
		n.traceFailure(c, to, "reset", reasonOf(s.err), s.err.Error())
		app.Closed(c.id, to, s.err)
	case segFIN:
		// The peer will send no more; `to` may still write until it closes too.
		c.closed[to] = true
		if c.sentFIN[to] {
			c.open = false
		}
		app.Closed(c.id, to, nil)
	case segData:
		if cr, ok := app.(ContextReceiver); ok {
			cr.ReceivedContext(c.id, to, c.ctx[to], s.data)
		} else {
			app.Received(c.id, to, s.data)
		}
	case segClientHello:
		if c.tls[Server] != tlsWaiting {
			n.abort(c, Server, "ClientHello before the server started TLS")
			return
		}
		hs := c.handshake()
		proto, ok := alpnAgree(hs.cfg[Client].ALPN, hs.cfg[Server].ALPN)
		if !ok {
			// RFC 7301 §3.2: a server that supports none of the client's
			// protocols answers with the fatal no_application_protocol alert.
			n.fail(c, Server, fmt.Sprintf("%s supports none of the ALPN protocols offered (%s): no_application_protocol (RFC 7301 §3.2)", c.hosts[Server].Name, strings.Join(hs.cfg[Client].ALPN, ",")))
			return
		}
		if n.W.Trace != nil {
			hello := "ServerHello"
			if proto != "" {
				hello += " (ALPN " + proto + ")"
			}
			n.trace(c, Server, "tls", fmt.Sprintf("%s, Certificate [%s], CertificateRequest", hello, hs.cfg[Server].Cert))
		}
		n.enqueue(c, Server, segment{kind: segServerFlight, cert: hs.cfg[Server].Cert})
	case segServerFlight:
		hs := c.handshake()
		cfg := hs.cfg[Client]
		hs.peer[Client] = s.cert
		if cfg.Auth != nil && cfg.ServerName != "" {
			hs.peerHow[Client], hs.peerErr[Client] = cfg.Auth.Authenticate(s.cert, cfg.ServerName, n.W.Now().Std())
		} else if cfg.ServerName != "" {
			hs.peerErr[Client] = cfg.Verifier.Verify(s.cert, cfg.ServerName, n.W.Now().Std())
		} else {
			hs.peerErr[Client] = cfg.Verifier.VerifyChain(s.cert, n.W.Now().Std())
		}
		if hs.peerErr[Client] != nil && cfg.RequireValid {
			n.fail(c, Client, fmt.Sprintf("%s rejects the server certificate: %v", c.hosts[Client].Name, hs.peerErr[Client]))
			return
		}
		if n.W.Trace != nil {
			n.trace(c, Client, "tls", fmt.Sprintf("Certificate [%s], Finished", cfg.Cert))
		}
		n.enqueue(c, Client, segment{kind: segClientFlight, cert: cfg.Cert})
	case segClientFlight:
		hs := c.handshake()
		cfg := hs.cfg[Server]
		hs.peer[Server] = s.cert
		hs.peerErr[Server] = cfg.Verifier.VerifyChain(s.cert, n.W.Now().Std())
		if hs.peerErr[Server] == nil && cfg.CheckClientPurpose {
			hs.peerErr[Server] = ca.CheckPurpose(s.cert, ca.ClientAuth)
		}
		if hs.peerErr[Server] != nil && cfg.RequireValid {
			n.fail(c, Server, fmt.Sprintf("%s rejects the client certificate: %v", c.hosts[Server].Name, hs.peerErr[Server]))
			return
		}
		c.tls[Server] = tlsDone
		n.trace(c, Server, "tls", "Finished")
		n.enqueue(c, Server, segment{kind: segServerFinished})
		n.traceTLSDone(c, Server)
		app.TLSDone(c.id, Server, TLSResult{OK: true, PeerCert: hs.peer[Server], PeerErr: hs.peerErr[Server]})
	case segServerFinished:
		c.tls[Client] = tlsDone
		n.traceTLSDone(c, Client)
		r := TLSResult{OK: true, PeerCert: c.peer(Client), PeerErr: c.peerErr(Client), PeerAuth: c.peerHow(Client)}
		if c.tls[Server] == tlsDone {
			c.hs = nil // both ends are done with it
		}
		app.TLSDone(c.id, Client, r)
	case segAlert:
		c.closed[to] = true
		c.sentFIN[to] = true
		c.open = false
		n.traceFailure(c, to, "tls-fail", "tls-alert", "alert from peer: "+s.err.Error())
		app.TLSDone(c.id, to, TLSResult{Err: s.err, PeerCert: c.peer(to)})
		app.Closed(c.id, to, s.err)
	}
}

func (n *Net) traceTLSDone(c *conn, e End) {
	if n.W.Trace == nil {
		return
	}
	verdict, reason := "peer certificate verified", ""
	if how := c.peerHow(e); how != "" && how != ca.ByPKIX {
		verdict += " by " + how
	}
	if c.peer(e) == nil {
		verdict, reason = "peer presented no certificate", "cert-none"
	} else if err := c.peerErr(e); err != nil {
		verdict = "peer certificate accepted for encryption only: " + err.Error()
		reason = certReason(err)
	}
	// The handshake succeeded: Reason says why the peer is not
	// authenticated by it, and Failure stays false.
	n.traceRecord(c, e, sim.Record{Event: "tls-ok", Detail: verdict, Reason: reason})
}

// fail aborts a handshake from end e with an alert and closes e's side.
func (n *Net) fail(c *conn, e End, reason string) {
	err := fmt.Errorf("%w: %s", ErrTLSAlert, reason)
	n.traceFailure(c, e, "tls-fail", certReason(c.peerErr(e)), reason)
	n.enqueue(c, e, segment{kind: segAlert, err: err})
	c.closed[e] = true
	c.sentFIN[e] = true
	c.hosts[e].App.TLSDone(c.id, e, TLSResult{Err: err, PeerCert: c.peer(e)})
	c.hosts[e].App.Closed(c.id, e, err)
}

func (n *Net) abort(c *conn, e End, reason string) {
	n.traceFailure(c, e, "reset", "reset", reason)
	n.Reset(c.id, e)
}

func (n *Net) get(id ConnID) *conn {
	if id <= 0 || int(id) > len(n.conns) {
		return nil
	}
	return n.conns[id-1]
}

// SetContext attaches v to end e of a connection; a ContextReceiver gets
// it back with every segment that end receives. The network never looks at
// it. Unknown connections are ignored.
func (n *Net) SetContext(id ConnID, e End, v any) {
	if c := n.get(id); c != nil {
		c.ctx[e&1] = v
	}
}

// Write sends a copy of bytes from end e. Writes on a closed end are dropped.
func (n *Net) Write(id ConnID, e End, data []byte) {
	n.write(id, e, data, false)
}

// WriteOwned is Write for a caller that hands data over: the network keeps
// it instead of copying it, so the caller must not touch it again.
func (n *Net) WriteOwned(id ConnID, e End, data []byte) {
	n.write(id, e, data, true)
}

func (n *Net) write(id ConnID, e End, data []byte, owned bool) {
	c := n.get(id)
	if c == nil || c.sentFIN[e] || len(data) == 0 {
		return
	}
	if len(n.Filters) > 0 {
		var ok bool
		if data, ok = n.filterData(c, e, data); !ok {
			return
		}
	}
	n.BytesSent += int64(len(data))
	if n.Segmenter == nil {
		if !owned {
			data = append([]byte(nil), data...)
		}
		n.enqueue(c, e, segment{kind: segData, data: data})
		return
	}
	off := 0
	for _, sz := range n.Segmenter(len(data), n.rng) {
		n.enqueue(c, e, segment{kind: segData, data: append([]byte(nil), data[off:off+sz]...)})
		off += sz
	}
}

// StartTLS begins the handshake on end e (RFC 6120 §5.4.3.3: after the
// receiving entity sends <proceed/> and the initiating entity receives it).
// The client sends its ClientHello at once; the server waits for it.
func (n *Net) StartTLS(id ConnID, e End, cfg TLSConfig) {
	c := n.get(id)
	if c == nil || c.closed[e] {
		return
	}
	c.handshake().cfg[e] = cfg
	c.tls[e] = tlsWaiting
	if e == Client {
		if n.W.Trace != nil { // the detail is built only for a trace
			hello := "ClientHello (SNI " + cfg.ServerName + ")"
			if len(cfg.ALPN) > 0 {
				hello = "ClientHello (SNI " + cfg.ServerName + ", ALPN " + strings.Join(cfg.ALPN, ",") + ")"
			}
			n.trace(c, Client, "tls", hello)
		}
		n.enqueue(c, Client, segment{kind: segClientHello})
	}
}

// Close sends a FIN from end e after the data already written (a TCP
// half-close): e writes no more but still receives until the peer closes
// too, as RFC 6120 §4.4 expects of an entity that sent </stream:stream>.
func (n *Net) Close(id ConnID, e End) {
	c := n.get(id)
	if c == nil || c.sentFIN[e] {
		return
	}
	c.sentFIN[e] = true
	if !c.closed[e] {
		if n.W.Trace != nil { // the detail is built only for a trace
			n.trace(c, e, "close", c.hosts[e].Name+" closes its side of the connection")
		}
	} else {
		n.trace(c, e, "close", "both sides closed; connection ended")
	}
	n.enqueue(c, e, segment{kind: segFIN})
}

// Reset aborts the connection from end e: the peer learns at once (after
// latency) and data in flight towards it is dropped.
func (n *Net) Reset(id ConnID, e End) {
	c := n.get(id)
	if c == nil || (c.closed[e] && c.sentFIN[e]) {
		return
	}
	c.closed[e] = true
	c.sentFIN[e] = true
	c.open = false
	o := &c.halves[e]
	o.dropped = o.sent // drop what e had not yet delivered
	n.enqueue(c, e, segment{kind: segRST, err: ErrReset})
}

// Crash stops a host: it answers nothing (its peers see a black hole) and
// forgets every connection; after Restart, segments for those connections
// are answered with resets.
func (n *Net) Crash(name string) {
	h := n.byName[name]
	if h == nil {
		return
	}
	h.Down = true
	for _, c := range n.conns {
		for _, e := range []End{Client, Server} {
			if c.hosts[e] == h && !(c.closed[e] && c.sentFIN[e]) {
				c.crashed[e] = true
				c.closed[e] = true
				c.sentFIN[e] = true
			}
		}
	}
}

// Restart brings a crashed host back (with no connections).
func (n *Net) Restart(name string) {
	if h := n.byName[name]; h != nil {
		h.Down = false
	}
}

// Conns is the number of connections opened so far.
func (n *Net) Conns() int { return len(n.conns) }

// alpnAgree is the server's ALPN choice (RFC 7301 §3.2): its first
// protocol the client offers. A client that offers none, or a server that
// accepts any (an empty list), agrees on nothing and goes on; a server
// whose list shares nothing with the client's offer refuses (ok false).
func alpnAgree(offered, accepted []string) (proto string, ok bool) {
	if len(offered) == 0 || len(accepted) == 0 {
		return "", true
	}
	for _, a := range accepted {
		for _, o := range offered {
			if a == o {
				return a, true
			}
		}
	}
	return "", false
}
