package spec

import (
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

// Scenario is one scenario file, validated. Its fields are what the user
// wrote with the defaults filled in; the world it describes is built afresh
// by every Run, so a Scenario can be run any number of times.
type Scenario struct {
	// Path is the file it was loaded from (as given to Load).
	Path string
	// Name defaults to the file's base name without extension.
	Name        string
	Description string
	// Seed is the master seed (default 1): stream ids, secrets, SRV order,
	// jitter and fragmentation all derive from it.
	Seed uint64
	// Deadline bounds the run in virtual time (default
	// scenarios.RunDeadline, 10m); the run ends earlier when nothing is left
	// to happen.
	Deadline time.Duration
	// Fragment says how writes are cut on the wire: "whole" (default),
	// "random" (up to four pieces) or "byte".
	Fragment string
	// DNSDelay is how long every resolver takes to answer (default 1ms).
	DNSDelay time.Duration

	Authorities  []Authority
	Certificates []Certificate
	Servers      []Server
	SRV          []SRVRecord
	Addr         []AddrRecord
	Links        []Link
	Faults       []Fault
	Attacks      []Attack
	Traffic      []Send
	Expect       Expect

	// broken makes the named servers ("*": all) break a negotiation rule
	// on purpose; only this package's tests set it, to show that the
	// shipped scenarios catch a broken rule.
	broken map[string]nodes.BrokenRule
	// defaultCA is the authority that preset servers' certificates are
	// issued by and trusted from: the first root in Authorities, or an
	// implicit "Lit Root CA" (implicitCA) when the file defines none.
	defaultCA  string
	implicitCA bool
}

// ImplicitCA is the root authority a scenario gets when one of its preset
// servers needs a CA (a CA-issued preset, or a cert-intermediate fault) and
// the file defines no authority: the XEP-0238 world's common CA.
const ImplicitCA = scenarios.ImplicitCA

// Authority, Certificate, Server, SRVRecord, AddrRecord, Link, Attack and
// Send are the world Config's own types (package scenarios, which documents
// their fields) with where the file wrote them: the file is the Config's
// YAML form, and Scenario.Config hands Build exactly what was loaded.

// Authority is a certification authority (scenarios.Authority).
type Authority struct {
	scenarios.Authority
	at pos
}

// Certificate is a named server certificate (scenarios.Certificate).
type Certificate struct {
	scenarios.Certificate
	at pos
}

// Server is one XMPP server of the world (scenarios.Server). The loader
// fills what the file leaves to the preset: Policy (the preset's, with the
// file's overrides), CertKind and Trust (the default authority for
// CA-trusting presets) and DNS ("addr", unless the file's dns section has
// records for the domain).
type Server struct {
	scenarios.Server

	at      pos
	certAt  pos
	trustAt []pos
	// policySet: the file gave a policy mapping (for a real server, what
	// fedsim writes into its configuration).
	policySet bool
}

// SRVRecord is an SRV record of _xmpp-server._tcp.<Domain> (RFC 6120
// §3.2.1).
type SRVRecord struct {
	scenarios.SRVRecord
	at pos
}

// AddrRecord is an address record (A/AAAA) of Host.
type AddrRecord struct {
	scenarios.AddrRecord
	at pos
}

// Link sets the one-way latency and jitter between two servers.
type Link struct {
	scenarios.Link
	at pos
}

// Fault is a scenarios.Fault with where it was written.
type Fault struct {
	scenarios.Fault
	at pos
}

// Attack places an attacker between two servers (scenarios.AttackSpec).
type Attack struct {
	scenarios.AttackSpec
	at pos
}

// Send is one stanza a local user hands to its server at a virtual time
// (scenarios.Send; the ping and message short forms are expanded to XML).
type Send struct {
	scenarios.Send
	at pos
}

// Expect is what must come of the run.
type Expect struct {
	// Outcomes maps "a -> b" to the levels of a's negotiations towards b,
	// in order (the first when one letter is given).
	Outcomes []OutcomeExpectation
	// Sent and NotSent are elements that must (not) appear on the wire.
	Sent, NotSent []ElementExpectation
	// Events and NotEvents are trace events that must (not) appear.
	Events, NotEvents []EventExpectation
	Delivered         []StanzaExpectation
	Bounced           []StanzaExpectation
	// Invariants: nil means "hold" (no violation, no impersonation).
	Invariants *InvariantExpectation
	Attacks    []AttackExpectation
	// ElapsedMin and ElapsedMax bound the virtual time the run took (zero:
	// unchecked).
	ElapsedMin, ElapsedMax time.Duration
	// Deterministic: run twice and compare trace hashes (default true).
	Deterministic bool
	// Transcript is the golden transcript's path, relative to the scenario
	// file.
	Transcript string
}

// OutcomeExpectation is one "a -> b: LEVEL" line.
type OutcomeExpectation struct {
	From, To string
	// Levels are letters U, V, E, T; "none" expects no negotiation at all.
	Levels []string
	at     pos
}

// ElementExpectation matches XML written from one server to another:
// every element and descendant of what From sent to To is considered.
type ElementExpectation struct {
	From, To string // empty: any
	// Between matches both directions between two servers.
	Between [2]string
	// Stream restricts to the n-th stream of a connection (1 before TLS, 2
	// after it, 3 after SASL; 0: any).
	Stream int
	// Contains matches a substring of the serialised XML; Element and
	// Attrs match an element by qualified or local name and attributes.
	Contains string
	Element  string
	Attrs    map[string]string
	attrKeys []string
	at       pos
}

// EventExpectation matches a trace event.
type EventExpectation struct {
	Event    string // e.g. "dns-answer", "tls-fail", "outcome"; empty: any
	Node     string // the host it happened on; empty: any
	Contains string // a substring of its detail; empty: any
	at       pos
}

// StanzaExpectation matches a delivered or bounced stanza.
type StanzaExpectation struct {
	ID string
	// To and From match JIDs (bare when written without a resource).
	To, From string
	// Stanza is "message", "iq" or "presence" (empty: any).
	Stanza string
	// Type is the stanza's type; for Delivered, empty excludes results
	// and errors so that a ping's id means the ping, not its answer.
	Type string
	// Condition and ErrorType are a bounce's stanza error (RFC 6120 §8.3).
	Condition, ErrorType string
	at                   pos
}

// InvariantExpectation is what scenarios.Check must report.
type InvariantExpectation struct {
	// Ignore skips the check.
	Ignore bool
	// Violations lists the rules expected to be broken ("exactly-once",
	// "authenticated-origin", "policy-level", "dialback-verified", ...).
	Violations     []string
	Impersonations []scenarios.Impersonation
	// Lost, when set, is the number of stanzas lost to network faults.
	Lost  *int
	at    pos
	impAt []pos
}

// AttackExpectation is the expected verdict of one attack; unset fields
// are not checked.
type AttackExpectation struct {
	Attack                                 string
	Verdict                                string
	Impersonated, Read, Downgraded, Denied *bool
	Outcome, Baseline                      string
	at                                     pos
}
