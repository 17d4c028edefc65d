package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/fedsim/fedsim/dns"
)

// Options configures a Server. The zero value serves on a free port of
// 127.0.0.1 with no observers and no log.
type Options struct {
	// Addr is the loopback IP:port to listen on, for UDP and TCP alike.
	// Default "127.0.0.1:0": a free port, read back from Server.Addr.
	// Port 53 (e.g. "127.0.53.53:53") needs root, and is what resolvers
	// that cannot be given a port need (see doc.go). Only 127.0.0.0/8 and
	// ::1 are accepted: this server answers with poisoned records on
	// purpose and must never be reachable from another machine.
	Addr string
	// Observers names the resolver behind each source address, for
	// dns.Fault.Resolver: source IP (e.g. "127.0.0.3") → resolver name
	// (the observing server's domain). Queries from an address not listed
	// are seen only by faults with Resolver "".
	Observers map[string]string
	// Log, when set, is called once per query, just before its answer is
	// sent (or when it is dropped). Calls are serialized, in the order the
	// answers leave; Log should be quick, and must not call back into the
	// Server.
	Log func(Query)
	// Epoch is the instant fault windows (dns.Fault.From and Until) are
	// measured from. Default: when Serve starts listening.
	Epoch time.Time
	// TTL of every record served, in seconds. Default 0, so that a
	// caching resolver (libunbound, Erlang's inet_res) asks again and sees
	// a fault window open and close; negative answers carry an SOA whose
	// minimum is the same TTL (RFC 2308 §5).
	TTL uint32

	_ struct{}
}

// Query is one query the server received, as the log records it.
type Query struct {
	// Time is when the query arrived (wall clock); Since is the same
	// instant measured from Options.Epoch, the clock fault windows use.
	Time  time.Time
	Since time.Duration
	// From is the source address (IP:port); Resolver the observer it maps
	// to in Options.Observers ("" when none).
	From, Resolver string
	// Net is "udp" or "tcp".
	Net string
	// Name is the question's name as asked (trailing dot removed); Type
	// its type ("SRV", "A", "AAAA", ...).
	Name, Type string
	// Rcode is "NOERROR", "NXDOMAIN", "SERVFAIL", ...; "" when the query
	// was dropped (a NoAnswer fault).
	Rcode string
	// Answer holds the answer records in presentation format, "; "
	// between them; "" for none.
	Answer string
	// Truncated is set when a UDP answer did not fit and went out with TC
	// set (RFC 1035 §4.2.1), so the asker must retry over TCP.
	Truncated bool
	// Fault is the kind of the fault that shaped the answer ("poison",
	// "nxdomain", "servfail", "no-answer", "slow"); "" for the zone's own
	// answer. Delay is how long a slow answer was held back.
	Fault string
	Delay time.Duration

	_ struct{}
}

func (q Query) String() string {
	s := fmt.Sprintf("%s %s from %s", q.Name, q.Type, q.From)
	if q.Resolver != "" {
		s += " (" + q.Resolver + ")"
	}
	if q.Rcode == "" {
		s += " -> dropped"
	} else {
		s += " -> " + q.Rcode
	}
	if q.Answer != "" {
		s += " " + q.Answer
	}
	if q.Truncated {
		s += " (truncated)"
	}
	if q.Fault != "" {
		s += " [fault " + q.Fault + "]"
	}
	return s
}

// Server answers DNS queries from a dns.Zone over UDP and TCP.
type Server struct {
	addr      string
	epoch     time.Time
	ttl       uint32
	observers map[netip.Addr]string

	mu     sync.Mutex // guards zone and *faults (see Update)
	zone   *dns.Zone
	faults *[]dns.Fault

	logMu sync.Mutex
	log   func(Query)

	done   chan struct{} // closed by Close: cuts Slow delays short
	udp    *mdns.Server
	tcp    *mdns.Server
	wg     sync.WaitGroup
	closed sync.Once
}

// Serve starts answering from zone, shaped by *faults (nil for none), on
// UDP and TCP at opts.Addr. It returns once both listeners are bound.
func Serve(zone *dns.Zone, faults *[]dns.Fault, opts Options) (*Server, error) {
	if zone == nil {
		return nil, errors.New("dns/server: nil zone")
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dns/server: address %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return nil, fmt.Errorf("dns/server: address %q: want a loopback IP address (127.0.0.0/8 or ::1)", addr)
	}
	ip = ip.Unmap()
	s := &Server{zone: zone, faults: faults, log: opts.Log, ttl: opts.TTL,
		observers: map[netip.Addr]string{}, done: make(chan struct{})}
	var bad []string
	for k, v := range opts.Observers {
		a, err := netip.ParseAddr(k)
		if err != nil {
			bad = append(bad, strconv.Quote(k))
			continue
		}
		s.observers[a.Unmap()] = v
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("dns/server: Observers: not IP addresses: %v", bad)
	}

	pc, l, err := listen(ip, port)
	if err != nil {
		return nil, err
	}
	s.addr = pc.LocalAddr().String()
	s.epoch = opts.Epoch
	if s.epoch.IsZero() {
		s.epoch = time.Now()
	}
	s.udp = &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(s.serveDNS)}
	s.tcp = &mdns.Server{Listener: l, Handler: mdns.HandlerFunc(s.serveDNS)}
	for _, srv := range []*mdns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		failed := make(chan error, 1)
		srv.NotifyStartedFunc = func() { close(started) }
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			failed <- srv.ActivateAndServe() // nil after Shutdown
		}()
		select {
		case <-started:
		case err := <-failed:
			if srv == s.tcp { // UDP is up: take it down again
				s.udp.Shutdown()
			}
			pc.Close()
			l.Close()
			s.wg.Wait()
			return nil, fmt.Errorf("dns/server: serve: %w", err)
		}
	}
	return s, nil
}

// listen binds UDP and then TCP to the same port; with port 0 the kernel
// picks the UDP port, which may be taken for TCP, so a few tries are made.
func listen(ip netip.Addr, port string) (net.PacketConn, net.Listener, error) {
	var lastErr error
	for try := 0; try < 10; try++ {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(ip.String(), port))
		if err != nil {
			return nil, nil, fmt.Errorf("dns/server: listen udp: %w", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		lastErr = err
		if port != "0" {
			break
		}
	}
	return nil, nil, fmt.Errorf("dns/server: listen tcp: %w", lastErr)
}

// Addr is the IP:port the server answers on, UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Epoch is the instant fault windows are measured from.
func (s *Server) Epoch() time.Time { return s.epoch }

// Update runs fn while no query is being answered, so that fn may change
// the zone or the fault list Serve was given (for instance append a fault
// at run time). Change them only this way once the server runs.
func (s *Server) Update(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// Close stops both listeners and waits until every query being answered
// (slow ones are cut short, unanswered) and every goroutine has finished.
// It is safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(s.udp.ShutdownContext(ctx), s.tcp.ShutdownContext(ctx))
		s.wg.Wait()
		if err != nil {
			err = fmt.Errorf("dns/server: close: %w", err)
		}
	})
	return err
}

func (s *Server) serveDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	arrived := time.Now()
	since := arrived.Sub(s.epoch)
	from := w.RemoteAddr()
	network := "udp"
	var src netip.Addr
	switch a := from.(type) {
	case *net.UDPAddr:
		src = a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		src = a.AddrPort().Addr().Unmap()
		network = "tcp"
	}
	observer := s.observers[src]

	s.mu.Lock()
	p := s.plan(req, observer, since)
	s.mu.Unlock()

	q := Query{Time: arrived, Since: since, From: from.String(), Resolver: observer, Net: network, Fault: p.fault}
	if len(req.Question) > 0 {
		q.Name = trimDot(req.Question[0].Name)
		q.Type = mdns.TypeToString[req.Question[0].Qtype]
	}
	if p.resp == nil { // dropped
		s.record(q)
		return
	}
	if p.delay > 0 {
		q.Delay = p.delay
		t := time.NewTimer(p.delay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			s.record(q) // closing: the slow answer never leaves
			return
		}
	}
	resp := p.resp
	if network == "udp" {
		size := mdns.MinMsgSize
		if o := req.IsEdns0(); o != nil && int(o.UDPSize()) > size {
			size = int(o.UDPSize())
		}
		resp.Truncate(size)
		q.Truncated = resp.Truncated
	}
	q.Rcode = mdns.RcodeToString[resp.Rcode]
	q.Answer = describeRRs(resp.Answer)
	// Logged before it is sent, so that the log's order is the order of
	// cause and effect: the asker cannot act on an answer before it is
	// logged.
	s.record(q)
	w.WriteMsg(resp)
}

func (s *Server) record(q Query) {
	if s.log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log(q)
}

func describeRRs(rrs []mdns.RR) string {
	out := ""
	for i, rr := range rrs {
		if i > 0 {
			out += "; "
		}
		h := rr.Header()
		out += trimDot(h.Name) + " " + mdns.TypeToString[h.Rrtype] + " "
		switch r := rr.(type) {
		case *mdns.SRV:
			out += fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, r.Target)
		case *mdns.A:
			out += r.A.String()
		case *mdns.AAAA:
			out += r.AAAA.String()
		default:
			out += rr.String()
		}
	}
	return out
}
