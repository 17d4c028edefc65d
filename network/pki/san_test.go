package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/sim"
)

// generalName is one subjectAltName entry as read back by hand, without
// this package's parser: its tag and, for an otherName, the type-id, the
// value's universal tag and the value.
type generalName struct {
	tag      int
	oid      string
	valueTag int
	value    string
}

func readSAN(t *testing.T, x *x509.Certificate) (out []generalName, critical bool) {
	t.Helper()
	for _, ext := range x.Extensions {
		if !ext.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 17}) {
			continue
		}
		critical = ext.Critical
		var seq asn1.RawValue
		if _, err := asn1.Unmarshal(ext.Value, &seq); err != nil || seq.Tag != asn1.TagSequence {
			t.Fatalf("subjectAltName is not a SEQUENCE: %v", err)
		}
		for rest := seq.Bytes; len(rest) > 0; {
			var gn asn1.RawValue
			var err error
			if rest, err = asn1.Unmarshal(rest, &gn); err != nil {
				t.Fatal(err)
			}
			if gn.Class != asn1.ClassContextSpecific {
				t.Fatalf("GeneralName of class %d", gn.Class)
			}
			g := generalName{tag: gn.Tag}
			if gn.Tag == 0 {
				var on struct {
					ID    asn1.ObjectIdentifier
					Value asn1.RawValue `asn1:"explicit,tag:0"`
				}
				// otherName is [0] IMPLICIT SEQUENCE: read it as a SEQUENCE.
				if _, err := asn1.UnmarshalWithParams(gn.FullBytes, &on, "tag:0"); err != nil {
					t.Fatalf("otherName: %v", err)
				}
				// The [0] EXPLICIT wrapper's content is the string.
				var str asn1.RawValue
				if _, err := asn1.Unmarshal(on.Value.Bytes, &str); err != nil {
					t.Fatalf("otherName value: %v", err)
				}
				g.oid, g.valueTag, g.value = on.ID.String(), str.Tag, string(str.Bytes)
			} else {
				g.value = string(gn.Bytes)
			}
			out = append(out, g)
		}
	}
	return out, critical
}

// TestOtherNamesInDER parses the DER back with crypto/x509 and reads the
// subjectAltName by hand: the OIDs, string types and criticality are the
// RFCs'.
func TestOtherNamesInDER(t *testing.T) {
	f := newFixture(t)
	nb, na := certWindow()
	cases := []struct {
		name     string
		t        ca.Template
		want     []generalName
		critical bool
	}{
		{"dNSName only: crypto/x509 writes it", ca.Template{Subject: "type5.lit", DNSNames: []string{"type5.lit"}},
			[]generalName{{tag: 2, value: "type5.lit"}}, false},
		{"SRV-ID only", ca.Template{Subject: "x", SRVNames: []string{"_xmpp-server.type5.lit"}},
			[]generalName{{tag: 0, oid: "1.3.6.1.5.5.7.8.7", valueTag: asn1.TagIA5String, value: "_xmpp-server.type5.lit"}}, false},
		{"xmppAddr only, empty subject: critical (RFC 5280 §4.2.1.6)", ca.Template{XMPPAddrs: []string{"type5.lit"}},
			[]generalName{{tag: 0, oid: "1.3.6.1.5.5.7.8.5", valueTag: asn1.TagUTF8String, value: "type5.lit"}}, true},
		{"all three, DNS first", ca.Template{Subject: "x", DNSNames: []string{"a.example"}, SRVNames: []string{"_xmpp-server.b.example"}, XMPPAddrs: []string{"ü.example"}},
			[]generalName{
				{tag: 2, value: "a.example"},
				{tag: 0, oid: "1.3.6.1.5.5.7.8.7", valueTag: asn1.TagIA5String, value: "_xmpp-server.b.example"},
				{tag: 0, oid: "1.3.6.1.5.5.7.8.5", valueTag: asn1.TagUTF8String, value: "ü.example"},
			}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.t.NotBefore, c.t.NotAfter = nb, na
			m := f.root.Issue(c.t)
			x := f.real(m)[0]
			got, critical := readSAN(t, x)
			if !slices.Equal(got, c.want) || critical != c.critical {
				t.Fatalf("subjectAltName = %+v (critical %v), want %+v (critical %v)", got, critical, c.want, c.critical)
			}
			if !slices.Equal(x.DNSNames, m.DNSNames) {
				t.Errorf("crypto/x509 reads DNSNames %q, want %q", x.DNSNames, m.DNSNames)
			}
			n := namesOf(x)
			if !slices.Equal(n.srv, m.SRVNames) || !slices.Equal(n.xmpp, m.XMPPAddrs) {
				t.Errorf("namesOf = %+v, want SRV %q, XmppAddr %q", n, m.SRVNames, m.XMPPAddrs)
			}
		})
	}
}

// TestStdlibHostnameRulesDiffer records why VerifyName uses ca.MatchName:
// crypto/x509's VerifyHostname accepts a wildcard right under a top-level
// domain, which RFC 6125 §7.2 and the mock refuse.
func TestStdlibHostnameRulesDiffer(t *testing.T) {
	f := newFixture(t)
	tm := tmpl("type5.lit")
	tm.DNSNames = []string{"*.lit"}
	peer := f.real(f.root.Issue(tm))
	if err := peer[0].VerifyHostname("type5.lit"); err != nil {
		t.Logf("crypto/x509 now refuses *.lit too (%v): the doc comment of VerifyName can say so", err)
	}
	rv, err := f.pki.Verifier(ca.Verifier{Roots: f.pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.VerifyName(peer, "type5.lit"); !errors.Is(err, ca.ErrNameMismatch) {
		t.Fatalf("VerifyName(*.lit, type5.lit) = %v, want ErrNameMismatch", err)
	}
}

// foreign makes a certificate outside the scenario's PKI, as a real server
// or an attacker would hold: self-signed, or issued by a foreign root, with
// otherNames too.
func foreign(t *testing.T, issuer *x509.Certificate, issuerKey *ecdsa.PrivateKey, isCA bool, subject string, san []string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tm := &x509.Certificate{
		SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: subject},
		NotBefore: sim.Epoch.Add(shift - day), NotAfter: sim.Epoch.Add(shift + day),
		BasicConstraintsValid: true, IsCA: isCA,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if len(san) > 0 {
		ext, err := sanExtension(san, nil, san, false)
		if err != nil {
			t.Fatal(err)
		}
		tm.ExtraExtensions = []pkix.Extension{ext}
	}
	parent, signer := tm, key
	if issuer != nil {
		parent, signer = issuer, issuerKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tm, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return x, key
}

// TestMapForeign: a certificate the PKI did not make maps to a synthetic
// mock certificate with its names, window (shifted back), key usages and
// issuer; the mock verifier rejects it, and the real one agrees.
func TestMapForeign(t *testing.T) {
	f := newFixture(t)
	self, _ := foreign(t, nil, nil, false, "type5.lit", []string{"type5.lit"})
	froot, fkey := foreign(t, nil, nil, true, "Foreign CA", nil)
	leaf, _ := foreign(t, froot, fkey, false, "type5.lit", []string{"type5.lit"})
	// A foreign certificate that names the trusted root as its issuer.
	fake, fakeKey := foreign(t, nil, nil, true, "Lit Root CA", nil)
	forged, _ := foreign(t, fake, fakeKey, false, "type5.lit", []string{"type5.lit"})

	// One claiming to come from the scenario's intermediate, presented
	// with the real intermediate.
	nb, na := certWindow()
	inter := f.real(f.root.NewIntermediate("Lit Intermediate CA", nb, na, f.secret()).Cert)[0]
	fakeInter, fakeInterKey := foreign(t, nil, nil, true, "Lit Intermediate CA", nil)
	forgedUnder, _ := foreign(t, fakeInter, fakeInterKey, false, "type5.lit", []string{"type5.lit"})

	mock := ca.Verifier{Roots: f.pool}
	rv, err := f.pki.Verifier(mock)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		peer  []*x509.Certificate
		want  error
		chain int // how many presented certificates are the PKI's
	}{
		{"self-signed", []*x509.Certificate{self}, ca.ErrSelfSigned, 0},
		{"foreign CA", []*x509.Certificate{leaf}, ca.ErrUntrustedIssuer, 0},
		{"foreign CA, chain presented", []*x509.Certificate{leaf, froot}, ca.ErrUntrustedIssuer, 0},
		{"trusted issuer's name, other key", []*x509.Certificate{forged}, ca.ErrBadSignature, 0},
		{"under the scenario's intermediate, other key", []*x509.Certificate{forgedUnder, inter}, ca.ErrBadSignature, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := f.pki.Map(c.peer)
			x := c.peer[0]
			if m.Subject != "type5.lit" || !slices.Equal(m.DNSNames, []string{"type5.lit"}) || !slices.Equal(m.XMPPAddrs, []string{"type5.lit"}) ||
				m.Issuer != x.Issuer.CommonName || !m.NotBefore.Equal(sim.Epoch.Add(-day)) || !m.NotAfter.Equal(sim.Epoch.Add(day)) ||
				m.NoServerAuth || !m.NoClientAuth || m.IsCA || m.Serial != 77 || len(m.Chain) != c.chain {
				t.Fatalf("Map = %+v", m)
			}
			mockErr := mock.Verify(m, "type5.lit", sim.Epoch)
			if !errors.Is(mockErr, c.want) {
				t.Fatalf("mock verdict %v, want %v", mockErr, c.want)
			}
			if err := sameVerdict(mockErr, rv.Verify(c.peer, "type5.lit", sim.Epoch.Add(shift))); err != nil {
				t.Fatal(err)
			}
		})
	}
	if f.pki.Map(nil) != nil {
		t.Fatal("Map(nil) != nil")
	}
}

// TestUnhandledSANStaysUnhandled: a critical subjectAltName with an entry
// this package does not process (an rfc822Name here is read by
// crypto/x509; a registeredID is not) is not declared handled.
func TestUnhandledSANStaysUnhandled(t *testing.T) {
	names := []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 8, Bytes: []byte{0x2a, 0x03}}}
	der, err := asn1.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	x := &x509.Certificate{
		Extensions:                  []pkix.Extension{{Id: OIDSubjectAltName, Critical: true, Value: der}},
		UnhandledCriticalExtensions: []asn1.ObjectIdentifier{OIDSubjectAltName},
	}
	if got := withSANHandled(x); len(got.UnhandledCriticalExtensions) != 1 {
		t.Fatal("a registeredID was declared handled")
	}
}
