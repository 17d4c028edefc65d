// Package nodes is fedsim's XMPP server: a pure state machine that
// negotiates server-to-server streams.
//
// A Server is fed inputs — a local user's stanza, a connection accepted or
// dialed, bytes received, a TLS handshake's result, a DNS answer, a timer —
// and returns Effects: write these bytes, start TLS, open a connection,
// resolve a domain, arm a timer, note this in the trace. It does no I/O,
// reads no clock (the world sets Server.Now before each input), draws
// randomness only from the source in its Config and starts no goroutine,
// so a run is a function of its inputs. Nor does it import the simulator:
// connections, ends and TLS settings are package network/transport's types,
// which the simulated network aliases (imports_test.go pins this).
//
// Each connection is a stream with one of three roles, named as XEP-0220
// names them:
//
//   - Originating (outbound.go): we initiate a stream to a Receiving
//     Server to send our users' stanzas. RFC 6120 §4–§6 and XEP-0220 §2.1.1:
//     headers, STARTTLS, SASL EXTERNAL (XEP-0178), <db:result/>.
//   - Receiving (inbound.go): a peer initiated a stream to us. We offer
//     features, run STARTTLS and SASL, check <db:result/> keys by asking the
//     peer's Authoritative Server, and — acting as that Authoritative
//     Server for our own domain — answer <db:verify/> (XEP-0220 §2.2).
//   - Verifying (verify.go): the separate connection a Receiving Server
//     opens to an Authoritative Server to send <db:verify/> (XEP-0220
//     §2.1.2), closed once the answer is in.
//
// A note (EffNote) says what the server decided and why, as data: an
// event name, the stanza, outcome or acceptance concerned, and its words
// as a format with typed arguments (Text, text.go), made into prose only
// by whoever reads them — the world, when it records a trace. Protocol
// code therefore notes every decision unconditionally and never asks
// whether anyone listens.
//
// Every decision reads the server's Policy (policy.go); the six XEP-0238
// service types are presets of it, not code paths. Stanzas wait in a
// per-domain route while the negotiation runs and are delivered when it
// succeeds or bounced with the stanza error XEP-0238 prescribes
// (<remote-server-timeout/>) when it fails. Its error type follows RFC 6120
// §8.3.3.17: 'wait' when the peer could not be reached in time, 'cancel'
// when it was reached but refused us or we refused it ("the remote server is
// found but it cannot be authenticated or it violates security policies").
package nodes
