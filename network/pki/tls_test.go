package pki

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/sim"
)

// handshake runs a real crypto/tls handshake between the two ends' configs
// over loopback TCP and returns what each end's state machine would be
// told. The client reads once after its handshake (the server writes one
// byte), as the live runtime reads the next stream header, so that a TLS
// 1.3 client learns of a server that rejected its certificate.
func handshake(t *testing.T, p *PKI, client, server transport.TLSConfig, now time.Time) (cr, sr transport.TLSResult) {
	t.Helper()
	clock := func() time.Time { return now }
	cc, err := p.TLSConfig(transport.Client, client, clock)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := p.TLSConfig(transport.Server, server, clock)
	if err != nil {
		t.Fatal(err)
	}
	// Loopback TCP, not net.Pipe: a pipe has no buffer, so a client that
	// aborts mid-flight blocks writing its alert while the server blocks
	// writing the rest of its flight.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	deadline := time.Now().Add(10 * time.Second)
	done := make(chan transport.TLSResult)
	go func() {
		sp, err := ln.Accept()
		if err != nil {
			done <- transport.TLSResult{Err: err}
			return
		}
		sp.SetDeadline(deadline)
		s := tls.Server(sp, sc)
		err = s.Handshake()
		if err == nil {
			_, err = s.Write([]byte("x"))
		}
		cs := s.ConnectionState()
		sp.Close() // not s.Close: no close_notify, the test is over
		done <- p.Result(transport.Server, server, &cs, err, now)
	}()
	cp, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cp.SetDeadline(deadline)
	c := tls.Client(cp, cc)
	err = c.Handshake()
	if err == nil {
		var b [1]byte
		_, err = io.ReadFull(c, b[:])
	}
	cs := c.ConnectionState()
	cp.Close()
	return p.Result(transport.Client, client, &cs, err, now), <-done
}

// TestHandshakeAgreesWithMock: for certificate cases presented by the
// server and by the client, a real handshake gives each end the
// TLSResult the simulated network gives (same PeerCert, PeerErr of the
// same typed error), and RequireValid aborts exactly when the mock's
// verdict is an error.
func TestHandshakeAgreesWithMock(t *testing.T) {
	byName := map[string]certCase{}
	for _, c := range certCases {
		byName[c.name] = c
	}
	serverSide := []string{"valid", "cert-expired", "cert-not-yet-valid", "cert-wrong-name", "cert-wildcard *.lit",
		"cert-untrusted-ca, stand-in issuer", "cert-revoked", "cert-intermediate", "revoked intermediate", "self-signed",
		"self-signed, pinned", "SRV-ID only", "XmppAddr only, empty subject", "no serverauth", "no certificate"}
	clientSide := []string{"valid", "cert-no-clientauth", "cert-expired", "cert-untrusted-ca, authority added",
		"cert-intermediate", "self-signed", "cert-revoked", "no certificate"}

	type run struct {
		name         string
		side         transport.End // which end presents the case's certificate
		requireValid bool
		purpose      bool // the server's CheckClientPurpose
	}
	var runs []run
	for _, n := range serverSide {
		runs = append(runs, run{n, transport.Server, false, false}, run{n, transport.Server, true, false})
	}
	for _, n := range clientSide {
		runs = append(runs, run{n, transport.Client, false, true}, run{n, transport.Client, true, true}, run{n, transport.Client, true, false})
	}
	for _, r := range runs {
		name := r.side.String() + " presents " + r.name
		if r.requireValid {
			name += ", peer requires valid"
		}
		if r.side == transport.Client && !r.purpose {
			name += ", no purpose check"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			c := byName[r.name]
			cert := c.make(f)
			good := f.root.Issue(tmpl("type3.lit"))
			v := ca.Verifier{Roots: f.pool}
			ccfg := transport.TLSConfig{Cert: good, Verifier: v, ServerName: "type5.lit"}
			scfg := transport.TLSConfig{Cert: cert, Verifier: v, CheckClientPurpose: r.purpose}
			domain := c.domain
			if domain == "" {
				domain = "type5.lit"
			}
			ccfg.ServerName = domain
			// The mock's verdicts, as network's handshake computes them.
			mockNow := sim.Epoch
			var want error // of the end that checks the case's certificate
			if r.side == transport.Server {
				want = v.Verify(cert, domain, mockNow)
				ccfg.RequireValid = r.requireValid
			} else {
				ccfg.Cert, scfg.Cert, ccfg.ServerName = cert, good, "type3.lit"
				want = v.VerifyChain(cert, mockNow)
				if want == nil && r.purpose {
					want = ca.CheckPurpose(cert, ca.ClientAuth)
				}
				scfg.RequireValid = r.requireValid
			}
			cr, sr := handshake(t, f.pki, ccfg, scfg, mockNow.Add(f.pki.Shift()))
			checker, other := cr, sr
			if r.side == transport.Client {
				checker, other = sr, cr
			}
			if r.requireValid && want != nil {
				for end, res := range map[string]transport.TLSResult{"checking end": checker, "presenting end": other} {
					if res.OK || !errors.Is(res.Err, transport.ErrTLSAlert) {
						t.Errorf("%s: %+v, want a failed handshake (mock verdict %v)", end, res, want)
					}
				}
				if !errors.Is(checker.Err, errors.Unwrap(want)) {
					t.Errorf("checking end's error %v does not wrap %v", checker.Err, errors.Unwrap(want))
				}
				if checker.PeerCert != cert {
					t.Errorf("checking end's PeerCert %v, want %v", checker.PeerCert, cert)
				}
				return
			}
			if !cr.OK || !sr.OK {
				t.Fatalf("handshake failed: client %+v, server %+v", cr, sr)
			}
			if checker.PeerCert != cert {
				t.Errorf("PeerCert = %v, want %v", checker.PeerCert, cert)
			}
			if err := sameVerdict(want, checker.PeerErr); err != nil {
				t.Errorf("PeerErr: %v", err)
			}
			if other.PeerCert != good || other.PeerErr != nil {
				t.Errorf("the other end: %+v, want the good certificate, verified", other)
			}
		})
	}
}
