package ca

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DANE: certificates authenticated by TLSA records (RFC 6698, with the
// operational rules of RFC 7671 and the SRV rules of RFC 7673) instead of,
// or as well as, a public CA.
//
// A TLSA record is a certificate association: which certificate in the
// server's chain (usage), which part of it (selector) and how it is
// written (matching type). The records are data the resolver returns
// (package dns holds them in its zone and says whether they are DNSSEC
// secure); this file matches them against the mock certificates.

// TLSA certificate usages (RFC 6698 §2.1.1, names from RFC 7218).
const (
	UsagePKIXTA uint8 = 0 // CA constraint: the chain must also validate (PKIX)
	UsagePKIXEE uint8 = 1 // service certificate constraint: PKIX and this EE
	UsageDANETA uint8 = 2 // trust anchor assertion: a TA outside the trust store
	UsageDANEEE uint8 = 3 // domain-issued certificate: this EE, nothing else
)

// TLSA selectors (RFC 6698 §2.1.2) and matching types (§2.1.3).
const (
	SelectorCert uint8 = 0 // the full certificate
	SelectorSPKI uint8 = 1 // its SubjectPublicKeyInfo
	MatchExact   uint8 = 0
	MatchSHA256  uint8 = 1
	MatchSHA512  uint8 = 2
)

// TLSA is one certificate association (the RDATA of a TLSA record,
// RFC 6698 §2.1).
type TLSA struct {
	Usage, Selector, MatchingType uint8
	// Data is the certificate association data: the selected bytes, or
	// their SHA-256 or SHA-512 digest.
	Data []byte
}

// String is the record's presentation form (RFC 6698 §2.2): "3 1 1 ab12…".
func (t TLSA) String() string {
	d := hex.EncodeToString(t.Data)
	if len(d) > 16 {
		d = d[:16] + "…"
	}
	return fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, d)
}

// UsageName is RFC 7218's acronym for the usage.
func UsageName(u uint8) string {
	switch u {
	case UsagePKIXTA:
		return "PKIX-TA"
	case UsagePKIXEE:
		return "PKIX-EE"
	case UsageDANETA:
		return "DANE-TA"
	case UsageDANEEE:
		return "DANE-EE"
	}
	return fmt.Sprintf("usage %d", u)
}

// DER stands for the certificate's encoding: the signed fields and the
// signature, what selector 0 hashes (RFC 6698 §2.1.2). Two certificates
// differ in it as soon as one field or the issuer's signature differs.
func (c *Cert) DER() []byte {
	return append(c.tbs(), c.Sig...)
}

// SPKI stands for the certificate's SubjectPublicKeyInfo, what selector 1
// and POSH fingerprints (RFC 7711 §3.1) hash. A certificate issued for a
// key the template names (Template.PublicKey) carries it, so that a
// renewed certificate for the same key keeps its "3 1 1" record (RFC 7671
// §8.1); otherwise each certificate has a key of its own, derived from its
// signature.
func (c *Cert) SPKI() []byte {
	if len(c.PublicKey) > 0 {
		return c.PublicKey
	}
	h := sha256.Sum256(append([]byte("fedsim spki\x00"), c.Sig...))
	return h[:]
}

// Association computes the certificate association data of c for a
// selector and matching type (RFC 6698 §2.1.2, §2.1.3).
func Association(c *Cert, selector, matching uint8) ([]byte, error) {
	var b []byte
	switch selector {
	case SelectorCert:
		b = c.DER()
	case SelectorSPKI:
		b = c.SPKI()
	default:
		return nil, fmt.Errorf("ca: TLSA selector %d is not defined (RFC 6698 §2.1.2)", selector)
	}
	switch matching {
	case MatchExact:
		return b, nil
	case MatchSHA256:
		h := sha256.Sum256(b)
		return h[:], nil
	case MatchSHA512:
		h := sha512.Sum512(b)
		return h[:], nil
	}
	return nil, fmt.Errorf("ca: TLSA matching type %d is not defined (RFC 6698 §2.1.3)", matching)
}

// NewTLSA makes the record that associates c with usage, selector and
// matching type: what a domain's operator publishes.
func NewTLSA(c *Cert, usage, selector, matching uint8) (TLSA, error) {
	d, err := Association(c, selector, matching)
	if err != nil {
		return TLSA{}, err
	}
	return TLSA{Usage: usage, Selector: selector, MatchingType: matching, Data: d}, nil
}

// Matches reports whether t's association data is that of c.
func (t TLSA) Matches(c *Cert) bool {
	d, err := Association(c, t.Selector, t.MatchingType)
	return err == nil && bytes.Equal(d, t.Data)
}

// ErrDANEMismatch: no usable TLSA record matches the presented chain.
var ErrDANEMismatch = errors.New("no TLSA record matches the certificate")

// DANEResult says how a certificate was authenticated by TLSA records.
type DANEResult struct {
	// Usage is the usage of the record that authenticated the chain.
	Usage uint8
	// Record is that record.
	Record TLSA
}

// How names the prooftype for traces: "DANE-EE", "DANE-TA", ….
func (r DANEResult) How() string { return UsageName(r.Usage) }

// VerifyDANE authenticates c with a set of DNSSEC-secure TLSA records
// (the caller checks that they are secure: insecure TLSA records are
// unusable, RFC 6698 §4.1, RFC 7673 §2.4). refs are the reference
// identifiers for the name checks of usages other than DANE-EE: for an
// SRV target, the target host name and the service domain (RFC 7673 §4).
// The records are tried in order; the first that authenticates wins
// (RFC 7671 §5: a client uses any usable record that matches).
//
//   - DANE-EE (3): c itself matches; no chain, no name check and no
//     validity period (RFC 7671 §5.1).
//   - DANE-TA (2): a certificate of c's presented chain matches and is a
//     trust anchor for c: c must chain to it (signatures, validity, CA flag)
//     and must name one of refs (RFC 7671 §5.2, §5.2.2: the server presents
//     the TA certificate in its chain).
//   - PKIX-EE (1) and PKIX-TA (0): the record constrains ordinary PKIX
//     validation with v's trust store (RFC 6698 §2.1.1): c must also verify
//     with v for one of refs.
//
// Records with an unknown usage, selector or matching type are unusable
// and skipped (RFC 7671 §4.1). The error, when none authenticates, wraps
// ErrDANEMismatch, or the reason the matching DANE-TA or PKIX record's
// chain failed.
func VerifyDANE(c *Cert, records []TLSA, refs []string, v Verifier, now time.Time) (DANEResult, error) {
	if c == nil {
		return DANEResult{}, &VerifyError{Err: ErrNoCertificate}
	}
	var last error
	for _, t := range records {
		switch t.Usage {
		case UsageDANEEE:
			if t.Matches(c) {
				return DANEResult{Usage: t.Usage, Record: t}, nil
			}
		case UsageDANETA:
			for _, ta := range c.Chain {
				if !t.Matches(ta) {
					continue
				}
				taV := Verifier{Roots: NewPool(ta), NoCNFallback: v.NoCNFallback}
				err := taV.VerifyChain(c, now)
				if err == nil {
					err = verifyAnyName(taV, c, refs)
				}
				if err == nil {
					return DANEResult{Usage: t.Usage, Record: t}, nil
				}
				last = err
			}
		case UsagePKIXEE, UsagePKIXTA:
			match := t.Usage == UsagePKIXEE && t.Matches(c)
			if t.Usage == UsagePKIXTA {
				for _, x := range append([]*Cert{c}, c.Chain...) {
					match = match || t.Matches(x)
				}
				for _, r := range v.Roots.Roots() {
					match = match || t.Matches(r)
				}
			}
			if !match {
				continue
			}
			err := v.VerifyChain(c, now)
			if err == nil {
				err = verifyAnyName(v, c, refs)
			}
			if err == nil {
				return DANEResult{Usage: t.Usage, Record: t}, nil
			}
			last = err
		}
	}
	if last != nil {
		return DANEResult{}, last
	}
	return DANEResult{}, &VerifyError{Err: ErrDANEMismatch, Cert: c, Detail: describeRecords(records)}
}

func verifyAnyName(v Verifier, c *Cert, refs []string) error {
	var err error
	for _, r := range refs {
		if err = v.VerifyName(c, r); err == nil {
			return nil
		}
	}
	if err == nil {
		return &VerifyError{Err: ErrNameMismatch, Cert: c}
	}
	return &VerifyError{Err: ErrNameMismatch, Cert: c, Domain: strings.Join(refs, " or ")}
}

func describeRecords(rs []TLSA) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.String())
	}
	return "TLSA " + strings.Join(parts, "; ")
}

// WithChain returns a copy of c that presents extra certificates after its
// own chain: a server that sends its DANE-TA trust anchor in the handshake
// (RFC 7671 §5.2.2 asks it to, since the client has no other copy).
func WithChain(c *Cert, extra ...*Cert) *Cert {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Chain = append(append([]*Cert(nil), c.Chain...), extra...)
	return &cp
}

// Authenticator is every way one end of a handshake accepts the peer's
// certificate: DANE with the TLSA records the resolver found secure,
// PKIX with the trust store, and POSH with the peer domain's document.
type Authenticator struct {
	// Verifier is the trust store and name rules (PKIX, RFC 6125).
	Verifier Verifier
	// TLSA are the DNSSEC-secure TLSA records of the peer's endpoint
	// (nil: none, or none usable); Refs are the reference identifiers for
	// the name checks of DANE-TA (RFC 7673 §4).
	TLSA []TLSA
	Refs []string
	// RequireDANE refuses a peer without usable TLSA records.
	RequireDANE bool
	// Web, when set, lets the peer's POSH document vouch for a
	// certificate PKIX does not accept (RFC 7711).
	Web Web
	// WebVerifier checks the web servers' certificates for POSH: the web
	// PKI, which need not be the trust store for XMPP peers (RFC 7711 §3:
	// HTTPS as usual). Zero: Verifier.
	WebVerifier *Verifier
}

// Proofs a certificate can be accepted by (Authenticate's first result).
const (
	ByPKIX = "PKIX"
	ByPOSH = "POSH"
)

// Authenticate decides whether c authenticates domain, and by what:
// "DANE-EE", "DANE-TA", "PKIX-EE", "PKIX-TA", "PKIX" or "POSH".
//
// Usable TLSA records decide alone: the certificate must match one, and
// PKIX and POSH are not consulted (RFC 7673 §2.4: with usable records the
// client authenticates the server by DANE; RFC 7671 §4.1). Without them,
// a policy that requires DANE refuses; otherwise PKIX, then POSH.
func (a *Authenticator) Authenticate(c *Cert, domain string, now time.Time) (string, error) {
	if len(a.TLSA) > 0 {
		refs := a.Refs
		if len(refs) == 0 {
			refs = []string{domain}
		}
		r, err := VerifyDANE(c, a.TLSA, refs, a.Verifier, now)
		if err != nil {
			return "", err
		}
		return r.How(), nil
	}
	if a.RequireDANE {
		return "", &VerifyError{Err: ErrDANEMismatch, Cert: c, Domain: domain, Detail: "no DNSSEC-secure TLSA record, and DANE is required"}
	}
	err := a.Verifier.Verify(c, domain, now)
	if err == nil {
		return ByPKIX, nil
	}
	if a.Web != nil && c != nil {
		wv := a.Verifier
		if a.WebVerifier != nil {
			wv = *a.WebVerifier
		}
		if _, perr := a.Web.VerifyPOSH(c, domain, wv, now); perr == nil {
			return ByPOSH, nil
		} else {
			return "", fmt.Errorf("%w; POSH: %v", err, perr)
		}
	}
	return "", err
}
