package nodes

import (
	"time"

	"github.com/fedsim/fedsim/network/transport"
	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// EffectKind says what the world must do for an Effect.
type EffectKind uint8

const (
	// EffWrite: write Data on Conn from End. Data is one XML unit exactly as
	// serialised (a header's opening tag, an element, or </stream:stream>);
	// the world traces it as sent on stream Stream to Peer.
	EffWrite EffectKind = iota + 1
	// EffStartTLS: begin the TLS handshake on Conn as End with TLS.
	EffStartTLS
	// EffClose: half-close Conn from End (TCP FIN).
	EffClose
	// EffDial: open a TCP connection to Addr:Port; answer with Dialed(Tag…).
	EffDial
	// EffResolve: look up Domain's s2s targets; answer with Resolved(Tag…).
	EffResolve
	// EffTimer: call Timer(Tag) after Delay unless cancelled.
	EffTimer
	// EffCancel: cancel timer Tag.
	EffCancel
	// EffNote: record Event/Detail in the trace (a decision and its reason,
	// a delivery, a bounce, an outcome). Every note is emitted, trace or
	// not: its structured part (Stanza, Outcome, Accept) is what the world
	// counts and collects, and its Detail costs nothing until formatted.
	EffNote
)

// Effect is one thing a Server asks the world to do. Servers never perform
// I/O themselves: they return effects, and the world carries them out and
// feeds the results back as inputs (the shape of etcd's raft Ready).
type Effect struct {
	Kind   EffectKind
	Conn   transport.ConnID
	End    transport.End
	Stream int
	Peer   string
	Data   []byte
	TLS    transport.TLSConfig
	Tag    int64
	Addr   string
	Port   int
	Domain string
	// Direct, on an EffResolve, asks for _xmpps-server records too
	// (XEP-0368).
	Direct bool
	Delay  time.Duration
	Event  string
	// Detail is a note's explanation in words, kept as a format and typed
	// arguments until it is read (Detail.String()): whoever records a trace
	// formats it, and a world without one pays nothing (see Text).
	Detail Text
	// Stanza is the stanza concerned by a "deliver" or "bounce" note.
	Stanza *xmlstream.Element
	// Outcome is set on an "outcome" note.
	Outcome *Outcome
	// Accept is set on an "accept-stanza" note: on what grounds a stanza
	// from a remote domain was let in (for the invariant checker). Held by
	// value: the note is emitted for every stanza let in, trace or not,
	// and a pointer would be an allocation each.
	Accept Acceptance
}

// Acceptance records why a Receiving Server let a stanza in.
type Acceptance struct {
	From     string // the domain the stream is authenticated for
	Level    Level
	Method   string // "dialback", "sasl", or "bidi" (our own stream, XEP-0288)
	StreamID string // the Receiving stream's id (dialback keys are bound to it)
}

// Outcome is the result of one outbound negotiation, reported once per
// attempt as an "outcome" note.
type Outcome struct {
	From, To string
	Level    Level
	// Reason says why it failed (empty on success).
	Reason string
	// Condition and ErrorType are the stanza error queued stanzas were
	// bounced with (RFC 6120 §8.3).
	Condition string
	ErrorType string
	// ReceiverAuth is how the initiating server authenticated the
	// receiving one — the other half of "who verified whom" (Level is
	// XEP-0238's half: how the receiver authenticated the initiator).
	ReceiverAuth ReceiverAuth
}

// ReceiverAuth is how an initiating server knows it reached the domain it
// dialled (issue 14).
type ReceiverAuth uint8

const (
	// ReceiverUnauthenticated: no stream was established.
	ReceiverUnauthenticated ReceiverAuth = iota
	// ReceiverByDNS: only DNS says the peer is the domain — no TLS, or a
	// certificate that did not verify (dialback authenticates the
	// initiator to the receiver, not the other way round: XEP-0220 §1,
	// XEP-0344).
	ReceiverByDNS
	// ReceiverByCertificate: the receiver's certificate verified for the
	// domain in the TLS handshake (RFC 6125, RFC 6120 §13.7.2).
	ReceiverByCertificate
	// ReceiverByDANE: the receiver's certificate matched the DNSSEC-secure
	// TLSA records of the SRV target dialled (RFC 7673), no CA involved.
	ReceiverByDANE
	// ReceiverByPOSH: the receiver's domain vouched for its certificate
	// in its POSH document (RFC 7711).
	ReceiverByPOSH
)

func (a ReceiverAuth) String() string {
	return [...]string{"nothing", "DNS only", "certificate", "DANE", "POSH"}[a]
}
