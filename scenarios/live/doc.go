// Package live runs a world on real sockets: the same nodes.Server state
// machines that the simulation drives, built from the same Config by the
// same scenarios.Build, but carried by real TCP on loopback addresses (one
// 127.x.y.z per domain), real TLS (crypto/tls, with certificates made from
// the scenario's PKI by package network/pki) and DNS answers from the
// scenario's zone. Timers run on the wall clock.
//
// Why a second runtime: fedsim's presets claim how real servers behave.
// A claim checked only against fedsim's own model proves nothing about
// Prosody or ejabberd; on real sockets, a fedsim server can federate with
// a real one, and the transcript shows both sides' bytes as they crossed
// the wire (RFC 6120 §4, §5; XEP-0220; XEP-0178).
//
// Shape. Each server is owned by one goroutine, as in the simulation
// (house style: one owner per state machine). Everything that happens to
// a server — bytes read, a connection accepted or dialled, a handshake
// finished, a DNS answer, a timer — is posted to its goroutine as an
// event; the goroutine feeds it to the server and carries out the effects
// it returns, exactly as scenarios.World does for the simulated network.
// A connection's reader hands each chunk to the owner and waits until the
// owner has consumed it: when the chunk made the server start TLS
// (<starttls/> answered by <proceed/>, RFC 6120 §5.4.2.3), the reader runs
// the handshake on the raw connection before it reads again, so no TLS
// byte is ever taken for XML.
//
// Records. The run is recorded in the built scenarios.World: its trace
// (stamped with wall time since the start, through World.Clock), its
// outcomes, deliveries and bounces, so that transcripts, explanations,
// diagrams and a scenario file's expectations read a live run as they
// read a simulated one. Network events use the simulated network's names
// (connect, accept, refuse, connect-failed, tls-ok, tls-fail, close).
//
// What does not carry over: faults that exist only inside the simulated
// network (partition, black hole, reset after N bytes, latency, fragment
// sizes) have no effect here; Run reports them in Result.Skipped.
// Certificate faults do (they are in the certificates), and so do DNS
// faults, through the DNS answers.
package live
