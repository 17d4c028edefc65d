package ca

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// POSH: PKIX over Secure HTTP (RFC 7711). A domain that cannot (or does
// not want to) get a CA certificate for its XMPP service publishes, on its
// own web server, the fingerprints of the certificate its XMPP server
// presents — or a URL on the hosting provider's web server that does. A
// peer fetches the document over HTTPS, authenticating the web server with
// the public CAs (so POSH moves the CA check from the XMPP server to the
// web server), and then accepts the XMPP certificate whose key matches a
// fingerprint, whatever names it carries.
//
// The web is modelled as data (Web: domain → Site); the fetch takes no
// virtual time and cannot be intercepted on the path, only made
// unreachable (Site.Down) or served with a certificate that does not
// verify. Those are the simplifications.

// POSHService is the service name of XMPP server-to-server POSH documents:
// /.well-known/posh/xmpp-server.json (RFC 7711 §3, with the XMPP service
// names of RFC 7712 §6).
const POSHService = "xmpp-server"

// POSHPath is where a domain serves its POSH document (RFC 7711 §3).
const POSHPath = "/.well-known/posh/" + POSHService + ".json"

// POSHDocument is the JSON document of RFC 7711 §3.1 (fingerprints) or
// §3.2 (a url that points at another document).
type POSHDocument struct {
	// Fingerprints each hold the base64 SHA-256 of a certificate's
	// SubjectPublicKeyInfo under the member name "sha-256" (RFC 7711 §3.1).
	Fingerprints []map[string]string `json:"fingerprints,omitempty"`
	// URL delegates to another https: document (RFC 7711 §3.2).
	URL string `json:"url,omitempty"`
	// Expires is how long, in seconds, the document may be cached
	// (RFC 7711 §3.1, §5); required.
	Expires *int64 `json:"expires"`
}

// POSHFingerprint is the "sha-256" fingerprint of c (RFC 7711 §3.1).
func POSHFingerprint(c *Cert) string {
	h := sha256.Sum256(c.SPKI())
	return base64.StdEncoding.EncodeToString(h[:])
}

// NewPOSHDocument is the document a domain serves for the certificates
// its XMPP server presents, cacheable for expires seconds.
func NewPOSHDocument(expires int64, certs ...*Cert) []byte {
	d := POSHDocument{Expires: &expires}
	for _, c := range certs {
		d.Fingerprints = append(d.Fingerprints, map[string]string{"sha-256": POSHFingerprint(c)})
	}
	b, _ := json.Marshal(d) // a struct of strings and an int: cannot fail
	return b
}

// NewPOSHDelegation is a document that points at u (RFC 7711 §3.2).
func NewPOSHDelegation(expires int64, u string) []byte {
	b, _ := json.Marshal(POSHDocument{URL: u, Expires: &expires})
	return b
}

// ParsePOSH reads a POSH document, refusing what RFC 7711 §3 does not
// allow: not a JSON object, no "expires", neither fingerprints nor url,
// a url that is not https:, a fingerprint without a "sha-256" member.
func ParsePOSH(b []byte) (POSHDocument, error) {
	var d POSHDocument
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("ca: POSH document is not valid JSON: %w", err)
	}
	switch {
	case d.Expires == nil:
		return d, errors.New("ca: POSH document has no \"expires\" (RFC 7711 §3.1)")
	case *d.Expires < 0:
		return d, errors.New("ca: POSH document has a negative \"expires\"")
	case len(d.Fingerprints) == 0 && d.URL == "":
		return d, errors.New("ca: POSH document has neither \"fingerprints\" nor \"url\" (RFC 7711 §3.1, §3.2)")
	}
	if d.URL != "" {
		u, err := url.Parse(d.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return d, fmt.Errorf("ca: POSH \"url\" %q is not an https: URL (RFC 7711 §3.2)", d.URL)
		}
	}
	for i, f := range d.Fingerprints {
		if f["sha-256"] == "" {
			return d, fmt.Errorf("ca: POSH fingerprint %d has no \"sha-256\" member (RFC 7711 §3.1)", i+1)
		}
	}
	return d, nil
}

// Site is what one web server serves for a domain.
type Site struct {
	// Cert is the web server's certificate, checked against the fetching
	// server's public CAs for the domain (RFC 7711 §3: HTTPS per RFC 2818).
	Cert *Cert
	// Documents by path; POSHPath is the one read here.
	Documents map[string][]byte
	// Down: the web server does not answer (a fault).
	Down bool
}

// Web is the simulated web, by host name. Lookups only: no map order
// reaches anything.
type Web map[string]*Site

// Errors a POSH verification can end with (errors.Is).
var (
	ErrPOSHUnavailable = errors.New("no POSH document")
	ErrPOSHMismatch    = errors.New("no POSH fingerprint matches the certificate")
)

// POSHResult says how a certificate was authenticated by POSH.
type POSHResult struct {
	// From is the URL of the document whose fingerprint matched.
	From string
	// Delegated: the domain's document pointed at From (RFC 7711 §3.2).
	Delegated bool
}

// VerifyPOSH authenticates c as domain's XMPP server certificate by
// domain's POSH document (RFC 7711 §3.3): fetch
// https://domain/.well-known/posh/xmpp-server.json, its web server's
// certificate verified by v (the public CAs) for domain; follow one "url"
// delegation, that web server verified for its own host (RFC 7711 §3.2,
// §4); then c's SPKI fingerprint must be listed. The certificate's names
// and its issuer are not looked at: the document vouches for the key.
func (w Web) VerifyPOSH(c *Cert, domain string, v Verifier, now time.Time) (POSHResult, error) {
	if c == nil {
		return POSHResult{}, &VerifyError{Err: ErrNoCertificate, Domain: domain}
	}
	host, path := canonical(domain), POSHPath
	delegated := false
	for hop := 0; ; hop++ {
		where := "https://" + host + path
		doc, err := w.fetch(host, path, v, now)
		if err != nil {
			return POSHResult{}, fmt.Errorf("ca: POSH for %s: %s: %w", domain, where, err)
		}
		if doc.URL != "" {
			if hop > 0 {
				// RFC 7711 §3.2: the referenced document holds the
				// fingerprints; a chain of references is not followed.
				return POSHResult{}, fmt.Errorf("ca: POSH for %s: %s delegates again: %w", domain, where, ErrPOSHUnavailable)
			}
			u, _ := url.Parse(doc.URL) // checked by ParsePOSH
			host, path, delegated = canonical(u.Hostname()), u.EscapedPath(), true
			continue
		}
		want := POSHFingerprint(c)
		for _, f := range doc.Fingerprints {
			if strings.TrimSpace(f["sha-256"]) == want {
				return POSHResult{From: where, Delegated: delegated}, nil
			}
		}
		return POSHResult{}, &VerifyError{Err: ErrPOSHMismatch, Cert: c, Domain: domain, Detail: where}
	}
}

func (w Web) fetch(host, path string, v Verifier, now time.Time) (POSHDocument, error) {
	s := w[host]
	if s == nil || s.Down {
		return POSHDocument{}, fmt.Errorf("web server unreachable: %w", ErrPOSHUnavailable)
	}
	if err := v.Verify(s.Cert, host, now); err != nil {
		// RFC 7711 §3.3: the document is only as good as the HTTPS
		// server's PKIX authentication.
		return POSHDocument{}, fmt.Errorf("HTTPS certificate: %w", err)
	}
	b, ok := s.Documents[path]
	if !ok {
		return POSHDocument{}, fmt.Errorf("404: %w", ErrPOSHUnavailable)
	}
	return ParsePOSH(b)
}
