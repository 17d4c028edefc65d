package pki

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fedsim/fedsim/network/ca"
)

// File modes: certificates and CRLs are public, keys are not.
const (
	certMode = 0o644
	keyMode  = 0o600
)

// WritePEM writes, for a real server, the real certificate made from c
// followed by its intermediates (PEM "CERTIFICATE" blocks, leaf first, the
// order Prosody's and ejabberd's TLS libraries expect in a certificate
// file) and its private key (PEM "PRIVATE KEY", PKCS #8, mode 0600). The
// files go directly under dir, which must exist (a scratch directory):
// NAME-FP.crt and NAME-FP.key, NAME from c's subject and FP a fingerprint
// prefix, so that two certificates never share a file.
func (p *PKI) WritePEM(dir string, c *ca.Cert) (certPath, keyPath string, err error) {
	if err := isDir(dir); err != nil {
		return "", "", err
	}
	tc, err := p.Real(c)
	if err != nil {
		return "", "", err
	}
	var certPEM []byte
	for _, der := range tc.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(tc.PrivateKey)
	if err != nil {
		return "", "", fmt.Errorf("pki: key of %s: %w", c, err)
	}
	base := fileBase(c.Subject, tc.Certificate[0])
	certPath = filepath.Join(dir, base+".crt")
	keyPath = filepath.Join(dir, base+".key")
	if err := writeFile(certPath, certPEM, certMode); err != nil {
		return "", "", err
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), keyMode); err != nil {
		return "", "", err
	}
	return certPath, keyPath, nil
}

// WriteTrust writes, for a real server, what the real counterpart of v
// trusts: its anchors as a CA bundle (PEM certificates, the pool's order;
// a pinned self-signed certificate is in it as OpenSSL-based servers pin
// one) and the CRLs of every authority (PEM "X509 CRL", one per
// authority, listing what the pool revokes), for a server that checks
// them. Files go directly under dir: trust-FP.pem and crl-FP.pem.
//
// A pinned self-signed certificate that the pool revokes is left out of
// the bundle: no CRL can revoke it (see Verifier), and a real server can
// only be made to reject it by not trusting it, so it says "self-signed"
// where fedsim says "revoked".
func (p *PKI) WriteTrust(dir string, v ca.Verifier) (caPath, crlPath string, err error) {
	if err := isDir(dir); err != nil {
		return "", "", err
	}
	rv, err := p.Verifier(v)
	if err != nil {
		return "", "", err
	}
	var bundle, crls []byte
	h := sha256.New()
	for _, a := range rv.ts.anchors {
		if rv.ts.revokedSelf[sha256.Sum256(a.cert.Raw)] {
			continue
		}
		bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.cert.Raw})...)
	}
	for _, c := range rv.ts.crls {
		crls = append(crls, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: c.list.Raw})...)
	}
	h.Write(bundle)
	h.Write(crls)
	fp := hex.EncodeToString(h.Sum(nil)[:4])
	caPath = filepath.Join(dir, "trust-"+fp+".pem")
	crlPath = filepath.Join(dir, "crl-"+fp+".pem")
	if err := writeFile(caPath, bundle, certMode); err != nil {
		return "", "", err
	}
	if err := writeFile(crlPath, crls, certMode); err != nil {
		return "", "", err
	}
	return caPath, crlPath, nil
}

func isDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("pki: %s is not a directory", dir)
	}
	return nil
}

// fileBase is a file name made of the subject's safe characters and a
// fingerprint prefix of der.
func fileBase(subject string, der []byte) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		case r == '*':
			return '_'
		}
		return -1
	}, subject)
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" {
		name = "cert"
	}
	sum := sha256.Sum256(der)
	return name + "-" + hex.EncodeToString(sum[:4])
}

// writeFile writes data to path with exactly mode, even if the file
// existed with another: the mode is set before the data goes in, so a key
// is never readable by others, even for a moment.
func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("pki: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("pki: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}
