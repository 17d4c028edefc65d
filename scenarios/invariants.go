package scenarios

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/sim"
)

// Violation is a broken safety property, with enough to find it in the
// trace.
type Violation struct {
	Rule   string
	Detail string
}

func (v Violation) String() string { return v.Rule + ": " + v.Detail }

// Impersonation is an attack that succeeded by design of the policy: a
// server accepted a stanza for a domain after a dialback check that an
// attacker, not the domain's real server, answered.
type Impersonation struct {
	Server, Domain, AnsweredBy string
}

// Report is what the checker found in one run.
type Report struct {
	Violations     []Violation
	Impersonations []Impersonation
	// Lost counts stanzas neither delivered nor bounced in a run with a
	// fault that can break a connection: written on a stream the fault
	// broke (without stream management, XEP-0198, as on most of the
	// network), or held by a server that crashed (LostWithSender).
	// Reported, not a violation.
	Lost int
	// LostWithSender counts, among Lost, the stanzas whose sending server
	// crashed after they were sent: lost with its memory, not in transit
	// (stream management keeps stanzas in memory, and a crash loses them).
	LostWithSender int
	// Duplicates counts stanzas delivered more than once (each is also an
	// exactly-once violation).
	Duplicates int
	// Unconfirmed counts stanzas delivered and also returned to their
	// sender as unacknowledged (XEP-0198): the acknowledgement was lost and
	// the session could not be resumed, so the sender could not know; the
	// error it got says the stanza may have been delivered. Not a
	// violation: no stanza was delivered twice, and nothing was claimed
	// that was false.
	Unconfirmed int
	// Intercepted counts stanzas an attacker's server received instead of
	// their recipient's.
	Intercepted int
}

// CheckInvariants checks a finished world against fedsim's safety rules and
// returns the violations (see Check for the full report).
func CheckInvariants(w *World) []Violation { return Check(w).Violations }

// Check examines a finished run:
//
//  1. every stanza a user sent was delivered exactly once (or refused by
//     its recipient's server for want of an account) or bounced to its
//     sender exactly once (lost-to-faults is counted apart);
//  2. every stanza a server accepted from a remote domain came on a stream
//     authenticated for that domain at a level the server's policy
//     accepts, and the authentication shows in the trace: a <db:verify
//     type='valid'/> for the stream's id sent to the server (by the
//     domain's real server — otherwise it is an impersonation, which is the
//     attack succeeding, not a checker failure), or SASL <success/> after a
//     TLS handshake in which the server verified the peer's certificate;
//  3. stream management (XEP-0198) was enabled, and every session resumed,
//     only on a stream whose peer the server had authenticated there.
//
// The fourth rule, determinism, needs a second run: see CheckDeterminism.
func Check(w *World) Report {
	var rep Report
	type key struct{ from, id string }
	delivered := map[key]int{}
	bounced := map[key]int{}
	unconfirmed := map[key]int{}
	intercepted := map[key]bool{}
	for _, d := range w.Deliveries {
		k := key{d.Stanza.Attr("from"), d.Stanza.Attr("id")}
		if w.hostIsAttacker(d.Host) {
			// What an attacker's server receives is not a delivery: the
			// attack succeeded, which the attack report says.
			intercepted[k] = true
			continue
		}
		switch d.Stanza.Attr("type") {
		case "result", "error":
		default:
			delivered[k]++
		}
	}
	for _, b := range w.Bounces {
		bounced[key{b.Stanza.Attr("to"), b.Stanza.Attr("id")}]++
		if b.Unconfirmed {
			unconfirmed[key{b.Stanza.Attr("to"), b.Stanza.Attr("id")}]++
		}
	}
	// A stanza refused by its recipient's server (no such account) was
	// handled exactly once: the error reply is that server's answer.
	for _, r := range w.Rejections {
		if !w.hostIsAttacker(r.Host) {
			delivered[key{r.Stanza.Attr("from"), r.Stanza.Attr("id")}]++
		}
	}
	networkFaults := false
	for _, f := range w.Faults {
		s, _ := SpecOf(f.Kind)
		networkFaults = networkFaults || s.Breaks
	}
	for _, s := range w.Sent {
		if w.hostIsAttacker(s.Host) {
			continue
		}
		k := key{s.Stanza.Attr("from"), s.Stanza.Attr("id")}
		switch n := delivered[k] + bounced[k]; {
		case n == 1:
		case n == 0 && intercepted[k]:
			rep.Intercepted++
		case n == 0 && networkFaults:
			rep.Lost++
			if crashedAfter(w, s.Server, s.Time) {
				rep.LostWithSender++
			}
		case n == 2 && delivered[k] == 1 && unconfirmed[k] == 1:
			rep.Unconfirmed++
		case n == 0:
			rep.Violations = append(rep.Violations, Violation{"exactly-once", fmt.Sprintf("%s id=%s from %s was neither delivered nor bounced", s.Stanza.Local(), k.id, k.from)})
		default:
			if delivered[k] > 1 {
				rep.Duplicates++
			}
			rep.Violations = append(rep.Violations, Violation{"exactly-once", fmt.Sprintf("%s id=%s from %s was delivered %d and bounced %d times", s.Stanza.Local(), k.id, k.from, delivered[k], bounced[k])})
		}
	}
	// Evidence in the trace: dialback answers and SASL successes per server.
	type verifyKey struct{ to, from, id string }
	answeredBy := map[verifyKey][]string{}
	saslOK := map[[2]string]bool{} // {server, conn}
	tlsVerified := map[[2]string]bool{}
	// What each host itself put on each connection, in time order: the ids
	// of the response headers it sent and whether TLS came up — so that an
	// acceptance's stream id and level are checked against the wire, not
	// only against the server's own note.
	type stamp struct {
		at sim.Time
		id string
	}
	headers := map[[2]string][]stamp{}
	tlsAt := map[[2]string]sim.Time{}
	// established: when each host's own outbound negotiation succeeded on
	// each connection, by peer — what lets it take the peer's stanzas on a
	// bidirectional stream it opened (XEP-0288).
	established := map[[3]string]sim.Time{}
	// authSent: when each host first told the peer on a connection that it
	// was authenticated — SASL <success/> or <db:result type='valid'/> —
	// and smGranted: each <enabled/> or <resumed/> it sent (XEP-0198), in
	// order, to be checked against it.
	authSent := map[[2]string]sim.Time{}
	type grant struct {
		k  [2]string
		at sim.Time
		el string
	}
	var smGranted []grant
	// selfValid: who wrote a <db:result type='valid'/> on each connection —
	// an Originating Server's claim that its own key is valid (the
	// dialback-shortcut attack) when the accepting host did not write it.
	selfValid := map[string][]string{}
	if w.Sim.Trace != nil {
		for _, r := range w.Sim.Trace.Records {
			k := [2]string{r.Node, fmt.Sprint(r.Conn)}
			switch {
			case r.Kind == sim.KindXML && strings.HasPrefix(r.XML, "<stream:stream "):
				if id := attrOf(r.XML, "id"); id != "" {
					headers[k] = append(headers[k], stamp{r.Time, id})
				}
			case r.Kind == sim.KindEvent && r.Event == "tls-ok":
				if _, seen := tlsAt[k]; !seen {
					tlsAt[k] = r.Time
				}
			case r.Kind == sim.KindEvent && r.Event == "outcome" && r.Outcome != "" && !r.Failure:
				if _, seen := established[[3]string{k[0], k[1], r.Peer}]; !seen {
					established[[3]string{k[0], k[1], r.Peer}] = r.Time
				}
			}
			if r.Kind == sim.KindXML {
				switch {
				case strings.HasPrefix(r.XML, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"),
					strings.HasPrefix(r.XML, "<db:result ") && strings.Contains(r.XML, "type='valid'"):
					if _, seen := authSent[k]; !seen {
						authSent[k] = r.Time
					}
				case strings.HasPrefix(r.XML, "<resumed "), strings.HasPrefix(r.XML, "<enabled "):
					smGranted = append(smGranted, grant{k, r.Time, r.XML[1:strings.IndexByte(r.XML, ' ')]})
				}
			}
			switch {
			case r.Kind == sim.KindXML && strings.HasPrefix(r.XML, "<db:verify ") && strings.Contains(r.XML, "type='valid'"):
				el := xmlstream.ParseUnit(r.XML)
				if el != nil {
					k := verifyKey{el.Attr("to"), el.Attr("from"), el.Attr("id")}
					answeredBy[k] = append(answeredBy[k], r.Node)
				}
			case r.Kind == sim.KindXML && strings.HasPrefix(r.XML, "<db:result ") && strings.Contains(r.XML, "type='valid'"):
				selfValid[fmt.Sprint(r.Conn)] = append(selfValid[fmt.Sprint(r.Conn)], r.Node)
			case r.Kind == sim.KindXML && strings.HasPrefix(r.XML, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"):
				saslOK[[2]string{r.Node, fmt.Sprint(r.Conn)}] = true
			case r.Kind == sim.KindEvent && r.Event == "tls-ok" && strings.HasPrefix(r.Detail, "peer certificate verified"):
				tlsVerified[[2]string{r.Node, fmt.Sprint(r.Conn)}] = true
			case r.Kind == sim.KindEvent && r.Event == "authenticated" && (strings.Contains(r.Detail, "is authenticated by DANE-") || strings.Contains(r.Detail, "is authenticated by POSH")):
				// A client certificate authenticated by DANE or POSH (issue
				// 15): the TLS layer does not judge it (the TLSA lookup comes
				// after the handshake), the server does, and says so. This
				// takes the server's word; the DANE and POSH checks themselves
				// are package ca's, tested there.
				tlsVerified[[2]string{r.Node, fmt.Sprint(r.Conn)}] = true
			}
		}
	}
	// XEP-0198 §2, §3, §5 and §9: stream management is enabled, and a session
	// resumed, only on a stream the peer authenticated on — the SM-ID is
	// no credential. A host that granted either on a connection must have
	// authenticated its peer there first.
	for _, g := range smGranted {
		if w.hostIsAttacker(g.k[0]) {
			continue
		}
		if at, ok := authSent[g.k]; !ok || at > g.at {
			rep.Violations = append(rep.Violations, Violation{"sm-authenticated", fmt.Sprintf("%s at %v on c%s sent <%s/> on a stream whose peer it had not authenticated", g.k[0], g.at, g.k[1], g.el)})
		}
	}
	for _, a := range w.Acceptances {
		if w.hostIsAttacker(a.Host) {
			continue // attackers follow no rules; what they achieve is reported elsewhere
		}
		n := w.Node(a.Server)
		from := bareOf(a.Stanza.Attr("from"))
		where := fmt.Sprintf("%s at %v on c%d", a.Server, a.Time, a.Conn)
		if n == nil {
			continue
		}
		if from != a.From {
			rep.Violations = append(rep.Violations, Violation{"authenticated-origin", fmt.Sprintf("%s accepted a stanza from %s on a stream authenticated for %s", where, from, a.From)})
			continue
		}
		if accept := n.S.AcceptFor(from); !accept.Has(a.Level) {
			rep.Violations = append(rep.Violations, Violation{"policy-level", fmt.Sprintf("%s accepted %s at level %s; its policy accepts %s from it", where, from, a.Level.Letter(), accept)})
		}
		if w.Sim.Trace == nil {
			continue
		}
		k := [2]string{a.Host, fmt.Sprint(a.Conn)}
		switch a.Method {
		case "dialback":
			// The stream id on the wire when the stanza came in, and TLS.
			var id string
			for _, h := range headers[k] {
				if h.at <= a.Time {
					id = h.id
				}
			}
			if id != a.StreamID {
				rep.Violations = append(rep.Violations, Violation{"dialback-verified", fmt.Sprintf("%s accepted %s for stream %s, but the stream on the wire was %s", where, from, a.StreamID, id)})
				continue
			}
			at, tls := tlsAt[k]
			tls = tls && at <= a.Time
			if want := map[bool]nodes.Level{false: nodes.LevelVerified, true: nodes.LevelEncrypted}[tls]; a.Level != want {
				rep.Violations = append(rep.Violations, Violation{"policy-level", fmt.Sprintf("%s claims level %s for %s, but the connection %s TLS", where, a.Level.Letter(), from, map[bool]string{true: "had", false: "had no"}[tls])})
			}
			by := answeredBy[verifyKey{a.Server, a.From, a.StreamID}]
			if len(by) == 0 {
				detail := fmt.Sprintf("%s accepted %s by dialback but no Authoritative Server confirmed a key for stream %s", where, from, a.StreamID)
				for _, host := range selfValid[fmt.Sprint(a.Conn)] {
					if host != a.Host {
						detail += fmt.Sprintf(": it took the <db:result type='valid'/> that %s itself sent on that connection at its word", host)
						break
					}
				}
				rep.Violations = append(rep.Violations, Violation{"dialback-verified", detail})
				continue
			}
			for _, host := range by {
				if real := w.Node(a.From); real == nil || real.Host.Name != host {
					rep.Impersonations = append(rep.Impersonations, Impersonation{Server: a.Server, Domain: a.From, AnsweredBy: host})
				}
			}
		case "dialback-certificate":
			// XEP-0344 §2.4: the key was answered from the certificate, so
			// the evidence is the certificate's, on an encrypted stream.
			k := [2]string{a.Host, fmt.Sprint(a.Conn)}
			if !tlsVerified[k] || a.Level != nodes.LevelEncrypted {
				rep.Violations = append(rep.Violations, Violation{"dialback-verified", fmt.Sprintf("%s accepted %s by its certificate (XEP-0344 §2.4) without a verified certificate on an encrypted connection", where, from)})
			}
		case "bidi":
			// The stanza came in on a stream the host opened itself: its
			// own negotiation with that peer must have succeeded on that
			// connection first.
			if at, ok := established[[3]string{a.Host, fmt.Sprint(a.Conn), a.From}]; !ok || at > a.Time {
				rep.Violations = append(rep.Violations, Violation{"bidi-established", fmt.Sprintf("%s accepted %s on its own stream before authenticating %s on that connection", where, from, a.From)})
			}
		case "sasl":
			k := [2]string{a.Host, fmt.Sprint(a.Conn)}
			if !saslOK[k] || !tlsVerified[k] {
				rep.Violations = append(rep.Violations, Violation{"sasl-verified", fmt.Sprintf("%s accepted %s by SASL without a verified certificate on that connection", where, from)})
			}
		}
	}
	sort.Slice(rep.Impersonations, func(i, j int) bool {
		return fmt.Sprint(rep.Impersonations[i]) < fmt.Sprint(rep.Impersonations[j])
	})
	return rep
}

// crashedAfter reports whether a crash fault stopped domain's server at
// or after t.
func crashedAfter(w *World, domain string, t sim.Time) bool {
	for _, f := range w.Faults {
		if f.Kind == Crash && f.Target == domain && sim.Time(f.At) >= t {
			return true
		}
	}
	return false
}

func (w *World) hostIsAttacker(host string) bool {
	for _, n := range w.nodes {
		if n.Host.Name == host {
			return n.Attacker
		}
	}
	return false
}

// attrOf reads a single-quoted attribute from a serialised start tag.
func attrOf(tag, name string) string {
	i := strings.Index(tag, " "+name+"='")
	if i < 0 {
		return ""
	}
	rest := tag[i+len(name)+3:]
	j := strings.IndexByte(rest, '\'')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

func bareOf(jid string) string {
	if i := strings.IndexByte(jid, '@'); i >= 0 {
		jid = jid[i+1:]
	}
	if i := strings.IndexByte(jid, '/'); i >= 0 {
		jid = jid[:i]
	}
	return strings.ToLower(jid)
}

// CheckDeterminism runs build twice and compares the trace hashes.
func CheckDeterminism(build func() (*World, error)) (Violation, bool) {
	a, err := build()
	if err != nil {
		return Violation{"deterministic", err.Error()}, false
	}
	b, err := build()
	if err != nil {
		return Violation{"deterministic", err.Error()}, false
	}
	if a.Sim.Trace == nil || b.Sim.Trace == nil {
		return Violation{"deterministic", "the world was built without a trace: nothing to compare"}, false
	}
	ha, hb := a.Sim.Trace.Hash(), b.Sim.Trace.Hash()
	if ha != hb {
		return Violation{"deterministic", fmt.Sprintf("the same seed gave traces %s and %s", ha[:12], hb[:12])}, false
	}
	return Violation{}, true
}
