package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/live"
	"github.com/fedsim/fedsim/sim"
)

// Env is what fedsim gives a real server it starts: a scratch folder, a
// domain and a loopback address of its own, fedsim's DNS server, and its
// certificate, key and trust store as PEM files.
type Env struct {
	Dir, Domain, Addr, DNS    string
	CertFile, KeyFile, CAFile string
	CRLFile                   string
	_                         struct{}
}

// Server is a real XMPP server fedsim runs against.
type Server interface {
	// Name is what the command line calls it ("prosody"); Preset the
	// fedsim preset that claims to model it.
	Name() string
	Preset() string
	// Available says why the server cannot run here (not installed).
	Available() error
	// Start configures and starts the server; it returns once it listens.
	Start(ctx context.Context, env Env) error
	// Ping makes the server itself send an XMPP ping to domain (it
	// negotiates the s2s stream) and returns when it has an answer.
	Ping(ctx context.Context, domain string) error
	Stop() error
	// LogPath is the server's own log.
	LogPath() string
	// Settings are the configuration lines fedsim wrote for it.
	Settings() []string
}

// Options tune a matrix run.
type Options struct {
	// Dir is the scratch folder (default: a new temporary one). Everything
	// the run writes — configuration, certificates, logs, transcripts —
	// goes under it; nothing else is touched.
	Dir string
	// Seed is the worlds' seed (default 1).
	Seed uint64
	// Types are the fedsim kinds of server to federate with the real one
	// (default the six XEP-0238 types).
	Types []string
	// DNSAddr is where fedsim's DNS server listens (default a free port on
	// 127.0.0.1; libunbound is told the port).
	DNSAddr string
	// Progress, when set, gets a line per step.
	Progress io.Writer
	_        struct{}
}

// Cell is one pair of the matrix: what the real server did and what the
// preset that claims to model it does in the simulation.
type Cell struct {
	Initiator string `json:"initiator"`
	Receiver  string `json:"receiver"`
	Real      string `json:"real"`
	Simulated string `json:"simulated"`
	Agree     bool   `json:"agree"`
	// Differs is the first element on the wire that differs between the
	// real run and the simulated one (empty when they agree).
	Differs string `json:"differs,omitempty"`
}

// Matrix is the result of running the types against one real server.
type Matrix struct {
	Server string `json:"server"`
	Preset string `json:"preset"`
	Domain string `json:"domain"`
	// Settings are the configuration lines fedsim wrote for the server.
	Settings []string `json:"settings"`
	Cells    []Cell   `json:"cells"`
	// Dir holds the real run's transcript (transcript.txt), the
	// simulated one (simulated.txt) and the server's log.
	Dir string `json:"dir"`
	// Log is the server's log file.
	Log string `json:"log"`
	// Wall is the real run (start, negotiations, stop); Negotiations the
	// number of s2s negotiations it made; Simulated the simulated run's
	// wall time.
	Wall         time.Duration `json:"wall_ns"`
	Negotiations int           `json:"negotiations"`
	Simulated    time.Duration `json:"simulated_wall_ns"`
	// RealNegotiation is the median wall time from a type's ping to the
	// outcome of its negotiation with the real server (the six types'
	// own negotiations, all started at once); SimNegotiation the wall
	// time the simulation spends per negotiation (its whole run divided
	// by the negotiations it made), and SimVirtual the median virtual
	// time of the same six negotiations in the simulation.
	RealNegotiation time.Duration `json:"real_negotiation_ns"`
	SimNegotiation  time.Duration `json:"sim_negotiation_ns"`
	SimVirtual      time.Duration `json:"sim_virtual_negotiation_ns"`
	// Offered is what the real server offered on the s2s streams the
	// types opened to it, as seen on the wire: each distinct
	// <stream:features/> as "before TLS: starttls(required),dialback" or
	// "after TLS: …" (label's names, sorted); SimOffered the same from
	// the simulation of its preset. Here bidi (XEP-0288) shows up when
	// the server offers it, and stream management (XEP-0198) as sm:3 (and
	// sm:2).
	Offered    []string `json:"offered"`
	SimOffered []string `json:"simulated_offered"`
	// AsksXMPPS: the real server asked fedsim's DNS server for
	// _xmpps-server._tcp records (XEP-0368 §3), i.e. it would connect to
	// a peer's Direct TLS targets. ListensDirectTLS: something accepted a
	// TCP connection on its address at port 5270 (dns.DirectTLSPort) while
	// it ran, i.e. it listens for Direct TLS.
	AsksXMPPS        bool `json:"asks_xmpps_server"`
	ListensDirectTLS bool `json:"listens_direct_tls"`
}

// Agree reports whether every cell agrees.
func (m *Matrix) Agree() bool {
	for _, c := range m.Cells {
		if !c.Agree {
			return false
		}
	}
	return true
}

// NegotiationTimeout bounds each fedsim server's negotiations in a matrix
// run (in both worlds, real and simulated): a real server that never
// answers (Prosody 0.12 leaves a dialback key from a plaintext 0.9 peer
// unanswered when it cannot verify it over TLS) costs this long, not the
// default minute.
const NegotiationTimeout = 10 * time.Second

// typeUser is the account each fedsim server hosts.
const typeUser = "fedsim"

// worldConfig describes the world of a matrix run: each fedsim type on a
// loopback address of its own (Loopback(1) …), the real server's domain
// with its address record and its certificate from the world's CA, and —
// when real is nil — a fedsim server with the preset's policy standing in
// for it (the simulation).
func worldConfig(domain, addr string, types []string, seed uint64, stand *nodes.Preset) (*scenarios.Config, error) {
	cfg := &scenarios.Config{Seed: seed, Authorities: []scenarios.Authority{{Name: scenarios.ImplicitCA}},
		Certificates: []scenarios.Certificate{{Name: domain, Issuer: scenarios.ImplicitCA, Subject: domain, DNS: []string{domain}}}}
	for i, t := range types {
		p, ok := nodes.PresetByName(t)
		if !ok {
			return nil, fmt.Errorf("interop: unknown kind of server %q (want %s)", t, nodes.PresetNames())
		}
		d := p.Name + ".lit"
		sv := scenarios.Server{Domain: d, Address: Loopback(i + 1), Preset: p.Name, Policy: p.Policy,
			CertKind: p.Cert, Users: []string{typeUser}, DNS: "srv", NegotiationTimeout: NegotiationTimeout}
		if p.TrustsCA {
			sv.Trust = []string{scenarios.ImplicitCA}
		}
		if p.Name == "type1" {
			sv.DNS = "addr"
		}
		cfg.Servers = append(cfg.Servers, sv)
		ping := fmt.Sprintf("<iq from='%s@%s/interop' id='to-%s' to='%s' type='get'><ping xmlns='urn:xmpp:ping'/></iq>", typeUser, d, p.Name, domain)
		cfg.Traffic = append(cfg.Traffic, scenarios.Send{From: d, XML: ping})
	}
	if stand != nil {
		sv := scenarios.Server{Domain: domain, Address: addr, Preset: stand.Name, Policy: stand.Policy,
			Certificate: domain, Trust: []string{scenarios.ImplicitCA}, Users: []string{typeUser}}
		cfg.Servers = append(cfg.Servers, sv)
		for _, t := range cfg.Servers[:len(cfg.Servers)-1] {
			ping := fmt.Sprintf("<iq from='%s' id='from-%s' to='%s' type='get'><ping xmlns='urn:xmpp:ping'/></iq>", domain, t.Preset, t.Domain)
			cfg.Traffic = append(cfg.Traffic, scenarios.Send{From: domain, XML: ping})
		}
	} else {
		cfg.Addr = []scenarios.AddrRecord{{Host: domain, Addr: addr}}
	}
	return cfg, nil
}

// Run federates each type with the real server in both directions — the
// type pings the server's domain, and the server (through its own admin
// interface) pings the type's — and compares every negotiation with the
// simulation of the preset that claims to model the server.
func Run(ctx context.Context, srv Server, opt Options) (*Matrix, error) {
	if err := srv.Available(); err != nil {
		return nil, err
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if len(opt.Types) == 0 {
		opt.Types = scenarios.Types
	}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "fedsim-interop-")
		if err != nil {
			return nil, err
		}
		opt.Dir = d
	}
	progress := func(f string, a ...any) {
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, f+"\n", a...)
		}
	}
	preset, ok := nodes.PresetByName(srv.Preset())
	if !ok {
		return nil, fmt.Errorf("interop: %s claims preset %q, which fedsim does not know", srv.Name(), srv.Preset())
	}
	domain, addr := srv.Name()+".lit", Loopback(100)
	ext, external := srv.(*External)
	if external {
		domain, addr = ext.Domain, ext.Addr
	}
	m := &Matrix{Server: srv.Name(), Preset: preset.Name, Domain: domain, Dir: opt.Dir}

	// The simulation first: the preset standing in for the real server.
	simStart := time.Now()
	scfg, err := worldConfig(domain, addr, opt.Types, opt.Seed, &preset)
	if err != nil {
		return nil, err
	}
	sw, err := scenarios.Build(scfg)
	if err != nil {
		return nil, err
	}
	sw.Run(scenarios.RunDeadline)
	m.Simulated = time.Since(simStart)
	if err := WriteTranscript(filepath.Join(opt.Dir, "simulated.txt"), sw); err != nil {
		return nil, err
	}

	// The real run.
	start := time.Now()
	rcfg, err := worldConfig(domain, addr, opt.Types, opt.Seed, nil)
	if err != nil {
		return nil, err
	}
	rw, err := scenarios.Build(rcfg)
	if err != nil {
		return nil, err
	}
	var queries bytes.Buffer
	progress("starting %s on %s (scratch %s)", srv.Name(), addr, opt.Dir)
	launched, err := Launch(ctx, rw, opt.Dir, opt.DNSAddr, &queries, []Real{{Server: srv, Domain: domain, Addr: addr,
		Cert: rw.Prepared.Certificates[domain], Trust: ca.NewPool(rw.Prepared.DefaultCA.Cert)}})
	if err != nil {
		return nil, err
	}
	m.Settings, m.Log = srv.Settings(), srv.LogPath()
	if !external {
		m.ListensDirectTLS = listens(net.JoinHostPort(addr, strconv.Itoa(dns.DirectTLSPort)))
	}
	res, err := live.RunWorld(rw, launched.Live(live.Options{
		Trigger: func(ctx context.Context) error {
			for _, t := range rcfg.Servers {
				progress("%s pings %s", srv.Name(), t.Domain)
				if err := srv.Ping(ctx, t.Domain); errors.Is(err, ErrCannotInitiate) {
					return nil
				} else if err != nil {
					return err
				}
			}
			return nil
		},
		Deadline: 90 * time.Second,
	}))
	stopErr := launched.Stop()
	m.Wall = time.Since(start)
	if err != nil {
		return nil, err
	}
	if stopErr != nil {
		return nil, stopErr
	}
	_ = os.WriteFile(filepath.Join(opt.Dir, "dns-queries.txt"), queries.Bytes(), 0o600)
	m.AsksXMPPS = asksXMPPS(queries.String(), domain)
	m.Offered, m.SimOffered = offered(rw, domain), offered(sw, domain)
	if err := WriteTranscript(filepath.Join(opt.Dir, "transcript.txt"), rw); err != nil {
		return nil, err
	}
	if res.TimedOut {
		progress("the real run did not go quiet before its deadline")
	}
	m.Negotiations = len(rw.Outcomes) + len(rw.Acceptances)
	var real, virtual []time.Duration
	for _, t := range rcfg.Servers {
		real = append(real, outcomeTime(rw, t.Domain, domain))
		virtual = append(virtual, outcomeTime(sw, t.Domain, domain))
	}
	m.RealNegotiation, m.SimVirtual = median(real), median(virtual)
	if n := len(sw.Outcomes) + len(sw.Acceptances); n > 0 {
		m.SimNegotiation = m.Simulated / time.Duration(n)
	}

	for _, t := range rcfg.Servers {
		fwd := Cell{Initiator: t.Preset, Receiver: srv.Name(), Real: forward(rw, t.Domain, domain), Simulated: forward(sw, t.Domain, domain)}
		fwd.Agree = fwd.Real == fwd.Simulated
		if !fwd.Agree {
			fwd.Differs = firstDifference(rw, sw, t.Domain, domain)
		}
		if external {
			m.Cells = append(m.Cells, fwd)
			continue
		}
		rev := Cell{Initiator: srv.Name(), Receiver: t.Preset, Real: accepted(rw, domain, t.Domain), Simulated: accepted(sw, domain, t.Domain)}
		rev.Agree = rev.Real == rev.Simulated
		if !rev.Agree {
			rev.Differs = firstDifference(rw, sw, domain, t.Domain)
		}
		m.Cells = append(m.Cells, fwd, rev)
	}
	return m, nil
}

// WriteTranscript writes a world's trace as text at path (….txt) and as
// JSON lines beside it (….jsonl): the formats of fedsim run, with the
// run's own times (wall time since the start, for a real run).
func WriteTranscript(path string, w *scenarios.World) error {
	var b, j bytes.Buffer
	if err := w.Sim.Trace.WriteText(&b); err != nil {
		return err
	}
	if err := w.Sim.Trace.WriteJSONL(&j); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return err
	}
	return os.WriteFile(strings.TrimSuffix(path, filepath.Ext(path))+".jsonl", j.Bytes(), 0o600)
}

// offered lists the distinct stream features server offered in w, on
// the streams others opened to it, each labelled with whether the stream
// was encrypted yet (a STARTTLS <proceed/> earlier on the connection; the
// types connect without Direct TLS).
func offered(w *scenarios.World, server string) []string {
	secure := map[int]bool{}
	seen := map[string]bool{}
	var out []string
	for _, r := range w.Sim.Trace.Records {
		if r.Conn == 0 {
			continue
		}
		if r.Kind != sim.KindXML {
			continue
		}
		if strings.HasPrefix(r.XML, "<proceed") {
			secure[r.Conn] = true
		}
		if r.Node != server || !strings.HasPrefix(r.XML, "<stream:features") {
			continue
		}
		when := "before TLS: "
		if secure[r.Conn] {
			when = "after TLS: "
		}
		l := strings.TrimSuffix(strings.TrimPrefix(label(r.XML), "<stream:features"), ">")
		names := strings.Split(strings.TrimSpace(l), ",")
		sort.Strings(names)
		if k := when + strings.Join(names, ","); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Offers reports whether a list made by offered has feature (a label
// name such as "bidi") among the features of any line.
func Offers(lines []string, feature string) bool {
	for _, l := range lines {
		_, names, _ := strings.Cut(l, ": ")
		for _, n := range strings.Split(names, ",") {
			if n == feature {
				return true
			}
		}
	}
	return false
}

// asksXMPPS reports whether the DNS query log (one server.Query per line)
// has a question for _xmpps-server._tcp records from the server of domain.
func asksXMPPS(log, domain string) bool {
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "_xmpps-server._tcp.") && strings.Contains(l, "("+domain+")") {
			return true
		}
	}
	return false
}

// listens reports whether something accepts a TCP connection at addr.
func listens(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// forward is the level from's first negotiation towards to reached, as
// from's own server recorded it (U when it failed or never ended).
func forward(w *scenarios.World, from, to string) string {
	for _, o := range w.Outcomes {
		if o.Host == from && o.From == from && o.To == to {
			return o.Level.Letter()
		}
	}
	return "U"
}

// accepted is the level at which to's server authenticated a stream from
// from — XEP-0238's letter, as the receiver saw it — or U if it accepted
// none.
func accepted(w *scenarios.World, from, to string) string {
	for _, a := range w.Acceptances {
		if a.Host == to && a.From == from {
			return a.Level.Letter()
		}
	}
	return "U"
}

// firstDifference finds the first element that differs between the real
// and the simulated run on the first connection from opened towards to.
func firstDifference(real, simulated *scenarios.World, from, to string) string {
	a, b := elementsOn(real, from, to), elementsOn(simulated, from, to)
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x == "" {
				x = "nothing"
			}
			if y == "" {
				y = "nothing"
			}
			return fmt.Sprintf("element %d: real %s, simulated %s", i+1, x, y)
		}
	}
	return "the same elements; the outcome differs"
}

// elementsOn lists, as "sender: label", the elements on the first
// connection from opened towards to (the one whose first header from
// sent), in the order recorded.
func elementsOn(w *scenarios.World, from, to string) []string {
	conn := 0
	opener := map[int]string{}
	for _, r := range w.Sim.Trace.Records {
		if r.Kind != sim.KindXML || r.Conn == 0 {
			continue
		}
		if _, seen := opener[r.Conn]; !seen {
			opener[r.Conn] = r.Node
			if r.Node == from && r.Peer == to && conn == 0 {
				conn = r.Conn
			}
		}
	}
	var out []string
	for _, r := range w.Sim.Trace.Records {
		if r.Kind == sim.KindXML && r.Conn == conn && conn != 0 {
			out = append(out, r.Node+": "+label(r.XML))
		}
	}
	return out
}

// label names an element for comparison: its qualified name, its type
// attribute, and for stream features the features offered.
func label(x string) string {
	if strings.HasPrefix(x, "</") {
		return "</stream:stream>"
	}
	if strings.HasPrefix(x, "<stream:stream") || strings.HasPrefix(x, "<stream ") {
		return "<stream:stream>"
	}
	e := xmlstream.ParseUnit(x)
	if e == nil {
		return x
	}
	s := "<" + e.Name
	if t := e.Attr("type"); t != "" {
		s += " type=" + t
	}
	if e.Local() == "features" {
		var fs []string
		for _, n := range e.Nodes {
			if n.Elem == nil {
				continue
			}
			f := n.Elem.Local()
			if n.Elem.Child("required") != nil {
				f += "(required)"
			}
			// XEP-0198 by its version: urn:xmpp:sm:3 is "sm:3" (Prosody's
			// mod_smacks offers sm:2 beside it).
			if sp, ok := strings.CutPrefix(n.Elem.Space, "urn:xmpp:sm:"); ok && f == "sm" {
				f += ":" + sp
			}
			if f == "mechanisms" {
				for _, m := range n.Elem.Nodes {
					if m.Elem != nil {
						f += ":" + m.Elem.Text()
					}
				}
			}
			fs = append(fs, f)
		}
		s += " " + strings.Join(fs, ",")
	}
	return s + ">"
}

func presetByName(name string) (nodes.Preset, bool) { return nodes.PresetByName(name) }

// outcomeTime is when from's first negotiation towards to ended (its
// ping was sent at the world's time zero).
func outcomeTime(w *scenarios.World, from, to string) time.Duration {
	for _, o := range w.Outcomes {
		if o.Host == from && o.From == from && o.To == to {
			return time.Duration(o.Time)
		}
	}
	return 0
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
