package xmlstream

// This file fixes the package's API. The implementation lives beside it.

// Namespaces used on server-to-server streams (RFC 6120 §4.8, XEP-0220 §2.3).
const (
	NSStreams  = "http://etherx.jabber.org/streams"
	NSServer   = "jabber:server"
	NSDialback = "jabber:server:dialback"
	NSXML      = "http://www.w3.org/XML/1998/namespace"
)

// Attr is one attribute exactly as written on the wire: Name is the
// qualified name ("from", "xml:lang", "xmlns", "xmlns:db"), Value the
// unescaped value. Namespace declarations are kept as attributes so that an
// element re-serialises to what was sent.
type Attr struct {
	Name  string
	Value string
}

// Element is one XML element. Name is the qualified name as written
// ("db:result", "iq", "stream:features"); Space is the namespace URI it
// resolves to in its context (filled by the parser; for elements built by
// hand, set it yourself or leave it empty). Children and text are kept in
// document order in Nodes.
type Element struct {
	Name  string
	Space string
	Attrs []Attr
	Nodes []Node
}

// Node is a child of an Element: either an element (Elem != nil) or
// character data (Text, unescaped).
type Node struct {
	Elem *Element
	Text string
}

// Header is the opening tag of a stream (<stream:stream ...>), RFC 6120 §4.7.
type Header struct {
	// Name is the qualified name of the root element as written
	// ("stream:stream"); the closing tag must repeat it. Empty means
	// "stream:stream" (for headers built by hand).
	Name string
	// Attrs in the order written, including namespace declarations.
	Attrs []Attr
	// Convenience copies of the common attributes ("" when absent).
	From, To, ID, Version, Lang string
	// DefaultNS is the default namespace ("jabber:server"); Prefix looks up
	// the prefixes the header declares ("stream", "db") in Attrs.
	DefaultNS string
	// Raw is the opening tag exactly as received (for the trace); empty
	// when the Parser discards raw bytes (DiscardRaw).
	Raw string
}

// TokenKind says what a Token holds.
type TokenKind uint8

const (
	// TokStreamStart: the stream header arrived (Token.Header).
	TokStreamStart TokenKind = iota + 1
	// TokElement: a complete first-level child of the stream arrived
	// (Token.Elem, Token.Raw is its bytes exactly as received).
	TokElement
	// TokStreamEnd: the closing </stream:stream> arrived.
	TokStreamEnd
)

// Token is one unit the Parser hands to the protocol state machines.
type Token struct {
	Kind   TokenKind
	Header *Header
	Elem   *Element
	Raw    []byte
}

// StreamError is a violation of RFC 6120 that must be answered with a stream
// error (RFC 6120 §4.9.3). Condition is the defined condition's element name,
// e.g. "not-well-formed", "restricted-xml", "invalid-namespace",
// "bad-namespace-prefix", "bad-format", "invalid-xml", "unsupported-encoding".
type StreamError struct {
	Condition string
	Text      string // human readable detail, e.g. "comment at byte 120"
	Offset    int64  // byte offset in the stream where the fault was found
}

func (e *StreamError) Error() string {
	return "xmlstream: " + e.Condition + ": " + e.Text
}
