package spec

import (
	"fmt"
	"math"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/fedsim/fedsim/scenarios"
)

// levelLetters are the outcome letters of XEP-0238's table, plus "none"
// for "no negotiation was attempted".
var levelLetters = []string{"U", "V", "E", "T", "none"}

func (l *loader) expect(n ast.Node) {
	d, e := l.d, &l.s.Expect
	d.object(n, "expect", []field{
		{"outcomes", func(v ast.Node) {
			d.pairs(v, "expect.outcomes", func(key string, at pos, v ast.Node) {
				path := fmt.Sprintf("expect.outcomes[%q]", key)
				a, b, ok := strings.Cut(key, "->")
				a, b = strings.TrimSpace(a), strings.TrimSpace(b)
				if !ok || a == "" || b == "" || strings.Contains(b, "->") {
					d.errorf(at, "expect.outcomes: key %q is not a pair of servers (want \"initiator.example -> receiver.example\")", key)
					return
				}
				o := OutcomeExpectation{From: a, To: b, at: at}
				if r := d.resolve(v); r != nil {
					if _, isSeq := r.(*ast.SequenceNode); isSeq {
						d.list(r, path, func(i int, it ast.Node) {
							if s, ok := d.oneOf(it, fmt.Sprintf("%s[%d]", path, i), "U", "V", "E", "T"); ok {
								o.Levels = append(o.Levels, s)
							}
						})
						if len(o.Levels) == 0 {
							d.errorf(posOf(r), "%s: an empty list expects nothing; write none for \"no negotiation\"", path)
						}
					} else if s, ok := d.oneOf(r, path, levelLetters...); ok {
						o.Levels = []string{s}
					}
				}
				for _, prev := range e.Outcomes {
					if prev.From == o.From && prev.To == o.To {
						d.errorf(at, "expect.outcomes: %s -> %s is given twice", a, b)
					}
				}
				e.Outcomes = append(e.Outcomes, o)
			})
		}},
		{"sent", func(v ast.Node) {
			d.list(v, "expect.sent", func(i int, it ast.Node) { e.Sent = l.element(fmt.Sprintf("expect.sent[%d]", i), it, e.Sent) })
		}},
		{"not_sent", func(v ast.Node) {
			d.list(v, "expect.not_sent", func(i int, it ast.Node) {
				e.NotSent = l.element(fmt.Sprintf("expect.not_sent[%d]", i), it, e.NotSent)
			})
		}},
		{"events", func(v ast.Node) {
			d.list(v, "expect.events", func(i int, it ast.Node) { e.Events = l.event(fmt.Sprintf("expect.events[%d]", i), it, e.Events) })
		}},
		{"not_events", func(v ast.Node) {
			d.list(v, "expect.not_events", func(i int, it ast.Node) {
				e.NotEvents = l.event(fmt.Sprintf("expect.not_events[%d]", i), it, e.NotEvents)
			})
		}},
		{"delivered", func(v ast.Node) {
			d.list(v, "expect.delivered", func(i int, it ast.Node) {
				e.Delivered = l.stanza(fmt.Sprintf("expect.delivered[%d]", i), it, false, e.Delivered)
			})
		}},
		{"bounced", func(v ast.Node) {
			d.list(v, "expect.bounced", func(i int, it ast.Node) {
				e.Bounced = l.stanza(fmt.Sprintf("expect.bounced[%d]", i), it, true, e.Bounced)
			})
		}},
		{"invariants", func(v ast.Node) { l.invariants(v) }},
		{"attacks", func(v ast.Node) {
			d.list(v, "expect.attacks", func(i int, it ast.Node) { l.attackVerdict(fmt.Sprintf("expect.attacks[%d]", i), it) })
		}},
		{"elapsed", func(v ast.Node) {
			present, ok := d.object(v, "expect.elapsed", []field{
				{"min", func(v ast.Node) { e.ElapsedMin, _ = d.nonNegDuration(v, "expect.elapsed.min") }},
				{"max", func(v ast.Node) { e.ElapsedMax, _ = d.nonNegDuration(v, "expect.elapsed.max") }},
			})
			if ok && len(present) == 0 {
				d.errorf(posOf(v), "expect.elapsed: give min, max or both")
			}
			if e.ElapsedMax != 0 && e.ElapsedMax < e.ElapsedMin {
				d.errorf(present["max"], "expect.elapsed.max: %s is below min %s", e.ElapsedMax, e.ElapsedMin)
			}
		}},
		{"deterministic", func(v ast.Node) {
			if b, ok := d.boolean(v, "expect.deterministic"); ok {
				e.Deterministic = b
			}
		}},
		{"transcript", func(v ast.Node) { e.Transcript, _ = d.name(v, "expect.transcript") }},
	})
}

func (l *loader) element(path string, n ast.Node, into []ElementExpectation) []ElementExpectation {
	d := l.d
	x := ElementExpectation{at: posOf(n)}
	var attrsNode ast.Node
	present, ok := d.object(n, path, []field{
		{"from", func(v ast.Node) { x.From, _ = d.name(v, path+".from") }},
		{"to", func(v ast.Node) { x.To, _ = d.name(v, path+".to") }},
		{"between", func(v ast.Node) {
			names, _, ok := d.names(v, path+".between")
			if ok && len(names) != 2 {
				d.errorf(posOf(v), "%s.between: want two servers, got %d", path, len(names))
			} else if ok {
				x.Between = [2]string{names[0], names[1]}
			}
		}},
		{"stream", func(v ast.Node) {
			s, _ := d.integer(v, path+".stream", 1, 9)
			x.Stream = int(s)
		}},
		{"contains", func(v ast.Node) { x.Contains, _ = d.name(v, path+".contains") }},
		{"element", func(v ast.Node) { x.Element, _ = d.name(v, path+".element") }},
		{"attrs", func(v ast.Node) {
			attrsNode = v
			x.Attrs = map[string]string{}
			d.pairs(v, path+".attrs", func(key string, at pos, v ast.Node) {
				if s, ok := d.str(v, fmt.Sprintf("%s.attrs.%s", path, key)); ok {
					x.Attrs[key] = s
					x.attrKeys = append(x.attrKeys, key)
				}
			})
		}},
	})
	if !ok {
		return into
	}
	_, hasC := present["contains"]
	_, hasE := present["element"]
	switch {
	case hasC && hasE:
		d.errorf(present["element"], "%s: match by contains or by element, not both", path)
	case !hasC && !hasE:
		d.errorf(x.at, "%s: say what to look for: contains: TEXT or element: NAME (with attrs)", path)
	}
	if attrsNode != nil && !hasE {
		d.errorf(posOf(attrsNode), "%s.attrs: attrs qualify an element; give element: NAME too", path)
	}
	if p, has := present["between"]; has {
		if _, f := present["from"]; f {
			d.errorf(p, "%s: give between or from/to, not both", path)
		} else if _, t := present["to"]; t {
			d.errorf(p, "%s: give between or from/to, not both", path)
		}
	}
	return append(into, x)
}

func (l *loader) event(path string, n ast.Node, into []EventExpectation) []EventExpectation {
	d := l.d
	x := EventExpectation{at: posOf(n)}
	present, ok := d.object(n, path, []field{
		{"event", func(v ast.Node) { x.Event, _ = d.name(v, path+".event") }},
		{"node", func(v ast.Node) { x.Node, _ = d.name(v, path+".node") }},
		{"contains", func(v ast.Node) { x.Contains, _ = d.name(v, path+".contains") }},
	})
	if ok && len(present) == 0 {
		d.errorf(x.at, "%s: give event, node, contains or several", path)
	}
	if !ok {
		return into
	}
	return append(into, x)
}

// stanza decodes a delivered (bounce false) or bounced item. A plain
// string is an id.
func (l *loader) stanza(path string, n ast.Node, bounce bool, into []StanzaExpectation) []StanzaExpectation {
	d := l.d
	x := StanzaExpectation{at: posOf(n)}
	if r := d.resolve(n); r != nil {
		switch r.(type) {
		case *ast.StringNode, *ast.IntegerNode:
			x.ID, _ = d.name(r, path)
			return append(into, x)
		}
	}
	fields := []field{
		{"id", func(v ast.Node) { x.ID, _ = d.name(v, path+".id") }},
		{"to", func(v ast.Node) { x.To, _ = d.jid(v, path+".to") }},
		{"from", func(v ast.Node) { x.From, _ = d.jid(v, path+".from") }},
		{"stanza", func(v ast.Node) { x.Stanza, _ = d.oneOf(v, path+".stanza", "message", "iq", "presence") }},
	}
	if bounce {
		fields = append(fields,
			field{"condition", func(v ast.Node) { x.Condition, _ = d.name(v, path+".condition") }},
			field{"type", func(v ast.Node) {
				x.ErrorType, _ = d.oneOf(v, path+".type", "auth", "cancel", "continue", "modify", "wait")
			}})
	} else {
		fields = append(fields, field{"type", func(v ast.Node) { x.Type, _ = d.name(v, path+".type") }})
	}
	present, ok := d.object(n, path, fields)
	if !ok {
		return into
	}
	_, hasID := present["id"]
	_, hasTo := present["to"]
	_, hasFrom := present["from"]
	if !hasID && !hasTo && !hasFrom {
		d.errorf(x.at, "%s: say which stanza: id, to or from", path)
	}
	return append(into, x)
}

func (l *loader) invariants(n ast.Node) {
	d := l.d
	inv := &InvariantExpectation{at: posOf(n)}
	l.s.Expect.Invariants = inv
	r := d.resolve(n)
	if r == nil {
		return
	}
	if _, isStr := r.(*ast.StringNode); isStr {
		if s, ok := d.oneOf(r, "expect.invariants", "hold", "ignore"); ok && s == "ignore" {
			inv.Ignore = true
		}
		return
	}
	d.object(r, "expect.invariants", []field{
		{"violations", func(v ast.Node) {
			rules, at, _ := d.names(v, "expect.invariants.violations")
			known := []string{"exactly-once", "authenticated-origin", "policy-level", "dialback-verified", "sasl-verified", "deterministic"}
			for i, r := range rules {
				ok := false
				for _, k := range known {
					ok = ok || k == r
				}
				if !ok {
					d.errorf(at[i], "expect.invariants.violations[%d]: unknown rule %q (want %s)", i, r, orList(known))
				}
			}
			inv.Violations = rules
		}},
		{"impersonations", func(v ast.Node) {
			d.list(v, "expect.invariants.impersonations", func(i int, it ast.Node) {
				path := fmt.Sprintf("expect.invariants.impersonations[%d]", i)
				var imp scenarios.Impersonation
				present, ok := d.object(it, path, []field{
					{"server", func(v ast.Node) { imp.Server, _ = d.name(v, path+".server") }},
					{"domain", func(v ast.Node) { imp.Domain, _ = d.name(v, path+".domain") }},
					{"answered_by", func(v ast.Node) { imp.AnsweredBy, _ = d.name(v, path+".answered_by") }},
				})
				if !ok {
					return
				}
				for _, req := range []string{"server", "domain", "answered_by"} {
					if _, has := present[req]; !has {
						d.errorf(posOf(it), "%s: missing required field %q", path, req)
					}
				}
				inv.Impersonations = append(inv.Impersonations, imp)
				inv.impAt = append(inv.impAt, posOf(it))
			})
		}},
		{"lost", func(v ast.Node) {
			if x, ok := d.integer(v, "expect.invariants.lost", 0, math.MaxInt32); ok {
				n := int(x)
				inv.Lost = &n
			}
		}},
	})
}

func (l *loader) attackVerdict(path string, n ast.Node) {
	d := l.d
	x := AttackExpectation{at: posOf(n)}
	flag := func(dst **bool, name string) func(ast.Node) {
		return func(v ast.Node) {
			if b, ok := d.boolean(v, path+"."+name); ok {
				*dst = &b
			}
		}
	}
	present, ok := d.object(n, path, []field{
		{"attack", func(v ast.Node) { x.Attack, _ = d.name(v, path+".attack") }},
		{"verdict", func(v ast.Node) {
			x.Verdict, _ = d.oneOf(v, path+".verdict", scenarios.Verdicts()...)
		}},
		{"impersonated", flag(&x.Impersonated, "impersonated")},
		{"read", flag(&x.Read, "read")},
		{"downgraded", flag(&x.Downgraded, "downgraded")},
		{"refused", flag(&x.Denied, "refused")},
		{"outcome", func(v ast.Node) { x.Outcome, _ = d.oneOf(v, path+".outcome", "U", "V", "E", "T") }},
		{"baseline", func(v ast.Node) { x.Baseline, _ = d.oneOf(v, path+".baseline", "U", "V", "E", "T") }},
	})
	if !ok {
		return
	}
	if len(present) == 0 || (len(present) == 1 && present["attack"] != (pos{})) {
		d.errorf(x.at, "%s: give what to check: verdict, impersonated, read, downgraded, refused, outcome or baseline", path)
	}
	l.s.Expect.Attacks = append(l.s.Expect.Attacks, x)
}
