package sweep

import (
	"fmt"
	"strings"
	"unicode"
)

// Axis is one dimension of a grid: a field and the values it takes, each
// spelled as the field prints it (so "T,E" and "E+T" are both "E,T"), in
// the order given. The order matters: it numbers the policies.
type Axis struct {
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

// SetSeparator separates the sets of a set-valued field in one --grid
// flag ("accept=V,E,T;E,T"); a shell needs it quoted, so repeating the
// flag (--grid accept=V,E,T --grid accept=E,T) is the unquoted spelling.
const SetSeparator = ";"

// ParseGrid reads --grid flags, FIELD=VALUES each, into axes in the
// order of Fields (the order Grid varies them in).
//
// How VALUES splits depends on the field's kind in the policy table
// (nodes.PolicyFields): a set-valued field (nodes.FieldLevels, such as
// accept) takes sets, and a set is written as everywhere else in fedsim —
// "accept=V,E,T" is the one set {V, E, T}, as in --policy-receiver and
// scenario files — so one flag gives one set, or several separated by
// ';'. Every other field takes values separated by commas. A field given
// in several flags collects their values. A value given twice (after
// spelling it as the field prints it: "T,E" is "E,T"), a letter given
// twice in one set, or a set that mixes separators ("V+E,T", which read
// as two sets before sets had their own syntax) is an error.
func ParseGrid(flags []string) ([]Axis, error) {
	vals := map[string][]string{}
	as := map[string][]string{} // each canonical value as the user wrote it
	for _, g := range flags {
		name, list, ok := strings.Cut(g, "=")
		if !ok || list == "" {
			return nil, fmt.Errorf("sweep: --grid %q: want FIELD=V1,V2", g)
		}
		f, ok := fieldByName(name)
		if !ok {
			return nil, fmt.Errorf("sweep: --grid %s: unknown field %q (want one of %s)", g, name, fieldNames())
		}
		sep := ","
		if f.Set {
			sep = SetSeparator
		}
		for _, v := range strings.Split(list, sep) {
			if v == "" {
				return nil, fmt.Errorf("sweep: --grid %s: an empty value", g)
			}
			if f.Set {
				if err := checkSet(f, v); err != nil {
					return nil, fmt.Errorf("sweep: --grid %s: %v", g, err)
				}
			}
			c, err := f.canonical(v)
			if err != nil {
				return nil, fmt.Errorf("sweep: --grid %s: %v", g, err)
			}
			for i, prev := range vals[name] {
				if prev == c {
					what := "value"
					if f.Set {
						what = "set"
					}
					same := ""
					if as[name][i] != v {
						same = fmt.Sprintf(" (%s and %s are the same %s)", as[name][i], v, what)
					}
					return nil, fmt.Errorf("sweep: --grid %s: the %s %s is given twice%s: every policy of the grid would be there twice", g, what, c, same)
				}
			}
			vals[name] = append(vals[name], c)
			as[name] = append(as[name], v)
		}
	}
	var out []Axis
	for _, f := range Fields() {
		if v, ok := vals[f.Name]; ok {
			out = append(out, Axis{Field: f.Name, Values: v})
		}
	}
	return out, nil
}

// checkSet refuses a set with a repeated member or mixed separators.
func checkSet(f Field, v string) error {
	seps := map[rune]bool{}
	for _, r := range v {
		if !unicode.IsLetter(r) {
			seps[r] = true
		}
	}
	if len(seps) > 1 {
		return fmt.Errorf("a set written with two kinds of separator; one set is %s=V,E,T, several are --grid %s=V,E,T --grid %s=E,T (or '%s' between sets)", f.Name, f.Name, f.Name, SetSeparator)
	}
	seen := map[rune]bool{}
	for _, r := range v {
		if u := unicode.ToUpper(r); unicode.IsLetter(r) {
			if seen[u] {
				return fmt.Errorf("%c is given twice in one set (for several sets, repeat --grid %s=SET or separate the sets with '%s')", u, f.Name, SetSeparator)
			}
			seen[u] = true
		}
	}
	return nil
}

// canonical spells v as the field prints it, or says what it takes.
func (f Field) canonical(v string) (string, error) {
	var s Spec
	if err := f.apply(&s, v); err != nil {
		return "", err
	}
	return f.get(s), nil
}

// Axes turns axes into the map Grid takes.
func Axes(axes []Axis) map[string][]string {
	m := map[string][]string{}
	for _, a := range axes {
		m[a.Field] = a.Values
	}
	return m
}

// GridArgs writes axes as --grid flags that ParseGrid reads back: one
// flag per axis, and one per set for a set-valued field (no ';', so the
// line needs no quoting in a shell).
func GridArgs(axes []Axis) []string {
	var out []string
	for _, a := range axes {
		f, _ := fieldByName(a.Field)
		if f.Set {
			for _, v := range a.Values {
				out = append(out, a.Field+"="+v)
			}
			continue
		}
		out = append(out, a.Field+"="+strings.Join(a.Values, ","))
	}
	return out
}
