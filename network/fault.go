package network

import (
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/sim"
)

// SegmentKind says what a Segment carries, for filters.
type SegmentKind uint8

const (
	KindSYN            SegmentKind = iota + 1 // connection attempt
	KindData                                  // bytes written by an application
	KindFIN                                   // orderly close
	KindClientHello                           // TLS: first client flight
	KindServerCert                            // TLS: ServerHello, Certificate, CertificateRequest
	KindClientCert                            // TLS: client Certificate, Finished
	KindServerFinished                        // TLS: server Finished
	KindOther                                 // SYN-ACK, RST, alerts: passed to filters for drops only
)

func (k SegmentKind) String() string {
	return [...]string{"", "SYN", "data", "FIN", "ClientHello", "server certificate", "client certificate", "server Finished", "control"}[k]
}

// Segment is a filter's view of something on its way through the network.
// Data (a whole write, before fragmentation) and Cert may be replaced.
type Segment struct {
	Conn     ConnID
	From, To string // host names ("" for nowhere)
	FromEnd  End
	Kind     SegmentKind
	Data     []byte
	Cert     *ca.Cert
	// Encrypted: Data travels inside a finished TLS session (its writer's
	// handshake is done): an on-path attacker without the session's keys
	// cannot read or change it.
	Encrypted bool
}

// Action is a filter's verdict, in the spirit of tailscale's natlab packet
// handlers: pass (possibly modified), drop, or abort the connection.
type Action uint8

const (
	Pass  Action = iota // deliver (with any replacement made to the Segment)
	Drop                // the segment vanishes; nothing tells either end
	Reset               // both ends get a reset
	Alert               // TLS segments only: the handshake fails with an alert
)

// Filter is one fault or on-path attacker. Name appears in the trace.
type Filter struct {
	Name string
	F    func(n *Net, s *Segment) Action
}

func hostName(h *Host) string {
	if h == nil {
		return ""
	}
	return h.Name
}

func kindOf(k segKind) SegmentKind {
	switch k {
	case segSYN:
		return KindSYN
	case segData:
		return KindData
	case segFIN:
		return KindFIN
	case segClientHello:
		return KindClientHello
	case segServerFlight:
		return KindServerCert
	case segClientFlight:
		return KindClientCert
	case segServerFinished:
		return KindServerFinished
	}
	return KindOther
}

func (n *Net) run(c *conn, from End, sg *Segment) (Action, string) {
	for _, f := range n.Filters {
		if a := f.F(n, sg); a != Pass {
			return a, f.Name
		}
	}
	return Pass, ""
}

// filterData runs the filters over one whole write.
func (n *Net) filterData(c *conn, from End, data []byte) ([]byte, bool) {
	sg := &Segment{Conn: c.id, From: hostName(c.hosts[from]), To: hostName(c.hosts[from.Other()]), FromEnd: from, Kind: KindData, Data: data, Encrypted: c.tls[from] == tlsDone}
	a, name := n.run(c, from, sg)
	switch a {
	case Drop:
		if n.W.Trace != nil { // the detail is built only for a trace
			n.traceFailure(c, from, "fault", "dropped", fmt.Sprintf("%s: %d bytes vanish", name, len(data)))
		}
		return nil, false
	case Reset, Alert:
		n.traceFailure(c, from, "fault", "reset", name+": connection reset")
		n.resetBoth(c)
		return nil, false
	}
	return sg.Data, true
}

// filterControl runs the filters over a control or TLS segment.
func (n *Net) filterControl(c *conn, from End, s segment) (segment, bool) {
	sg := &Segment{Conn: c.id, From: hostName(c.hosts[from]), To: hostName(c.hosts[from.Other()]), FromEnd: from, Kind: kindOf(s.kind), Cert: s.cert}
	a, name := n.run(c, from, sg)
	switch a {
	case Drop:
		if n.W.Trace != nil { // the detail is built only for a trace
			n.traceFailure(c, from, "fault", "dropped", fmt.Sprintf("%s: %s vanishes", name, sg.Kind))
		}
		return s, false
	case Reset:
		n.traceFailure(c, from, "fault", "reset", name+": connection reset")
		n.resetBoth(c)
		return s, false
	case Alert:
		if s.kind == segClientHello || s.kind == segServerFlight || s.kind == segClientFlight || s.kind == segServerFinished {
			n.traceFailure(c, from, "fault", "tls-alert", name+": TLS handshake_failure alert instead of "+sg.Kind.String())
			alert := segment{kind: segAlert, err: fmt.Errorf("%w: handshake_failure (%s)", ErrTLSAlert, name)}
			// Both ends learn: the alert goes on in place of the segment, and
			// another comes back to its sender.
			n.enqueue(c, from.Other(), alert)
			return alert, true
		}
	}
	s.cert = sg.Cert
	return s, true
}

// resetBoth tears a connection down from the middle: both ends get a reset.
func (n *Net) resetBoth(c *conn) {
	for _, e := range []End{Client, Server} {
		if c.hosts[e] != nil && !(c.closed[e] && c.sentFIN[e]) {
			h := &c.halves[e.Other()]
			h.dropped = h.sent
			c.closed[e] = true
			c.sentFIN[e] = true
			n.W.After(0, n.resetter(c, e), 0, 0)
		}
	}
	c.open = false
}

// resetter delivers a reset to one end on the next turn of the event loop.
type resetEvent struct {
	n *Net
	c *conn
	e End
}

func (n *Net) resetter(c *conn, e End) *resetEvent { return &resetEvent{n, c, e} }

func (r *resetEvent) HandleEvent(w *sim.World, _, _ int64) {
	r.n.traceFailure(r.c, r.e, "reset", "reset", "connection reset in the network")
	if h := r.c.hosts[r.e]; h != nil && h.App != nil {
		h.App.Closed(r.c.id, r.e, ErrReset)
	}
}

// SetJitter adds up to d of random extra delay to each segment between two
// hosts; segments still arrive in order.
func (n *Net) SetJitter(a, b string, d time.Duration) {
	n.jitter[[2]string{a, b}] = d
	n.jitter[[2]string{b, a}] = d
}

// Unlisten closes a port: later connection attempts are refused.
func (h *Host) Unlisten(port int) { delete(h.listen, port) }

// Window is a span of virtual time [From, Until); Until 0 means forever.
type Window struct{ From, Until sim.Time }

// Active reports whether t falls in the window.
func (w Window) Active(t sim.Time) bool { return t >= w.From && (w.Until == 0 || t < w.Until) }

func between(s *Segment, a, b string) bool {
	return (s.From == a && s.To == b) || (s.From == b && s.To == a)
}

// Partition drops everything between hosts a and b during w: segments in
// flight when it starts vanish too, so only timeouts end the connections
// it cuts, and new connections cannot be made until it heals.
func Partition(a, b string, w Window) Filter {
	return Filter{Name: "partition " + a + " | " + b, F: func(n *Net, s *Segment) Action {
		if between(s, a, b) && w.Active(n.W.Now()) {
			return Drop
		}
		return Pass
	}}
}

// BlackHole drops everything sent to or by host during w.
func BlackHole(host string, w Window) Filter {
	return Filter{Name: "black hole " + host, F: func(n *Net, s *Segment) Action {
		if (s.From == host || s.To == host) && w.Active(n.W.Now()) {
			return Drop
		}
		return Pass
	}}
}

// ResetAfter resets each connection between a and b once more than limit
// bytes of data have crossed it.
func ResetAfter(a, b string, limit int64) Filter {
	seen := map[ConnID]int64{}
	return Filter{Name: fmt.Sprintf("reset after %d bytes", limit), F: func(n *Net, s *Segment) Action {
		if s.Kind != KindData || !between(s, a, b) {
			return Pass
		}
		seen[s.Conn] += int64(len(s.Data))
		if seen[s.Conn] > limit {
			return Reset
		}
		return Pass
	}}
}

// TLSFailure makes every TLS handshake with host fail with an alert.
func TLSFailure(host string, w Window) Filter {
	return Filter{Name: "TLS failure at " + host, F: func(n *Net, s *Segment) Action {
		if s.Kind == KindClientHello && s.To == host && w.Active(n.W.Now()) {
			return Alert
		}
		return Pass
	}}
}

// starttlsRE is compiled on first use: only the STARTTLS stripper needs
// it, and compiling it at package initialisation cost every start of
// fedsim (fedsim help included).
var starttlsRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<starttls[^>]*?(/>|>.*?</starttls>)`) })

// StripSTARTTLS is an on-path attacker between a and b that removes the
// <starttls/> feature from stream features (a downgrade attack; only a side
// that requires TLS resists it). onStrip is called for each stripped element.
func StripSTARTTLS(a, b string, onStrip func(s *Segment)) Filter {
	return Filter{Name: "STARTTLS stripper", F: func(n *Net, s *Segment) Action {
		if s.Kind != KindData || s.Encrypted || !between(s, a, b) {
			return Pass // an encrypted stream's features are out of its reach
		}
		if out := starttlsRE().ReplaceAll(s.Data, nil); len(out) != len(s.Data) {
			s.Data = out
			if onStrip != nil {
				onStrip(s)
			}
		}
		return Pass
	}}
}

// Intercept is an on-path attacker between a and b that terminates TLS
// with its own certificates: the client is shown asServer instead of the
// server's certificate, the server asClient instead of the client's. onData
// is called with every write that crosses while it sits in the middle of a
// TLS session it terminated (what the attacker can read).
func Intercept(a, b string, asServer, asClient *ca.Cert, onData func(s *Segment)) Filter {
	tls := map[ConnID]bool{}
	return Filter{Name: "TLS interceptor", F: func(n *Net, s *Segment) Action {
		if !between(s, a, b) {
			return Pass
		}
		switch s.Kind {
		case KindServerCert:
			s.Cert = asServer
			tls[s.Conn] = true
		case KindClientCert:
			if s.Cert != nil {
				s.Cert = asClient
			}
		case KindData:
			if tls[s.Conn] && onData != nil {
				onData(s)
			}
		}
		return Pass
	}}
}
