// Package transport holds the types that a server state machine and the
// transport under it agree on: which connection (ConnID), which side of it
// (End), what TLS handshake to run (TLSConfig) and what came of it
// (TLSResult, ErrTLSAlert).
//
// It exists so that package nodes, fedsim's XMPP server, can name a
// connection and a handshake without importing the transport that carries
// them: package network (the simulated TCP/TLS network, built on the sim
// kernel) aliases these types, and any other transport — a runtime over
// real sockets, say — can use them as they are. It imports only the
// standard library and package ca (for certificates and trust stores), and
// must stay that way: nodes' tests pin that nodes depends on neither
// network nor sim.
package transport
