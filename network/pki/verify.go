package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/fedsim/fedsim/network/ca"
)

// Verifier is the real counterpart of a ca.Verifier: its trust store's
// roots as X.509 trust anchors (authorities) and pinned certificates
// (self-signed leaves), its revocations as one CRL per authority, and the
// same identity rules. Its methods mirror ca.Verifier's and fail with the
// same typed errors, as *ca.VerifyError values whose Cert is Map of the
// peer chain: test them with errors.Is(err, ca.ErrExpired) and so on.
//
// Times are wall-clock times (real = mock + PKI.Shift()).
type Verifier struct {
	pki  *PKI
	mock ca.Verifier
	ts   *trustSet

	_ struct{}
}

// trustSet is what a Verifier derives from one pool.
type trustSet struct {
	gen     int      // len(PKI.order) when made
	revoked []*entry // the pool's revoked certificates among the PKI's
	anchors []anchor // the pool's roots, in its order
	roots   *x509.CertPool
	crls    []crl
	// revokedSelf holds revoked self-signed leaves by fingerprint: no CRL
	// can list them (a CRL is signed by an issuer's CRL-signing key, RFC
	// 5280 §5, and a self-signed end-entity has none).
	revokedSelf map[[sha256.Size]byte]bool
}

type anchor struct {
	cert *x509.Certificate
	isCA bool // false: a pinned self-signed certificate
}

type crl struct {
	issuer *entry
	list   *x509.RevocationList
}

// Verifier returns the real counterpart of v. It adds v's roots to the
// PKI. The anchors and CRLs are made once per pool and made again when the
// PKI has gained certificates or the pool's revocations changed, so call
// it per handshake if that is convenient.
func (p *PKI) Verifier(v ca.Verifier) (*Verifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range v.Roots.Roots() {
		if _, err := p.add(r); err != nil {
			return nil, err
		}
	}
	var revoked []*entry
	for _, e := range p.order {
		if v.Roots.IsRevoked(e.mock) {
			revoked = append(revoked, e)
		}
	}
	ts := p.trusts[v.Roots]
	if ts == nil || ts.gen != len(p.order) || !slices.Equal(ts.revoked, revoked) {
		var err error
		if ts, err = p.newTrustSet(v.Roots, revoked); err != nil {
			return nil, err
		}
		p.trusts[v.Roots] = ts
	}
	return &Verifier{pki: p, mock: v, ts: ts}, nil
}

// newTrustSet makes the anchors and CRLs of pool; p.mu is held.
func (p *PKI) newTrustSet(pool *ca.Pool, revoked []*entry) (*trustSet, error) {
	ts := &trustSet{gen: len(p.order), revoked: revoked, roots: x509.NewCertPool(), revokedSelf: map[[sha256.Size]byte]bool{}}
	for _, r := range pool.Roots() {
		e := p.byMock[r]
		a := anchor{cert: e.cert, isCA: r.IsCA}
		ts.anchors = append(ts.anchors, a)
		if a.isCA {
			ts.roots.AddCert(e.cert)
		}
	}
	for _, a := range p.order {
		if !a.mock.IsCA {
			if a.issuer == a && slices.Contains(revoked, a) {
				ts.revokedSelf[sha256.Sum256(a.cert.Raw)] = true
			}
			continue
		}
		// RFC 5280 §5: one CRL per authority, listing the serials of the
		// certificates it issued that the pool revokes; an authority with
		// none still gets an (empty) CRL, which a relying party that checks
		// CRLs needs for every issuer on a chain.
		tmpl := &x509.RevocationList{
			Number:     big.NewInt(int64(ts.gen) + 1),
			ThisUpdate: a.cert.NotBefore,
			NextUpdate: a.cert.NotAfter,
		}
		if !tmpl.NextUpdate.After(tmpl.ThisUpdate) {
			tmpl.NextUpdate = tmpl.ThisUpdate.Add(time.Second)
		}
		for _, r := range revoked {
			if r.issuer == a && r != a {
				tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
					x509.RevocationListEntry{SerialNumber: r.cert.SerialNumber, RevocationTime: tmpl.ThisUpdate})
			}
		}
		der, err := x509.CreateRevocationList(rand.Reader, tmpl, a.cert, a.key)
		if err != nil {
			return nil, fmt.Errorf("pki: CRL of %s: %w", a.mock, err)
		}
		list, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, fmt.Errorf("pki: CRL of %s: %w", a.mock, err)
		}
		if err := list.CheckSignatureFrom(a.cert); err != nil {
			return nil, fmt.Errorf("pki: CRL of %s: %w", a.mock, err)
		}
		ts.crls = append(ts.crls, crl{issuer: a, list: list})
	}
	return ts, nil
}

// Anchors lists the real counterparts of the pool's roots, in its order:
// what a real server is told to trust.
func (v *Verifier) Anchors() []*x509.Certificate {
	out := make([]*x509.Certificate, 0, len(v.ts.anchors))
	for _, a := range v.ts.anchors {
		out = append(out, a.cert)
	}
	return out
}

// CRLs lists one CRL per authority the PKI holds, in the order they were
// added, each listing the certificates it issued that the pool revokes.
func (v *Verifier) CRLs() []*x509.RevocationList {
	out := make([]*x509.RevocationList, 0, len(v.ts.crls))
	for _, c := range v.ts.crls {
		out = append(out, c.list)
	}
	return out
}

// isRevoked looks x up in the CRL of its issuer, found as RFC 5280 §6.3.3
// does: the CRL's issuer name and authority key identifier are x's.
func (t *trustSet) isRevoked(x *x509.Certificate) bool {
	if t.revokedSelf[sha256.Sum256(x.Raw)] {
		return true
	}
	for _, c := range t.crls {
		if !bytes.Equal(c.list.RawIssuer, x.RawIssuer) || !bytes.Equal(c.list.AuthorityKeyId, x.AuthorityKeyId) {
			continue
		}
		for _, r := range c.list.RevokedCertificateEntries {
			if r.SerialNumber.Cmp(x.SerialNumber) == 0 {
				return true
			}
		}
	}
	return false
}

// anchorFor is the first root whose subject is name, as ca.Pool finds an
// issuer by name.
func (t *trustSet) anchorFor(name []byte) *anchor {
	for i := range t.anchors {
		if bytes.Equal(t.anchors[i].cert.RawSubject, name) {
			return &t.anchors[i]
		}
	}
	return nil
}

func (v *Verifier) fail(peer []*x509.Certificate, err error, detail string) error {
	return &ca.VerifyError{Err: err, Cert: v.pki.Map(peer), Detail: detail}
}

// VerifyChain is ca.Verifier.VerifyChain for a real peer chain (leaf
// first): the leaf is not a CA, is valid at now and not revoked, and
// chains to a trusted root through the intermediates presented with it,
// each not revoked — or it is exactly a pinned certificate. Chain building
// and signatures are crypto/x509's (Certificate.Verify, any extended key
// usage: CheckPurpose checks that apart, as the mock does); when it finds
// no chain, the chain is walked as the mock walks it to say which check
// failed.
func (v *Verifier) VerifyChain(peer []*x509.Certificate, now time.Time) error {
	peer = v.pki.presented(peer)
	if len(peer) == 0 {
		return &ca.VerifyError{Err: ca.ErrNoCertificate}
	}
	leaf := peer[0]
	if leaf.BasicConstraintsValid && leaf.IsCA {
		return v.fail(peer, ca.ErrCertificateRoles, "")
	}
	if now.Before(leaf.NotBefore) {
		return v.fail(peer, ca.ErrNotYetValid, "valid from "+leaf.NotBefore.Format(time.RFC3339))
	}
	if now.After(leaf.NotAfter) {
		return v.fail(peer, ca.ErrExpired, "expired "+leaf.NotAfter.Format(time.RFC3339))
	}
	if v.ts.isRevoked(leaf) {
		return v.fail(peer, ca.ErrRevoked, fmt.Sprintf("serial %s of %s", leaf.SerialNumber, leaf.Issuer.CommonName))
	}
	if a := v.ts.anchorFor(leaf.RawIssuer); a != nil && !a.isCA {
		// A pinned self-signed certificate: exactly that one is accepted.
		if !bytes.Equal(a.cert.Raw, leaf.Raw) {
			return v.fail(peer, ca.ErrIssuerNotCA, "")
		}
		return nil
	}
	inter := x509.NewCertPool()
	for _, ic := range peer[1:] {
		if ic != nil {
			inter.AddCert(ic)
		}
	}
	chains, err := withSANHandled(leaf).Verify(x509.VerifyOptions{
		Roots: v.ts.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return v.diagnose(peer, now, err)
	}
	// A chain holds if none of its intermediates is revoked (the root is a
	// trust anchor: RFC 5280 §6.1 does not check it).
	var revoked *x509.Certificate
	for _, chain := range chains {
		bad := false
		for _, ic := range chain[1 : len(chain)-1] {
			if v.ts.isRevoked(ic) {
				bad, revoked = true, ic
				break
			}
		}
		if !bad {
			return nil
		}
	}
	return v.fail(peer, ca.ErrRevoked, "intermediate "+revoked.Subject.CommonName)
}

// diagnose says which of the mock's checks the chain fails, given that
// crypto/x509 found no chain (xerr). It walks from the leaf as
// ca.Verifier.VerifyChain does: a trusted issuer ends the walk (pinned:
// not a CA; expired; bad signature), else the issuer must be among the
// presented intermediates (a CA, valid, its signature, not revoked).
func (v *Verifier) diagnose(peer []*x509.Certificate, now time.Time, xerr error) error {
	leaf := peer[0]
	detail := "x509: " + xerr.Error()
	var cie x509.CertificateInvalidError
	if errors.As(xerr, &cie) && cie.Cert != nil && !bytes.Equal(cie.Cert.Raw, leaf.Raw) {
		switch cie.Reason {
		case x509.Expired:
			return v.fail(peer, ca.ErrIssuerExpired, cie.Cert.Subject.CommonName)
		case x509.NotAuthorizedToSign:
			return v.fail(peer, ca.ErrIssuerNotCA, cie.Cert.Subject.CommonName)
		}
	}
	cur := leaf
	for depth := 0; depth < len(peer); depth++ {
		if a := v.ts.anchorFor(cur.RawIssuer); a != nil {
			switch {
			case !a.isCA:
				return v.fail(peer, ca.ErrIssuerNotCA, "")
			case now.Before(a.cert.NotBefore) || now.After(a.cert.NotAfter):
				return v.fail(peer, ca.ErrIssuerExpired, a.cert.Subject.CommonName)
			case cur.CheckSignatureFrom(a.cert) != nil:
				return v.fail(peer, ca.ErrBadSignature, cur.Subject.CommonName+" is not signed by "+a.cert.Subject.CommonName)
			}
			// crypto/x509 refused for a reason the mock has no word for.
			return v.fail(peer, ca.ErrUntrustedIssuer, detail)
		}
		var parent *x509.Certificate
		for _, ic := range peer[1:] {
			if ic != nil && ic != cur && bytes.Equal(ic.RawSubject, cur.RawIssuer) && !bytes.Equal(ic.Raw, cur.Raw) {
				parent = ic
				break
			}
		}
		switch {
		case parent == nil && cur == leaf && bytes.Equal(leaf.RawIssuer, leaf.RawSubject):
			return v.fail(peer, ca.ErrSelfSigned, "")
		case parent == nil:
			return v.fail(peer, ca.ErrUntrustedIssuer, cur.Issuer.CommonName+" is not in the trust store")
		case !parent.BasicConstraintsValid || !parent.IsCA:
			return v.fail(peer, ca.ErrIssuerNotCA, parent.Subject.CommonName)
		case now.Before(parent.NotBefore) || now.After(parent.NotAfter):
			return v.fail(peer, ca.ErrIssuerExpired, parent.Subject.CommonName)
		case cur.CheckSignatureFrom(parent) != nil:
			return v.fail(peer, ca.ErrBadSignature, cur.Subject.CommonName+" is not signed by "+parent.Subject.CommonName)
		case v.ts.isRevoked(parent):
			return v.fail(peer, ca.ErrRevoked, "intermediate "+parent.Subject.CommonName)
		}
		cur = parent
	}
	return v.fail(peer, ca.ErrUntrustedIssuer, "chain does not end at a trusted root; "+detail)
}

// VerifyName is ca.Verifier.VerifyName for a real peer chain: does the
// leaf present domain? The identifiers are read from the X.509 (dNSName,
// id-on-dnsSRV and id-on-xmppAddr subjectAltName entries, and the subject
// CN) and matched by ca.MatchName, so that the rules are the mock's to the
// letter: RFC 6125 §6 as RFC 6120 §13.7.1.2 profiles it, the wildcard
// only as a whole left-most label matching one label and never right
// under a top-level domain, an SRV-ID only for _xmpp-server, and the CN
// only when no subjectAltName identifier is present and the verifier
// allows it. (crypto/x509's VerifyHostname would accept "*.lit" for
// "type5.lit", and knows neither SRV-IDs nor XmppAddrs.)
func (v *Verifier) VerifyName(peer []*x509.Certificate, domain string) error {
	peer = v.pki.presented(peer)
	if len(peer) == 0 {
		return &ca.VerifyError{Err: ca.ErrNoCertificate, Domain: domain}
	}
	n := namesOf(peer[0])
	ids := &ca.Cert{Subject: peer[0].Subject.CommonName, DNSNames: n.dns, SRVNames: n.srv, XMPPAddrs: n.xmpp}
	if ca.MatchName(ids, domain, !v.mock.NoCNFallback) {
		return nil
	}
	return &ca.VerifyError{Err: ca.ErrNameMismatch, Cert: v.pki.Map(peer), Domain: domain}
}

// Verify is ca.Verifier.Verify: VerifyChain, then VerifyName.
func (v *Verifier) Verify(peer []*x509.Certificate, domain string, now time.Time) error {
	if err := v.VerifyChain(peer, now); err != nil {
		return err
	}
	return v.VerifyName(peer, domain)
}

// CheckPurpose is ca.CheckPurpose for a real peer chain: the leaf's
// extended key usage (RFC 5280 §4.2.1.12) allows p. A certificate without
// the extension, or with anyExtendedKeyUsage, allows every purpose.
func (v *Verifier) CheckPurpose(peer []*x509.Certificate, p ca.Purpose) error {
	peer = v.pki.presented(peer)
	switch {
	case len(peer) == 0:
		return &ca.VerifyError{Err: ca.ErrNoCertificate}
	case p == ca.ServerAuth && !hasEKU(peer[0], x509.ExtKeyUsageServerAuth):
		return v.fail(peer, ca.ErrKeyUsage, "no serverAuth")
	case p == ca.ClientAuth && !hasEKU(peer[0], x509.ExtKeyUsageClientAuth):
		return v.fail(peer, ca.ErrKeyUsage, "no clientAuth")
	}
	return nil
}
