package xmlstream

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// The stanzas of issue 14's "bounded cost" item: about 1 MB each, one with
// many namespace declarations and as many prefixed attributes (each a
// prefix lookup among the declarations in scope), one plain (attributes
// without prefixes), the same size.
const hostileHeader = "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' to='a.example' from='b.example' version='1.0'>"

// manyPrefixesStanza declares n prefixes on one element and uses each on
// an attribute; the first prefixes declared are the last found by a
// backward scan.
func manyPrefixesStanza(n int) string {
	var b strings.Builder
	b.WriteString("<message")
	for i := range n {
		fmt.Fprintf(&b, " xmlns:p%d='u%d'", i, i)
	}
	for i := range n {
		fmt.Fprintf(&b, " p%d:a='v'", i)
	}
	b.WriteString("/>")
	return b.String()
}

// plainStanza has attributes without prefixes, padded to size bytes.
func plainStanza(size int) string {
	var b strings.Builder
	b.WriteString("<message")
	for i := 0; b.Len() < size-16; i++ {
		fmt.Fprintf(&b, " a%d='v'", i)
	}
	b.WriteString("/>")
	return b.String()
}

// nestedPrefixesStanza declares one prefix per level, n levels deep (up
// to the depth limit), then uses every prefix on the innermost element.
func nestedPrefixesStanza(depth, perLevel int) string {
	var b strings.Builder
	k := 0
	for d := range depth {
		if d == 0 {
			b.WriteString("<message")
		} else {
			b.WriteString("<x")
		}
		for range perLevel {
			fmt.Fprintf(&b, " xmlns:p%d='u%d'", k, k)
			k++
		}
		b.WriteString(">")
	}
	b.WriteString("<y")
	for i := range k {
		fmt.Fprintf(&b, " p%d:a='v'", i)
	}
	b.WriteString("/>")
	for d := depth - 1; d >= 0; d-- {
		if d == 0 {
			b.WriteString("</message>")
		} else {
			b.WriteString("</x>")
		}
	}
	return b.String()
}

func parseStanza(tb testing.TB, stanza string) {
	p := NewParser()
	p.Feed([]byte(hostileHeader))
	p.Feed([]byte(stanza))
	n := 0
	for {
		tok, ok, err := p.Next()
		if err != nil {
			tb.Fatal(err)
		}
		if !ok {
			break
		}
		if tok.Kind == TokElement {
			n++
		}
	}
	if n != 1 {
		tb.Fatalf("got %d elements, want 1", n)
	}
}

func benchStanza(stanza string) func(*testing.B) {
	return func(b *testing.B) {
		b.SetBytes(int64(len(stanza)))
		b.ReportAllocs()
		for b.Loop() {
			parseStanza(b, stanza)
		}
	}
}

// hostileStanzas are ~1 MB stanzas that stress the namespace machinery,
// and the plain stanza of the same size they are compared with.
func hostileStanzas() (plain string, hostile map[string]string) {
	many := manyPrefixesStanza(30000)
	return plainStanza(len(many)), map[string]string{
		"ManyPrefixes":   many,
		"NestedPrefixes": nestedPrefixesStanza(DefaultMaxDepth-1, 480),
	}
}

func BenchmarkHostileStanza(b *testing.B) {
	plain, hostile := hostileStanzas()
	b.Run("Plain", benchStanza(plain))
	for _, name := range []string{"ManyPrefixes", "NestedPrefixes"} {
		b.Run(name, benchStanza(hostile[name]))
	}
}

// TestHostileStanzaCost checks that a stanza full of namespace
// declarations and prefixed attributes costs within a small factor of a
// plain stanza of the same size (about 50 times as much when every prefix
// lookup scanned all the declarations in scope). The figure is a ratio of
// the fastest of interleaved parses in one run, each after a collection,
// never an absolute duration: a loaded machine (go test ./... runs
// packages in parallel) slows some parses, but rarely the fastest of each.
func TestHostileStanzaCost(t *testing.T) {
	if testing.Short() {
		t.Skip("times parses of 1 MB stanzas")
	}
	plain, hostile := hostileStanzas()
	fastest := func(ds []time.Duration) time.Duration { return slices.Min(ds) }
	for _, name := range []string{"ManyPrefixes", "NestedPrefixes"} {
		var tp, th []time.Duration
		for range 9 {
			for _, c := range []struct {
				in string
				d  *[]time.Duration
			}{{plain, &tp}, {hostile[name], &th}} {
				runtime.GC()
				start := time.Now()
				parseStanza(t, c.in)
				*c.d = append(*c.d, time.Since(start))
			}
		}
		ratio := float64(fastest(th)) / float64(fastest(tp))
		t.Logf("%s (%d bytes): %.2f× the plain stanza (%d bytes)", name, len(hostile[name]), ratio, len(plain))
		if ratio > 5 {
			t.Errorf("%s costs %.1f× a plain stanza of the same size, want ≤ 5×", name, ratio)
		}
	}
}

// TestIndexedBindings compares the parser's namespace resolution, with
// enough declarations in scope to use the index, against a plain scope
// stack: shadowing, declarations on empty elements, closing elements that
// restore the outer declarations, and duplicate expanded names.
func TestIndexedBindings(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 14))
	for iter := range 300 {
		var b strings.Builder
		var want []string // Space of every element, in document order
		scopes := []map[string]string{{"": NSServer}}
		resolve := func(prefix string) (string, bool) {
			for i := len(scopes) - 1; i >= 0; i-- {
				if u, ok := scopes[i][prefix]; ok {
					return u, true
				}
			}
			return "", false
		}
		nprefix := 2 + r.IntN(40)
		var open func(depth int)
		open = func(depth int) {
			decl := map[string]string{}
			var attrs strings.Builder
			for range r.IntN(30) {
				pfx := fmt.Sprintf("p%d", r.IntN(nprefix))
				if _, ok := decl[pfx]; ok {
					continue
				}
				decl[pfx] = fmt.Sprintf("urn:%d:%s", r.IntN(3), pfx)
				fmt.Fprintf(&attrs, " xmlns:%s='%s'", pfx, decl[pfx])
			}
			scopes = append(scopes, decl)
			// The element's own prefix: one in scope (or none).
			name := "e"
			for range 3 {
				pfx := fmt.Sprintf("p%d", r.IntN(nprefix))
				if _, ok := resolve(pfx); ok {
					name = pfx + ":e"
					break
				}
			}
			// Prefixed attributes with distinct expanded names.
			seen := map[string]bool{}
			for i := range r.IntN(20) {
				pfx := fmt.Sprintf("p%d", r.IntN(nprefix))
				u, ok := resolve(pfx)
				local := fmt.Sprintf("a%d", i%4)
				if !ok || seen[u+" "+local] {
					continue
				}
				seen[u+" "+local] = true
				fmt.Fprintf(&attrs, " %s:%s='v'", pfx, local)
			}
			if depth == 0 {
				name = "message"
			}
			space, _ := resolve(prefixOf(name))
			want = append(want, space)
			if depth >= 6 || r.IntN(3) == 0 {
				fmt.Fprintf(&b, "<%s%s/>", name, attrs.String())
			} else {
				fmt.Fprintf(&b, "<%s%s>", name, attrs.String())
				for range r.IntN(4) {
					open(depth + 1)
				}
				fmt.Fprintf(&b, "</%s>", name)
			}
			scopes = scopes[:len(scopes)-1]
		}
		open(0)
		p := NewParser()
		p.Feed([]byte(hostileHeader + b.String()))
		var got []string
		for {
			tok, ok, err := p.Next()
			if err != nil {
				t.Fatalf("iteration %d: %v\n%s", iter, err, b.String())
			}
			if !ok {
				break
			}
			if tok.Kind == TokElement {
				var walk func(e *Element)
				walk = func(e *Element) {
					got = append(got, e.Space)
					for _, c := range e.Children() {
						walk(c)
					}
				}
				walk(tok.Elem)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("iteration %d: namespaces\n%q, want\n%q\n%s", iter, got, want, b.String())
		}
	}

	// Two prefixes bound to one namespace make p0:a and p19:a the same
	// attribute, found through the index as through the scan.
	var b strings.Builder
	b.WriteString("<message")
	for i := range 2 * indexAbove {
		fmt.Fprintf(&b, " xmlns:p%d='urn:same'", i)
	}
	b.WriteString("><x p0:a='1' p19:a='2'/></message>")
	p := NewParser()
	p.Feed([]byte(hostileHeader + b.String()))
	for {
		_, ok, err := p.Next()
		if err != nil {
			var se *StreamError
			if !errors.As(err, &se) || se.Condition != CondNotWellFormed || !strings.Contains(se.Text, "duplicate attribute") {
				t.Fatalf("want a duplicate attribute, got %v", err)
			}
			break
		}
		if !ok {
			t.Fatal("p0:a and p19:a should be the same attribute")
		}
	}
}

func prefixOf(name string) string {
	prefix, _ := splitName(name)
	return prefix
}
