package scenarios

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/sim"
)

// FaultKind names an injectable fault. Faults are data: they compose with
// any world and each is scheduled at a virtual time (or from the start) and
// leaves its mark in the trace.
type FaultKind string

// The fault kinds, by layer.
const (
	// DNS (applied to the resolver of Fault.Observer, or every resolver).
	DNSPoison   FaultKind = "dns-poison"   // Target's records point at Fault.Addr
	DNSNXDomain FaultKind = "dns-nxdomain" // Target does not exist
	DNSServFail FaultKind = "dns-servfail" // the resolver fails for Target
	DNSTimeout  FaultKind = "dns-timeout"  // queries for Target go unanswered
	DNSSlow     FaultKind = "dns-slow"     // answers for Target come Fault.Delay late
	DNSFailover FaultKind = "dns-failover" // Target gets a first SRV target that refuses

	// Certificates (applied to the certificate Target holds).
	CertExpired      FaultKind = "cert-expired"
	CertNotYetValid  FaultKind = "cert-not-yet-valid"
	CertWrongName    FaultKind = "cert-wrong-name"
	CertWildcard     FaultKind = "cert-wildcard"      // only *.lit: RFC 6125 §7.2 refuses a wildcard right under the TLD
	CertUntrustedCA  FaultKind = "cert-untrusted-ca"  // issued by a CA no one trusts
	CertRevoked      FaultKind = "cert-revoked"       // revoked, and every trust store knows it
	CertIntermediate FaultKind = "cert-intermediate"  // issued through an intermediate (still valid)
	CertNoClientAuth FaultKind = "cert-no-clientauth" // serverAuth-only key usage, as public CAs issue since 2025
	TLSHandshakeFail FaultKind = "tls-fail"           // every handshake with Target fails outright

	// Network.
	Partition  FaultKind = "partition"   // Target | Peer, from At until Until
	BlackHole  FaultKind = "blackhole"   // everything to and from Target vanishes
	Refuse     FaultKind = "refuse"      // Target stops listening at At
	ResetAfter FaultKind = "reset-after" // connections between Target and Peer reset after Fault.Bytes
	Latency    FaultKind = "latency"     // Target–Peer latency Fault.Delay, jitter Fault.Jitter
	Crash      FaultKind = "crash"       // Target crashes at At, restarts at Until with its state lost

	// DNSSEC, DANE and POSH (issue 15; applied from the start).
	DNSSECExpired FaultKind = "dnssec-expired" // Target's zone signatures expired
	TLSAMismatch  FaultKind = "tlsa-mismatch"  // Target's TLSA records name another key
	POSHDown      FaultKind = "posh-down"      // Target's web server does not answer
)

// FaultKinds lists every kind, sorted (chaos draws from this order).
func FaultKinds() []FaultKind {
	var ks []FaultKind
	for _, s := range faultSpecs {
		ks = append(ks, s.Kind)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// FaultParam is a field of Fault that a kind may read besides Target,
// named as scenario files and the --fault flag spell it.
type FaultParam string

// The parameters, in the order a --fault flag prints them.
const (
	ParamPeer     FaultParam = "peer"
	ParamObserver FaultParam = "observer"
	ParamAddr     FaultParam = "addr"
	ParamAt       FaultParam = "at"
	ParamUntil    FaultParam = "until"
	ParamBytes    FaultParam = "bytes"
	ParamDelay    FaultParam = "delay"
	ParamJitter   FaultParam = "jitter"
)

// ParamType is how a parameter's value is written.
type ParamType uint8

const (
	// ParamName is a name or an address ("type4.lit", "10.6.6.6").
	ParamName ParamType = iota
	// ParamDuration is a non-negative Go duration ("150ms").
	ParamDuration
	// ParamCount is a positive whole number.
	ParamCount
)

// FaultParamSpec says what a parameter holds and how it is written.
type FaultParamSpec struct {
	Name FaultParam
	Type ParamType
	// Help is one line for the docs and flag help.
	Help string
	// Server: the value names a server of the world (a role on the
	// command line).
	Server bool
	// need is what a kind that needs the parameter says when it is
	// missing ("needs bytes (how many cross before the reset)").
	need string
	get  func(Fault) string
	set  func(*Fault, string) error
	_    struct{}
}

// Get prints the parameter's value in f ("" when unset).
func (p FaultParamSpec) Get(f Fault) string { return p.get(f) }

// Set parses v into f; the error says what the parameter takes.
func (p FaultParamSpec) Set(f *Fault, v string) error {
	if err := p.set(f, v); err != nil {
		return fmt.Errorf("%s=%s: %w", p.Name, v, err)
	}
	return nil
}

func durationParam(name FaultParam, help, need string, field func(*Fault) *time.Duration) FaultParamSpec {
	return FaultParamSpec{Name: name, Type: ParamDuration, Help: help, need: need,
		get: func(f Fault) string {
			if d := *field(&f); d != 0 {
				return d.String()
			}
			return ""
		},
		set: func(f *Fault, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("want a duration like 150ms or 2s")
			}
			*field(f) = d
			return nil
		}}
}

func stringParam(name FaultParam, help, need string, server bool, field func(*Fault) *string) FaultParamSpec {
	return FaultParamSpec{Name: name, Help: help, need: need, Server: server,
		get: func(f Fault) string { return *field(&f) },
		set: func(f *Fault, v string) error {
			if v == "" {
				return fmt.Errorf("want a value")
			}
			*field(f) = v
			return nil
		}}
}

// faultParams is the table of parameters.
var faultParams = []FaultParamSpec{
	stringParam(ParamPeer, "the other end of the link", "a peer (the other end of the link)", true, func(f *Fault) *string { return &f.Peer }),
	stringParam(ParamObserver, "the one server whose resolver sees the fault (default: every resolver)", "", true, func(f *Fault) *string { return &f.Observer }),
	stringParam(ParamAddr, "where the poisoned records point", "addr (where the poisoned record points)", false, func(f *Fault) *string { return &f.Addr }),
	durationParam(ParamAt, "when the fault starts, in virtual time (default 0s)", "", func(f *Fault) *time.Duration { return &f.At }),
	durationParam(ParamUntil, "when it ends, exclusive, after at (default: never)", "", func(f *Fault) *time.Duration { return &f.Until }),
	{Name: ParamBytes, Type: ParamCount, Help: "how many bytes cross before the reset", need: "bytes (how many cross before the reset)",
		get: func(f Fault) string {
			if f.Bytes != 0 {
				return strconv.FormatInt(f.Bytes, 10)
			}
			return ""
		},
		set: func(f *Fault, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("want a positive number of bytes")
			}
			f.Bytes = n
			return nil
		}},
	durationParam(ParamDelay, "how late DNS answers come, or the link's one-way latency", "a positive delay", func(f *Fault) *time.Duration { return &f.Delay }),
	durationParam(ParamJitter, "random extra delay per segment, up to this much", "", func(f *Fault) *time.Duration { return &f.Jitter }),
}

// FaultParams returns the parameter table, in flag order.
func FaultParams() []FaultParamSpec { return append([]FaultParamSpec(nil), faultParams...) }

// FaultParamByName finds a parameter.
func FaultParamByName(name FaultParam) (FaultParamSpec, bool) {
	for _, p := range faultParams {
		if p.Name == name {
			return p, true
		}
	}
	return FaultParamSpec{}, false
}

// FaultSpec is one fault kind: everything that scenario files, the
// --fault flag, Validate, chaos, the invariant checker and the docs need
// to know about it. faultSpecs holds one per kind; nothing else switches
// on a kind to learn these things.
type FaultSpec struct {
	Kind FaultKind
	// Layer is "DNS", "certificate" or "network".
	Layer string
	// Help says what happens, for the docs and flag help.
	Help string
	// Params are the fields the kind reads besides Target (any other set
	// field is an error), in the order the docs list them.
	Params []FaultParam
	// Needs are groups of Params that must be set (non-zero); within a
	// group, one is enough ("delay, jitter or both").
	Needs [][]FaultParam
	// Cert: the fault is applied when the target's certificate is made
	// (the target must hold one), not at a virtual time.
	Cert bool
	// NeedsCA: the fault issues through the world's common authority.
	NeedsCA bool
	// Breaks: the fault can break an established connection, so a stanza
	// written on it may be lost (no XEP-0198): the invariant checker counts
	// such stanzas as lost, not as violations.
	Breaks bool
	// Defaults are the values the --fault flag gives the needed
	// parameters it does not set (a needed peer defaults to the other end
	// of the pair), chosen so that the fault visibly changes a run.
	Defaults Fault
	// NoChaos keeps the kind out of chaos runs, whose XEP-0238 worlds
	// have nothing it could act on (no signed zone, TLSA record or POSH
	// document); leaving it out keeps every chaos seed what it was.
	NoChaos bool
	// draw picks the kind's own parameters for a chaos run (see
	// drawFaults), with other the end of the pair that is not the target.
	draw func(r *rand.Rand, f *Fault, other string)
	_    struct{}
}

// Takes reports whether the kind reads parameter p.
func (s FaultSpec) Takes(p FaultParam) bool {
	for _, x := range s.Params {
		if x == p {
			return true
		}
	}
	return false
}

// NeedsPeer reports whether the kind is about a link and needs its other
// end.
func (s FaultSpec) NeedsPeer() bool {
	for _, g := range s.Needs {
		if len(g) == 1 && g[0] == ParamPeer {
			return true
		}
	}
	return false
}

// Need words a group of needed parameters: "a peer (the other end of the
// link)", "delay, jitter or both".
func Need(group []FaultParam) string {
	if len(group) == 1 {
		p, _ := FaultParamByName(group[0])
		return p.need
	}
	var names []string
	for _, g := range group {
		names = append(names, string(g))
	}
	return strings.Join(names, ", ") + " or both"
}

// Missing returns the groups of needed parameters f leaves unset.
func (s FaultSpec) Missing(f Fault) [][]FaultParam {
	var out [][]FaultParam
	for _, g := range s.Needs {
		ok := false
		for _, p := range g {
			ps, _ := FaultParamByName(p)
			ok = ok || ps.Get(f) != ""
		}
		if !ok {
			out = append(out, g)
		}
	}
	return out
}

// FlagDefaults words what the --fault flag fills in for the needed
// parameters it is not given ("peer = the other end of the pair,
// bytes=400"); "" when nothing.
func (s FaultSpec) FlagDefaults() string {
	var out []string
	if s.NeedsPeer() {
		out = append(out, "peer = the other end of the pair")
	}
	for _, p := range faultParams {
		if v := p.Get(s.Defaults); v != "" && s.Takes(p.Name) {
			out = append(out, string(p.Name)+"="+v)
		}
	}
	return strings.Join(out, ", ")
}

// FaultSpecs returns the table of fault kinds, by layer.
func FaultSpecs() []FaultSpec { return append([]FaultSpec(nil), faultSpecs...) }

// SpecOf finds a kind's entry.
func SpecOf(k FaultKind) (FaultSpec, bool) {
	for _, s := range faultSpecs {
		if s.Kind == k {
			return s, true
		}
	}
	return FaultSpec{}, false
}

var (
	dnsParams    = []FaultParam{ParamObserver, ParamAt, ParamUntil}
	windowParams = []FaultParam{ParamAt, ParamUntil}
	// chaosObserver limits a DNS fault to the other end's resolver half of
	// the time.
	chaosObserver = func(r *rand.Rand, f *Fault, other string) {
		if r.IntN(2) == 0 {
			f.Observer = other
		}
	}
)

func certSpec(k FaultKind, help string) FaultSpec {
	return FaultSpec{Kind: k, Layer: "certificate", Help: help, Cert: true}
}

// faultSpecs is the fault vocabulary, one entry per kind.
var faultSpecs = []FaultSpec{
	{Kind: DNSPoison, Layer: "DNS", Help: "the target's records point at addr (for one resolver, or all)",
		Params: []FaultParam{ParamObserver, ParamAddr, ParamAt, ParamUntil}, Needs: [][]FaultParam{{ParamAddr}},
		Defaults: Fault{Addr: "10.6.6.6"}, // where nothing listens
		draw: func(r *rand.Rand, f *Fault, other string) {
			f.Addr = "10.6.6.6" // nowhere: a poisoned record without an attacker
			f.Observer = other
		}},
	{Kind: DNSNXDomain, Layer: "DNS", Help: "lookups of the target answer NXDOMAIN: the domain does not exist",
		Params: dnsParams, draw: chaosObserver},
	{Kind: DNSServFail, Layer: "DNS", Help: "the resolver fails (SERVFAIL) for the target",
		Params: dnsParams, draw: chaosObserver},
	{Kind: DNSTimeout, Layer: "DNS", Help: "queries for the target go unanswered",
		Params: dnsParams, draw: chaosObserver},
	{Kind: DNSSlow, Layer: "DNS", Help: "answers about the target arrive late, by delay",
		Params: []FaultParam{ParamObserver, ParamAt, ParamUntil, ParamDelay}, Needs: [][]FaultParam{{ParamDelay}},
		Defaults: Fault{Delay: 2 * time.Second},
		draw: func(r *rand.Rand, f *Fault, other string) {
			f.Delay = max(time.Duration(r.IntN(15000))*time.Millisecond, time.Millisecond)
		}},
	{Kind: DNSFailover, Layer: "DNS", Help: "the target gets a first-priority SRV target that refuses connections; RFC 6120 §3.2.1 moves on to the next"},
	certSpec(CertExpired, "the target's certificate expired before the run"),
	certSpec(CertNotYetValid, "the target's certificate becomes valid only a day after the start"),
	certSpec(CertWrongName, "the target's certificate names wrong.example"),
	certSpec(CertWildcard, "the target's certificate names only *.lit, which RFC 6125 §7.2 refuses right under a TLD"),
	certSpec(CertUntrustedCA, "the target's certificate is issued by a CA no one trusts"),
	certSpec(CertRevoked, "the target's certificate is revoked, and every trust store knows it"),
	{Kind: CertIntermediate, Layer: "certificate", Help: "the target's certificate is issued through an intermediate CA (still valid)", Cert: true, NeedsCA: true},
	certSpec(CertNoClientAuth, "the target's certificate has serverAuth-only key usage, as public CAs issue since 2025 (RFC 5280 §4.2.1.12)"),
	{Kind: DNSSECExpired, Layer: "DNS", NoChaos: true,
		Help: "the target's DNSSEC signatures expired yesterday (its signer stopped): validating resolvers find its records bogus (RFC 4035 §5.3.1)"},
	{Kind: TLSAMismatch, Layer: "DNS", NoChaos: true,
		Help: "the target's TLSA records name a key its certificate does not have (a botched rollover): a DANE client refuses it (RFC 7673 §2.4)"},
	{Kind: POSHDown, Layer: "network", NoChaos: true,
		Help: "the target's web server does not answer: no POSH document (RFC 7711)"},
	{Kind: TLSHandshakeFail, Layer: "network", Help: "every TLS handshake with the target fails", Params: windowParams},
	{Kind: Partition, Layer: "network", Help: "nothing crosses between target and peer", Breaks: true,
		Params: []FaultParam{ParamPeer, ParamAt, ParamUntil}, Needs: [][]FaultParam{{ParamPeer}}},
	{Kind: BlackHole, Layer: "network", Help: "everything to and from the target vanishes", Breaks: true, Params: windowParams},
	{Kind: Refuse, Layer: "network", Help: "the target stops listening: connections are refused", Params: windowParams},
	{Kind: ResetAfter, Layer: "network", Help: "connections between target and peer are reset after that many bytes", Breaks: true,
		Params: []FaultParam{ParamPeer, ParamBytes}, Needs: [][]FaultParam{{ParamPeer}, {ParamBytes}},
		Defaults: Fault{Bytes: 400},
		draw: func(r *rand.Rand, f *Fault, other string) {
			f.Bytes = int64(50 + r.IntN(3000))
		}},
	{Kind: Latency, Layer: "network", Help: "the link between target and peer gets a one-way latency of delay, plus up to jitter per segment",
		Params: []FaultParam{ParamPeer, ParamDelay, ParamJitter}, Needs: [][]FaultParam{{ParamPeer}, {ParamDelay, ParamJitter}},
		Defaults: Fault{Delay: 2 * time.Second},
		draw: func(r *rand.Rand, f *Fault, other string) {
			f.Delay = time.Duration(1+r.IntN(500)) * time.Millisecond
			f.Jitter = time.Duration(r.IntN(100)) * time.Millisecond
		}},
	{Kind: Crash, Layer: "network", Help: "the target crashes (at at) and restarts with its state lost (at until)", Breaks: true, Params: windowParams,
		draw: func(r *rand.Rand, f *Fault, other string) {
			if f.Until == 0 {
				f.Until = f.At + time.Duration(1+r.IntN(5000))*time.Millisecond
			}
		}},
}

// Flag prints the fault as the --fault flag reads it:
// KIND:TARGET[:PEER][,PARAM=VALUE...], with the parameters the kind takes
// that differ from the flag's defaults.
func (f Fault) Flag() string {
	var b strings.Builder
	b.WriteString(string(f.Kind) + ":" + f.Target)
	if f.Peer != "" {
		b.WriteString(":" + f.Peer)
	}
	s, _ := SpecOf(f.Kind)
	for _, p := range faultParams {
		if p.Name == ParamPeer || !s.Takes(p.Name) {
			continue
		}
		if v := p.Get(f); v != "" && !s.flagDefault(f, p) {
			b.WriteString("," + string(p.Name) + "=" + v)
		}
	}
	return b.String()
}

// flagDefault reports whether ParseFaultFlag gives f's value of p back
// when the flag leaves p out: p holds its default and the rest of its need
// group is unset, so the group is missing and the default fills it.
func (s FaultSpec) flagDefault(f Fault, p FaultParamSpec) bool {
	if p.Get(f) != p.Get(s.Defaults) {
		return false
	}
	for _, g := range s.Needs {
		in := false
		for _, x := range g {
			in = in || x == p.Name
		}
		if !in {
			continue
		}
		for _, x := range g {
			if q, _ := FaultParamByName(x); x != p.Name && q.Get(f) != "" {
				return false
			}
		}
		return true
	}
	return false
}

// ParseFaultFlag reads KIND:TARGET[:PEER][,PARAM=VALUE...] (Fault.Flag's
// form). who turns a target, peer or observer as written into what the
// Fault holds (a domain, or a role the caller maps later) and other gives
// the end of the link opposite a target, the default peer. A need group
// the flag leaves unset takes the kind's Defaults; the caller validates
// the result against its world.
func ParseFaultFlag(spec string, who func(string) (string, error), other func(target string) string) (Fault, error) {
	head, rest, _ := strings.Cut(spec, ",")
	parts := strings.Split(head, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Fault{}, fmt.Errorf("want kind:target[:peer][,param=value...], e.g. cert-expired:receiver or dns-slow:receiver,delay=5s")
	}
	f := Fault{Kind: FaultKind(parts[0])}
	s, ok := SpecOf(f.Kind)
	if !ok {
		return f, fmt.Errorf("unknown fault kind %q (want %s)", f.Kind, nodes.OrList(faultKindNames()))
	}
	var err error
	if f.Target, err = who(parts[1]); err != nil {
		return f, err
	}
	set := map[FaultParam]bool{}
	if len(parts) == 3 {
		if !s.Takes(ParamPeer) {
			return f, fmt.Errorf("a %s fault does not use a peer (%s)", f.Kind, s.TakesText())
		}
		if f.Peer, err = who(parts[2]); err != nil {
			return f, err
		}
		set[ParamPeer] = true
	}
	if rest != "" {
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			p, known := FaultParamByName(FaultParam(strings.TrimSpace(k)))
			switch {
			case !ok:
				return f, fmt.Errorf("%q: want param=value", kv)
			case !known || !s.Takes(p.Name):
				return f, fmt.Errorf("a %s fault does not use %s (%s)", f.Kind, k, s.TakesText())
			case set[p.Name]:
				return f, fmt.Errorf("%s given twice", k)
			}
			set[p.Name] = true
			if p.Server {
				if v, err = who(v); err != nil {
					return f, err
				}
			}
			if err := p.Set(&f, v); err != nil {
				return f, err
			}
		}
	}
	for _, g := range s.Missing(f) {
		for _, name := range g {
			p, _ := FaultParamByName(name)
			if d := p.Get(s.Defaults); d != "" {
				p.Set(&f, d)
			}
		}
	}
	if s.NeedsPeer() && f.Peer == "" {
		f.Peer = other(f.Target)
	}
	return f, nil
}

// TakesText words what a kind reads besides its target, for messages:
// "it takes peer, at or until", "it takes no other field".
func (s FaultSpec) TakesText() string {
	switch {
	case s.Cert:
		return "certificate faults apply when certificates are made; they take only a target"
	case len(s.Params) == 0:
		return "it takes no other field"
	}
	var names []string
	for _, p := range s.Params {
		names = append(names, string(p))
	}
	return "it takes " + nodes.OrList(names)
}

// isCertFault reports whether k is applied when certificates are made.
func isCertFault(k FaultKind) bool {
	s, _ := SpecOf(k)
	return s.Cert
}

func faultKindNames() []string {
	var out []string
	for _, k := range FaultKinds() {
		out = append(out, string(k))
	}
	return out
}

// Fault is one injected fault.
type Fault struct {
	Kind FaultKind
	// Target is the domain the fault is about.
	Target string
	// Peer is the other end for link faults (partition, reset-after, latency).
	Peer string
	// Observer limits a DNS fault to one server's resolver ("" = everyone).
	Observer string
	// Addr is where a poisoned record points.
	Addr string
	// At and Until bound the fault in virtual time; Until 0 = forever.
	At, Until time.Duration
	// Bytes for reset-after; Delay for dns-slow and latency; Jitter for latency.
	Bytes  int64
	Delay  time.Duration
	Jitter time.Duration
}

func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", f.Kind, f.Target)
	if f.Peer != "" {
		fmt.Fprintf(&b, "|%s", f.Peer)
	}
	if f.Observer != "" {
		fmt.Fprintf(&b, " seen by %s", f.Observer)
	}
	if f.Addr != "" {
		fmt.Fprintf(&b, " -> %s", f.Addr)
	}
	if f.At != 0 || f.Until != 0 {
		fmt.Fprintf(&b, " [%s, %s)", f.At, until(f.Until))
	}
	if f.Bytes != 0 {
		fmt.Fprintf(&b, " after %d bytes", f.Bytes)
	}
	if f.Delay != 0 {
		fmt.Fprintf(&b, " delay %s", f.Delay)
	}
	if f.Jitter != 0 {
		fmt.Fprintf(&b, " jitter %s", f.Jitter)
	}
	return b.String()
}

func until(d time.Duration) string {
	if d == 0 {
		return "end"
	}
	return d.String()
}

// Validate checks a fault against a world's domains and its kind's entry
// in the table: the parameters it needs are set, it sets no other, and the
// servers it names exist.
func (f Fault) Validate(domains []string) error {
	known := func(d string) bool {
		for _, x := range domains {
			if x == d {
				return true
			}
		}
		return false
	}
	s, ok := SpecOf(f.Kind)
	if !ok {
		return fmt.Errorf("scenarios: unknown fault kind %q", f.Kind)
	}
	if f.Target == "" || !known(f.Target) {
		return fmt.Errorf("scenarios: fault %s: target %q is not a server of this world (%s)", f.Kind, f.Target, strings.Join(domains, ", "))
	}
	for _, p := range faultParams {
		v := p.Get(f)
		switch {
		case v != "" && !s.Takes(p.Name):
			return fmt.Errorf("scenarios: fault %s does not use %s (%s)", f.Kind, p.Name, s.TakesText())
		case v != "" && p.Server && !known(v):
			return fmt.Errorf("scenarios: fault %s: %s %q is not a server of this world", f.Kind, p.Name, v)
		}
	}
	if m := s.Missing(f); len(m) > 0 {
		return fmt.Errorf("scenarios: fault %s needs %s", f.Kind, Need(m[0]))
	}
	if f.Until != 0 && f.Until <= f.At {
		return fmt.Errorf("scenarios: fault %s: until %s is not after at %s", f.Kind, f.Until, f.At)
	}
	if f.Bytes < 0 || f.Delay < 0 || f.Jitter < 0 || f.At < 0 {
		return fmt.Errorf("scenarios: fault %s: a negative value", f.Kind)
	}
	return nil
}

// certPlan is how the certificate faults change a server's certificate:
// its template, its issuer and whether it is revoked.
type certPlan struct {
	tmpl   ca.Template
	issuer *ca.Authority // nil: as the preset says
	revoke bool
}

func planCert(f Fault, p *certPlan, root *ca.Authority, secret func() []byte) {
	nb, na := certWindow()
	switch f.Kind {
	case CertExpired:
		p.tmpl.NotBefore, p.tmpl.NotAfter = nb.Add(-400*24*time.Hour), sim.Epoch.Add(-24*time.Hour)
	case CertNotYetValid:
		p.tmpl.NotBefore, p.tmpl.NotAfter = sim.Epoch.Add(24*time.Hour), na
	case CertWrongName:
		p.tmpl.Subject, p.tmpl.DNSNames = "wrong.example", []string{"wrong.example"}
	case CertWildcard:
		p.tmpl.DNSNames = []string{"*.lit"}
	case CertUntrustedCA:
		p.issuer = ca.NewRoot("Unknown CA", nb, na, secret())
	case CertRevoked:
		p.revoke = true
	case CertIntermediate:
		p.issuer = root.NewIntermediate("Lit Intermediate CA", nb, na, secret())
	case CertNoClientAuth:
		p.tmpl.NoClientAuth = true
	}
}

// ApplyFault installs a runtime fault in w (certificate faults are applied
// when certificates are made: see CertTemplateFor). Call it before Run.
func (w *World) ApplyFault(f Fault) error {
	at, end := sim.Time(f.At), sim.Time(f.Until)
	win := network.Window{From: at, Until: end}
	dnsFault := func(k dns.FaultKind, targets []dns.Target) {
		w.DNSFaults = append(w.DNSFaults, dns.Fault{Kind: k, Domain: f.Target, Resolver: f.Observer,
			Targets: targets, Delay: f.Delay, From: f.At, Until: f.Until})
	}
	switch f.Kind {
	case DNSPoison:
		dnsFault(dns.Poison, []dns.Target{{Host: "poisoned", Addr: f.Addr, Port: dns.DefaultPort, Via: "poisoned record"}})
	case DNSNXDomain:
		dnsFault(dns.NXDomain, nil)
	case DNSServFail:
		dnsFault(dns.ServFail, nil)
	case DNSTimeout:
		dnsFault(dns.NoAnswer, nil)
	case DNSSlow:
		dnsFault(dns.Slow, nil)
	case DNSFailover:
		// A first-priority SRV target that refuses connections (an address
		// where nothing listens); RFC 6120 §3.2.1 step 9 moves on to the next.
		host := "dead." + f.Target
		if w.Net.HostByName(host) != nil {
			break // already failing over
		}
		w.extraHosts++
		deadAddr := fmt.Sprintf("10.0.9.%d", w.extraHosts)
		w.Zone.AddSRV(f.Target, dns.SRV{Target: host, Port: dns.DefaultPort, Priority: 0, Weight: 1})
		w.Zone.AddAddr(host, deadAddr)
		if _, err := w.Net.AddHost(host, deadAddr, nil); err != nil {
			return err
		}
	case TLSHandshakeFail:
		w.Net.Filters = append(w.Net.Filters, network.TLSFailure(f.Target, win))
	case DNSSECExpired:
		if !w.Zone.Signed(f.Target) {
			// Faults compose with any world; in one without the thing they
			// act on they say so and change nothing.
			w.TraceWorld(f.Target, "fault", fmt.Sprintf("%s: %s's zone is not signed: nothing to expire", f.Kind, f.Target))
			break
		}
		nb, _ := certWindow()
		start := w.Sim.Now().Std()
		if start.Before(nb) {
			start = nb
		}
		w.Zone.SetSignatureWindow(f.Target, start.AddDate(0, -1, 0), start.AddDate(0, 0, -1))
	case TLSAMismatch:
		wrong := sha256.Sum256([]byte("a key nobody holds: " + f.Target))
		n := 0
		for _, host := range append([]string{f.Target}, srvTargets(w.Zone, f.Target)...) {
			if len(w.Zone.TLSARecords(host, dns.DefaultPort)) > 0 {
				w.Zone.ReplaceTLSA(host, dns.DefaultPort, []ca.TLSA{{Usage: ca.UsageDANEEE, Selector: ca.SelectorSPKI, MatchingType: ca.MatchSHA256, Data: wrong[:]}})
				n++
			}
		}
		if n == 0 {
			w.TraceWorld(f.Target, "fault", fmt.Sprintf("%s: %s publishes no TLSA records: nothing to change", f.Kind, f.Target))
		}
	case POSHDown:
		var site *ca.Site
		if w.Prepared != nil {
			site = w.Prepared.Web[f.Target]
		}
		if site == nil {
			w.TraceWorld(f.Target, "fault", fmt.Sprintf("%s: %s serves no POSH document: nothing to take down", f.Kind, f.Target))
			break
		}
		site.Down = true
	case Partition:
		w.Net.Filters = append(w.Net.Filters, network.Partition(f.Target, f.Peer, win))
	case BlackHole:
		w.Net.Filters = append(w.Net.Filters, network.BlackHole(f.Target, win))
	case ResetAfter:
		w.Net.Filters = append(w.Net.Filters, network.ResetAfter(f.Target, f.Peer, f.Bytes))
	case Latency:
		w.Net.SetLatency(f.Target, f.Peer, f.Delay)
		if f.Jitter > 0 {
			w.Net.SetJitter(f.Target, f.Peer, f.Jitter)
		}
	case Refuse:
		w.Sim.At(at, &worldEvent{w: w, fn: func() {
			w.TraceWorld(f.Target, "fault", "stops listening on port 5269: connections are refused")
			w.Node(f.Target).Host.Unlisten(dns.DefaultPort)
		}}, 0, 0)
		if end != 0 {
			w.Sim.At(end, &worldEvent{w: w, fn: func() {
				w.TraceWorld(f.Target, "fault-end", "listens on port 5269 again")
				w.Node(f.Target).Host.Listen(dns.DefaultPort)
			}}, 0, 0)
		}
	case Crash:
		w.Sim.At(at, &worldEvent{w: w, fn: func() { w.crash(f.Target) }}, 0, 0)
		if end != 0 {
			w.Sim.At(end, &worldEvent{w: w, fn: func() { w.restart(f.Target) }}, 0, 0)
		}
	}
	return nil
}

// worldEvent runs a closure at a scheduled time (faults are rare: the
// allocation does not matter).
type worldEvent struct {
	w  *World
	fn func()
}

func (e *worldEvent) HandleEvent(*sim.World, int64, int64) { e.fn() }

// TraceWorld adds an event record that belongs to no server's decisions
// (a fault starting, an attacker acting).
func (w *World) TraceWorld(node, event, detail string) {
	if w.Sim.Trace == nil {
		return
	}
	w.Sim.Trace.Add(sim.Record{Time: w.Sim.Now(), Kind: sim.KindEvent, Node: node, Event: event, Detail: detail})
}

// crash stops a server: its host goes dark and its state is discarded.
func (w *World) crash(domain string) {
	n := w.Node(domain)
	if n == nil {
		return
	}
	w.TraceWorld(domain, "fault", "crashes: every connection and all in-memory state are lost")
	w.Net.Crash(n.Host.Name)
	for tag, id := range n.timers {
		w.Sim.Cancel(id)
		delete(n.timers, tag)
	}
	n.answers = nil
	n.down = true
}

// restart brings a crashed server back with a fresh state.
func (w *World) restart(domain string) {
	n := w.Node(domain)
	if n == nil || !n.down {
		return
	}
	cfg := n.S.Config()
	s, err := nodes.New(cfg)
	if err != nil {
		panic("scenarios: rebuilding a server from its own valid config: " + err.Error())
	}
	s.Arena = &w.arena
	n.S = s
	n.down = false
	n.epoch++
	w.Net.Restart(n.Host.Name)
	w.TraceWorld(domain, "fault-end", "restarts with empty state")
}
