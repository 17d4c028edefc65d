package ca

import (
	"errors"
	"strings"
	"testing"
)

// TestVerifyDANE is RFC 7671 §5's table: what each usage checks.
func TestVerifyDANE(t *testing.T) {
	public := NewRoot("Public CA", t0.Add(-365*day), t0.Add(365*day), []byte("public"))
	private := NewRoot("Montague Private CA", t0.Add(-365*day), t0.Add(365*day), []byte("private"))
	tmpl := func(names ...string) Template {
		return Template{Subject: names[0], DNSNames: names, NotBefore: t0.Add(-day), NotAfter: t0.Add(90 * day)}
	}
	selfSigned := SelfSign(tmpl("montague.example"), []byte("ss"))
	expiredTmpl := tmpl("whatever.example")
	expiredTmpl.NotAfter = t0.Add(-day)
	expiredSelf := SelfSign(expiredTmpl, []byte("old"))
	privLeaf := WithChain(private.Issue(tmpl("xmpp.montague.example")), private.Cert)
	privWrongName := WithChain(private.Issue(tmpl("elsewhere.example")), private.Cert)
	privNotPresented := private.Issue(tmpl("xmpp.montague.example"))
	publicLeaf := public.Issue(tmpl("montague.example"))
	v := Verifier{Roots: NewPool(public.Cert)}
	refs := []string{"xmpp.montague.example", "montague.example"}
	rec := func(c *Cert, u, s, m uint8) TLSA {
		r, err := NewTLSA(c, u, s, m)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cases := []struct {
		name    string
		cert    *Cert
		records []TLSA
		want    error // nil: authenticated
		usage   uint8
	}{
		{"DANE-EE SPKI SHA-256 of a self-signed cert", selfSigned, []TLSA{rec(selfSigned, 3, 1, 1)}, nil, 3},
		{"DANE-EE full cert exact", selfSigned, []TLSA{rec(selfSigned, 3, 0, 0)}, nil, 3},
		{"DANE-EE full cert SHA-512", selfSigned, []TLSA{rec(selfSigned, 3, 0, 2)}, nil, 3},
		{"DANE-EE ignores names and dates (RFC 7671 §5.1)", expiredSelf, []TLSA{rec(expiredSelf, 3, 1, 1)}, nil, 3},
		{"DANE-EE of another certificate", selfSigned, []TLSA{rec(expiredSelf, 3, 1, 1)}, ErrDANEMismatch, 0},
		{"second record matches", selfSigned, []TLSA{rec(expiredSelf, 3, 1, 1), rec(selfSigned, 3, 1, 2)}, nil, 3},
		{"unknown usage is unusable", selfSigned, []TLSA{{Usage: 7, Selector: 1, MatchingType: 1, Data: rec(selfSigned, 3, 1, 1).Data}}, ErrDANEMismatch, 0},
		{"DANE-TA: private CA presented in the chain", privLeaf, []TLSA{rec(private.Cert, 2, 1, 1)}, nil, 2},
		{"DANE-TA: name must match the target or the domain", privWrongName, []TLSA{rec(private.Cert, 2, 1, 1)}, ErrNameMismatch, 0},
		{"DANE-TA: TA not presented (RFC 7671 §5.2.2)", privNotPresented, []TLSA{rec(private.Cert, 2, 1, 1)}, ErrDANEMismatch, 0},
		{"DANE-TA record does not vouch for the leaf itself", selfSigned, []TLSA{rec(selfSigned, 2, 1, 1)}, ErrDANEMismatch, 0},
		{"PKIX-EE: matches and PKIX-valid", publicLeaf, []TLSA{rec(publicLeaf, 1, 1, 1)}, nil, 1},
		{"PKIX-EE: matches but not PKIX-valid", selfSigned, []TLSA{rec(selfSigned, 1, 1, 1)}, ErrSelfSigned, 0},
		{"PKIX-TA: public root constrained", publicLeaf, []TLSA{rec(public.Cert, 0, 0, 1)}, nil, 0},
	}
	for _, c := range cases {
		res, err := VerifyDANE(c.cert, c.records, refs, v, t0)
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == nil && res.Usage != c.usage:
			t.Errorf("%s: authenticated by %s, want %s", c.name, res.How(), UsageName(c.usage))
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// TestTLSAAssociation: the selectors and matching types give what RFC
// 6698 §2.1.2 and §2.1.3 say, and a renewed certificate for the same key
// keeps its "3 1 1" record while its "3 0 1" record changes (RFC 7671
// §8.1).
func TestTLSAAssociation(t *testing.T) {
	root := NewRoot("CA", t0.Add(-365*day), t0.Add(365*day), []byte("r"))
	key := []byte("montague key")
	old := root.Issue(Template{Subject: "m", DNSNames: []string{"m"}, NotBefore: t0, NotAfter: t0.Add(day), PublicKey: key})
	renewed := root.Issue(Template{Subject: "m", DNSNames: []string{"m"}, NotBefore: t0.Add(day), NotAfter: t0.Add(90 * day), PublicKey: key})
	r311, _ := NewTLSA(old, 3, 1, 1)
	r301, _ := NewTLSA(old, 3, 0, 1)
	if !r311.Matches(renewed) || r301.Matches(renewed) {
		t.Fatalf("renewal: 3 1 1 matches %v (want true), 3 0 1 matches %v (want false)", r311.Matches(renewed), r301.Matches(renewed))
	}
	for _, c := range []struct {
		sel, match uint8
		n          int
	}{{0, 1, 32}, {1, 1, 32}, {0, 2, 64}, {1, 2, 64}, {1, 0, len(key)}} {
		d, err := Association(old, c.sel, c.match)
		if err != nil || len(d) != c.n {
			t.Errorf("selector %d matching %d: %d bytes, %v; want %d", c.sel, c.match, len(d), err, c.n)
		}
	}
	if _, err := Association(old, 2, 1); err == nil || !strings.Contains(err.Error(), "RFC 6698 §2.1.2") {
		t.Errorf("selector 2: %v", err)
	}
	if _, err := Association(old, 1, 3); err == nil {
		t.Error("matching type 3 accepted")
	}
	// A certificate without a named key still has an SPKI of its own, and
	// the pre-existing signature of such a certificate is unchanged.
	a, b := root.Issue(Template{Subject: "x", NotBefore: t0, NotAfter: t0}), root.Issue(Template{Subject: "x", NotBefore: t0, NotAfter: t0})
	if string(a.SPKI()) == string(b.SPKI()) {
		t.Fatal("two certificates share an SPKI without a named key")
	}
}

// TestPOSH is RFC 7711 §3: fingerprints served over HTTPS the public CAs
// vouch for, one url delegation, and what makes a document unusable.
func TestPOSH(t *testing.T) {
	public := NewRoot("Public CA", t0.Add(-365*day), t0.Add(365*day), []byte("public"))
	tmpl := func(n string) Template {
		return Template{Subject: n, DNSNames: []string{n}, NotBefore: t0.Add(-day), NotAfter: t0.Add(90 * day)}
	}
	xmpp := SelfSign(tmpl("hosting.example.net"), []byte("x")) // the XMPP server's cert: wrong name, self-signed
	other := SelfSign(tmpl("mallory.example"), []byte("m"))
	web := Web{
		"montague.example":    {Cert: public.Issue(tmpl("montague.example")), Documents: map[string][]byte{POSHPath: NewPOSHDocument(86400, xmpp)}},
		"capulet.example":     {Cert: public.Issue(tmpl("capulet.example")), Documents: map[string][]byte{POSHPath: NewPOSHDelegation(86400, "https://hosting.example.net/.well-known/posh/xmpp-server.json")}},
		"hosting.example.net": {Cert: public.Issue(tmpl("hosting.example.net")), Documents: map[string][]byte{POSHPath: NewPOSHDocument(86400, xmpp)}},
		"selfweb.example":     {Cert: SelfSign(tmpl("selfweb.example"), []byte("w")), Documents: map[string][]byte{POSHPath: NewPOSHDocument(86400, xmpp)}},
		"down.example":        {Cert: public.Issue(tmpl("down.example")), Down: true, Documents: map[string][]byte{POSHPath: NewPOSHDocument(86400, xmpp)}},
		"bad.example":         {Cert: public.Issue(tmpl("bad.example")), Documents: map[string][]byte{POSHPath: []byte(`{"fingerprints":[{"sha-256":"x"}]}`)}},
	}
	v := Verifier{Roots: NewPool(public.Cert)}
	cases := []struct {
		domain    string
		cert      *Cert
		want      error
		wantText  string
		delegated bool
	}{
		{"montague.example", xmpp, nil, "", false},
		{"capulet.example", xmpp, nil, "", true},
		{"montague.example", other, ErrPOSHMismatch, "", false},
		{"selfweb.example", xmpp, ErrSelfSigned, "HTTPS certificate", false},
		{"down.example", xmpp, ErrPOSHUnavailable, "unreachable", false},
		{"nowhere.example", xmpp, ErrPOSHUnavailable, "unreachable", false},
		{"bad.example", xmpp, nil, `no "expires"`, false},
	}
	for _, c := range cases {
		res, err := web.VerifyPOSH(c.cert, c.domain, v, t0)
		switch {
		case c.want == nil && c.wantText == "":
			if err != nil || res.Delegated != c.delegated {
				t.Errorf("%s: %+v %v", c.domain, res, err)
			}
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: %v, want %v", c.domain, err, c.want)
		case err == nil || !strings.Contains(err.Error(), c.wantText):
			t.Errorf("%s: %v, want it to say %q", c.domain, err, c.wantText)
		}
	}
	for _, bad := range []string{`[]`, `{"expires":1}`, `{"url":"http://x/y","expires":1}`, `{"expires":-1,"url":"https://x/y"}`} {
		if _, err := ParsePOSH([]byte(bad)); err == nil {
			t.Errorf("ParsePOSH(%s) accepted", bad)
		}
	}
}

// FuzzParsePOSH: a hostile web server's document never panics the
// parser, and what it accepts has what RFC 7711 §3 requires.
func FuzzParsePOSH(f *testing.F) {
	f.Add(NewPOSHDelegation(1, "https://h/p"))
	f.Add([]byte(`{"fingerprints":[{"sha-256":"AAAA"}],"expires":0}`))
	f.Add([]byte(`{"expires":1e400}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParsePOSH(b)
		if err == nil && (d.Expires == nil || (d.URL == "" && len(d.Fingerprints) == 0)) {
			t.Fatalf("accepted %q: %+v", b, d)
		}
	})
}
