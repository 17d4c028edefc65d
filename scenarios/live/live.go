package live

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network"
	"github.com/fedsim/fedsim/network/pki"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/sim"
)

// TLS makes real TLS for the servers' handshakes: package network/pki
// implements it from the scenario's certificates.
type TLS interface {
	// Config is the crypto/tls configuration for one end of one handshake
	// with the server's settings cfg (what nodes asked for in EffStartTLS).
	Config(end transport.End, cfg transport.TLSConfig) (*tls.Config, error)
	// Result turns a finished handshake (its state, or its error) into what
	// the server learns (transport.TLSResult), with the peer's certificate
	// as the mock certificate it stands for and its verdict in the mock
	// CA's typed errors.
	Result(end transport.End, cfg transport.TLSConfig, cs *tls.ConnectionState, err error) transport.TLSResult
}

// Options tune a live run.
type Options struct {
	// Loopback gives the k-th host of the world (in the order hosts were
	// added: servers, then attackers) its real address, unless the
	// scenario gave it a loopback address already. Default 127.77.0.k+1.
	// Every address must be on 127.0.0.0/8.
	Loopback func(k int) string
	// Port is the port servers listen on (default dns.DefaultPort, 5269;
	// no privilege is needed above 1023).
	Port int
	// TLS makes the handshakes; nil fails every handshake with an error
	// saying so.
	TLS TLS
	// Resolve answers a server's lookup of domain's s2s targets. Default:
	// the world's own resolver for that server (the scenario's zone and
	// DNS faults, in process); a real DNS server's client otherwise.
	Resolve func(ctx context.Context, n *scenarios.Node, domain string) dns.Answer
	// Names names hosts outside the world by their real address (a real
	// server's), for the transcript.
	Names map[string]string
	// Trigger, when set, is called once the servers listen, before the
	// run is watched for quiet: what makes a real server act (its admin
	// shell sending a ping). Its error ends the run.
	Trigger func(ctx context.Context) error
	// Deadline bounds the run in wall time (default 30 s); Idle is how
	// long nothing may happen, with nothing pending, before the run counts
	// as finished (default 300 ms).
	Deadline, Idle time.Duration
	_              struct{}
}

// Result is what a live run left behind.
type Result struct {
	// World holds the run's records: trace (wall time since the start),
	// outcomes, deliveries, bounces.
	World *scenarios.World
	// Attacks are the verdicts of the Config's attacks.
	Attacks []*scenarios.AttackResult
	// Skipped are the faults only the simulated network can inject.
	Skipped []scenarios.Fault
	// Wall is how long the run took; Events how many inputs the servers
	// took.
	Wall   time.Duration
	Events int
	// TimedOut: the deadline came before the run was quiet.
	TimedOut bool
}

// Run builds cfg (scenarios.Build) and runs it on real sockets until it is
// quiet or the deadline passes.
func Run(cfg *scenarios.Config, opt Options) (*Result, error) {
	w, err := scenarios.Build(cfg)
	if err != nil {
		return nil, err
	}
	return RunWorld(w, opt)
}

// RunWorld runs a world built by scenarios.Build (and not run) on real
// sockets.
func RunWorld(w *scenarios.World, opt Options) (*Result, error) {
	res := &Result{World: w}
	for _, f := range w.Faults {
		if simulatedOnly[f.Kind] {
			res.Skipped = append(res.Skipped, f)
		}
	}
	rt, err := start(w, opt)
	if err != nil {
		return nil, err
	}
	if opt.Trigger != nil {
		rt.hold()
		err = opt.Trigger(rt.ctx)
		rt.release()
		if err != nil {
			rt.stop()
			return nil, err
		}
	}
	res.TimedOut = !rt.wait()
	rt.stop()
	res.Wall, res.Events = time.Since(rt.t0), rt.events
	for _, a := range w.Attacks {
		res.Attacks = append(res.Attacks, a.Result(nodes.LevelNone))
	}
	return res, nil
}

// SimulatedOnly reports whether a fault kind acts only inside the
// simulated network or kernel (it has no effect on real sockets).
func SimulatedOnly(k scenarios.FaultKind) bool { return simulatedOnly[k] }

// simulatedOnly are the fault kinds that act inside the simulated network
// or kernel and have no effect on real sockets.
var simulatedOnly = map[scenarios.FaultKind]bool{
	scenarios.Partition: true, scenarios.BlackHole: true, scenarios.ResetAfter: true,
	scenarios.Latency: true, scenarios.TLSHandshakeFail: true, scenarios.Refuse: true,
	scenarios.Crash: true, scenarios.DNSFailover: true,
}

// runtime is one live run.
type runtime struct {
	w   *scenarios.World
	opt Options
	t0  time.Time
	ctx context.Context
	end context.CancelFunc

	mu      sync.Mutex // guards the world's records, next, busy, last, events
	next    transport.ConnID
	busy    int       // events posted and not yet taken, dials, lookups, handshakes, armed timers, traffic to send
	last    time.Time // when anything last happened
	events  int
	servers []*server
	byAddr  map[string]string // real address -> host name
	real    map[string]string // scenario address -> real address
	wg      sync.WaitGroup
}

// server is one server, owned by one goroutine.
type server struct {
	rt     *runtime
	n      *scenarios.Node
	ip     string
	ln     net.Listener
	direct net.Listener // Direct TLS (XEP-0368), when the policy has it
	ev     chan func()
	conns  map[transport.ConnID]*lconn // owner goroutine only
	timers map[int64]*time.Timer       // owner goroutine only
}

// lconn is one end of a real connection.
type lconn struct {
	id  transport.ConnID
	end transport.End
	raw net.Conn
	c   net.Conn // raw, or the TLS connection over it
	ctx any      // the server's handle on the stream
	// startTLS is set by the owner when the chunk just read made the
	// server start TLS: the reader runs the handshake before reading on.
	startTLS *transport.TLSConfig
	closed   bool
	// peer, when the other end is not one of the world's servers (a real
	// server), parses what it sends so that the transcript shows its
	// side too; stream counts its streams (a new one after TLS).
	peer     *xmlstream.Parser
	peerName string
	stream   int
}

func start(w *scenarios.World, opt Options) (*runtime, error) {
	if opt.Port == 0 {
		opt.Port = dns.DefaultPort
	}
	if opt.Loopback == nil {
		opt.Loopback = func(k int) string { return fmt.Sprintf("127.77.%d.%d", (k+1)>>8, (k+1)&255) }
	}
	if opt.Deadline == 0 {
		opt.Deadline = 30 * time.Second
	}
	if opt.Idle == 0 {
		opt.Idle = 300 * time.Millisecond
	}
	rt := &runtime{w: w, opt: opt, t0: time.Now(), byAddr: map[string]string{}, real: map[string]string{}}
	for ip, name := range opt.Names {
		rt.byAddr[ip] = name
	}
	rt.ctx, rt.end = context.WithTimeout(context.Background(), opt.Deadline)
	rt.last = rt.t0
	w.Clock = func() sim.Time { return sim.Time(time.Since(rt.t0)) }
	k := 0
	for _, n := range w.Nodes() {
		h := n.Host
		ip := h.Addr
		if a := net.ParseIP(ip); a == nil || !a.IsLoopback() {
			ip = opt.Loopback(k)
			k++
		}
		if !net.ParseIP(ip).IsLoopback() {
			return nil, fmt.Errorf("live: %s would get %s, which is not a loopback address", h.Name, ip)
		}
		rt.real[h.Addr] = ip
		rt.byAddr[ip] = h.Name
	}
	for _, n := range w.Nodes() {
		s := &server{rt: rt, n: n, ip: rt.real[n.Host.Addr], ev: make(chan func(), 64),
			conns: map[transport.ConnID]*lconn{}, timers: map[int64]*time.Timer{}}
		// Each server owns its arena: they no longer share one goroutine.
		n.S.Arena = &nodes.Arena{}
		ln, err := net.Listen("tcp", net.JoinHostPort(s.ip, strconv.Itoa(opt.Port)))
		if err != nil {
			rt.stop()
			return nil, fmt.Errorf("live: %s listening on %s:%d: %w", n.Host.Name, s.ip, opt.Port, err)
		}
		s.ln = ln
		rt.servers = append(rt.servers, s)
		if n.S.Policy().DirectTLS {
			if s.direct, err = net.Listen("tcp", net.JoinHostPort(s.ip, strconv.Itoa(dns.DirectTLSPort))); err != nil {
				rt.stop()
				return nil, fmt.Errorf("live: %s listening for Direct TLS on %s:%d: %w", n.Host.Name, s.ip, dns.DirectTLSPort, err)
			}
		}
	}
	for _, s := range rt.servers {
		rt.wg.Add(2)
		go s.loop()
		go s.accept(s.ln, rt.opt.Port)
		if s.direct != nil {
			rt.wg.Add(1)
			go s.accept(s.direct, dns.DirectTLSPort)
		}
	}
	// The users' stanzas, at their times.
	for _, t := range w.Scheduled() {
		s := rt.serverOf(t.Node)
		if s == nil {
			continue
		}
		rt.hold()
		st := t.Stanza
		time.AfterFunc(time.Duration(t.At), func() {
			s.post(func() {
				rt.mu.Lock()
				s.n.RecordSend(st)
				rt.mu.Unlock()
				s.apply(s.n.S.Send(st))
			})
			rt.release()
		})
	}
	return rt, nil
}

func (rt *runtime) serverOf(n *scenarios.Node) *server {
	for _, s := range rt.servers {
		if s.n == n {
			return s
		}
	}
	return nil
}

// hold and release count pending work; the run is quiet when none is left
// and nothing happened for opt.Idle.
func (rt *runtime) hold() {
	rt.mu.Lock()
	rt.busy++
	rt.last = time.Now()
	rt.mu.Unlock()
}

func (rt *runtime) release() {
	rt.mu.Lock()
	rt.busy--
	rt.last = time.Now()
	rt.mu.Unlock()
}

// wait returns true when the run went quiet, false at the deadline.
func (rt *runtime) wait() bool {
	tick := time.NewTicker(rt.opt.Idle / 4)
	defer tick.Stop()
	for {
		select {
		case <-rt.ctx.Done():
			return false
		case <-tick.C:
			rt.mu.Lock()
			quiet := rt.busy == 0 && time.Since(rt.last) >= rt.opt.Idle
			rt.mu.Unlock()
			if quiet {
				return true
			}
		}
	}
}

// stop closes every listener and connection and waits for the goroutines.
func (rt *runtime) stop() {
	rt.end()
	for _, s := range rt.servers {
		if s.direct != nil {
			s.direct.Close()
		}
		if s.ln != nil {
			s.ln.Close()
		}
		done := make(chan struct{})
		s.post(func() {
			for _, t := range s.timers {
				t.Stop()
			}
			for _, c := range s.conns {
				c.raw.Close()
			}
			close(done)
		})
		<-done
		close(s.ev)
	}
	rt.wg.Wait()
}

// record adds a network record to the trace, under the records' lock.
func (rt *runtime) record(n *scenarios.Node, r sim.Record) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	r.Kind = sim.KindEvent
	rt.w.Trace(n, r)
}

// post hands f to the server's goroutine.
func (s *server) post(f func()) {
	s.rt.hold()
	defer func() {
		if recover() != nil { // the run is over: the channel is closed
			s.rt.release()
		}
	}()
	s.ev <- f
}

// loop is the server's owner: it takes one event at a time.
func (s *server) loop() {
	defer s.rt.wg.Done()
	for f := range s.ev {
		s.rt.mu.Lock()
		s.rt.events++
		s.rt.mu.Unlock()
		s.n.S.Now = s.rt.w.Sim.Now().Std().Add(time.Since(s.rt.t0))
		f()
		s.rt.release()
	}
}

// apply carries out the effects of one input, on the owner goroutine.
func (s *server) apply(effs []nodes.Effect) {
	defer clear(effs)
	rt := s.rt
	for i := range effs {
		e := &effs[i]
		switch e.Kind {
		case nodes.EffWrite:
			rt.mu.Lock()
			rt.w.Trace(s.n, sim.Record{Kind: sim.KindXML, Peer: e.Peer, Conn: int(e.Conn), Stream: e.Stream, XML: string(e.Data)})
			rt.mu.Unlock()
			if c := s.conns[e.Conn]; c != nil && !c.closed {
				if c.peer != nil && bytes.HasPrefix(e.Data, []byte("<success")) {
					c.restartPeer() // we accepted the peer's SASL: it opens a new stream
				}
				c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.c.Write(e.Data); err != nil {
					s.closed(c, err)
				}
			}
		case nodes.EffStartTLS:
			if c := s.conns[e.Conn]; c != nil {
				cfg := e.TLS
				c.startTLS = &cfg
				if e.End == transport.Client {
					hello := "ClientHello (SNI " + cfg.ServerName + ")"
					if len(cfg.ALPN) > 0 {
						hello = "ClientHello (SNI " + cfg.ServerName + ", ALPN " + strings.Join(cfg.ALPN, ",") + ")"
					}
					rt.record(s.n, sim.Record{Peer: e.Peer, Conn: int(e.Conn), Event: "tls", Detail: hello})
				}
			}
		case nodes.EffClose:
			if c := s.conns[e.Conn]; c != nil && !c.closed {
				rt.record(s.n, sim.Record{Conn: int(e.Conn), Event: "close", Detail: s.n.Host.Name + " closes its side of the connection"})
				if cw, ok := c.c.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				} else {
					c.c.Close()
				}
			}
		case nodes.EffDial:
			s.dial(e.Tag, e.Addr, e.Port)
		case nodes.EffResolve:
			s.resolve(e.Tag, e.Domain, e.Direct)
		case nodes.EffTimer:
			tag := e.Tag
			rt.hold()
			s.timers[tag] = time.AfterFunc(e.Delay, func() {
				s.post(func() {
					if _, ok := s.timers[tag]; !ok {
						return // cancelled after it fired
					}
					delete(s.timers, tag)
					rt.release()
					s.apply(s.n.S.Timer(tag))
				})
			})
		case nodes.EffCancel:
			if t, ok := s.timers[e.Tag]; ok {
				delete(s.timers, e.Tag)
				if t.Stop() || true {
					rt.release()
				}
			}
		case nodes.EffNote:
			rt.mu.Lock()
			s.n.Note(e)
			rt.mu.Unlock()
		}
	}
}

// realAddr is where a scenario address is on loopback: a host's own, or a
// spare one where nothing listens (a poisoned record pointing nowhere).
func (rt *runtime) realAddr(addr string) string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if a, ok := rt.real[addr]; ok {
		return a
	}
	if ip := net.ParseIP(addr); ip != nil && ip.IsLoopback() {
		return addr // a real server's, or nowhere on loopback
	}
	return "" // no host of the world has it: no route (as in the simulation)
}

func (s *server) dial(tag int64, addr string, port int) {
	rt := s.rt
	to := rt.realAddr(addr)
	where := "on loopback " + to
	if to == "" {
		where = "no host has that address"
	}
	rt.record(s.n, sim.Record{Event: "connect", Detail: fmt.Sprintf("%s dials %s:%d (%s)", s.n.Host.Name, addr, port, where)})
	rt.hold()
	go func() {
		defer rt.release()
		var raw net.Conn
		var err error
		if to == "" {
			err = fmt.Errorf("%w (%s: not an address of the world)", network.ErrNoRoute, addr)
		} else {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(s.ip)}, Timeout: 10 * time.Second}
			if raw, err = d.DialContext(rt.ctx, "tcp", net.JoinHostPort(to, strconv.Itoa(port))); err != nil {
				err = dialError(err)
			}
		}
		s.post(func() {
			if err != nil {
				rt.record(s.n, sim.Record{Event: "connect-failed", Detail: err.Error(), Reason: reasonOf(err), Failure: true})
				s.apply(s.n.S.Dialed(tag, 0, err))
				return
			}
			c := s.register(raw, transport.Client)
			s.watch(c, rt.hostOf(to))
			effs := s.n.S.Dialed(tag, c.id, nil)
			c.ctx = s.n.S.StreamContext(c.id, transport.Client)
			s.apply(effs)
			s.read(c)
		})
	}()
}

// dialError maps a real dial error onto the simulated network's, which the
// servers' reasons name.
func dialError(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w (%v)", network.ErrRefused, err)
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Errorf("%w (%v)", network.ErrNoRoute, err)
	}
	return err
}

func reasonOf(err error) string {
	switch {
	case errors.Is(err, network.ErrRefused):
		return "refused"
	case errors.Is(err, network.ErrNoRoute):
		return "no-route"
	}
	return "connect-error"
}

func (s *server) resolve(tag int64, domain string, direct bool) {
	rt := s.rt
	rt.record(s.n, sim.Record{Event: "dns-query", Detail: dns.Query(domain, direct)})
	rt.hold()
	go func() {
		defer rt.release()
		var ans dns.Answer
		if rt.opt.Resolve != nil {
			ans = rt.opt.Resolve(rt.ctx, s.n, domain)
		} else {
			ans = s.n.Resolver.Lookup(domain, direct)
			if ans.Delay > 0 {
				select {
				case <-time.After(ans.Delay):
				case <-rt.ctx.Done():
				}
			}
		}
		if ans.Lost {
			rt.record(s.n, sim.Record{Event: "fault", Detail: ans.Note, Reason: ans.Reason(), Failure: true})
			return
		}
		s.post(func() {
			detail := ans.Note
			if ans.Err != nil {
				detail = ans.Domain + ": " + ans.Err.Error() + " (" + ans.Note + ")"
			}
			rt.record(s.n, sim.Record{Event: "dns-answer", Detail: detail, Reason: ans.Reason(), Failure: ans.Err != nil})
			s.apply(s.n.S.Resolved(tag, ans))
		})
	}()
}

// accept takes inbound connections on ln, which listens on port.
func (s *server) accept(ln net.Listener, port int) {
	defer s.rt.wg.Done()
	for {
		raw, err := ln.Accept()
		if err != nil {
			return // closed by stop
		}
		remote := raw.RemoteAddr().(*net.TCPAddr).IP.String()
		s.post(func() {
			name := s.rt.hostOf(remote)
			c := s.register(raw, transport.Server)
			s.watch(c, name)
			s.rt.record(s.n, sim.Record{Conn: int(c.id), Peer: name, Event: "accept", Detail: fmt.Sprintf("%s accepts on port %d", s.n.Host.Name, port)})
			effs := s.n.S.Accepted(c.id, port, name)
			c.ctx = s.n.S.StreamContext(c.id, transport.Server)
			s.apply(effs)
			s.read(c)
		})
	}
}

// hostOf names the host at a real address (its address when unknown).
func (rt *runtime) hostOf(ip string) string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if n, ok := rt.byAddr[ip]; ok {
		return n
	}
	return ip
}

// register numbers a new connection end (owner goroutine).
func (s *server) register(raw net.Conn, end transport.End) *lconn {
	s.rt.mu.Lock()
	s.rt.next++
	id := s.rt.next
	s.rt.mu.Unlock()
	c := &lconn{id: id, end: end, raw: raw, c: raw}
	s.conns[id] = c
	return c
}

// read starts the connection's reader. Each chunk is handed to the owner,
// and the reader waits until the owner has consumed it: if the chunk made
// the server start TLS, the reader runs the handshake before reading on.
func (s *server) read(c *lconn) {
	rt := s.rt
	rt.wg.Add(1)
	// A Direct TLS connection (XEP-0368) starts TLS before any byte.
	first := c.startTLS
	c.startTLS = nil
	go func() {
		defer rt.wg.Done()
		if first != nil {
			s.handshake(c, *first)
		}
		buf := make([]byte, 16<<10)
		for {
			n, err := c.c.Read(buf)
			if n > 0 {
				done := make(chan *transport.TLSConfig, 1)
				data := buf[:n]
				s.post(func() {
					s.recordPeer(c, data)
					s.apply(s.n.S.ReceivedWith(c.ctx, c.id, c.end, data))
					tc := c.startTLS
					c.startTLS = nil
					done <- tc
				})
				select {
				case tc := <-done:
					if tc != nil {
						s.handshake(c, *tc)
					}
				case <-rt.ctx.Done():
					return
				}
			}
			if err != nil {
				if rt.ctx.Err() == nil { // not our own teardown at the end of the run
					s.post(func() { s.closed(c, err) })
				}
				return
			}
		}
	}()
}

// handshake runs TLS on the connection's raw socket (reader goroutine).
func (s *server) handshake(c *lconn, cfg transport.TLSConfig) {
	rt := s.rt
	rt.hold()
	defer rt.release()
	var res transport.TLSResult
	var alpn string // the protocol ALPN agreed on (RFC 7301), if any
	if rt.opt.TLS == nil {
		res = transport.TLSResult{Err: fmt.Errorf("%w: live: no TLS provider", transport.ErrTLSAlert)}
	} else if tc, err := rt.opt.TLS.Config(c.end, cfg); err != nil {
		res = transport.TLSResult{Err: fmt.Errorf("%w: %v", transport.ErrTLSAlert, err)}
	} else {
		var conn *tls.Conn
		if c.end == transport.Client {
			conn = tls.Client(c.raw, tc)
		} else {
			conn = tls.Server(c.raw, tc)
		}
		ctx, cancel := context.WithTimeout(rt.ctx, 10*time.Second)
		err := conn.HandshakeContext(ctx)
		cancel()
		var cs *tls.ConnectionState
		if err == nil {
			st := conn.ConnectionState()
			cs = &st
			c.c = conn
			alpn = st.NegotiatedProtocol
		}
		res = rt.opt.TLS.Result(c.end, cfg, cs, err)
	}
	s.post(func() {
		own := "no certificate"
		if cfg.Cert != nil {
			own = "Certificate [" + cfg.Cert.String() + "]"
		}
		peer := "no certificate"
		if res.PeerCert != nil {
			peer = "Certificate [" + res.PeerCert.String() + "]"
		}
		detail := fmt.Sprintf("%s handshake: %s presented %s; the peer presented %s", c.end, s.n.Host.Name, own, peer)
		if alpn != "" {
			detail += "; ALPN " + alpn
		}
		rt.record(s.n, sim.Record{Conn: int(c.id), Event: "tls", Detail: detail})
		if res.OK {
			verdict := "peer certificate verified"
			if res.PeerCert == nil {
				verdict = "no peer certificate"
			} else if res.PeerErr != nil {
				verdict = "peer certificate accepted for encryption only: " + res.PeerErr.Error()
			}
			rt.record(s.n, sim.Record{Conn: int(c.id), Event: "tls-ok", Detail: verdict})
		} else {
			rt.record(s.n, sim.Record{Conn: int(c.id), Event: "tls-fail", Detail: fmt.Sprint(res.Err), Reason: "tls-alert", Failure: true})
		}
		if res.OK {
			c.restartPeer()
		}
		s.apply(s.n.S.TLSDone(c.id, c.end, res))
		if !res.OK {
			c.raw.Close()
		}
	})
}

// closed reports the end of a connection to the server (owner goroutine).
func (s *server) closed(c *lconn, err error) {
	if c.closed {
		return
	}
	c.closed = true
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = nil // an orderly close (FIN), or ours
	}
	s.apply(s.n.S.Closed(c.id, c.end, err))
	delete(s.conns, c.id)
	c.raw.Close()
}

// watch makes the connection record what a peer outside the world sends.
func (s *server) watch(c *lconn, peer string) {
	for _, n := range s.rt.w.Nodes() {
		if n.Host.Name == peer {
			return // one of ours: it records its own writes
		}
	}
	c.peerName, c.peer, c.stream = peer, &xmlstream.Parser{}, 1
}

// recordPeer records the elements a real peer sent in data (owner
// goroutine), as the simulation records every server's writes.
func (s *server) recordPeer(c *lconn, data []byte) {
	if c.peer == nil {
		return
	}
	c.peer.Feed(data)
	for {
		tok, ok, err := c.peer.Next()
		if err != nil {
			s.rt.record(s.n, sim.Record{Conn: int(c.id), Stream: c.stream, Event: "peer-not-well-formed", Detail: c.peerName + " sent what fedsim cannot parse: " + err.Error(), Failure: true})
			c.peer = nil
			return
		}
		if !ok {
			return
		}
		var x string
		switch tok.Kind {
		case xmlstream.TokStreamStart:
			x = tok.Header.Raw
		case xmlstream.TokElement:
			x = string(tok.Raw)
		case xmlstream.TokStreamEnd:
			x = "</stream:stream>"
		}
		s.rt.mu.Lock()
		s.rt.w.Trace(s.n, sim.Record{Kind: sim.KindXML, Node: c.peerName, Peer: s.n.Host.Name, Conn: int(c.id), Stream: c.stream, XML: x})
		s.rt.mu.Unlock()
		if tok.Kind == xmlstream.TokElement && tok.Elem.Local() == "success" {
			c.restartPeer() // SASL succeeded: the peer opens a new stream
			return
		}
	}
}

// restartPeer starts a new stream in the peer's parser (after TLS or SASL,
// RFC 6120 §5.4.3.3, §6.4.6).
func (c *lconn) restartPeer() {
	if c.peer != nil {
		c.peer, c.stream = &xmlstream.Parser{}, c.stream+1
	}
}

// PKI adapts a network/pki PKI to TLS: handshakes with real X.509
// certificates made from the world's mock ones, verdicts at the wall
// clock's time.
func PKI(p *pki.PKI) TLS { return pkiTLS{p} }

type pkiTLS struct{ p *pki.PKI }

func (t pkiTLS) Config(end transport.End, cfg transport.TLSConfig) (*tls.Config, error) {
	c, err := t.p.TLSConfig(end, cfg, nil)
	if err != nil {
		return nil, err
	}
	// TLS 1.2, so that a server rejecting the client's certificate fails
	// the client's handshake too, as in the simulation and in XEP-0178's
	// flows: in TLS 1.3 the client finishes first and learns of the
	// rejection from its next read (RFC 8446 §4.4.2).
	c.MaxVersion = tls.VersionTLS12
	return c, nil
}

func (t pkiTLS) Result(end transport.End, cfg transport.TLSConfig, cs *tls.ConnectionState, err error) transport.TLSResult {
	return t.p.Result(end, cfg, cs, err, time.Now())
}
