package spec

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// diff's report is fixed bytes for fixed values. cmp.Diff's is not: in
// half of all processes its markers carry U+00A0, and its edit script for
// []string{"r"} against []string{"r", "r"} puts the "+" line before or
// after the common one depending on the process (see diff.go). Both are
// pinned here: no U+00A0 anywhere, and exactly these lines.
func TestDiffIsGolden(t *testing.T) {
	lost := 2
	for _, c := range []struct {
		name      string
		want, got any
		golden    string
	}{
		{
			name: "outcomes",
			want: map[string]string{"type2.lit -> type4.lit": "T", "type4.lit -> type2.lit": "E"},
			got:  map[string]string{"type2.lit -> type4.lit": "E", "type4.lit -> type2.lit": "E"},
			golden: `  map[string]string{
- 	"type2.lit -> type4.lit": "T",
+ 	"type2.lit -> type4.lit": "E",
  	"type4.lit -> type2.lit": "E",
  }
`,
		},
		{
			// go-cmp's edit script for the duplicated rule depends on
			// the process; this one is always the common line first.
			name: "invariants",
			want: invariantFacts{Violations: []string{"r"}},
			got:  invariantFacts{Violations: []string{"r", "r"}, Impersonations: []string{"a.lit accepted b.lit on the word of c.lit"}, Lost: &lost},
			golden: `  spec.invariantFacts{
  	Violations: []string{
  		"r",
+ 		"r",
  	},
- 	Impersonations: []string{},
- 	Lost: nil,
+ 	Impersonations: []string{
+ 		"a.lit accepted b.lit on the word of c.lit",
+ 	},
+ 	Lost: &2,
  }
`,
		},
		{
			// U+00A0 in the data is quoted, not written raw.
			name: "attacks",
			want: map[string]map[string]string{"strip-tls": {"read": "false"}},
			got:  map[string]map[string]string{"strip-tls": {"read": "true\u00a0"}},
			golden: `  map[string]map[string]string{
  	"strip-tls": {
- 		"read": "false",
+ 		"read": "true\u00a0",
  	},
  }
`,
		},
	} {
		d := diff(c.want, c.got)
		if strings.ContainsRune(d, '\u00a0') {
			t.Errorf("%s: the diff has a U+00A0:\n%q", c.name, d)
		}
		if d != c.golden {
			t.Errorf("%s: diff is\n%s\n%q\nwant\n%s", c.name, d, d, c.golden)
		}
	}
}

// Empty and nil are equal, as with cmpopts.EquateEmpty, and a long value
// shows the lines around a change and folds the rest.
func TestDiffEqualAndFolded(t *testing.T) {
	if d := diff(invariantFacts{Violations: []string{}}, invariantFacts{}); d != "" {
		t.Errorf("nil and empty differ:\n%s", d)
	}
	want, got := map[string]string{}, map[string]string{}
	for i := range 20 {
		k := fmt.Sprintf("id=p%02d", i)
		want[k], got[k] = "delivered", "delivered"
	}
	got["id=p10"] = "never sent"
	golden := `  map[string]string{
  	... // 7 identical lines
  	"id=p07": "delivered",
  	"id=p08": "delivered",
  	"id=p09": "delivered",
- 	"id=p10": "delivered",
+ 	"id=p10": "never sent",
  	"id=p11": "delivered",
  	"id=p12": "delivered",
  	"id=p13": "delivered",
  	... // 6 identical lines
  }
`
	if d := diff(want, got); d != golden {
		t.Errorf("diff is\n%s\nwant\n%s", d, golden)
	}
}

// A cycle is cut, not followed for ever, and prints no address.
func TestDiffCycle(t *testing.T) {
	type node struct {
		Name string
		Next *node
	}
	a := &node{Name: "a"}
	a.Next = a
	b := &node{Name: "b"}
	b.Next = b
	golden := `  &spec.node{
- 	Name: "a",
+ 	Name: "b",
  	Next: &spec.node{...}, // cycle
  }
`
	if d := diff(a, b); d != golden {
		t.Errorf("diff is\n%s\n%q\nwant\n%s", d, d, golden)
	}
}

// equalEmpty says what cmp.Equal with cmpopts.EquateEmpty says, for the
// kinds of values expectations compare and the corners around them: nil
// against empty, nested empties, pointers to equal values, interfaces
// holding different types, NaN, maps with a missing key.
func TestEqualEmptyIsCmpEqual(t *testing.T) {
	one, other := 1, 1
	two := 2
	nan := math.NaN()
	type inner struct {
		S []string
		M map[string]int
	}
	type outer struct {
		A  string
		I  inner
		P  *int
		L  []inner
		X  any
		F  float64
		Fs []float64
	}
	values := []any{
		nil,
		map[string]string{},
		map[string]string(nil),
		map[string]string{"a": "b"},
		map[string]string{"a": "c"},
		map[string]string{"b": "b"},
		map[string]string{"a": "b", "b": "b"},
		[]string{},
		[]string(nil),
		[]string{"r"},
		[]string{"r", "r"},
		invariantFacts{},
		invariantFacts{Violations: []string{}},
		invariantFacts{Violations: []string{"r"}},
		invariantFacts{Lost: &one},
		invariantFacts{Lost: &other},
		invariantFacts{Lost: &two},
		outer{},
		outer{I: inner{S: []string{}, M: map[string]int{}}},
		outer{I: inner{M: map[string]int{"x": 0}}},
		outer{L: []inner{}},
		outer{L: []inner{{}}},
		outer{L: []inner{{S: []string{}}}},
		outer{X: 1},
		outer{X: int64(1)},
		outer{X: "1"},
		outer{X: []string{}},
		outer{F: nan},
		outer{Fs: []float64{nan}},
		outer{P: &one},
		outer{P: &two},
		"a", "b", 1, 2, 1.5,
	}
	opt := cmpopts.EquateEmpty()
	for i, a := range values {
		for j, b := range values {
			want := cmp.Equal(a, b, opt)
			if got := equalEmpty(reflect.ValueOf(a), reflect.ValueOf(b)); got != want {
				t.Errorf("values %d and %d: equalEmpty(%#v, %#v) = %t, cmp.Equal with EquateEmpty = %t", i, j, a, b, got, want)
			}
		}
	}
}
