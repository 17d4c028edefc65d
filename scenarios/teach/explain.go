package teach

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

// Change is one counterfactual: a set of changes to the configuration and
// the outcome the pair reached with them.
type Change struct {
	// Side is the server changed (Initiating, Receiving), or -1 for the
	// removal of a fault or attack.
	Side int
	// Fields are the changed policy fields as "k=v" (in PolicyFields
	// order); Cert a changed certificate kind; Without a removed fault or
	// attack.
	Fields  []string
	Cert    string
	Without string
	// Outcome is the forward stream's level with the change.
	Outcome nodes.Level
	// Flag is the command-line flag that makes the change.
	Flag string
	// Sentence says it in words.
	Sentence string
}

// Counterfactuals re-runs the pair with small changes and returns those
// that change the outcome: every single policy field of either side,
// pairs of fields on one side where no part alone changes the outcome
// (version=1.0 needs TLS too to reach a type4), each other certificate
// kind, and the removal of each fault and of the attack. Changes that make
// a policy inconsistent (nodes.Policy.Validate) are not tried.
func Counterfactuals(res *Result) ([]Change, error) {
	base := res.Config
	var out []Change
	try := func(c Change, cfg Config) error {
		cfg.quiet = true
		r, err := Run(cfg)
		if err != nil {
			// An inconsistent server (nodes.New refuses it, e.g.
			// require_valid_cert without a certificate) is not a
			// counterfactual anyone could deploy: skip it.
			return nil
		}
		if r.Outcome != res.Outcome {
			c.Outcome = r.Outcome
			out = append(out, c)
		}
		return nil
	}
	for side := 0; side < 2; side++ {
		pol := res.Policies[side]
		edits := fieldEdits(pol)
		// Subsets of up to three fields, smallest first; a set is tried
		// only if no smaller set inside it already moved the outcome, so
		// every change reported is minimal ("spoke XMPP 1.0" is not enough
		// for type1 to reach a type4: it must also negotiate TLS and
		// accept E).
		var moved [][]edit
		var sets [][]edit
		for i := range edits {
			sets = append(sets, []edit{edits[i]})
		}
		for size := 1; size <= 3; size++ {
			var next [][]edit
			for _, set := range sets {
				if containsMoved(set, moved) {
					continue
				}
				p := pol
				ok := true
				for _, e := range set {
					ok = ok && setField(&p, e.field, e.value) == nil
				}
				if ok && p.Validate() == nil {
					cfg := base
					cfg.Sides[side].Policy = &p
					var fields []string
					for _, e := range set {
						fields = append(fields, e.field+"="+e.value)
					}
					n := len(out)
					if err := try(Change{Side: side, Fields: fields}, cfg); err != nil {
						return nil, err
					}
					if len(out) > n {
						moved = append(moved, set)
						continue
					}
				}
				if size < 3 {
					last := set[len(set)-1]
					for _, e := range edits {
						if e.order > last.order {
							next = append(next, append(append([]edit{}, set...), e))
						}
					}
				}
			}
			sets = next
		}
		for _, k := range CertKinds {
			if k == res.Certs[side] {
				continue
			}
			cfg := base
			cfg.Sides[side].Cert = k
			if err := try(Change{Side: side, Cert: k}, cfg); err != nil {
				return nil, err
			}
		}
	}
	for i, f := range base.Faults {
		cfg := base
		cfg.Faults = append(append([]scenarios.Fault{}, base.Faults[:i]...), base.Faults[i+1:]...)
		if err := try(Change{Side: -1, Without: "the fault " + FaultFlag(f)}, cfg); err != nil {
			return nil, err
		}
	}
	if base.Attack != "" {
		cfg := base
		cfg.Attack = ""
		if err := try(Change{Side: -1, Without: "the " + string(base.Attack) + " attacker"}, cfg); err != nil {
			return nil, err
		}
	}
	return mergeChanges(res, out), nil
}

type edit struct {
	field, value string
	order        int // field position in PolicyFields
}

// fieldEdits lists the one-field changes of p: every other value of each
// field, except accept, which changes by one level at a time ("also
// accepted V", "no longer accepted T").
func fieldEdits(p nodes.Policy) []edit {
	var out []edit
	for i, f := range counterfactualFields() {
		cur := fieldValue(p, f.Name)
		if f.Name == "accept" {
			for _, l := range []nodes.Level{nodes.LevelVerified, nodes.LevelEncrypted, nodes.LevelTrusted} {
				a := p.Accept ^ nodes.LevelSet(l)
				if a != 0 {
					out = append(out, edit{f.Name, a.String(), i})
				}
			}
			continue
		}
		for _, v := range f.Values {
			if v != cur {
				out = append(out, edit{f.Name, v, i})
			}
		}
	}
	return out
}

// containsMoved reports whether set includes all edits of a set that
// already changed the outcome.
func containsMoved(set []edit, moved [][]edit) bool {
	for _, m := range moved {
		all := true
		for _, e := range m {
			found := false
			for _, x := range set {
				if x.field == e.field && x.value == e.value {
					found = true
				}
			}
			all = all && found
		}
		if all {
			return true
		}
	}
	return false
}

// mergeChanges folds changes of the same fields with the same result into
// one ("initiate_tls=if-offered or always") and words them.
func mergeChanges(res *Result, cs []Change) []Change {
	type key struct {
		side    int
		fields  string
		cert    string
		without string
		outcome nodes.Level
	}
	var order []key
	merged := map[key]*Change{}
	for _, c := range cs {
		var names []string
		for _, f := range c.Fields {
			k, _, _ := strings.Cut(f, "=")
			names = append(names, k)
		}
		k := key{c.Side, strings.Join(names, ","), c.Cert, c.Without, c.Outcome}
		if m, ok := merged[k]; ok {
			for i, f := range c.Fields {
				_, v, _ := strings.Cut(f, "=")
				if !strings.Contains("|"+strings.SplitN(m.Fields[i], "=", 2)[1]+"|", "|"+v+"|") {
					m.Fields[i] += "|" + v
				}
			}
			continue
		}
		cc := c
		cc.Fields = append([]string(nil), c.Fields...)
		merged[k] = &cc
		order = append(order, k)
	}
	domains := [2]string{res.From, res.To}
	flags := [2]string{"--policy-initiator", "--policy-receiver"}
	certFlags := [2]string{"--cert-initiator", "--cert-receiver"}
	var out []Change
	for _, k := range order {
		c := merged[k]
		var cond string
		switch {
		case c.Without != "":
			cond = "without " + c.Without
			c.Flag = "(drop --fault/--attack)"
			if res.Config.Scenario != nil && strings.HasPrefix(c.Without, "the fault ") {
				c.Flag = "(remove it from the file's faults)"
			}
		case c.Cert != "":
			cond = domains[c.Side] + " held " + certPhrase(c.Cert)
			c.Flag = certFlags[c.Side] + " " + c.Cert
		default:
			var ps []string
			sep := " and "
			for _, f := range c.Fields {
				ps = append(ps, fieldPhrase(f))
				if strings.Contains(f, "|") {
					// "either a or b and c" would be ambiguous.
					sep = ", and "
				}
			}
			cond = domains[c.Side] + " " + strings.Join(ps, sep)
			var first []string
			for _, f := range c.Fields {
				first = append(first, strings.Split(f, "|")[0])
			}
			c.Flag = flags[c.Side] + " " + strings.Join(first, ",")
		}
		c.Sentence = effectPhrase(res, c.Outcome) + " if " + cond
		out = append(out, *c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return len(out[i].Fields) < len(out[j].Fields)
	})
	return out
}

func effectPhrase(res *Result, to nodes.Level) string {
	switch {
	case to == nodes.LevelNone:
		return fmt.Sprintf("the stream %s → %s would have failed (U)", res.From, res.To)
	case res.Outcome == nodes.LevelNone:
		return fmt.Sprintf("%s would have accepted %s at level %s, %s,", res.To, res.From, to.Letter(), to)
	}
	return fmt.Sprintf("the stream %s → %s would have been %s, %s, instead of %s", res.From, res.To, to.Letter(), to, res.Outcome.Letter())
}

func certPhrase(k string) string {
	switch k {
	case CertNone:
		return "no certificate"
	case CertSelfSigned:
		return "a self-signed certificate"
	}
	return "a CA-issued certificate"
}

// fieldPhrase words "k=v"; values joined by '|' are alternatives, worded
// "either a or b".
func fieldPhrase(f string) string {
	k, vs, _ := strings.Cut(f, "=")
	var ps []string
	for _, v := range strings.Split(vs, "|") {
		ps = append(ps, valuePhrase(k, v))
	}
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		return "either " + ps[0] + " or " + ps[1]
	}
	return "either " + strings.Join(ps[:len(ps)-1], ", ") + " or " + ps[len(ps)-1]
}

func valuePhrase(k, v string) string {
	switch k + "=" + v {
	case "version=1.0":
		return "spoke XMPP 1.0"
	case "version=0.9":
		return "spoke only XMPP 0.9"
	case "starttls=not-offered":
		return "did not offer STARTTLS"
	case "starttls=offered":
		return "offered STARTTLS without requiring it"
	case "starttls=required":
		return "required STARTTLS"
	case "initiate_tls=never":
		return "never negotiated TLS"
	case "initiate_tls=if-required":
		return "negotiated TLS when the peer requires it"
	case "initiate_tls=if-offered":
		return "negotiated TLS whenever offered"
	case "initiate_tls=always":
		return "always negotiated TLS"
	case "dialback=true":
		return "supported Server Dialback"
	case "dialback=false":
		return "did not support Server Dialback"
	case "sasl=never":
		return "never offered SASL EXTERNAL"
	case "sasl=when-cert-valid":
		return "offered SASL EXTERNAL to peers with valid certificates"
	case "sasl=always":
		return "offered SASL EXTERNAL on every TLS stream, judging the certificate only at <auth/> (as ejabberd does)"
	case "require_valid_cert=true":
		return "refused certificates that do not verify"
	case "require_valid_cert=false":
		return "accepted unverified certificates for encryption"
	case "accept=" + v:
		return "accepted levels " + strings.ReplaceAll(v, ",", "+")
	}
	return k + "=" + v
}

// fieldValue reads one field of p as its flag value.
func fieldValue(p nodes.Policy, name string) string {
	for _, kv := range strings.Fields(p.String()) {
		k, v, _ := strings.Cut(kv, "=")
		if k == name {
			return v
		}
	}
	return ""
}

// Explain writes the numbered, narrated steps of a run, its outcome and
// what would have changed it.
func Explain(w io.Writer, res *Result, flow *Flow, changes []Change, replay string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) -> %s (%s), seed %d\n", res.From, res.Presets[0].Title, res.To, res.Presets[1].Title, res.Config.Seed)
	for i, d := range []string{res.From, res.To} {
		note := ""
		if res.Config.Sides[i].Policy != nil || res.Config.Sides[i].Cert != "" || res.Config.Sides[i].Publish != "" {
			note = " (changed from the preset)"
		}
		fmt.Fprintf(&b, "  %s as %s server: %s; certificate %s%s\n", d, roleName(i), res.Policies[i], res.Certs[i], note)
	}
	for _, f := range res.Config.Faults {
		fmt.Fprintf(&b, "  fault: %s\n", f)
	}
	if res.Config.Attack != "" {
		fmt.Fprintf(&b, "  attack: %s between %s and %s\n", res.Config.Attack, res.From, res.To)
	}
	b.WriteString("Times are virtual seconds; cN.M is connection N, stream M.\n\n")
	for _, s := range flow.Steps {
		where := s.Time.String()
		if s.Conn != "" {
			where += " " + s.Conn
		}
		mark := ""
		if s.Failure {
			mark = "  ✗"
		}
		switch s.Kind {
		case Arrow:
			fmt.Fprintf(&b, "%3d. [%s] %s → %s: %s%s\n", s.N, where, laneName(flow, s.From), laneName(flow, s.To), s.Label, mark)
		default:
			fmt.Fprintf(&b, "%3d. [%s] %s%s\n", s.N, where, s.Label, mark)
		}
		if s.XML != "" {
			fmt.Fprintf(&b, "       %s\n", s.XML)
		}
		if s.Why != "" {
			fmt.Fprintf(&b, "       Why: %s\n", s.Why)
		}
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "Outcome: %s — %s -> %s %s", res.Outcome.Letter(), res.From, res.To, res.Outcome)
	if res.Outcome == nodes.LevelNone && res.Reason != "" {
		fmt.Fprintf(&b, ": %s", res.Reason)
	} else if res.Outcome != nodes.LevelNone {
		fmt.Fprintf(&b, "; %s authenticated %s by %s", res.From, res.To, res.ReceiverAuth)
	}
	b.WriteString("\n")
	switch {
	case res.Answered:
		fmt.Fprintf(&b, "The ping was delivered and answered (the answer's stream %s -> %s: %s).\n", res.To, res.From, res.Reverse.Letter())
	case res.Delivered:
		b.WriteString("The ping was delivered but its answer did not come back.\n")
	case res.Bounce != "":
		fmt.Fprintf(&b, "The ping was bounced to its sender with <%s/>.\n", res.Bounce)
	default:
		b.WriteString("The ping was neither delivered nor bounced before the run ended.\n")
	}
	if res.Attack != nil {
		fmt.Fprintf(&b, "Attack %s: %s", res.Attack.Kind, res.Attack.Verdict())
		if len(res.Attack.Stopped) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(res.Attack.Stopped, "; "))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nWhat would have changed it (each found by re-running the pair with that change):\n")
	if len(changes) == 0 {
		b.WriteString("  no single policy field, pair of fields, certificate kind or fault of either server changes the outcome.\n")
	}
	for _, c := range changes {
		fmt.Fprintf(&b, "  - %s\n      try: %s\n", c.Sentence, c.Flag)
	}
	fmt.Fprintf(&b, "\nReplay: %s\n", replay)
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("teach: writing explanation: %w", err)
	}
	return nil
}

func laneName(f *Flow, i int) string {
	l := f.Lanes[i]
	if l.Role == "authoritative" {
		return l.Title + " (authoritative)"
	}
	return l.Title
}
