package nodes

// RealPresets model today's servers, each with a CA-issued certificate and
// the common CA in its trust store (as with a public CA). Every field, its
// value and the source it comes from are in docs/presets.md; tests in
// scenarios/presets_test.go check the documented behaviour. Where a server
// does something fedsim's model cannot express, docs/presets.md says so and
// the preset takes the nearest value.
func RealPresets() []Preset {
	// Prosody: offers dialback alongside SASL EXTERNAL and falls back to it
	// after a SASL failure; refuses plaintext with policy-violation
	// ("Encrypted server-to-server communication is required but was not
	// offered"); bounces with remote-server-not-found before the peer's
	// stream is open, remote-server-timeout after (fedsim: timeout). It does
	// not check the certificate's key usage.
	prosody := Policy{Version: XMPP10, StartTLS: TLSOffered, InitiateTLS: InitiateIfOffered, Dialback: true,
		SASL: SASLWhenCertValid, Accept: LevelSet(LevelVerified, LevelEncrypted, LevelTrusted),
		DialbackWithSASL: true, SASLFallback: true, Errors: ErrorProfile{TLSRequired: "policy-violation"}}
	// Debian 12's prosody 0.12.3 has s2s_require_encryption default to
	// true in mod_s2s.lua and mod_tls.lua (the 0.11 default was false),
	// and its shipped prosody.cfg.lua sets s2s_secure_auth = true: both
	// measured against the program (fedsim interop prosody and
	// prosody-debian, scenarios/interop).
	//
	// Both Prosody 0.12 and ejabberd 23.01 ask for _xmpps-server records
	// and connect to those targets with Direct TLS (XEP-0368), but listen
	// for it only when configured (direct_tls_connect, not direct_tls);
	// neither offers <bidi/> (XEP-0288) out of the box — Prosody ships
	// mod_s2s_bidi but does not load it. All measured against the
	// programs (scenarios/interop, TestModernFeaturesAsMeasured).
	prosody.DirectTLSConnect = true
	prosodyTLS := prosody // s2s_require_encryption = true
	prosodyTLS.StartTLS, prosodyTLS.InitiateTLS = TLSRequired, InitiateAlways
	prosodyTLS.Accept = LevelSet(LevelEncrypted, LevelTrusted)
	prosodySecure := prosodyTLS // s2s_secure_auth = true: certificates only
	prosodySecure.Accept = LevelSet(LevelTrusted)
	// XEP-0198 on s2s: Prosody 0.12.3 ships mod_smacks in core, not
	// autoloaded, with smacks_enabled_s2s defaulting to true; Debian's
	// prosody.cfg.lua enables "smacks", so a fresh install offers <sm/>
	// (urn:xmpp:sm:3 and :2) on the stream restarted after SASL EXTERNAL
	// and sends <enable/> where a peer offers it — measured
	// (scenarios/interop, checkModernFeatures). It grants no resumption on
	// s2s (mod_smacks: "resumption on s2s is not currently supported")
	// and bounces what was unacknowledged when the stream breaks:
	// sm_resume=false (docs/presets.md).
	prosodyDebian := prosodySecure
	prosodyDebian.StreamManagement = true
	prosodyDebian.SMNoResume = true

	// ejabberd: s2s_use_starttls optional by default, mod_s2s_dialback in
	// the example config; STARTTLS required is refused with policy-violation
	// "Use of STARTTLS required"; before 25.08 the clientAuth key usage is
	// enforced for SASL EXTERNAL (issue #4392), from 25.08 not. EXTERNAL is
	// offered on every TLS stream and the certificate judged at <auth/>
	// (sasl=always: read in p1_xmpp's xmpp_stream_in, measured on 23.01).
	ejabberd := Policy{Version: XMPP10, StartTLS: TLSOffered, InitiateTLS: InitiateIfOffered, Dialback: true,
		SASL: SASLAlways, Accept: LevelSet(LevelVerified, LevelEncrypted, LevelTrusted),
		DialbackWithSASL: true, SASLFallback: true, EnforceClientAuthEKU: true, DialbackErrors: true,
		Errors: ErrorProfile{TLSRequired: "policy-violation"}, DirectTLSConnect: true}
	ejabberd2508 := ejabberd
	ejabberd2508.EnforceClientAuthEKU = false
	ejabberdReq := ejabberd // s2s_use_starttls: required
	ejabberdReq.StartTLS, ejabberdReq.InitiateTLS = TLSRequired, InitiateAlways
	ejabberdReq.Accept = LevelSet(LevelEncrypted, LevelTrusted)
	ejabberdTrusted := ejabberdReq // required, without mod_s2s_dialback
	ejabberdTrusted.Dialback, ejabberdTrusted.DialbackWithSASL, ejabberdTrusted.SASLFallback, ejabberdTrusted.DialbackErrors = false, false, false, false
	ejabberdTrusted.Accept = LevelSet(LevelTrusted)

	// Debian 12's ejabberd 23.01 ships s2s_use_starttls: required with
	// mod_s2s_dialback (/etc/ejabberd/ejabberd.yml; the code default is
	// false). Measured against the program (fedsim interop ejabberd and
	// scenarios/real/ejabberd-live.yaml): STARTTLS required both ways,
	// dialback after TLS (E) and SASL EXTERNAL (T), plaintext and 0.9
	// refused with policy-violation "Use of STARTTLS required" — and so is
	// a <db:verify/> on a connection without TLS, which is why ejabberd
	// cannot federate with type2 and type4, whose verification connections
	// skip TLS (verify_before_tls=false); a serverAuth-only certificate
	// fails EXTERNAL ("unsupported certificate purpose"), and a peer that
	// falls back gets E (enforce_clientauth_eku). Also measured: ejabberd
	// offers SASL EXTERNAL on every TLS stream, whatever the certificate,
	// and refuses an invalid one at <auth/> (sasl=always): types 2 and 4,
	// which do not fall back, get U.
	ejabberd2301 := ejabberdReq
	ejabberd2301.RefuseVerifyBeforeTLS = true

	// Openfire: TLS offered and taken up when offered, dialback allowed,
	// bounces always remote-server-not-found. (Its retry of a failed TLS
	// connection as plaintext dialback is the defect
	// TLSFailureRetryPlaintext, off here: docs/security.md.)
	openfire := Policy{Version: XMPP10, StartTLS: TLSOffered, InitiateTLS: InitiateIfOffered, Dialback: true,
		SASL: SASLWhenCertValid, Accept: LevelSet(LevelVerified, LevelEncrypted, LevelTrusted),
		SASLFallback: true, DialbackErrors: true, Errors: ErrorProfile{TLSRequired: "policy-violation", Bounce: "remote-server-not-found"}}

	ca := func(name, title string, p Policy) Preset {
		return Preset{Name: name, Title: title, Policy: p, Cert: CertCAIssued, TrustsCA: true}
	}
	return []Preset{
		ca("prosody-0.12", "Prosody 0.12, code defaults (s2s_require_encryption = true; measured)", prosodyTLS),
		ca("prosody-0.12-debian", "Prosody 0.12, Debian 12's shipped config (s2s_secure_auth = true, mod_smacks; measured)", prosodyDebian),
		ca("prosody-13", "Prosody 13, code defaults (s2s_require_encryption now true)", prosodyTLS),
		ca("prosody-13-secure-auth", "Prosody 13 with s2s_secure_auth = true", prosodySecure),
		ca("ejabberd-24", "ejabberd before 25.08, example config (starttls optional, dialback)", ejabberd),
		ca("ejabberd-25.08", "ejabberd 25.08+, example config (clientAuth no longer enforced)", ejabberd2508),
		ca("ejabberd-required", "ejabberd, s2s_use_starttls: required, with dialback", ejabberdReq),
		ca("ejabberd-required-trusted", "ejabberd before 25.08, STARTTLS required, no dialback (old required_trusted)", ejabberdTrusted),
		ca("openfire", "Openfire 4.7+, defaults", openfire),
		ca("ejabberd-23.01", "ejabberd 23.01, Debian 12 package defaults (measured)", ejabberd2301),
	}
}
