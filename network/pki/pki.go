package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/fedsim/fedsim/network/ca"
)

// PKI holds the real X.509 counterparts of mock certificates: one
// certificate and one fresh ECDSA P-256 key per mock certificate added,
// signed by the counterpart of the authority that signed the mock.
//
// It is safe for concurrent use: a live world's servers and handshakes
// share one PKI.
type PKI struct {
	shift time.Duration

	mu      sync.Mutex
	byMock  map[*ca.Cert]*entry
	byFP    map[[sha256.Size]byte]*entry
	order   []*entry          // as added (stand-ins too): files and CRLs come out in this order
	standIn map[string]*entry // issuer name -> stand-in root, for issuers never added
	trusts  map[*ca.Pool]*trustSet
	none    *entry // see placeholder

	_ struct{}
}

// entry is one mock certificate and its real counterpart.
type entry struct {
	mock   *ca.Cert
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	issuer *entry // itself when self-signed
	// standIn marks a root made up for an issuer that was never added (see
	// Add); no trust store holds it.
	standIn bool
}

// New returns an empty PKI whose certificates are valid shift later than
// their mock counterparts: a live runtime maps fedsim's virtual time onto
// the wall clock as real = mock + shift, so a mock certificate valid
// "now" in the simulation is valid now on the wall clock. X.509 keeps
// times to the second (RFC 5280 §4.1.2.5), so shift is truncated to
// whole seconds; use Shift for the value in force.
func New(shift time.Duration) *PKI {
	return &PKI{
		shift:   shift.Truncate(time.Second),
		byMock:  map[*ca.Cert]*entry{},
		byFP:    map[[sha256.Size]byte]*entry{},
		standIn: map[string]*entry{},
		trusts:  map[*ca.Pool]*trustSet{},
	}
}

// Shift is the offset from mock to real time: real = mock + Shift().
func (p *PKI) Shift() time.Duration { return p.shift }

// Add makes the real counterpart of c, and of every authority it needs
// first (its Chain). Adding a certificate twice does nothing.
//
// The issuer is found by signature, not by name: among c's Chain and the
// authorities added so far, the one whose mock key made c's signature
// (ca.Cert.SignedBy). A certificate whose issuer was never added — a
// leaf from an authority that only a fault created, or one forged in a
// trusted authority's name — is signed by a stand-in root carrying the
// issuer's name and a key of its own, which no trust store holds: real
// verification rejects it as the mock does (untrusted issuer, or a bad
// signature when the name is a trusted one). So add authorities before
// the certificates they issued (AddPool adds a trust store's roots): an
// authority added after a certificate that it signed and that went to a
// stand-in is an error.
func (p *PKI) Add(c *ca.Cert) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.add(c)
	return err
}

// AddPool adds the roots of a trust store (authorities and pinned
// self-signed certificates).
func (p *PKI) AddPool(pool *ca.Pool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range pool.Roots() {
		if _, err := p.add(r); err != nil {
			return err
		}
	}
	return nil
}

// Cert returns the real certificate made from c, adding c if needed.
func (p *PKI) Cert(c *ca.Cert) (*x509.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, err := p.add(c)
	if err != nil {
		return nil, err
	}
	return e.cert, nil
}

// Real returns what a TLS end presents for c: the real certificate
// followed by the real counterparts of c's Chain (RFC 8446 §4.4.2, RFC
// 5246 §7.4.2: leaf first, each next one certifying the one before), with
// c's private key. It adds c if needed.
func (p *PKI) Real(c *ca.Cert) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, err := p.add(c)
	if err != nil {
		return nil, err
	}
	tc := &tls.Certificate{Certificate: [][]byte{e.cert.Raw}, PrivateKey: e.key, Leaf: e.cert}
	for _, ic := range c.Chain {
		ie, err := p.add(ic)
		if err != nil {
			return nil, err
		}
		tc.Certificate = append(tc.Certificate, ie.cert.Raw)
	}
	return tc, nil
}

// Map returns the mock certificate that a real peer chain (leaf first, as
// tls.ConnectionState.PeerCertificates) stands for: the one the PKI made
// the leaf from, found by its SHA-256 fingerprint, or, for a certificate
// the PKI did not make (a real server's own, or an attacker's), a
// synthetic ca.Cert read from the X.509: Subject CN, DNS-IDs, SRV-IDs,
// XmppAddrs, issuer CN, serial, the validity window shifted back to mock
// time, CA flag, the serverAuth/clientAuth extended key usages, and as
// Chain those of the presented intermediates that the PKI made (foreign
// ones are left out). A synthetic certificate carries no mock
// signature, so ca.Verifier rejects it (ErrSelfSigned, ErrUntrustedIssuer,
// or ErrBadSignature when it names a trusted authority as issuer): a
// server that re-checks it with the mock verifier (SASL EXTERNAL,
// XEP-0178) refuses it, as it refuses anything the scenario's PKI did not
// issue. Map returns nil for an empty chain.
func (p *PKI) Map(peer []*x509.Certificate) *ca.Cert {
	peer = p.presented(peer)
	if len(peer) == 0 {
		return nil
	}
	c, ours := p.mapOne(peer[0])
	if ours {
		return c
	}
	// Only the presented certificates the PKI made go into the chain: a
	// synthetic authority has no mock key, so the mock would call its
	// valid signatures bad, where crypto/x509 finds them good and the
	// chain merely untrusted.
	for _, ic := range peer[1:] {
		if ic == nil {
			continue
		}
		if m, ours := p.mapOne(ic); ours {
			c.Chain = append(c.Chain, m)
		}
	}
	return c
}

// mapOne maps one certificate without its chain; ours reports that it is
// one the PKI made from a mock certificate.
func (p *PKI) mapOne(x *x509.Certificate) (c *ca.Cert, ours bool) {
	p.mu.Lock()
	e := p.byFP[sha256.Sum256(x.Raw)]
	p.mu.Unlock()
	if e != nil && !e.standIn {
		return e.mock, true
	}
	n := namesOf(x)
	c = &ca.Cert{
		Subject: x.Subject.CommonName, DNSNames: n.dns, SRVNames: n.srv, XMPPAddrs: n.xmpp,
		Issuer:    x.Issuer.CommonName,
		NotBefore: x.NotBefore.Add(-p.shift), NotAfter: x.NotAfter.Add(-p.shift),
		IsCA: x.BasicConstraintsValid && x.IsCA,
		// The X.509 signature: never a valid mock signature.
		Sig: x.Signature,
	}
	if x.SerialNumber != nil {
		c.Serial = x.SerialNumber.Uint64()
	}
	if !c.IsCA {
		c.NoServerAuth = !hasEKU(x, x509.ExtKeyUsageServerAuth)
		c.NoClientAuth = !hasEKU(x, x509.ExtKeyUsageClientAuth)
	}
	return c, false
}

// hasEKU applies RFC 5280 §4.2.1.12: without the extension a certificate
// may be used for any purpose; anyExtendedKeyUsage allows any too.
func hasEKU(x *x509.Certificate, want x509.ExtKeyUsage) bool {
	if len(x.ExtKeyUsage) == 0 && len(x.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range x.ExtKeyUsage {
		if u == want || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

// add makes c's counterpart; p.mu is held.
func (p *PKI) add(c *ca.Cert) (*entry, error) {
	if c == nil {
		return nil, errors.New("pki: no certificate")
	}
	if e := p.byMock[c]; e != nil {
		return e, nil
	}
	// The intermediates first, root-most first, so that each finds its
	// issuer among the authorities added.
	for i := len(c.Chain) - 1; i >= 0; i-- {
		if _, err := p.add(c.Chain[i]); err != nil {
			return nil, err
		}
	}
	if c.IsCA || c.SelfSigned() {
		for _, e := range p.order {
			if e.issuer.standIn && e.mock.SignedBy(c) {
				return nil, fmt.Errorf("pki: %s was added after %s, which it issued (that one went to a stand-in issuer): add authorities first", c, e.mock)
			}
		}
	}
	var issuer *entry
	switch {
	case c.SelfSigned() && c.SignedBy(c):
		// issuer stays nil: the certificate signs itself.
	default:
		for _, ic := range c.Chain {
			if ic.Subject == c.Issuer && c.SignedBy(ic) {
				issuer = p.byMock[ic]
				break
			}
		}
		for i := len(p.order) - 1; issuer == nil && i >= 0; i-- {
			e := p.order[i]
			if !e.standIn && e.mock.Subject == c.Issuer && c.SignedBy(e.mock) {
				issuer = e
			}
		}
		if issuer == nil {
			var err error
			if issuer, err = p.standInFor(c); err != nil {
				return nil, err
			}
		}
	}
	e, err := p.issue(c, issuer)
	if err != nil {
		return nil, err
	}
	p.byMock[c] = e
	p.byFP[sha256.Sum256(e.cert.Raw)] = e
	p.order = append(p.order, e)
	return e, nil
}

// standInFor returns the stand-in root for c's issuer name.
func (p *PKI) standInFor(c *ca.Cert) (*entry, error) {
	if e := p.standIn[c.Issuer]; e != nil {
		return e, nil
	}
	m := &ca.Cert{Serial: 1, Subject: c.Issuer, Issuer: c.Issuer, NotBefore: c.NotBefore, NotAfter: c.NotAfter, IsCA: true}
	e, err := p.issue(m, nil)
	if err != nil {
		return nil, err
	}
	e.standIn = true
	p.standIn[c.Issuer] = e
	p.byFP[sha256.Sum256(e.cert.Raw)] = e
	p.order = append(p.order, e) // it gets a CRL like any authority
	return e, nil
}

// issue makes the real certificate for m, signed by issuer (nil: by
// itself).
func (p *PKI) issue(m *ca.Cert, issuer *entry) (*entry, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: key for %s: %w", m, err)
	}
	ski, err := keyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber: new(big.Int).SetUint64(m.Serial),
		Subject:      pkix.Name{CommonName: m.Subject},
		NotBefore:    m.NotBefore.Add(p.shift),
		NotAfter:     m.NotAfter.Add(p.shift),
		// RFC 5280 §4.2.1.9: basicConstraints on every certificate, so that
		// a leaf is plainly not a CA.
		BasicConstraintsValid: true,
		IsCA:                  m.IsCA,
		SubjectKeyId:          ski,
	}
	if m.Serial == 0 {
		t.SerialNumber = big.NewInt(1) // RFC 5280 §4.1.2.2: positive
	}
	if m.IsCA {
		// RFC 5280 §4.2.1.3: an authority signs certificates and CRLs.
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		t.KeyUsage = x509.KeyUsageDigitalSignature
		if !m.NoServerAuth {
			t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		}
		if !m.NoClientAuth {
			t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
		}
		if len(t.ExtKeyUsage) == 0 {
			// Neither TLS role. An empty list would mean no extension, which
			// RFC 5280 reads as "any purpose": name another purpose instead.
			t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
		}
	}
	if len(m.SRVNames)+len(m.XMPPAddrs) > 0 {
		ext, err := sanExtension(m.DNSNames, m.SRVNames, m.XMPPAddrs, m.Subject == "")
		if err != nil {
			return nil, fmt.Errorf("pki: %s: %w", m, err)
		}
		t.ExtraExtensions = append(t.ExtraExtensions, ext)
	} else {
		t.DNSNames = m.DNSNames
	}
	parent, signer := t, key
	if issuer != nil {
		parent, signer = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("pki: certificate for %s: %w", m, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: certificate for %s: %w", m, err)
	}
	e := &entry{mock: m, cert: cert, key: key, issuer: issuer}
	if issuer == nil {
		e.issuer = e
	}
	return e, nil
}

// keyID is the subject key identifier of RFC 7093 §2 method 1: the
// leftmost 160 bits of the SHA-256 of the subjectPublicKey bits.
func keyID(pub *ecdsa.PublicKey) ([]byte, error) {
	k, err := pub.ECDH()
	if err != nil {
		return nil, fmt.Errorf("pki: key identifier: %w", err)
	}
	sum := sha256.Sum256(k.Bytes())
	return sum[:20], nil
}

// placeholder is the certificate a TLS server of the live runtime presents
// when its TLSConfig has none. The simulated network lets a server
// without a certificate finish the handshake (the client then finds "no
// certificate presented"), but a TLS server must present one (RFC 8446
// §4.4.2 has no anonymous mode), so fedsim presents this self-signed one
// and its own ends treat it as none: Map gives nil, Verifier says
// ca.ErrNoCertificate. A real peer sees a self-signed certificate.
func (p *PKI) placeholder() (*entry, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.none == nil {
		m := &ca.Cert{Serial: 1, Subject: "fedsim: no certificate", Issuer: "fedsim: no certificate",
			NotBefore: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)}
		e, err := p.issue(m, nil)
		if err != nil {
			return nil, err
		}
		p.none = e
	}
	return p.none, nil
}

// presented is peer without the placeholder: what the peer presented,
// as the mock sees it (nil for nothing).
func (p *PKI) presented(peer []*x509.Certificate) []*x509.Certificate {
	if len(peer) == 0 || peer[0] == nil {
		return nil
	}
	p.mu.Lock()
	none := p.none
	p.mu.Unlock()
	if none != nil && bytes.Equal(peer[0].Raw, none.cert.Raw) {
		return nil
	}
	return peer
}
