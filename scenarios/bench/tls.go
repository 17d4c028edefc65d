package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// BenchRealTLSHandshake runs b.N real Go TLS 1.3 handshakes in memory
// (net.Pipe), both ends in this process, shaped like a server-to-server
// STARTTLS before SASL EXTERNAL: X25519 key exchange, each side presenting
// an ECDSA P-256 certificate issued by one CA, each verifying the other's
// chain and name. fedsim's simulated TLS does none of this cryptography
// (network/pki: a handshake is a few messages and a chain check over
// certificate records); this is what that saves, measured beside the
// federation rows in the same run. The certificates are made once, before
// the timer starts; the figure is per handshake, both ends' work.
func BenchRealTLSHandshake(b *testing.B) {
	client, server, err := realTLSConfigs()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := realHandshake(client, server); err != nil {
			b.Fatal(err)
		}
	}
}

// realHandshake completes one handshake over a fresh pipe.
func realHandshake(client, server *tls.Config) error {
	c, s := net.Pipe()
	defer c.Close()
	defer s.Close()
	done := make(chan error, 1)
	go func() { done <- tls.Server(s, server).Handshake() }()
	cerr := tls.Client(c, client).Handshake()
	if serr := <-done; serr != nil {
		return serr
	}
	return cerr
}

// realTLSConfigs makes a CA and two server certificates (serverAuth and
// clientAuth, as RFC 6120 §13.7.1.1 and XEP-0178 need) and the two ends'
// configurations: TLS 1.3 only, mutual authentication, full verification.
func realTLSConfigs() (client, server *tls.Config, err error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	leaf := func(serial int64, name string) (tls.Certificate, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, err
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return tls.Certificate{}, err
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
	}
	cc, err := leaf(2, "capulet.example")
	if err != nil {
		return nil, nil, err
	}
	sc, err := leaf(3, "montague.example")
	if err != nil {
		return nil, nil, err
	}
	client = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cc}, RootCAs: pool,
		ServerName: "montague.example", CurvePreferences: []tls.CurveID{tls.X25519}}
	server = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{sc}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, CurvePreferences: []tls.CurveID{tls.X25519},
		SessionTicketsDisabled: true}
	return client, server, nil
}

// ProcessCPU is the CPU time this process has used so far, every thread
// (the collector's workers included), and whether it could be read.
func ProcessCPU() (time.Duration, bool) { return processCPU() }

// WithCPU wraps a benchmark so that its result carries "cpu-ns/op": the
// process's CPU time across the benchmark function, divided by b.N. On a
// shared machine CPU time wanders far less than wall time (another
// process's work is not ours), and the collector's workers on other cores
// are counted. Setup inside the function counts too, so benchmarks wrapped
// this way keep theirs small or cached.
func WithCPU(fn func(*testing.B)) func(*testing.B) {
	return func(b *testing.B) {
		c0, ok0 := processCPU()
		fn(b)
		c1, ok1 := processCPU()
		if ok0 && ok1 && b.N > 0 {
			b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
