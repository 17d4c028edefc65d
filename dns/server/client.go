package server

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/fedsim/fedsim/dns"
)

// Client resolves XMPP domains the way the mock dns.Resolver does, but by
// asking a real DNS server (a Server, on loopback) over UDP, and over TCP
// when an answer comes back truncated (RFC 1035 §4.2.1, RFC 7766). It is
// what fedsim's real-time runtime uses in place of dns.Resolver. The zero
// value is ready to use.
type Client struct {
	// Timeout bounds each query (each UDP try, each TCP retry). Default
	// 2 s. A query that times out ends the lookup with Answer.Lost, as a
	// NoAnswer fault does in the simulation.
	Timeout time.Duration
	// LocalAddr is the IP address queries are sent from, so that a
	// Server's Options.Observers can tell which simulated server is
	// asking (fedsim gives each its own 127.0.0.x). Default: the kernel's
	// choice (127.0.0.1 towards a loopback server).
	LocalAddr string
	// Net is "udp" (the default: TCP only after truncation) or "tcp".
	Net string
	// UDPSize is the EDNS(0) UDP payload size advertised (RFC 6891 §6.2.5),
	// in bytes. Default 1232, the size the DNS community settled on to
	// avoid IP fragmentation.
	UDPSize uint16
	// Rand orders SRV targets of equal priority by weight, exactly as
	// dns.Resolver.Rand does: the same stream in the same state gives the
	// same order. Nil: the order the records came in, zero weights first.
	Rand *rand.Rand
	// Quiet leaves Answer.Note empty on successful answers, as
	// dns.Resolver.Quiet does.
	Quiet bool

	_ struct{}
}

// LookupServer resolves domain through the DNS server at serverAddr with a
// zero Client (see Client.LookupServer).
func LookupServer(ctx context.Context, serverAddr, domain string) dns.Answer {
	var c Client
	return c.LookupServer(ctx, serverAddr, domain)
}

// LookupServer resolves domain per RFC 6120 §3.2.1 by asking the DNS server
// at serverAddr (a loopback IP:port): the SRV records of
// _xmpp-server._tcp.<domain> and their targets' A records, or the domain's
// own A records when it has no SRV records. The Answer is shaped exactly
// as dns.Resolver.LookupServer shapes it for the same zone and fault —
// the same Targets in the same order, the same Err values (dns.ErrNXDomain,
// dns.ErrServFail), the same Note — because it is made by the mock's own
// code from what came over the wire; a fedsim Server tells which fault
// applied through an Extended DNS Error (RFC 8914; see doc.go). Two things
// differ in meaning, not in value: Delay reports how long a slow answer
// was held back, time that has already passed (do not wait it again); and
// Lost means the query timed out after Client.Timeout, which has also
// already passed.
//
// Errors that are not DNS answers (the server is not on loopback, a
// socket error) come back as an Answer whose Err wraps dns.ErrServFail, as
// a stub resolver reports an unreachable server; a cancelled ctx gives
// ctx's error.
func (c *Client) LookupServer(ctx context.Context, serverAddr, domain string) dns.Answer {
	l := lookup{c: c, ctx: ctx, server: serverAddr, domain: domain}
	return l.run()
}

// lookup is one LookupServer call in progress.
type lookup struct {
	c      *Client
	ctx    context.Context
	server string
	domain string

	fault     string // kind reported by the server ("" for none)
	via       string
	delay     time.Duration
	faultSeen bool
}

// stop is how a query can end a lookup early.
type stop struct {
	answer dns.Answer
}

func (l *lookup) run() dns.Answer {
	if err := checkLoopback(l.server); err != nil {
		return dns.Answer{Domain: l.domain, Err: fmt.Errorf("%w: %v", dns.ErrServFail, err), Note: err.Error()}
	}
	d := key(l.domain)
	zone := dns.NewZone()
	srvs, end := l.ask(srvPrefix+d, mdns.TypeSRV)
	if end != nil {
		return end.answer
	}
	if len(srvs) > 0 {
		var hosts []string
		for _, rr := range srvs {
			s := rr.(*mdns.SRV)
			target := trimDot(s.Target)
			zone.AddSRV(d, dns.SRV{Target: target, Port: int(s.Port), Priority: int(s.Priority), Weight: int(s.Weight)})
			// "." (the service is not offered, RFC 2782) has no address.
			if target != "." && !slices.ContainsFunc(hosts, func(h string) bool { return key(h) == key(target) }) {
				hosts = append(hosts, target)
			}
		}
		for _, h := range hosts {
			addrs, end := l.ask(h, mdns.TypeA)
			if end != nil {
				return end.answer
			}
			for _, rr := range addrs {
				zone.AddAddr(h, rr.(*mdns.A).A.String())
			}
		}
	} else {
		addrs, end := l.ask(d, mdns.TypeA)
		if end != nil {
			return end.answer
		}
		for _, rr := range addrs {
			zone.AddAddr(d, rr.(*mdns.A).A.String())
		}
	}
	return l.answer(zone, nil)
}

// answer has the mock resolver answer from what the wire said, with the
// fault the server reported (or the one the client observed, lost).
func (l *lookup) answer(zone *dns.Zone, f *dns.Fault) dns.Answer {
	r := &dns.Resolver{Zone: zone, Rand: l.c.Rand, Quiet: l.c.Quiet}
	if f == nil {
		switch l.fault {
		case "slow":
			f = &dns.Fault{Kind: dns.Slow, Delay: l.delay}
		case "nxdomain":
			f = &dns.Fault{Kind: dns.NXDomain}
		case "servfail":
			f = &dns.Fault{Kind: dns.ServFail}
		case "poison":
			f = &dns.Fault{Kind: dns.Poison, Targets: l.poisoned(zone)}
		}
	}
	if f != nil {
		f.Domain = l.domain
		r.Faults = &[]dns.Fault{*f}
	}
	return r.LookupServer(l.domain)
}

// poisoned lists the targets of a poisoned answer in the order served
// (the server gives them ascending priorities), without the weighted
// draw: the mock's poisoned answer is the fault's list as it stands.
func (l *lookup) poisoned(zone *dns.Zone) []dns.Target {
	d := key(l.domain)
	var out []dns.Target
	srvs := zone.SRVRecords(d)
	if len(srvs) == 0 {
		for _, a := range zone.Addrs(d) {
			out = append(out, dns.Target{Host: d, Addr: a, Port: dns.DefaultPort, Via: l.via})
		}
		return out
	}
	slices.SortStableFunc(srvs, func(a, b dns.SRV) int { return a.Priority - b.Priority })
	for _, s := range srvs {
		for _, a := range zone.Addrs(s.Target) {
			out = append(out, dns.Target{Host: s.Target, Addr: a, Port: s.Port, Via: l.via})
		}
	}
	return out
}

// ask sends one query and returns its answer records of type qtype. A
// NXDOMAIN or empty answer gives no records; SERVFAIL, a timeout or an
// error end the lookup (stop).
func (l *lookup) ask(name string, qtype uint16) ([]mdns.RR, *stop) {
	resp, err := l.exchange(name, qtype)
	if err != nil {
		if l.ctx.Err() != nil {
			return nil, &stop{dns.Answer{Domain: l.domain, Err: l.ctx.Err(),
				Note: "the lookup of " + l.domain + " was abandoned: " + l.ctx.Err().Error()}}
		}
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, &stop{l.answer(nil, &dns.Fault{Kind: dns.NoAnswer})}
		}
		return nil, &stop{dns.Answer{Domain: l.domain, Err: fmt.Errorf("%w: %s %s: %v", dns.ErrServFail, name, mdns.TypeToString[qtype], err),
			Note: fmt.Sprintf("the query %s %s to %s failed: %v", name, mdns.TypeToString[qtype], l.server, err)}}
	}
	if kind, via, delay, ok := parseEDE(resp); ok && !l.faultSeen {
		l.fault, l.via, l.delay, l.faultSeen = kind, via, delay, true
	}
	switch resp.Rcode {
	case mdns.RcodeSuccess:
	case mdns.RcodeNameError:
		return nil, nil
	case mdns.RcodeServerFailure:
		if l.fault == "servfail" {
			return nil, &stop{l.answer(nil, nil)}
		}
		fallthrough
	default:
		rc := mdns.RcodeToString[resp.Rcode]
		return nil, &stop{dns.Answer{Domain: l.domain, Err: dns.ErrServFail,
			Note: fmt.Sprintf("%s for %s %s", rc, name, mdns.TypeToString[qtype])}}
	}
	var out []mdns.RR
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	return out, nil
}

// exchange sends one query over UDP (then TCP if truncated) or TCP.
func (l *lookup) exchange(name string, qtype uint16) (*mdns.Msg, error) {
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	size := l.c.UDPSize
	if size == 0 {
		size = 1232
	}
	m.SetEdns0(size, false)
	network := l.c.Net
	if network == "" {
		network = "udp"
	}
	resp, err := l.exchangeOver(network, m)
	if err == nil && resp.Truncated && network == "udp" {
		resp, err = l.exchangeOver("tcp", m)
	}
	return resp, err
}

func (l *lookup) exchangeOver(network string, m *mdns.Msg) (*mdns.Msg, error) {
	timeout := l.c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	d := &net.Dialer{Timeout: timeout}
	if l.c.LocalAddr != "" {
		ip := net.ParseIP(l.c.LocalAddr)
		if ip == nil {
			return nil, fmt.Errorf("dns/server: LocalAddr %q is not an IP address", l.c.LocalAddr)
		}
		if network == "tcp" {
			d.LocalAddr = &net.TCPAddr{IP: ip}
		} else {
			d.LocalAddr = &net.UDPAddr{IP: ip}
		}
	}
	mc := &mdns.Client{Net: network, Dialer: d, Timeout: timeout}
	ctx, cancel := context.WithTimeout(l.ctx, timeout)
	defer cancel()
	resp, _, err := mc.ExchangeContext(ctx, m, l.server)
	return resp, err
}

// checkLoopback refuses any server not on this machine's loopback: fedsim
// only ever talks to DNS servers it started.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dns/server: server address %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("dns/server: server address %q is not a loopback IP address", addr)
	}
	return nil
}
