package dns

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/fedsim/fedsim/network/ca"
)

// DNSSEC (RFC 4033–4035) in the mock DNS, with real signatures.
//
// The records, signatures and keys are github.com/miekg/dns's: every
// RRset an answer is built from is put in wire form and signed with
// RRSIG.Sign, and a validating resolver checks it with RRSIG.Verify and
// RRSIG.ValidityPeriod — fedsim does no signature arithmetic of its own.
// Keys are Ed25519 (algorithm 15, RFC 8080), derived from the world's seed
// (ed25519.NewKeyFromSeed), and Ed25519 signatures are deterministic
// (RFC 8032 §5.1.6), so the same seed signs the same bytes.
//
// The shape of the Internet is kept small: one root key, the trust anchor
// every validating resolver is configured with (RFC 4035 §4.4), which
// signs each signed zone's DS record and, for a zone that is not signed,
// an NSEC record proving there is no DS (RFC 4035 §5.2: the delegation is
// provably insecure). Each XMPP domain is the apex of its own zone; the
// SRV owner _xmpp-server._tcp.<domain>, host names under it, and TLSA
// owners _<port>._tcp.<host> belong to the longest such apex. A zone's one
// key (flags 257, KSK and ZSK at once) signs its DNSKEY RRset and every
// other RRset, and an NSEC at a name proves that a type is absent there
// (RFC 4035 §3.1.3).
//
// What a validating resolver concludes (RFC 4035 §4.3):
//   - Secure: the chain from the trust anchor to the RRset verifies.
//   - Insecure: the root proves the zone has no DS, so nothing can be
//     checked — and a poisoner's answer for that zone is believed.
//   - Bogus: something should have verified and did not: a forged or
//     missing RRSIG, one outside its validity period, a DNSKEY that does
//     not match its DS. The resolver answers SERVFAIL (RFC 4035 §5.5).
// A resolver that does not validate (Resolver.Validate false) reports
// Unvalidated and returns whatever it is given.

// Security is what a validating resolver concluded about an RRset
// (RFC 4035 §4.3).
type Security uint8

const (
	// Unvalidated: the resolver does not validate (the zero value: what
	// every resolver is unless Resolver.Validate is set).
	Unvalidated Security = iota
	// Secure: signed, and the chain of trust verifies.
	Secure
	// Insecure: provably unsigned.
	Insecure
	// Bogus: should be signed, does not verify.
	Bogus
)

func (s Security) String() string {
	return [...]string{"unvalidated", "secure", "insecure", "bogus"}[s]
}

// ErrBogus is the SERVFAIL a validating resolver answers for bogus data
// (RFC 4035 §5.5).
var ErrBogus = errors.New("SERVFAIL (DNSSEC bogus)")

// Signing parameters.
const (
	dnssecTTL = 3600
	rootName  = "."
)

// signing is a zone's DNSSEC state.
type signing struct {
	seed                  []byte
	root                  *zoneKey
	zones                 map[string]*zoneKey // by apex
	inception, expiration time.Time
	// windows overrides one apex's signature validity (a fault: a zone
	// whose signatures expired because its signer stopped).
	windows map[string][2]time.Time

	mu   sync.Mutex
	sigs map[string]*mdns.RRSIG // by signer and the RRset's text
	// chain caches a zone's DS/DNSKEY check (keys do not change).
	chain map[string]chainResult
	// verified caches RRSIG.Verify's verdicts by signature and RRset
	// (a pure function of them): a resolver asks for the same records
	// again and again, and Ed25519 verification was 40% of a DNSSEC pair's
	// run.
	verified map[string]error
}

type chainResult struct {
	sec    Security
	reason string
}

type zoneKey struct {
	apex string
	priv ed25519.PrivateKey
	pub  *mdns.DNSKEY
}

// deriveKey makes the Ed25519 key for apex from the seed.
func deriveKey(seed []byte, label, apex string) *zoneKey {
	h := sha256.New()
	h.Write([]byte("fedsim dnssec key\x00"))
	h.Write(seed)
	h.Write([]byte{0})
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write([]byte(apex))
	priv := ed25519.NewKeyFromSeed(h.Sum(nil))
	k := &mdns.DNSKEY{
		Hdr:       mdns.RR_Header{Name: mdns.Fqdn(apex), Rrtype: mdns.TypeDNSKEY, Class: mdns.ClassINET, Ttl: dnssecTTL},
		Flags:     mdns.ZONE | mdns.SEP, // 257: the zone's one key, also the secure entry point
		Protocol:  3,
		Algorithm: mdns.ED25519,
		PublicKey: base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)),
	}
	return &zoneKey{apex: apex, priv: priv, pub: k}
}

// EnableDNSSEC gives the zone a root key derived from seed (the trust
// anchor of validating resolvers) and a signature validity window; zones
// are signed with SignZone. Calling it again with the same seed changes
// nothing.
func (z *Zone) EnableDNSSEC(seed []byte, inception, expiration time.Time) {
	if z.sec != nil {
		return
	}
	z.sec = &signing{seed: append([]byte(nil), seed...), root: deriveKey(seed, "root", rootName),
		zones: map[string]*zoneKey{}, windows: map[string][2]time.Time{}, inception: inception, expiration: expiration,
		sigs: map[string]*mdns.RRSIG{}, chain: map[string]chainResult{}}
}

// DNSSEC reports whether EnableDNSSEC was called.
func (z *Zone) DNSSEC() bool { return z.sec != nil }

// SignZone signs domain's zone (it must follow EnableDNSSEC): the root
// publishes its DS, and every RRset under it is signed.
func (z *Zone) SignZone(domain string) error {
	if z.sec == nil {
		return fmt.Errorf("dns: SignZone(%s) before EnableDNSSEC", domain)
	}
	d := key(domain)
	z.sec.zones[d] = deriveKey(z.sec.seed, "zone", d)
	z.sec.chain = map[string]chainResult{}
	return nil
}

// Signed reports whether domain's zone is signed.
func (z *Zone) Signed(domain string) bool {
	return z.sec != nil && z.sec.zones[key(domain)] != nil
}

// SetSignatureWindow makes every signature of domain's zone valid only
// from inception to expiration (RFC 4034 §3.1.5): a window in the past is
// a zone whose signer stopped re-signing.
func (z *Zone) SetSignatureWindow(domain string, inception, expiration time.Time) {
	if z.sec != nil {
		z.sec.windows[key(domain)] = [2]time.Time{inception, expiration}
	}
}

// TrustAnchor is the root DNSKEY validating resolvers start from, in
// presentation form.
func (z *Zone) TrustAnchor() string {
	if z.sec == nil {
		return ""
	}
	return z.sec.root.pub.String()
}

// AddTLSA publishes a TLSA record for the TLS service on host:port
// (owner _<port>._tcp.<host>, RFC 6698 §3).
func (z *Zone) AddTLSA(host string, port int, t ca.TLSA) {
	n := TLSAOwner(host, port)
	if z.tlsa == nil {
		z.tlsa = map[string][]ca.TLSA{}
	}
	z.tlsa[n] = append(z.tlsa[n], t)
}

// ReplaceTLSA replaces the TLSA records of host:port (a rollover, or a
// botched one).
func (z *Zone) ReplaceTLSA(host string, port int, ts []ca.TLSA) {
	if z.tlsa == nil {
		z.tlsa = map[string][]ca.TLSA{}
	}
	z.tlsa[TLSAOwner(host, port)] = append([]ca.TLSA(nil), ts...)
}

// TLSAOwner is the owner name of host:port's TLSA records (RFC 6698 §3).
func TLSAOwner(host string, port int) string {
	return "_" + strconv.Itoa(port) + "._tcp." + key(host)
}

// TLSARecords returns a copy of the TLSA records of host:port.
func (z *Zone) TLSARecords(host string, port int) []ca.TLSA {
	return append([]ca.TLSA(nil), z.tlsa[TLSAOwner(host, port)]...)
}

// apex is the zone name owns: the longest signed apex it is at or under;
// otherwise the longest domain with SRV records it is at or under;
// otherwise the name without its first label (or the name itself).
func (z *Zone) apex(name string) string {
	name = key(name)
	best := ""
	under := func(d string) bool { return name == d || strings.HasSuffix(name, "."+d) }
	if z.sec != nil {
		for d := range z.sec.zones {
			if under(d) && len(d) > len(best) {
				best = d
			}
		}
		if best != "" {
			return best
		}
	}
	for d := range z.srv {
		if under(d) && len(d) > len(best) {
			best = d
		}
	}
	if best != "" {
		return best
	}
	for strings.HasPrefix(name, "_") {
		if _, rest, ok := strings.Cut(name, "."); ok {
			name = rest
		} else {
			break
		}
	}
	return name
}

// window is the signature validity window of apex.
func (s *signing) window(apex string) (time.Time, time.Time) {
	if w, ok := s.windows[apex]; ok {
		return w[0], w[1]
	}
	return s.inception, s.expiration
}

// sign returns the RRSIG k makes over rrset, from the cache when it was
// made before (same key, window and records).
func (s *signing) sign(k *zoneKey, rrset []mdns.RR, apex string) *mdns.RRSIG {
	inc, exp := s.window(apex)
	var b strings.Builder
	b.WriteString(k.apex)
	fmt.Fprintf(&b, "|%d|%d", inc.Unix(), exp.Unix())
	for _, rr := range rrset {
		b.WriteByte('|')
		b.WriteString(rr.String())
	}
	id := b.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sig := s.sigs[id]; sig != nil {
		return sig
	}
	sig := &mdns.RRSIG{
		Hdr:        mdns.RR_Header{Ttl: dnssecTTL},
		Algorithm:  mdns.ED25519,
		KeyTag:     k.pub.KeyTag(),
		SignerName: mdns.Fqdn(k.apex),
		Inception:  uint32(inc.Unix()),
		Expiration: uint32(exp.Unix()),
	}
	if err := sig.Sign(k.priv, rrset); err != nil {
		// Only a malformed RRset fails to sign; the records are built here.
		panic("dns: signing " + id + ": " + err.Error())
	}
	s.sigs[id] = sig
	return sig
}

// verify is sig.Verify(k, rrs), remembered by the signature's and the
// records' presentation form: the same bytes verify the same way.
func (s *signing) verify(sig *mdns.RRSIG, k *mdns.DNSKEY, rrs []mdns.RR) error {
	var b strings.Builder
	b.WriteString(sig.String())
	b.WriteByte('|')
	b.WriteString(k.String())
	for _, rr := range rrs {
		b.WriteByte('|')
		b.WriteString(rr.String())
	}
	id := b.String()
	s.mu.Lock()
	err, ok := s.verified[id]
	s.mu.Unlock()
	if ok {
		return err
	}
	err = sig.Verify(k, rrs)
	s.mu.Lock()
	if s.verified == nil {
		s.verified = map[string]error{}
	}
	s.verified[id] = err
	s.mu.Unlock()
	return err
}

// forge is the RRSIG a poisoner puts on its records: it names the zone's
// signer and key tag (both public) but is made with a key of its own, so
// it does not verify (RFC 4035 §5.3.3).
func (s *signing) forge(apex string, rrset []mdns.RR) *mdns.RRSIG {
	zk := s.zones[apex]
	if zk == nil {
		return nil
	}
	fake := deriveKey(s.seed, "poisoner", apex)
	fake.apex = zk.apex
	fake.pub = zk.pub // the tag and name it claims
	return s.sign(fake, rrset, apex)
}

// rrset is one RRset as a resolver receives it: records and signature.
type rrset struct {
	owner string
	typ   uint16
	rrs   []mdns.RR
	sig   *mdns.RRSIG
}

func hdr(owner string, typ uint16) mdns.RR_Header {
	return mdns.RR_Header{Name: mdns.Fqdn(owner), Rrtype: typ, Class: mdns.ClassINET, Ttl: dnssecTTL}
}

func srvRRs(domain string, recs []SRV) []mdns.RR {
	return srvRRsAt("_xmpp-server._tcp."+key(domain), recs)
}

func srvRRsAt(owner string, recs []SRV) []mdns.RR {
	var out []mdns.RR
	for _, s := range recs {
		out = append(out, &mdns.SRV{Hdr: hdr(owner, mdns.TypeSRV),
			Priority: uint16(s.Priority), Weight: uint16(s.Weight), Port: uint16(s.Port), Target: mdns.Fqdn(key(s.Target))})
	}
	return out
}

// addrRRs is host's address RRset. An RRset has one type (RFC 2181
// §5): when a host has addresses of two families, the set of the first
// one's family is the one signed and checked, and stands for both.
func addrRRs(host string, addrs []string) []mdns.RR {
	out := addrRRsAll(host, addrs)
	if len(out) > 1 {
		kept := out[:0]
		for _, rr := range out {
			if rr.Header().Rrtype == out[0].Header().Rrtype {
				kept = append(kept, rr)
			}
		}
		out = kept
	}
	return out
}

func addrRRsAll(host string, addrs []string) []mdns.RR {
	var out []mdns.RR
	for _, a := range addrs {
		ip := net.ParseIP(a)
		switch {
		case ip == nil:
			// A name that is no IP address (tests use "1"): carried as TXT so
			// that it is still signed and checked, byte for byte.
			out = append(out, &mdns.TXT{Hdr: hdr(host, mdns.TypeTXT), Txt: []string{a}})
		case ip.To4() != nil:
			out = append(out, &mdns.A{Hdr: hdr(host, mdns.TypeA), A: ip.To4()})
		default:
			out = append(out, &mdns.AAAA{Hdr: hdr(host, mdns.TypeAAAA), AAAA: ip})
		}
	}
	return out
}

func tlsaRRs(owner string, ts []ca.TLSA) []mdns.RR {
	var out []mdns.RR
	for _, t := range ts {
		out = append(out, &mdns.TLSA{Hdr: hdr(owner, mdns.TypeTLSA), Usage: t.Usage, Selector: t.Selector,
			MatchingType: t.MatchingType, Certificate: hex.EncodeToString(t.Data)})
	}
	return out
}

// signed returns what the zone serves for owner/typ: the records with the
// zone's RRSIG, or, when there are none, an NSEC proving it, signed too.
// Without DNSSEC, or in an unsigned zone, the records come unsigned.
func (z *Zone) signed(owner string, typ uint16, rrs []mdns.RR) rrset {
	out := rrset{owner: key(owner), typ: typ, rrs: rrs}
	if z.sec == nil {
		return out
	}
	apex := z.apex(owner)
	k := z.sec.zones[apex]
	if k == nil {
		return out
	}
	if len(rrs) == 0 {
		// Authenticated denial: an NSEC at the name whose bitmap lacks typ
		// (RFC 4035 §3.1.3.1). The next name is the name itself with a
		// zero label, which sorts right after it (RFC 4034 §6.1).
		nsec := &mdns.NSEC{Hdr: hdr(owner, mdns.TypeNSEC), NextDomain: "\\000." + mdns.Fqdn(key(owner)),
			TypeBitMap: []uint16{mdns.TypeRRSIG, mdns.TypeNSEC}}
		out.rrs = []mdns.RR{nsec}
		out.typ = mdns.TypeNSEC
	}
	out.sig = z.sec.sign(k, out.rrs, apex)
	return out
}

// validate is a validating resolver's verdict on an RRset (RFC 4035 §5),
// with the reason in words.
func (z *Zone) validate(set rrset, now time.Time) (Security, string) {
	if z.sec == nil {
		return Insecure, "no zone is signed"
	}
	apex := z.apex(set.owner)
	sec, why := z.validateChain(apex)
	if sec != Secure {
		return sec, why
	}
	zk := z.sec.zones[apex]
	if set.sig == nil {
		return Bogus, fmt.Sprintf("%s %s comes without an RRSIG but %s is signed", set.owner, mdns.TypeToString[set.typ], apex)
	}
	if err := z.sec.verify(set.sig, zk.pub, set.rrs); err != nil {
		return Bogus, fmt.Sprintf("the RRSIG over %s %s does not verify with %s's DNSKEY (key tag %d): %v", set.owner, mdns.TypeToString[set.typ], apex, zk.pub.KeyTag(), err)
	}
	if !set.sig.ValidityPeriod(now) {
		return Bogus, fmt.Sprintf("the RRSIG over %s %s is valid only from %s to %s (RFC 4035 §5.3.1)", set.owner, mdns.TypeToString[set.typ],
			time.Unix(int64(set.sig.Inception), 0).UTC().Format(time.RFC3339), time.Unix(int64(set.sig.Expiration), 0).UTC().Format(time.RFC3339))
	}
	if set.typ == mdns.TypeNSEC {
		return Secure, fmt.Sprintf("no %s at %s, proven by a signed NSEC", "such record", set.owner)
	}
	return Secure, fmt.Sprintf("signed by %s (key tag %d), chain from the root verified", apex, zk.pub.KeyTag())
}

// validateChain checks apex's delegation from the trust anchor: the
// root's signed DS and the zone's DNSKEY RRset signed by the key the DS
// names (RFC 4035 §5.2), or the root's signed NSEC proving no DS.
func (z *Zone) validateChain(apex string) (Security, string) {
	s := z.sec
	s.mu.Lock()
	c, ok := s.chain[apex]
	s.mu.Unlock()
	if ok {
		return c.sec, c.reason
	}
	sec, why := z.checkChain(apex)
	s.mu.Lock()
	s.chain[apex] = chainResult{sec, why}
	s.mu.Unlock()
	return sec, why
}

func (z *Zone) checkChain(apex string) (Security, string) {
	s := z.sec
	rootSet := []mdns.RR{s.root.pub}
	rootSig := s.sign(s.root, rootSet, rootName)
	if err := rootSig.Verify(s.root.pub, rootSet); err != nil {
		return Bogus, "the root DNSKEY does not verify with the trust anchor: " + err.Error()
	}
	zk := s.zones[apex]
	if zk == nil {
		nsec := []mdns.RR{&mdns.NSEC{Hdr: hdr(apex, mdns.TypeNSEC), NextDomain: "\\000." + mdns.Fqdn(apex),
			TypeBitMap: []uint16{mdns.TypeNS, mdns.TypeRRSIG, mdns.TypeNSEC}}}
		sig := s.sign(s.root, nsec, rootName)
		if err := sig.Verify(s.root.pub, nsec); err != nil {
			return Bogus, "the root's NSEC for " + apex + " does not verify: " + err.Error()
		}
		return Insecure, apex + " is not signed: the root proves it has no DS (signed NSEC)"
	}
	ds := zk.pub.ToDS(mdns.SHA256)
	dsSet := []mdns.RR{ds}
	if err := s.sign(s.root, dsSet, rootName).Verify(s.root.pub, dsSet); err != nil {
		return Bogus, "the root's DS for " + apex + " does not verify: " + err.Error()
	}
	keySet := []mdns.RR{zk.pub}
	if got := zk.pub.ToDS(ds.DigestType); got == nil || !strings.EqualFold(got.Digest, ds.Digest) {
		return Bogus, apex + "'s DNSKEY does not match its DS"
	}
	if err := s.sign(zk, keySet, apex).Verify(zk.pub, keySet); err != nil {
		return Bogus, apex + "'s DNSKEY RRset does not verify: " + err.Error()
	}
	return Secure, ""
}

// now is the calendar time signatures are checked against.
func (r *Resolver) calendar() time.Time {
	if r.Calendar != nil {
		return r.Calendar()
	}
	if r.Zone.sec != nil {
		return r.Zone.sec.inception
	}
	return time.Time{}
}

// secure adds what DNSSEC and TLSA say to an answer with targets: the
// records it was built from, as received (the zone's, signed if the zone
// is; or a poisoner's, whose signature is forged), and, for a validating
// resolver, the verdict on each RRset. An answer without DNSSEC or TLSA
// anywhere in the zone, from a resolver that does not validate, is
// returned as it was.
func (r *Resolver) secure(a Answer, poisoned bool) Answer {
	z := r.Zone
	if a.Err != nil || a.Lost || len(a.Targets) == 0 || (z.sec == nil && z.tlsa == nil && !r.Validate) {
		return a
	}
	d := key(a.Domain)
	// "SRV" or "xmpps SRV" (XEP-0368): the targets came from SRV records.
	viaSRV := a.Targets[0].Via != "A"
	// The RRsets the resolver received.
	var first rrset
	var denial *rrset
	addrSets := map[string]rrset{}
	if poisoned {
		// The poisoner answers the query that was asked: an SRV RRset for
		// _xmpp-server._tcp.<domain> pointing at its host (whatever it
		// calls the record), or the domain's own address record.
		viaSRV = a.Targets[0].Via != "A"
		if viaSRV {
			var recs []SRV
			seen := map[string]bool{}
			for _, t := range a.Targets {
				if !seen[t.Host+"\x00"+fmt.Sprint(t.Port)] {
					seen[t.Host+"\x00"+fmt.Sprint(t.Port)] = true
					recs = append(recs, SRV{Target: t.Host, Port: t.Port})
				}
			}
			first = z.forged("_xmpp-server._tcp."+d, mdns.TypeSRV, srvRRs(d, recs))
		}
		hosts := map[string][]string{}
		var order []string
		for _, t := range a.Targets {
			if hosts[key(t.Host)] == nil {
				order = append(order, key(t.Host))
			}
			hosts[key(t.Host)] = append(hosts[key(t.Host)], t.Addr)
		}
		for _, h := range order {
			set := z.forged(h, addrType(hosts[h]), addrRRs(h, hosts[h]))
			addrSets[h] = set
			if !viaSRV && h == d {
				first = set
			}
		}
	} else {
		if viaSRV {
			first = z.signed("_xmpp-server._tcp."+d, mdns.TypeSRV, srvRRs(d, z.srv[d]))
			if ds := z.direct[d]; len(ds) > 0 && len(z.srv[d]) == 0 {
				first = z.signed("_xmpps-server._tcp."+d, mdns.TypeSRV, srvRRsAt("_xmpps-server._tcp."+d, ds))
			} else if len(ds) > 0 {
				// Both sets were asked (XEP-0368 §3): the second must
				// verify too, and stands as the "denial" check below.
				second := z.signed("_xmpps-server._tcp."+d, mdns.TypeSRV, srvRRsAt("_xmpps-server._tcp."+d, ds))
				denial = &second
			}
		} else {
			den := z.signed("_xmpp-server._tcp."+d, mdns.TypeSRV, nil)
			denial = &den
		}
		for _, t := range a.Targets {
			h := key(t.Host)
			if _, ok := addrSets[h]; !ok {
				addrSets[h] = z.signed(h, addrType(z.addr[h]), addrRRs(h, z.addr[h]))
			}
		}
		if !viaSRV {
			first = addrSets[d]
		}
	}
	if first.owner == "" {
		// A poisoned address answer for another host name than the domain.
		first = addrSets[key(a.Targets[0].Host)]
	}
	out := a
	out.Targets = make([]Target, 0, len(a.Targets))
	if !r.Validate {
		// A resolver that does not validate passes on what it received,
		// TLSA records included, and can vouch for none of it.
		for _, t := range a.Targets {
			if !poisoned {
				t.TLSA = z.TLSARecords(t.Host, t.Port)
			}
			out.Targets = append(out.Targets, t)
		}
		return out
	}
	now := r.calendar()
	sec, why := z.validate(first, now)
	if denial != nil && sec != Bogus {
		if ds, dwhy := z.validate(*denial, now); ds == Bogus {
			sec, why = ds, dwhy
		}
	}
	if sec == Bogus {
		what := "the answer for " + a.Domain
		if poisoned {
			what = "the POISONED answer for " + a.Domain + " (-> " + describe(a.Targets) + ")"
		}
		return Answer{Domain: a.Domain, Err: ErrBogus, Security: Bogus, SecurityNote: why, Poisoned: poisoned,
			Note: "DNSSEC: " + what + " is bogus, answered SERVFAIL (RFC 4035 §5.5): " + why}
	}
	out.Security, out.SecurityNote = sec, why
	var dropped []string
	for _, t := range a.Targets {
		set := addrSets[key(t.Host)]
		ts, twhy := z.validate(set, now)
		if ts == Bogus {
			// RFC 4035 §5.5: bogus address records are not returned; the
			// target cannot be used.
			dropped = append(dropped, t.Host+": "+twhy)
			continue
		}
		t.Security = ts
		if sec == Secure && ts == Secure && !poisoned {
			// RFC 7673 §2.1-§2.3: TLSA records are looked up only for a
			// target reached through secure SRV and address records.
			owner := TLSAOwner(t.Host, t.Port)
			recs := z.tlsa[owner]
			tset := z.signed(owner, mdns.TypeTLSA, tlsaRRs(owner, recs))
			t.TLSASecurity, _ = z.validate(tset, now)
			if t.TLSASecurity != Bogus {
				t.TLSA = append([]ca.TLSA(nil), recs...)
			}
		}
		out.Targets = append(out.Targets, t)
	}
	if len(out.Targets) == 0 {
		return Answer{Domain: a.Domain, Err: ErrBogus, Security: Bogus, SecurityNote: strings.Join(dropped, "; "),
			Note: "DNSSEC: every target of " + a.Domain + " has bogus address records, answered SERVFAIL (RFC 4035 §5.5): " + strings.Join(dropped, "; ")}
	}
	if !r.Quiet || poisoned {
		out.Note += "; DNSSEC " + sec.String()
		if sec != Secure {
			out.Note += ": " + why
		}
		for _, t := range out.Targets {
			if len(t.TLSA) > 0 && t.TLSASecurity == Secure {
				out.Note += fmt.Sprintf("; TLSA %s: %s", TLSAOwner(t.Host, t.Port), describeTLSA(t.TLSA))
			}
		}
		if len(dropped) > 0 {
			out.Note += "; dropped (bogus): " + strings.Join(dropped, "; ")
		}
	}
	return out
}

func describeTLSA(ts []ca.TLSA) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = ca.UsageName(t.Usage) + " " + t.String()
	}
	return strings.Join(parts, ", ")
}

func addrType(addrs []string) uint16 {
	if rrs := addrRRs("x", addrs); len(rrs) > 0 {
		return rrs[0].Header().Rrtype
	}
	return mdns.TypeA
}

// forged is a poisoner's RRset: its own records; in a signed zone, with a
// signature it cannot make verify (see signing.forge); in an unsigned one,
// as unsigned as the real records.
func (z *Zone) forged(owner string, typ uint16, rrs []mdns.RR) rrset {
	out := rrset{owner: key(owner), typ: typ, rrs: rrs}
	if z.sec != nil {
		out.sig = z.sec.forge(z.apex(owner), rrs)
	}
	return out
}
