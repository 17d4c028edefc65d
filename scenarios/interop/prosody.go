package interop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fedsim/fedsim/dns/server"
	"github.com/fedsim/fedsim/nodes"
)

// ShippedProsodyConfig is where Debian's prosody package puts the
// configuration it ships (prosody 0.12.3-1+deb12u1).
const ShippedProsodyConfig = "/etc/prosody/prosody.cfg.lua"

// Prosody is Debian's prosody (0.12), started by fedsim as a child process
// with a configuration fedsim writes into a scratch folder: its own data
// folder, log, admin socket, listening address, certificate, trust store
// and resolver (libunbound forwarding to fedsim's DNS server).
type Prosody struct {
	// Shipped takes the s2s settings of Debian's shipped configuration
	// (ShippedProsodyConfig: s2s_secure_auth = true) instead of the code
	// defaults.
	Shipped bool
	// Policy, when set, is what fedsim writes as Prosody's s2s settings
	// (Expressible says which words Prosody can take); otherwise the code
	// defaults or the shipped file's.
	Policy *nodes.Policy

	env   Env
	cfg   string
	cmd   *exec.Cmd
	done  chan error
	lines []string // the s2s settings written, for the report
}

// Name is "prosody" or "prosody-debian".
func (p *Prosody) Name() string {
	if p.Shipped {
		return "prosody-debian"
	}
	return "prosody"
}

// Preset is the fedsim preset that claims to model this configuration.
func (p *Prosody) Preset() string {
	if p.Shipped {
		return "prosody-0.12-debian"
	}
	return "prosody-0.12"
}

// Settings are the s2s lines fedsim wrote into the configuration.
func (p *Prosody) Settings() []string { return p.lines }

// Available reports whether the prosody program is installed.
func (p *Prosody) Available() error {
	for _, prog := range []string{"prosody", "prosodyctl"} {
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Errorf("interop: %s is not installed (apt-get install prosody): %w", prog, err)
		}
	}
	return nil
}

var s2sLine = lazyRegexp(`^\s*(s2s_[a-z_]+)\s*=\s*(.+?)\s*;?\s*$`)

var moduleName = lazyRegexp(`"([A-Za-z0-9_]+)"`)

// prosodyModules is the modules_enabled fedsim writes: TLS, the two s2s
// authentications, ping and the admin shell fedsim drives (c2s, offline,
// posix and http disabled).
const prosodyModules = `"tls", "dialback", "saslauth", "ping", "admin_shell", "admin_socket"`

// s2sModules are the modules a shipped configuration may enable that
// change what Prosody does on s2s streams, and so are taken from it with
// its s2s_* settings: mod_smacks (XEP-0198; smacks_enabled_s2s defaults
// to true, so it offers <sm/> on authenticated s2s streams and enables it
// on outgoing ones) and mod_s2s_bidi (XEP-0288).
var s2sModules = []string{"smacks", "s2s_bidi"}

// shippedSettings reads the s2s settings of Debian's shipped configuration
// (uncommented s2s_* assignments), and the s2sModules its global
// modules_enabled lists (Debian 12's lists "smacks"): what a fresh install
// runs with.
func shippedSettings() ([]string, error) {
	f, err := os.Open(ShippedProsodyConfig)
	if err != nil {
		return nil, fmt.Errorf("interop: reading the shipped configuration: %w", err)
	}
	defer f.Close()
	var out []string
	enabled := map[string]bool{}
	inModules, global := false, true
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "VirtualHost") || strings.HasPrefix(t, "Component") {
			global = false
		}
		if global && strings.HasPrefix(t, "modules_enabled") {
			inModules = true
		}
		if inModules {
			for _, m := range moduleName().FindAllStringSubmatch(line, -1) {
				enabled[m[1]] = true
			}
			if strings.Contains(line, "}") {
				inModules = false
			}
			continue
		}
		if m := s2sLine().FindStringSubmatch(line); m != nil {
			out = append(out, m[1]+" = "+m[2])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("interop: reading the shipped configuration: %w", err)
	}
	mods := prosodyModules
	for _, m := range s2sModules {
		if enabled[m] {
			mods += `, "` + m + `"`
		}
	}
	if mods != prosodyModules {
		out = append(out, "modules_enabled = { "+mods+" }")
	}
	return out, nil
}

// Start writes the configuration and starts Prosody; it returns once
// Prosody listens for s2s on env.Addr:5269.
func (p *Prosody) Start(ctx context.Context, env Env) error {
	p.env = env
	var settings []string
	switch {
	case p.Policy != nil:
		var cannot []string
		settings, cannot = ProsodySettings(*p.Policy)
		if len(cannot) > 0 {
			return fmt.Errorf("interop: prosody cannot express %s", strings.Join(cannot, "; "))
		}
	case p.Shipped:
		var err error
		if settings, err = shippedSettings(); err != nil {
			return err
		}
	}
	p.lines = settings
	unbound, err := server.ProsodyUnbound(env.DNS, env.Addr)
	if err != nil {
		return err
	}
	data := filepath.Join(env.Dir, "prosody-data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	p.cfg = filepath.Join(env.Dir, "prosody.cfg.lua")
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	conf := []string{
		"-- Written by fedsim for one interop run; everything lives in " + env.Dir,
		"run_as_root = true -- CI runs as root; Prosody refuses that unless told",
		"daemonize = false",
		"pidfile = " + q(filepath.Join(env.Dir, "prosody.pid")),
		"data_path = " + q(data),
		"plugin_paths = { }",
		`log = { { levels = { min = "debug" }, to = "file", filename = ` + q(p.LogPath()) + ` } }`,
		"admin_socket = " + q(filepath.Join(env.Dir, "prosody.sock")),
		"interfaces = { " + q(env.Addr) + " }",
		"local_interfaces = { " + q(env.Addr) + " }",
		"s2s_interfaces = { " + q(env.Addr) + " }",
		"s2s_ports = { 5269 }",
		// s2s_direct_tls_ports is left to its default (the s2s_direct_tls
		// service has no default port: Prosody 0.12 does not listen for
		// Direct TLS unless told, measured), or set by ProsodySettings.
		"c2s_ports = { }",
		"c2s_direct_tls_ports = { }",
		"http_ports = { }",
		"https_ports = { }",
		"modules_enabled = { " + prosodyModules + " }",
		`modules_disabled = { "c2s", "offline", "posix", "http" }`,
		// libunbound forwards every query to fedsim's DNS server, from
		// Prosody's own address, and validates nothing (no trust anchor):
		// the scenario's records, poisoned or not, are what Prosody sees.
		"unbound = " + unbound,
		"ssl = { cafile = " + q(env.CAFile) + " }",
		"certificates = " + q(filepath.Join(env.Dir, "no-cert-dir")),
	}
	// An option set twice makes Prosody 0.12's configmanager fail while
	// formatting its "Duplicate option" warning (configmanager.lua:137),
	// so a setting replaces the base line of the same option
	// (modules_enabled for bidi, modules_disabled without dialback).
	for _, set := range settings {
		name, _, _ := strings.Cut(set, " =")
		for i, c := range conf {
			if strings.HasPrefix(c, name+" = ") {
				conf = append(conf[:i], conf[i+1:]...)
				break
			}
		}
	}
	conf = append(conf, settings...)
	conf = append(conf, "VirtualHost "+q(env.Domain),
		"  ssl = { certificate = "+q(env.CertFile)+", key = "+q(env.KeyFile)+" }")
	if err := os.WriteFile(p.cfg, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	p.cmd = exec.Command("prosody", "--config", p.cfg)
	p.cmd.Dir = env.Dir
	out, err := os.Create(filepath.Join(env.Dir, "prosody.stdout"))
	if err != nil {
		return err
	}
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("interop: starting prosody: %w", err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait(); out.Close() }()
	if err := waitListening(ctx, net.JoinHostPort(env.Addr, "5269"), p.done, p.LogPath()); err != nil {
		return err
	}
	return waitActivated(ctx, p.LogPath(), prosodyServices, p.done)
}

// prosodyServices are the network services of mod_s2s (0.12.3), in the
// order it activates them: s2s (5269, STARTTLS) first, then
// s2s_direct_tls (s2s_direct_tls_ports, none by default). Between the two
// Prosody builds the Direct TLS service's TLS context, so 5269 accepts
// while 5270 is not bound yet: a probe of 5270 as soon as 5269 answers
// found nothing there once, on a loaded machine.
var prosodyServices = []string{"s2s", "s2s_direct_tls"}

// prosodyPortError is portmanager's log line when it cannot bind a port
// (taken by another process: two runs on one address) or build a Direct
// TLS port's context.
var prosodyPortError = lazyRegexp(`(Failed to open server port|Error binding encrypted port|Multiple services configured to listen on the same port).*`)

// waitActivated waits until Prosody's log (debug level) has portmanager's
// "Activated service 'NAME' on …" line for each of services — written
// once the service's ports are bound, or with "no ports" — so that what
// listens can be probed, and what does not is not merely late. A port
// Prosody could not bind is an error naming the line; so are its exit and
// the end of ctx.
func waitActivated(ctx context.Context, log string, services []string, exited <-chan error) error {
	for {
		b, err := os.ReadFile(log)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if m := prosodyPortError().Find(b); m != nil {
			return fmt.Errorf("interop: prosody: %s; its log: %s", m, log)
		}
		var missing []string
		for _, s := range services {
			if !bytes.Contains(b, []byte("Activated service '"+s+"' on ")) {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("interop: prosody exited before activating %s (%v); its log: %s", strings.Join(missing, ", "), err, log)
		case <-ctx.Done():
			return fmt.Errorf("interop: prosody did not activate %s: %w; its log: %s", strings.Join(missing, ", "), ctx.Err(), log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Ping makes Prosody send an XMPP ping (XEP-0199) from its domain to
// domain, through its admin shell: Prosody negotiates the s2s stream
// itself. It returns when Prosody has its answer or gives up.
func (p *Prosody) Ping(ctx context.Context, domain string) error {
	cmd := exec.CommandContext(ctx, "prosodyctl", "--config", p.cfg, "shell",
		fmt.Sprintf("xmpp:ping(%q, %q, 10)", p.env.Domain, domain))
	out, err := cmd.CombinedOutput()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	// An error reply ("remote-server-not-found") is an answer too: what
	// counts is the negotiation, which the transcript shows.
	_ = out
	return nil
}

// Stop ends Prosody by its PID (SIGTERM, then SIGKILL after 5 s).
func (p *Prosody) Stop() error { return stopProcess(p.cmd, p.done) }

// LogPath is Prosody's log (debug level), kept beside the transcript.
func (p *Prosody) LogPath() string { return filepath.Join(p.env.Dir, "prosody.log") }

// ProsodySettings writes a fedsim policy as Prosody 0.12's s2s settings,
// and lists the words Prosody cannot express (it cannot speak XMPP 0.9,
// withhold STARTTLS while it holds a certificate, decline TLS a peer
// offers, offer SASL EXTERNAL without dialback beside it, give up after a
// SASL failure, send dialback errors, or check the clientAuth key usage).
// Read from mod_s2s.lua, mod_tls.lua, mod_dialback.lua and mod_saslauth.lua
// of prosody 0.12.3, and checked by the interop tests against the program.
func ProsodySettings(p nodes.Policy) (settings, cannot []string) {
	if p.Version != nodes.XMPP10 {
		cannot = append(cannot, "version="+p.Version.String()+" (Prosody speaks XMPP 1.0)")
	}
	requireTLS := p.StartTLS == nodes.TLSRequired
	switch {
	case p.StartTLS == nodes.TLSNotOffered:
		cannot = append(cannot, "starttls=not-offered (mod_tls offers STARTTLS whenever the host has a certificate)")
	case requireTLS != (p.InitiateTLS == nodes.InitiateAlways):
		cannot = append(cannot, "starttls="+p.StartTLS.String()+" with initiate_tls="+p.InitiateTLS.String()+" (s2s_require_encryption sets both)")
	case p.InitiateTLS == nodes.InitiateNever || p.InitiateTLS == nodes.InitiateIfRequired:
		cannot = append(cannot, "initiate_tls="+p.InitiateTLS.String()+" (Prosody takes up STARTTLS whenever offered)")
	}
	settings = append(settings, fmt.Sprintf("s2s_require_encryption = %t", requireTLS))
	secure := p.RequireValidCert || p.Accept == nodes.LevelSet(nodes.LevelTrusted)
	if secure != (p.Accept == nodes.LevelSet(nodes.LevelTrusted)) {
		cannot = append(cannot, "require_valid_cert="+fmt.Sprint(p.RequireValidCert)+" with accept="+p.Accept.String()+" (s2s_secure_auth sets both)")
	}
	settings = append(settings, fmt.Sprintf("s2s_secure_auth = %t", secure))
	want := nodes.LevelSet(nodes.LevelVerified, nodes.LevelEncrypted, nodes.LevelTrusted)
	if requireTLS {
		want = nodes.LevelSet(nodes.LevelEncrypted, nodes.LevelTrusted)
	}
	if secure {
		want = nodes.LevelSet(nodes.LevelTrusted)
	}
	if p.Accept != want {
		cannot = append(cannot, "accept="+p.Accept.String()+" (with these settings Prosody accepts "+want.String()+")")
	}
	if !p.Dialback {
		settings = append(settings, `modules_disabled = { "c2s", "offline", "posix", "http", "dialback" }`)
	}
	if p.SASL == nodes.SASLNever {
		cannot = append(cannot, "sasl=never (mod_saslauth offers SASL EXTERNAL for a valid certificate)")
	}
	if p.Dialback && !p.DialbackWithSASL && p.SASL != nodes.SASLNever {
		cannot = append(cannot, "dialback_with_sasl=false (Prosody offers dialback beside SASL EXTERNAL)")
	}
	if p.Dialback && !p.SASLFallback {
		cannot = append(cannot, "sasl_fallback=false (Prosody falls back to dialback after a SASL failure)")
	}
	if p.DialbackErrors {
		cannot = append(cannot, "dialback_errors=true (mod_dialback 0.12 does not advertise XEP-0220 errors)")
	}
	if p.EnforceClientAuthEKU {
		cannot = append(cannot, "enforce_clientauth_eku=true (Prosody does not check the key usage)")
	}
	// XEP-0368: mod_s2s asks for _xmpps-server records before
	// _xmpp-server ones whenever the host has a TLS context, and its
	// s2s_direct_tls service listens only on s2s_direct_tls_ports (no
	// default port). XEP-0288: mod_s2s_bidi is neither autoloaded nor in
	// Debian's modules_enabled (commented out there). All three measured
	// by the interop tests, as is mod_smacks below.
	if !p.DirectTLSConnect && !p.DirectTLS {
		cannot = append(cannot, "direct_tls_connect=false (Prosody asks for _xmpps-server records and connects to them with Direct TLS whenever it has a certificate)")
	}
	if p.DirectTLS {
		settings = append(settings, "s2s_direct_tls_ports = { 5270 }")
	}
	// XEP-0198: mod_smacks (in Prosody 0.12.3 itself, not autoloaded;
	// smacks_enabled_s2s defaults to true) offers <sm/> on authenticated
	// s2s streams and enables it on outgoing ones, but resumes no s2s
	// session: its acks are fedsim's, its resumption is not (it bounces
	// what is unacknowledged when the stream breaks).
	mods := prosodyModules
	if p.Bidi {
		mods += `, "s2s_bidi"`
	}
	if p.StreamManagement {
		mods += `, "smacks"`
	}
	if mods != prosodyModules {
		if !p.Dialback {
			mods = strings.Replace(mods, `"dialback", `, "", 1)
		}
		settings = append(settings, "modules_enabled = { "+mods+" }")
	}
	return settings, cannot
}

// waitListening polls addr until something accepts, the process exits, or
// ctx ends.
func waitListening(ctx context.Context, addr string, exited <-chan error, log string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("interop: the server exited before listening on %s (%v); its log: %s", addr, err, log)
		case <-ctx.Done():
			return fmt.Errorf("interop: nothing listens on %s: %w; its log: %s", addr, ctx.Err(), log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stopProcess ends a child and its process group by PID: SIGTERM, then
// SIGKILL if it is still there after 5 s.
func stopProcess(cmd *exec.Cmd, done <-chan error) error {
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	pgid := -cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(pgid, syscall.SIGKILL)
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("interop: the server did not exit after SIGKILL")
	}
}
