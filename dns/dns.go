// Package dns is fedsim's mock resolver: the records a server consults to
// find where another XMPP domain's server listens.
//
// RFC 6120 §3.2 gives the procedure: look up the SRV records of
// "_xmpp-server._tcp.<domain>", try their targets in order of priority and,
// within a priority, in a weighted random order (RFC 2782); if there are no
// SRV records, fall back to the domain's own address record and port 5269.
// A domain with neither is NXDOMAIN, which the server reports to its users
// as remote-server-not-found (RFC 6120 §8.3.3.15).
//
// Answers are data (Answer) so that the world can deliver them after a
// delay, and so that faults can poison, drop or slow them: a Zone is what
// the authoritative DNS says, a Resolver is one server's view of it, and a
// Fault (or, for code that needs more, an Override function) replaces what
// one resolver — or every resolver — sees for a name during a window of
// virtual time.
//
// A zone may be DNSSEC-signed and a resolver may validate (dnssec.go): an
// answer then says secure, insecure or bogus (RFC 4035 §4.3), with real
// signatures made and checked by github.com/miekg/dns, and carries the
// TLSA records of its targets for DANE (RFC 7673).
package dns

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/fedsim/fedsim/network/ca"
)

// DefaultPort is the IANA port for server-to-server XMPP (RFC 6120 §3.2.1).
const DefaultPort = 5269

// SRV is one SRV record of _xmpp-server._tcp.<domain>, or of
// _xmpps-server._tcp.<domain> when Direct is set.
type SRV struct {
	Target   string // host name, resolved through the address records
	Port     int
	Priority int // lower first
	Weight   int // relative weight within a priority (RFC 2782)
	// Direct marks an _xmpps-server record (XEP-0368): its target speaks
	// TLS from the first byte.
	Direct bool
}

// DirectTLSPort is the port fedsim's servers listen on for Direct TLS
// (XEP-0368 assigns none; 5270 is a common choice).
const DirectTLSPort = 5270

// Target is one place to connect to, in the order to try it.
type Target struct {
	Host string // host name the address came from
	Addr string // address to dial
	Port int
	// Via says how the target was found, for transcripts: "SRV",
	// "xmpps SRV" (XEP-0368) or "A".
	Via string
	// Security is a validating resolver's verdict on the target's address
	// records (Unvalidated when the resolver does not validate).
	Security Security
	// TLSA are the records of _<port>._tcp.<host> (RFC 7673 §2.3), with
	// the resolver's verdict on them. A client uses them for DANE only when
	// TLSASecurity is Secure (RFC 6698 §4.1); a validating resolver looks
	// them up only when the SRV and address records are secure (RFC 7673
	// §3.2, §3.3).
	TLSA         []ca.TLSA
	TLSASecurity Security
	// Direct: connect with TLS from the first byte (an _xmpps-server
	// target, XEP-0368 §3).
	Direct bool
}

func (t Target) String() string {
	return fmt.Sprintf("%s:%d (%s via %s)", t.Addr, t.Port, t.Host, t.Via)
}

// Errors a lookup can end with.
var (
	// ErrNXDomain: no SRV and no address record (RFC 6120 §3.2.1 step 4).
	ErrNXDomain = errors.New("NXDOMAIN")
	// ErrServFail: the resolver could not answer.
	ErrServFail = errors.New("SERVFAIL")
)

// Zone holds the authoritative records of the simulated Internet.
type Zone struct {
	srv    map[string][]SRV    // _xmpp-server by domain
	direct map[string][]SRV    // _xmpps-server by domain (XEP-0368)
	addr   map[string][]string // A/AAAA by host name
	// tlsa holds TLSA records by owner name (dnssec.go).
	tlsa map[string][]ca.TLSA
	// sec is the DNSSEC state (dnssec.go); nil when nothing is signed.
	sec *signing
}

// NewZone returns an empty zone.
func NewZone() *Zone {
	return &Zone{srv: map[string][]SRV{}, direct: map[string][]SRV{}, addr: map[string][]string{}}
}

func key(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

// AddSRV adds an SRV record for _xmpp-server._tcp.<domain>, or for
// _xmpps-server._tcp.<domain> if r.Direct.
func (z *Zone) AddSRV(domain string, r SRV) {
	if r.Direct {
		z.direct[key(domain)] = append(z.direct[key(domain)], r)
		return
	}
	z.srv[key(domain)] = append(z.srv[key(domain)], r)
}

// AddAddr adds an address record for host.
func (z *Zone) AddAddr(host, addr string) { z.addr[key(host)] = append(z.addr[key(host)], addr) }

// Answer is the outcome of resolving one domain.
type Answer struct {
	Domain  string
	Targets []Target
	Err     error
	// Note explains the answer in one line for the trace.
	Note string
	// Delay is extra time before the answer arrives (a slow resolver).
	Delay time.Duration
	// Lost means no answer ever arrives: only the asker's timeout ends it.
	Lost bool
	// Security is a validating resolver's verdict on the SRV records (or,
	// without SRV, the address records) the targets come from; Unvalidated
	// when it does not validate. A bogus answer is an error (ErrBogus).
	Security Security
	// SecurityNote says why, in words ("" without validation).
	SecurityNote string
	// Poisoned: the answer (or the SERVFAIL that replaced it) comes from a
	// Poison fault, not the zone.
	Poisoned bool
}

// Reason names why the lookup failed, for the trace's typed reason
// (sim.Record.Reason): "nxdomain" (ErrNXDomain), "servfail" (ErrServFail),
// "dnssec-bogus" (ErrBogus),
// "no-answer" (Lost), "dns-error" for another error; "" when the answer
// holds targets.
func (a Answer) Reason() string {
	switch {
	case a.Lost:
		return "no-answer"
	case a.Err == nil:
		return ""
	case errors.Is(a.Err, ErrNXDomain):
		return "nxdomain"
	case errors.Is(a.Err, ErrServFail):
		return "servfail"
	case errors.Is(a.Err, ErrBogus):
		return "dnssec-bogus"
	}
	return "dns-error"
}

// FaultKind is what a DNS fault does to the answers for a domain.
type FaultKind uint8

const (
	// Poison answers with Fault.Targets instead of the zone's records: the
	// domain now points at another host (an attacker's).
	Poison FaultKind = iota + 1
	// NXDomain answers that the domain does not exist.
	NXDomain
	// ServFail answers that the resolver failed.
	ServFail
	// NoAnswer never answers.
	NoAnswer
	// Slow answers correctly after Fault.Delay.
	Slow
)

func (k FaultKind) String() string {
	return [...]string{"", "poison", "nxdomain", "servfail", "no-answer", "slow"}[k]
}

// Fault changes the answers one resolver (or every resolver) gives for one
// domain during a window of virtual time.
type Fault struct {
	Kind FaultKind
	// Domain whose lookups are affected.
	Domain string
	// Resolver is the name of the only resolver affected; "" for all.
	Resolver string
	// Targets are the poisoned answer (Poison).
	Targets []Target
	// Delay is how late the answer comes (Slow).
	Delay time.Duration
	// From and Until bound the fault in virtual time since the epoch;
	// Until 0 means until the end of the run.
	From, Until time.Duration
}

// Override replaces the answer for one domain: a poisoned record, an
// injected failure. Returning ok=false leaves the zone's answer in place.
type Override func(domain string) (a Answer, ok bool)

// Resolver is one server's resolver. Its own random stream orders SRV
// targets of equal priority; nothing else is random.
type Resolver struct {
	// Name identifies the resolver for Fault.Resolver (its server's domain).
	Name      string
	Zone      *Zone
	Rand      *rand.Rand
	Overrides []Override
	// Faults are consulted in order; the first active one for the domain
	// applies. Now tells them the virtual time.
	Faults *[]Fault
	Now    func() time.Duration
	// Quiet leaves Answer.Note empty on successful answers: formatting the
	// targets is work nobody reads when no trace is recorded. Errors keep
	// their notes (they become bounce reasons).
	Quiet bool
	// Validate makes the resolver a validating one (RFC 4035 §4.9, §5),
	// configured with the zone's root key as trust anchor: each answer
	// says Secure, Insecure or Bogus, and bogus data is answered SERVFAIL.
	// False: whatever the zone (or a poisoner) says is returned as it is.
	Validate bool
	// Calendar is the calendar time signatures are checked against
	// (RRSIG validity, RFC 4035 §5.3.1); nil means the zone's inception.
	Calendar func() time.Time
}

// Query describes the lookup Lookup(domain, direct) makes, for traces.
func Query(domain string, direct bool) string {
	if direct {
		return "SRV _xmpp-server._tcp." + domain + " (RFC 6120 §3.2) and _xmpps-server._tcp." + domain + " (XEP-0368)"
	}
	return "SRV _xmpp-server._tcp." + domain + " (RFC 6120 §3.2)"
}

// LookupServer resolves domain per RFC 6120 §3.2: _xmpp-server records
// only, for a server that does not speak Direct TLS.
func (r *Resolver) LookupServer(domain string) Answer { return r.Lookup(domain, false) }

// Lookup resolves domain per RFC 6120 §3.2 and, when direct is set, also
// looks up _xmpps-server records and mixes both sets' priorities and
// weights as one (XEP-0368 §3), each target marked Direct or not.
func (r *Resolver) Lookup(domain string, direct bool) Answer {
	for _, o := range r.Overrides {
		if a, ok := o(domain); ok {
			a.Domain = domain
			return a
		}
	}
	if r.Faults != nil {
		var now time.Duration
		if r.Now != nil {
			now = r.Now()
		}
		for _, f := range *r.Faults {
			if key(f.Domain) != key(domain) || (f.Resolver != "" && f.Resolver != r.Name) ||
				now < f.From || (f.Until != 0 && now >= f.Until) {
				continue
			}
			switch f.Kind {
			case Poison:
				a := Answer{Domain: domain, Targets: f.Targets, Note: "POISONED answer for " + domain + " -> " + describe(f.Targets), Poisoned: true}
				return r.secure(a, true)
			case NXDomain:
				return Answer{Domain: domain, Err: ErrNXDomain, Note: "injected NXDOMAIN for " + domain}
			case ServFail:
				return Answer{Domain: domain, Err: ErrServFail, Note: "injected SERVFAIL for " + domain}
			case NoAnswer:
				return Answer{Domain: domain, Lost: true, Note: "the query for " + domain + " goes unanswered"}
			case Slow:
				a := r.lookup(domain, direct)
				a.Delay = f.Delay
				a.Note += fmt.Sprintf(" (answered %s late)", f.Delay)
				return a
			}
		}
	}
	return r.lookup(domain, direct)
}

func (r *Resolver) lookup(domain string, direct bool) Answer {
	return r.secure(r.lookupZone(domain, direct), false)
}

// unavailable reports whether recs is the single "." record of RFC 2782:
// the service is decidedly not offered.
func unavailable(recs []SRV) bool {
	return len(recs) == 1 && (recs[0].Target == "." || recs[0].Target == "")
}

func (r *Resolver) lookupZone(domain string, direct bool) Answer {
	d := key(domain)
	recs := r.Zone.srv[d]
	services := "_xmpp-server._tcp." + d
	if ds := r.Zone.direct[d]; direct && len(ds) > 0 && !unavailable(ds) {
		// XEP-0368 §3: both record sets are treated as one for the
		// connection order; a "." _xmpps-server record means no Direct TLS
		// (§5), and the _xmpp-server records are used as they are.
		if unavailable(recs) {
			recs = nil
		}
		recs = append(append([]SRV(nil), recs...), ds...)
		services = "_xmpp-server._tcp." + d + " + _xmpps-server._tcp." + d
	}
	if len(recs) > 0 {
		// A single SRV record whose target is "." means the service is
		// decidedly not available (RFC 2782).
		if unavailable(recs) {
			return Answer{Domain: domain, Err: ErrNXDomain, Note: "_xmpp-server._tcp." + d + " SRV target is '.': service not offered"}
		}
		var out []Target
		for _, s := range r.order(recs) {
			if s.Target == "." {
				continue
			}
			via := "SRV"
			if s.Direct {
				via = "xmpps SRV"
			}
			for _, a := range r.Zone.addr[key(s.Target)] {
				out = append(out, Target{Host: s.Target, Addr: a, Port: s.Port, Via: via, Direct: s.Direct})
			}
		}
		if direct && len(r.Zone.srv[d]) == 0 {
			// Only _xmpps-server records: STARTTLS on the domain's own
			// address (RFC 6120 §3.2.1's fallback) comes after them.
			for _, a := range r.Zone.addr[d] {
				out = append(out, Target{Host: d, Addr: a, Port: DefaultPort, Via: "A"})
			}
		}
		if len(out) == 0 {
			return Answer{Domain: domain, Err: ErrNXDomain, Note: "SRV targets of " + d + " have no address records"}
		}
		a := Answer{Domain: domain, Targets: out}
		if !r.Quiet {
			a.Note = fmt.Sprintf("%s SRV -> %s", services, describe(out))
		}
		return a
	}
	if addrs := r.Zone.addr[d]; len(addrs) > 0 {
		out := make([]Target, 0, len(addrs))
		for _, a := range addrs {
			out = append(out, Target{Host: d, Addr: a, Port: DefaultPort, Via: "A"})
		}
		a := Answer{Domain: domain, Targets: out}
		if !r.Quiet {
			a.Note = fmt.Sprintf("no SRV for %s; address record fallback -> %s", d, describe(out))
		}
		return a
	}
	return Answer{Domain: domain, Err: ErrNXDomain, Note: "no SRV and no address record for " + d}
}

func describe(ts []Target) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%s:%d", t.Addr, t.Port)
		if t.Direct {
			parts[i] += " (Direct TLS)"
		}
	}
	return strings.Join(parts, ", ")
}

// order sorts by priority and, within a priority, draws targets with
// probability proportional to weight (RFC 2782 "Usage rules"). Records with
// weight 0 get a small chance, as RFC 2782 requires, by being placed first
// among equals before the weighted draw.
func (r *Resolver) order(recs []SRV) []SRV {
	if len(recs) == 1 {
		// Nothing to order; the draw is still made, so that the resolver's
		// random stream (and every later ordering) is what it always was.
		if w := recs[0].Weight; w > 0 && r.Rand != nil {
			r.Rand.IntN(w + 1)
		}
		return recs
	}
	sorted := append([]SRV(nil), recs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Priority < sorted[j].Priority })
	var out []SRV
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Priority == sorted[i].Priority {
			j++
		}
		group := append([]SRV(nil), sorted[i:j]...)
		sort.SliceStable(group, func(a, b int) bool { return group[a].Weight == 0 && group[b].Weight != 0 })
		for len(group) > 0 {
			total := 0
			for _, g := range group {
				total += g.Weight
			}
			pick := 0
			if total > 0 && r.Rand != nil {
				n := r.Rand.IntN(total + 1)
				run := 0
				for k, g := range group {
					run += g.Weight
					if run >= n {
						pick = k
						break
					}
				}
			}
			out = append(out, group[pick])
			group = append(group[:pick], group[pick+1:]...)
		}
		i = j
	}
	return out
}

// SRVRecords returns a copy of the SRV records of _xmpp-server._tcp.<domain>,
// in the order they were added: what a real DNS server serving this zone
// (package dns/server) puts on the wire.
func (z *Zone) SRVRecords(domain string) []SRV {
	return append([]SRV(nil), z.srv[key(domain)]...)
}

// DirectSRVRecords returns a copy of the SRV records of
// _xmpps-server._tcp.<domain> (XEP-0368), in the order they were added.
func (z *Zone) DirectSRVRecords(domain string) []SRV {
	return append([]SRV(nil), z.direct[key(domain)]...)
}

// Addrs returns a copy of host's address records, in the order they were
// added.
func (z *Zone) Addrs(host string) []string {
	return append([]string(nil), z.addr[key(host)]...)
}
