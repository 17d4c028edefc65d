package dns

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/fedsim/fedsim/network/ca"
)

var (
	secInception  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	secExpiration = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	secNow        = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

// signedWorld: montague.example signed, with SRV, address and TLSA
// records; capulet.example unsigned, with the same shape.
func signedWorld(t *testing.T, seed string) (*Zone, ca.TLSA) {
	t.Helper()
	z := NewZone()
	z.EnableDNSSEC([]byte(seed), secInception, secExpiration)
	tlsa := ca.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: []byte("0123456789abcdef0123456789abcdef")}
	for _, d := range []string{"montague.example", "capulet.example"} {
		z.AddSRV(d, SRV{Target: "xmpp." + d, Port: 5269, Priority: 1, Weight: 1})
		z.AddAddr("xmpp."+d, "10.0.0."+map[string]string{"montague.example": "1", "capulet.example": "2"}[d])
		z.AddTLSA("xmpp."+d, 5269, tlsa)
	}
	if err := z.SignZone("montague.example"); err != nil {
		t.Fatal(err)
	}
	return z, tlsa
}

func resolver(z *Zone, validate bool) *Resolver {
	return &Resolver{Name: "r", Zone: z, Rand: rand.New(rand.NewPCG(1, 2)), Validate: validate,
		Calendar: func() time.Time { return secNow }}
}

// TestDNSSECVerdicts: a validating resolver says secure for the signed
// zone (and hands over its TLSA records, RFC 7673 §2.3), insecure for the
// unsigned one (and no TLSA: unusable, RFC 6698 §4.1); one that does not
// validate says nothing and passes TLSA records on as received.
func TestDNSSECVerdicts(t *testing.T) {
	z, tlsa := signedWorld(t, "seed-1")
	r := resolver(z, true)
	a := r.LookupServer("montague.example")
	if a.Err != nil || a.Security != Secure || len(a.Targets) != 1 {
		t.Fatalf("signed zone: %+v", a)
	}
	tg := a.Targets[0]
	if tg.Security != Secure || tg.TLSASecurity != Secure || len(tg.TLSA) != 1 || string(tg.TLSA[0].Data) != string(tlsa.Data) {
		t.Fatalf("signed target: %+v", tg)
	}
	if !strings.Contains(a.Note, "DNSSEC secure") || !strings.Contains(a.Note, "TLSA _5269._tcp.xmpp.montague.example: DANE-EE 3 1 1") {
		t.Fatalf("note: %s", a.Note)
	}
	a = r.LookupServer("capulet.example")
	if a.Err != nil || a.Security != Insecure || a.Targets[0].Security != Insecure || a.Targets[0].TLSA != nil {
		t.Fatalf("unsigned zone: %+v", a)
	}
	if !strings.Contains(a.SecurityNote, "capulet.example is not signed") {
		t.Fatalf("insecure reason: %q", a.SecurityNote)
	}
	nv := resolver(z, false)
	a = nv.LookupServer("montague.example")
	if a.Err != nil || a.Security != Unvalidated || a.Targets[0].TLSASecurity != Unvalidated || len(a.Targets[0].TLSA) != 1 {
		t.Fatalf("non-validating: %+v", a)
	}
}

// TestDNSSECPoisoning: the poisoner's records for a signed zone carry a
// signature made with a key of its own; a validating resolver finds them
// bogus and answers SERVFAIL. For the unsigned zone, or through a
// resolver that does not validate, the poison is believed.
func TestDNSSECPoisoning(t *testing.T) {
	z, _ := signedWorld(t, "seed-1")
	evil := []Target{{Host: "mallory.example", Addr: "10.6.6.6", Port: 5269, Via: "SRV"}}
	faults := []Fault{{Kind: Poison, Domain: "montague.example", Targets: evil}, {Kind: Poison, Domain: "capulet.example", Targets: evil}}
	for _, c := range []struct {
		validate bool
		domain   string
		bogus    bool
		sec      Security
	}{
		{true, "montague.example", true, Bogus},
		{true, "capulet.example", false, Insecure},
		{false, "montague.example", false, Unvalidated},
		{false, "capulet.example", false, Unvalidated},
	} {
		r := resolver(z, c.validate)
		r.Faults = &faults
		a := r.LookupServer(c.domain)
		if c.bogus {
			if !errors.Is(a.Err, ErrBogus) || a.Reason() != "dnssec-bogus" || !strings.Contains(a.Note, "does not verify with montague.example's DNSKEY") {
				t.Errorf("validate=%v %s: want bogus SERVFAIL, got %+v", c.validate, c.domain, a)
			}
			continue
		}
		if a.Err != nil || a.Targets[0].Addr != "10.6.6.6" || a.Security != c.sec {
			t.Errorf("validate=%v %s: want the poison believed (%v), got %+v", c.validate, c.domain, c.sec, a)
		}
	}
	// The poisoned targets are the fault's: the resolver must not write
	// into them.
	if evil[0].Security != Unvalidated || evil[0].TLSA != nil {
		t.Fatalf("fault targets modified: %+v", evil[0])
	}
}

// TestDNSSECExpiredSignatures: signatures outside their validity window
// make the zone bogus (RFC 4035 §5.3.1), though they verify.
func TestDNSSECExpiredSignatures(t *testing.T) {
	z, _ := signedWorld(t, "seed-1")
	z.SetSignatureWindow("montague.example", secInception.AddDate(-1, 0, 0), secInception.AddDate(0, 0, -1))
	a := resolver(z, true).LookupServer("montague.example")
	if !errors.Is(a.Err, ErrBogus) || !strings.Contains(a.Note, "is valid only from") {
		t.Fatalf("expired: %+v", a)
	}
	if a := resolver(z, false).LookupServer("montague.example"); a.Err != nil {
		t.Fatalf("a resolver that does not validate does not look at dates: %+v", a)
	}
}

// TestDNSSECAddressFallback: without SRV records, the signed NSEC that
// proves their absence and the signed address record make a secure
// answer (RFC 4035 §5.4).
func TestDNSSECAddressFallback(t *testing.T) {
	z := NewZone()
	z.EnableDNSSEC([]byte("s"), secInception, secExpiration)
	z.AddAddr("verona.example", "10.0.0.9")
	z.SignZone("verona.example")
	a := resolver(z, true).LookupServer("verona.example")
	if a.Err != nil || a.Security != Secure || a.Targets[0].Via != "A" || a.Targets[0].TLSASecurity != Secure || a.Targets[0].TLSA != nil {
		t.Fatalf("fallback: %+v", a)
	}
}

// TestDNSSECSignaturesAreReal: a signed RRset whose data is changed
// after signing no longer verifies (the check is miekg/dns's
// RRSIG.Verify, not a flag), and a signature from another zone's key does
// not verify either.
func TestDNSSECSignaturesAreReal(t *testing.T) {
	z, _ := signedWorld(t, "seed-1")
	set := z.signed("xmpp.montague.example", mdns.TypeA, addrRRs("xmpp.montague.example", []string{"10.0.0.1"}))
	if s, why := z.validate(set, secNow); s != Secure {
		t.Fatalf("untouched: %v %s", s, why)
	}
	tampered := set
	tampered.rrs = addrRRs("xmpp.montague.example", []string{"10.0.0.66"})
	if s, _ := z.validate(tampered, secNow); s != Bogus {
		t.Fatalf("tampered data: %v, want bogus", s)
	}
	z2, _ := signedWorld(t, "seed-2")
	other := z2.signed("xmpp.montague.example", mdns.TypeA, addrRRs("xmpp.montague.example", []string{"10.0.0.1"}))
	set.sig = other.sig
	if s, _ := z.validate(set, secNow); s != Bogus {
		t.Fatalf("another seed's signature: %v, want bogus", s)
	}
}

// TestDNSSECDeterministic: the same seed gives byte-identical keys and
// signatures; another seed gives others.
func TestDNSSECDeterministic(t *testing.T) {
	sigs := func(seed string) string {
		z, _ := signedWorld(t, seed)
		set := z.signed("_xmpp-server._tcp.montague.example", mdns.TypeSRV, srvRRs("montague.example", z.srv["montague.example"]))
		return z.TrustAnchor() + "\n" + set.sig.String()
	}
	a, b, c := sigs("seed-1"), sigs("seed-1"), sigs("seed-2")
	if a != b {
		t.Fatalf("same seed, different signatures:\n%s\n%s", a, b)
	}
	if a == c {
		t.Fatal("different seeds, same signatures")
	}
}
