package teach

import (
	"fmt"
	"strings"

	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/sim"
)

// StepKind says how a step is drawn.
type StepKind uint8

const (
	// Arrow: something sent from one lane to another (an element, a TCP
	// connect, a stanza handed to a user).
	Arrow StepKind = iota + 1
	// Note: something that happens at one lane (a DNS lookup, a decision
	// that sends nothing, an outcome).
	Note
	// Span: something between two lanes that is not an element: a TLS
	// handshake, a stream restart, a connection closing.
	Span
)

// Lane is one column of the sequence diagram: a user, or a server in one
// of its roles.
type Lane struct {
	// ID is short and stable ("u1", "s1", "a2", …) for Mermaid.
	ID string
	// Title is the domain or JID; Role says which part the server plays
	// ("initiating", "receiving", "authoritative", "user").
	Title, Role string
}

// Step is one numbered step of a flow: one line of the explanation and
// one row of the diagram.
type Step struct {
	N    int
	Time sim.Time
	Kind StepKind
	// From and To are lane indexes (To == From for a note).
	From, To int
	// Conn is "c1.2"-style (connection, stream), or "" off any connection.
	Conn string
	// Who and Whom are the domains (or JIDs) of sender and receiver.
	Who, Whom string
	// Label is the brief diagram label; XML the element as sent (if any).
	Label, XML string
	// Why is the plain sentence: the decision the state machine noted, or
	// what the element kind means.
	Why string
	// Failure marks a step where something went wrong (stream error, TLS
	// failure, bounce, reset, refused connection).
	Failure bool
}

// Flow is a run as lanes and steps.
type Flow struct {
	Lanes []Lane
	Steps []Step
}

// decisionEvents are notes of a server that explain its next element.
var decisionEvents = map[string]bool{
	"decide": true, "stream-error": true, "authenticated": true, "accept-stanza": true,
	"note": true, "dialback-invalid": true, "dialback-error": true, "sasl-failure": true,
}

// failureEvents mark a step as a failure when its record does not say so
// itself (sim.Record.Failure, which the network, the resolver and the
// world set from typed data): the notes a server makes in words only, and
// the faults and attacks the world announces.
var failureEvents = map[string]bool{
	"stream-error": true, "dialback-invalid": true, "dialback-error": true, "sasl-failure": true,
	"drop": true, "no-such-user": true, "connect-timeout": true, "broken-rule": true,
	"fault": true, "attack": true,
}

// skipEvents are folded into other steps or carry no teaching value.
var skipEvents = map[string]bool{
	"dns-query": true, "tls": true, "stream-end": true, "stream-error-received": true,
	"fault-scheduled": true, "answer": true,
}

// BuildFlow turns a result's trace into lanes and steps.
func BuildFlow(res *Result) *Flow {
	recs := res.World.Sim.Trace.Records
	f := &Flow{}
	from, to := res.From, res.To
	users := [2]string{}
	for _, d := range res.World.Sent {
		if d.Server == from && users[0] == "" {
			users[0] = bare(d.Stanza.Attr("from"))
			users[1] = bare(d.Stanza.Attr("to"))
		}
	}
	if users[0] == "" {
		users = [2]string{"user@" + from, "user@" + to}
	}
	// Lane order puts each authoritative lane next to the server that
	// dials it for verification, so verification arrows are short.
	f.Lanes = []Lane{
		{"u1", users[0], "user"},
		{"a2", to, "authoritative"},
		{"s1", from, "initiating"},
		{"s2", to, "receiving"},
		{"a1", from, "authoritative"},
		{"u2", users[1], "user"},
	}
	lane := map[string]int{}
	for i, l := range f.Lanes {
		if l.Role != "authoritative" {
			lane[l.Title] = i
		}
	}
	// Connections: who dialled, and whether it carried <db:verify/>.
	dialer := map[int]string{}
	verify := map[int]bool{}
	for _, r := range recs {
		if r.Kind == sim.KindEvent && r.Event == "connect" && dialer[r.Conn] == "" {
			dialer[r.Conn] = r.Node
		}
		if r.Kind == sim.KindXML && strings.HasPrefix(r.XML, "<db:verify") {
			verify[r.Conn] = true
		}
	}
	// laneOf places a server on a connection: the accepting side of a
	// verification connection is the Authoritative Server.
	laneOf := func(node string, conn int) int {
		if conn != 0 && verify[conn] && dialer[conn] != "" && node != dialer[conn] {
			if node == from {
				return 4
			}
			if node == to {
				return 1
			}
		}
		if i, ok := lane[node]; ok {
			return i
		}
		return -1
	}
	used := map[int]bool{}
	add := func(s Step) {
		if s.From < 0 || s.To < 0 {
			// A host outside the pair (an attacker): draw it at the side
			// it pretends to be, marked in the label.
			return
		}
		s.N = len(f.Steps) + 1
		used[s.From], used[s.To] = true, true
		f.Steps = append(f.Steps, s)
	}
	why := map[int]string{}     // record index of an XML element → decisions explaining it
	consumed := map[int]bool{}  // decision records attached to an element
	lastStream := map[int]int{} // connection → last stream number drawn
	pendingQuery := map[string]string{}
	for i, r := range recs {
		if r.Kind != sim.KindEvent || !decisionEvents[r.Event] {
			continue
		}
		for j := i + 1; j < len(recs) && recs[j].Time == r.Time; j++ {
			q := recs[j]
			if q.Node != r.Node || q.Conn != r.Conn {
				continue
			}
			if q.Kind == sim.KindXML {
				why[j] = joinWhy(why[j], r.Detail)
				consumed[i] = true
				break
			}
		}
	}
	for i, r := range recs {
		conn := connLabel(r)
		if r.Conn != 0 && r.Stream > 1 && r.Stream != lastStream[r.Conn] && lastStream[r.Conn] != 0 {
			a, b := laneOf(r.Node, r.Conn), laneOf(r.Peer, r.Conn)
			if b < 0 {
				b = a
			}
			add(Step{Time: r.Time, Kind: Span, From: a, To: b, Conn: conn, Who: r.Node, Whom: r.Peer,
				Label: fmt.Sprintf("stream restart on c%d (stream %d)", r.Conn, r.Stream),
				Why:   "After TLS or SASL succeeds, both sides forget the old stream and start a new one over the protected channel (RFC 6120 §5.4.3.3, §6.4.6)."})
		}
		if r.Conn != 0 && r.Stream != 0 {
			lastStream[r.Conn] = r.Stream
		}
		if r.Kind == sim.KindXML {
			a, b := laneOf(r.Node, r.Conn), laneOf(r.Peer, r.Conn)
			label, kindWhy, failure := describeElement(r.XML)
			w := why[i]
			if w == "" {
				w = kindWhy
			}
			add(Step{Time: r.Time, Kind: Arrow, From: a, To: b, Conn: conn, Who: r.Node, Whom: r.Peer,
				Label: label, XML: r.XML, Why: w, Failure: failure})
			continue
		}
		if skipEvents[r.Event] {
			if r.Event == "dns-query" {
				pendingQuery[r.Node] = r.Detail
			}
			continue
		}
		if decisionEvents[r.Event] && consumed[i] {
			continue
		}
		a := laneOf(r.Node, r.Conn)
		b := laneOf(r.Peer, r.Conn)
		s := Step{Time: r.Time, Kind: Note, From: a, To: a, Conn: conn, Who: r.Node, Whom: r.Peer, Why: r.Detail}
		switch r.Event {
		case "user-send":
			s.Kind, s.From, s.To = Arrow, 0, lane[from]
			if r.Node == to {
				s.From, s.To = 5, lane[to]
			}
			s.Who, s.Label = users[0], "ping "+stanzaLabelXML(r.Stanza)
			s.Why = r.Detail + "."
		case "route":
			s.Label = "route: no stream yet"
		case "dns-answer":
			s.Label = "DNS " + shorten(r.Detail, 44)
			if r.Failure {
				s.Label = "DNS failed: " + r.Reason
			}
			if q := pendingQuery[r.Node]; q != "" {
				s.Why = "DNS lookup " + q + ": " + r.Detail + "."
			}
		case "connect":
			s.Kind, s.To = Arrow, b
			s.Label = fmt.Sprintf("TCP connect c%d", r.Conn)
			if verify[r.Conn] {
				s.Why = r.Detail + ": a separate connection to the Authoritative Server, used only to verify a dialback key (XEP-0220 §2.1.2)."
			} else {
				s.Why = r.Detail + "."
			}
		case "accept":
			continue // the connect arrow stands for both ends
		case "refuse":
			// Nothing listens: the host answers the connection attempt
			// with a reset, drawn as an arrow back to the dialer.
			s.Kind, s.To = Arrow, b
			s.Label = fmt.Sprintf("TCP c%d %s", r.Conn, r.Reason)
			s.Why = sentence(r.Detail) + " " + r.Node + " answers the connection attempt with a reset: the connection is refused."
		case "connect-failed":
			s.Label = fmt.Sprintf("c%d failed: %s", r.Conn, reasonWords(r.Reason))
			s.Why = sentence(r.Detail) + " " + r.Node + " goes on with the next address the DNS answer gave, if there is one (RFC 6120 §3.2.1)."
		case "tls-ok", "tls-fail":
			s.Kind, s.To = Span, b
			if r.Event == "tls-ok" {
				s.Label = fmt.Sprintf("TLS on c%d: %s accepts", r.Conn, r.Node)
				if _, how, ok := strings.Cut(r.Detail, "peer certificate verified by "); ok {
					// DANE or POSH authenticated the certificate (issue 15).
					s.Label += " (" + how + ")"
				}
			} else {
				s.Label = fmt.Sprintf("TLS on c%d fails at %s", r.Conn, r.Node)
			}
			s.Why = tlsWhy(recs, i) + r.Detail + "."
		case "close":
			s.Kind, s.To = Span, b
			s.Label = fmt.Sprintf("%s closes c%d", r.Node, r.Conn)
		case "reset":
			s.Kind, s.To = Span, b
			s.Label = fmt.Sprintf("c%d reset", r.Conn)
		case "outcome":
			lvl := r.Outcome
			if lvl == "" {
				lvl = "?"
			}
			s.Label = "outcome " + r.Node + " → " + r.Peer + ": " + lvl
			s.To = b
			s.Kind = Span
		case "bounce":
			s.Kind, s.From, s.To = Arrow, lane[r.Node], userLane(f, r.Node)
			s.Label = "bounce"
			if r.Condition != "" {
				s.Label += " <" + r.Condition + "/>"
			}
		case "deliver":
			s.Kind, s.From, s.To = Arrow, lane[r.Node], userLane(f, r.Node)
			s.Whom = f.Lanes[s.To].Title
			s.Label = "deliver " + stanzaLabelXML(r.Stanza)
			if r.Failure {
				s.Label = "deliver error " + stanzaLabelXML(r.Stanza)
			}
		case "fault", "fault-end", "attack":
			s.Label = shorten(r.Event+": "+r.Detail, 48)
			if a < 0 {
				// The attacker ("mallory") or a world-wide fault: draw it
				// across the pair.
				s.Kind, s.From, s.To = Span, lane[from], lane[to]
			}
		default:
			s.Label = shorten(r.Event+": "+afterColon(r.Detail), 48)
		}
		s.Failure = s.Failure || r.Failure || failureEvents[r.Event]
		if s.Why == "" {
			s.Why = sentence(r.Detail)
		}
		add(s)
	}
	// Drop lanes nothing happened on, remapping the steps.
	remap := map[int]int{}
	var lanes []Lane
	for i, l := range f.Lanes {
		if used[i] || l.Role == "initiating" || l.Role == "receiving" {
			remap[i] = len(lanes)
			lanes = append(lanes, l)
		}
	}
	f.Lanes = lanes
	for i := range f.Steps {
		f.Steps[i].From = remap[f.Steps[i].From]
		f.Steps[i].To = remap[f.Steps[i].To]
	}
	return f
}

func joinWhy(a, b string) string {
	if a == "" {
		return sentence(b)
	}
	return a + " " + sentence(b)
}

// sentence makes a Detail end like a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, ")") && strings.HasSuffix(strings.TrimSuffix(s, ")"), ".") {
		return s
	}
	return s + "."
}

func userLane(f *Flow, server string) int {
	if len(f.Lanes) > 0 && strings.HasSuffix(f.Lanes[0].Title, "@"+server) {
		return 0
	}
	return 5
}

// tlsWhy summarises the handshake flights before a TLS verdict.
func tlsWhy(recs []sim.Record, i int) string {
	var flights []string
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		r := recs[j]
		if r.Kind == sim.KindEvent && r.Event == "tls" && r.Conn == recs[i].Conn {
			flights = append([]string{r.Node + ": " + r.Detail}, flights...)
		}
	}
	if len(flights) == 0 {
		return ""
	}
	return "TLS handshake (" + strings.Join(flights, "; ") + "). "
}

// describeElement gives an element's brief label, a sentence saying what
// an element of its kind is for (used when no decision explains it), and
// whether it reports a failure. Everything is read from the element,
// parsed as XML (github.com/fedsim/fedsim/nodes/xmlstream); what does not parse (an
// attacker's bytes) is shown as it is.
func describeElement(x string) (label, why string, failure bool) {
	if strings.HasPrefix(x, "</stream:stream") {
		return "</stream:stream>", "Closes the stream: nothing more will be sent on it (RFC 6120 §4.4).", false
	}
	el := parseUnit(x)
	if el == nil {
		return shorten(x, 40), "", false
	}
	if el.Space == "urn:xmpp:sm:3" {
		return describeSM(el)
	}
	name := el.Name
	switch name {
	case "stream:stream":
		ver := el.Attr("version")
		v, verWhy := "header v"+ver, "version "+ver
		if ver == "" {
			v, verWhy = "header (no version: 0.9)", "no version attribute, so pre-RFC XMPP 0.9 without stream features"
		}
		if id := el.Attr("id"); id != "" {
			return v + " reply", fmt.Sprintf("Answers the stream header with its own, %s, and the stream id %s that dialback keys are bound to (RFC 6120 §4.7.3).", verWhy, id), false
		}
		return v, fmt.Sprintf("Opens an XML stream from %s to %s, %s (RFC 6120 §4.2).", el.Attr("from"), el.Attr("to"), verWhy), false
	case "stream:features":
		var fs []string
		for _, c := range el.Children() {
			if c.Local() == "mechanisms" {
				var ms []string
				for _, m := range c.Children() {
					ms = append(ms, m.Text())
				}
				fs = append(fs, "SASL "+strings.Join(ms, " "))
				continue
			}
			f := c.Local()
			for _, cc := range c.Children() {
				f += " (" + cc.Local() + ")" // <required/>, dialback's <errors/>
			}
			fs = append(fs, f)
		}
		if len(fs) == 0 {
			return "features: none", "Advertises no stream features: nothing to negotiate on this stream (RFC 6120 §4.3.2).", false
		}
		return "features: " + strings.Join(fs, ", "), "Advertises what can be negotiated next: " + strings.Join(fs, ", ") + " (RFC 6120 §4.3.2).", false
	case "stream:error":
		cond := definedCondition(el)
		if cond == "" {
			cond = "?"
		}
		return "stream error <" + cond + "/>", "A stream error is unrecoverable: the stream is closed after it (RFC 6120 §4.9).", true
	case "starttls":
		return "<starttls/>", "Asks to upgrade the connection to TLS (RFC 6120 §5.4.2.1).", false
	case "proceed":
		return "<proceed/>", "Agrees to TLS: the TLS handshake starts right after this element (RFC 6120 §5.4.2.3).", false
	case "failure":
		return "<failure/>", "Refuses the negotiation step just asked for.", true
	case "auth":
		mech := el.Attr("mechanism")
		return "<auth " + mech + ">", "Authenticates with SASL " + mech + ": the identity is taken from the TLS certificate (XEP-0178).", false
	case "success":
		return "<success/>", "SASL succeeded: the peer's identity is proven by its certificate (RFC 6120 §6.4.6).", false
	case "db:result", "db:verify":
		short := "<" + name + ">"
		switch el.Attr("type") {
		case "valid":
			return short + " valid", "Reports that the dialback key checked out (XEP-0220 §2.1).", false
		case "invalid":
			return short + " invalid", "Reports that the dialback key did not check out (XEP-0220 §2.4).", true
		case "error":
			return short + " error", "Reports that the dialback check could not be made (XEP-0220 §2.4).", true
		}
		if name == "db:result" {
			return short + " key", "Sends a dialback key for " + el.Attr("from") + ": the receiver will ask " + el.Attr("from") + "'s Authoritative Server whether it is genuine (XEP-0220 §2.1.1).", false
		}
		return short + " key?", "Asks the Authoritative Server whether the key is genuine for stream " + el.Attr("id") + " (XEP-0220 §2.1.2).", false
	case "iq", "message", "presence":
		return stanzaLabel(el), "A stanza travels over the authenticated stream (RFC 6120 §8).", el.Attr("type") == "error"
	}
	return "<" + name + ">", "", false
}

// describeSM labels the elements of stream management (XEP-0198).
func describeSM(el *xmlstream.Element) (label, why string, failure bool) {
	h := el.Attr("h")
	switch el.Local() {
	case "enable":
		return "<enable resume>", "Enables stream management (XEP-0198 §3): the sender counts its stanzas and keeps each until the peer acknowledges it; resume='true' asks for a session it can resume after a broken connection.", false
	case "enabled":
		return "<enabled " + el.Attr("max") + "s>", "Grants stream management with session id " + el.Attr("id") + ", resumable for " + el.Attr("max") + " seconds after the stream breaks (XEP-0198 §3, §5).", false
	case "r":
		return "<r/>", "Asks the peer how many stanzas it has handled (XEP-0198 §4).", false
	case "a":
		return "<a h=" + h + ">", "Acknowledges: " + h + " stanzas handled in this session so far; the sender forgets them (XEP-0198 §4).", false
	case "resume":
		return "<resume h=" + h + ">", "Asks, on a newly authenticated stream, to resume session " + el.Attr("previd") + " of a stream that broke (XEP-0198 §5).", false
	case "resumed":
		return "<resumed h=" + h + ">", "Resumes the session: " + h + " of its stanzas were handled, the sender re-sends the rest (XEP-0198 §5).", false
	case "failed":
		return "<failed/> " + definedCondition(el), "Refuses to enable or resume stream management (XEP-0198 §5, §6); unacknowledged stanzas cannot be resumed.", true
	}
	return "<" + el.Local() + ">", "", false
}

// unitStream is the stream header an element is parsed under: the
// namespaces and prefixes fedsim's servers declare on theirs.
// parseUnit parses one XML unit as the trace holds it
// (xmlstream.ParseUnit).
func parseUnit(x string) *xmlstream.Element { return xmlstream.ParseUnit(x) }

// definedCondition is the condition an error element carries: its first
// child other than <text/> (RFC 6120 §4.9.2 for <stream:error/>, §8.3.2
// for a stanza's <error/>).
func definedCondition(e *xmlstream.Element) string {
	for _, c := range e.Children() {
		if c.Local() != "text" {
			return c.Local()
		}
	}
	return ""
}

// stanzaLabel labels a stanza by its name, type and first child ("<iq
// get> ping"); for an error, by its condition ("<iq error>
// remote-server-timeout").
func stanzaLabel(st *xmlstream.Element) string {
	label := "<" + st.Local()
	if t := st.Attr("type"); t != "" {
		label += " " + t
	}
	label += ">"
	cs := st.Children()
	if len(cs) == 0 {
		return label
	}
	if c := cs[0]; c.Local() == "error" {
		if cond := definedCondition(c); cond != "" {
			return label + " " + cond
		}
	}
	return label + " " + cs[0].Local()
}

// stanzaLabelXML labels a serialised stanza (sim.Record.Stanza).
func stanzaLabelXML(x string) string {
	st := parseUnit(x)
	if st == nil {
		return ""
	}
	return stanzaLabel(st)
}

// reasonWords says a connection failure's reason code
// (sim.Record.Reason) in words.
func reasonWords(reason string) string {
	switch reason {
	case "refused":
		return "connection refused"
	case "no-route":
		return "no route to host"
	case "":
		return "connection failed"
	}
	return reason
}

func afterColon(s string) string {
	if i := strings.Index(s, ": "); i > 0 && i < 60 {
		return s[:i]
	}
	return s
}

func bare(jid string) string {
	if i := strings.IndexByte(jid, '/'); i >= 0 {
		return jid[:i]
	}
	return jid
}

func connLabel(r sim.Record) string {
	if r.Conn == 0 {
		return ""
	}
	if r.Stream == 0 {
		return fmt.Sprintf("c%d", r.Conn)
	}
	return fmt.Sprintf("c%d.%d", r.Conn, r.Stream)
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
