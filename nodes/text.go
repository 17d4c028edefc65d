package nodes

import (
	"fmt"
	"time"

	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// Text is the explanation of a note (Effect.Detail): a format and its
// arguments, kept as data and turned into words only when someone reads
// them (String).
//
// Why not a string: a note is emitted at every decision of every
// negotiation, and formatting it there boxes each argument (an allocation
// apiece) and builds a string that a world without a trace throws away.
// Protocol code used to guard each note with a flag saying whether anyone
// was listening, which spread the trace's concerns through the protocol.
// Now protocol code states what it decided — which format, which domains,
// which policy value — and the cost of the words falls on whoever reads
// them: the world formats a Text only when it records a trace.
//
// Why these fields: the arguments are held in fields of their own types,
// never boxed in an interface, so making a Text allocates nothing; they
// sit in the Text itself, not in a buffer shared with later inputs, so an
// Effect owns its explanation and stays valid however long it is kept.
// And the layout is tight because every Effect carries a Text, notes or
// not, and effects are copied and cleared by the dozen per negotiation,
// with a write barrier per pointer word while the collector runs. Six
// general arguments (string, integer and element each) made an Effect 576
// bytes; a Text with a string slot per argument position but a single
// integer slot and a single element-or-error slot, which is all any note
// uses, makes it 408 (232 when Detail was a string). TestNoteFormats
// checks every call site against these limits and its format's verbs
// against its arguments.
type Text struct {
	format string
	s      [maxArgs]string // the string arguments, in their positions
	n      int64           // the integer or duration argument, if any
	// x is the element or error argument, if any. Putting a pointer or an
	// interface value in an interface copies its words and allocates
	// nothing (a string or an integer would be boxed, hence s and n).
	x     any
	kinds [maxArgs]argKind
	count uint8
}

// maxArgs is the most arguments a Text holds: a bounce's explanation
// (routing.go) takes six.
const maxArgs = 6

// Arg is one argument of a Text as a call site passes it. Make one with
// str, num, dur, elem or errArg.
type Arg struct {
	s    string
	n    int64
	x    any
	kind argKind
}

type argKind uint8

const (
	argString   argKind = iota // s
	argInt                     // n
	argDuration                // n, a time.Duration: "10s"
	argElement                 // x, a *xmlstream.Element printed as its XML
	argError                   // x, an error
)

// str is a string argument (for %s, %q). A value of the policy's enum
// types is passed as its String(), which returns a constant and so does
// not allocate.
func str(s string) Arg { return Arg{s: s, kind: argString} }

// num is an integer argument (for %d).
func num(n int) Arg { return Arg{n: int64(n), kind: argInt} }

// dur is a duration argument, printed as time.Duration prints (for %s).
func dur(d time.Duration) Arg { return Arg{n: int64(d), kind: argDuration} }

// elem is an element argument, serialised only when the Text is read (for
// %s). The element must not change afterwards: notes carry the stanzas a
// server delivers or bounces, which nobody modifies.
func elem(el *xmlstream.Element) Arg { return Arg{x: el, kind: argElement} }

// errArg is an error argument (for %s, %v); its Error(), which may
// format, is called only when the Text is read.
func errArg(err error) Arg { return Arg{x: err, kind: argError} }

// set makes t record format and its arguments, in place: a note writes
// its Text straight into the effect it emits (Server.note). It panics when
// they do not fit (more than maxArgs, or a second integer or a second
// element-or-error argument): a broken call site, which TestNoteFormats
// finds before anything runs.
func (t *Text) set(format string, args []Arg) {
	if len(args) > maxArgs {
		panic(fmt.Sprintf("nodes: a note with %d arguments (at most %d): %q", len(args), maxArgs, format))
	}
	t.format, t.count = format, uint8(len(args))
	var nums, xs int
	for i := range args {
		a := &args[i]
		t.kinds[i] = a.kind
		switch a.kind {
		case argString:
			t.s[i] = a.s
		case argInt, argDuration:
			t.n, nums = a.n, nums+1
		default:
			t.x, xs = a.x, xs+1
		}
	}
	if nums > 1 || xs > 1 {
		panic("nodes: a note with two integer, or two element or error, arguments: " + format)
	}
}

// IsZero reports whether t explains nothing.
func (t *Text) IsZero() bool { return t.format == "" }

// String formats the explanation: exactly what fmt.Sprintf of the format
// and the arguments' values makes (durations as time.Duration prints
// them, elements as their XML). It allocates; call it only when the words
// are wanted.
func (t *Text) String() string {
	if t.format == "" {
		return ""
	}
	var vals [maxArgs]any
	for i, k := range t.kinds[:t.count] {
		switch k {
		case argString:
			vals[i] = t.s[i]
		case argInt:
			vals[i] = t.n
		case argDuration:
			vals[i] = time.Duration(t.n)
		case argElement:
			vals[i] = string(t.x.(*xmlstream.Element).AppendXML(nil))
		case argError:
			vals[i] = t.x // the error itself: fmt prints it as the verb says
		}
	}
	return fmt.Sprintf(t.format, vals[:t.count]...)
}
