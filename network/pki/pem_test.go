package pki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/sim"
)

// pemBlocks reads every PEM block of path.
func pemBlocks(t *testing.T, path string) []*pem.Block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*pem.Block
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		out = append(out, b)
	}
	return out
}

// TestWritePEM: the files a real server is given hold the leaf and its
// intermediates, a PKCS #8 key readable only by its owner, the anchors and
// the CRLs — all under the scratch directory and nowhere else — and they
// verify with crypto/x509 as a real relying party would use them.
func TestWritePEM(t *testing.T) {
	f := newFixture(t)
	nb, na := certWindow()
	inter := f.root.NewIntermediate("Lit Intermediate CA", nb, na, f.secret())
	leaf := inter.Issue(tmpl("type5.lit"))
	revoked := inter.Issue(tmpl("type3.lit"))
	f.pool.Revoke(revoked)
	pinned := ca.SelfSign(tmpl("type2.lit"), f.secret())
	f.pool.Add(pinned)
	if err := f.pki.Add(revoked); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	certPath, keyPath, err := f.pki.WritePEM(dir, leaf)
	if err != nil {
		t.Fatal(err)
	}
	caPath, crlPath, err := f.pki.WriteTrust(dir, ca.Verifier{Roots: f.pool})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{certPath, keyPath, caPath, crlPath} {
		if filepath.Dir(p) != dir {
			t.Errorf("%s is not directly under %s", p, dir)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("%d files in the directory, want 4", len(entries))
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	// The certificate file: the leaf, then the intermediate.
	blocks := pemBlocks(t, certPath)
	if len(blocks) != 2 || blocks[0].Type != "CERTIFICATE" || blocks[1].Type != "CERTIFICATE" {
		t.Fatalf("certificate file has %d blocks", len(blocks))
	}
	want := f.real(leaf)
	for i, b := range blocks {
		if !slices.Equal(b.Bytes, want[i].Raw) {
			t.Errorf("block %d is not the %d-th certificate presented", i, i)
		}
	}
	if kb := pemBlocks(t, keyPath); len(kb) != 1 || kb[0].Type != "PRIVATE KEY" {
		t.Fatalf("key file: %d blocks", len(kb))
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatalf("crypto/tls cannot load the pair: %v", err)
	}

	// The trust bundle: the root and the pinned certificate, in pool order.
	roots := x509.NewCertPool()
	var anchors []*x509.Certificate
	for _, b := range pemBlocks(t, caPath) {
		x, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		anchors = append(anchors, x)
		roots.AddCert(x)
	}
	if len(anchors) != 2 || anchors[0].Subject.CommonName != "Lit Root CA" || anchors[1].Subject.CommonName != "type2.lit" {
		t.Fatalf("anchors %v", anchors)
	}

	// A relying party with only these files: the chain verifies with
	// crypto/x509's own defaults (serverAuth), and the CRL of the
	// intermediate lists the revoked certificate and not the leaf.
	leafX, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	interX, err := x509.ParseCertificate(pair.Certificate[1])
	if err != nil {
		t.Fatal(err)
	}
	inters := x509.NewCertPool()
	inters.AddCert(interX)
	if _, err := leafX.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, DNSName: "type5.lit", CurrentTime: sim.Epoch.Add(shift)}); err != nil {
		t.Fatalf("crypto/x509 with the written files: %v", err)
	}
	crlBlocks := pemBlocks(t, crlPath)
	if len(crlBlocks) != 2 {
		t.Fatalf("%d CRLs, want one per authority (root, intermediate)", len(crlBlocks))
	}
	revokedX := f.real(revoked)[0]
	for _, b := range crlBlocks {
		if b.Type != "X509 CRL" {
			t.Fatalf("block type %q", b.Type)
		}
		rl, err := x509.ParseRevocationList(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		var serials []string
		for _, e := range rl.RevokedCertificateEntries {
			serials = append(serials, e.SerialNumber.String())
		}
		switch rl.Issuer.CommonName {
		case "Lit Root CA":
			if len(serials) != 0 || rl.CheckSignatureFrom(anchors[0]) != nil {
				t.Errorf("root CRL: %v", serials)
			}
		case "Lit Intermediate CA":
			if !slices.Equal(serials, []string{revokedX.SerialNumber.String()}) || rl.CheckSignatureFrom(interX) != nil {
				t.Errorf("intermediate CRL: %v, want %v", serials, revokedX.SerialNumber)
			}
		default:
			t.Errorf("CRL of %q", rl.Issuer.CommonName)
		}
	}

	// Writing again rewrites the same files with the same modes.
	os.Chmod(keyPath, 0o644)
	if _, k2, err := f.pki.WritePEM(dir, leaf); err != nil || k2 != keyPath {
		t.Fatalf("second write: %v, %s", err, k2)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten key mode %v", fi.Mode().Perm())
	}
	if _, _, err := f.pki.WritePEM(filepath.Join(dir, "missing"), leaf); err == nil {
		t.Error("WritePEM into a missing directory succeeded")
	}
}
