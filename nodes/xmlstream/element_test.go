package xmlstream

import (
	"reflect"
	"testing"
)

func TestBuildAndSerialize(t *testing.T) {
	iq := NewElement("iq", "type", "get", "id", "p1", "to", "example.net")
	ping := iq.AddChild(NewElement("ping", "xmlns", "urn:xmpp:ping"))
	if ping.Space != "urn:xmpp:ping" {
		t.Errorf("ping.Space = %q, want it taken from xmlns", ping.Space)
	}
	if got, want := iq.String(), "<iq type='get' id='p1' to='example.net'><ping xmlns='urn:xmpp:ping'/></iq>"; got != want {
		t.Errorf("String:\n got  %s\n want %s", got, want)
	}

	res := NewElement("db:result", "xmlns:db", NSDialback, "from", "a", "to", "b")
	if res.Space != NSDialback || res.Local() != "result" {
		t.Errorf("db:result: Space %q, Local %q", res.Space, res.Local())
	}
	res.AddText("k1")
	res.AddText("")
	res.AddText("k2")
	if res.Text() != "k1k2" || len(res.Nodes) != 2 {
		t.Errorf("Text %q, %d nodes", res.Text(), len(res.Nodes))
	}

	res.SetAttr("to", "c")
	res.SetAttr("type", "valid")
	if res.Attr("to") != "c" || res.Attr("type") != "valid" || res.Attr("nope") != "" || len(res.Attrs) != 4 {
		t.Errorf("attrs after SetAttr: %+v", res.Attrs)
	}
}

func TestEscaping(t *testing.T) {
	e := NewElement("m", "a", "x'y\"<&>\t\n\r")
	e.AddText("<&>'\"\r\n]]>")
	want := `<m a='x&apos;y"&lt;&amp;&gt;&#x9;&#xA;&#xD;'>&lt;&amp;&gt;'"&#xD;` + "\n" + `]]&gt;</m>`
	if got := e.String(); got != want {
		t.Fatalf("String:\n got  %s\n want %s", got, want)
	}
	// What is written reads back as what was built.
	p := NewParser()
	p.Feed([]byte(testHeader + want))
	p.Next()
	tok, ok, err := p.Next()
	if !ok || err != nil {
		t.Fatalf("re-parse: %v %v", ok, err)
	}
	if tok.Elem.Attr("a") != e.Attr("a") || tok.Elem.Text() != e.Text() {
		t.Errorf("re-parsed %+v, built %+v", tok.Elem, e)
	}
}

func TestNavigation(t *testing.T) {
	p := NewParser()
	p.Feed([]byte(testHeader + "<stream:features>" +
		"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" +
		"text<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms>" +
		"</stream:features>"))
	p.Next()
	tok, _, _ := p.Next()
	f := tok.Elem
	kids := f.Children()
	if len(kids) != 2 || kids[0].Local() != "starttls" || kids[1].Local() != "mechanisms" {
		t.Fatalf("Children: %v", kids)
	}
	if f.Child("mechanisms") != kids[1] || f.Child("nope") != nil {
		t.Error("Child")
	}
	if f.ChildNS(nsSASL, "mechanisms") != kids[1] || f.ChildNS(nsTLS, "mechanisms") != nil {
		t.Error("ChildNS")
	}
	if f.Text() != "text" {
		t.Errorf("Text = %q", f.Text())
	}
	if m := kids[1].Child("mechanism"); m == nil || m.Space != nsSASL || m.Text() != "EXTERNAL" {
		t.Errorf("mechanism: %+v", m)
	}
}

// TestSlabIsolation: slices handed out by the parser share backing arrays;
// appending to one must not disturb another.
func TestSlabIsolation(t *testing.T) {
	p := NewParser()
	p.Feed([]byte(testHeader + "<a x='1'><b/></a><c y='2'><d/></c>"))
	p.Next()
	t1, _, _ := p.Next()
	t2, _, _ := p.Next()
	a, c := t1.Elem, t2.Elem
	before := c.String()
	a.SetAttr("z", "3")
	a.AddChild(NewElement("e"))
	_ = append(t1.Raw, "junk"...)
	if c.String() != before || string(t2.Raw) != before {
		t.Errorf("second element changed: %s / %s, was %s", c, t2.Raw, before)
	}
}

func TestHeaderAppendXML(t *testing.T) {
	h := &Header{Attrs: []Attr{{"xmlns", NSServer}, {"xmlns:stream", NSStreams}, {"to", "a'b"}}}
	want := "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='a&apos;b'>"
	if got := string(h.AppendXML(nil)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestNewElementOddPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for an odd attribute list")
		}
	}()
	NewElement("iq", "type")
}

func TestParsedEqualsBuilt(t *testing.T) {
	built := NewElement("iq", "xmlns", NSServer, "type", "get")
	built.AddChild(NewElement("ping", "xmlns", "urn:xmpp:ping"))
	p := NewParser()
	p.Feed([]byte(testHeader + built.String()))
	p.Next()
	tok, _, _ := p.Next()
	if !reflect.DeepEqual(tok.Elem, built) {
		t.Errorf("parsed %+v\nbuilt %+v", tok.Elem, built)
	}
}

// TestClone: a clone equals its original, shares nothing mutable with it,
// and takes one allocation for a small tree.
func TestClone(t *testing.T) {
	e := NewElement("message", "from", "a@b", "to", "c@d")
	e.AddChild(NewElement("body")).AddText("hi")
	e.AddChild(NewElement("x", "xmlns", "urn:x")).AddChild(NewElement("y"))
	e.AddText("tail")
	c := e.Clone()
	if !reflect.DeepEqual(c, e) || c == e {
		t.Fatalf("clone %s differs from %s", c, e)
	}
	c.SetAttr("to", "z@z")
	c.Children()[0].AddText("!")
	if e.Attr("to") != "c@d" || e.Children()[0].Text() != "hi" {
		t.Fatalf("changing the clone changed the original: %s", e)
	}
	if n := testing.AllocsPerRun(100, func() { _ = e.Clone() }); n != 1 {
		t.Errorf("Clone of a 4-element tree: %v allocations, want 1", n)
	}
}
