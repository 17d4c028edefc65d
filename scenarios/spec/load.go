package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/interop"
)

// MaxFileSize is the largest scenario file Load and Parse take, in bytes.
// The biggest shipped file is under 10 KB; parsing costs far more memory
// than the text (a 17 MB file took 50 s and 2.7 GB), so a larger file is
// refused before it is read or parsed (issue 14).
const MaxFileSize = 1 << 20

// bom is the UTF-8 byte-order mark some editors put at the start of a
// file. YAML 1.2 §5.2 allows it; it is not part of the first key.
const bom = "\ufeff"

// Load reads and validates one scenario file. A file with problems yields
// Errors: every problem found, each with its line and column. A file over
// MaxFileSize is refused unread.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spec: reading scenario: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxFileSize {
		return nil, tooBig(path, st.Size())
	}
	// At most one byte past the cap: a file that grows, or is no regular
	// file, is refused without reading it all.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("spec: reading scenario: %w", err)
	}
	return Parse(path, data)
}

// tooBig is the error for a file over MaxFileSize (size -1: unknown, more
// than the cap).
func tooBig(path string, size int64) error {
	what := fmt.Sprintf("%d bytes", size)
	if size > 10<<20 {
		what += fmt.Sprintf(" (%d MiB)", size>>20)
	}
	return Errors{{File: path, Line: 1, Col: 1, Msg: fmt.Sprintf("the file is %s; a scenario file may be at most %d bytes (1 MiB): split it, or generate the world in Go", what, MaxFileSize)}}
}

// Parse validates a scenario given as bytes; path names it in errors and
// anchors its relative paths (the golden transcript). A leading UTF-8
// byte-order mark is skipped; more than MaxFileSize bytes are refused
// unparsed.
func Parse(path string, data []byte) (*Scenario, error) {
	if len(data) > MaxFileSize {
		return nil, tooBig(path, int64(len(data)))
	}
	data = bytes.TrimPrefix(data, []byte(bom))
	d := &decoder{file: path, anchors: map[string]ast.Node{}, resolving: map[string]bool{}}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			p := ye.GetToken().Position
			return nil, Errors{{File: path, Line: p.Line, Col: p.Column, Msg: "YAML syntax: " + ye.GetMessage()}}
		}
		return nil, Errors{{File: path, Line: 1, Col: 1, Msg: "YAML syntax: " + err.Error()}}
	}
	var body ast.Node
	for i, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			d.errorf(posOf(doc.Body), "a file holds one scenario; this is document %d (split it into its own file)", i+1)
			continue
		}
		body = doc.Body
	}
	if body == nil {
		return nil, Errors{{File: path, Line: 1, Col: 1, Msg: "empty scenario: want at least servers (see scenarios/README.md)"}}
	}
	d.collectAnchors(body)
	s := &Scenario{Path: path, Seed: 1, Deadline: scenarios.RunDeadline, Fragment: "whole", DNSDelay: scenarios.DefaultDNSDelay}
	s.Expect.Deterministic = true
	l := &loader{d: d, s: s}
	if l.top(body) {
		// Cross-references are checked even when sections had errors of
		// their own: every problem of the file is reported in one go.
		l.check()
	}
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return s, nil
}

// Find lists the scenario files (*.yaml, *.yml) under each path: a file is
// taken as it is, a folder is walked recursively in lexical order. A file
// named twice (or under two folders given) is listed once.
func Find(paths ...string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if k := filepath.Clean(p); !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && isScenarioFile(path) {
				add(path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("spec: walking %s: %w", p, err)
		}
	}
	return out, nil
}

func isScenarioFile(path string) bool {
	ext := filepath.Ext(path)
	return ext == ".yaml" || ext == ".yml"
}

// loader decodes the sections of one file into a Scenario.
type loader struct {
	d *decoder
	s *Scenario
	// attackList is where an attacks: list starts (zero: none).
	attackList pos
	// noServers: the servers section is missing (reported once).
	noServers bool
}

// top decodes the top-level mapping; false when the file is not one.
func (l *loader) top(body ast.Node) bool {
	d, s := l.d, l.s
	present, ok := d.object(body, "scenario", []field{
		{"name", func(v ast.Node) { s.Name, _ = d.name(v, "name") }},
		{"description", func(v ast.Node) { s.Description, _ = d.str(v, "description") }},
		{"seed", func(v ast.Node) { s.Seed, _ = d.uint(v, "seed") }},
		{"deadline", func(v ast.Node) {
			if x, ok := d.duration(v, "deadline"); ok {
				if x <= 0 {
					d.errorf(posOf(v), "deadline: %s must be positive", x)
				}
				s.Deadline = x
			}
		}},
		{"fragment", func(v ast.Node) { s.Fragment, _ = d.oneOf(v, "fragment", "whole", "random", "byte") }},
		{"dns_delay", func(v ast.Node) { s.DNSDelay, _ = d.nonNegDuration(v, "dns_delay") }},
		{"authorities", func(v ast.Node) {
			d.list(v, "authorities", func(i int, it ast.Node) { l.authority(i, it) })
		}},
		{"certificates", func(v ast.Node) {
			d.list(v, "certificates", func(i int, it ast.Node) { l.certificate(i, it) })
		}},
		{"servers", func(v ast.Node) {
			d.list(v, "servers", func(i int, it ast.Node) { l.server(i, it) })
		}},
		{"dns", func(v ast.Node) { l.dnsRecords(v) }},
		{"links", func(v ast.Node) {
			d.list(v, "links", func(i int, it ast.Node) { l.link(i, it) })
		}},
		{"faults", func(v ast.Node) {
			d.list(v, "faults", func(i int, it ast.Node) { l.fault(i, it) })
		}},
		{"attack", func(v ast.Node) { l.attack("attack", v) }},
		{"attacks", func(v ast.Node) {
			l.attackList = posOf(v)
			d.list(v, "attacks", func(i int, it ast.Node) { l.attack(fmt.Sprintf("attacks[%d]", i), it) })
		}},
		{"traffic", func(v ast.Node) {
			d.list(v, "traffic", func(i int, it ast.Node) { l.send(i, it) })
		}},
		{"expect", func(v ast.Node) { l.expect(v) }},
		// Keys starting with x- are ignored: a place to define YAML
		// anchors that the scenario refers to with aliases.
		{"x-*", func(v ast.Node) {}},
	})
	if !ok {
		return false
	}
	if _, has := present["servers"]; !has {
		d.errorf(posOf(body), "scenario: missing required field \"servers\"")
		l.noServers = true
	}
	if p, has := present["attack"]; has {
		if _, both := present["attacks"]; both {
			d.errorf(p, "scenario: give either attack (one) or attacks (a list), not both")
		}
	}
	return true
}

func (l *loader) authority(i int, n ast.Node) {
	d := l.d
	path := fmt.Sprintf("authorities[%d]", i)
	a := Authority{at: posOf(n)}
	a.NotBefore, a.NotAfter = scenarios.CertWindow()
	present, ok := d.object(n, path, append([]field{
		{"name", func(v ast.Node) { a.Name, _ = d.name(v, path+".name") }},
		{"issuer", func(v ast.Node) { a.Issuer, _ = d.name(v, path+".issuer") }},
	}, d.validity(path, &a.NotBefore, &a.NotAfter, &a.Revoked)...))
	if !ok {
		return
	}
	if _, has := present["name"]; !has {
		d.errorf(a.at, "%s: missing required field \"name\"", path)
	}
	d.checkWindow(a.at, path, a.NotBefore, a.NotAfter)
	if a.Revoked && a.Issuer == "" {
		d.errorf(present["revoked"], "%s.revoked: a root cannot be revoked (leave it out of the trust lists instead)", path)
	}
	l.s.Authorities = append(l.s.Authorities, a)
}

func (l *loader) certificate(i int, n ast.Node) {
	d := l.d
	path := fmt.Sprintf("certificates[%d]", i)
	c := Certificate{at: posOf(n)}
	c.NotBefore, c.NotAfter = scenarios.CertWindow()
	present, ok := d.object(n, path, append([]field{
		{"name", func(v ast.Node) { c.Name, _ = d.name(v, path+".name") }},
		{"issuer", func(v ast.Node) { c.Issuer, _ = d.name(v, path+".issuer") }},
		{"self_signed", func(v ast.Node) { c.SelfSigned, _ = d.boolean(v, path+".self_signed") }},
		{"subject", func(v ast.Node) { c.Subject, _ = d.name(v, path+".subject") }},
		{"dns", func(v ast.Node) { c.DNS, _, _ = d.names(v, path+".dns") }},
		{"srv", func(v ast.Node) { c.SRV, _, _ = d.names(v, path+".srv") }},
		{"xmppaddr", func(v ast.Node) { c.XMPPAddr, _, _ = d.names(v, path+".xmppaddr") }},
	}, d.validity(path, &c.NotBefore, &c.NotAfter, &c.Revoked)...))
	if !ok {
		return
	}
	if _, has := present["name"]; !has {
		d.errorf(c.at, "%s: missing required field \"name\"", path)
	}
	_, hasIssuer := present["issuer"]
	switch {
	case hasIssuer && c.SelfSigned:
		d.errorf(present["self_signed"], "%s: a certificate is either issued (issuer) or self_signed, not both", path)
	case !hasIssuer && !c.SelfSigned:
		d.errorf(c.at, "%s: say who signs it: issuer: AUTHORITY or self_signed: true", path)
	}
	if c.Subject == "" {
		switch {
		case len(c.DNS) > 0:
			c.Subject = c.DNS[0]
		case len(c.XMPPAddr) > 0:
			c.Subject = c.XMPPAddr[0]
		}
	}
	if c.Subject == "" && len(c.DNS)+len(c.SRV)+len(c.XMPPAddr) == 0 {
		d.errorf(c.at, "%s: the certificate names nothing: give dns, srv, xmppaddr or subject", path)
	}
	for j, srv := range c.SRV {
		if !strings.HasPrefix(srv, "_") || !strings.Contains(srv, ".") {
			d.errorf(c.at, "%s.srv[%d]: %q is not an SRV-ID (want _xmpp-server.DOMAIN, RFC 4985)", path, j, srv)
		}
	}
	d.checkWindow(c.at, path, c.NotBefore, c.NotAfter)
	l.s.Certificates = append(l.s.Certificates, c)
}

// validity is the fields an authority and a certificate share: the
// validity window (XEP-0178 §2 step 8, RFC 5280 §4.1.2.5) and whether the
// issuer has revoked it. A field left out keeps the value already there.
func (d *decoder) validity(path string, notBefore, notAfter *time.Time, revoked *bool) []field {
	return []field{
		{"not_before", func(v ast.Node) {
			if t, ok := d.instant(v, path+".not_before"); ok {
				*notBefore = t
			}
		}},
		{"not_after", func(v ast.Node) {
			if t, ok := d.instant(v, path+".not_after"); ok {
				*notAfter = t
			}
		}},
		{"revoked", func(v ast.Node) { *revoked, _ = d.boolean(v, path+".revoked") }},
	}
}

// checkWindow reports a validity window that ends before it starts.
func (d *decoder) checkWindow(at pos, path string, notBefore, notAfter time.Time) {
	if !notAfter.After(notBefore) {
		d.errorf(at, "%s: not_after %s is not after not_before %s", path, notAfter.Format(time.RFC3339), notBefore.Format(time.RFC3339))
	}
}

// presetNames lists the presets for messages ("type1, type2, … or type6").
func presetNames() []string {
	var out []string
	for _, p := range nodes.Presets() {
		out = append(out, p.Name)
	}
	return out
}

func (l *loader) server(i int, n ast.Node) {
	d := l.d
	path := fmt.Sprintf("servers[%d]", i)
	sv := Server{at: posOf(n)}
	errsBefore := len(d.errs)
	var policyNode ast.Node
	var presetAt pos
	present, ok := d.object(n, path, []field{
		{"domain", func(v ast.Node) {
			if s, ok := d.name(v, path+".domain"); ok {
				if strings.ContainsAny(s, "@/ \t") || strings.ToLower(s) != s {
					d.errorf(posOf(v), "%s.domain: %q is not a lower-case domain name", path, s)
				}
				sv.Domain = s
			}
		}},
		{"address", func(v ast.Node) {
			if s, ok := d.name(v, path+".address"); ok {
				if strings.ContainsAny(s, " \t:/") {
					d.errorf(posOf(v), "%s.address: %q is not an address (want e.g. 10.0.0.7)", path, s)
				}
				sv.Address = s
			}
		}},
		{"preset", func(v ast.Node) {
			presetAt = posOf(v)
			if s, ok := d.str(v, path+".preset"); ok {
				p, found := nodes.PresetByName(s)
				if !found {
					d.errorf(posOf(v), "%s.preset: unknown preset %q (want %s)", path, s, orList(presetNames()))
					return
				}
				sv.Preset = p.Name
			}
		}},
		{"policy", func(v ast.Node) { policyNode = v }},
		{"certificate", func(v ast.Node) {
			sv.certAt = posOf(v)
			sv.Certificate, _ = d.name(v, path+".certificate")
		}},
		{"trust", func(v ast.Node) {
			names, at, ok := d.names(v, path+".trust")
			if ok {
				sv.Trust, sv.trustAt = append([]string{}, names...), at
			}
		}},
		{"secret", func(v ast.Node) { sv.Secret, _ = d.name(v, path+".secret") }},
		{"users", func(v ast.Node) {
			users, at, _ := d.names(v, path+".users")
			for j, u := range users {
				if strings.ContainsAny(u, "@/ ") {
					d.errorf(at[j], "%s.users[%d]: %q is a localpart, not a JID (write romeo, not romeo@example.lit)", path, j, u)
				}
			}
			sv.Users = users
		}},
		{"dns", func(v ast.Node) { sv.DNS, _ = d.oneOf(v, path+".dns", "addr", "srv", "none") }},
		{"signed", func(v ast.Node) { sv.Signed, _ = d.boolean(v, path+".signed") }},
		{"tlsa", func(v ast.Node) { sv.TLSA, _ = d.oneOf(v, path+".tlsa", scenarios.TLSAWords...) }},
		{"posh", func(v ast.Node) { sv.POSH, _ = d.boolean(v, path+".posh") }},
		{"real", func(v ast.Node) {
			if s, ok := d.name(v, path+".real"); ok {
				if err := interop.CheckName(s); err != nil {
					d.errorf(posOf(v), "%s.real: %v", path, strings.TrimPrefix(err.Error(), "interop: "))
				}
				sv.Real = s
			}
		}},
		{"timeouts", func(v ast.Node) {
			pos := func(v ast.Node, name string) time.Duration {
				x, ok := d.duration(v, path+".timeouts."+name)
				if ok && x <= 0 {
					d.errorf(posOf(v), "%s.timeouts.%s: %s must be positive", path, name, x)
				}
				return x
			}
			d.object(v, path+".timeouts", []field{
				{"negotiation", func(v ast.Node) { sv.NegotiationTimeout = pos(v, "negotiation") }},
				{"connect", func(v ast.Node) { sv.ConnectTimeout = pos(v, "connect") }},
				{"dns", func(v ast.Node) { sv.DNSTimeout = pos(v, "dns") }},
				{"verify", func(v ast.Node) { sv.VerifyTimeout = pos(v, "verify") }},
			})
		}},
	})
	if !ok {
		return
	}
	if _, has := present["domain"]; !has {
		d.errorf(sv.at, "%s: missing required field \"domain\"", path)
	}
	// The policy: the preset's, with the file's fields over it.
	var set map[string]pos
	if p, found := nodes.PresetByName(sv.Preset); found && sv.Preset != "" {
		sv.Policy = p.Policy
	}
	if policyNode != nil {
		set = l.policy(&sv.Policy, policyNode, path+".policy")
		sv.policySet = true
	}
	_, hadPreset := present["preset"]
	if sv.Preset == "" && !hadPreset {
		var missing []string
		for _, f := range requiredPolicyFields() {
			if _, ok := set[f]; !ok {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			at := sv.at
			if policyNode != nil {
				at = posOf(policyNode)
			}
			d.errorf(at, "%s: without a preset the policy must give every field; missing %s", path, strings.Join(missing, ", "))
			set = nil
		}
	}
	if (sv.Preset != "" || set != nil) && len(d.errs) == errsBefore {
		if err := sv.Policy.Validate(); err != nil {
			at := presetAt
			if policyNode != nil {
				at = posOf(policyNode)
			}
			d.errorf(at, "%s: %s (%s)", path, strings.TrimPrefix(err.Error(), "nodes: "), sv.Policy)
		}
	}
	if sv.Real != "" && len(d.errs) == errsBefore && (sv.Preset != "" || set != nil) {
		// fedsim writes the policy into the real server's configuration:
		// every word it cannot express is an error, named.
		if cannot := interop.Cannot(sv.Real, sv.Policy); len(cannot) > 0 {
			at := presetAt
			if policyNode != nil {
				at = posOf(policyNode)
			}
			d.errorf(at, "%s: %s cannot express %s", path, sv.Real, strings.Join(cannot, "; "))
		}
	}
	l.s.Servers = append(l.s.Servers, sv)
}

// requiredPolicyFields are the fields a policy without a preset must give:
// the table's Always fields (those Policy.String always prints). The
// others default to XEP-0238's behaviour.
func requiredPolicyFields() []string {
	var out []string
	for _, f := range nodes.PolicyFields() {
		if f.Always {
			out = append(out, f.Name)
		}
	}
	return out
}

// policy decodes a server's policy mapping over p (the preset's policy),
// one entry of the nodes.PolicyFields table per key, in the format's own
// words: enums and booleans as YAML scalars, levels as a list or a comma
// string, a composite (errors) as a mapping of its parts. It returns the
// keys given.
func (l *loader) policy(p *nodes.Policy, n ast.Node, path string) map[string]pos {
	d := l.d
	var fields []field
	for _, f := range nodes.PolicyFields() {
		fields = append(fields, field{f.Name, func(v ast.Node) { d.policyValue(p, f, v, path+"."+f.Name) }})
	}
	set, _ := d.object(n, path, fields)
	return set
}

// policyValue decodes one field's value and stores it with the table's
// Set; the checks here word the errors, so Set refuses nothing they pass.
func (d *decoder) policyValue(p *nodes.Policy, f nodes.PolicyField, v ast.Node, path string) {
	var val string
	switch f.Kind {
	case nodes.FieldEnum:
		s, ok := d.oneOf(v, path, f.Values...)
		if !ok {
			return
		}
		val = s
	case nodes.FieldBool:
		b, ok := d.boolean(v, path)
		if !ok {
			return
		}
		val = strconv.FormatBool(b)
	case nodes.FieldLevels:
		var letters []string
		var at []pos
		r := d.resolve(v)
		if r == nil {
			return
		}
		if _, isSeq := r.(*ast.SequenceNode); isSeq {
			letters, at, _ = d.names(r, path)
		} else if s, ok := d.str(r, path); ok {
			for _, x := range strings.Split(s, ",") {
				letters = append(letters, strings.TrimSpace(x))
				at = append(at, posOf(r))
			}
		} else {
			return
		}
		bad := false
		for i, x := range letters {
			if x != "V" && x != "E" && x != "T" {
				d.errorf(at[i], "%s: unknown level %q (want V, E or T: U is never accepted)", path, x)
				bad = true
			}
		}
		if bad {
			return
		}
		if len(letters) == 0 {
			d.errorf(posOf(r), "%s: no level given (want V, E or T)", path)
			return
		}
		val = strings.Join(letters, ",")
	case nodes.FieldParts:
		var parts []field
		for _, part := range f.Parts {
			parts = append(parts, field{part.Name, func(v ast.Node) { d.policyValue(p, part, v, path+"."+part.Name) }})
		}
		d.object(v, path, parts)
		return
	}
	if err := f.Set(p, val); err != nil {
		d.errorf(posOf(v), "%s: %v", path, err)
	}
}

func (l *loader) dnsRecords(n ast.Node) {
	d := l.d
	d.object(n, "dns", []field{
		{"srv", func(v ast.Node) {
			d.list(v, "dns.srv", func(i int, it ast.Node) {
				path := fmt.Sprintf("dns.srv[%d]", i)
				r := SRVRecord{SRVRecord: scenarios.SRVRecord{Port: dns.DefaultPort}, at: posOf(it)}
				present, ok := d.object(it, path, []field{
					{"domain", func(v ast.Node) { r.Domain, _ = d.name(v, path+".domain") }},
					{"target", func(v ast.Node) { r.Target, _ = d.name(v, path+".target") }},
					{"port", func(v ast.Node) {
						x, _ := d.integer(v, path+".port", 1, 65535)
						r.Port = int(x)
					}},
					{"priority", func(v ast.Node) {
						x, _ := d.integer(v, path+".priority", 0, 65535)
						r.Priority = int(x)
					}},
					{"weight", func(v ast.Node) {
						x, _ := d.integer(v, path+".weight", 0, 65535)
						r.Weight = int(x)
					}},
					{"service", func(v ast.Node) {
						// XEP-0368: _xmpps-server records point at Direct TLS ports.
						switch svc, _ := d.name(v, path+".service"); svc {
						case "xmpp-server", "":
						case "xmpps-server":
							r.Direct = true
						default:
							d.errorf(posOf(v), "%s.service: %q: want xmpp-server or xmpps-server (XEP-0368)", path, svc)
						}
					}},
				})
				if _, hasPort := present["port"]; r.Direct && !hasPort {
					r.Port = dns.DirectTLSPort
				}
				if !ok {
					return
				}
				for _, req := range []string{"domain", "target"} {
					if _, has := present[req]; !has {
						d.errorf(r.at, "%s: missing required field %q", path, req)
					}
				}
				l.s.SRV = append(l.s.SRV, r)
			})
		}},
		{"addr", func(v ast.Node) {
			d.list(v, "dns.addr", func(i int, it ast.Node) {
				path := fmt.Sprintf("dns.addr[%d]", i)
				r := AddrRecord{at: posOf(it)}
				present, ok := d.object(it, path, []field{
					{"host", func(v ast.Node) { r.Host, _ = d.name(v, path+".host") }},
					{"addr", func(v ast.Node) { r.Addr, _ = d.name(v, path+".addr") }},
				})
				if !ok {
					return
				}
				for _, req := range []string{"host", "addr"} {
					if _, has := present[req]; !has {
						d.errorf(r.at, "%s: missing required field %q", path, req)
					}
				}
				l.s.Addr = append(l.s.Addr, r)
			})
		}},
	})
}

func (l *loader) link(i int, n ast.Node) {
	d := l.d
	path := fmt.Sprintf("links[%d]", i)
	k := Link{at: posOf(n)}
	present, ok := d.object(n, path, []field{
		{"between", func(v ast.Node) {
			names, _, ok := d.names(v, path+".between")
			if ok && len(names) != 2 {
				d.errorf(posOf(v), "%s.between: want two servers, got %d", path, len(names))
				return
			}
			if ok {
				k.A, k.B = names[0], names[1]
			}
		}},
		{"latency", func(v ast.Node) {
			k.Latency, k.HasLatency = d.nonNegDuration(v, path+".latency")
		}},
		{"jitter", func(v ast.Node) { k.Jitter, _ = d.nonNegDuration(v, path+".jitter") }},
	})
	if !ok {
		return
	}
	if _, has := present["between"]; !has {
		d.errorf(k.at, "%s: missing required field \"between\"", path)
	}
	_, hasL := present["latency"]
	_, hasJ := present["jitter"]
	if !hasL && !hasJ {
		d.errorf(k.at, "%s: give latency, jitter or both", path)
	}
	l.s.Links = append(l.s.Links, k)
}

func faultKindNames() []string {
	var out []string
	for _, k := range scenarios.FaultKinds() {
		out = append(out, string(k))
	}
	return out
}

// fault decodes one fault. The fields besides kind and target are the
// parameters of scenarios.FaultParams; the kind's entry in the fault table
// says which it reads (any other given is an error: the simulator would
// silently ignore it) and which it needs.
func (l *loader) fault(i int, n ast.Node) {
	d := l.d
	path := fmt.Sprintf("faults[%d]", i)
	f := Fault{at: posOf(n)}
	kindOK := false
	bad := map[string]bool{} // given, but not a valid value
	fields := []field{
		{"kind", func(v ast.Node) {
			s, ok := d.oneOf(v, path+".kind", faultKindNames()...)
			f.Kind, kindOK = scenarios.FaultKind(s), ok
		}},
		{"target", func(v ast.Node) { f.Target, _ = d.name(v, path+".target") }},
	}
	for _, p := range scenarios.FaultParams() {
		name := string(p.Name)
		fields = append(fields, field{name, func(v ast.Node) {
			var val string
			var ok bool
			switch p.Type {
			case scenarios.ParamName:
				val, ok = d.name(v, path+"."+name)
			case scenarios.ParamDuration:
				var x time.Duration
				if x, ok = d.nonNegDuration(v, path+"."+name); ok && x != 0 {
					val = x.String()
				}
			case scenarios.ParamCount:
				var x int64
				if x, ok = d.integer(v, path+"."+name, 1, math.MaxInt64); ok {
					val = strconv.FormatInt(x, 10)
				}
			}
			if !ok {
				bad[name] = true
				return
			}
			if val != "" {
				if err := p.Set(&f.Fault, val); err != nil {
					d.errorf(posOf(v), "%s.%s: %v", path, name, err)
				}
			}
		}})
	}
	present, ok := d.object(n, path, fields)
	if !ok {
		return
	}
	for _, req := range []string{"kind", "target"} {
		if _, has := present[req]; !has {
			d.errorf(f.at, "%s: missing required field %q", path, req)
		}
	}
	if spec, _ := scenarios.SpecOf(f.Kind); kindOK {
		var keys []string
		for k := range present {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool { return less(present[keys[a]], present[keys[b]]) })
		for _, k := range keys {
			if k != "kind" && k != "target" && !spec.Takes(scenarios.FaultParam(k)) {
				d.errorf(present[k], "%s.%s: a %s fault does not use %s (%s)", path, k, f.Kind, k, spec.TakesText())
			}
		}
	missing:
		for _, g := range spec.Missing(f.Fault) {
			for _, p := range g {
				if bad[string(p)] {
					continue missing // its error is reported already
				}
			}
			d.errorf(f.at, "%s: a %s fault needs %s", path, f.Kind, scenarios.Need(g))
		}
	}
	if p, has := present["until"]; has && !bad["until"] && !bad["at"] && f.Until <= f.At {
		d.errorf(p, "%s.until: %s is not after at %s", path, f.Until, f.At)
	}
	if f.Peer != "" && f.Peer == f.Target {
		d.errorf(present["peer"], "%s.peer: the peer is the target itself", path)
	}
	l.s.Faults = append(l.s.Faults, f)
}

func less(a, b pos) bool {
	if a.line != b.line {
		return a.line < b.line
	}
	return a.col < b.col
}

// attackKindsWith names the attack kinds whose table entry has a property
// ("tls-intercept"), for messages.
func attackKindsWith(has func(scenarios.AttackKindSpec) bool) string {
	var out []string
	for _, a := range scenarios.AttackKindSpecs() {
		if has(a) {
			out = append(out, string(a.Kind))
		}
	}
	return nodes.OrList(out)
}

func (l *loader) attack(path string, n ast.Node) {
	d := l.d
	a := Attack{at: posOf(n)}
	var forgeNode ast.Node
	present, ok := d.object(n, path, []field{
		{"name", func(v ast.Node) { a.Name, _ = d.name(v, path+".name") }},
		{"kind", func(v ast.Node) {
			s, _ := d.oneOf(v, path+".kind", scenarios.AttackKindNames()...)
			a.Kind = scenarios.AttackKind(s)
		}},
		{"initiator", func(v ast.Node) { a.Initiator, _ = d.name(v, path+".initiator") }},
		{"receiver", func(v ast.Node) { a.Receiver, _ = d.name(v, path+".receiver") }},
		{"cert", func(v ast.Node) { a.Cert, _ = d.name(v, path+".cert") }},
		{"forge", func(v ast.Node) {
			forgeNode = v
			a.Forge, _ = d.str(v, path+".forge")
		}},
		{"forge_at", func(v ast.Node) { a.ForgeAt, _ = d.nonNegDuration(v, path+".forge_at") }},
	})
	if !ok {
		return
	}
	for _, req := range []string{"kind", "initiator", "receiver"} {
		if _, has := present[req]; !has {
			d.errorf(a.at, "%s: missing required field %q", path, req)
		}
	}
	spec, known := scenarios.AttackKindOf(a.Kind)
	if p, has := present["cert"]; has && known && !spec.Cert {
		d.errorf(p, "%s.cert: only a %s attacker presents a certificate", path, attackKindsWith(func(a scenarios.AttackKindSpec) bool { return a.Cert }))
	}
	for _, k := range []string{"forge", "forge_at"} {
		if p, has := present[k]; has && known && !spec.Forges {
			d.errorf(p, "%s.%s: only a %s impostor forges stanzas", path, k, attackKindsWith(func(a scenarios.AttackKindSpec) bool { return a.Forges }))
		}
	}
	if a.Cert == "" && spec.Cert {
		a.Cert = "self-signed"
	}
	if a.Forge != "" {
		if el, err := parseStanza(a.Forge); err != nil {
			d.errorf(posOf(forgeNode), "%s.forge: %v", path, err)
		} else if a.Initiator != "" && jidDomain(el.Attr("from")) != a.Initiator {
			d.errorf(posOf(forgeNode), "%s.forge: from %q is not in the initiating domain %s (the impostor claims that domain)", path, el.Attr("from"), a.Initiator)
		}
	}
	if a.Initiator != "" && a.Initiator == a.Receiver {
		d.errorf(present["receiver"], "%s.receiver: the receiver is the initiator itself", path)
	}
	if a.Name == "" {
		a.Name = string(a.Kind)
	}
	l.s.Attacks = append(l.s.Attacks, a)
}

func (l *loader) send(i int, n ast.Node) {
	d := l.d
	path := fmt.Sprintf("traffic[%d]", i)
	var ping, message, raw, from, id, body, typ string
	var rawNode ast.Node
	snd := Send{at: posOf(n)}
	present, ok := d.object(n, path, []field{
		{"at", func(v ast.Node) { snd.At, _ = d.nonNegDuration(v, path+".at") }},
		{"ping", func(v ast.Node) { ping, _ = d.jid(v, path+".ping") }},
		{"message", func(v ast.Node) { message, _ = d.jid(v, path+".message") }},
		{"xml", func(v ast.Node) { rawNode = v; raw, _ = d.str(v, path+".xml") }},
		{"from", func(v ast.Node) { from, _ = d.jid(v, path+".from") }},
		{"id", func(v ast.Node) { id, _ = d.name(v, path+".id") }},
		{"body", func(v ast.Node) { body, _ = d.str(v, path+".body") }},
		{"type", func(v ast.Node) { typ, _ = d.name(v, path+".type") }},
	})
	if !ok {
		return
	}
	var forms []string
	for _, k := range []string{"ping", "message", "xml"} {
		if _, has := present[k]; has {
			forms = append(forms, k)
		}
	}
	if len(forms) != 1 {
		if len(forms) == 0 {
			d.errorf(snd.at, "%s: say what is sent: ping: JID, message: JID or xml: STANZA", path)
		} else {
			d.errorf(present[forms[1]], "%s: give one of ping, message or xml, not %s", path, strings.Join(forms, " and "))
		}
		return
	}
	only := func(form string, allowed ...string) {
		ok := map[string]bool{"at": true, form: true}
		for _, a := range allowed {
			ok[a] = true
		}
		for _, k := range []string{"from", "id", "body", "type"} {
			if p, has := present[k]; has && !ok[k] {
				d.errorf(p, "%s.%s: not used with %s (%s)", path, k, form, map[string]string{
					"ping": "a ping takes from and id", "message": "a message takes from, id, body and type",
					"xml": "the stanza's own attributes say it",
				}[form])
			}
		}
	}
	switch forms[0] {
	case "ping":
		only("ping", "from", "id")
		if id == "" {
			id = fmt.Sprintf("ping-%d", i+1)
		}
		if from == "" {
			d.errorf(snd.at, "%s: a ping needs from (the sending user's JID)", path)
			return
		}
		iq := xmlstream.NewElement("iq", "from", from, "id", id, "to", ping, "type", "get")
		iq.AddChild(xmlstream.NewElement("ping", "xmlns", "urn:xmpp:ping"))
		snd.XML = iq.String()
	case "message":
		only("message", "from", "id", "body", "type")
		if id == "" {
			id = fmt.Sprintf("msg-%d", i+1)
		}
		if typ == "" {
			typ = "chat"
		}
		if from == "" {
			d.errorf(snd.at, "%s: a message needs from (the sending user's JID)", path)
			return
		}
		m := xmlstream.NewElement("message", "from", from, "id", id, "to", message, "type", typ)
		if body != "" {
			m.AddChild(xmlstream.NewElement("body")).AddText(body)
		}
		snd.XML = m.String()
	case "xml":
		only("xml")
		el, err := parseStanza(raw)
		if err != nil {
			d.errorf(posOf(rawNode), "%s.xml: %v", path, err)
			return
		}
		snd.XML = strings.TrimSpace(raw)
		from = el.Attr("from")
	}
	snd.From = jidDomain(from)
	if snd.From == "" {
		d.errorf(snd.at, "%s: from %q has no domain", path, from)
	}
	l.s.Traffic = append(l.s.Traffic, snd)
}

// jidDomain returns the domain part of a JID.
func jidDomain(jid string) string {
	if i := strings.IndexByte(jid, '@'); i >= 0 {
		jid = jid[i+1:]
	}
	if i := strings.IndexByte(jid, '/'); i >= 0 {
		jid = jid[:i]
	}
	return strings.ToLower(jid)
}

// parseStanza parses one stanza as it would appear on a jabber:server
// stream (scenarios.ParseStanza, which Build uses for the same text).
func parseStanza(raw string) (*xmlstream.Element, error) { return scenarios.ParseStanza(raw) }
