package server

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/fedsim/fedsim/dns"
)

// The service names under a domain that the server knows (RFC 6120
// §3.2.1; XEP-0368 for direct TLS, which fedsim does not offer: a known
// domain has no records there, NOERROR and an empty answer).
const (
	srvPrefix  = "_xmpp-server._tcp."
	srvsPrefix = "_xmpps-server._tcp."
)

// Extended DNS Errors (RFC 8914) are how the server tells fedsim's own
// client which fault shaped an answer, so that the client can return the
// same dns.Answer the mock gives (the mock's notes name the fault). The
// EXTRA-TEXT reads "fedsim fault=KIND" with "delay=D" for a slow answer
// and via="..." for a poisoned one. Other resolvers ignore the option; it
// is only added when the query carried EDNS (RFC 6891 §7).
const edePrefix = "fedsim fault="

// plan is what to do with one query: resp nil means drop it.
type plan struct {
	resp  *mdns.Msg
	delay time.Duration
	fault string
}

// plan decides the answer to req from the zone and the faults. It runs
// with s.mu held.
func (s *Server) plan(req *mdns.Msg, observer string, since time.Duration) plan {
	resp := new(mdns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = true
	if req.Opcode != mdns.OpcodeQuery {
		resp.SetRcode(req, mdns.RcodeNotImplemented)
		return plan{resp: resp}
	}
	if len(req.Question) != 1 {
		resp.SetRcode(req, mdns.RcodeFormatError)
		return plan{resp: resp}
	}
	if o := req.IsEdns0(); o != nil {
		resp.SetEdns0(mdns.DefaultMsgSize, false)
	}
	q := req.Question[0]
	name := key(q.Name)
	domain, service := splitService(name)

	f := s.activeFault(domain, observer, since)
	if f == nil && service == "" && !s.zoneKnows(name) {
		f = s.poisonedHost(name, observer, since)
	}
	if f == nil {
		s.answerFromZone(resp, q, name, domain, service)
		return plan{resp: resp}
	}
	p := plan{resp: resp, fault: f.Kind.String()}
	text := edePrefix + f.Kind.String()
	switch f.Kind {
	case dns.NoAnswer:
		return plan{fault: p.fault}
	case dns.NXDomain:
		resp.Rcode = mdns.RcodeNameError
		s.negative(resp)
	case dns.ServFail:
		resp.Rcode = mdns.RcodeServerFailure
	case dns.Slow:
		s.answerFromZone(resp, q, name, domain, service)
		p.delay = f.Delay
		text += " delay=" + f.Delay.String()
	case dns.Poison:
		s.answerPoisoned(resp, q, name, service, f)
		if len(f.Targets) > 0 {
			text += " via=" + strconv.Quote(f.Targets[0].Via)
		}
	}
	if o := resp.IsEdns0(); o != nil {
		code := mdns.ExtendedErrorCodeOther
		if f.Kind == dns.Poison {
			code = mdns.ExtendedErrorCodeForgedAnswer
		}
		o.Option = append(o.Option, &mdns.EDNS0_EDE{InfoCode: code, ExtraText: text})
	}
	return p
}

// activeFault is the first fault for domain that this observer sees now,
// with the mock resolver's rules (dns.Resolver.LookupServer): same domain,
// Resolver "" or the observer's name, From <= now < Until (Until 0: no
// end).
func (s *Server) activeFault(domain, observer string, now time.Duration) *dns.Fault {
	if s.faults == nil {
		return nil
	}
	for i, f := range *s.faults {
		if key(f.Domain) != domain || (f.Resolver != "" && f.Resolver != observer) ||
			now < f.From || (f.Until != 0 && now >= f.Until) {
			continue
		}
		return &(*s.faults)[i]
	}
	return nil
}

// poisonedHost is the active poison fault, if any, one of whose targets is
// the host name: the address query that follows a poisoned SRV answer
// must be poisoned too, for the same observer only. Only names the zone
// does not know are looked up here: a poisoned record for one domain does
// not change another host's address records, as in a real poisoned cache.
func (s *Server) poisonedHost(host, observer string, now time.Duration) *dns.Fault {
	if s.faults == nil {
		return nil
	}
	for i, f := range *s.faults {
		if f.Kind != dns.Poison || (f.Resolver != "" && f.Resolver != observer) ||
			now < f.From || (f.Until != 0 && now >= f.Until) {
			continue
		}
		for _, t := range f.Targets {
			if key(poisonHost(t, f.Domain)) == host {
				return &(*s.faults)[i]
			}
		}
	}
	return nil
}

func (s *Server) zoneKnows(name string) bool {
	return len(s.zone.SRVRecords(name)) > 0 || len(s.zone.Addrs(name)) > 0
}

// answerFromZone fills resp with what the zone says about q.
func (s *Server) answerFromZone(resp *mdns.Msg, q mdns.Question, name, domain, service string) {
	if service != "" {
		if !s.zoneKnows(domain) {
			resp.Rcode = mdns.RcodeNameError
			s.negative(resp)
			return
		}
		if service == srvPrefix && q.Qtype == mdns.TypeSRV {
			for _, r := range s.zone.SRVRecords(domain) {
				resp.Answer = append(resp.Answer, s.srv(q.Name, r.Priority, r.Weight, r.Port, r.Target))
			}
		}
		if len(resp.Answer) == 0 {
			s.negative(resp)
		}
		return
	}
	if !s.zoneKnows(name) {
		resp.Rcode = mdns.RcodeNameError
		s.negative(resp)
		return
	}
	resp.Answer = s.addrRRs(q, s.zone.Addrs(name))
	if len(resp.Answer) == 0 {
		s.negative(resp)
	}
}

// answerPoisoned answers with the fault's targets: SRV records (one per
// target host and port, in the fault's order, by ascending priority so
// that no resolver reorders them) and, for the target host names and for
// the domain itself, the targets' addresses.
func (s *Server) answerPoisoned(resp *mdns.Msg, q mdns.Question, name, service string, f *dns.Fault) {
	domain := key(f.Domain)
	switch {
	case service == srvPrefix && q.Qtype == mdns.TypeSRV:
		type hp struct {
			host string
			port int
		}
		seen := map[hp]bool{}
		for _, t := range f.Targets {
			h := poisonHost(t, f.Domain)
			k := hp{key(h), t.Port}
			if seen[k] {
				continue
			}
			seen[k] = true
			resp.Answer = append(resp.Answer, s.srv(q.Name, len(seen)-1, 0, t.Port, h))
		}
	case service == "":
		var addrs []string
		for _, t := range f.Targets {
			if name == domain || key(poisonHost(t, f.Domain)) == name {
				addrs = append(addrs, t.Addr)
			}
		}
		resp.Answer = s.addrRRs(q, addrs)
	}
	if len(resp.Answer) == 0 {
		s.negative(resp)
	}
}

// poisonHost is the host name a poisoned target is served under, as
// spelled in the fault: its own Host, or the poisoned domain when it has
// none. Compare it through key.
func poisonHost(t dns.Target, domain string) string {
	if t.Host != "" {
		return t.Host
	}
	return domain
}

func (s *Server) srv(owner string, prio, weight, port int, target string) mdns.RR {
	t := "." // RFC 2782: "." means the service is not offered
	if h := strings.TrimSuffix(target, "."); h != "" {
		t = mdns.Fqdn(h) // as spelled in the zone: the mock's Target.Host keeps its case
	}
	return &mdns.SRV{
		Hdr:      mdns.RR_Header{Name: owner, Rrtype: mdns.TypeSRV, Class: mdns.ClassINET, Ttl: s.ttl},
		Priority: uint16(prio), Weight: uint16(weight), Port: uint16(port), Target: t,
	}
}

// addrRRs turns zone addresses into A (IPv4) or AAAA (IPv6) records for
// q's type; addresses that are not IP literals cannot be served and are
// left out.
func (s *Server) addrRRs(q mdns.Question, addrs []string) []mdns.RR {
	var out []mdns.RR
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			continue
		}
		h := mdns.RR_Header{Name: q.Name, Class: mdns.ClassINET, Ttl: s.ttl}
		switch {
		case q.Qtype == mdns.TypeA && ip.Is4():
			h.Rrtype = mdns.TypeA
			out = append(out, &mdns.A{Hdr: h, A: ip.AsSlice()})
		case q.Qtype == mdns.TypeAAAA && ip.Is6() && !ip.Is4In6():
			h.Rrtype = mdns.TypeAAAA
			out = append(out, &mdns.AAAA{Hdr: h, AAAA: ip.AsSlice()})
		}
	}
	return out
}

// negative adds the SOA that makes a negative answer cacheable for TTL
// seconds only (RFC 2308 §3, §5). The server speaks for the whole
// simulated Internet, so the SOA is the root's.
func (s *Server) negative(resp *mdns.Msg) {
	resp.Ns = append(resp.Ns, &mdns.SOA{
		Hdr: mdns.RR_Header{Name: ".", Rrtype: mdns.TypeSOA, Class: mdns.ClassINET, Ttl: s.ttl},
		Ns:  "ns.fedsim.invalid.", Mbox: "hostmaster.fedsim.invalid.",
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: s.ttl,
	})
}

// splitService splits "_xmpp-server._tcp.example.com" into the domain and
// the service prefix; other names come back whole with service "".
func splitService(name string) (domain, service string) {
	for _, p := range []string{srvPrefix, srvsPrefix} {
		if d, ok := strings.CutPrefix(name, p); ok {
			return d, p
		}
	}
	return name, ""
}

// key is the zone's spelling of a name: lower case, no trailing dot.
func key(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

func trimDot(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}

// parseEDE reads the fault a fedsim server reported in resp, if any.
func parseEDE(resp *mdns.Msg) (kind, via string, delay time.Duration, ok bool) {
	o := resp.IsEdns0()
	if o == nil {
		return "", "", 0, false
	}
	for _, opt := range o.Option {
		e, isEDE := opt.(*mdns.EDNS0_EDE)
		if !isEDE || !strings.HasPrefix(e.ExtraText, edePrefix) {
			continue
		}
		rest := strings.TrimPrefix(e.ExtraText, edePrefix)
		kind, rest, _ = strings.Cut(rest, " ")
		for rest != "" {
			var field string
			if strings.HasPrefix(rest, "via=") {
				v, err := strconv.QuotedPrefix(strings.TrimPrefix(rest, "via="))
				if err != nil {
					break
				}
				via, _ = strconv.Unquote(v)
				rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(rest, "via="), v))
				continue
			}
			field, rest, _ = strings.Cut(rest, " ")
			if d, found := strings.CutPrefix(field, "delay="); found {
				delay, _ = time.ParseDuration(d)
			}
		}
		return kind, via, delay, true
	}
	return "", "", 0, false
}
