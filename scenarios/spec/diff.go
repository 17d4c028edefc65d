package spec

// A failed expectation shows a diff, -want +got, and fedsim promises the
// same bytes for the same input. cmp.Diff cannot keep that promise: its
// output "is not stable" by design, and go-cmp v0.7.0 flips a coin seeded
// with the wall clock's second (time.Now().Unix()) once per process:
//
//   - cmp/report_text.go (randBool, indentMode.appendIndent): the markers
//     "  ", "- " and "+ " are written with either a normal space or
//     U+00A0, the non-breaking space;
//   - cmp/internal/diff/diff.go (randBool, Difference): the edit script of
//     a slice, and of a long string, is searched for forwards or backwards,
//     so the same pair of values can be reported with different lines, not
//     just different whitespace: []string{"r"} against []string{"r", "r"}
//     puts the "+" line after the "r" in one process and before it in the
//     next;
//   - cmp/report_references.go (formatPointer) prints real pointer
//     addresses when two values would otherwise print alike.
//
// Replacing U+00A0 would fix the first only. So the report is a line diff
// of a rendering of the values that depends on nothing but the values:
// maps in the order of their rendered keys, no addresses. The rendering
// looks like go-cmp's (a Go-like literal, "-" and "+" then a space then a
// tab per level), so a failure reads as it always did.
//
// Whether two values are equal is equalEmpty's, not go-cmp's: cmp.Equal
// with cmpopts.EquateEmpty decided it until fedsim's binary was found to
// spend a quarter of its start-up in go-cmp's package initialisers (1.5 of
// 6 ms, GODEBUG=inittrace=1: a math/rand source seeded at init, a regexp
// compiled at init) for a comparison of maps of strings and a struct of
// string slices. TestEqualEmptyIsCmpEqual checks the two agree.

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// diffContext is how many unchanged lines are shown either side of a change;
// longer runs are folded into one "... // N identical lines" line.
const diffContext = 3

// stableDiff reports how got differs from want, -want +got, or "" when
// they are equal with empty and nil slices and maps equal (equalEmpty: as
// cmp.Equal with cmpopts.EquateEmpty). The report is the same bytes in
// every process for the same values. The rendering shows nil and empty
// slices and maps alike; should the values differ in a way it does not
// show, a closing line says so rather than printing an empty diff.
func stableDiff(want, got any) string {
	if equalEmpty(reflect.ValueOf(want), reflect.ValueOf(got)) {
		return ""
	}
	a, b := render(want), render(got)
	var out strings.Builder
	changed := writeLineDiff(&out, a, b)
	if !changed {
		out.WriteString("  (the values differ in a way this rendering does not show)\n")
	}
	return out.String()
}

// line is one line of a rendering: its nesting depth and its text.
type line struct {
	depth int
	text  string
}

func (l line) String() string { return strings.Repeat("\t", l.depth) + l.text }

// render writes v as a Go-like literal, one element or field a line.
func render(v any) []line {
	r := &renderer{onPath: map[uintptr]bool{}}
	r.value(reflect.ValueOf(v), 0, "", "", true)
	return r.lines
}

type renderer struct {
	lines []line
	// onPath holds the maps and pointers being rendered, to cut cycles
	// (only whether one is on the path is recorded, never printed).
	onPath map[uintptr]bool
}

// maxDepth bounds the rendering of deep values.
const maxDepth = 32

func (r *renderer) add(depth int, text string) { r.lines = append(r.lines, line{depth, text}) }

// value renders v at depth, after lead ("key: ", "Field: ") and before
// trail (a comma inside a literal). showType asks for the type before a
// composite literal; like go-cmp, the rendering leaves it out for the
// elements of slices and maps, whose type the container's implies.
func (r *renderer) value(v reflect.Value, depth int, lead, trail string, showType bool) {
	if !v.IsValid() {
		r.add(depth, lead+"nil"+trail)
		return
	}
	t := v.Type()
	typ := ""
	if showType {
		typ = t.String()
	}
	if depth > maxDepth {
		r.add(depth, lead+typ+"{...}"+trail)
		return
	}
	switch t.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			r.add(depth, lead+"nil"+trail)
			return
		}
		r.value(v.Elem(), depth, lead, trail, true)
	case reflect.Pointer:
		if v.IsNil() {
			r.add(depth, lead+"nil"+trail)
			return
		}
		p := v.Pointer()
		if r.onPath[p] {
			if showType {
				typ = t.Elem().String()
			}
			r.add(depth, lead+"&"+typ+"{...}"+trail+" // cycle")
			return
		}
		r.onPath[p] = true
		r.value(v.Elem(), depth, lead+"&", trail, showType)
		delete(r.onPath, p)
	case reflect.Struct:
		if t.NumField() == 0 {
			r.add(depth, lead+typ+"{}"+trail)
			return
		}
		r.add(depth, lead+typ+"{")
		for i := range t.NumField() {
			f := t.Field(i)
			r.value(v.Field(i), depth+1, f.Name+": ", ",", true)
		}
		r.add(depth, "}"+trail)
	case reflect.Slice, reflect.Array:
		if v.Len() == 0 {
			r.add(depth, lead+typ+"{}"+trail)
			return
		}
		r.add(depth, lead+typ+"{")
		for i := range v.Len() {
			r.value(v.Index(i), depth+1, "", ",", t.Elem().Kind() == reflect.Interface)
		}
		r.add(depth, "}"+trail)
	case reflect.Map:
		if v.Len() == 0 {
			r.add(depth, lead+typ+"{}"+trail)
			return
		}
		p := v.Pointer()
		if r.onPath[p] {
			r.add(depth, lead+typ+"{...}"+trail+" // cycle")
			return
		}
		r.onPath[p] = true
		type entry struct {
			key string
			val reflect.Value
		}
		var entries []entry
		for it := v.MapRange(); it.Next(); {
			entries = append(entries, entry{r.inline(it.Key()), it.Value()})
		}
		// Keys that render alike (NaNs, distinct pointers to equal
		// values) are ordered by their values' renderings, so that the
		// order never depends on Go's map iteration.
		sort.SliceStable(entries, func(i, j int) bool {
			if entries[i].key != entries[j].key {
				return entries[i].key < entries[j].key
			}
			return r.inline(entries[i].val) < r.inline(entries[j].val)
		})
		r.add(depth, lead+typ+"{")
		for _, e := range entries {
			r.value(e.val, depth+1, e.key+": ", ",", t.Elem().Kind() == reflect.Interface)
		}
		r.add(depth, "}"+trail)
		delete(r.onPath, p)
	default:
		r.add(depth, lead+scalar(v, showType)+trail)
	}
}

// inline renders v on one line, for map keys and for ordering.
func (r *renderer) inline(v reflect.Value) string {
	sub := &renderer{onPath: r.onPath}
	sub.value(v, 0, "", "", false)
	parts := make([]string, len(sub.lines))
	for i, l := range sub.lines {
		parts[i] = l.text
	}
	return strings.Join(parts, " ")
}

// scalar renders a value that has no elements. Strings are quoted, which
// also escapes U+00A0 and every other invisible character in the data.
// Functions and channels show their type only: their identity is an
// address.
func scalar(v reflect.Value, showType bool) string {
	var s string
	switch v.Kind() {
	case reflect.String:
		s = strconv.Quote(v.String())
	case reflect.Bool:
		s = strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s = strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		s = strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		s = strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits())
	case reflect.Complex64, reflect.Complex128:
		s = strconv.FormatComplex(v.Complex(), 'g', -1, v.Type().Bits())
	default: // func, chan, unsafe.Pointer
		if v.IsNil() {
			return v.Type().String() + "(nil)"
		}
		return v.Type().String() + "(...)"
	}
	if showType && v.Type().PkgPath() != "" {
		s = fmt.Sprintf("%s(%s)", v.Type(), s)
	}
	return s
}

// writeLineDiff writes a and b as a line diff, -a +b, removals before
// insertions, and reports whether any line differs. The edit script is a
// longest common subsequence with fixed tie-breaking, so it is a function
// of the lines alone.
func writeLineDiff(out *strings.Builder, a, b []line) bool {
	type op struct {
		mark byte // ' ', '-' or '+'
		l    line
	}
	var ops []op
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	for _, l := range a[:pre] {
		ops = append(ops, op{' ', l})
	}
	x, y := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(x), len(y)
	if n*m <= 1<<22 {
		// lcs[i*(m+1)+j] is the length of the longest common
		// subsequence of x[i:] and y[j:].
		lcs := make([]int32, (n+1)*(m+1))
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if x[i] == y[j] {
					lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j+1] + 1
				} else {
					lcs[i*(m+1)+j] = max(lcs[(i+1)*(m+1)+j], lcs[i*(m+1)+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && x[i] == y[j]:
				ops = append(ops, op{' ', x[i]})
				i, j = i+1, j+1
			case j == m || (i < n && lcs[(i+1)*(m+1)+j] >= lcs[i*(m+1)+j+1]):
				ops = append(ops, op{'-', x[i]})
				i++
			default:
				ops = append(ops, op{'+', y[j]})
				j++
			}
		}
	} else {
		// Too large to align: everything between the common ends changed.
		for _, l := range x {
			ops = append(ops, op{'-', l})
		}
		for _, l := range y {
			ops = append(ops, op{'+', l})
		}
	}
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, op{' ', l})
	}

	// Show the changes, diffContext unchanged lines around each, and the
	// first and last lines (the value's type and its closing brace).
	show := make([]bool, len(ops))
	changed := false
	for k, o := range ops {
		if o.mark == ' ' {
			continue
		}
		changed = true
		for c := max(0, k-diffContext); c <= min(len(ops)-1, k+diffContext); c++ {
			show[c] = true
		}
	}
	if len(ops) > 0 {
		show[0], show[len(ops)-1] = true, true
	}
	for k := 1; k+1 < len(ops); k++ {
		if !show[k] && show[k-1] && show[k+1] {
			show[k] = true // a fold would take as much room as the line
		}
	}
	for k := 0; k < len(ops); {
		if show[k] {
			out.WriteByte(ops[k].mark)
			out.WriteByte(' ')
			out.WriteString(ops[k].l.String())
			out.WriteByte('\n')
			k++
			continue
		}
		end := k
		for end < len(ops) && !show[end] {
			end++
		}
		fmt.Fprintf(out, "  %s... // %d identical lines\n", strings.Repeat("\t", ops[k].l.depth), end-k)
		k = end
	}
	return changed
}

// equalEmpty reports whether a and b are deeply equal, an empty slice or
// map equal to a nil one — what cmp.Equal(a, b, cmpopts.EquateEmpty())
// says for the values expectations compare (maps of strings, structs of
// slices, strings, numbers and pointers; none of them has an Equal method,
// which cmp would call). Unlike cmp.Equal it does not panic on unexported
// fields: it compares them.
func equalEmpty(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalEmpty(a.Elem(), b.Elem())
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return a.Pointer() == b.Pointer() || equalEmpty(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalEmpty(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalEmpty(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !equalEmpty(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Func:
		return a.IsNil() && b.IsNil()
	case reflect.Chan, reflect.UnsafePointer:
		return a.Pointer() == b.Pointer()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	case reflect.String:
		return a.String() == b.String()
	}
	return false
}
