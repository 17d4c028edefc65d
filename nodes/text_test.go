package nodes

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// A Text reads exactly as fmt.Sprintf of its format and the arguments'
// values would have: the transcripts were written that way, byte for byte.
func TestTextReadsLikeSprintf(t *testing.T) {
	el := xmlstream.NewElement("iq", "from", "a@x.lit", "to", "b@y.lit", "type", "get")
	el.AddChild(xmlstream.NewElement("ping", "xmlns", nsPing))
	err := errors.New("ca: certificate expired")
	cases := []struct {
		format string
		args   []Arg
		want   string
	}{
		{"no arguments, 100%% sure", nil, fmt.Sprintf("no arguments, 100%% sure")},
		{"%s -> %s: %s (%s)", []Arg{str("a.lit"), str("b.lit"), str("V"), str("dialback")}, "a.lit -> b.lit: V (dialback)"},
		{"%s has no account %q", []Arg{str("a.lit"), str("nobody@a.lit")}, fmt.Sprintf("%s has no account %q", "a.lit", "nobody@a.lit")},
		{"%s drops %d bytes", []Arg{str("a.lit"), num(42)}, "a.lit drops 42 bytes"},
		{"within %s", []Arg{dur(10 * time.Second)}, "within 10s"},
		{"%s delivers to %s: %s", []Arg{str("y.lit"), str("b@y.lit"), elem(el)}, "y.lit delivers to b@y.lit: " + string(el.AppendXML(nil))},
		{"%s does not offer SASL EXTERNAL: %v", []Arg{str("a.lit"), errArg(err)}, "a.lit does not offer SASL EXTERNAL: ca: certificate expired"},
		{"six: %s %s %s %s %s %s", []Arg{str("1"), str("2"), str("3"), str("4"), str("5"), str("6")}, "six: 1 2 3 4 5 6"},
	}
	for _, c := range cases {
		var tx Text
		tx.set(c.format, c.args)
		if got := tx.String(); got != c.want {
			t.Errorf("%q: got %q, want %q", c.format, got, c.want)
		}
	}
	var zero Text
	if !zero.IsZero() || zero.String() != "" {
		t.Errorf("the zero Text reads %q", zero.String())
	}
}

// Recording a note allocates nothing, whatever its arguments: that is why
// protocol code may note every decision without asking who listens.
func TestNoteDoesNotAllocate(t *testing.T) {
	s := newTestServer(t, "type2")
	st := &stream{peer: "b.lit", id: "abc", n: 1}
	el := xmlstream.NewElement("iq")
	err := errors.New("boom")
	s.take() // the arena's slice has grown once
	s.note(st, "x", "%s %s %d %s %s %s", str(s.cfg.Domain), str(st.peer), num(1), elem(el), str("a"), str("b"))
	s.take()
	allocs := testing.AllocsPerRun(100, func() {
		s.note(st, "decide", "%s verifies the key with %s's Authoritative Server", str(s.cfg.Domain), str(st.peer))
		s.note(nil, "deliver", "%s delivers to %s: %s", str(s.cfg.Domain), str("u@b.lit"), elem(el)).Stanza = el
		s.note(st, "drop", "%s drops %d bytes (%v)", str(s.cfg.Domain), num(7), errArg(err))
		s.note(nil, "connect-timeout", "no answer within %s", dur(time.Second))
		s.take()
	})
	if allocs != 0 {
		t.Errorf("recording four notes allocated %v times, want 0", allocs)
	}
}

// TestNoteFormats checks every call of a note recorder in the package's
// code (a function whose parameters end in "format string, args ...Arg"):
// the format is a constant, its verbs match the arguments in number and
// kind, and the arguments fit in a Text (at most maxArgs, one integer, one
// element or error). go vet cannot check these calls, their arguments are
// not ...any, so this test does.
func TestNoteFormats(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string // file name, source, …
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, f, string(b))
	}
	problems, calls := checkNoteCalls(t, srcs...)
	for _, p := range problems {
		t.Error(p)
	}
	if calls < 40 {
		t.Errorf("found %d note calls; the checker is not finding them", calls)
	}
}

// The check above fails when a call site is wrong.
func TestNoteFormatsCatchesMistakes(t *testing.T) {
	src := `package nodes
func (s *Server) note(st *stream, event, format string, args ...Arg) *Effect { return nil }
func f(s *Server, format string) {
	fail := func(cond, format string, args ...Arg) {}
	s.note(nil, "a", "%s and %s", str("x"))                  // too few
	s.note(nil, "b", "%s", str("x"), str("y"))                // too many
	s.note(nil, "c", "%d bytes", str("x"))                    // %d of a string
	s.note(nil, "d", "%s %s", num(1), dur(2))                 // two integers
	s.note(nil, "e", format)                                  // not a constant
	fail("x", "%s %q", str("a"), elem(nil))                   // %q of an element
	s.note(nil, "ok", "%s %d %v 100%%", str("a"), num(1), errArg(nil))
}`
	problems, calls := checkNoteCalls(t, "mistakes.go", src)
	if calls != 7 || len(problems) != 6 {
		t.Fatalf("checked %d calls, found %d problems, want 7 and 6:\n%s", calls, len(problems), strings.Join(problems, "\n"))
	}
}

// checkNoteCalls parses the files (name, source, name, source, …) and
// checks the calls of their note recorders.
func checkNoteCalls(t *testing.T, srcs ...string) (problems []string, calls int) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for i := 0; i+1 < len(srcs); i += 2 {
		f, err := parser.ParseFile(fset, srcs[i], srcs[i+1], 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// The recorders, by name, and the position of their format parameter.
	recorders := map[string]int{}
	addRecorder := func(name string, ft *ast.FuncType) {
		if len(ft.Params.List) == 0 {
			return
		}
		var names []string
		for _, p := range ft.Params.List {
			for _, n := range p.Names {
				names = append(names, n.Name)
			}
		}
		last := ft.Params.List[len(ft.Params.List)-1]
		ell, ok := last.Type.(*ast.Ellipsis)
		if !ok || len(names) < 2 || names[len(names)-2] != "format" {
			return
		}
		if id, ok := ell.Elt.(*ast.Ident); ok && id.Name == "Arg" {
			recorders[name] = len(names) - 2
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				addRecorder(n.Name.Name, n.Type)
			case *ast.AssignStmt:
				for i, r := range n.Rhs {
					if lit, ok := r.(*ast.FuncLit); ok && i < len(n.Lhs) {
						if id, ok := n.Lhs[i].(*ast.Ident); ok {
							addRecorder(id.Name, lit.Type)
						}
					}
				}
			}
			return true
		})
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			at, ok := recorders[name]
			if !ok || call.Ellipsis.IsValid() { // a recorder passing its arguments on
				return true
			}
			calls++
			pos := fset.Position(call.Pos())
			if err := checkNoteCall(call.Args[at], call.Args[at+1:]); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", pos, name, err))
			}
			return true
		})
	}
	return problems, calls
}

func checkNoteCall(formatArg ast.Expr, args []ast.Expr) error {
	lit, ok := formatArg.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return fmt.Errorf("the format is not a string constant")
	}
	format, err := strconv.Unquote(lit.Value)
	if err != nil {
		return err
	}
	verbs := formatVerbs(format)
	if len(verbs) != len(args) {
		return fmt.Errorf("%q has %d verbs and %d arguments", format, len(verbs), len(args))
	}
	if len(args) > maxArgs {
		return fmt.Errorf("%q: %d arguments, a Text holds %d", format, len(args), maxArgs)
	}
	var nums, xs int
	for i, a := range args {
		var kind string
		if c, ok := a.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok {
				kind = id.Name
			}
		}
		allowed := map[string]string{"str": "sqv", "num": "dv", "dur": "sv", "elem": "sv", "errArg": "sv"}[kind]
		if allowed == "" {
			return fmt.Errorf("%q: argument %d is not made by str, num, dur, elem or errArg", format, i+1)
		}
		if !strings.ContainsRune(allowed, verbs[i]) {
			return fmt.Errorf("%q: verb %%%c for a %s argument", format, verbs[i], kind)
		}
		switch kind {
		case "num", "dur":
			nums++
		case "elem", "errArg":
			xs++
		}
	}
	if nums > 1 || xs > 1 {
		return fmt.Errorf("%q: a Text holds one integer or duration and one element or error", format)
	}
	return nil
}

// formatVerbs lists the verbs of a format, skipping %% and flags.
func formatVerbs(format string) []rune {
	var verbs []rune
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] != '%' {
			verbs = append(verbs, rune(format[i]))
		}
	}
	return verbs
}
