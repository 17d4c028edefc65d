package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/sim"
)

const day = 24 * time.Hour

// shift is an arbitrary offset from virtual to wall time, with seconds,
// so that a window that forgot to shift would be caught.
var shift = 400*day + 7*time.Second

// fixture is a small world's PKI: the implicit root every CA-issued
// certificate comes from (scenarios.ImplicitCA), its trust store, and the
// real twin of both.
type fixture struct {
	t    *testing.T
	root *ca.Authority
	pool *ca.Pool
	pki  *PKI
	n    int
}

// certWindow is scenarios' default certificate window.
func certWindow() (time.Time, time.Time) {
	return sim.Epoch.Add(-30 * day), sim.Epoch.Add(365 * day)
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t}
	nb, na := certWindow()
	f.root = ca.NewRoot("Lit Root CA", nb, na, f.secret())
	f.pool = ca.NewPool(f.root.Cert)
	f.pki = New(shift)
	if err := f.pki.AddPool(f.pool); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) secret() []byte {
	f.n++
	return fmt.Appendf(nil, "secret-%d", f.n)
}

func tmpl(domain string) ca.Template {
	nb, na := certWindow()
	return ca.Template{Subject: domain, DNSNames: []string{domain}, NotBefore: nb, NotAfter: na}
}

// real returns the chain a TLS peer would receive for c, parsed back from
// DER as crypto/tls parses it.
func (f *fixture) real(c *ca.Cert) []*x509.Certificate {
	f.t.Helper()
	if c == nil {
		return nil
	}
	tc, err := f.pki.Real(c)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*x509.Certificate
	for _, der := range tc.Certificate {
		x, err := x509.ParseCertificate(der)
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, x)
	}
	return out
}

// certCase makes a mock certificate in a fixture, as a fault of
// scenarios/faults.go (planCert) or a scenario file would.
type certCase struct {
	name string
	make func(f *fixture) *ca.Cert
	// domain is the reference identifier that should match (default
	// type5.lit); wrong never should.
	domain string
	strict bool // ca.Verifier.NoCNFallback
	// want is the mock's verdict for Verify(domain); the test checks that
	// the mock says it and that the real verifier agrees.
	want error
}

var certCases = []certCase{
	{name: "valid", make: func(f *fixture) *ca.Cert { return f.root.Issue(tmpl("type5.lit")) }},
	{name: "no certificate", make: func(f *fixture) *ca.Cert { return nil }, want: ca.ErrNoCertificate},
	// planCert's faults, one by one.
	{name: "cert-expired", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		nb, _ := certWindow()
		t.NotBefore, t.NotAfter = nb.Add(-400*day), sim.Epoch.Add(-day)
		return f.root.Issue(t)
	}, want: ca.ErrExpired},
	{name: "cert-not-yet-valid", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.NotBefore = sim.Epoch.Add(day)
		return f.root.Issue(t)
	}, want: ca.ErrNotYetValid},
	{name: "cert-wrong-name", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.Subject, t.DNSNames = "wrong.example", []string{"wrong.example"}
		return f.root.Issue(t)
	}, want: ca.ErrNameMismatch},
	{name: "cert-wildcard *.lit", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.DNSNames = []string{"*.lit"}
		return f.root.Issue(t)
	}, want: ca.ErrNameMismatch},
	{name: "cert-untrusted-ca, authority added", make: func(f *fixture) *ca.Cert {
		nb, na := certWindow()
		other := ca.NewRoot("Unknown CA", nb, na, f.secret())
		if err := f.pki.Add(other.Cert); err != nil {
			f.t.Fatal(err)
		}
		return other.Issue(tmpl("type5.lit"))
	}, want: ca.ErrUntrustedIssuer},
	{name: "cert-untrusted-ca, stand-in issuer", make: func(f *fixture) *ca.Cert {
		nb, na := certWindow()
		return ca.NewRoot("Unknown CA", nb, na, f.secret()).Issue(tmpl("type5.lit"))
	}, want: ca.ErrUntrustedIssuer},
	{name: "cert-revoked", make: func(f *fixture) *ca.Cert {
		c := f.root.Issue(tmpl("type5.lit"))
		f.pool.Revoke(c)
		return c
	}, want: ca.ErrRevoked},
	{name: "cert-revoked and untrusted", make: func(f *fixture) *ca.Cert {
		nb, na := certWindow()
		c := ca.NewRoot("Unknown CA", nb, na, f.secret()).Issue(tmpl("type5.lit"))
		f.pool.Revoke(c)
		return c
	}, want: ca.ErrRevoked},
	{name: "cert-intermediate", make: func(f *fixture) *ca.Cert {
		nb, na := certWindow()
		return f.root.NewIntermediate("Lit Intermediate CA", nb, na, f.secret()).Issue(tmpl("type5.lit"))
	}},
	{name: "two intermediates", make: func(f *fixture) *ca.Cert {
		nb, na := certWindow()
		i1 := f.root.NewIntermediate("Lit Intermediate CA", nb, na, f.secret())
		return i1.NewIntermediate("Lit Issuing CA", nb, na, f.secret()).Issue(tmpl("type5.lit"))
	}},
	{name: "revoked intermediate", make: func(f *fixture) *ca.Cert {
		nb, na := certWindow()
		i := f.root.NewIntermediate("Lit Intermediate CA", nb, na, f.secret())
		f.pool.Revoke(i.Cert)
		return i.Issue(tmpl("type5.lit"))
	}, want: ca.ErrRevoked},
	{name: "expired intermediate", make: func(f *fixture) *ca.Cert {
		nb, _ := certWindow()
		return f.root.NewIntermediate("Lit Intermediate CA", nb, sim.Epoch.Add(-day), f.secret()).Issue(tmpl("type5.lit"))
	}, want: ca.ErrIssuerExpired},
	{name: "expired root", make: func(f *fixture) *ca.Cert {
		nb, _ := certWindow()
		old := ca.NewRoot("Old Root CA", nb, sim.Epoch.Add(-day), f.secret())
		f.pool.Add(old.Cert)
		if err := f.pki.Add(old.Cert); err != nil {
			f.t.Fatal(err)
		}
		return old.Issue(tmpl("type5.lit"))
	}, want: ca.ErrIssuerExpired},
	{name: "cert-no-clientauth", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.NoClientAuth = true
		return f.root.Issue(t)
	}},
	{name: "no serverauth", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.NoServerAuth = true
		return f.root.Issue(t)
	}},
	{name: "neither TLS purpose", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.NoServerAuth, t.NoClientAuth = true, true
		return f.root.Issue(t)
	}},
	{name: "self-signed", make: func(f *fixture) *ca.Cert {
		return ca.SelfSign(tmpl("type5.lit"), f.secret())
	}, want: ca.ErrSelfSigned},
	{name: "self-signed, pinned", make: func(f *fixture) *ca.Cert {
		c := ca.SelfSign(tmpl("type5.lit"), f.secret())
		f.pool.Add(c)
		return c
	}},
	{name: "self-signed, another one pinned for the name", make: func(f *fixture) *ca.Cert {
		f.pool.Add(ca.SelfSign(tmpl("type5.lit"), f.secret()))
		return ca.SelfSign(tmpl("type5.lit"), f.secret())
	}, want: ca.ErrIssuerNotCA},
	{name: "self-signed, pinned and revoked", make: func(f *fixture) *ca.Cert {
		c := ca.SelfSign(tmpl("type5.lit"), f.secret())
		f.pool.Add(c)
		f.pool.Revoke(c)
		return c
	}, want: ca.ErrRevoked},
	{name: "forged issuer name", make: func(f *fixture) *ca.Cert {
		nb, na := certWindow()
		return ca.NewRoot("Lit Root CA", nb, na, []byte("guess")).Issue(tmpl("type5.lit"))
	}, want: ca.ErrBadSignature},
	{name: "CA certificate as a leaf", make: func(f *fixture) *ca.Cert { return f.root.Cert }, domain: "Lit Root CA", want: ca.ErrCertificateRoles},
	{name: "wildcard, one label", make: func(f *fixture) *ca.Cert {
		t := tmpl("*.lit.example")
		return f.root.Issue(t)
	}, domain: "chat.lit.example"},
	{name: "wildcard, not two labels", make: func(f *fixture) *ca.Cert {
		return f.root.Issue(tmpl("*.lit.example"))
	}, domain: "a.b.lit.example", want: ca.ErrNameMismatch},
	{name: "SRV-ID only", make: func(f *fixture) *ca.Cert {
		t := tmpl("x")
		t.DNSNames, t.SRVNames = nil, []string{"_xmpp-server.type5.lit"}
		return f.root.Issue(t)
	}},
	{name: "SRV-ID for clients does not count", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.DNSNames, t.SRVNames = nil, []string{"_xmpp-client.type5.lit"}
		return f.root.Issue(t)
	}, want: ca.ErrNameMismatch},
	{name: "XmppAddr only", make: func(f *fixture) *ca.Cert {
		t := tmpl("x")
		t.DNSNames, t.XMPPAddrs = nil, []string{"type5.lit"}
		return f.root.Issue(t)
	}},
	{name: "XmppAddr only, empty subject", make: func(f *fixture) *ca.Cert {
		t := tmpl("")
		t.DNSNames, t.XMPPAddrs = nil, []string{"type5.lit"}
		return f.root.Issue(t)
	}},
	{name: "all three identifier kinds", make: func(f *fixture) *ca.Cert {
		t := tmpl("x")
		t.DNSNames, t.SRVNames, t.XMPPAddrs = []string{"a.example"}, []string{"_xmpp-server.b.example"}, []string{"type5.lit"}
		return f.root.Issue(t)
	}},
	{name: "CN fallback without SAN", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.DNSNames = nil
		return f.root.Issue(t)
	}},
	{name: "no CN fallback (RFC 9525)", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.DNSNames = nil
		return f.root.Issue(t)
	}, strict: true, want: ca.ErrNameMismatch},
	{name: "CN ignored beside a SAN", make: func(f *fixture) *ca.Cert {
		t := tmpl("type5.lit")
		t.DNSNames = []string{"other.example"}
		return f.root.Issue(t)
	}, want: ca.ErrNameMismatch},
}

// sameVerdict reports whether the real verifier's error means what the
// mock's does: both nil, or both *ca.VerifyError around the same typed
// error.
func sameVerdict(mock, real error) error {
	if mock == nil && real == nil {
		return nil
	}
	if mock == nil || real == nil {
		return fmt.Errorf("mock %v, real %v", mock, real)
	}
	var mv, rv *ca.VerifyError
	if !errors.As(mock, &mv) || !errors.As(real, &rv) {
		return fmt.Errorf("not *ca.VerifyError: mock %T, real %T", mock, real)
	}
	if !errors.Is(real, mv.Err) {
		return fmt.Errorf("mock %v, real %v", mock, real)
	}
	return nil
}

// TestVerifyAgreesWithMock runs every certificate case through the mock
// verifier and the real one, for the matching and a wrong domain, chain
// only, and both purposes, and requires the same verdicts.
func TestVerifyAgreesWithMock(t *testing.T) {
	for _, c := range certCases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			cert := c.make(f)
			domain := c.domain
			if domain == "" {
				domain = "type5.lit"
			}
			mock := ca.Verifier{Roots: f.pool, NoCNFallback: c.strict}
			peer := f.real(cert)
			rv, err := f.pki.Verifier(mock)
			if err != nil {
				t.Fatal(err)
			}
			mockNow := sim.Epoch
			now := mockNow.Add(f.pki.Shift())

			got := mock.Verify(cert, domain, mockNow)
			if (c.want == nil) != (got == nil) || (c.want != nil && !errors.Is(got, c.want)) {
				t.Fatalf("the mock says %v, the case expects %v: fix the case", got, c.want)
			}
			checks := []struct {
				what       string
				mock, real error
			}{
				{"Verify " + domain, got, rv.Verify(peer, domain, now)},
				{"Verify wrong.example", mock.Verify(cert, "wrong.example", mockNow), rv.Verify(peer, "wrong.example", now)},
				{"VerifyChain", mock.VerifyChain(cert, mockNow), rv.VerifyChain(peer, now)},
				{"VerifyName", mock.VerifyName(cert, domain), rv.VerifyName(peer, domain)},
				{"CheckPurpose serverAuth", ca.CheckPurpose(cert, ca.ServerAuth), rv.CheckPurpose(peer, ca.ServerAuth)},
				{"CheckPurpose clientAuth", ca.CheckPurpose(cert, ca.ClientAuth), rv.CheckPurpose(peer, ca.ClientAuth)},
			}
			for _, ch := range checks {
				if err := sameVerdict(ch.mock, ch.real); err != nil {
					t.Errorf("%s: %v", ch.what, err)
				}
			}
			// Map gives back the very mock certificate, so a later mock
			// re-check (SASL EXTERNAL) agrees too.
			if m := f.pki.Map(peer); m != cert {
				t.Errorf("Map = %v, want the mock certificate %v", m, cert)
			}
			// The real error names the mock certificate, as the mock's does.
			var ve *ca.VerifyError
			if err := rv.Verify(peer, domain, now); errors.As(err, &ve) && cert != nil && ve.Cert != cert {
				t.Errorf("VerifyError.Cert = %v, want %v", ve.Cert, cert)
			}
		})
	}
}

// TestValidityIsShifted checks the window at its edges: a certificate is
// valid from NotBefore to NotAfter inclusive, shifted.
func TestValidityIsShifted(t *testing.T) {
	f := newFixture(t)
	c := f.root.Issue(tmpl("type5.lit"))
	peer := f.real(c)
	if !peer[0].NotBefore.Equal(c.NotBefore.Add(shift)) || !peer[0].NotAfter.Equal(c.NotAfter.Add(shift)) {
		t.Fatalf("window %v..%v, want %v..%v", peer[0].NotBefore, peer[0].NotAfter, c.NotBefore.Add(shift), c.NotAfter.Add(shift))
	}
	mock := ca.Verifier{Roots: f.pool}
	rv, err := f.pki.Verifier(mock)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{c.NotBefore.Add(-time.Second), c.NotBefore, c.NotAfter, c.NotAfter.Add(time.Second)} {
		if err := sameVerdict(mock.VerifyChain(c, at), rv.VerifyChain(peer, at.Add(shift))); err != nil {
			t.Errorf("at %v: %v", at, err)
		}
	}
}

// TestRevocationFollowsThePool: a Verifier made after the pool revokes a
// certificate sees it; the CRL of its issuer lists it.
func TestRevocationFollowsThePool(t *testing.T) {
	f := newFixture(t)
	c := f.root.Issue(tmpl("type5.lit"))
	peer := f.real(c)
	now := sim.Epoch.Add(shift)
	rv, err := f.pki.Verifier(ca.Verifier{Roots: f.pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.VerifyChain(peer, now); err != nil {
		t.Fatalf("before revocation: %v", err)
	}
	f.pool.Revoke(c)
	rv, err = f.pki.Verifier(ca.Verifier{Roots: f.pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.VerifyChain(peer, now); !errors.Is(err, ca.ErrRevoked) {
		t.Fatalf("after revocation: %v", err)
	}
	crls := rv.CRLs()
	if len(crls) != 1 || len(crls[0].RevokedCertificateEntries) != 1 || crls[0].RevokedCertificateEntries[0].SerialNumber.Cmp(peer[0].SerialNumber) != 0 {
		t.Fatalf("CRLs = %+v, want one listing serial %v", crls, peer[0].SerialNumber)
	}
	if err := crls[0].CheckSignatureFrom(f.real(f.root.Cert)[0]); err != nil {
		t.Fatalf("CRL not signed by the root: %v", err)
	}
}

// TestAuthorityAfterItsCertificate: a leaf added before its issuer went to
// a stand-in; adding the issuer then is an error, not a silent mismatch.
func TestAuthorityAfterItsCertificate(t *testing.T) {
	p := New(shift)
	nb, na := certWindow()
	root := ca.NewRoot("Late CA", nb, na, []byte("late"))
	if err := p.Add(root.Issue(tmpl("type5.lit"))); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(root.Cert); err == nil {
		t.Fatal("adding the issuer after its leaf succeeded")
	}
}
