package ca

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"testing"
	"time"
)

var (
	t0  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day = 24 * time.Hour
)

func TestVerify(t *testing.T) {
	root := NewRoot("Lit Root CA", t0.Add(-365*day), t0.Add(365*day), []byte("root-secret"))
	other := NewRoot("Other CA", t0.Add(-365*day), t0.Add(365*day), []byte("other-secret"))
	valid := func(names ...string) Template {
		return Template{Subject: names[0], DNSNames: names, NotBefore: t0.Add(-day), NotAfter: t0.Add(90 * day)}
	}
	// A forger reuses the trusted root's name but not its secret.
	forger := NewRoot("Lit Root CA", t0.Add(-day), t0.Add(day), []byte("guess"))
	expired := valid("type5.lit")
	expired.NotAfter = t0.Add(-time.Hour)
	future := valid("type5.lit")
	future.NotBefore = t0.Add(time.Hour)
	cnOnly := Template{Subject: "type5.lit", NotBefore: t0.Add(-day), NotAfter: t0.Add(day)}

	v := Verifier{Roots: NewPool(root.Cert)}
	cases := []struct {
		name   string
		cert   *Cert
		domain string
		want   error
	}{
		{"issued by trusted root", root.Issue(valid("type5.lit")), "type5.lit", nil},
		{"case and trailing dot", root.Issue(valid("Type5.LIT.")), "type5.lit", nil},
		{"no certificate", nil, "type5.lit", ErrNoCertificate},
		{"self-signed", SelfSign(valid("type2.lit"), []byte("k")), "type2.lit", ErrSelfSigned},
		{"untrusted issuer", other.Issue(valid("type5.lit")), "type5.lit", ErrUntrustedIssuer},
		{"forged issuer name", forger.Issue(valid("type5.lit")), "type5.lit", ErrBadSignature},
		{"expired", root.Issue(expired), "type5.lit", ErrExpired},
		{"not yet valid", root.Issue(future), "type5.lit", ErrNotYetValid},
		{"name mismatch", root.Issue(valid("type3.lit")), "type5.lit", ErrNameMismatch},
		{"wildcard one label", root.Issue(valid("*.lit.example")), "chat.lit.example", nil},
		{"wildcard not parent", root.Issue(valid("*.lit.example")), "lit.example", ErrNameMismatch},
		{"wildcard not two labels", root.Issue(valid("*.lit.example")), "a.b.lit.example", ErrNameMismatch},
		{"partial-label wildcard refused", root.Issue(valid("ch*.lit.example")), "chat.lit.example", ErrNameMismatch},
		{"wildcard over a TLD refused", root.Issue(valid("*.lit")), "type5.lit", ErrNameMismatch},
		{"srv-id", root.Issue(Template{Subject: "x", SRVNames: []string{"_xmpp-server.type5.lit"}, NotBefore: t0.Add(-day), NotAfter: t0.Add(day)}), "type5.lit", nil},
		{"srv-id for clients does not count", root.Issue(Template{Subject: "x", SRVNames: []string{"_xmpp-client.type5.lit"}, NotBefore: t0.Add(-day), NotAfter: t0.Add(day)}), "type5.lit", ErrNameMismatch},
		{"xmppaddr", root.Issue(Template{Subject: "x", XMPPAddrs: []string{"type5.lit"}, NotBefore: t0.Add(-day), NotAfter: t0.Add(day)}), "type5.lit", nil},
		{"cn fallback without SAN", root.Issue(cnOnly), "type5.lit", nil},
		{"CA cert as leaf", root.Cert, "Lit Root CA", ErrCertificateRoles},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := v.Verify(c.cert, c.domain, t0)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want ok", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *VerifyError", err)
			}
		})
	}
	// RFC 9525: no CN fallback.
	strict := Verifier{Roots: NewPool(root.Cert), NoCNFallback: true}
	if err := strict.Verify(root.Issue(cnOnly), "type5.lit", t0); !errors.Is(err, ErrNameMismatch) {
		t.Fatalf("RFC 9525 verifier accepted a CN-only certificate: %v", err)
	}
	// Pinning a self-signed certificate makes exactly that certificate valid.
	ss := SelfSign(valid("type2.lit"), []byte("k"))
	pinned := Verifier{Roots: NewPool(ss)}
	if err := pinned.Verify(ss, "type2.lit", t0); err != nil {
		t.Fatalf("pinned self-signed: %v", err)
	}
}

func TestChainsAndRevocation(t *testing.T) {
	root := NewRoot("Root", t0.Add(-365*day), t0.Add(365*day), []byte("r"))
	inter := root.NewIntermediate("Intermediate", t0.Add(-day), t0.Add(day), []byte("i"))
	leaf := inter.Issue(Template{Subject: "type5.lit", DNSNames: []string{"type5.lit"}, NotBefore: t0.Add(-day), NotAfter: t0.Add(day)})
	pool := NewPool(root.Cert)
	v := Verifier{Roots: pool}
	if err := v.Verify(leaf, "type5.lit", t0); err != nil {
		t.Fatalf("leaf via intermediate: %v", err)
	}
	// Without the intermediate in the presented chain, the leaf is orphaned.
	bare := *leaf
	bare.Chain = nil
	if err := v.Verify(&bare, "type5.lit", t0); !errors.Is(err, ErrUntrustedIssuer) {
		t.Fatalf("leaf without its chain: %v", err)
	}
	// An intermediate forged under the same name does not verify.
	fake := NewRoot("Intermediate", t0.Add(-day), t0.Add(day), []byte("f"))
	forged := fake.Issue(Template{Subject: "type5.lit", DNSNames: []string{"type5.lit"}, NotBefore: t0.Add(-day), NotAfter: t0.Add(day)})
	forged.Chain = []*Cert{fake.Cert}
	if err := v.Verify(forged, "type5.lit", t0); err == nil {
		t.Fatal("forged intermediate accepted")
	}
	// Revoking the intermediate revokes what it issued; revoking the leaf too.
	pool.Revoke(inter.Cert)
	if err := v.Verify(leaf, "type5.lit", t0); !errors.Is(err, ErrRevoked) {
		t.Fatalf("leaf under revoked intermediate: %v", err)
	}
	p2 := NewPool(root.Cert)
	direct := root.Issue(Template{Subject: "type3.lit", DNSNames: []string{"type3.lit"}, NotBefore: t0.Add(-day), NotAfter: t0.Add(day)})
	p2.Revoke(direct)
	if err := (Verifier{Roots: p2}).Verify(direct, "type3.lit", t0); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked leaf: %v", err)
	}
}

// TestSignatureChecks: a pool reuses one HMAC state per issuer; checks
// interleaved across issuers, with tampered and forged certificates among
// them, give what a fresh HMAC computes, and the cache answers again the
// same way.
func TestSignatureChecks(t *testing.T) {
	a := NewRoot("A", t0.Add(-day), t0.Add(day), []byte("secret-a"))
	b := NewRoot("B", t0.Add(-day), t0.Add(day), []byte("secret-b"))
	forger := NewRoot("A", t0.Add(-day), t0.Add(day), []byte("not-a"))
	p := NewPool(a.Cert, b.Cert)
	type check struct {
		c, issuer *Cert
		want      bool
	}
	var checks []check
	for i := 0; i < 30; i++ {
		d := fmt.Sprintf("s%d.lit", i)
		tmpl := Template{Subject: d, DNSNames: []string{d, "*." + d}, SRVNames: []string{"_xmpp-server." + d}, NotBefore: t0.Add(-day), NotAfter: t0.Add(day)}
		switch i % 3 {
		case 0:
			checks = append(checks, check{a.Issue(tmpl), a.Cert, true})
		case 1:
			c := b.Issue(tmpl)
			checks = append(checks, check{c, b.Cert, true}, check{c, a.Cert, false})
			tampered := *c
			tampered.DNSNames = []string{"evil.lit"}
			checks = append(checks, check{&tampered, b.Cert, false})
		case 2:
			checks = append(checks, check{forger.Issue(tmpl), a.Cert, false})
		}
	}
	for round := 0; round < 2; round++ { // the second round answers from the cache
		for i, c := range checks {
			fresh := hmac.Equal(sign(c.issuer.key, c.c.tbs()), c.c.Sig)
			if got := p.signedBy(c.c, c.issuer); got != c.want || fresh != c.want {
				t.Fatalf("round %d, check %d (%s by %s): pool says %v, a fresh HMAC %v, want %v", round, i, c.c.Subject, c.issuer.Subject, got, fresh, c.want)
			}
		}
	}
	if len(p.macs) != 2 {
		t.Errorf("%d HMAC states for two issuers", len(p.macs))
	}
}

// RFC 6125 §6.4.2: a U-label and its A-label are the same name, in the
// certificate and in the reference identity alike (issue 14).
func TestInternationalizedNames(t *testing.T) {
	nb, na := time.Unix(0, 0), time.Unix(1<<40, 0)
	root := NewRoot("R", nb, na, []byte("r"))
	for _, c := range []struct {
		dns, xmpp []string
		domain    string
		want      bool
	}{
		{dns: []string{"xn--bcher-kva.example"}, domain: "bücher.example", want: true},
		{dns: []string{"bücher.example"}, domain: "xn--bcher-kva.example", want: true},
		{dns: []string{"*.xn--bcher-kva.example"}, domain: "xmpp.bücher.example", want: true},
		{xmpp: []string{"bücher.example"}, domain: "XN--BCHER-KVA.example", want: true},
		{dns: []string{"xn--bcher-kva.example"}, domain: "bucher.example", want: false},
	} {
		cert := root.Issue(Template{Subject: "x", DNSNames: c.dns, XMPPAddrs: c.xmpp, NotBefore: nb, NotAfter: na})
		if got := MatchName(cert, c.domain, false); got != c.want {
			t.Errorf("certificate %v %v for %s: match %v, want %v", c.dns, c.xmpp, c.domain, got, c.want)
		}
	}
}
