package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Kind says what a Record is about.
type Kind uint8

const (
	// KindXML: an XML unit written to a connection (Record.XML holds it
	// exactly as sent; for a stream header, its opening tag).
	KindXML Kind = iota + 1
	// KindEvent: anything else: connect, accept, refuse, TLS handshake
	// messages and results, close, DNS queries and answers, stanza
	// delivery and bounce, negotiation outcomes.
	KindEvent
)

// Record is one line of the trace.
type Record struct {
	Time Time
	Kind Kind
	// Node is the server the record belongs to (the sender, for XML).
	Node string
	// Peer is the other end, when there is one (the receiver, for XML).
	Peer string
	// Conn numbers connections in the order they were opened (1, 2, ...);
	// 0 when the record is not about a connection.
	Conn int
	// Stream numbers the streams on a connection: 1 for the first header,
	// 2 after the restart that follows TLS, 3 after SASL (RFC 6120 §4.3.3).
	Stream int
	// XML is the element as sent (KindXML).
	XML string
	// Event is a short machine-readable name (KindEvent), e.g. "connect",
	// "accept", "refuse", "connect-failed", "reset", "tls-ok", "tls-fail",
	// "close", "dns-answer", "deliver", "bounce", "outcome".
	Event string
	// Detail is the human-readable explanation: why it happened. It is
	// for people: programs should read the typed fields below instead.
	Detail string

	// The typed fields say in data what Detail says in words, for the
	// readers of a trace (diagrams, explanations, JSON lines). Each is set
	// only by a producer that holds the fact as data where it makes the
	// record; empty (false) means "not known here", not "no".

	// Outcome is the level a negotiation reached, as its XEP-0238 letter:
	// "U" (unsuccessful), "V" (verified), "E" (encrypted) or "T"
	// (trusted); set on "outcome" records only.
	Outcome string
	// Condition is the XMPP error condition the record reports: the
	// defined condition's element name without its namespace, e.g.
	// "remote-server-timeout" (RFC 6120 §8.3.3 for stanzas, §4.9.3 for
	// streams). A failed "outcome" carries the condition its waiting
	// stanzas were bounced with; a "bounce", or any record about an error
	// stanza, that stanza's condition.
	Condition string
	// Reason is a short machine word for why something failed, from the
	// vocabulary of the layer that knows it. Network: "refused" (nothing
	// listens on the port), "no-route" (no host at the address), "reset",
	// "tls-alert" (the peer or the network ended the handshake with an
	// alert), "dropped" (a fault swallowed a segment). Certificates (on
	// "tls-fail" at the end that rejected one, and on "tls-ok" when TLS did
	// not authenticate the peer: it presented none, or its certificate is
	// accepted for encryption only; Failure stays false): "cert-none",
	// "cert-self-signed", "cert-untrusted", "cert-bad-signature",
	// "cert-expired", "cert-not-yet-valid", "cert-name-mismatch",
	// "cert-issuer-not-ca", "cert-issuer-expired", "cert-roles",
	// "cert-revoked", "cert-key-usage" (network/ca's verification errors;
	// "cert-invalid" for any other). DNS (dns.Answer.Reason): "nxdomain",
	// "servfail", "no-answer" (the query goes unanswered), "dns-error".
	// World: "server-down" (a user's stanza is lost with its server).
	// A failed "outcome" has no Reason yet: the servers give theirs in
	// words only (nodes.Outcome.Reason).
	Reason string
	// Failure reports that the record is about something going wrong: a
	// refused, failed or reset connection, a TLS failure, a DNS error, an
	// unsuccessful outcome, a bounce or another error stanza, a fault
	// acting on a segment or a DNS query. It is set from typed data only:
	// a decision a server notes in words alone (a "stream-error" or
	// "sasl-failure" note) and a fault or attack the world announces
	// ("fault", "attack" by World.TraceWorld) are not marked; readers that
	// want those match the event name.
	Failure bool
	// Stanza is the stanza an event is about, serialised ("user-send",
	// "deliver", "bounce", "answer", "drop", "accept-stanza",
	// "no-such-user"); empty otherwise. For a bounce it is the error
	// returned to the sender.
	Stanza string
}

// Trace is the canonical record of a run. Transcripts, JSON lines and the
// determinism hash are all derived from it.
type Trace struct {
	Records []Record
}

// Add appends a record.
func (t *Trace) Add(r Record) {
	if t == nil {
		return
	}
	t.Records = append(t.Records, r)
}

// jsonRecord is the --format jsonl shape; field order is part of the format.
type jsonRecord struct {
	Time   float64 `json:"time"`
	TimeNS int64   `json:"time_ns"`
	Conn   int     `json:"conn"`
	Stream int     `json:"stream,omitempty"`
	From   string  `json:"from"`
	To     string  `json:"to"`
	XML    string  `json:"xml,omitempty"`
	Event  string  `json:"event,omitempty"`
	Detail string  `json:"detail,omitempty"`
	// The typed fields come last, so that a consumer of the older shape
	// reads the same prefix.
	Outcome   string `json:"outcome,omitempty"`
	Condition string `json:"condition,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Failure   bool   `json:"failure,omitempty"`
	Stanza    string `json:"stanza,omitempty"`
}

// WriteJSONL writes one JSON object per record: time (virtual seconds since
// Epoch) and time_ns (the same in integer nanoseconds), conn (0 when the
// record is about no connection), stream, from, to and either xml (exactly
// as sent) or event with its detail; then, when set, the typed fields of
// Record: outcome, condition, reason, failure and stanza.
func (t *Trace) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range t.Records {
		jr := jsonRecord{
			Time:   float64(r.Time) / 1e9,
			TimeNS: int64(r.Time),
			Conn:   r.Conn,
			Stream: r.Stream,
			From:   r.Node,
			To:     r.Peer,
			Detail: r.Detail,

			Outcome:   r.Outcome,
			Condition: r.Condition,
			Reason:    r.Reason,
			Failure:   r.Failure,
			Stanza:    r.Stanza,
		}
		if r.Kind == KindXML {
			jr.XML = r.XML
		} else {
			jr.Event = r.Event
		}
		if err := enc.Encode(jr); err != nil {
			return fmt.Errorf("sim: writing trace: %w", err)
		}
	}
	return nil
}

// WriteText writes the human transcript: one block per record, in virtual
// time order, XML indented under its header line.
func (t *Trace) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, r := range t.Records {
		b.Reset()
		b.WriteString(r.Time.String())
		if r.Conn != 0 {
			fmt.Fprintf(&b, " c%d", r.Conn)
			if r.Stream != 0 {
				fmt.Fprintf(&b, ".%d", r.Stream)
			}
		} else {
			b.WriteString("    ")
		}
		b.WriteByte(' ')
		switch r.Kind {
		case KindXML:
			fmt.Fprintf(&b, "%s -> %s\n", r.Node, r.Peer)
			for _, line := range strings.Split(r.XML, "\n") {
				b.WriteString("    ")
				b.WriteString(line)
				b.WriteByte('\n')
			}
		default:
			b.WriteString("* ")
			b.WriteString(r.Event)
			if r.Node != "" {
				b.WriteString(" ")
				b.WriteString(r.Node)
				if r.Peer != "" {
					b.WriteString(" -> ")
					b.WriteString(r.Peer)
				}
			}
			if r.Detail != "" {
				b.WriteString(": ")
				b.WriteString(r.Detail)
			}
			b.WriteByte('\n')
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return fmt.Errorf("sim: writing transcript: %w", err)
		}
	}
	return nil
}

// Hash is the SHA-256 of the JSON-lines form: two runs with equal hashes
// produced byte-identical traces.
func (t *Trace) Hash() string {
	h := sha256.New()
	_ = t.WriteJSONL(h)
	return hex.EncodeToString(h.Sum(nil))
}
