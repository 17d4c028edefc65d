package xmlstream

import "testing"

func TestParseUnit(t *testing.T) {
	for _, c := range []struct{ in, name, attr string }{
		{"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='a.lit' to='b.lit' version='1.0'>", "stream:stream", "a.lit"},
		{"<db:result from='a.lit' to='b.lit'>abc</db:result>", "db:result", "a.lit"},
		{"<iq from='a.lit' id='1' to='b.lit' type='get'><ping xmlns='urn:xmpp:ping'/></iq>", "iq", "a.lit"},
		{"</stream:stream>", "", ""},
		{"<unclosed", "", ""},
		{"", "", ""},
	} {
		e := ParseUnit(c.in)
		switch {
		case c.name == "" && e != nil:
			t.Errorf("%q: %v, want nil", c.in, e.Name)
		case c.name != "" && (e == nil || e.Name != c.name || e.Attr("from") != c.attr):
			t.Errorf("%q: %+v, want %s from %s", c.in, e, c.name, c.attr)
		}
	}
	if e := ParseUnit("<db:result from='a.lit' to='b.lit'>k</db:result>"); e.Space != NSDialback {
		t.Errorf("db:result resolves to %q, want %s", e.Space, NSDialback)
	}
}
