package server

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// WriteResolvConf writes a resolv.conf(5) at path whose only nameserver is
// the Server at addr, for resolvers that read one: libunbound's
// ub_ctx_resolvconf (Prosody's `unbound = { resolvconf = "<path>" }`) and
// Erlang's inet_res (`{resolv_conf, "<path>"}` in an inetrc file).
//
// resolv.conf has no way to name a port — glibc reads "nameserver ADDR"
// only, and libunbound's parser keeps the address characters and drops
// an "@PORT" suffix (see doc.go) — so addr must be on port 53: a file
// naming 127.0.0.1 for a server on another port would send the queries to
// whatever listens on 127.0.0.1:53, possibly a system resolver that asks
// the Internet. Serve on "127.0.53.53:53" (needs root) for this file, or
// tell the resolver the port another way (doc.go: Prosody's `forward`
// option, ejabberd's inetrc {nameserver, IP, Port}).
//
// The address must be loopback, and path may not be the system's own
// resolver configuration (anything under /etc or /run): write it in a
// scratch folder.
func WriteResolvConf(path, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dns/server: resolv.conf: address %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("dns/server: resolv.conf: %q is not a loopback IP address", addr)
	}
	if port != "53" {
		return fmt.Errorf("dns/server: resolv.conf: %s: a resolv.conf cannot name port %s (only 53); listen on port 53 or configure the resolver's port directly", addr, port)
	}
	text := "# Written by fedsim (dns/server): the simulated Internet's DNS, on loopback only.\n" +
		"nameserver " + ip.Unmap().String() + "\n" +
		"options attempts:1 timeout:2\n"
	return writeScratch("resolv.conf", path, text)
}

// ProsodyUnbound is the value of Prosody's global `unbound` option (0.12,
// with lua-unbound installed, which Debian's prosody package recommends)
// that sends every query of the server to addr, any port, and from source
// (a loopback IP, "" for the kernel's choice), so that Options.Observers
// can tell this Prosody's queries from others':
//
//	unbound = { resolvconf = false; hoststxt = false; forward = "127.0.0.1@5353"; options = { ["outgoing-interface:"] = "127.0.0.5" } }
//
// resolvconf = false matters: lua-unbound's default (true) would add the
// system's nameservers from /etc/resolv.conf as forwarders beside addr.
// See doc.go for where each key comes from.
func ProsodyUnbound(addr, source string) (string, error) {
	ap, err := loopbackAddrPort(addr)
	if err != nil {
		return "", fmt.Errorf("dns/server: prosody unbound: %w", err)
	}
	s := fmt.Sprintf("{ resolvconf = false; hoststxt = false; forward = %q", ap.Addr().String()+"@"+fmt.Sprint(ap.Port()))
	if source != "" {
		ip, err := netip.ParseAddr(source)
		if err != nil || !ip.IsLoopback() {
			return "", fmt.Errorf("dns/server: prosody unbound: source %q is not a loopback IP address", source)
		}
		s += fmt.Sprintf("; options = { [\"outgoing-interface:\"] = %q }", ip.String())
	}
	return s + " }", nil
}

// WriteInetrc writes an Erlang inet configuration file (the "inetrc" of
// erts' Inet Configuration guide) at path that makes Erlang's resolver,
// inet_res, ask only the Server at addr, any port. ejabberd 23.01's
// outgoing s2s streams resolve through inet_res (p1_xmpp's
// xmpp_stream_out), and ejabberdctl points ERL_INETRC at
// <config dir>/inetrc: write this file there and start ejabberd with
// `ejabberdctl --config-dir <dir> foreground`. See doc.go.
//
// The order of the lines matters: {resolv_conf, ""} must come first, or
// the nameservers of /etc/resolv.conf stay in the list; "localhost" stays
// resolvable from the file itself, for Erlang distribution.
func WriteInetrc(path, addr string) error {
	ap, err := loopbackAddrPort(addr)
	if err != nil {
		return fmt.Errorf("dns/server: inetrc: %w", err)
	}
	var parts []string
	if ap.Addr().Is4() {
		for _, b := range ap.Addr().As4() {
			parts = append(parts, fmt.Sprint(b))
		}
	} else {
		a := ap.Addr().As16()
		for i := 0; i < 16; i += 2 {
			parts = append(parts, fmt.Sprint(int(a[i])<<8|int(a[i+1])))
		}
	}
	text := "%% Written by fedsim (dns/server): the simulated Internet's DNS, on loopback only.\n" +
		"{resolv_conf, \"\"}.\n" +
		"{hosts_file, \"\"}.\n" +
		"{host, {127,0,0,1}, [\"localhost\"]}.\n" +
		fmt.Sprintf("{nameserver, {%s}, %d}.\n", strings.Join(parts, ","), ap.Port()) +
		"{lookup, [file, dns]}.\n"
	return writeScratch("inetrc", path, text)
}

func loopbackAddrPort(addr string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return ap, fmt.Errorf("address %q: %w", addr, err)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !ap.Addr().IsLoopback() {
		return ap, fmt.Errorf("%q is not a loopback IP address", addr)
	}
	return ap, nil
}

// writeScratch writes a resolver configuration file, never over the
// system's own (anything under /etc or /run).
func writeScratch(what, path, text string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("dns/server: %s: %w", what, err)
	}
	for _, sys := range []string{"/etc", "/run", "/var/run"} {
		if abs == sys || strings.HasPrefix(abs, sys+"/") {
			return fmt.Errorf("dns/server: %s: refusing to write %s: system configuration; use a scratch folder", what, abs)
		}
	}
	if err := os.WriteFile(abs, []byte(text), 0o644); err != nil {
		return fmt.Errorf("dns/server: %s: %w", what, err)
	}
	return nil
}
