package transport

import (
	"fmt"

	"github.com/fedsim/fedsim/network/ca"
)

// ConnID identifies a connection; End says which side of it.
type ConnID int64

// End is a side of a connection: Client dialed, Server accepted.
type End uint8

const (
	Client End = 0
	Server End = 1
)

// Other is the opposite end.
func (e End) Other() End { return 1 - e }

func (e End) String() string {
	if e == Client {
		return "client"
	}
	return "server"
}

// TLSConfig is one end's TLS settings for one handshake.
type TLSConfig struct {
	// Cert is the certificate this end presents; nil presents none.
	Cert *ca.Cert
	// Verifier holds this end's trust store.
	Verifier ca.Verifier
	// ServerName is, on the client, the domain it expects the server's
	// certificate to name (and sends as SNI). Servers leave it empty: a
	// client certificate's name is checked later against the stream's
	// 'from' (XEP-0178).
	ServerName string
	// RequireValid aborts the handshake when the peer's certificate does not
	// verify (chain, validity and, on the client, name).
	RequireValid bool
	// CheckClientPurpose, on the server, also requires the clientAuth
	// extended key usage of the client's certificate (what OpenSSL's
	// default purpose check does for a TLS server verifying clients).
	CheckClientPurpose bool
	// ALPN lists application protocols (RFC 7301): on the client, those it
	// offers; on the server, those it accepts — a server with a list
	// refuses a client whose offer shares none with no_application_protocol
	// (RFC 7301 §3.2). Direct TLS uses "xmpp-server" (XEP-0368 §3).
	ALPN []string
	// Auth, on the client, replaces Verifier's check of the server's
	// certificate with every way the policy accepts one: DANE with the
	// target's secure TLSA records, PKIX, POSH (package ca, Authenticator).
	// Nil: PKIX with Verifier, as always.
	Auth *ca.Authenticator
}

// TLSResult is what an end learns from a finished handshake.
type TLSResult struct {
	OK bool
	// PeerCert is the certificate the peer presented (nil if none).
	PeerCert *ca.Cert
	// PeerErr is why PeerCert did not verify, or nil if it did.
	PeerErr error
	// PeerAuth says how PeerCert was authenticated when it was, by
	// TLSConfig.Auth: "DANE-EE", "DANE-TA", "PKIX", "POSH", …; "" for a
	// plain PKIX check.
	PeerAuth string
	// Err is why the handshake failed (OK false).
	Err error
}

// ErrTLSAlert is what a failed TLS handshake wraps (test it with
// errors.Is): an end aborted with an alert, as opposed to the connection
// failing under it. Its text keeps the "network:" prefix it had when it
// lived in package network, so that traces read as before.
var ErrTLSAlert = fmt.Errorf("network: TLS handshake failed")
