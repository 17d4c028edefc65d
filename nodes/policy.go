package nodes

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Version is the XMPP stream version a server speaks (RFC 6120 §4.7.5).
type Version uint8

const (
	// XMPP10 sends version='1.0' and stream features (RFC 6120).
	XMPP10 Version = iota
	// XMPP09 is pre-RFC 3920 XMPP: no 'version' attribute, no stream
	// features, Server Dialback only (XEP-0238 footnote 4).
	XMPP09
)

func (v Version) String() string {
	if v == XMPP09 {
		return "0.9"
	}
	return "1.0"
}

// TLSOffer is what a server offers as the receiving entity.
type TLSOffer uint8

const (
	// TLSNotOffered: no <starttls/> feature.
	TLSNotOffered TLSOffer = iota
	// TLSOffered: <starttls/> without <required/>.
	TLSOffered
	// TLSRequired: <starttls><required/></starttls>; no stanza and no
	// dialback key (<db:result/>) is accepted before TLS (RFC 6120 §5.3.1,
	// mandatory-to-negotiate). <db:verify/> is still answered: it carries no
	// user data and XEP-0220 §2.1.2 lets verification connections skip TLS
	// (unless Policy.RefuseVerifyBeforeTLS, verify_before_tls=false).
	TLSRequired
)

func (o TLSOffer) String() string {
	return [...]string{"not-offered", "offered", "required"}[o]
}

// TLSInitiate is what a server does as the initiating entity.
type TLSInitiate uint8

const (
	// InitiateNever never sends <starttls/>.
	InitiateNever TLSInitiate = iota
	// InitiateIfRequired negotiates TLS only when the peer marks STARTTLS
	// <required/> (XEP-0238 type2 and type3: "we assume that type2.lit does
	// not attempt STARTTLS negotiation", §5.2).
	InitiateIfRequired
	// InitiateIfOffered negotiates TLS whenever the peer offers it.
	InitiateIfOffered
	// InitiateAlways negotiates TLS whenever offered and refuses to go on
	// with a peer that does not offer it (XEP-0238 types 4–6, §7.1).
	InitiateAlways
)

func (t TLSInitiate) String() string {
	return [...]string{"never", "if-required", "if-offered", "always"}[t]
}

// SASLOffer says when a receiving server offers SASL EXTERNAL (XEP-0178).
type SASLOffer uint8

const (
	// SASLNever never offers SASL.
	SASLNever SASLOffer = iota
	// SASLWhenCertValid offers EXTERNAL on a TLS stream when the peer's
	// certificate chains to a trusted root and names the stream's 'from'
	// (XEP-0178 §3 step 7).
	SASLWhenCertValid
	// SASLAlways offers EXTERNAL on every TLS stream, whatever the peer's
	// certificate, and judges the certificate only when the peer sends
	// <auth/>, answering an invalid one with <failure><not-authorized/>
	// (RFC 6120 §6.4.5): what ejabberd does (measured against Debian's
	// 23.01: p1_xmpp's xmpp_stream_in offers EXTERNAL whenever the stream
	// is encrypted). A peer that does not fall back to dialback after the
	// failure never authenticates.
	SASLAlways
)

func (s SASLOffer) String() string {
	return [...]string{"never", "when-cert-valid", "always"}[s]
}

// DNSSECMode is what the server's resolver does with DNSSEC.
type DNSSECMode uint8

const (
	// DNSSECOff: the resolver does not validate; it believes every answer.
	DNSSECOff DNSSECMode = iota
	// DNSSECValidate: a validating resolver with the root trust anchor
	// (RFC 4035 §4.9, §5).
	DNSSECValidate
)

func (m DNSSECMode) String() string { return [...]string{"off", "validate"}[m] }

// DANEMode is what the server does with TLSA records (RFC 7673).
type DANEMode uint8

const (
	// DANEOff: TLSA records are not looked at.
	DANEOff DANEMode = iota
	// DANEAccept: usable (DNSSEC-secure) TLSA records authenticate the
	// peer's certificate — and decide alone: a certificate that matches
	// none is refused (RFC 7673 §2.4, RFC 7671 §4.1). Without usable
	// records, PKIX (and POSH) as before.
	DANEAccept
	// DANERequire: as accept, and, as initiating server, a receiver
	// without usable TLSA records is refused (the handshake is aborted).
	// As receiving server it changes nothing beyond accept: a peer may
	// still authenticate by dialback, as the policy's accept levels say.
	DANERequire
)

func (m DANEMode) String() string { return [...]string{"off", "accept", "require"}[m] }

// POSHMode is what the server does with POSH documents (RFC 7711).
type POSHMode uint8

const (
	// POSHOff: no POSH.
	POSHOff POSHMode = iota
	// POSHAccept: a certificate PKIX does not accept is authenticated
	// when the peer domain's POSH document lists its key.
	POSHAccept
)

func (m POSHMode) String() string { return [...]string{"off", "accept"}[m] }

// Level is how well a stream's peer is authenticated — the letters of
// XEP-0238's summary table.
type Level uint8

const (
	// LevelNone: not authenticated (U).
	LevelNone Level = iota
	// LevelVerified: Server Dialback on an unencrypted stream (V).
	LevelVerified
	// LevelEncrypted: TLS, then Server Dialback (E).
	LevelEncrypted
	// LevelTrusted: TLS, then SASL EXTERNAL with a CA-validated certificate (T).
	LevelTrusted
)

// Letter is the XEP-0238 table letter.
func (l Level) Letter() string { return [...]string{"U", "V", "E", "T"}[l] }

func (l Level) String() string {
	return [...]string{"unsuccessful", "verified (dialback)", "encrypted (TLS + dialback)", "trusted (TLS + SASL EXTERNAL)"}[l]
}

// Levels is a set of Level.
type Levels uint8

// Has reports whether l is in the set.
func (s Levels) Has(l Level) bool { return s&(1<<l) != 0 }

// LevelSet builds a set.
func LevelSet(ls ...Level) Levels {
	var s Levels
	for _, l := range ls {
		s |= 1 << l
	}
	return s
}

func (s Levels) String() string {
	var out []string
	for _, l := range []Level{LevelVerified, LevelEncrypted, LevelTrusted} {
		if s.Has(l) {
			out = append(out, l.Letter())
		}
	}
	return strings.Join(out, ",")
}

// Policy is everything about a server's federation behaviour that the
// XEP-0238 service types differ in. The six types are presets of this one
// model (Preset); the negotiation code reads only these fields.
type Policy struct {
	// Version: XMPP 1.0 or 0.9. Default 1.0. RFC 6120 §4.7.5.
	Version Version
	// StartTLS: what the server offers as receiving entity. RFC 6120 §5.
	StartTLS TLSOffer
	// InitiateTLS: when the server negotiates TLS as initiating entity.
	InitiateTLS TLSInitiate
	// Dialback: Server Dialback supported (XEP-0220), both as initiating
	// and as receiving/authoritative server.
	Dialback bool
	// SASL: when SASL EXTERNAL is offered to peers (XEP-0178).
	SASL SASLOffer
	// RequireValidCert aborts the TLS handshake when the peer's certificate
	// does not chain to a trusted root (and, when we are the client, name the
	// peer): XEP-0238's "trusted only" type 6 (§5.6 "the negotiation fails
	// because type2.lit presents a self-signed certificate").
	RequireValidCert bool
	// Accept is the set of levels the server federates at, in both
	// directions: a stream that ends up below them is refused.
	Accept Levels
	// EnforceClientAuthEKU: as receiving server, a peer certificate whose
	// extended key usage lacks id-kp-clientAuth does not count as valid for
	// SASL EXTERNAL (RFC 5280 §4.2.1.12). Default false. Since 2025 public
	// CAs issue serverAuth-only certificates, so enforcing it turns
	// CA-authenticated federation into dialback, or into a failure where
	// dialback is not allowed.
	EnforceClientAuthEKU bool
	// DialbackWithSASL offers Server Dialback alongside SASL EXTERNAL, as
	// Prosody and ejabberd do; default false: dialback is offered only when
	// EXTERNAL is not (XEP-0238's flows, XEP-0178 §3 step 7).
	DialbackWithSASL bool
	// SASLFallback: as initiating server, after a SASL EXTERNAL <failure/>
	// try Server Dialback on the same stream if the peer supports it
	// (XEP-0178 §3 step 9b lets the receiving server continue with dialback).
	// Default false: give up.
	SASLFallback bool
	// DialbackErrors: the server handles dialback errors (XEP-0220 §2.4.2,
	// §2.5): it advertises <dialback><errors/></dialback> and, as receiving
	// server, answers a key it cannot verify with <db:result type='error'/>
	// instead of closing the stream. Default false (XEP-0238's flows).
	DialbackErrors bool
	// RefuseVerifyBeforeTLS: with starttls=required, a <db:verify/> that
	// arrives before TLS is refused like a <db:result/> (stream error
	// Errors.TLSRequired). Default false: it is answered, since XEP-0220
	// §2.1.2 lets connections used only for verification skip TLS. Its
	// field name is verify_before_tls (default true).
	RefuseVerifyBeforeTLS bool
	// DirectTLS: Direct TLS (XEP-0368). As receiving server, listen on
	// dns.DirectTLSPort for connections that start with a TLS handshake
	// (published as an _xmpps-server SRV record); as initiating server,
	// look up _xmpps-server records too and connect to their targets with
	// TLS from the first byte, SNI the peer's domain and ALPN
	// "xmpp-server". Default false.
	DirectTLS bool
	// DirectTLSConnect: Direct TLS as initiating server only — look up
	// _xmpps-server records and connect to their targets with TLS from
	// the first byte, without listening for it. This is what Debian 12's
	// Prosody 0.12.3 and ejabberd 23.01 do out of the box (measured by
	// scenarios/interop: both ask for _xmpps-server records, neither
	// listens on 5270; docs/presets.md). DirectTLS implies it. Default
	// false.
	DirectTLSConnect bool
	// DialbackWithoutDialback: as Receiving Server, answer a <db:result/>
	// key valid at once, without asking the Authoritative Server, when the
	// stream's TLS certificate authenticates the key's 'from' domain —
	// by PKIX, DANE or POSH, checked when the key arrives (XEP-0344 §2.4,
	// §3). Default false.
	DialbackWithoutDialback bool
	// DNSSEC: whether the server's resolver validates (RFC 4035 §5): a
	// bogus answer (a poisoner's, an expired signature) is SERVFAIL, and
	// secure TLSA records become usable for DANE. Default off.
	DNSSEC DNSSECMode
	// DANE: whether a peer's certificate is authenticated by the
	// DNSSEC-secure TLSA records of its SRV target (RFC 7673, RFC 7671),
	// with no public CA. Default off.
	DANE DANEMode
	// POSH: whether a peer's certificate is authenticated by the
	// fingerprints its domain serves over HTTPS (RFC 7711). Default off.
	POSH POSHMode
	// Bidi: bidirectional server-to-server streams (XEP-0288). As
	// receiving server, offer <bidi/> and, once the initiating server is
	// authenticated on a stream that enabled it, send our stanzas to it
	// over that stream; as initiating server, enable it where offered and
	// accept the peer's stanzas on our stream. Default false.
	Bidi bool
	// StreamManagement: stream management on server-to-server streams
	// (XEP-0198), for the stanzas the initiating server sends. As
	// receiving server, offer <sm xmlns='urn:xmpp:sm:3'/>, enable it on an
	// authenticated stream, count the stanzas handled and answer <r/>, and
	// keep a session SMResumeTimeout for resumption; as initiating server,
	// enable it where offered, keep every stanza until acknowledged, and
	// when a stream breaks, negotiate a new one and resume. Default false.
	StreamManagement bool
	// SMNoResume (sm_resume=false): stream management without resumption,
	// as Prosody 0.12.3's mod_smacks does it on s2s. As receiving server,
	// answer <enable resume='true'/> with <enabled/> without 'id' or 'max'
	// (XEP-0198 §5 lets a server refuse resumption; the 'resume' is echoed,
	// as Prosody does); as
	// initiating server, send <enable/> without resume='true', and when a
	// stream breaks, bounce the unacknowledged stanzas to their senders
	// instead of resuming. Inverted so that the zero Policy resumes, as
	// every policy written before the field did.
	SMNoResume bool
	// DialbackTrustResult is a defect to model, not a behaviour to choose:
	// as Receiving Server, take a <db:result type='valid'/> that the
	// Originating Server sends on its own stream at its word, and
	// authenticate the stream for its 'from' domain without asking that
	// domain's Authoritative Server. XEP-0220 §2.1.1 lets only the
	// Receiving Server say whether a key is valid; a receiver without the
	// defect refuses the forged result with <unsupported-stanza-type/>. The class
	// of Metronome issue #391 (a dialback shortcut that authenticated
	// peers without the check it stood for); fedsim attack
	// dialback-shortcut, docs/security.md. Default false.
	DialbackTrustResult bool
	// TLSFailureRetryPlaintext is a defect to model: as initiating server,
	// when a TLS handshake fails, connect again and go on without TLS
	// (Server Dialback in plaintext), as Openfire 4.7 and earlier did
	// (OF-1009; docs/security.md), so an on-path attacker who breaks the
	// handshake downgrades the stream. It is not done where the policy
	// itself demands TLS (initiate_tls=always) or the target has usable
	// TLSA records (RFC 7673 §2.4); a receiver that requires STARTTLS
	// refuses the plaintext retry. fedsim attack plaintext-retry. Default
	// false.
	TLSFailureRetryPlaintext bool
	// Errors names the conditions the server uses when it refuses.
	Errors ErrorProfile
}

// ErrorProfile is which error a server sends for each kind of refusal:
// servers disagree, so fedsim lets a policy say. Empty fields take the
// RFC-strict defaults.
type ErrorProfile struct {
	// TLSRequired is the stream error for a dialback key or stanza sent
	// before mandatory STARTTLS (default not-authorized, RFC 6120
	// §4.9.3.12; Prosody sends policy-violation).
	TLSRequired string
	// Refused is the stream error when the stream's authentication would
	// fall below the accepted levels or dialback is not supported (default
	// not-authorized).
	Refused string
	// Bounce is the stanza error queued stanzas get when a negotiation
	// fails (default remote-server-timeout, XEP-0238; some servers use
	// remote-server-not-found).
	Bounce string
}

// policyFields is the policy vocabulary (see policyfields.go): one entry
// per Policy field, in the order Policy.String prints them. Every surface
// that names a field reads this table. It is built on first use, not at
// package initialisation: its closures and slices are 115 allocations that
// every start of fedsim paid, even 'fedsim help' (issue 17).
var policyFields = sync.OnceValue(newPolicyFieldTable)

// newPolicyFieldTable is the table; read it through policyFields.
func newPolicyFieldTable() []PolicyField {
	return []PolicyField{
		enumField("version", []string{"1.0", "0.9"},
			"XMPP version spoken: 0.9 has no stream features and does dialback only (RFC 6120 §4.7.5, XEP-0238 footnote 4)",
			func(p Policy) int { return int(p.Version) }, func(p *Policy, i int) { p.Version = Version(i) }),
		enumField("starttls", []string{"not-offered", "offered", "required"},
			"what the server offers as receiving entity: no <starttls/>, <starttls/>, or <starttls><required/></starttls> (RFC 6120 §5.3.1)",
			func(p Policy) int { return int(p.StartTLS) }, func(p *Policy, i int) { p.StartTLS = TLSOffer(i) }),
		enumField("initiate_tls", []string{"never", "if-required", "if-offered", "always"},
			"when the server negotiates TLS as initiating entity; always refuses a peer that does not offer it (RFC 6120 §5.4.1, XEP-0238 §5.2, §7.1)",
			func(p Policy) int { return int(p.InitiateTLS) }, func(p *Policy, i int) { p.InitiateTLS = TLSInitiate(i) }),
		boolField("dialback", true, []string{"true", "false"},
			"Server Dialback supported, as initiating and as receiving/authoritative server (XEP-0220)",
			func(p *Policy) *bool { return &p.Dialback }),
		enumField("sasl", []string{"never", "when-cert-valid", "always"},
			"when SASL EXTERNAL is offered: never; on a TLS stream whose peer certificate chains to a trusted root and names the peer (XEP-0178 §3 step 7); or on every TLS stream, the certificate judged at <auth/> (ejabberd)",
			func(p Policy) int { return int(p.SASL) }, func(p *Policy, i int) { p.SASL = SASLOffer(i) }),
		boolField("require_valid_cert", true, []string{"false", "true"},
			"abort the TLS handshake when the peer's certificate does not verify (XEP-0238 §5.6, RFC 6125)",
			func(p *Policy) *bool { return &p.RequireValidCert }),
		levelsField("accept", "the levels the server federates at, in both directions: V dialback, E TLS + dialback, T TLS + SASL EXTERNAL (XEP-0238 §2)",
			[]string{"V", "E", "T", "V,E", "E,T", "V,E,T", "V,T"}, []string{"V,E,T", "E,T", "T", "V"},
			func(p *Policy) *Levels { return &p.Accept }),
		boolField("enforce_clientauth_eku", false, []string{"false", "true"},
			"as receiving server, a peer certificate without id-kp-clientAuth is not valid for SASL EXTERNAL (RFC 5280 §4.2.1.12)",
			func(p *Policy) *bool { return &p.EnforceClientAuthEKU }),
		boolField("dialback_with_sasl", false, []string{"false", "true"},
			"offer Server Dialback alongside SASL EXTERNAL, as Prosody and ejabberd do (XEP-0178 §3 step 7 offers it only without EXTERNAL)",
			func(p *Policy) *bool { return &p.DialbackWithSASL }),
		boolField("sasl_fallback", false, []string{"false", "true"},
			"as initiating server, try Server Dialback on the same stream after a SASL EXTERNAL <failure/> (XEP-0178 §3 step 9b)",
			func(p *Policy) *bool { return &p.SASLFallback }),
		boolField("dialback_errors", false, []string{"false", "true"},
			"advertise <dialback><errors/></dialback> and answer a key that cannot be verified with <db:result type='error'/> (XEP-0220 §2.4.2, §2.5)",
			func(p *Policy) *bool { return &p.DialbackErrors }),
		{Name: "verify_before_tls", Kind: FieldBool, Values: []string{"true", "false"}, Grid: []string{"true", "false"}, Default: "true",
			Help: "as Authoritative Server with starttls=required, answer <db:verify/> before TLS (XEP-0220 §2.1.2 lets verification connections skip TLS); false refuses it like <db:result/> (RFC 6120 §5.3.1)",
			get:  func(p Policy) string { return strconv.FormatBool(!p.RefuseVerifyBeforeTLS) },
			set: func(p *Policy, v string) error {
				b, err := strconv.ParseBool(v)
				p.RefuseVerifyBeforeTLS = !b
				return err
			}},
		boolField("dialback_without_dialback", false, []string{"false", "true"},
			"as Receiving Server, answer a dialback key valid at once when the stream's certificate authenticates its 'from' domain (PKIX, DANE or POSH), without asking the Authoritative Server (XEP-0344 §2.4)",
			func(p *Policy) *bool { return &p.DialbackWithoutDialback }),
		boolField("direct_tls", false, []string{"false", "true"},
			"Direct TLS (XEP-0368): listen for TLS from the first byte on port 5270, published as _xmpps-server SRV, and connect to _xmpps-server targets with SNI and ALPN xmpp-server",
			func(p *Policy) *bool { return &p.DirectTLS }),
		boolField("direct_tls_connect", false, []string{"false", "true"},
			"Direct TLS as initiating server only (XEP-0368 §3): look up _xmpps-server records and connect to their targets with TLS from the first byte, without listening on port 5270 (Prosody 0.12 and ejabberd 23.01 out of the box); direct_tls=true implies it",
			func(p *Policy) *bool { return &p.DirectTLSConnect }),
		optionalEnumField("dnssec", []string{"off", "validate"},
			"the server's resolver: off believes every DNS answer; validate checks DNSSEC signatures from the root trust anchor, answers SERVFAIL for bogus data (a poisoner's, an expired RRSIG) and makes TLSA records usable (RFC 4035 §4.3, §5)",
			func(p Policy) int { return int(p.DNSSEC) }, func(p *Policy, i int) { p.DNSSEC = DNSSECMode(i) }),
		optionalEnumField("dane", []string{"off", "accept", "require"},
			"authenticate a peer's certificate by the DNSSEC-secure TLSA records of its SRV target, with no public CA: accept uses them when published (and then a certificate must match, RFC 7673 §2.4); require also refuses, as initiating server, a receiver without them (RFC 7673, RFC 7671 §5); records are usable only with dnssec=validate",
			func(p Policy) int { return int(p.DANE) }, func(p *Policy, i int) { p.DANE = DANEMode(i) }),
		optionalEnumField("posh", []string{"off", "accept"},
			"accept a peer certificate listed in the fingerprints its domain serves at https://<domain>/.well-known/posh/xmpp-server.json, the web server verified by the public CAs (RFC 7711 §3)",
			func(p Policy) int { return int(p.POSH) }, func(p *Policy, i int) { p.POSH = POSHMode(i) }),
		boolField("bidi", false, []string{"false", "true"},
			"bidirectional streams (XEP-0288): offer and enable <bidi/>, so one connection carries the stanzas of both directions once the initiating server is authenticated",
			func(p *Policy) *bool { return &p.Bidi }),
		boolField("stream_management", false, []string{"false", "true"},
			"stream management (XEP-0198) for the initiating server's stanzas: <sm/> offered on the authenticated stream, <enable resume='true'/>, <r/> and <a h/> acks, and after a broken connection a new authenticated stream that resumes the session and re-sends what was not handled",
			func(p *Policy) *bool { return &p.StreamManagement }),
		{Name: "sm_resume", Kind: FieldBool, Values: []string{"true", "false"}, Default: "true",
			Help: "with stream_management, ask for and grant resumption (XEP-0198 §5); false, as Prosody 0.12.3 on s2s: <enable/> without resume, <enabled/> without id, and the stanzas unacknowledged when a stream breaks are bounced to their senders",
			get:  func(p Policy) string { return strconv.FormatBool(!p.SMNoResume) },
			set: func(p *Policy, v string) error {
				b, err := strconv.ParseBool(v)
				p.SMNoResume = !b
				return err
			}},
		defectField("dialback_trust_result",
			"a defect to model (Metronome #391's class): as Receiving Server, take the Originating Server's own <db:result type='valid'/> at its word and authenticate its 'from' domain without asking the Authoritative Server (XEP-0220 §2.1.1 forbids it)",
			func(p *Policy) *bool { return &p.DialbackTrustResult }),
		defectField("tls_failure_retry_plaintext",
			"a defect to model (Openfire 4.7 and earlier): as initiating server, after a failed TLS handshake connect again without TLS and use dialback in plaintext — unless initiate_tls=always or the target has usable TLSA records (RFC 7673 §2.4)",
			func(p *Policy) *bool { return &p.TLSFailureRetryPlaintext }),
		partsField("errors", "the error conditions the server uses when it refuses (RFC 6120 §4.9.3, §8.3.3)",
			conditionPart("tls_required", "not-authorized", StreamConditions,
				"stream error for a dialback key or stanza before mandatory STARTTLS (RFC 6120 §4.9.3.12; Prosody and ejabberd send policy-violation)",
				func(p *Policy) *string { return &p.Errors.TLSRequired }),
			conditionPart("refused", "not-authorized", StreamConditions,
				"stream error when authentication would fall below the accepted levels or dialback is not supported (RFC 6120 §4.9.3)",
				func(p *Policy) *string { return &p.Errors.Refused }),
			conditionPart("bounce", "remote-server-timeout", StanzaConditions,
				"stanza error of the stanzas bounced when a negotiation fails (XEP-0238; Openfire sends remote-server-not-found)",
				func(p *Policy) *string { return &p.Errors.Bounce })),
	}
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// TLSRequiredCondition, RefusedCondition and BounceCondition apply the
// defaults.
func (e ErrorProfile) TLSRequiredCondition() string {
	return orDefault(e.TLSRequired, "not-authorized")
}
func (e ErrorProfile) RefusedCondition() string { return orDefault(e.Refused, "not-authorized") }
func (e ErrorProfile) BounceCondition() string  { return orDefault(e.Bounce, "remote-server-timeout") }

// Validate reports contradictions between fields, all at once.
func (p Policy) Validate() error {
	var errs []string
	if p.Version == XMPP09 {
		if p.StartTLS != TLSNotOffered {
			errs = append(errs, "version 0.9 has no stream features, so starttls must be not-offered")
		}
		if p.InitiateTLS != InitiateNever {
			errs = append(errs, "version 0.9 cannot negotiate TLS, so initiate_tls must be never")
		}
		if p.SASL != SASLNever {
			errs = append(errs, "version 0.9 has no SASL, so sasl must be never")
		}
		if p.DirectTLS {
			errs = append(errs, "version 0.9 has no TLS, so direct_tls must be false")
		}
		if p.DirectTLSConnect {
			errs = append(errs, "version 0.9 has no TLS, so direct_tls_connect must be false")
		}
		if p.Bidi {
			errs = append(errs, "version 0.9 has no stream features, so bidi must be false")
		}
		if p.StreamManagement {
			errs = append(errs, "version 0.9 has no stream features, so stream_management must be false")
		}
	}
	if p.Accept == 0 {
		errs = append(errs, "accept is empty: the server would federate with no one")
	}
	if !p.Dialback && (p.Accept.Has(LevelVerified) || p.Accept.Has(LevelEncrypted)) {
		errs = append(errs, "accept includes V or E but dialback is off: those levels need Server Dialback")
	}
	if p.Dialback == false && p.SASL == SASLNever {
		errs = append(errs, "neither dialback nor SASL EXTERNAL: no way to authenticate a stream")
	}
	if p.StartTLS == TLSNotOffered && p.InitiateTLS == InitiateNever && !p.Accept.Has(LevelVerified) {
		errs = append(errs, "no TLS in either direction but V is not accepted")
	}
	if p.StartTLS == TLSRequired && p.Accept.Has(LevelVerified) {
		errs = append(errs, "starttls is required but V (dialback without TLS) is accepted")
	}
	if p.DialbackWithSASL && !p.Dialback {
		errs = append(errs, "dialback_with_sasl is set but dialback is off")
	}
	if p.DialbackErrors && !p.Dialback {
		errs = append(errs, "dialback_errors is set but dialback is off")
	}
	if p.DialbackWithoutDialback && !p.Dialback {
		errs = append(errs, "dialback_without_dialback is set but dialback is off")
	}
	if p.SASLFallback && !p.Dialback {
		errs = append(errs, "sasl_fallback is set but dialback is off")
	}
	if p.EnforceClientAuthEKU && p.SASL == SASLNever {
		errs = append(errs, "enforce_clientauth_eku only matters when SASL EXTERNAL is offered")
	}
	// dane without dnssec=validate is allowed, and is what it is in
	// practice: no TLSA record is ever usable (RFC 6698 §4.1), so accept
	// changes nothing and require refuses every receiver.
	if (p.DANE != DANEOff || p.POSH != POSHOff) && p.StartTLS == TLSNotOffered && p.InitiateTLS == InitiateNever {
		errs = append(errs, "dane and posh authenticate TLS certificates, but this server never uses TLS")
	}
	if len(errs) > 0 {
		return fmt.Errorf("nodes: inconsistent policy: %s", strings.Join(errs, "; "))
	}
	return nil
}

// CertKind is the kind of certificate a preset server holds.
type CertKind uint8

const (
	CertNone CertKind = iota
	CertSelfSigned
	CertCAIssued
)

func (c CertKind) String() string { return [...]string{"none", "self-signed", "CA-issued"}[c] }

// Preset is one of the XEP-0238 service types: a policy plus the kind of
// certificate the server holds and whether it trusts the common CA.
type Preset struct {
	Name     string // "type1" …
	Title    string // the XEP's "Federation Policy" column
	Policy   Policy
	Cert     CertKind
	TrustsCA bool
	// Signed, TLSA and POSH are what the server's domain publishes
	// (issue 15): a DNSSEC-signed zone, TLSA records for its endpoint
	// ("" none, "dane-ee", "dane-ta") and a POSH document. XEP-0238's
	// types publish none of them.
	Signed bool
	TLSA   string
	POSH   bool
}

// Presets returns the six service types of XEP-0238 §2, in order. See
// docs/xep0238.md for how each field follows from the XEP's text.
func Presets() []Preset {
	return []Preset{
		{Name: "type1", Title: "Verified Only, no certificate, XMPP 0.9", Cert: CertNone,
			Policy: Policy{Version: XMPP09, StartTLS: TLSNotOffered, InitiateTLS: InitiateNever, Dialback: true,
				SASL: SASLNever, Accept: LevelSet(LevelVerified)}},
		{Name: "type2", Title: "Verified Acceptable, self-signed certificate", Cert: CertSelfSigned,
			Policy: Policy{Version: XMPP10, StartTLS: TLSOffered, InitiateTLS: InitiateIfRequired, Dialback: true,
				SASL: SASLWhenCertValid, Accept: LevelSet(LevelVerified, LevelEncrypted, LevelTrusted)}},
		{Name: "type3", Title: "Verified Acceptable, CA-issued certificate", Cert: CertCAIssued, TrustsCA: true,
			Policy: Policy{Version: XMPP10, StartTLS: TLSOffered, InitiateTLS: InitiateIfRequired, Dialback: true,
				SASL: SASLWhenCertValid, Accept: LevelSet(LevelVerified, LevelEncrypted, LevelTrusted)}},
		{Name: "type4", Title: "Encrypted Required, self-signed certificate", Cert: CertSelfSigned,
			Policy: Policy{Version: XMPP10, StartTLS: TLSRequired, InitiateTLS: InitiateAlways, Dialback: true,
				SASL: SASLWhenCertValid, Accept: LevelSet(LevelEncrypted, LevelTrusted)}},
		{Name: "type5", Title: "Encrypted Required, CA-issued certificate", Cert: CertCAIssued, TrustsCA: true,
			Policy: Policy{Version: XMPP10, StartTLS: TLSRequired, InitiateTLS: InitiateAlways, Dialback: true,
				SASL: SASLWhenCertValid, Accept: LevelSet(LevelEncrypted, LevelTrusted)}},
		{Name: "type6", Title: "Trusted Required, CA-issued certificate, no dialback", Cert: CertCAIssued, TrustsCA: true,
			Policy: Policy{Version: XMPP10, StartTLS: TLSRequired, InitiateTLS: InitiateAlways, Dialback: false,
				SASL: SASLWhenCertValid, RequireValidCert: true, Accept: LevelSet(LevelTrusted)}},
	}
}

// PresetByName finds a preset ("type3" or "3").
func PresetByName(name string) (Preset, bool) {
	n := strings.ToLower(strings.TrimSuffix(name, ".lit"))
	if len(n) == 1 {
		n = "type" + n
	}
	for _, p := range AllPresets() {
		if p.Name == n {
			return p, true
		}
	}
	return Preset{}, false
}

// AllPresets is the six XEP types followed by the real-server presets.
func AllPresets() []Preset { return append(Presets(), RealPresets()...) }

// PresetNames lists every name PresetByName knows, for error messages:
// "type1, type2, …, prosody-13, …, openfire".
func PresetNames() string {
	var names []string
	for _, p := range AllPresets() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}
