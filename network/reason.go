package network

import (
	"errors"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/sim"
)

// Reason codes put in data what a trace record's Detail says in words
// (sim.Record.Reason): the network knows why a connection or a handshake
// failed as an error value, so it names it with a short word instead of
// leaving readers to find it in the prose.

// reasonOf names a connection error: ErrRefused "refused", ErrNoRoute
// "no-route", ErrReset "reset", ErrTLSAlert "tls-alert"; "" for others.
func reasonOf(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrRefused):
		return "refused"
	case errors.Is(err, ErrNoRoute):
		return "no-route"
	case errors.Is(err, ErrReset):
		return "reset"
	case errors.Is(err, ErrTLSAlert):
		return "tls-alert"
	}
	return ""
}

// certReasons name network/ca's verification errors, in the order they
// are tested (a VerifyError wraps exactly one).
var certReasons = [...]struct {
	err  error
	code string
}{
	{ca.ErrNoCertificate, "cert-none"},
	{ca.ErrSelfSigned, "cert-self-signed"},
	{ca.ErrUntrustedIssuer, "cert-untrusted"},
	{ca.ErrBadSignature, "cert-bad-signature"},
	{ca.ErrExpired, "cert-expired"},
	{ca.ErrNotYetValid, "cert-not-yet-valid"},
	{ca.ErrNameMismatch, "cert-name-mismatch"},
	{ca.ErrIssuerNotCA, "cert-issuer-not-ca"},
	{ca.ErrIssuerExpired, "cert-issuer-expired"},
	{ca.ErrCertificateRoles, "cert-roles"},
	{ca.ErrRevoked, "cert-revoked"},
	{ca.ErrKeyUsage, "cert-key-usage"},
}

// certReason names why a certificate did not verify ("" when err is nil;
// "cert-invalid" for an error outside network/ca's list).
func certReason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range certReasons {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	return "cert-invalid"
}

// traceFailure records a network event that reports a failure, with its
// reason code. Like trace, it costs nothing without a trace.
func (n *Net) traceFailure(c *conn, from End, event, reason, detail string) {
	if n.W.Trace == nil {
		return
	}
	n.traceRecord(c, from, sim.Record{Event: event, Detail: detail, Reason: reason, Failure: true})
}
