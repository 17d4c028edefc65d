package pki

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/transport"
)

// TLSConfig returns the crypto/tls configuration for one end of one
// handshake of fedsim's live runtime, following the simulated network's
// rules (package network, StartTLS and the handshake flights):
//
//   - each end presents the real counterpart of cfg.Cert with its chain
//     (without one, the client presents none and the server a placeholder
//     that fedsim's ends read as none); the client presents its
//     certificate whatever the server's CertificateRequest names as
//     acceptable authorities, as the simulated client does;
//   - the server requests a client certificate (tls.RequestClientCert:
//     XEP-0178 §3 needs it for SASL EXTERNAL) but does not require one;
//   - the client sends cfg.ServerName as SNI (RFC 6066 §3; RFC 6120
//     §13.7.2.1);
//   - crypto/tls verifies nothing itself (InsecureSkipVerify);
//     VerifyConnection computes the verdict with the real counterpart of
//     cfg.Verifier (PKI.Verifier) —
//     the client: Verify for cfg.ServerName, or VerifyChain without one;
//     the server: VerifyChain, then the clientAuth purpose when
//     cfg.CheckClientPurpose — and fails the handshake (a bad_certificate
//     alert) only when cfg.RequireValid is set and the verdict is an
//     error. Otherwise the handshake goes on and Result reports the
//     verdict as TLSResult.PeerErr, for the server state machine to judge
//     (dialback over an encrypted but unauthenticated stream, RFC 7590
//     §3.4, XEP-0220).
//
// now gives the wall-clock time of checks; nil means time.Now. Session
// resumption is off, so that every handshake presents certificates. Add
// every trust store's roots (AddPool) before the first handshake: see Add.
//
// One difference from the simulation comes from TLS 1.3 itself (RFC 8446
// §4.4.2, §4.6.2): the client's handshake completes before the server has
// checked the client's certificate, so a server that rejects it (with
// RequireValid) is seen by the client as an alert on its first read after
// the handshake, not as a failed handshake.
func (p *PKI) TLSConfig(end transport.End, cfg transport.TLSConfig, now func() time.Time) (*tls.Config, error) {
	if now == nil {
		now = time.Now
	}
	if _, err := p.Verifier(cfg.Verifier); err != nil {
		return nil, err // the roots do not make real certificates
	}
	var own *tls.Certificate
	var err error
	if cfg.Cert != nil {
		if own, err = p.Real(cfg.Cert); err != nil {
			return nil, err
		}
	}
	tc := &tls.Config{
		MinVersion:             tls.VersionTLS12,
		Time:                   now,
		InsecureSkipVerify:     true, // verified in VerifyConnection, as the mock does
		SessionTicketsDisabled: true,
		NextProtos:             cfg.ALPN, // XEP-0368's "xmpp-server" (RFC 7301)
		VerifyConnection: func(cs tls.ConnectionState) error {
			if !cfg.RequireValid {
				return nil
			}
			// The Verifier of the moment: the peer's certificate may have
			// been added (and be revoked) since the config was made.
			v, err := p.Verifier(cfg.Verifier)
			if err != nil {
				return fmt.Errorf("pki: %w", err)
			}
			if err := v.verdict(end, cfg, cs.PeerCertificates, now()); err != nil {
				return fmt.Errorf("pki: %s rejects the %s certificate: %w", end, end.Other(), err)
			}
			return nil
		},
	}
	if end == transport.Client {
		tc.ServerName = cfg.ServerName
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if own == nil {
				return &tls.Certificate{}, nil // presents none
			}
			return own, nil
		}
	} else {
		tc.ClientAuth = tls.RequestClientCert
		if own == nil {
			none, err := p.placeholder()
			if err != nil {
				return nil, err
			}
			own = &tls.Certificate{Certificate: [][]byte{none.cert.Raw}, PrivateKey: none.key, Leaf: none.cert}
		}
		tc.Certificates = []tls.Certificate{*own}
	}
	return tc, nil
}

// verdict is what end concludes of the peer's chain, by the simulated
// network's rules (see TLSConfig).
func (v *Verifier) verdict(end transport.End, cfg transport.TLSConfig, peer []*x509.Certificate, now time.Time) error {
	if end == transport.Client {
		if cfg.ServerName != "" {
			return v.Verify(peer, cfg.ServerName, now)
		}
		return v.VerifyChain(peer, now)
	}
	err := v.VerifyChain(peer, now)
	if err == nil && cfg.CheckClientPurpose {
		err = v.CheckPurpose(peer, ca.ClientAuth)
	}
	return err
}

// Result turns the outcome of a real handshake made with TLSConfig(end,
// cfg, …) into what the server state machine takes: on success, OK with
// PeerCert = Map of the peer's chain and PeerErr = the verdict of the
// same checks at now (pass the time the handshake finished); on failure
// (handshakeErr, or an alert read right after a TLS 1.3 handshake), Err
// wrapping transport.ErrTLSAlert and the cause, and PeerCert if the peer
// got as far as presenting one. cs may be nil.
func (p *PKI) Result(end transport.End, cfg transport.TLSConfig, cs *tls.ConnectionState, handshakeErr error, now time.Time) transport.TLSResult {
	var peer []*x509.Certificate
	if cs != nil {
		peer = cs.PeerCertificates
	}
	if handshakeErr != nil {
		return transport.TLSResult{Err: fmt.Errorf("%w: %w", transport.ErrTLSAlert, handshakeErr), PeerCert: p.Map(peer)}
	}
	r := transport.TLSResult{OK: true, PeerCert: p.Map(peer)}
	v, err := p.Verifier(cfg.Verifier)
	if err != nil {
		r.PeerErr = err
		return r
	}
	r.PeerErr = v.verdict(end, cfg, peer, now)
	return r
}
