package xmlstream

import "strings"

// NewElement returns an element with the given qualified name and
// attributes, given as name, value pairs. When the attributes declare the
// namespace of the element's prefix ("xmlns" for an unprefixed name,
// "xmlns:db" for "db:result"), Space is set from it. An odd number of attrs
// is a programming error and panics.
func NewElement(name string, attrs ...string) *Element {
	if len(attrs)%2 != 0 {
		panic("xmlstream: NewElement(" + name + "): odd number of attribute strings")
	}
	e := &Element{Name: name}
	if len(attrs) > 0 {
		e.Attrs = make([]Attr, 0, len(attrs)/2)
		for i := 0; i < len(attrs); i += 2 {
			e.SetAttr(attrs[i], attrs[i+1])
		}
	}
	return e
}

// Attr returns the value of the attribute with the given qualified name, or
// "" if there is none.
func (e *Element) Attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// SetAttr sets the attribute with the given qualified name, replacing its
// value in place or appending it. Setting the declaration of the element's
// own namespace ("xmlns", or "xmlns:"+prefix) also sets Space, so that a
// hand-built element says what it means.
func (e *Element) SetAttr(name, value string) {
	if prefix, ok := strings.CutPrefix(name, "xmlns"); ok && (prefix == "" || prefix[0] == ':') {
		if own, _ := splitName(e.Name); (prefix == "" && own == "") || (prefix != "" && prefix[1:] == own) {
			e.Space = value
		}
	}
	for i := range e.Attrs {
		if e.Attrs[i].Name == name {
			e.Attrs[i].Value = value
			return
		}
	}
	e.Attrs = append(e.Attrs, Attr{Name: name, Value: value})
}

// Local returns the local part of the element's name ("result" for
// "db:result").
func (e *Element) Local() string {
	_, local := splitName(e.Name)
	return local
}

// Clone returns a deep copy of e in storage of its own (one allocation for
// the small trees of s2s traffic). The strings are shared: they are
// immutable. Keep a Clone of an element a Parser with Borrow lent.
func (e *Element) Clone() *Element {
	nEl, nAttr, nNode := e.size()
	a := newTreeAlloc(nEl, nAttr, nNode)
	return a.copy(e)
}

// size counts the elements, attributes and child nodes of the tree at e.
func (e *Element) size() (nEl, nAttr, nNode int) {
	nEl, nAttr, nNode = 1, len(e.Attrs), len(e.Nodes)
	for _, n := range e.Nodes {
		if n.Elem != nil {
			a, b, c := n.Elem.size()
			nEl, nAttr, nNode = nEl+a, nAttr+b, nNode+c
		}
	}
	return nEl, nAttr, nNode
}

// AddChild appends c as the last child and returns c, so that building
// reads top-down: e.AddChild(NewElement("ping", "xmlns", "urn:xmpp:ping")).
func (e *Element) AddChild(c *Element) *Element {
	e.Nodes = append(e.Nodes, Node{Elem: c})
	return c
}

// AddText appends character data (unescaped; AppendXML escapes it). Empty
// text adds nothing.
func (e *Element) AddText(s string) {
	if s != "" {
		e.Nodes = append(e.Nodes, Node{Text: s})
	}
}

// Text returns the concatenated character data of the direct text children
// (the key of a <db:result/>, the base64 of an <auth/>).
func (e *Element) Text() string {
	var n int
	var only string
	for _, c := range e.Nodes {
		if c.Elem == nil && c.Text != "" {
			n++
			only = c.Text
		}
	}
	if n <= 1 {
		return only
	}
	var b strings.Builder
	for _, c := range e.Nodes {
		if c.Elem == nil {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// Child returns the first child element whose local name is local, or nil.
func (e *Element) Child(local string) *Element {
	for _, c := range e.Nodes {
		if c.Elem != nil && c.Elem.Local() == local {
			return c.Elem
		}
	}
	return nil
}

// ChildNS returns the first child element with the given namespace and
// local name, or nil.
func (e *Element) ChildNS(space, local string) *Element {
	for _, c := range e.Nodes {
		if c.Elem != nil && c.Elem.Space == space && c.Elem.Local() == local {
			return c.Elem
		}
	}
	return nil
}

// Children returns the child elements in order (text is skipped).
func (e *Element) Children() []*Element {
	var out []*Element
	for _, c := range e.Nodes {
		if c.Elem != nil {
			out = append(out, c.Elem)
		}
	}
	return out
}

// AppendXML appends the element as XML: <name attrs...>children</name>, or
// <name attrs/> when it has no nodes. Attribute values are single-quoted,
// as in the RFC 6120 examples. Namespace declarations are written only as
// the attributes say: an element keeps the xmlns attributes it was parsed
// with, and a hand-built one must carry its own.
//
// Escaping is what makes the output re-parse to the same element: '&', '<'
// and '>' always (so "]]>" can never appear), "'" in attribute values, and
// the characters that a parser would otherwise normalise away — '\r' in
// text, tab/newline/'\r' in attribute values — as character references.
// The caller must keep names valid and text within XML's Char production.
func (e *Element) AppendXML(dst []byte) []byte {
	dst = append(dst, '<')
	dst = append(dst, e.Name...)
	dst = appendAttrs(dst, e.Attrs)
	if len(e.Nodes) == 0 {
		return append(dst, '/', '>')
	}
	dst = append(dst, '>')
	for _, n := range e.Nodes {
		if n.Elem != nil {
			dst = n.Elem.AppendXML(dst)
		} else {
			dst = appendEscaped(dst, n.Text, false)
		}
	}
	dst = append(dst, '<', '/')
	dst = append(dst, e.Name...)
	return append(dst, '>')
}

// String returns the element as XML (see AppendXML).
func (e *Element) String() string { return string(e.AppendXML(nil)) }

// AppendXML appends the stream header's opening tag, attributes in order:
// <stream:stream a='b' ...>. Like Element.AppendXML it single-quotes values.
// Prefix returns the namespace the header binds prefix to ("stream",
// "db"), and whether it declares it. A scan of Attrs rather than a map: a
// header has a handful of attributes, and a map per received header was a
// tenth of what a federation allocated.
func (h *Header) Prefix(prefix string) (uri string, ok bool) {
	for _, a := range h.Attrs {
		if p, found := strings.CutPrefix(a.Name, "xmlns:"); found && p == prefix {
			return a.Value, true
		}
	}
	return "", false
}

// Declares reports whether the header binds some prefix to uri.
func (h *Header) Declares(uri string) bool {
	for _, a := range h.Attrs {
		if a.Value == uri && strings.HasPrefix(a.Name, "xmlns:") {
			return true
		}
	}
	return false
}

func (h *Header) AppendXML(dst []byte) []byte {
	name := h.Name
	if name == "" {
		name = "stream:stream"
	}
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = appendAttrs(dst, h.Attrs)
	return append(dst, '>')
}

func appendAttrs(dst []byte, attrs []Attr) []byte {
	for _, a := range attrs {
		dst = AppendAttr(dst, a.Name, a.Value)
	}
	return dst
}

// AppendAttr appends " name='value'" with the value escaped as AppendXML
// escapes it: for writers that serialise without building a tree.
func AppendAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=', '\'')
	dst = appendEscaped(dst, value, true)
	return append(dst, '\'')
}

// AppendText appends character data escaped as AppendXML escapes it.
func AppendText(dst []byte, s string) []byte { return appendEscaped(dst, s, false) }

// appendEscaped appends s with the escapes described at Element.AppendXML.
func appendEscaped(dst []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch c := s[i]; c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		case '\'':
			if !attr {
				continue
			}
			esc = "&apos;"
		case '\t':
			if !attr {
				continue
			}
			esc = "&#x9;"
		case '\n':
			if !attr {
				continue
			}
			esc = "&#xA;"
		default:
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}
