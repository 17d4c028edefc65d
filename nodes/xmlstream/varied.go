package xmlstream

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// VariedCorpusSize is the approximate size of VariedCorpus's output.
const VariedCorpusSize = 1 << 20

// VariedCorpus returns about VariedCorpusSize bytes of server-to-server
// traffic drawn from seed: one stream whose stanzas vary in everything a
// parser's speed depends on, so that a benchmark over it does not measure
// one sample's branch pattern learnt by heart (issue 16). Drawn per
// stanza: its kind (message, presence, iq, dialback, SASL), its size (a
// log-uniform draw from 100 B to 64 KiB, most stanzas small as in real
// traffic), element names from a pool of a few hundred (some prefixed,
// with their xmlns:p declared on the element), namespaces, how many
// attributes and in what order, single or double quotes, text with the
// five predefined entities, decimal and hexadecimal character references
// and multi-byte UTF-8, CDATA sections now and then, and whitespace
// keepalives between stanzas. Every stanza is well-formed and namespace-
// correct, so encoding/xml and this Parser both read the whole stream.
// The same seed gives the same bytes (math/rand/v2's PCG, no global
// source).
func VariedCorpus(seed uint64) []byte {
	g := &variedGen{r: rand.New(rand.NewPCG(seed, 0x5eed_c0c0a)), b: make([]byte, 0, VariedCorpusSize+80<<10)}
	g.names = g.namePool(300)
	g.header()
	for i := 0; len(g.b) < VariedCorpusSize; i++ {
		if g.r.IntN(8) == 0 {
			g.b = append(g.b, " \n\t"[:1+g.r.IntN(3)]...) // whitespace keepalive (RFC 6120 §11.7)
		}
		g.stanza(i)
	}
	g.b = append(g.b, "</stream:stream>"...)
	return g.b
}

type variedGen struct {
	r     *rand.Rand
	b     []byte
	names []string
}

var (
	variedSyllables = []string{"ro", "me", "ju", "li", "et", "ca", "pu", "let", "mon", "ta", "gue", "ver", "on", "a",
		"bal", "co", "ny", "or", "chard", "ty", "bal", "t", "x", "q", "ing", "ed", "s", "-", "_", "."}
	variedNamespaces = []string{"urn:xmpp:ping", "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/caps",
		"urn:xmpp:receipts", "urn:xmpp:chat-markers:0", "http://jabber.org/protocol/chatstates", "urn:xmpp:sid:0",
		"jabber:x:data", "urn:xmpp:mam:2", "http://jabber.org/protocol/pubsub#event", "urn:xmpp:hints",
		"http://jabber.org/protocol/xhtml-im", "http://www.w3.org/1999/xhtml", "urn:example:ext:%C3%A9",
		"urn:xmpp:delay", "jabber:iq:version", "urn:xmpp:time", "urn:xmpp:jingle:1", "vcard-temp"}
	variedText = []string{"hello", "wherefore art thou", "&amp;", "&lt;b&gt;", "&quot;quoted&quot;", "&apos;", "&#233;t&#233;",
		"&#x1F600;", "&#x263A;", "&#169;", "ça va", "日本語のテキスト", "Ελληνικά", "ümlaut", "—", " ", "\n", "  ", "42", "x > y",
		"e0ffe42b28561960c6b12b944a092794b9683a38", "tab\there", "&#10;", "&#x3c;not a tag&#x3E;"}
	variedPrefixes = []string{"x", "ns1", "ext", "p", "foo", "a"}
)

// namePool makes n distinct XML names, ASCII mostly, a few with non-ASCII
// letters.
func (g *variedGen) namePool(n int) []string {
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		name := ""
		for k := 1 + g.r.IntN(4); k > 0 || len(name) < 2; k-- {
			name += variedSyllables[g.r.IntN(len(variedSyllables))]
		}
		if c := name[0]; c == '-' || c == '.' || c == '_' {
			name = "n" + name
		}
		if g.r.IntN(20) == 0 {
			name += "é"
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

func (g *variedGen) quote() byte {
	if g.r.IntN(3) == 0 {
		return '"'
	}
	return '\''
}

// attrs writes the attributes in a random order, each in its own quotes.
func (g *variedGen) attrs(as [][2]string) {
	g.r.Shuffle(len(as), func(i, j int) { as[i], as[j] = as[j], as[i] })
	for _, a := range as {
		q := g.quote()
		g.b = append(g.b, ' ')
		g.b = append(g.b, a[0]...)
		if g.r.IntN(10) == 0 {
			g.b = append(g.b, " = "...)
		} else {
			g.b = append(g.b, '=')
		}
		g.b = append(g.b, q)
		g.b = append(g.b, a[1]...)
		g.b = append(g.b, q)
	}
}

func (g *variedGen) header() {
	if g.r.IntN(2) == 0 {
		g.b = append(g.b, "<?xml version='1.0'?>"...)
	} else {
		g.b = append(g.b, `<?xml version="1.0" encoding="UTF-8"?>`...)
	}
	g.b = append(g.b, "<stream:stream"...)
	g.attrs([][2]string{{"xmlns", NSServer}, {"xmlns:db", NSDialback}, {"xmlns:stream", NSStreams},
		{"from", "capulet.example"}, {"to", "montague.example"}, {"id", "D60000229F"}, {"version", "1.0"}, {"xml:lang", "en"}})
	g.b = append(g.b, '>')
	g.b = append(g.b, "<stream:features><dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>"...)
}

func (g *variedGen) jid() string {
	local := g.names[g.r.IntN(len(g.names))]
	dom := g.names[g.r.IntN(len(g.names))] + ".example"
	switch g.r.IntN(3) {
	case 0:
		return dom
	case 1:
		return local + "@" + dom
	}
	return local + "@" + dom + "/" + strconv.Itoa(g.r.IntN(1000))
}

// size draws a stanza's target size, log-uniform from 100 B to 64 KiB.
func (g *variedGen) size() int {
	return int(math.Exp2(math.Log2(100) + g.r.Float64()*(16-math.Log2(100))))
}

func (g *variedGen) stanza(i int) {
	n := strconv.Itoa(i)
	switch k := g.r.IntN(10); {
	case k == 0:
		g.b = append(g.b, "<db:result"...)
		g.attrs([][2]string{{"from", g.jid()}, {"to", g.jid()}})
		g.b = append(g.b, ">b4835385f37fe2895af6c196b59097b16862406db80559900d596b42a7fc4c0e</db:result>"...)
		return
	case k == 1:
		g.b = append(g.b, "<db:verify"...)
		g.attrs([][2]string{{"from", g.jid()}, {"to", g.jid()}, {"id", "417GAF25" + n}})
		g.b = append(g.b, "/>"...)
		return
	}
	name := [...]string{"message", "message", "message", "presence", "presence", "iq", "iq", "iq"}[g.r.IntN(8)]
	as := [][2]string{{"from", g.jid()}, {"to", g.jid()}, {"id", "s" + n + "-" + g.names[g.r.IntN(len(g.names))]}}
	switch name {
	case "message":
		as = append(as, [2]string{"type", [...]string{"chat", "normal", "groupchat", "headline"}[g.r.IntN(4)]})
	case "iq":
		as = append(as, [2]string{"type", [...]string{"get", "set", "result", "error"}[g.r.IntN(4)]})
	}
	if g.r.IntN(3) == 0 {
		as = append(as, [2]string{"xml:lang", [...]string{"en", "fr", "ja", "de-CH"}[g.r.IntN(4)]})
	}
	g.b = append(g.b, '<')
	g.b = append(g.b, name...)
	g.attrs(as)
	g.b = append(g.b, '>')
	end := len(g.b) + g.size() - 60
	for len(g.b) < end {
		g.child(0, end)
	}
	g.b = append(g.b, "</"...)
	g.b = append(g.b, name...)
	g.b = append(g.b, '>')
}

// child writes one child element (with text and, below a few levels,
// children of its own) until about end.
func (g *variedGen) child(depth, end int) {
	name := g.names[g.r.IntN(len(g.names))]
	var as [][2]string
	prefix := ""
	switch g.r.IntN(4) {
	case 0: // a prefixed element, its prefix declared on it
		prefix = variedPrefixes[g.r.IntN(len(variedPrefixes))]
		as = append(as, [2]string{"xmlns:" + prefix, variedNamespaces[g.r.IntN(len(variedNamespaces))]})
		name = prefix + ":" + name
	case 1, 2: // a default namespace
		as = append(as, [2]string{"xmlns", variedNamespaces[g.r.IntN(len(variedNamespaces))]})
	}
	for k := g.r.IntN(5); k > 0; k-- {
		an := g.names[g.r.IntN(len(g.names))]
		dup := false
		for _, a := range as {
			dup = dup || a[0] == an
		}
		if !dup {
			as = append(as, [2]string{an, g.text(1 + g.r.IntN(3))})
		}
	}
	if prefix != "" && g.r.IntN(2) == 0 {
		as = append(as, [2]string{prefix + ":attr", g.text(1)})
	}
	g.b = append(g.b, '<')
	g.b = append(g.b, name...)
	g.attrs(as)
	if g.r.IntN(5) == 0 {
		g.b = append(g.b, "/>"...)
		return
	}
	g.b = append(g.b, '>')
	for len(g.b) < end {
		switch r := g.r.IntN(10); {
		case r < 5:
			g.b = append(g.b, g.text(1+g.r.IntN(12))...)
		case r == 5:
			g.b = append(g.b, "<![CDATA[if (a < b && c) { return; }]]>"...)
		case r < 9 && depth < 6:
			g.child(depth+1, min(end, len(g.b)+64+g.r.IntN(2048)))
		}
		if g.r.IntN(3) == 0 {
			break
		}
	}
	g.b = append(g.b, "</"...)
	g.b = append(g.b, name...)
	g.b = append(g.b, '>')
}

// text joins k pieces of escaped text (no '<', every '&' a reference).
func (g *variedGen) text(k int) string {
	s := ""
	for ; k > 0; k-- {
		s += variedText[g.r.IntN(len(variedText))]
	}
	return s
}
