package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/sim"
)

// Result is what one run of a scenario produced and how it measured up.
type Result struct {
	Scenario *Scenario
	// World is the finished world (with attackers, when the scenario has
	// attacks); its trace is the record of the run.
	World *scenarios.World
	// Attacks are the attacks' verdicts, in the scenario's order.
	Attacks []*scenarios.AttackResult
	// Report is the invariant checker's.
	Report scenarios.Report
	// Events is the number of events the kernel dispatched; Virtual the
	// virtual time the run took; Wall the real time Run took (with the
	// baseline and determinism reruns).
	Events  int
	Virtual sim.Time
	Wall    time.Duration
	// Transcript is the text transcript (what golden files hold).
	Transcript []byte
	// Failures lists every expectation that did not hold; empty means pass.
	Failures []Failure
	// Updated is set when UpdateTranscript rewrote the golden file.
	Updated bool
	// RealDir, for a scenario with real servers, is the scratch folder
	// with their configurations, logs and the run's transcript.
	RealDir string
}

// Failure is one expectation that did not hold.
type Failure struct {
	// Check names the expectation: "outcomes", "sent", "not_sent",
	// "events", "not_events", "delivered", "bounced", "invariants",
	// "attacks", "elapsed", "deterministic" or "transcript".
	Check string
	// Message says what went wrong in a sentence or two.
	Message string
	// Diff is a diff in go-cmp's format, -want +got (empty when the message says it
	// all).
	Diff string
}

func (f Failure) String() string {
	if f.Diff == "" {
		return f.Check + ": " + f.Message
	}
	return f.Check + ": " + f.Message + "\n" + f.Diff
}

// Passed reports whether every expectation held.
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// Replay is the command that reruns this scenario alone.
func (r *Result) Replay() string { return "fedsim test " + shellQuote(r.Scenario.Path) }

// shellQuote quotes a path for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`&|;<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Run builds the scenario's world, runs it and checks every expectation.
// A scenario with attacks runs first without them: strip-starttls and
// tls-intercept verdicts compare with that baseline. An error means the
// world could not be built; expectations that fail are Result.Failures.
func (s *Scenario) Run() (*Result, error) {
	if s.HasReal() {
		return s.runReal()
	}
	start := time.Now()
	res := &Result{Scenario: s}
	cfg := s.Config()
	w, attacks, events, err := scenarios.RunConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
	}
	res.Events, res.World, res.Attacks = events, w, attacks
	res.Virtual = w.Sim.Now()
	res.Report = scenarios.Check(w)
	var tr bytes.Buffer
	if err := w.Sim.Trace.WriteText(&tr); err != nil {
		return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
	}
	res.Transcript = tr.Bytes()
	if s.Expect.Deterministic {
		again, err := scenarios.Build(cfg)
		if err != nil {
			return nil, fmt.Errorf("spec: %s: %w", s.Path, err)
		}
		again.Run(cfg.Deadline)
		if h1, h2 := w.Sim.Trace.Hash(), again.Sim.Trace.Hash(); h1 != h2 {
			var tr2 bytes.Buffer
			_ = again.Sim.Trace.WriteText(&tr2)
			msg, diff := firstDifference(res.Transcript, tr2.Bytes())
			res.fail("deterministic", fmt.Sprintf("the same seed gave two traces (sha256 %s and %s); %s", h1[:12], h2[:12], msg), diff)
		}
	}
	res.check()
	res.Wall = time.Since(start)
	return res, nil
}

func (r *Result) fail(check, msg, diff string) {
	r.Failures = append(r.Failures, Failure{Check: check, Message: msg, Diff: diff})
}

// hostOutcomes lists the outcomes of a's real server towards b.
func hostOutcomes(w *scenarios.World, a, b string) []scenarios.Outcome {
	n := w.Node(a)
	if n == nil {
		return nil
	}
	var out []scenarios.Outcome
	for _, o := range w.Outcomes {
		if o.Host == n.Host.Name && o.From == a && o.To == b {
			out = append(out, o)
		}
	}
	return out
}

// diff is cmp.Diff with empty and nil slices and maps equal, but the same
// bytes in every process and without go-cmp in the binary (see diff.go).
func diff(want, got any) string {
	return stableDiff(want, got)
}

// check compares the run with every expectation of the scenario.
func (r *Result) check() {
	e := &r.Scenario.Expect
	r.checkLive(false, false)
	if e.ElapsedMin != 0 && r.Virtual < sim.Time(e.ElapsedMin) {
		r.fail("elapsed", fmt.Sprintf("the run ended at %v; want at least %s", r.Virtual, e.ElapsedMin), "")
	}
	if e.ElapsedMax != 0 && r.Virtual > sim.Time(e.ElapsedMax) {
		r.fail("elapsed", fmt.Sprintf("the run ended at %v; want at most %s", r.Virtual, e.ElapsedMax), "")
	}
	if e.Transcript != "" {
		r.checkTranscript()
	}
}

func (r *Result) checkOutcomes() {
	want, got := map[string]string{}, map[string]string{}
	var reasons []string
	for _, o := range r.Scenario.Expect.Outcomes {
		key := o.From + " -> " + o.To
		want[key] = strings.Join(o.Levels, ",")
		all := hostOutcomes(r.World, o.From, o.To)
		var letters []string
		for _, x := range all {
			letters = append(letters, x.Level.Letter())
		}
		switch {
		case len(all) == 0:
			got[key] = "none"
		case len(o.Levels) == 1 && o.Levels[0] != "none":
			got[key] = letters[0]
		default:
			got[key] = strings.Join(letters, ",")
		}
		if got[key] != want[key] {
			for _, x := range all {
				if x.Level == nodes.LevelNone {
					reasons = append(reasons, fmt.Sprintf("%s was U at %v: %s", key, x.Time, x.Reason))
					break
				}
			}
		}
	}
	if d := diff(want, got); d != "" {
		msg := "negotiation outcomes differ (-want +got)"
		if len(reasons) > 0 {
			msg = strings.Join(reasons, "; ") + "; " + msg
		}
		r.fail("outcomes", msg, d)
	}
}

// wireRecord is one XML record of the trace, parsed on demand.
type wireRecord struct {
	rec    *sim.Record
	parsed bool
	elems  []*xmlstream.Element // the element and its descendants
}

func (r *Result) wire() []*wireRecord {
	var out []*wireRecord
	recs := r.World.Sim.Trace.Records
	for i := range recs {
		if recs[i].Kind == sim.KindXML {
			out = append(out, &wireRecord{rec: &recs[i]})
		}
	}
	return out
}

func (wr *wireRecord) elements() []*xmlstream.Element {
	if wr.parsed {
		return wr.elems
	}
	wr.parsed = true
	root := xmlstream.ParseUnit(wr.rec.XML)
	var walk func(e *xmlstream.Element)
	walk = func(e *xmlstream.Element) {
		wr.elems = append(wr.elems, e)
		for _, c := range e.Children() {
			walk(c)
		}
	}
	if root != nil {
		walk(root)
	}
	return wr.elems
}

func (x ElementExpectation) on(rec *sim.Record) bool {
	switch {
	case x.Between[0] != "":
		if !(rec.Node == x.Between[0] && rec.Peer == x.Between[1]) && !(rec.Node == x.Between[1] && rec.Peer == x.Between[0]) {
			return false
		}
	default:
		if (x.From != "" && rec.Node != x.From) || (x.To != "" && rec.Peer != x.To) {
			return false
		}
	}
	return x.Stream == 0 || rec.Stream == x.Stream
}

func (x ElementExpectation) matches(wr *wireRecord) bool {
	if x.Contains != "" {
		return strings.Contains(wr.rec.XML, x.Contains)
	}
	for _, el := range wr.elements() {
		if el.Name != x.Element && el.Local() != x.Element {
			continue
		}
		ok := true
		for k, v := range x.Attrs {
			if !hasAttr(el, k, v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func hasAttr(el *xmlstream.Element, name, value string) bool {
	for _, a := range el.Attrs {
		if a.Name == name && a.Value == value {
			return true
		}
	}
	return false
}

// where describes a connection filter in words.
func (x ElementExpectation) where() string {
	var s string
	switch {
	case x.Between[0] != "":
		s = x.Between[0] + " <-> " + x.Between[1]
	case x.From != "" || x.To != "":
		s = orAny(x.From) + " -> " + orAny(x.To)
	default:
		s = "any connection"
	}
	if x.Stream != 0 {
		s += fmt.Sprintf(" (stream %d)", x.Stream)
	}
	return s
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func (x ElementExpectation) String() string {
	if x.Contains != "" {
		return fmt.Sprintf("%s: contains %q", x.where(), x.Contains)
	}
	var b strings.Builder
	b.WriteString(x.where() + ": <" + x.Element)
	for _, k := range x.attrKeys {
		fmt.Fprintf(&b, " %s='%s'", k, x.Attrs[k])
	}
	b.WriteString(">")
	return b.String()
}

func (r *Result) checkElements(check string, xs []ElementExpectation, must bool) {
	if len(xs) == 0 {
		return
	}
	wire := r.wire()
	want, got := map[string]string{}, map[string]string{}
	for _, x := range xs {
		key := x.String()
		var hit *sim.Record
		var seen []string
		for _, wr := range wire {
			if !x.on(wr.rec) {
				continue
			}
			if x.matches(wr) {
				hit = wr.rec
				break
			}
			if els := wr.elements(); len(els) > 0 && len(seen) < 12 {
				seen = append(seen, els[0].Name)
			}
		}
		switch {
		case must && hit != nil:
			want[key], got[key] = "sent", "sent"
		case must:
			want[key], got[key] = "sent", "not sent"
			if len(seen) > 0 {
				got[key] += "; sent there instead: " + strings.Join(dedupe(seen), ", ")
			} else {
				got[key] += "; nothing was sent there"
			}
		case hit == nil:
			want[key], got[key] = "not sent", "not sent"
		default:
			want[key] = "not sent"
			got[key] = fmt.Sprintf("sent at %v c%d.%d: %s", hit.Time, hit.Conn, hit.Stream, clip(hit.XML, 160))
		}
	}
	if d := diff(want, got); d != "" {
		what := "elements that must appear on the wire are missing"
		if !must {
			what = "elements that must not appear on the wire were sent"
		}
		r.fail(check, what+" (-want +got)", d)
	}
}

func dedupe(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (x EventExpectation) String() string {
	var parts []string
	if x.Event != "" {
		parts = append(parts, "event "+x.Event)
	} else {
		parts = append(parts, "any event")
	}
	if x.Node != "" {
		parts = append(parts, "at "+x.Node)
	}
	if x.Contains != "" {
		parts = append(parts, fmt.Sprintf("containing %q", x.Contains))
	}
	return strings.Join(parts, " ")
}

func (r *Result) checkEvents(check string, xs []EventExpectation, must bool) {
	if len(xs) == 0 {
		return
	}
	want, got := map[string]string{}, map[string]string{}
	recs := r.World.Sim.Trace.Records
	for _, x := range xs {
		key := x.String()
		var hit *sim.Record
		var near []string
		for i := range recs {
			rec := &recs[i]
			if rec.Kind != sim.KindEvent || (x.Event != "" && rec.Event != x.Event) || (x.Node != "" && rec.Node != x.Node) {
				continue
			}
			if x.Contains == "" || strings.Contains(rec.Detail, x.Contains) {
				hit = rec
				break
			}
			if len(near) < 3 {
				near = append(near, fmt.Sprintf("%s %s: %s", rec.Event, rec.Node, clip(rec.Detail, 100)))
			}
		}
		switch {
		case must && hit != nil:
			want[key], got[key] = "seen", "seen"
		case must:
			want[key], got[key] = "seen", "not seen"
			if len(near) > 0 {
				got[key] += "; nearest: " + strings.Join(near, " | ")
			}
		case hit == nil:
			want[key], got[key] = "not seen", "not seen"
		default:
			want[key] = "not seen"
			got[key] = fmt.Sprintf("seen at %v: %s %s: %s", hit.Time, hit.Event, hit.Node, clip(hit.Detail, 160))
		}
	}
	if d := diff(want, got); d != "" {
		what := "trace events that must appear are missing"
		if !must {
			what = "trace events that must not appear were seen"
		}
		r.fail(check, what+" (-want +got)", d)
	}
}

// jidMatch compares a JID with a pattern: a pattern without a resource
// matches every resource of that bare JID.
func jidMatch(pattern, jid string) bool {
	if pattern == "" {
		return true
	}
	if strings.Contains(pattern, "/") {
		return strings.EqualFold(pattern, jid)
	}
	if i := strings.IndexByte(jid, '/'); i >= 0 {
		jid = jid[:i]
	}
	return strings.EqualFold(pattern, jid)
}

func (x StanzaExpectation) String() string {
	var parts []string
	if x.Stanza != "" {
		parts = append(parts, x.Stanza)
	}
	if x.ID != "" {
		parts = append(parts, "id="+x.ID)
	}
	if x.From != "" {
		parts = append(parts, "from "+x.From)
	}
	if x.To != "" {
		parts = append(parts, "to "+x.To)
	}
	if x.Type != "" {
		parts = append(parts, "type="+x.Type)
	}
	return strings.Join(parts, " ")
}

// original reports whether el (a stanza as sent or delivered) is the one x
// describes.
func (x StanzaExpectation) original(el *xmlstream.Element, delivery bool) bool {
	if (x.ID != "" && el.Attr("id") != x.ID) || (x.Stanza != "" && el.Name != x.Stanza) ||
		!jidMatch(x.To, el.Attr("to")) || !jidMatch(x.From, el.Attr("from")) {
		return false
	}
	typ := el.Attr("type")
	if delivery && x.Type == "" {
		return typ != "result" && typ != "error"
	}
	return x.Type == "" || typ == x.Type
}

// bounceOf reports whether el, a bounce, answers the stanza x describes
// (a bounce swaps the original's from and to, RFC 6120 §8.3.2).
func (x StanzaExpectation) bounceOf(el *xmlstream.Element) bool {
	return (x.ID == "" || el.Attr("id") == x.ID) && (x.Stanza == "" || el.Name == x.Stanza) &&
		jidMatch(x.To, el.Attr("from")) && jidMatch(x.From, el.Attr("to"))
}

func bounceCondition(el *xmlstream.Element) (cond, typ string) {
	if e := el.Child("error"); e != nil {
		typ = e.Attr("type")
		if c := e.Children(); len(c) > 0 {
			cond = c[0].Local()
		}
	}
	return cond, typ
}

func (r *Result) attackerHost(host string) bool {
	for _, n := range r.World.Nodes() {
		if n.Host.Name == host {
			return n.Attacker
		}
	}
	return false
}

// fate says what became of the stanza x describes.
func (r *Result) fate(x StanzaExpectation) string {
	for _, d := range r.World.Deliveries {
		if x.original(d.Stanza, true) {
			if r.attackerHost(d.Host) {
				return "delivered to the attacker " + d.Host
			}
			return "delivered"
		}
	}
	for _, b := range r.World.Bounces {
		if x.bounceOf(b.Stanza) {
			cond, typ := bounceCondition(b.Stanza)
			return fmt.Sprintf("bounced <%s/> type=%s", cond, typ)
		}
	}
	for _, s := range r.World.Sent {
		if x.original(s.Stanza, false) {
			return "neither delivered nor bounced"
		}
	}
	return "never sent"
}

func (r *Result) checkDelivered() {
	xs := r.Scenario.Expect.Delivered
	if len(xs) == 0 {
		return
	}
	want, got := map[string]string{}, map[string]string{}
	for _, x := range xs {
		key := x.String()
		want[key] = "delivered"
		got[key] = r.fate(x)
	}
	if d := diff(want, got); d != "" {
		r.fail("delivered", "stanzas that must be delivered were not (-want +got)", d)
	}
}

func (r *Result) checkBounced() {
	xs := r.Scenario.Expect.Bounced
	if len(xs) == 0 {
		return
	}
	want, got := map[string]string{}, map[string]string{}
	for _, x := range xs {
		key := x.String()
		w := "bounced"
		if x.Condition != "" {
			w += " <" + x.Condition + "/>"
		}
		if x.ErrorType != "" {
			w += " type=" + x.ErrorType
		}
		want[key] = w
		g := ""
		for _, b := range r.World.Bounces {
			if x.bounceOf(b.Stanza) {
				cond, typ := bounceCondition(b.Stanza)
				g = "bounced"
				if x.Condition != "" {
					g += " <" + cond + "/>"
				}
				if x.ErrorType != "" {
					g += " type=" + typ
				}
				break
			}
		}
		if g == "" {
			// Report the stanza's fate in the terms of the original.
			orig := StanzaExpectation{ID: x.ID, To: x.To, From: x.From, Stanza: x.Stanza}
			g = "not bounced: " + r.fate(orig)
		}
		got[key] = g
	}
	if d := diff(want, got); d != "" {
		r.fail("bounced", "stanzas that must bounce did not, or not as expected (-want +got)", d)
	}
}

// invariantFacts is what the invariant checker found, in comparable form.
type invariantFacts struct {
	Violations     []string
	Impersonations []string
	Lost           *int
}

func impersonationString(i scenarios.Impersonation) string {
	return fmt.Sprintf("%s accepted %s on the word of %s", i.Server, i.Domain, i.AnsweredBy)
}

func (r *Result) checkInvariants() {
	inv := r.Scenario.Expect.Invariants
	if inv != nil && inv.Ignore {
		return
	}
	var want, got invariantFacts
	if inv != nil {
		want.Violations = append(want.Violations, inv.Violations...)
		for _, i := range inv.Impersonations {
			want.Impersonations = append(want.Impersonations, impersonationString(i))
		}
		if inv.Lost != nil {
			want.Lost = inv.Lost
			lost := r.Report.Lost
			got.Lost = &lost
		}
	}
	var details []string
	for _, v := range r.Report.Violations {
		got.Violations = append(got.Violations, v.Rule)
		details = append(details, v.String())
	}
	for _, i := range r.Report.Impersonations {
		got.Impersonations = append(got.Impersonations, impersonationString(i))
	}
	sort.Strings(want.Violations)
	sort.Strings(got.Violations)
	sort.Strings(want.Impersonations)
	sort.Strings(got.Impersonations)
	if d := diff(want, got); d != "" {
		msg := "the invariant checker's report differs (-want +got)"
		if len(details) > 0 {
			msg = "violations: " + strings.Join(details, "; ") + "; " + msg
		}
		r.fail("invariants", msg, d)
	}
}

func (r *Result) checkAttacks() {
	xs := r.Scenario.Expect.Attacks
	if len(xs) == 0 {
		return
	}
	byName := map[string]*scenarios.AttackResult{}
	for i, a := range r.Scenario.Attacks {
		byName[a.Name] = r.Attacks[i]
	}
	want, got := map[string]map[string]string{}, map[string]map[string]string{}
	var stopped []string
	for _, x := range xs {
		a := byName[x.Attack]
		w, g := map[string]string{}, map[string]string{}
		if x.Verdict != "" {
			w["verdict"], g["verdict"] = x.Verdict, a.Verdict()
		}
		flag := func(name string, want *bool, got bool) {
			if want != nil {
				w[name], g[name] = fmt.Sprint(*want), fmt.Sprint(got)
			}
		}
		flag("impersonated", x.Impersonated, a.Impersonated)
		flag("read", x.Read, a.Read)
		flag("downgraded", x.Downgraded, a.Downgraded)
		flag("refused", x.Denied, a.Denied)
		if x.Outcome != "" {
			w["outcome"], g["outcome"] = x.Outcome, a.Outcome.Letter()
		}
		if x.Baseline != "" {
			w["baseline"], g["baseline"] = x.Baseline, a.Baseline.Letter()
		}
		want[x.Attack], got[x.Attack] = w, g
		if diff(w, g) != "" && len(a.Stopped) > 0 {
			stopped = append(stopped, x.Attack+" was stopped by: "+strings.Join(a.Stopped, "; "))
		}
	}
	if d := diff(want, got); d != "" {
		msg := "attack verdicts differ (-want +got)"
		if len(stopped) > 0 {
			msg = strings.Join(stopped, "; ") + "; " + msg
		}
		r.fail("attacks", msg, d)
	}
}

// TranscriptPath is where the scenario's golden transcript lives ("" if it
// has none): relative paths are relative to the scenario file.
func (s *Scenario) TranscriptPath() string {
	t := s.Expect.Transcript
	if t == "" || filepath.IsAbs(t) {
		return t
	}
	return filepath.Join(filepath.Dir(s.Path), t)
}

func (r *Result) checkTranscript() {
	path := r.Scenario.TranscriptPath()
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		r.fail("transcript", fmt.Sprintf("golden transcript %s does not exist; create it with: fedsim test -update %s", path, shellQuote(r.Scenario.Path)), "")
		return
	}
	if err != nil {
		r.fail("transcript", fmt.Sprintf("reading golden transcript: %v", err), "")
		return
	}
	if bytes.Equal(want, r.Transcript) {
		return
	}
	msg, d := firstDifference(want, r.Transcript)
	r.fail("transcript", fmt.Sprintf("the run differs from %s: %s; if the change is intended: fedsim test -update %s", path, msg, shellQuote(r.Scenario.Path)), d)
}

// UpdateTranscript rewrites the golden transcript with this run's (when
// the scenario names one and it differs) and drops the transcript failure.
func (r *Result) UpdateTranscript() error {
	path := r.Scenario.TranscriptPath()
	if path == "" {
		return nil
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, r.Transcript) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("spec: updating golden transcript: %w", err)
	}
	if err := os.WriteFile(path, r.Transcript, 0o644); err != nil {
		return fmt.Errorf("spec: updating golden transcript: %w", err)
	}
	r.Updated = true
	kept := r.Failures[:0]
	for _, f := range r.Failures {
		if f.Check != "transcript" {
			kept = append(kept, f)
		}
	}
	r.Failures = kept
	return nil
}

// block is one record of a text transcript: its header line and the
// indented XML lines under it.
type block struct {
	line  int // 1-based line of the header
	lines []string
}

func blocks(b []byte) []block {
	var out []block
	for i, ln := range strings.Split(string(b), "\n") {
		if ln == "" && i > 0 {
			continue
		}
		if strings.HasPrefix(ln, "    ") && len(out) > 0 {
			out[len(out)-1].lines = append(out[len(out)-1].lines, ln)
			continue
		}
		out = append(out, block{line: i + 1, lines: []string{ln}})
	}
	return out
}

func (b block) isXML() bool { return len(b.lines) > 1 }

func (b block) String() string { return strings.Join(b.lines, "\n") }

// firstDifference compares two transcripts record by record and describes
// the first record that differs and, when that record is an event (a
// decision, a DNS answer), also the first XML element that differs, since
// what a peer sees on the wire is what matters most. The diff shows both,
// -want +got.
func firstDifference(want, got []byte) (string, string) {
	wb, gb := blocks(want), blocks(got)
	i := 0
	for i < len(wb) && i < len(gb) && wb[i].String() == gb[i].String() {
		i++
	}
	var msg string
	var d strings.Builder
	switch {
	case i == len(wb) && i == len(gb):
		return "the transcripts differ only in blank lines", ""
	case i == len(wb):
		msg = fmt.Sprintf("the run goes on after the golden's last record (%d): %s", len(wb), describeBlock(gb[i]))
		d.WriteString(lineDiff(nil, gb[i].lines))
	case i == len(gb):
		msg = fmt.Sprintf("the run stops after %d records; the golden goes on at line %d: %s", len(gb), wb[i].line, describeBlock(wb[i]))
		d.WriteString(lineDiff(wb[i].lines, nil))
	default:
		msg = fmt.Sprintf("first difference at record %d (golden line %d, run line %d): %s", i+1, wb[i].line, gb[i].line, describeBlock(gb[i]))
		d.WriteString(lineDiff(wb[i].lines, gb[i].lines))
	}
	// The first element that changed, comparing XML records only.
	wx, gx := xmlBlocks(wb), xmlBlocks(gb)
	j := 0
	for j < len(wx) && j < len(gx) && wx[j].String() == gx[j].String() {
		j++
	}
	if j == len(wx) && j == len(gx) {
		return msg + "; every element on the wire is unchanged", d.String()
	}
	sameRecord := i < len(wb) && i < len(gb) && j < len(wx) && j < len(gx) && wx[j].line == wb[i].line && gx[j].line == gb[i].line
	if sameRecord {
		return msg, d.String()
	}
	var a, b []string
	switch {
	case j < len(wx) && j < len(gx):
		msg += fmt.Sprintf("; first element that changed: element %d (golden line %d, run line %d): %s", j+1, wx[j].line, gx[j].line, describeBlock(gx[j]))
		a, b = wx[j].lines, gx[j].lines
	case j < len(wx):
		msg += fmt.Sprintf("; the run sends no element where the golden has element %d (golden line %d): %s", j+1, wx[j].line, describeBlock(wx[j]))
		a = wx[j].lines
	default:
		msg += fmt.Sprintf("; the run sends element %d (run line %d) after the golden's last: %s", j+1, gx[j].line, describeBlock(gx[j]))
		b = gx[j].lines
	}
	d.WriteString("first element that changed:\n")
	d.WriteString(lineDiff(a, b))
	return msg, d.String()
}

// lineDiff shows two transcript records line by line, -want +got: whole
// lines read better than a character diff of XML.
func lineDiff(want, got []string) string {
	var b strings.Builder
	if len(want) == len(got) {
		for i := range want {
			if want[i] == got[i] {
				b.WriteString("  " + want[i] + "\n")
			} else {
				b.WriteString("- " + want[i] + "\n+ " + got[i] + "\n")
			}
		}
		return b.String()
	}
	for _, l := range want {
		b.WriteString("- " + l + "\n")
	}
	for _, l := range got {
		b.WriteString("+ " + l + "\n")
	}
	return b.String()
}

// describeBlock names a record by its first line, and an element by what
// it is: "+0.121s c1.2 type2.lit -> type4.lit <db:result>".
func describeBlock(b block) string {
	s := strings.TrimSpace(b.lines[0])
	if b.isXML() {
		x := strings.TrimSpace(b.lines[1])
		if end := strings.IndexAny(x, " />"); end > 0 {
			x = x[:end]
		}
		s += " " + x + ">"
	}
	return clip(s, 200)
}

func xmlBlocks(bs []block) []block {
	var out []block
	for _, b := range bs {
		if b.isXML() {
			out = append(out, b)
		}
	}
	return out
}
