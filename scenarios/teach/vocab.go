package teach

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fedsim/nodes"
	"fedsim/scenarios"
)

// Replay is the CLI command line that reproduces the run with the given
// command ("explain", "diagram --format svg", …).
func (c Config) Replay(command string) string {
	var b strings.Builder
	if c.Scenario != nil {
		// The file's faults are in the file: only added ones are flags.
		fmt.Fprintf(&b, "fedsim %s %s --pair %s,%s --seed %d", command, shellWord(c.Path), c.Initiator, c.Receiver, c.Seed)
		c.Faults = c.Faults[len(c.Scenario.Faults):]
	} else {
		fmt.Fprintf(&b, "fedsim %s %s %s --seed %d", command, c.Initiator, c.Receiver, c.Seed)
	}
	for i, s := range c.Sides {
		flag := [2]string{"initiator", "receiver"}[i]
		if s.Policy != nil {
			fmt.Fprintf(&b, " --policy-%s %s", flag, PolicyFlag(*s.Policy))
		}
		if s.Cert != "" {
			fmt.Fprintf(&b, " --cert-%s %s", flag, s.Cert)
		}
	}
	for _, f := range c.Faults {
		fmt.Fprintf(&b, " --fault %s", FaultFlag(f))
	}
	if c.Attack != "" {
		fmt.Fprintf(&b, " --attack %s", c.Attack)
	}
	if c.Fragment != "" && c.Fragment != "whole" {
		fmt.Fprintf(&b, " --fragment %s", c.Fragment)
	}
	return b.String()
}

// PolicyFlag prints a policy as the --policy-… flag value: the pairs of
// Policy.String joined by commas.
func PolicyFlag(p nodes.Policy) string { return strings.ReplaceAll(p.String(), " ", ",") }

// Policy fields, in Policy.String order, with the values each takes.
var PolicyFields = []struct {
	Name   string
	Values []string
	Help   string
}{
	{"version", []string{"1.0", "0.9"}, "XMPP version spoken: 0.9 has no stream features, dialback only (RFC 6120 §4.7.5)"},
	{"starttls", []string{"not-offered", "offered", "required"}, "what the server offers as receiving entity (RFC 6120 §5)"},
	{"initiate_tls", []string{"never", "if-required", "if-offered", "always"}, "when it negotiates TLS as initiating entity"},
	{"dialback", []string{"true", "false"}, "Server Dialback supported (XEP-0220)"},
	{"sasl", []string{"never", "when-cert-valid"}, "when SASL EXTERNAL is offered (XEP-0178)"},
	{"require_valid_cert", []string{"false", "true"}, "abort TLS when the peer's certificate does not verify"},
	{"accept", []string{"V", "E", "T", "V,E", "E,T", "V,E,T", "V,T"}, "levels federated at: V dialback, E TLS+dialback, T TLS+SASL EXTERNAL"},
}

// ParsePolicy applies "k=v,k=v" to base and reports every bad pair at
// once. A comma-separated piece without '=' continues the previous value,
// so "accept=E,T" (Policy.String's own spelling) works.
func ParsePolicy(base nodes.Policy, spec string) (nodes.Policy, error) {
	p := base
	var keys []string
	vals := map[string]string{}
	for _, piece := range strings.Split(spec, ",") {
		piece = strings.TrimSpace(piece)
		if piece == "" {
			continue
		}
		k, v, ok := strings.Cut(piece, "=")
		if !ok && len(keys) > 0 {
			last := keys[len(keys)-1]
			vals[last] += "," + piece
			continue
		}
		k = strings.ReplaceAll(strings.TrimSpace(k), "-", "_")
		if _, dup := vals[k]; dup {
			return p, fmt.Errorf("teach: policy %q: %s given twice", spec, k)
		}
		keys = append(keys, k)
		vals[k] = strings.TrimSpace(v)
		if !ok {
			vals[k] = "\x00"
		}
	}
	var errs []string
	for _, k := range keys {
		if err := setField(&p, k, vals[k]); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return base, fmt.Errorf("teach: policy %q: %s", spec, strings.Join(errs, "; "))
	}
	return p, nil
}

func setField(p *nodes.Policy, k, v string) error {
	if v == "\x00" {
		return fmt.Errorf("%s has no value (want %s=VALUE)", k, k)
	}
	bad := func(want string) error { return fmt.Errorf("%s=%s: want %s", k, v, want) }
	switch k {
	case "version":
		switch v {
		case "1.0":
			p.Version = nodes.XMPP10
		case "0.9":
			p.Version = nodes.XMPP09
		default:
			return bad("1.0 or 0.9")
		}
	case "starttls":
		i := index([]string{"not-offered", "offered", "required"}, v)
		if i < 0 {
			return bad("not-offered, offered or required")
		}
		p.StartTLS = nodes.TLSOffer(i)
	case "initiate_tls":
		i := index([]string{"never", "if-required", "if-offered", "always"}, v)
		if i < 0 {
			return bad("never, if-required, if-offered or always")
		}
		p.InitiateTLS = nodes.TLSInitiate(i)
	case "sasl":
		i := index([]string{"never", "when-cert-valid"}, v)
		if i < 0 {
			return bad("never or when-cert-valid")
		}
		p.SASL = nodes.SASLOffer(i)
	case "dialback", "require_valid_cert":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return bad("true or false")
		}
		if k == "dialback" {
			p.Dialback = b
		} else {
			p.RequireValidCert = b
		}
	case "accept":
		var ls []nodes.Level
		for _, l := range strings.FieldsFunc(strings.ToUpper(v), func(r rune) bool { return r == ',' || r == '+' || r == ' ' || r == '/' }) {
			switch l {
			case "V":
				ls = append(ls, nodes.LevelVerified)
			case "E":
				ls = append(ls, nodes.LevelEncrypted)
			case "T":
				ls = append(ls, nodes.LevelTrusted)
			default:
				return bad("letters among V, E, T (e.g. accept=E,T)")
			}
		}
		if len(ls) == 0 {
			return bad("letters among V, E, T (e.g. accept=E,T)")
		}
		p.Accept = nodes.LevelSet(ls...)
	default:
		names := make([]string, len(PolicyFields))
		for i, f := range PolicyFields {
			names[i] = f.Name
		}
		return fmt.Errorf("unknown field %q (fields: %s)", k, strings.Join(names, ", "))
	}
	return nil
}

func index(xs []string, v string) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return -1
}

// Default parameters for faults given as kind:target[:peer], chosen so
// that each fault visibly changes a run that is otherwise the preset's.
const (
	DefaultPoisonAddr = "10.6.6.6" // where nothing listens
	DefaultDelay      = 2 * time.Second
	DefaultResetBytes = 400
)

// ParseFault reads kind:target[:peer]. target and peer are "initiator",
// "receiver", a type name or a domain of the pair; the parameters a kind
// needs take the Default… values.
func ParseFault(p scenarios.Pair, spec string) (scenarios.Fault, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return scenarios.Fault{}, fmt.Errorf("teach: fault %q: want kind:target[:peer], e.g. cert-expired:receiver", spec)
	}
	from, to := p.Domains()
	who := func(s string) (string, error) {
		switch strings.ToLower(s) {
		case "initiator", "initiating", from, p.Initiator:
			return from, nil
		case "receiver", "receiving", to, p.Receiver:
			return to, nil
		}
		return "", fmt.Errorf("teach: fault %q: %q is neither side of the pair (initiator, receiver, %s, %s)", spec, s, from, to)
	}
	f := scenarios.Fault{Kind: scenarios.FaultKind(parts[0])}
	var err error
	if f.Target, err = who(parts[1]); err != nil {
		return f, err
	}
	if len(parts) == 3 {
		if f.Peer, err = who(parts[2]); err != nil {
			return f, err
		}
	}
	switch f.Kind {
	case scenarios.DNSPoison:
		f.Addr = DefaultPoisonAddr
	case scenarios.DNSSlow, scenarios.Latency:
		f.Delay = DefaultDelay
	case scenarios.ResetAfter:
		f.Bytes = DefaultResetBytes
	}
	if (f.Kind == scenarios.Partition || f.Kind == scenarios.ResetAfter || f.Kind == scenarios.Latency) && f.Peer == "" {
		f.Peer = from
		if f.Target == from {
			f.Peer = to
		}
	}
	if err := f.Validate([]string{from, to}); err != nil {
		return f, fmt.Errorf("teach: fault %q: %w", spec, err)
	}
	return f, nil
}

// FaultFlag prints a fault as ParseFault reads it.
func FaultFlag(f scenarios.Fault) string {
	s := string(f.Kind) + ":" + f.Target
	if f.Peer != "" {
		s += ":" + f.Peer
	}
	return s
}

// sortedKinds is FaultKinds as strings (for messages and forms).
func sortedKinds() []string {
	var out []string
	for _, k := range scenarios.FaultKinds() {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`&|;<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
