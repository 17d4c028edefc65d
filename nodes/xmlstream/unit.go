package xmlstream

// unitStream is the stream header a trace's elements are parsed in: a
// jabber:server stream that declares the dialback prefix, as servers send
// them (RFC 6120 §4.8.3, XEP-0220 §2.3).
const unitStream = "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams'>"

// ParseUnit parses one XML unit as a trace records it (what a server wrote
// in one go): a stream header, returned as an element with the header's
// qualified name and attributes, or one complete first-level element,
// parsed in a jabber:server stream with the dialback prefix declared. It
// returns nil for a closing tag and for what does not parse. Readers of
// transcripts (diagrams, expectations, the invariant checker, interop's
// comparisons) all read units with it.
func ParseUnit(x string) *Element {
	if x == "" || (len(x) > 1 && x[:2] == "</") {
		return nil
	}
	p := NewParser()
	p.Feed([]byte(x))
	if tok, ok, err := p.Next(); err == nil && ok && tok.Kind == TokStreamStart {
		name := tok.Header.Name
		if name == "" {
			name = "stream:stream"
		}
		return &Element{Name: name, Attrs: tok.Header.Attrs}
	}
	p = NewParser()
	p.Feed([]byte(unitStream))
	p.Feed([]byte(x))
	for {
		tok, ok, err := p.Next()
		if err != nil || !ok {
			return nil
		}
		if tok.Kind == TokElement {
			return tok.Elem
		}
	}
}
