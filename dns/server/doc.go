// Package server answers DNS over real UDP and TCP from a dns.Zone, with
// the same faults the mock resolver applies, so that real XMPP servers
// (Prosody, ejabberd, started by fedsim as child processes) and fedsim's
// own real-time runtime resolve the scenario's domains — and suffer its
// DNS faults and its DNS-poisoning attacker — exactly as the simulated
// servers do (issue 13).
//
// # Why a real server, and why miekg/dns
//
// The simulation hands dns.Answer values from the mock resolver to the
// servers as events. A real Prosody resolves through libunbound, a real
// ejabberd through Erlang's inet_res; both speak DNS on the wire (RFC 1035
// §4), so the scenario's records must be there. The wire format comes from
// github.com/miekg/dns, the library CoreDNS is built on: parsing packets
// from other programs is security-relevant, and belongs to a well-kept
// library rather than to code of our own.
//
// # What is served (Serve)
//
// One listener per transport on the same loopback address and port (RFC
// 1035 §4.2.1 UDP, §4.2.2 TCP; RFC 7766). Every answer is authoritative,
// with Options.TTL (default 0, so that caching resolvers see fault windows
// open and close):
//
//   - SRV _xmpp-server._tcp.<domain>: the zone's SRV records for domain,
//     in the order they were added (RFC 2782; RFC 6120 §3.2.1). A target
//     "." (or "") is served as "." — "decidedly not available" (RFC 2782).
//   - _xmpps-server._tcp.<domain> (XEP-0368 direct TLS, which fedsim does
//     not offer, but Prosody 0.12 and p1_xmpp ask for it first): NOERROR
//     with no records when the domain is known.
//   - A <host>: the zone's IPv4 addresses for host; AAAA: its IPv6 ones
//     (none for fedsim's zones, so NOERROR with no records). Addresses that
//     are not IP literals cannot be served and are left out.
//   - A name the zone does not know (no SRV and no address records, nor a
//     service name under such a domain): NXDOMAIN. A known name asked for
//     another type: NOERROR, no records (NODATA). Negative answers carry a
//     root SOA whose minimum is the TTL, which bounds negative caching
//     (RFC 2308 §5).
//   - A UDP answer larger than the asker's EDNS(0) payload size (512 bytes
//     without EDNS, RFC 6891 §6.2.5) goes out truncated with TC set, and
//     the asker retries over TCP (RFC 1035 §4.2.1).
//
// # Faults
//
// Each dns.Fault is applied with the mock's own rules (dns.Resolver
// LookupServer): the first fault in the list whose Domain matches, whose
// Resolver is "" or the asker's name, and whose window holds now applies.
//   - The asker is identified by the source address of its query:
//     Options.Observers maps source IPs to resolver names. fedsim gives each
//     server its own 127.0.0.x, and makes each send its DNS queries from it
//     (Client.LocalAddr, Prosody's outgoing-interface below).
//   - "Now" is real time since Options.Epoch (default: when Serve started),
//     measured against Fault.From and Fault.Until as the mock measures
//     virtual time since the simulation's epoch.
//   - A fault for domain D shapes the queries for D's service names and
//     for D itself: Poison answers the SRV query with the fault's targets
//     (one SRV record per target host and port, ascending priorities in the
//     fault's order so that nobody reorders them) and the address queries
//     for D and for the targets' host names (those the zone does not hold:
//     the poison does not rewrite other hosts' records) with the targets'
//     addresses — for the faulted observer only; NXDomain answers NXDOMAIN; ServFail
//     answers SERVFAIL; NoAnswer drops the query (the asker times out);
//     Slow answers from the zone after Fault.Delay of real time. A lookup
//     that falls back to D's address record asks twice, so a Slow fault
//     delays it twice.
//   - The answer names the fault in an Extended DNS Error (RFC 8914; code
//     Forged Answer for Poison, Other otherwise) when the query carried EDNS,
//     with EXTRA-TEXT "fedsim fault=KIND" plus "delay=D" or via="...". Real
//     resolvers ignore it; fedsim's Client reads it to give back the very
//     Answer the mock gives, notes included (the mock's notes name the
//     fault, which nothing else on the wire could tell).
//
// Options.Log receives one Query per query — when, from where and whom,
// what, the answer, and which fault applied — for the real-time runtime's
// transcript.
//
// # The client (Client.LookupServer)
//
// fedsim's real-time runtime resolves with Client instead of dns.Resolver:
// it follows RFC 6120 §3.2.1 over the wire (SRV; A for each target; or the
// domain's own A record, port 5269, when there is no SRV record), UDP then
// TCP on truncation, and hands what it learned to the mock's own code, so
// that ordering by priority and weight (RFC 2782, with the same random
// stream), errors (dns.ErrNXDomain, dns.ErrServFail) and notes are the
// mock's. TestLookupMatchesMock checks that the two give equal Answers for
// every shape of zone with and without every fault kind.
//
// # Pointing real servers at it
//
// Nothing here touches the system's resolver configuration: every file is
// written in a scratch folder (WriteResolvConf and WriteInetrc refuse /etc
// and /run), and every address is loopback. Findings, checked against
// Debian 12's packages (prosody 0.12.3-1+deb12u1, lua-unbound 1.0.0-2,
// libunbound8 1.17.1, ejabberd 23.01-1, erlang-p1-xmpp 1.6.1, erlang-base
// 25.2.3); TestRealResolvers repeats the checks wherever lua5.4 and erl
// are installed:
//
// Prosody 0.12. It resolves through libunbound when lua-unbound loads:
// util/dependencies.lua then preloads net.unbound as net.adns, and
// net/unbound.lua passes the global `unbound` option table, completed with
// lua-unbound's defaults, to lunbound.new. Without lua-unbound, Prosody
// falls back to net/dns.lua, which reads only /etc/resolv.conf and sends
// to port 53 (setpeername(peer, 53)): it cannot be pointed here without
// changing the system, so the real-server runtime needs lua-unbound
// (Debian's prosody package recommends lua5.4-unbound).
//   - `unbound = { resolvconf = "<path>" }` reads a resolv.conf through
//     libunbound's ub_ctx_resolvconf, which keeps only the characters
//     [0-9a-fA-F.:] after "nameserver" (libunbound/libunbound.c in
//     NLnetLabs/unbound): "nameserver 127.0.0.1@5353" becomes 127.0.0.1
//     port 53. Observed with libunbound 1.17.1: such a file gave SERVFAIL
//     without a query reaching the server; "nameserver 127.0.53.53" with the
//     server on 127.0.53.53:53 (root) worked. So a resolv.conf
//     (WriteResolvConf) needs port 53.
//   - `forward = "IP@PORT"` (a string or an array of them) calls
//     ub_ctx_set_fwd, which parses with extstrtoaddr and accepts "@PORT":
//     any port works, no root needed. Observed working. ProsodyUnbound
//     writes the whole option.
//   - `resolvconf = false` is needed beside it: lua-unbound's defaults are
//     resolvconf = true, hoststxt = true, async = true (lunbound.config), and
//     Prosody overrides only hoststxt; with resolvconf left true the
//     system's nameservers would be forwarders too, off this machine.
//   - `options = { ["outgoing-interface:"] = "127.0.0.5" }` calls
//     ub_ctx_set_option: the queries leave from that address, so
//     Options.Observers can scope faults to this Prosody. Observed working.
//   - lua-unbound 1.0.0 as Debian builds it has no built-in trust anchor
//     (answers came back insecure, not bogus), so the unsigned answers pass;
//     `trusted = {}` makes lunbound.new return a plain table instead of a
//     resolver (observed) — leave it out.
//   - mod_s2s asks _xmpps-server._tcp first when it has a TLS context, then
//     _xmpp-server._tcp (net/resolvers/service.lua: no record → the default
//     port; a single "." target → "service explicitly unavailable").
//
// ejabberd 23.01. Its only resolver options are s2s_dns_timeout and
// s2s_dns_retries (ejabberd_option); outgoing s2s streams are p1_xmpp's
// xmpp_stream_out, which resolves SRV (in processone/xmpp's
// src/xmpp_stream_out.erl: _xmpps-server first when STARTTLS is
// available, then _xmpp-server; on error, the domain's A/AAAA records at
// port 5269) with inet_res:getbyname/3 — the Debian 1.6.1 beam imports
// nothing else from inet_res or inet to resolve with. inet_res takes its nameservers from the Erlang
// inet configuration file that ERL_INETRC names, and ejabberdctl sets
// ERL_INETRC="$CONFIG_DIR"/inetrc (CONFIG_DIR from --config-dir; Debian's
// /etc/ejabberd/inetrc points at /etc/resolv.conf).
//   - An inetrc line {nameserver, IP, Port} carries a port (erts User's
//     Guide, Inet Configuration; inet_res(3erl): nameserver() =
//     {ip_address(), Port}), so any port works, no root needed.
//   - {resolv_conf, ""} must come before it: after it, it clears the list
//     (observed with OTP 25: no nameservers at all); without it the
//     nameservers of /etc/resolv.conf stay. WriteInetrc writes the lines in
//     the order that works, keeps "localhost" resolvable from the file for
//     Erlang distribution, and uses [file, dns] as lookup order.
//   - inet_res has no option for the source address of its queries
//     (inet_res(3erl), res_option()), so they come from 127.0.0.1. One
//     ejabberd can be told apart by mapping 127.0.0.1 to it in
//     Options.Observers while every other asker uses its own address;
//     telling two ejabberds apart would need a listener per observer.
//   - inet_res reports NOERROR-without-records as {error, nxdomain};
//     xmpp_stream_out treats both alike (fall back to A).
//   - Correction, measured when fedsim first ran the real ejabberd: only
//     the SRV lookups use inet_res. The address lookups of the targets go
//     through net:getaddrinfo (p1_xmpp's xmpp_stream_out:a_lookup), the C
//     library's resolver, which reads the system's /etc/resolv.conf. So an
//     inetrc alone is not enough: scenarios/interop runs ejabberd in a
//     mount namespace of its own where /etc/resolv.conf, nsswitch.conf and
//     hosts are files of the scratch folder, naming a forwarder on
//     ejabberd's own address, port 53, that passes queries to this server
//     (needs root; the inetrc names the forwarder too, so all of
//     ejabberd's queries come from its own address).
package server
