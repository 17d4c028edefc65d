// Package pki makes a scenario's mock PKI (package ca) real: X.509
// certificates, keys, CRLs and TLS configurations with the same names,
// validity, key usages, chains and revocations, and verification of real
// certificates that ends in the same typed errors as the mock's.
//
// # Why
//
// fedsim's simulated network checks certificates with the mock CA: HMAC
// signatures over a handful of fields, enough to decide federation
// deterministically and fast. fedsim's live runtime (package
// scenarios/live) runs the same server state machines over real TCP with
// real TLS, against each other and against Prosody and ejabberd; those
// need real certificates, and fedsim's own ends must reach the same
// verdicts on them as the simulation reaches on the mock ones, or a live
// run would not be the same scenario. So every mock certificate gets a
// real twin, and every real verdict is translated back into the mock's
// vocabulary (ca.ErrExpired, ca.ErrUntrustedIssuer, … in a
// *ca.VerifyError).
//
// Everything security-relevant is the standard library's: keys are
// crypto/ecdsa P-256, certificates and CRLs are made and parsed by
// crypto/x509, chains and signatures are checked by
// x509.Certificate.Verify, handshakes are crypto/tls. What is done here:
// the subjectAltName extension is encoded and read with encoding/asn1
// when it carries otherNames (crypto/x509 has no field for them);
// identities are matched by ca.MatchName (crypto/x509 knows only DNS-IDs
// and applies looser wildcard rules); a pinned certificate is compared
// byte for byte; and, once crypto/x509 has refused a chain, the checks
// are retraced to name the one that failed.
//
// # What a mock certificate becomes (RFC 5280 §4.1, §4.2)
//
//   - Subject: CN = Cert.Subject; issuer: the subject of the real twin of
//     the authority whose mock key signed it (found by signature, not by
//     name, so a forged issuer name stays forged); self-signed stays
//     self-signed; intermediates chain. Serial number: the mock's.
//   - subjectAltName (§4.2.1.6): dNSName per DNS-ID; otherName
//     id-on-dnsSRV (1.3.6.1.5.5.7.8.7, IA5String) per SRV-ID (RFC 4985
//     §2); otherName id-on-xmppAddr (1.3.6.1.5.5.7.8.5, UTF8String) per
//     XmppAddr (RFC 6120 §13.7.1.4). The presented identifiers of RFC 6125
//     §1.8, as RFC 6120 §13.7.1.2 profiles them for XMPP servers.
//   - Validity (§4.1.2.5): the mock's window shifted by PKI.Shift(), the
//     offset of the live runtime's wall clock from fedsim's virtual epoch
//     (real = mock + shift), to the second.
//   - basicConstraints (§4.2.1.9) on every certificate, cA for
//     authorities; keyUsage (§4.2.1.3) keyCertSign and cRLSign for
//     authorities, digitalSignature for leaves; extKeyUsage (§4.2.1.12)
//     serverAuth and clientAuth unless the mock says NoServerAuth or
//     NoClientAuth (XEP-0178 §3 and the 2025 serverAuth-only public CAs).
//   - Revocation (§5): one CRL per authority, listing the certificates it
//     issued that a trust store (ca.Pool) revokes.
//
// # Verifying (RFC 5280 §6, RFC 6125 §6)
//
// Verifier mirrors ca.Verifier: VerifyChain, VerifyName, Verify and
// CheckPurpose, for a peer chain as crypto/tls hands it over, with the
// same checks in the same order, so that the first failing check — and
// thus the typed error — is the mock's. crypto/x509 decides whether a
// chain exists; when it finds none, the chain is walked the mock's way to
// name the check that failed (its own message stays in the Detail).
//
// Map gives the mock certificate a real chain stands for, so that a server
// state machine that re-checks a peer's certificate later (SASL EXTERNAL,
// XEP-0178; nodes' verifyClient) gets the verdict the mock would give. A
// certificate the PKI did not make maps to a synthetic mock certificate
// without a valid mock signature: the mock verifier rejects it, which is
// right, since nothing outside the scenario's PKI is trusted in it.
//
// # Where real X.509 and the mock can still differ
//
//   - A self-signed certificate that a pool both pins and revokes: fedsim's
//     ends say ca.ErrRevoked (the fingerprint is checked), but no CRL can
//     list it, so WriteTrust leaves it out of a real server's bundle and
//     that server says "self-signed" instead.
//   - TLS 1.3 completes the client's handshake before the server checks
//     the client certificate (RFC 8446 §4.4.2): a server that aborts over
//     it is seen by the client at its first read, not during the
//     handshake as in the simulation.
//   - A TLS server must present a certificate: a fedsim server without one
//     presents a placeholder that fedsim's ends read as none; a real peer
//     sees a self-signed certificate.
//   - A chain the PKI did not make, of a foreign leaf under a foreign
//     intermediate that names a trusted root as its issuer: crypto/x509
//     finds the root's signature bad (ca.ErrBadSignature); Map leaves
//     foreign intermediates out of the synthetic certificate's Chain (see
//     Map), so the mock, re-checking it, says ca.ErrUntrustedIssuer. Both
//     reject it.
//   - Validity is kept to the second.
//
// One rule of crypto/x509 is relaxed, as its documentation allows: a
// critical subjectAltName (RFC 5280 §4.2.1.6 makes it critical when the
// subject is empty) holding only otherNames counts for crypto/x509 as an
// unhandled critical extension (golang/go#55897); this package handles
// those names, so it takes the extension off the unhandled list before
// Verify when every entry in it is one it or crypto/x509 understands.
//
// Files for real servers (WritePEM, WriteTrust) go only under the
// directory given, keys with mode 0600.
package pki
