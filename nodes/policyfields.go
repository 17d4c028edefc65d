package nodes

import (
	"fmt"
	"strconv"
	"strings"
)

// The policy vocabulary is one table (policyFields, next to Policy in
// policy.go): every surface that names a policy field reads it instead of
// keeping its own list. Policy.String prints it; scenario files (package
// scenarios/spec) decode it; the --policy-initiator and --policy-receiver
// flags (scenarios/teach) and sweep grids (scenarios/sweep) parse it; the
// explorer builds its form from it; and a test renders the table of
// scenarios/README.md from it. A new field is a Policy field and one entry:
// nothing else lists fields.

// FieldKind is how a policy field's value is written.
type FieldKind uint8

const (
	// FieldEnum is one word of Values ("if-offered").
	FieldEnum FieldKind = iota
	// FieldBool is true or false.
	FieldBool
	// FieldLevels is a non-empty set of the letters V, E and T, written
	// "E,T" (also "E+T", "E T" or "E/T" on input).
	FieldLevels
	// FieldParts is a composite of Parts, written as their values joined
	// by '/' ("policy-violation/not-authorized/remote-server-timeout"); an
	// empty part means its default.
	FieldParts
)

// PolicyField is one field of Policy as every surface spells it. Its
// zero-value-free shape (built only in policy.go) keeps it data: name,
// values, help, and the two functions that read and write it.
type PolicyField struct {
	// Name is the field's word in Policy.String, scenario files, flags
	// and sweep grids ("initiate_tls"). A part of a composite field is
	// addressed as "parent.part" ("errors.bounce") in flags and grids.
	Name string
	Kind FieldKind
	// Values lists every value the field takes, in the order forms offer
	// them and counterfactuals try them: for FieldLevels every non-empty
	// set; nil for FieldParts (see Parts).
	Values []string
	// Grid is what a policy sweep tries for the field when it looks for a
	// better policy (fedsim sweep --suggest) and what 'fedsim help sweep'
	// lists; nil for a field that never changes who federates.
	Grid []string
	// Default is the field's value in a policy that does not mention it
	// (the zero Policy, XEP-0238's behaviour), as Get prints it. Empty for
	// the Always fields, which have none.
	Default string
	// Always: String prints the field whatever its value, and a scenario
	// server without a preset must give it (XEP-0238's seven fields). The
	// others are printed only when they differ from Default.
	Always bool
	// Help is one line for forms, flag help and the docs, citing the spec
	// section the field implements.
	Help string
	// Parts are the components of a FieldParts field, each a FieldEnum
	// named without its parent ("bounce").
	Parts []PolicyField

	get func(Policy) string
	set func(*Policy, string) error
	_   struct{}
}

// Get prints the field's value in p, exactly as Policy.String does.
func (f PolicyField) Get(p Policy) string { return f.get(p) }

// Set parses v and stores it in p. The error names the field, the value
// and what the field takes ("starttls=maybe: want not-offered, offered or
// required"); p is unchanged on error.
func (f PolicyField) Set(p *Policy, v string) error {
	q := *p
	if err := f.set(&q, v); err != nil {
		return fmt.Errorf("%s=%s: want %s", f.Name, v, f.Want())
	}
	*p = q
	return nil
}

// Want says in words what the field takes.
func (f PolicyField) Want() string {
	switch f.Kind {
	case FieldBool:
		return "true or false"
	case FieldLevels:
		return "letters among V, E, T (e.g. " + f.Name + "=E,T)"
	case FieldParts:
		var names []string
		for _, p := range f.Parts {
			names = append(names, strings.ToUpper(p.Name))
		}
		return strings.Join(names, "/") + ", each a condition or empty for its default (e.g. " + f.Name + "=policy-violation//)"
	}
	return OrList(f.Values)
}

// PolicyFields returns the table of policy fields, in Policy.String's order.
func PolicyFields() []PolicyField { return append([]PolicyField(nil), policyFields()...) }

// AllPolicyFields is every name a flag or grid accepts: the fields in
// order, each composite followed by its parts under their dotted names
// ("errors", "errors.tls_required", …).
func AllPolicyFields() []PolicyField {
	var out []PolicyField
	for _, f := range policyFields() {
		out = append(out, f)
		for _, p := range f.Parts {
			p.Name = f.Name + "." + p.Name
			out = append(out, p)
		}
	}
	return out
}

// PolicyFieldByName finds a field or a dotted part ("errors.bounce").
func PolicyFieldByName(name string) (PolicyField, bool) {
	for _, f := range AllPolicyFields() {
		if f.Name == name {
			return f, true
		}
	}
	return PolicyField{}, false
}

// PolicyFieldNames lists every accepted name, for error messages.
func PolicyFieldNames() []string {
	var out []string
	for _, f := range AllPolicyFields() {
		out = append(out, f.Name)
	}
	return out
}

// String prints the policy as key=value pairs in the table's order: the
// Always fields, then the others that differ from their default.
func (p Policy) String() string {
	var b strings.Builder
	for _, f := range policyFields() {
		v := f.get(p)
		if !f.Always && v == f.Default {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.Name)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String()
}

// OrList joins words as "a, b or c".
func OrList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// The constructors below keep the table in policy.go one entry per field.

// enumField is a field holding one of values, stored as its index.
func enumField(name string, values []string, help string, get func(Policy) int, set func(*Policy, int)) PolicyField {
	return PolicyField{Name: name, Kind: FieldEnum, Values: values, Grid: values, Always: true, Help: help,
		get: func(p Policy) string { return values[get(p)] },
		set: func(p *Policy, v string) error {
			for i, x := range values {
				if x == v {
					set(p, i)
					return nil
				}
			}
			return errBadValue
		}}
}

// optionalEnumField is an enum printed only when it differs from its
// default, values[0]: a field added after XEP-0238's, which a policy that
// does not mention keeps as it always was.
func optionalEnumField(name string, values []string, help string, get func(Policy) int, set func(*Policy, int)) PolicyField {
	f := enumField(name, values, help, get, set)
	f.Always, f.Default = false, values[0]
	return f
}

// boolField is a field holding a bool; values lists "true" and "false" in
// the order forms offer them.
func boolField(name string, always bool, values []string, help string, field func(*Policy) *bool) PolicyField {
	f := PolicyField{Name: name, Kind: FieldBool, Values: values, Grid: values, Always: always, Help: help,
		get: func(p Policy) string { return strconv.FormatBool(*field(&p)) },
		set: func(p *Policy, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errBadValue
			}
			*field(p) = b
			return nil
		}}
	if !always {
		f.Default = "false"
	}
	return f
}

// defectField is a bool field that models a server's bug (default false):
// it is not in Grid, so that a policy sweep never suggests it.
func defectField(name, help string, field func(*Policy) *bool) PolicyField {
	f := boolField(name, false, []string{"false", "true"}, help, field)
	f.Grid = nil
	return f
}

// levelsField is a set of levels ("V,E,T").
func levelsField(name, help string, values, grid []string, field func(*Policy) *Levels) PolicyField {
	return PolicyField{Name: name, Kind: FieldLevels, Values: values, Grid: grid, Always: true, Help: help,
		get: func(p Policy) string { return field(&p).String() },
		set: func(p *Policy, v string) error {
			s, err := ParseLevels(v)
			if err != nil {
				return err
			}
			*field(p) = s
			return nil
		}}
}

// ParseLevels reads a set of levels: letters V, E, T separated by commas,
// '+', '/' or spaces, in either case.
func ParseLevels(v string) (Levels, error) {
	var s Levels
	for _, l := range strings.FieldsFunc(strings.ToUpper(v), func(r rune) bool { return r == ',' || r == '+' || r == ' ' || r == '/' }) {
		switch l {
		case "V":
			s |= LevelSet(LevelVerified)
		case "E":
			s |= LevelSet(LevelEncrypted)
		case "T":
			s |= LevelSet(LevelTrusted)
		default:
			return 0, errBadValue
		}
	}
	if s == 0 {
		return 0, errBadValue
	}
	return s, nil
}

// partsField is a composite of enum parts, each empty for its default.
func partsField(name, help string, parts ...PolicyField) PolicyField {
	var defs []string
	for _, p := range parts {
		defs = append(defs, p.Default)
	}
	return PolicyField{Name: name, Kind: FieldParts, Default: strings.Join(defs, "/"), Help: help, Parts: parts,
		get: func(p Policy) string {
			var vs []string
			for _, f := range parts {
				vs = append(vs, f.get(p))
			}
			return strings.Join(vs, "/")
		},
		set: func(p *Policy, v string) error {
			vs := strings.Split(v, "/")
			if len(vs) != len(parts) {
				return errBadValue
			}
			for i, f := range parts {
				x := vs[i]
				if x == "" {
					x = f.Default
				}
				if err := f.set(p, x); err != nil {
					return err
				}
			}
			return nil
		}}
}

// conditionPart is one part of an error profile: a condition among
// values, stored as "" when it is the default (so that a profile that
// names only defaults equals the empty one).
func conditionPart(name, def string, values []string, help string, field func(*Policy) *string) PolicyField {
	return PolicyField{Name: name, Kind: FieldEnum, Values: values, Default: def, Help: help,
		get: func(p Policy) string { return orDefault(*field(&p), def) },
		set: func(p *Policy, v string) error {
			for _, x := range values {
				if x == v {
					if v == def {
						v = ""
					}
					*field(p) = v
					return nil
				}
			}
			return errBadValue
		}}
}

var errBadValue = fmt.Errorf("nodes: bad policy value")

// StreamConditions are the stream error conditions of RFC 6120 §4.9.3.
var StreamConditions = []string{"bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone",
	"host-unknown", "improper-addressing", "internal-server-error", "invalid-from", "invalid-namespace", "invalid-xml",
	"not-authorized", "not-well-formed", "policy-violation", "remote-connection-failed", "reset", "resource-constraint",
	"restricted-xml", "see-other-host", "system-shutdown", "undefined-condition", "unsupported-encoding",
	"unsupported-feature", "unsupported-stanza-type", "unsupported-version"}

// StanzaConditions are the stanza error conditions of RFC 6120 §8.3.3.
var StanzaConditions = []string{"bad-request", "conflict", "feature-not-implemented", "forbidden", "gone",
	"internal-server-error", "item-not-found", "jid-malformed", "not-acceptable", "not-allowed", "not-authorized",
	"policy-violation", "recipient-unavailable", "redirect", "registration-required", "remote-server-not-found",
	"remote-server-timeout", "resource-constraint", "service-unavailable", "subscription-required",
	"undefined-condition", "unexpected-request"}
