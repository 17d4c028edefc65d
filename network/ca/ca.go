// Package ca is fedsim's mock certification authority: root authorities,
// issued and self-signed certificates with subject names and a validity
// window, per-server trust stores, and certificate verification with typed
// errors.
//
// The certificates are not X.509 but they keep what decides federation:
// who issued them (checked with a real HMAC-SHA256 signature made with the
// issuer's secret, so a certificate that merely claims a trusted issuer's
// name does not verify), the names they carry as RFC 6125 presented
// identifiers (DNS-ID, SRV-ID, XmppAddr and a Common Name), the validity
// window in calendar time, and whether they are a CA.
//
// Identity checks follow RFC 6125 §6 as profiled for XMPP server-to-server
// streams by RFC 6120 §13.7.1.2: the reference identifier is the peer's
// domain; a DNS-ID may carry a wildcard only as the complete left-most label
// and it then matches exactly one label (RFC 6125 §6.4.3); an SRV-ID for
// service "xmpp-server" and an XmppAddr (id-on-xmppAddr) match the domain
// exactly; the Common Name is consulted only when the certificate carries no
// subjectAltName identifiers at all (RFC 6125 §6.4.4; RFC 9525 drops even
// that fallback, see Verifier.NoCNFallback).
//
// Beyond PKIX: dane.go matches certificates against TLSA records (RFC
// 6698, RFC 7671), posh.go against POSH documents (RFC 7711), and
// Authenticator puts the three together as a server's policy asks.
package ca

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"
)

// Cert is a certificate.
type Cert struct {
	Serial uint64
	// Subject is the Common Name.
	Subject string
	// DNSNames are subjectAltName dNSName entries (DNS-IDs).
	DNSNames []string
	// SRVNames are SRV-IDs such as "_xmpp-server.example.com" (RFC 4985).
	SRVNames []string
	// XMPPAddrs are id-on-xmppAddr entries (RFC 6120 §13.7.1.4).
	XMPPAddrs []string
	// Issuer is the issuer's subject; equal to Subject when self-signed.
	Issuer string
	// NotBefore and NotAfter bound the validity window (inclusive).
	NotBefore, NotAfter time.Time
	// IsCA marks an authority's certificate.
	IsCA bool
	// NoServerAuth and NoClientAuth mark a leaf whose extended key usage
	// (RFC 5280 §4.2.1.12) lacks id-kp-serverAuth or id-kp-clientAuth. The
	// zero value carries both, as server certificates long did; since 2025
	// public CAs issue serverAuth only, which breaks servers that check
	// clientAuth on the certificate a peer presents as TLS client.
	NoServerAuth, NoClientAuth bool
	// PublicKey stands for the subject's public key when the certificate
	// was issued for a named key (Template.PublicKey); empty, each
	// certificate has a key of its own (see SPKI). It is signed with the
	// other fields.
	PublicKey []byte
	// Sig is HMAC-SHA256 over the fields above with the issuer's secret.
	Sig []byte

	// Chain holds the intermediate authorities' certificates the holder
	// presents with this one, leaf-most first (RFC 5246 §7.4.2).
	Chain []*Cert

	// key is the secret of the subject when it is an authority (or a
	// self-signed leaf): what Sig of the certificates it issues is made with.
	key []byte
}

// SelfSigned reports whether the certificate names itself as issuer.
func (c *Cert) SelfSigned() bool { return c.Issuer == c.Subject }

// Names lists every presented identifier, for explanations.
func (c *Cert) Names() []string {
	var out []string
	out = append(out, c.DNSNames...)
	out = append(out, c.SRVNames...)
	out = append(out, c.XMPPAddrs...)
	if len(out) == 0 && c.Subject != "" {
		out = append(out, "CN="+c.Subject)
	}
	return out
}

// String is a one-line description for transcripts.
func (c *Cert) String() string {
	if c == nil {
		return "no certificate"
	}
	kind := "issued by " + c.Issuer
	if c.SelfSigned() {
		kind = "self-signed"
	}
	if c.NoClientAuth {
		kind += ", serverAuth only"
	}
	return fmt.Sprintf("%s (%s)", strings.Join(c.Names(), ","), kind)
}

func (c *Cert) tbs() []byte {
	n := 8 + 4 + len(c.Subject) + 3*4 + 4 + len(c.Issuer) + 8 + 8 + 1
	for _, list := range [][]string{c.DNSNames, c.SRVNames, c.XMPPAddrs} {
		for _, s := range list {
			n += 4 + len(s)
		}
	}
	if len(c.PublicKey) > 0 {
		n += 4 + len(c.PublicKey)
	}
	b := make([]byte, 0, n) // one allocation, exactly
	b = binary.BigEndian.AppendUint64(b, c.Serial)
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	str(c.Subject)
	for _, list := range [][]string{c.DNSNames, c.SRVNames, c.XMPPAddrs} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(list)))
		for _, s := range list {
			str(s)
		}
	}
	str(c.Issuer)
	b = binary.BigEndian.AppendUint64(b, uint64(c.NotBefore.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.NotAfter.Unix()))
	flags := byte(0)
	if c.IsCA {
		flags |= 1
	}
	if c.NoServerAuth {
		flags |= 2
	}
	if c.NoClientAuth {
		flags |= 4
	}
	b = append(b, flags)
	if len(c.PublicKey) > 0 {
		// Only certificates issued for a named key sign it: every other
		// certificate keeps the signature it always had.
		b = binary.BigEndian.AppendUint32(b, uint32(len(c.PublicKey)))
		b = append(b, c.PublicKey...)
	}
	return b
}

func sign(key, tbs []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(tbs)
	return m.Sum(nil)
}

// Template describes a certificate to issue.
type Template struct {
	Subject             string
	DNSNames            []string
	SRVNames            []string
	XMPPAddrs           []string
	NotBefore, NotAfter time.Time
	// NoServerAuth, NoClientAuth: see Cert.
	NoServerAuth, NoClientAuth bool
	// PublicKey names the subject's key (see Cert.PublicKey); empty for a
	// fresh key per certificate.
	PublicKey []byte
}

// Authority issues certificates.
type Authority struct {
	Cert   *Cert
	serial uint64
}

// NewRoot makes a root authority. secret must be unique per authority (the
// caller draws it from the world's seeded random source).
func NewRoot(name string, notBefore, notAfter time.Time, secret []byte) *Authority {
	c := &Cert{Serial: 1, Subject: name, Issuer: name, NotBefore: notBefore, NotAfter: notAfter, IsCA: true, key: secret}
	c.Sig = sign(secret, c.tbs())
	return &Authority{Cert: c, serial: 1}
}

// Issue signs a leaf certificate for t. A leaf issued by an intermediate
// carries the intermediate's chain so that it can be presented whole.
func (a *Authority) Issue(t Template) *Cert {
	a.serial++
	c := &Cert{
		Serial: a.serial, Subject: t.Subject,
		DNSNames: t.DNSNames, SRVNames: t.SRVNames, XMPPAddrs: t.XMPPAddrs,
		Issuer: a.Cert.Subject, NotBefore: t.NotBefore, NotAfter: t.NotAfter,
		NoServerAuth: t.NoServerAuth, NoClientAuth: t.NoClientAuth, PublicKey: t.PublicKey,
	}
	c.Sig = sign(a.Cert.key, c.tbs())
	if a.Cert.Issuer != a.Cert.Subject {
		c.Chain = append([]*Cert{a.Cert}, a.Cert.Chain...)
	}
	return c
}

// NewIntermediate makes a subordinate authority signed by a.
func (a *Authority) NewIntermediate(name string, notBefore, notAfter time.Time, secret []byte) *Authority {
	a.serial++
	c := &Cert{Serial: a.serial, Subject: name, Issuer: a.Cert.Subject, NotBefore: notBefore, NotAfter: notAfter, IsCA: true, key: secret}
	c.Sig = sign(a.Cert.key, c.tbs())
	if a.Cert.Issuer != a.Cert.Subject {
		c.Chain = append([]*Cert{a.Cert}, a.Cert.Chain...)
	}
	return &Authority{Cert: c, serial: 1}
}

// SelfSign makes a self-signed leaf certificate for t.
func SelfSign(t Template, secret []byte) *Cert {
	c := &Cert{
		Serial: 1, Subject: t.Subject,
		DNSNames: t.DNSNames, SRVNames: t.SRVNames, XMPPAddrs: t.XMPPAddrs,
		Issuer: t.Subject, NotBefore: t.NotBefore, NotAfter: t.NotAfter, key: secret,
		NoServerAuth: t.NoServerAuth, NoClientAuth: t.NoClientAuth, PublicKey: t.PublicKey,
	}
	c.Sig = sign(secret, c.tbs())
	return c
}

// Pool is a trust store: the roots a server accepts as issuers, and the
// certificates it knows to be revoked (a CRL it has fetched, RFC 5280 §5).
type Pool struct {
	roots   []*Cert
	revoked map[revokedKey]bool
	// signed caches signature checks (certificates are immutable, so a
	// signature that verified once verifies forever). The mutex lets
	// servers of parallel worlds share a pool.
	mu     sync.Mutex
	signed map[[2]*Cert]bool
	// macs holds an HMAC state per issuer, reset for each check (under
	// mu): a new one per check cost five allocations and the key schedule.
	macs map[*Cert]hash.Hash
}

// signedBy reports whether issuer's key made c's signature, from the cache
// when possible.
func (p *Pool) signedBy(c, issuer *Cert) bool {
	if p == nil {
		return hmac.Equal(sign(issuer.key, c.tbs()), c.Sig)
	}
	k := [2]*Cert{c, issuer}
	p.mu.Lock()
	ok, seen := p.signed[k]
	p.mu.Unlock()
	if seen {
		return ok
	}
	tbs := c.tbs()
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.macs[issuer]
	if m == nil {
		m = hmac.New(sha256.New, issuer.key)
		if p.macs == nil {
			p.macs = map[*Cert]hash.Hash{}
		}
		p.macs[issuer] = m
	} else {
		m.Reset()
	}
	m.Write(tbs)
	var sum [sha256.Size]byte
	ok = hmac.Equal(m.Sum(sum[:0]), c.Sig)
	if p.signed == nil {
		p.signed = map[[2]*Cert]bool{}
	}
	p.signed[k] = ok
	return ok
}

type revokedKey struct {
	issuer string
	serial uint64
}

// Revoke records that c is revoked.
func (p *Pool) Revoke(c *Cert) {
	if p.revoked == nil {
		p.revoked = map[revokedKey]bool{}
	}
	p.revoked[revokedKey{c.Issuer, c.Serial}] = true
}

func (p *Pool) isRevoked(c *Cert) bool {
	return p != nil && p.revoked[revokedKey{c.Issuer, c.Serial}]
}

// NewPool returns a trust store holding roots.
func NewPool(roots ...*Cert) *Pool { return &Pool{roots: roots} }

// Add trusts another root.
func (p *Pool) Add(c *Cert) { p.roots = append(p.roots, c) }

// Roots lists the trusted roots in the order they were added.
func (p *Pool) Roots() []*Cert {
	if p == nil {
		return nil
	}
	return p.roots
}

func (p *Pool) find(subject string) *Cert {
	if p == nil {
		return nil
	}
	for _, r := range p.roots {
		if r.Subject == subject {
			return r
		}
	}
	return nil
}

// Typed verification failures; test with errors.Is.
var (
	ErrNoCertificate    = errors.New("no certificate presented")
	ErrSelfSigned       = errors.New("self-signed certificate")
	ErrUntrustedIssuer  = errors.New("issuer not trusted")
	ErrBadSignature     = errors.New("signature does not verify")
	ErrExpired          = errors.New("certificate expired")
	ErrNotYetValid      = errors.New("certificate not yet valid")
	ErrNameMismatch     = errors.New("certificate does not match the domain")
	ErrIssuerNotCA      = errors.New("issuer is not a certification authority")
	ErrIssuerExpired    = errors.New("issuer certificate expired or not yet valid")
	ErrCertificateRoles = errors.New("CA certificate used as a server certificate")
	ErrRevoked          = errors.New("certificate revoked")
	ErrKeyUsage         = errors.New("certificate not valid for this purpose (extended key usage)")
)

// VerifyError says which check failed for which certificate.
type VerifyError struct {
	Err    error // one of the Err* values
	Cert   *Cert
	Domain string // for ErrNameMismatch
	Detail string
}

func (e *VerifyError) Error() string {
	msg := "ca: " + e.Err.Error()
	if e.Cert != nil {
		msg += " (" + e.Cert.String() + ")"
	}
	if e.Domain != "" {
		msg += " for " + e.Domain
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Verifier holds the verification options of one server.
type Verifier struct {
	Roots *Pool
	// NoCNFallback follows RFC 9525 §6.3: never match the Common Name.
	NoCNFallback bool
}

// Purpose is what a certificate is being checked for.
type Purpose uint8

const (
	// AnyPurpose skips the extended key usage check.
	AnyPurpose Purpose = iota
	// ServerAuth: the certificate a TLS server presents.
	ServerAuth
	// ClientAuth: the certificate a TLS client presents (an initiating XMPP
	// server, for SASL EXTERNAL: XEP-0178 §3).
	ClientAuth
)

// CheckPurpose checks the extended key usage of c for p (RFC 5280
// §4.2.1.12).
func CheckPurpose(c *Cert, p Purpose) error {
	switch {
	case c == nil:
		return &VerifyError{Err: ErrNoCertificate}
	case p == ServerAuth && c.NoServerAuth:
		return &VerifyError{Err: ErrKeyUsage, Cert: c, Detail: "no serverAuth"}
	case p == ClientAuth && c.NoClientAuth:
		return &VerifyError{Err: ErrKeyUsage, Cert: c, Detail: "no clientAuth"}
	}
	return nil
}

// VerifyChain checks that c is valid at now, not revoked, and chains to a
// trusted root, possibly through the intermediates it carries (RFC 5280
// §6, much simplified: names, validity, signature, CA flag, revocation).
func (v Verifier) VerifyChain(c *Cert, now time.Time) error {
	if c == nil {
		return &VerifyError{Err: ErrNoCertificate}
	}
	if c.IsCA {
		return &VerifyError{Err: ErrCertificateRoles, Cert: c}
	}
	if err := validAt(c, now); err != nil {
		return err
	}
	if v.Roots.isRevoked(c) {
		return &VerifyError{Err: ErrRevoked, Cert: c, Detail: fmt.Sprintf("serial %d of %s", c.Serial, c.Issuer)}
	}
	cur := c
	for depth := 0; depth <= len(c.Chain); depth++ {
		if root := v.Roots.find(cur.Issuer); root != nil {
			if !root.IsCA {
				// A self-signed leaf pinned in the trust store: accept it only
				// if it is exactly that certificate.
				if cur != c || !hmac.Equal(root.Sig, c.Sig) {
					return &VerifyError{Err: ErrIssuerNotCA, Cert: c}
				}
				return nil
			}
			if now.Before(root.NotBefore) || now.After(root.NotAfter) {
				return &VerifyError{Err: ErrIssuerExpired, Cert: c, Detail: root.Subject}
			}
			if !v.Roots.signedBy(cur, root) {
				return &VerifyError{Err: ErrBadSignature, Cert: c, Detail: cur.Subject + " is not signed by " + root.Subject}
			}
			return nil
		}
		// Not issued by a root: look for the issuer among the intermediates.
		var parent *Cert
		for _, ic := range c.Chain {
			if ic.Subject == cur.Issuer && ic != cur {
				parent = ic
				break
			}
		}
		if parent == nil {
			if cur == c && c.SelfSigned() {
				return &VerifyError{Err: ErrSelfSigned, Cert: c}
			}
			return &VerifyError{Err: ErrUntrustedIssuer, Cert: c, Detail: cur.Issuer + " is not in the trust store"}
		}
		if !parent.IsCA {
			return &VerifyError{Err: ErrIssuerNotCA, Cert: c, Detail: parent.Subject}
		}
		if now.Before(parent.NotBefore) || now.After(parent.NotAfter) {
			return &VerifyError{Err: ErrIssuerExpired, Cert: c, Detail: parent.Subject}
		}
		if !v.Roots.signedBy(cur, parent) {
			return &VerifyError{Err: ErrBadSignature, Cert: c, Detail: cur.Subject + " is not signed by " + parent.Subject}
		}
		if v.Roots.isRevoked(parent) {
			return &VerifyError{Err: ErrRevoked, Cert: c, Detail: "intermediate " + parent.Subject}
		}
		cur = parent
	}
	return &VerifyError{Err: ErrUntrustedIssuer, Cert: c, Detail: "chain does not end at a trusted root"}
}

func validAt(c *Cert, now time.Time) error {
	if now.Before(c.NotBefore) {
		return &VerifyError{Err: ErrNotYetValid, Cert: c, Detail: "valid from " + c.NotBefore.Format(time.RFC3339)}
	}
	if now.After(c.NotAfter) {
		return &VerifyError{Err: ErrExpired, Cert: c, Detail: "expired " + c.NotAfter.Format(time.RFC3339)}
	}
	return nil
}

// Verify checks the chain and that c names domain (RFC 6125 §6).
func (v Verifier) Verify(c *Cert, domain string, now time.Time) error {
	if err := v.VerifyChain(c, now); err != nil {
		return err
	}
	return v.VerifyName(c, domain)
}

// VerifyName checks only the identity: does c present domain?
func (v Verifier) VerifyName(c *Cert, domain string) error {
	if c == nil {
		return &VerifyError{Err: ErrNoCertificate, Domain: domain}
	}
	if MatchName(c, domain, !v.NoCNFallback) {
		return nil
	}
	return &VerifyError{Err: ErrNameMismatch, Cert: c, Domain: domain}
}

// MatchName applies RFC 6125 §6 with the XMPP server profile of RFC 6120
// §13.7.1.2. cnFallback allows the Common Name when no subjectAltName
// identifier is present (RFC 6125 §6.4.4).
func MatchName(c *Cert, domain string, cnFallback bool) bool {
	ref := canonical(domain)
	if ref == "" {
		return false
	}
	for _, n := range c.DNSNames {
		if matchDNSID(canonical(n), ref) {
			return true
		}
	}
	for _, n := range c.SRVNames {
		// SRV-ID: "_xmpp-server.<domain>"; the service must be xmpp-server for
		// server-to-server streams (RFC 6120 §13.7.1.2.1, RFC 4985).
		n = canonical(n)
		if svc, name, ok := strings.Cut(n, "."); ok && svc == "_xmpp-server" && name == ref {
			return true
		}
	}
	for _, n := range c.XMPPAddrs {
		if canonical(n) == ref {
			return true
		}
	}
	if cnFallback && len(c.DNSNames)+len(c.SRVNames)+len(c.XMPPAddrs) == 0 {
		return canonical(c.Subject) == ref
	}
	return false
}

func canonical(s string) string {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	// RFC 6125 §6.4.2 (and RFC 5890): an internationalized label is
	// compared in its A-label form, so "bücher.example" and
	// "xn--bcher-kva.example" are the same name. ASCII labels (including
	// "*" and "_xmpp-server") are left as they are; a label that is no
	// valid U-label stays as written and matches only itself.
	if !isASCII(s) {
		labels := strings.Split(s, ".")
		for i, l := range labels {
			if isASCII(l) {
				continue
			}
			if a, err := idna.Lookup.ToASCII(l); err == nil {
				labels[i] = a
			}
		}
		s = strings.Join(labels, ".")
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// matchDNSID compares a DNS-ID with the reference identifier. A wildcard is
// honoured only as the entire left-most label ("*.example.com"); it matches
// exactly one label, never the bare parent domain, and never a label in a
// public suffix position with fewer than two labels after it (RFC 6125
// §6.4.3, §7.2). Partial-label wildcards ("x*.example.com") are refused, as
// RFC 9525 §6.3 requires.
func matchDNSID(pattern, ref string) bool {
	if !strings.HasPrefix(pattern, "*.") {
		return !strings.Contains(pattern, "*") && pattern == ref
	}
	rest := pattern[2:]
	if strings.Contains(rest, "*") || strings.Count(rest, ".") < 1 {
		return false
	}
	label, parent, ok := strings.Cut(ref, ".")
	return ok && label != "" && parent == rest
}

// IsRevoked reports whether the pool lists c as revoked (see Revoke). It
// lets package pki put the same revocations on real CRLs.
func (p *Pool) IsRevoked(c *Cert) bool { return p.isRevoked(c) }

// SignedBy reports whether issuer's key made c's signature: whether issuer
// really issued c, not merely shares the name c gives as issuer (a forger
// can reuse a trusted name). Package pki uses it to sign the real
// counterpart of c with the real counterpart of the right authority.
func (c *Cert) SignedBy(issuer *Cert) bool {
	if c == nil || issuer == nil || len(issuer.key) == 0 {
		return false
	}
	return hmac.Equal(sign(issuer.key, c.tbs()), c.Sig)
}
