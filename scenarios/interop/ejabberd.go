package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/fedsim/fedsim/dns/server"
	"github.com/fedsim/fedsim/nodes"
)

// ShippedEjabberdConfig is where Debian's ejabberd package puts the
// configuration it ships (ejabberd 23.01-1): its s2s settings are the
// package defaults (s2s_use_starttls: required, mod_s2s_dialback).
const ShippedEjabberdConfig = "/etc/ejabberd/ejabberd.yml"

// ejabberdctlPath is Debian's control script. fedsim reads from it where
// the Erlang runtime and ejabberd's libraries are (ERL, ERL_LIBS) and runs
// what its "foreground" command runs, itself: as root, the script always
// switches to the ejabberd user with su (INSTALLUSER), who could not read
// a scratch folder made by root, and it would name an Erlang node, start
// epmd (a daemon that outlives the run, listening on every interface) and
// keep the cookie in the user's home.
const ejabberdctlPath = "/usr/sbin/ejabberdctl"

func init() {
	extraServers["ejabberd"] = func() Server { return &Ejabberd{} }
	settingsOf["ejabberd"] = EjabberdSettings
}

// Ejabberd is Debian's ejabberd (23.01), started by fedsim as a child
// process with a configuration fedsim writes into a scratch folder:
// hosts, listeners on its loopback address only, certificate, CA file,
// Mnesia spool, log, PID file and resolver configuration (an Erlang inetrc
// and a resolv.conf, both naming fedsim's DNS server) all live there. The
// Erlang node runs without distribution (nonode@nohost), so no epmd and no
// cookie: fedsim drives it through ejabberd's own HTTP API (mod_http_api,
// on the loopback address, open to 127.0.0.0/8 only). It needs root: see
// Start.
type Ejabberd struct {
	// Policy, when set, is what fedsim writes as ejabberd's s2s settings
	// (EjabberdSettings says which words ejabberd can take); otherwise
	// the s2s settings of the shipped configuration (ShippedEjabberdConfig).
	Policy *nodes.Policy

	env     Env
	api     string // http://ADDR:PORT/api/
	cmd     *exec.Cmd
	done    chan error
	lines   []string        // the s2s settings written, for the report
	logSeen int64           // how much of the log Ping has read
	judged  map[string]bool // "FROM -> TO": outbound streams ejabberd has judged
	fwd     io.Closer
}

// SetPolicy sets Policy (a scenario file's server with real: ejabberd and
// a preset or policy).
func (e *Ejabberd) SetPolicy(p *nodes.Policy) { e.Policy = p }

// Name is "ejabberd".
func (e *Ejabberd) Name() string { return "ejabberd" }

// Preset is the fedsim preset that claims to model Debian's ejabberd with
// its package defaults.
func (e *Ejabberd) Preset() string { return "ejabberd-23.01" }

// Settings are the s2s lines fedsim wrote into the configuration.
func (e *Ejabberd) Settings() []string { return e.lines }

// LogPath is ejabberd's log (debug level: every element it sends and
// receives), kept beside the transcript.
func (e *Ejabberd) LogPath() string { return filepath.Join(e.env.Dir, "ejabberd.log") }

// Available reports whether ejabberd and the Erlang runtime are
// installed, and whether fedsim can run it here: it needs root (see Start:
// a mount namespace and port 53).
func (e *Ejabberd) Available() error {
	if _, _, err := ejabberdRuntime(); err != nil {
		return err
	}
	const why = "it resolves host names with the C library, which fedsim can point at its DNS server only through a private /etc/resolv.conf (a mount namespace) naming a forwarder on port 53"
	if os.Geteuid() != 0 {
		return errors.New("interop: running ejabberd needs root: " + why)
	}
	probe := exec.Command("/bin/sh", "-c", "exit 0")
	probe.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	if err := probe.Run(); err != nil {
		return fmt.Errorf("interop: running ejabberd needs a mount namespace (CAP_SYS_ADMIN): %s: %w", why, err)
	}
	return nil
}

// ejabberdRuntime reads the Erlang program and library folder from
// Debian's ejabberdctl, and checks that both are there.
func ejabberdRuntime() (erl, libs string, err error) {
	b, err := os.ReadFile(ejabberdctlPath)
	if err != nil {
		return "", "", fmt.Errorf("interop: ejabberd is not installed (apt-get install ejabberd): ejabberdctl: %w", err)
	}
	erl, libs = "/usr/bin/erl", ""
	for _, line := range strings.Split(string(b), "\n") {
		if m := ctlVar().FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			switch m[1] {
			case "ERL":
				erl = m[2]
			case "ERL_LIBS":
				libs = m[2]
			}
		}
	}
	if _, err := exec.LookPath(erl); err != nil {
		return "", "", fmt.Errorf("interop: ejabberd needs erl, the Erlang runtime (apt-get install erlang-base): %w", err)
	}
	apps, _ := filepath.Glob(filepath.Join(libs, "ejabberd-*", "ebin", "ejabberd.app"))
	if libs == "" || len(apps) == 0 {
		return "", "", fmt.Errorf("interop: ejabberd is not installed (apt-get install ejabberd): no ejabberd application under ERL_LIBS=%q", libs)
	}
	return erl, libs, nil
}

var ctlVar = lazyRegexp(`^(ERL|ERL_LIBS)=["']?([^"']+)["']?$`)

// ejabberdS2S is what fedsim writes as ejabberd's s2s settings: top-level
// lines (one option each, in YAML flow style) and whether
// mod_s2s_dialback is loaded, with its options.
type ejabberdS2S struct {
	lines    []string
	dialback string // mod_s2s_dialback's options, "" when not loaded
}

func (s ejabberdS2S) report() []string {
	out := append([]string(nil), s.lines...)
	if s.dialback != "" {
		out = append(out, "modules: {mod_s2s_dialback: "+s.dialback+"}")
	}
	return out
}

// shippedEjabberdS2S reads the s2s settings of Debian's shipped
// configuration: every top-level s2s_* option (macros of define_macro
// expanded, as ejabberd does) and mod_s2s_dialback from its modules.
func shippedEjabberdS2S() (ejabberdS2S, error) {
	b, err := os.ReadFile(ShippedEjabberdConfig)
	if err != nil {
		return ejabberdS2S{}, fmt.Errorf("interop: reading the shipped configuration: %w", err)
	}
	var doc yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(b, &doc, yaml.UseOrderedMap()); err != nil {
		return ejabberdS2S{}, fmt.Errorf("interop: %s: %w", ShippedEjabberdConfig, err)
	}
	macros := map[string]any{}
	for _, it := range doc {
		if it.Key == "define_macro" {
			if ms, ok := it.Value.(yaml.MapSlice); ok {
				for _, m := range ms {
					macros[fmt.Sprint(m.Key)] = m.Value
				}
			}
		}
	}
	var s ejabberdS2S
	for _, it := range doc {
		key := fmt.Sprint(it.Key)
		switch {
		case strings.HasPrefix(key, "s2s_"):
			v, err := flowYAML(expandMacros(it.Value, macros))
			if err != nil {
				return s, err
			}
			s.lines = append(s.lines, key+": "+v)
		case key == "modules":
			ms, _ := it.Value.(yaml.MapSlice)
			for _, m := range ms {
				if m.Key == "mod_s2s_dialback" {
					v := any(yaml.MapSlice{})
					if m.Value != nil {
						v = expandMacros(m.Value, macros)
					}
					if s.dialback, err = flowYAML(v); err != nil {
						return s, err
					}
				}
			}
		}
	}
	return s, nil
}

// expandMacros replaces every string that names a macro by its value
// (ejabberd's define_macro).
func expandMacros(v any, macros map[string]any) any {
	switch x := v.(type) {
	case string:
		if m, ok := macros[x]; ok {
			return m
		}
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = expandMacros(x[i], macros)
		}
		return out
	case yaml.MapSlice:
		out := make(yaml.MapSlice, len(x))
		for i := range x {
			out[i] = yaml.MapItem{Key: x[i].Key, Value: expandMacros(x[i].Value, macros)}
		}
		return out
	}
	return v
}

func flowYAML(v any) (string, error) {
	b, err := yaml.MarshalWithOptions(v, yaml.Flow(true))
	if err != nil {
		return "", fmt.Errorf("interop: ejabberd setting: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// EjabberdSettings writes a fedsim policy as ejabberd 23.01's s2s settings
// (s2s_use_starttls and whether mod_s2s_dialback is loaded), and lists the
// words ejabberd cannot express. Read from the 23.01 code Debian ships
// (ejabberd_s2s, ejabberd_s2s_in/out, mod_s2s_dialback, and p1_xmpp 1.6.1's
// xmpp_stream_in/out: the beams carry their abstract code) and checked by
// the interop tests against the program:
//   - s2s_use_starttls sets both sides at once: false (no <starttls/>, never
//     takes it up), optional or true (offered, taken up whenever offered),
//     required (required, and a peer that does not offer it is refused
//     with policy-violation "Use of STARTTLS required"). The deprecated
//     required_trusted is rewritten to required without mod_s2s_dialback.
//   - It opens its streams as XMPP 1.0; with mod_s2s_dialback and TLS not
//     required it talks dialback with a 0.9 peer ("non-RFC compliant
//     server"), but it cannot be a 0.9 server itself (version=0.9).
//   - SASL EXTERNAL is offered on every TLS stream and the certificate is
//     checked when the peer sends <auth/> (see sasl below); a TLS
//     handshake is never aborted for a certificate.
//   - mod_s2s_dialback advertises <dialback><errors/></dialback> beside
//     SASL, and as initiator retries with dialback after a SASL failure
//     ("Retrying with s2s dialback authentication"): with dialback on,
//     dialback_with_sasl, sasl_fallback and dialback_errors are true.
//   - With s2s_use_starttls: required, anything before TLS is refused with
//     policy-violation, a <db:verify/> on a verification connection too
//     (measured): verify_before_tls=false.
//   - A peer certificate without the clientAuth key usage fails SASL
//     EXTERNAL ("unsupported certificate purpose": OpenSSL's default
//     purpose check; ejabberd issue #4392, changed in 25.08; measured by
//     scenarios/real/ejabberd-live.yaml): enforce_clientauth_eku=true.
//
// ejabberd offers SASL EXTERNAL on every TLS stream and refuses an invalid
// certificate when the peer sends <auth/>: that is sasl=always; it cannot
// withhold EXTERNAL from a peer whose certificate does not verify
// (sasl=when-cert-valid).
func EjabberdSettings(p nodes.Policy) (settings, cannot []string) {
	s, cannot := ejabberdPolicy(p)
	return s.report(), cannot
}

func ejabberdPolicy(p nodes.Policy) (s ejabberdS2S, cannot []string) {
	if p.Version != nodes.XMPP10 {
		cannot = append(cannot, "version="+p.Version.String()+" (ejabberd opens its streams as XMPP 1.0)")
	}
	var starttls string
	switch {
	case p.StartTLS == nodes.TLSNotOffered && p.InitiateTLS == nodes.InitiateNever:
		starttls = "false"
	case p.StartTLS == nodes.TLSOffered && p.InitiateTLS == nodes.InitiateIfOffered:
		starttls = "optional"
	case p.StartTLS == nodes.TLSRequired && p.InitiateTLS == nodes.InitiateAlways:
		starttls = "required"
	default:
		cannot = append(cannot, "starttls="+p.StartTLS.String()+" with initiate_tls="+p.InitiateTLS.String()+
			" (s2s_use_starttls sets both: false is not-offered/never, optional offered/if-offered, required required/always)")
		starttls = "optional"
	}
	s.lines = append(s.lines, "s2s_use_starttls: "+starttls)
	if p.Dialback {
		s.dialback = "{}"
	}
	want := nodes.LevelSet(nodes.LevelTrusted)
	if p.Dialback {
		want = nodes.LevelSet(nodes.LevelVerified, nodes.LevelEncrypted, nodes.LevelTrusted)
		if starttls == "required" {
			want = nodes.LevelSet(nodes.LevelEncrypted, nodes.LevelTrusted)
		}
	}
	if p.Accept != want {
		cannot = append(cannot, "accept="+p.Accept.String()+" (with these settings ejabberd accepts "+want.String()+")")
	}
	switch p.SASL {
	case nodes.SASLNever:
		cannot = append(cannot, "sasl=never (ejabberd offers SASL EXTERNAL on every TLS stream)")
	case nodes.SASLWhenCertValid:
		cannot = append(cannot, "sasl=when-cert-valid (ejabberd offers SASL EXTERNAL on every TLS stream and judges the certificate at <auth/>: sasl=always)")
	}
	if p.RequireValidCert {
		cannot = append(cannot, "require_valid_cert=true (ejabberd never aborts a TLS handshake for the peer's certificate)")
	}
	if p.Dialback && starttls == "required" && !p.RefuseVerifyBeforeTLS {
		cannot = append(cannot, "verify_before_tls=true (with s2s_use_starttls: required ejabberd refuses <db:verify/> before TLS with policy-violation)")
	}
	if !p.EnforceClientAuthEKU {
		cannot = append(cannot, "enforce_clientauth_eku=false (ejabberd 23.01 fails SASL EXTERNAL for a certificate without the clientAuth key usage)")
	}
	// XEP-0368 and XEP-0288, read in p1_xmpp 1.6.1's xmpp_stream_out
	// (do_srv_lookup asks for _xmpps-server before _xmpp-server whenever
	// STARTTLS is available, and tries those targets with TLS from the
	// first byte) and measured (fedsim interop ejabberd: the DNS log shows
	// the _xmpps-server questions; nothing listens on 5270 with the
	// shipped listeners; no <bidi/> among the offered features).
	if connect := starttls != "false"; p.DirectTLSConnect != connect && !p.DirectTLS {
		cannot = append(cannot, fmt.Sprintf("direct_tls_connect=%t (ejabberd asks for _xmpps-server records exactly when s2s_use_starttls is not false)", p.DirectTLSConnect))
	}
	if p.DirectTLS {
		cannot = append(cannot, "direct_tls=true (fedsim writes no ejabberd_s2s_in listener with tls: true on port 5270)")
	}
	if p.Bidi {
		cannot = append(cannot, "bidi=true (ejabberd 23.01 has no XEP-0288: no module offers <bidi/>)")
	}
	if p.Dialback {
		if !p.DialbackWithSASL {
			cannot = append(cannot, "dialback_with_sasl=false (mod_s2s_dialback offers dialback beside SASL EXTERNAL)")
		}
		if !p.SASLFallback {
			cannot = append(cannot, "sasl_fallback=false (ejabberd retries with dialback after a SASL failure)")
		}
		if !p.DialbackErrors {
			cannot = append(cannot, "dialback_errors=false (mod_s2s_dialback advertises XEP-0220 errors)")
		}
	}
	return s, cannot
}

// Start writes the configuration and starts ejabberd; it returns once
// ejabberd listens for s2s on env.Addr:5269 and its HTTP API answers.
func (e *Ejabberd) Start(ctx context.Context, env Env) error {
	e.env = env
	erl, libs, err := ejabberdRuntime()
	if err != nil {
		return err
	}
	var s2s ejabberdS2S
	if e.Policy != nil {
		var cannot []string
		if s2s, cannot = ejabberdPolicy(*e.Policy); len(cannot) > 0 {
			return fmt.Errorf("interop: ejabberd cannot express %s", strings.Join(cannot, "; "))
		}
	} else if s2s, err = shippedEjabberdS2S(); err != nil {
		return err
	}
	e.lines = s2s.report()
	e.judged = map[string]bool{}
	e.logSeen = 0
	if fi, err := os.Stat(e.LogPath()); err == nil {
		e.logSeen = fi.Size() // ejabberd appends: an earlier run's verdicts are not this run's
	}
	// The interop world gives every real server the same address: another
	// run's server there would answer for this one.
	s2sAddr := net.JoinHostPort(env.Addr, "5269")
	ln, err := net.Listen("tcp", s2sAddr)
	if err != nil {
		return fmt.Errorf("interop: ejabberd cannot listen on %s, taken (another interop run?): %w", s2sAddr, err)
	}
	ln.Close()
	spool := filepath.Join(env.Dir, "ejabberd-spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return err
	}
	port, err := freePort(env.Addr)
	if err != nil {
		return err
	}
	e.api = "http://" + net.JoinHostPort(env.Addr, strconv.Itoa(port)) + "/api/"
	q := strconv.Quote
	conf := []string{
		"# Written by fedsim for one interop run; everything lives in " + env.Dir,
		"hosts:",
		"  - " + q(env.Domain),
		"loglevel: debug",
		"log_rotate_count: 0",
		"ca_file: " + q(env.CAFile),
		"acme:",
		"  auto: false",
		"outgoing_s2s_families:",
		"  - ipv4",
		"outgoing_s2s_ipv4_address: " + q(env.Addr),
		"listen:",
		"  - port: 5269",
		"    ip: " + q(env.Addr),
		"    module: ejabberd_s2s_in",
		"    max_stanza_size: 524288",
		"  - port: " + strconv.Itoa(port),
		"    ip: " + q(env.Addr),
		"    module: ejabberd_http",
		"    request_handlers:",
		"      /api: mod_http_api",
		"api_permissions:",
		"  \"fedsim on loopback\":",
		"    who:",
		"      ip: 127.0.0.0/8",
		"    what:",
		"      - send_stanza",
		"      - status",
		"modules:",
		"  mod_admin_extra: {}",
		"  mod_http_api: {}",
		"  mod_ping: {}",
		// Loaded as Debian's ejabberd.yml loads it, so that what is
		// measured of XEP-0198 on s2s is with the module present: its
		// hooks are c2s ones (c2s_stream_features, c2s_post_auth_features)
		// and it offers no <sm/> on s2s streams (checkModernFeatures).
		"  mod_stream_mgmt:",
		"    resend_on_timeout: if_offline",
	}
	if s2s.dialback != "" {
		conf = append(conf, "  mod_s2s_dialback: "+s2s.dialback)
	}
	if env.CertFile != "" { // a scenario's server may hold none
		conf = append(conf, "certfiles:", "  - "+q(env.CertFile), "  - "+q(env.KeyFile))
	}
	conf = append(conf, "# s2s settings")
	conf = append(conf, s2s.lines...)
	cfg := filepath.Join(env.Dir, "ejabberd.yml")
	if err := os.WriteFile(cfg, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	// ejabberd has no nameserver option. It looks SRV records up with
	// Erlang's inet_res, which reads the file ERL_INETRC names, but the
	// addresses of their targets, and of a domain without SRV, with
	// net:getaddrinfo (p1_xmpp 1.6.1's xmpp_stream_out:a_lookup): the C
	// library's resolver, which reads /etc/nsswitch.conf, /etc/hosts and
	// /etc/resolv.conf and would ask the system's nameserver. So ejabberd
	// runs in a mount namespace of its own in which those three files are
	// replaced (bind mounts nobody else sees, gone with the process) by
	// files in the scratch folder naming a forwarder to fedsim's DNS
	// server on env.Addr port 53 (resolv.conf cannot name a port); the
	// inetrc names the forwarder too. The forwarder asks from env.Addr, so
	// that fedsim's DNS server can tell ejabberd's queries from others'
	// (server.Options.Observers); inet_res alone would ask from 127.0.0.1.
	dnsAddr := net.JoinHostPort(env.Addr, "53")
	if e.fwd, err = forwardDNS(dnsAddr, env.DNS, env.Addr); err != nil {
		return err
	}
	inetrc := filepath.Join(env.Dir, "inetrc")
	if err := server.WriteInetrc(inetrc, dnsAddr); err != nil {
		return err
	}
	etc := map[string]string{
		"/etc/nsswitch.conf": "# Written by fedsim: names come from the files below and fedsim's DNS only.\nhosts: files dns\n",
		"/etc/hosts":         "# Written by fedsim.\n127.0.0.1 localhost\n::1 localhost\n",
	}
	resolv := filepath.Join(env.Dir, "resolv.conf")
	if err := server.WriteResolvConf(resolv, dnsAddr); err != nil {
		return err
	}
	if _, err := os.Stat("/etc/resolv.conf"); err != nil {
		return fmt.Errorf("interop: ejabberd: no /etc/resolv.conf to hide behind fedsim's: %w", err)
	}
	binds := []string{resolv, "/etc/resolv.conf"}
	for _, sys := range []string{"/etc/nsswitch.conf", "/etc/hosts"} {
		if _, err := os.Stat(sys); err != nil {
			continue // glibc's defaults: files, then DNS
		}
		own := filepath.Join(env.Dir, filepath.Base(sys))
		if err := os.WriteFile(own, []byte(etc[sys]), 0o644); err != nil {
			return err
		}
		binds = append(binds, own, sys)
	}
	// What "ejabberdctl foreground" runs, without a node name, after the
	// bind mounts.
	script := `set -e; while [ "$1" != -- ]; do mount --bind "$1" "$2"; shift 2; done; shift; exec "$@"`
	args := append([]string{"-c", script, "sh"}, binds...)
	args = append(args, "--", erl, "+K", "true", "+P", "250000", "-env", "ERL_CRASH_DUMP_BYTES", "0",
		"-mnesia", "dir", q(spool), "-s", "ejabberd", "-noinput")
	e.cmd = exec.Command("/bin/sh", args...)
	e.cmd.Dir = env.Dir
	e.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + env.Dir,
		"EJABBERD_CONFIG_PATH=" + cfg,
		"EJABBERD_LOG_PATH=" + e.LogPath(),
		"EJABBERD_PID_PATH=" + filepath.Join(env.Dir, "ejabberd.pid"),
		"ERL_INETRC=" + inetrc,
		"ERL_LIBS=" + libs,
		"ERL_CRASH_DUMP=" + filepath.Join(env.Dir, "erl_crash.dump"),
		"ERL_MAX_PORTS=32000",
		"ERL_MAX_ETS_TABLES=1400",
		"CONTRIB_MODULES_PATH=" + filepath.Join(env.Dir, "ejabberd-modules"),
		"CONTRIB_MODULES_CONF_DIR=" + filepath.Join(env.Dir, "ejabberd-modules.d"),
	}
	out, err := os.Create(filepath.Join(env.Dir, "ejabberd.stdout"))
	if err != nil {
		return err
	}
	e.cmd.Stdout, e.cmd.Stderr = out, out
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Unshareflags: syscall.CLONE_NEWNS}
	if err := e.cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("interop: starting ejabberd: %w", err)
	}
	e.done = make(chan error, 1)
	go func() { e.done <- e.cmd.Wait(); out.Close() }()
	if err := waitListening(ctx, s2sAddr, e.done, e.LogPath()); err != nil {
		if b, _ := os.ReadFile(out.Name()); len(b) > 0 {
			if len(b) > 600 {
				b = b[len(b)-600:]
			}
			err = fmt.Errorf("%w; it wrote: %s", err, bytes.TrimSpace(b))
		}
		return err
	}
	for {
		if _, err := e.call(ctx, "status", map[string]string{}); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("interop: ejabberd's HTTP API does not answer: %w; its log: %s", err, e.LogPath())
		}
		select {
		case err := <-e.done:
			return fmt.Errorf("interop: ejabberd exited (%v); its log: %s", err, e.LogPath())
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freePort finds a TCP port free on addr.
func freePort(addr string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		return 0, fmt.Errorf("interop: finding a port for ejabberd's HTTP API: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// call runs one command of ejabberd's HTTP API (mod_http_api).
func (e *Ejabberd) call(ctx context.Context, command string, args any) ([]byte, error) {
	body, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.api+command, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	client := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("interop: ejabberd API %s: %s: %s", command, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

// PingWait bounds how long Ping waits for ejabberd's verdict on its
// outbound stream: ejabberd's own connect timeout (outgoing_s2s_timeout,
// 10 s) and fedsim's NegotiationTimeout, with room to spare.
const PingWait = 15 * time.Second

// Ping makes ejabberd send an XMPP ping (XEP-0199) from its domain to
// domain, through its HTTP API (mod_admin_extra's send_stanza): ejabberd
// negotiates the s2s stream itself. send_stanza does not wait for the
// answer, so Ping then reads ejabberd's log until ejabberd has judged its
// outbound stream to domain — "Accepted outbound s2s … authentication" or
// "Failed to establish outbound s2s connection" (ejabberd_s2s_out) — or
// PingWait has passed. A verdict from before the ping counts: ejabberd
// opens an outbound stream by itself to answer a type's ping, and then
// sends this one over it (or, after a failure, bounces it for a while
// without trying again). After an acceptance the ping and its answer
// follow at once, and the live run waits for them to go quiet.
func (e *Ejabberd) Ping(ctx context.Context, domain string) error {
	from := e.env.Domain
	stanza := fmt.Sprintf("<iq type='get' from='%s' to='%s' id='ping-%s'><ping xmlns='urn:xmpp:ping'/></iq>", from, domain, domain)
	if _, err := e.call(ctx, "send_stanza", map[string]string{"from": from, "to": domain, "stanza": stanza}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	deadline := time.Now().Add(PingWait)
	for time.Now().Before(deadline) {
		if err := e.scanLog(); err != nil {
			return err
		}
		if e.judged[from+" -> "+domain] {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-e.done:
			return fmt.Errorf("interop: ejabberd exited (%v); its log: %s", err, e.LogPath())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// outboundVerdict is ejabberd_s2s_out's log line when it has judged an
// outbound stream: authenticated, or given up (and bouncing).
var outboundVerdict = lazyRegexp(`(?:Accepted outbound s2s \S+ authentication|Failed to establish outbound s2s connection) ([^\s:]+ -> [^\s:]+)`)

// scanLog reads the log from where it last stopped, up to its last whole
// line, and notes the outbound streams ejabberd has judged.
func (e *Ejabberd) scanLog() error {
	f, err := os.Open(e.LogPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(e.logSeen, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if err != nil { // a partial line: read again next time
			return nil
		}
		e.logSeen += int64(len(line))
		if m := outboundVerdict().FindStringSubmatch(line); m != nil {
			e.judged[m[1]] = true
		}
	}
}

// Stop ends ejabberd by its PID (SIGTERM, which the Erlang runtime turns
// into init:stop(); then SIGKILL after 5 s).
func (e *Ejabberd) Stop() error {
	err := stopProcess(e.cmd, e.done)
	if e.fwd != nil {
		e.fwd.Close()
	}
	return err
}

// dnsForwarder relays DNS over UDP and TCP from a loopback address on port
// 53 to fedsim's DNS server, for the C library's resolver, which cannot be
// told a port; it asks from the source address it is given.
type dnsForwarder struct {
	pc net.PacketConn
	ln net.Listener
}

func forwardDNS(listen, upstream, source string) (*dnsForwarder, error) {
	pc, err := net.ListenPacket("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("interop: ejabberd's DNS forwarder on %s (port 53 needs root): %w", listen, err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("interop: ejabberd's DNS forwarder on %s: %w", listen, err)
	}
	f := &dnsForwarder{pc: pc, ln: ln}
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := append([]byte(nil), buf[:n]...)
			go func() {
				d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(source)}}
				c, err := d.Dial("udp", upstream)
				if err != nil {
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write(q); err != nil {
					return
				}
				r := make([]byte, 65535)
				if n, err := c.Read(r); err == nil {
					pc.WriteTo(r[:n], from)
				}
			}()
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
				u, err := d.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				io.Copy(c, u)
			}()
		}
	}()
	return f, nil
}

func (f *dnsForwarder) Close() error {
	f.pc.Close()
	return f.ln.Close()
}
