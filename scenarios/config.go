package scenarios

import (
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// Config describes a world: everything Build needs to make one, and
// nothing that exists only once it runs. It is the one description every
// world in fedsim comes from — a scenario file is its YAML form (package
// scenarios/spec), and the XEP-0238 pairs (PairConfig), large runs
// (LargeConfig), the benchmarks, teach's explanations and counterfactuals,
// the explorer, sweeps, attacks and chaos all produce a Config and build it
// with Build. A counterfactual edits a Config and builds it again; nothing
// reaches into a built world to change it.
//
// Build reads a Config and never changes it, so one Config can be built any
// number of times; the same Config and seed give the same trace, byte for
// byte. Build draws every secret from the seed's "secrets" stream in a
// fixed order (authorities, named certificates, each server's own
// certificate and the certificate faults that change it, then each server's
// dialback secret), which is why a scenario file and PairConfig describing
// the same pair produce the same bytes.
type Config struct {
	// Seed is the master seed: stream ids, secrets, SRV order, jitter,
	// fragmentation and the load's routes all derive from it.
	Seed uint64
	// Deadline bounds a run in virtual time (zero: RunDeadline, 10m); the
	// run ends earlier when nothing is left to happen.
	Deadline time.Duration
	// Fragment says how writes are cut on the wire: "" or "whole", "random"
	// (up to four pieces, drawn from the seed) or "byte" (one byte per
	// segment). Receivers parse incrementally, so only the wire changes.
	Fragment string
	// DNSDelay is how long every resolver takes to answer (zero:
	// DefaultDNSDelay, 1ms).
	DNSDelay time.Duration
	// NoTrace runs without a trace (benchmarks, large runs, counterfactuals
	// that need only outcomes). Attacks still work: their verdicts read the
	// world's records, not the trace.
	NoTrace bool
	// CountOnly keeps counts instead of the stanzas and outcomes themselves
	// (World.Counts): for large runs.
	CountOnly bool

	// Authorities are the certification authorities, roots and
	// intermediates; the first root is the default authority, which issues
	// the certificates of servers with CertKind CA-issued and through which
	// a cert-intermediate fault chains. When a server or fault needs a
	// default authority and none is listed, Build makes ImplicitCA.
	Authorities []Authority
	// Certificates are named certificates that servers hold or pin.
	Certificates []Certificate
	// Servers are the world's XMPP servers, in the order they are added.
	Servers []Server
	// SRV and Addr are DNS records beyond those Server.DNS publishes.
	SRV  []SRVRecord
	Addr []AddrRecord
	// Links set latency and jitter between two servers.
	Links []Link
	// Faults are injected when the world is built, each visible in the
	// trace from the start.
	Faults []Fault
	// Attacks place attackers between two servers.
	Attacks []AttackSpec
	// Traffic is what local users send, at virtual times.
	Traffic []Send
	// Load generates traffic instead of listing it: large runs.
	Load *Load

	// Broken makes servers break a negotiation rule on purpose, by domain
	// ("*": every server). Tests only: it shows that the invariant checker
	// and the shipped scenarios catch a broken rule.
	Broken map[string]nodes.BrokenRule
	_      struct{}
}

// ImplicitCA is the root authority Build makes when a server or fault needs
// a default authority and the Config lists none: the XEP-0238 world's
// common CA.
const ImplicitCA = "Lit Root CA"

// Authority is a certification authority: a root, or an intermediate
// signed by another authority (RFC 5280 §6 chains, simplified by
// network/ca).
type Authority struct {
	Name string
	// Issuer is the parent authority's name; empty for a root.
	Issuer string
	// NotBefore and NotAfter default to CertWindow().
	NotBefore, NotAfter time.Time
	// Revoked puts an intermediate on every trust store's revocation list.
	Revoked bool
}

// Certificate is a named server certificate that servers hold or pin.
type Certificate struct {
	Name string
	// Issuer names an Authority; empty when SelfSigned.
	Issuer     string
	SelfSigned bool
	// Subject is the Common Name (default: the first DNS name, else the
	// first XmppAddr). RFC 6125 §6.4.4: consulted only without any SAN.
	Subject string
	// DNS, SRV and XMPPAddr are the subjectAltName identifiers: DNS-IDs,
	// SRV-IDs ("_xmpp-server.example.com") and id-on-xmppAddr.
	DNS, SRV, XMPPAddr []string
	// NotBefore and NotAfter default to CertWindow().
	NotBefore, NotAfter time.Time
	// Revoked puts the certificate on every trust store's revocation list.
	Revoked bool
}

// Server is one XMPP server of the world.
type Server struct {
	Domain string
	// Address is the host's address (default 10.0.0.N for the N-th server).
	Address string
	// Preset names the kind of server ("type1" … "type6", a real-server
	// preset, a sweep's policy name); a label for people, Build reads
	// Policy, CertKind and Trust.
	Preset string
	// Policy decides every negotiation step (nodes.Policy).
	Policy nodes.Policy
	// Certificate names one of Config.Certificates, or is "none"; empty
	// means one is made for the domain, of the kind CertKind says.
	Certificate string
	// CertKind is the kind of certificate made for the domain when
	// Certificate is empty: none, self-signed, or CA-issued by the default
	// authority (valid for CertWindow, DNS-ID the domain).
	CertKind nodes.CertKind
	// Trust lists the authorities and pinned self-signed certificates the
	// server trusts; nil or empty trusts nothing. Servers with the same
	// list share one trust store (trust stores are read-only).
	Trust []string
	// Secret is the dialback secret (XEP-0185 §3; default drawn from the
	// seed).
	Secret string
	// Users are the localparts of the accounts the server hosts.
	Users []string
	// DNS is what the server publishes: "addr" (default: an address record
	// for the domain), "srv" (SRV _xmpp-server._tcp.<domain> ->
	// xmpp.<domain>:5269 plus its address record, as XEP-0238's types 2–6
	// publish) or "none".
	DNS string
	// Timeouts override nodes.Default…Timeout (zero: the default).
	NegotiationTimeout, ConnectTimeout, DNSTimeout, VerifyTimeout time.Duration
	// SecureDomains and InsecureDomains are Prosody's s2s_secure_domains
	// and s2s_insecure_domains (nodes.Config).
	SecureDomains, InsecureDomains []string
	// Signed: the server's DNS zone is DNSSEC-signed (RFC 4033): its
	// records verify for validating resolvers (policy dnssec=validate),
	// and a poisoner's do not.
	Signed bool
	// TLSA publishes TLSA records for the server's endpoint,
	// _5269._tcp.<SRV target> (RFC 7673 §2.3; the domain itself without
	// SRV, RFC 6698 §3): "" none; "dane-ee" the SHA-256 of its
	// certificate's key (3 1 1, RFC 7671 §5.1); "dane-ta" that of its
	// issuing authority (2 1 1, RFC 7671 §5.2), which it then presents in
	// its chain. Usable only in a signed zone.
	TLSA string
	// POSH: the domain's web server, with a certificate from the default
	// authority, serves /.well-known/posh/xmpp-server.json listing the
	// server's certificate (RFC 7711 §3.1).
	POSH bool

	// Real makes the server a real program instead of a fedsim server:
	// "prosody", "prosody-debian" or "ejabberd" (Debian's packages, which
	// fedsim configures from Policy where they can express it, starts and
	// stops), or HOST:PORT of one already running on loopback. Build
	// publishes its DNS records and makes its certificate but runs no
	// state machine for it: such a world runs on real sockets only
	// (package scenarios/interop).
	Real string
}

// SRVRecord is an SRV record of _xmpp-server._tcp.<Domain> (RFC 6120
// §3.2.1), or of _xmpps-server._tcp.<Domain> if Direct (XEP-0368).
type SRVRecord struct {
	Domain, Target   string
	Port             int // default 5269, 5270 if Direct
	Priority, Weight int
	Direct           bool
}

// AddrRecord is an address record (A/AAAA) of Host.
type AddrRecord struct {
	Host, Addr string
}

// Link sets the one-way latency and jitter between two servers (default
// network.DefaultLatency, 10ms, and no jitter).
type Link struct {
	A, B            string
	Latency, Jitter time.Duration
	// HasLatency: Latency was given (zero is a latency too).
	HasLatency bool
}

// AttackSpec places one attack between two servers (an AttackPlan, in
// words a file can hold).
type AttackSpec struct {
	// Name identifies the attack in expectations (default: its kind).
	Name                string
	Kind                AttackKind
	Initiator, Receiver string
	// Cert is what a tls-intercept attacker presents: "" or "self-signed"
	// (self-signed in the victims' names), "wrong-name" (issued by the
	// default authority to mallory.example) or the name of a Certificate.
	Cert string
	// Forge is the raw XML of the stanza a dns-poison impostor forges
	// (default: a chat message from the initiator's first user), sent at
	// ForgeAt.
	Forge   string
	ForgeAt time.Duration
}

// Send is one stanza a local user hands to its server at a virtual time.
type Send struct {
	At time.Duration
	// XML is the stanza as written; Stanza, when set, is used instead
	// (Go callers that have the element already).
	XML    string
	Stanza *xmlstream.Element
	// From is the sending server's domain.
	From string
}

// Load generates a large run's traffic: each server draws Peers others at
// random (from the seed's "load" stream), and Stanzas chat messages go
// round-robin over those routes, one every Spread/Stanzas. Each ordered
// pair negotiates once and then reuses its stream. Messages are made when
// they are sent: a million prepared stanzas would dominate the memory the
// run is meant to measure.
type Load struct {
	Peers   int
	Stanzas int
	// Spread is the virtual time over which the stanzas are sent (default
	// one minute).
	Spread time.Duration
	// User is the localpart every server's messages come from and go to
	// (default "u").
	User string
	// Reciprocal: every drawn route is used the other way too — domain j
	// writes back to i — once every route has carried its first stanza
	// forward, as in a conversation that answers (issue 15: what
	// bidirectional streams save). The stanza count stays Stanzas.
	// Default false: one-way traffic, where a reverse route exists only
	// when j happened to draw i.
	Reciprocal bool
}
