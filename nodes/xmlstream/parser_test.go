package xmlstream

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const (
	testHeader = "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback'" +
		" xmlns:stream='http://etherx.jabber.org/streams'" +
		" from='example.org' to='example.net' id='s2s-4e8a' version='1.0' xml:lang='en'>"
	dialbackKey = "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643"
	nsTLS       = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL      = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsXMPPErr   = "urn:ietf:params:xml:ns:xmpp-streams"
)

// transcriptElements are the first-level elements of a realistic s2s
// stream, in canonical form (single quotes, no insignificant whitespace in
// tags), so that they also serve the round-trip test.
var transcriptElements = []string{
	"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
	"<db:result from='example.org' to='example.net'>" + dialbackKey + "</db:result>",
	"<db:verify from='example.org' id='417GAF25' to='example.net'>" + dialbackKey + "</db:verify>",
	"<iq from='example.org' id='ping-1' to='example.net' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
	"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>ZXhhbXBsZS5vcmc=</auth>",
	"<message from='juliet@example.org/balcony' to='romeo@example.net' type='chat' xml:lang='en'>" +
		"<body>a &lt;b&gt; &amp; c — ça, 日本</body></message>",
	"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
		"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>unknown host</text></stream:error>",
}

func transcript() string {
	return "<?xml version='1.0'?>" + testHeader + "\n" +
		strings.Join(transcriptElements, "\n ") + "\n</stream:stream>"
}

// result is one outcome of Next: a token or an error.
type result struct {
	Tok Token
	Err string
}

func (r result) String() string {
	if r.Err != "" {
		return "error " + r.Err
	}
	switch r.Tok.Kind {
	case TokStreamStart:
		return fmt.Sprintf("start %q", r.Tok.Raw)
	case TokElement:
		return fmt.Sprintf("element %q", r.Tok.Raw)
	case TokStreamEnd:
		return fmt.Sprintf("end %q", r.Tok.Raw)
	}
	return fmt.Sprintf("kind %d", r.Tok.Kind)
}

// restartAfter says whether a token ends a negotiation that restarts the
// stream (STARTTLS <proceed/>, SASL <success/>; RFC 6120 §4.3.3).
func restartAfter(tok Token) bool {
	return tok.Kind == TokElement && (tok.Elem.Local() == "proceed" || tok.Elem.Local() == "success")
}

// feedAll feeds chunks one after another, draining tokens after each, and
// returns everything Next produced, stopping at the first error.
func feedAll(p *Parser, chunks [][]byte) []result {
	var out []result
	for _, c := range chunks {
		p.Feed(c)
		for {
			tok, ok, err := p.Next()
			if err != nil {
				var se *StreamError
				if !errors.As(err, &se) {
					panic(fmt.Sprintf("error %T is not a *StreamError", err))
				}
				return append(out, result{Err: fmt.Sprintf("%s|%d|%s", se.Condition, se.Offset, se.Text)})
			}
			if !ok {
				break
			}
			if p.Borrow {
				tok = keep(tok) // lent: the next call reuses its space
			}
			out = append(out, result{Tok: tok})
			if restartAfter(tok) {
				p.Restart()
			}
		}
	}
	return out
}

func whole(in string) [][]byte { return [][]byte{[]byte(in)} }

func bytewise(in string) [][]byte {
	out := make([][]byte, len(in))
	for i := 0; i < len(in); i++ { // not range: that skips UTF-8 continuation bytes
		out[i] = []byte{in[i]}
	}
	return out
}

func parseWith(in string, chunks func(string) [][]byte, setup func(*Parser)) []result {
	p := NewParser()
	if setup != nil {
		setup(p)
	}
	return feedAll(p, chunks(in))
}

func sameResults(t *testing.T, what string, got, want []result) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w result
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: result %d differs:\n got  %v\n want %v", what, i, g, w)
		}
	}
}

func TestTranscript(t *testing.T) {
	in := transcript()
	res := parseWith(in, whole, nil)
	if n := len(transcriptElements) + 2; len(res) != n {
		t.Fatalf("got %d results, want %d: %v", len(res), n, res)
	}
	for _, r := range res {
		if r.Err != "" {
			t.Fatalf("unexpected error: %s", r.Err)
		}
	}

	h := res[0].Tok.Header
	if res[0].Tok.Kind != TokStreamStart || h == nil {
		t.Fatalf("first token: %v", res[0])
	}
	wantHeader := &Header{
		Name: "stream:stream",
		Attrs: []Attr{
			{"xmlns", NSServer}, {"xmlns:db", NSDialback}, {"xmlns:stream", NSStreams},
			{"from", "example.org"}, {"to", "example.net"}, {"id", "s2s-4e8a"},
			{"version", "1.0"}, {"xml:lang", "en"},
		},
		From: "example.org", To: "example.net", ID: "s2s-4e8a", Version: "1.0", Lang: "en",
		DefaultNS: NSServer,
		Raw:       testHeader,
	}
	if !reflect.DeepEqual(h, wantHeader) {
		t.Errorf("header:\n got  %+v\n want %+v", h, wantHeader)
	}
	for _, c := range []struct {
		prefix, uri string
		ok          bool
	}{{"db", NSDialback, true}, {"stream", NSStreams, true}, {"", "", false}, {"xml", "", false}, {"x", "", false}} {
		if uri, ok := h.Prefix(c.prefix); uri != c.uri || ok != c.ok {
			t.Errorf("Prefix(%q) = %q, %v; want %q, %v", c.prefix, uri, ok, c.uri, c.ok)
		}
	}
	if !h.Declares(NSDialback) || h.Declares(NSServer) {
		t.Errorf("Declares: dialback %v (want true), jabber:server as a prefix %v (want false)", h.Declares(NSDialback), h.Declares(NSServer))
	}

	for i, raw := range transcriptElements {
		tok := res[i+1].Tok
		if tok.Kind != TokElement || string(tok.Raw) != raw {
			t.Errorf("element %d: got %v, want raw %q", i, res[i+1], raw)
		}
	}
	el := func(i int) *Element { return res[i+1].Tok.Elem }

	features := el(0)
	if features.Space != NSStreams || features.Local() != "features" {
		t.Errorf("features: %q in %q", features.Name, features.Space)
	}
	if st := features.ChildNS(nsTLS, "starttls"); st == nil || st.ChildNS(nsTLS, "required") == nil {
		t.Errorf("features: no starttls/required in %s", features)
	}
	result := el(1)
	if result.Space != NSDialback || result.Local() != "result" || result.Text() != dialbackKey ||
		result.Attr("from") != "example.org" || result.Attr("to") != "example.net" {
		t.Errorf("db:result: %+v", result)
	}
	verify := el(2)
	if verify.Space != NSDialback || verify.Attr("id") != "417GAF25" || verify.Text() != dialbackKey {
		t.Errorf("db:verify: %+v", verify)
	}
	iq := el(3)
	if iq.Space != NSServer || iq.Attr("type") != "get" || iq.ChildNS("urn:xmpp:ping", "ping") == nil {
		t.Errorf("iq: %+v", iq)
	}
	auth := el(4)
	if auth.Space != nsSASL || auth.Attr("mechanism") != "EXTERNAL" || auth.Text() != "ZXhhbXBsZS5vcmc=" {
		t.Errorf("auth: %+v", auth)
	}
	msg := el(5)
	if body := msg.Child("body"); body == nil || body.Space != NSServer || body.Text() != "a <b> & c — ça, 日本" {
		t.Errorf("message body: %+v", msg.Child("body"))
	}
	if msg.Attr("xml:lang") != "en" {
		t.Errorf("message xml:lang: %+v", msg.Attrs)
	}
	serr := el(6)
	if serr.Space != NSStreams || serr.ChildNS(nsXMPPErr, "host-unknown") == nil {
		t.Errorf("stream:error: %s", serr)
	}
	if text := serr.ChildNS(nsXMPPErr, "text"); text == nil || text.Text() != "unknown host" || text.Attr("xml:lang") != "en" {
		t.Errorf("stream:error text: %+v", text)
	}

	end := res[len(res)-1].Tok
	if end.Kind != TokStreamEnd || string(end.Raw) != "</stream:stream>" {
		t.Errorf("last token: %v", res[len(res)-1])
	}
}

// TestTranscriptSplits feeds the transcript whole, byte by byte, and split
// at every single point: the tokens must be identical.
func TestTranscriptSplits(t *testing.T) {
	in := transcript()
	want := parseWith(in, whole, nil)
	sameResults(t, "byte by byte", parseWith(in, bytewise, nil), want)
	for i := 1; i < len(in); i++ {
		split := func(s string) [][]byte { return [][]byte{[]byte(s[:i]), []byte(s[i:])} }
		sameResults(t, fmt.Sprintf("split at %d", i), parseWith(in, split, nil), want)
	}

	// With a size limit that some elements exceed, the error (found at
	// start+MaxElementBytes) must not depend on the split either.
	// (A short header, so that elements reach the limit first.)
	in = "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback'" +
		" xmlns:stream='http://etherx.jabber.org/streams'>" + strings.Join(transcriptElements, "") + "</stream:stream>"
	for _, limit := range []int{122, 140, 160} {
		small := func(p *Parser) { p.MaxElementBytes = limit }
		want := parseWith(in, whole, small)
		if last := want[len(want)-1]; !strings.HasPrefix(last.Err, CondPolicyViolation) {
			t.Fatalf("limit %d: last result %v", limit, last)
		}
		sameResults(t, "byte by byte, small limit", parseWith(in, bytewise, small), want)
		for i := 1; i < len(in); i++ {
			split := func(s string) [][]byte { return [][]byte{[]byte(s[:i]), []byte(s[i:])} }
			sameResults(t, fmt.Sprintf("split at %d, small limit", i), parseWith(in, split, small), want)
		}
	}
}

// TestRoundTrip: for canonical input, AppendXML reproduces the bytes
// received.
func TestRoundTrip(t *testing.T) {
	for _, r := range parseWith(transcript(), whole, nil) {
		switch r.Tok.Kind {
		case TokStreamStart:
			if got := string(r.Tok.Header.AppendXML(nil)); got != r.Tok.Header.Raw {
				t.Errorf("header:\n got  %s\n want %s", got, r.Tok.Header.Raw)
			}
		case TokElement:
			if got := r.Tok.Elem.String(); got != string(r.Tok.Raw) {
				t.Errorf("element:\n got  %s\n want %s", got, r.Tok.Raw)
			}
		}
	}
}

func TestCorpusParses(t *testing.T) {
	c := Corpus()
	if len(c) < 60<<10 || len(c) > 70<<10 {
		t.Errorf("Corpus is %d bytes, want about 64 KiB", len(c))
	}
	res := parseWith(string(c), whole, nil)
	if last := res[len(res)-1]; last.Err != "" || last.Tok.Kind != TokStreamEnd {
		t.Fatalf("corpus ends with %v", last)
	}
	chunked := func(s string) [][]byte {
		var out [][]byte
		for i := 0; i < len(s); i += 1000 {
			out = append(out, []byte(s[i:min(i+1000, len(s))]))
		}
		return out
	}
	sameResults(t, "corpus in 1000-byte pieces", parseWith(string(c), chunked, nil), res)
}

func TestRestart(t *testing.T) {
	const header2 = "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'" +
		" from='example.org' to='example.net' version='1.0'>"
	in := "<?xml version='1.0'?>" + testHeader +
		"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>" +
		"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" +
		"<?xml version='1.0'?>" + header2 +
		"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>" +
		"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + header2 + "</stream:stream>"
	res := parseWith(in, whole, nil)
	var kinds []string
	for _, r := range res {
		if r.Err != "" {
			t.Fatalf("error: %s (results so far %v)", r.Err, kinds)
		}
		s := map[TokenKind]string{TokStreamStart: "start", TokStreamEnd: "end"}[r.Tok.Kind]
		if r.Tok.Kind == TokElement {
			s = r.Tok.Elem.Local()
		}
		kinds = append(kinds, s)
	}
	want := []string{"start", "features", "proceed", "start", "auth", "success", "start", "end"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("tokens %v, want %v", kinds, want)
	}
	if h := res[3].Tok.Header; h.Raw != header2 || h.ID != "" || hasPrefix(h, "db") {
		t.Errorf("second header: %+v", h)
	}
	sameResults(t, "byte by byte", parseWith(in, bytewise, nil), res)

	// Without the restart, the new XML declaration is a processing
	// instruction inside the old stream.
	p := NewParser()
	p.Feed([]byte(in))
	var err error
	for err == nil {
		var ok bool
		if _, ok, err = p.Next(); !ok && err == nil {
			t.Fatal("no error without Restart")
		}
	}
	if se := err.(*StreamError); se.Condition != CondRestrictedXML {
		t.Errorf("without Restart: %v", err)
	}
}

// TestRestartRewinds: bytes of the new stream that Next had already begun
// to scan under the old stream's rules are scanned again after Restart.
func TestRestartRewinds(t *testing.T) {
	p := NewParser()
	p.Feed([]byte(testHeader + "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><stream:stream xmlns='jabber:server' xmlns:st"))
	for i, want := range []TokenKind{TokStreamStart, TokElement} {
		if tok, ok, err := p.Next(); !ok || err != nil || tok.Kind != want {
			t.Fatalf("token %d: %v %v %v", i, tok, ok, err)
		}
	}
	off := p.Offset()
	if _, ok, err := p.Next(); ok || err != nil {
		t.Fatalf("partial header: ok=%v err=%v", ok, err)
	}
	p.Restart()
	if p.Offset() != off {
		t.Errorf("Offset after Restart = %d, want %d", p.Offset(), off)
	}
	p.Feed([]byte("ream='http://etherx.jabber.org/streams' id='2'>"))
	tok, ok, err := p.Next()
	if !ok || err != nil || tok.Kind != TokStreamStart || tok.Header.ID != "2" {
		t.Fatalf("after Restart: %+v %v %v", tok, ok, err)
	}
}

func TestSelfClosingHeader(t *testing.T) {
	in := "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'/>"
	res := parseWith(in, whole, nil)
	if len(res) != 2 || res[0].Tok.Kind != TokStreamStart || res[1].Tok.Kind != TokStreamEnd {
		t.Fatalf("got %v", res)
	}
}

// TestAccepted lists inputs that look odd but are allowed.
func TestAccepted(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		check    func(*Element) bool
	}{
		{"CDATA section (not forbidden by RFC 6120 §11.1)",
			"<message><body>a<![CDATA[<b>&amp;]]>c</body></message>",
			func(e *Element) bool { return e.Child("body").Text() == "a<b>&amp;c" }},
		{"character references", "<message><body>&#65;&#x42;&#x1F600;</body></message>",
			func(e *Element) bool { return e.Child("body").Text() == "AB\U0001F600" }},
		{"all predefined entities", "<m a='&lt;&gt;&amp;&quot;&apos;'>&lt;&gt;&amp;&quot;&apos;</m>",
			func(e *Element) bool { return e.Attr("a") == `<>&"'` && e.Text() == `<>&"'` }},
		{"double quotes and spaces in tags", `<iq  type = "get"  id="1" ></iq >`,
			func(e *Element) bool { return e.Attr("type") == "get" && e.Attr("id") == "1" }},
		{"line ends normalised", "<m a='x\r\ny\tz'>1\r\n2\r3</m>",
			func(e *Element) bool { return e.Attr("a") == "x y z" && e.Text() == "1\n2\n3" }},
		{"nested default namespace", "<iq><query xmlns='jabber:iq:version'><name/></query></iq>",
			func(e *Element) bool {
				return e.Space == NSServer && e.Child("query").Child("name").Space == "jabber:iq:version"
			}},
		{"prefix declared on a child", "<message><x:y xmlns:x='urn:x' x:a='1'/></message>",
			func(e *Element) bool { return e.Child("y").Space == "urn:x" }},
		{"xml prefix is predeclared", "<message xml:lang='de'/>",
			func(e *Element) bool { return e.Attr("xml:lang") == "de" }},
		{"non-ASCII names", "<ä xmlns='urn:ü'><b:ö xmlns:b='urn:b'/></ä>",
			func(e *Element) bool { return e.Space == "urn:ü" && e.Child("ö").Space == "urn:b" }},
		{"'>' and ']]' in text", "<m>a]]b>c</m>", func(e *Element) bool { return e.Text() == "a]]b>c" }},
		{"exactly MaxDepth", strings.Repeat("<a>", DefaultMaxDepth) + strings.Repeat("</a>", DefaultMaxDepth),
			func(e *Element) bool { return e.Name == "a" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := testHeader + tc.in
			res := parseWith(in, whole, nil)
			if len(res) != 2 || res[1].Err != "" || res[1].Tok.Kind != TokElement {
				t.Fatalf("got %v", res)
			}
			if !tc.check(res[1].Tok.Elem) {
				t.Errorf("unexpected element %s (%+v)", res[1].Tok.Elem, res[1].Tok.Elem)
			}
			sameResults(t, "byte by byte", parseWith(in, bytewise, nil), res)
		})
	}
}

func TestXMLDeclaration(t *testing.T) {
	for _, tc := range []struct{ decl, cond string }{
		{"<?xml version='1.0'?>", ""},
		{`<?xml version="1.0" encoding="UTF-8"?>`, ""},
		{"<?xml version='1.0' encoding='utf-8' standalone='yes' ?>", ""},
		{"<?xml version='1.0' encoding='ISO-8859-1'?>", CondUnsupportedEncoding},
		{"<?xml version='1.0' encoding='UTF-16'?>", CondUnsupportedEncoding},
		{"<?xml encoding='UTF-8'?>", CondNotWellFormed},
		{"<?xml version='2.0'?>", CondNotWellFormed},
		{"<?xml version='1.0' foo='bar'?>", CondNotWellFormed},
		{"<?xml version='1.0'encoding='UTF-8'?>", CondNotWellFormed},
		{" <?xml version='1.0'?>", CondRestrictedXML}, // not at the very start: a PI
		{"<?xml-stylesheet href='a'?>", CondRestrictedXML},
		{"<?xml version='1.0'?><?xml version='1.0'?>", CondRestrictedXML},
	} {
		res := parseWith(tc.decl+testHeader, whole, nil)
		got := ""
		if last := res[len(res)-1]; last.Err != "" {
			got = strings.SplitN(last.Err, "|", 2)[0]
		}
		if got != tc.cond {
			t.Errorf("%q: got %q (%v), want %q", tc.decl, got, res, tc.cond)
		}
	}
}

type violation struct {
	name  string
	in    string // fed after testHeader unless header is set
	cond  string
	setup func(*Parser)
	// noHeader: in is the whole stream.
	noHeader bool
}

var violations = []violation{
	// RFC 6120 §11.1: restricted XML.
	{name: "comment at stream level", in: "<!-- hi -->", cond: CondRestrictedXML},
	{name: "comment in stanza", in: "<message><!-- hi --></message>", cond: CondRestrictedXML},
	{name: "comment before header", in: "<!-- hi -->" + testHeader, cond: CondRestrictedXML, noHeader: true},
	{name: "processing instruction", in: "<?foo bar?>", cond: CondRestrictedXML},
	{name: "processing instruction in stanza", in: "<message><?foo?></message>", cond: CondRestrictedXML},
	{name: "DOCTYPE", in: "<?xml version='1.0'?><!DOCTYPE stream:stream []>" + testHeader, cond: CondRestrictedXML, noHeader: true},
	{name: "internal entity", in: "<message><body>&foo;</body></message>", cond: CondRestrictedXML},
	{name: "entity in attribute", in: "<message to='&foo;'/>", cond: CondRestrictedXML},
	{name: "entity at stream level", in: "&foo;", cond: CondRestrictedXML},
	// XML 1.0 / XML-NAMES well-formedness: RFC 6120 §11.3, §4.9.3.13.
	{name: "undeclared prefix on child", in: "<message><x:body/></message>", cond: CondNotWellFormed},
	{name: "undeclared prefix on first-level element", in: "<x:message/>", cond: CondNotWellFormed},
	{name: "undeclared prefix on attribute", in: "<message x:to='a'/>", cond: CondNotWellFormed},
	{name: "mismatched close tag", in: "<message><body></message>", cond: CondNotWellFormed},
	{name: "wrong stream close tag", in: "</stream:streams>", cond: CondNotWellFormed},
	{name: "duplicate attribute", in: "<message to='a' to='b'/>", cond: CondNotWellFormed},
	{name: "duplicate expanded attribute", in: "<m xmlns:a='urn:u' xmlns:b='urn:u' a:x='1' b:x='2'/>", cond: CondNotWellFormed},
	{name: "'<' in attribute value", in: "<message to='a<b'/>", cond: CondNotWellFormed},
	{name: "unquoted attribute", in: "<message to=a/>", cond: CondNotWellFormed},
	{name: "missing space between attributes", in: "<message to='a'from='b'/>", cond: CondNotWellFormed},
	{name: "bad character reference", in: "<m>&#0;</m>", cond: CondNotWellFormed},
	{name: "surrogate character reference", in: "<m>&#xD800;</m>", cond: CondNotWellFormed},
	{name: "U+FFFE character reference", in: "<m a='&#xFFFE;'/>", cond: CondNotWellFormed},
	{name: "malformed reference", in: "<m>a & b</m>", cond: CondNotWellFormed},
	// §4.3.3: a new header only after a restart (issue 14: it was read as a
	// first-level element and swallowed the stream).
	{name: "second header", in: testHeader + "<message/>", cond: CondBadFormat},
	{name: "second header, self-closing", in: "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>", cond: CondBadFormat},
	{name: "second header, other prefix", in: "<s:stream xmlns:s='http://etherx.jabber.org/streams'>", cond: CondBadFormat},
	{name: "control character", in: "<m>\x01</m>", cond: CondNotWellFormed},
	{name: "literal U+FFFF", in: "<m>\xef\xbf\xbf</m>", cond: CondNotWellFormed},
	{name: "]]> in text", in: "<m>a]]>b</m>", cond: CondNotWellFormed},
	{name: "colon at start of name", in: "<:m/>", cond: CondNotWellFormed},
	{name: "two colons in name", in: "<a:b:c xmlns:a='urn:a'/>", cond: CondNotWellFormed},
	{name: "prefix undeclared with empty name", in: "<m xmlns:p=''/>", cond: CondNotWellFormed},
	{name: "xmlns prefix declared", in: "<m xmlns:xmlns='urn:x'/>", cond: CondNotWellFormed},
	{name: "space after <", in: "< m/>", cond: CondNotWellFormed},
	{name: "text before header", in: "hello" + testHeader, cond: CondNotWellFormed, noHeader: true},
	{name: "end tag before header", in: "</stream:stream>", cond: CondNotWellFormed, noHeader: true},
	{name: "data after stream end", in: "</stream:stream> <m/>", cond: CondNotWellFormed},
	{name: "CDATA before header", in: "<![CDATA[x]]>", cond: CondNotWellFormed, noHeader: true},
	// Encoding: RFC 6120 §11.6, §4.9.3.22.
	{name: "invalid UTF-8 in text", in: "<message><body>caf\xe9</body></message>", cond: CondUnsupportedEncoding},
	{name: "invalid UTF-8 in attribute", in: "<message to='\xff'/>", cond: CondUnsupportedEncoding},
	{name: "invalid UTF-8 in name", in: "<m\xc3(/>", cond: CondUnsupportedEncoding},
	{name: "invalid UTF-8 at stream level", in: "\xfe", cond: CondUnsupportedEncoding},
	{name: "encoded surrogate", in: "<m>\xed\xa0\x80</m>", cond: CondUnsupportedEncoding},
	{name: "overlong encoding", in: "<m>\xc0\xbc</m>", cond: CondUnsupportedEncoding},
	{name: "ISO-8859-1 declared", in: "<?xml version='1.0' encoding='ISO-8859-1'?>" + testHeader, cond: CondUnsupportedEncoding, noHeader: true},
	// Stream header: RFC 6120 §4.8, §4.9.3.
	{name: "wrong stream namespace", cond: CondInvalidNamespace, noHeader: true,
		in: "<stream:stream xmlns='jabber:server' xmlns:stream='http://example.com/streams'>"},
	{name: "wrong content namespace", cond: CondInvalidNamespace, noHeader: true,
		in: "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"},
	{name: "no content namespace", cond: CondInvalidNamespace, noHeader: true,
		in: "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"},
	{name: "content namespace option", cond: CondInvalidNamespace,
		setup: func(p *Parser) { p.ContentNS = "jabber:client" }},
	{name: "undeclared prefix on header", cond: CondBadNamespacePrefix, noHeader: true,
		in: "<stream:stream xmlns='jabber:server' xmlns:streams='http://etherx.jabber.org/streams'>"},
	{name: "header with wrong local name", cond: CondBadFormat, noHeader: true,
		in: "<stream:stream2 xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>"},
	{name: "stanza instead of header", in: "<message xmlns='jabber:server'/>", cond: CondInvalidNamespace, noHeader: true},
	// Stream level: only whitespace between first-level elements.
	{name: "text at stream level", in: "<m/>hello", cond: CondBadFormat},
	{name: "reference at stream level", in: "&amp;", cond: CondBadFormat},
	{name: "CDATA at stream level", in: "<![CDATA[x]]>", cond: CondBadFormat},
	// Limits: RFC 6120 §4.9.3.14.
	{name: "element larger than MaxElementBytes", cond: CondPolicyViolation,
		in:    "<message><body>" + strings.Repeat("x", 200) + "</body></message>",
		setup: func(p *Parser) { p.MaxElementBytes = 100 }},
	{name: "element larger than the default limit", cond: CondPolicyViolation,
		in: "<message><body>" + strings.Repeat("x", DefaultMaxElementBytes) + "</body></message>"},
	{name: "header larger than MaxElementBytes", cond: CondPolicyViolation, noHeader: true,
		in: testHeader, setup: func(p *Parser) { p.MaxElementBytes = 100 }},
	{name: "nesting deeper than MaxDepth", cond: CondPolicyViolation,
		in: strings.Repeat("<a>", DefaultMaxDepth+1) + strings.Repeat("</a>", DefaultMaxDepth+1)},
	{name: "nesting deeper than configured MaxDepth", cond: CondPolicyViolation,
		in: "<a><b><c/></b></a>", setup: func(p *Parser) { p.MaxDepth = 2 }},
}

func TestViolations(t *testing.T) {
	for _, v := range violations {
		t.Run(v.name, func(t *testing.T) {
			in := v.in
			if !v.noHeader {
				in = testHeader + in
			}
			res := parseWith(in, whole, v.setup)
			last := res[len(res)-1]
			if last.Err == "" {
				t.Fatalf("no error; results %v", res)
			}
			if cond := strings.SplitN(last.Err, "|", 2)[0]; cond != v.cond {
				t.Errorf("got %s, want %s", last.Err, v.cond)
			}
			if len(in) < 4096 {
				sameResults(t, "byte by byte", parseWith(in, bytewise, v.setup), res)
			}
		})
	}
}

// TestErrorDetail checks that errors say what was found where, and that a
// failed parser stays failed.
func TestErrorDetail(t *testing.T) {
	for _, tc := range []struct {
		in, text string
		off      int
	}{
		{testHeader + "<!-- x -->", "comment at byte ", len(testHeader)},
		{testHeader + "<m>&nbsp;</m>", `entity reference "&nbsp;"`, len(testHeader) + 3},
		{testHeader + "<m>\xff</m>", "invalid UTF-8 byte 0xff at byte ", len(testHeader) + 3},
		{testHeader + "<m></n>", "end tag </n> does not match start tag <m> at byte ", len(testHeader) + 3},
		{testHeader + " x", `character data at stream level`, len(testHeader) + 1},
	} {
		p := NewParser()
		p.Feed([]byte(tc.in))
		var err error
		for err == nil {
			var ok bool
			if _, ok, err = p.Next(); !ok && err == nil {
				t.Fatalf("%q: no error", tc.in)
			}
		}
		se := err.(*StreamError)
		if se.Offset != int64(tc.off) || !strings.Contains(se.Text, tc.text) ||
			!strings.HasSuffix(se.Text, fmt.Sprintf("at byte %d", tc.off)) {
			t.Errorf("%q: got offset %d, text %q; want offset %d, text containing %q", tc.in, se.Offset, se.Text, tc.off, tc.text)
		}
		p.Feed([]byte("<m/>"))
		if _, ok, err2 := p.Next(); ok || err2 != err {
			t.Errorf("%q: parser did not stay failed: %v %v", tc.in, ok, err2)
		}
	}
}

func TestOffset(t *testing.T) {
	p := NewParser()
	p.Feed([]byte(testHeader + "  <m/>"))
	if p.Offset() != 0 {
		t.Errorf("Offset before any token = %d", p.Offset())
	}
	p.Next()
	if p.Offset() != int64(len(testHeader)) {
		t.Errorf("Offset after header = %d, want %d", p.Offset(), len(testHeader))
	}
	p.Next()
	if want := int64(len(testHeader) + 6); p.Offset() != want {
		t.Errorf("Offset after element = %d, want %d", p.Offset(), want)
	}
}

// TestOneByteFeeds: feeding a large element one byte at a time works and
// costs no allocation per byte.
func TestOneByteFeeds(t *testing.T) {
	body := strings.Repeat("ab&amp;c", 1<<14)
	in := []byte(testHeader + "<message><body>" + body + "</body></message>")
	var elem *Element
	allocs := testing.AllocsPerRun(1, func() {
		p := NewParser()
		for i := range in {
			p.Feed(in[i : i+1])
			for {
				tok, ok, err := p.Next()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				if tok.Kind == TokElement {
					elem = tok.Elem
				}
			}
		}
	})
	if elem == nil || elem.Child("body").Text() != strings.ReplaceAll(body, "&amp;", "&") {
		t.Fatalf("wrong element")
	}
	if allocs > 200 {
		t.Errorf("%v allocations for %d one-byte feeds", allocs, len(in))
	}
}

func hasPrefix(h *Header, prefix string) bool { _, ok := h.Prefix(prefix); return ok }

// TestZeroParser: a Parser's zero value (embedded in a larger struct, as
// fedsim's streams hold it) parses exactly as NewParser's.
func TestZeroParser(t *testing.T) {
	in := testHeader + strings.Join(transcriptElements, "") + "</stream:stream>"
	var p Parser
	sameResults(t, "zero Parser", feedAll(&p, bytewise(in)), parseWith(in, bytewise, nil))
}

// keep copies a lent token's tree or header.
func keep(tok Token) Token {
	if tok.Elem != nil {
		tok.Elem = tok.Elem.Clone()
	}
	if tok.Header != nil {
		h := *tok.Header
		h.Attrs = append([]Attr(nil), h.Attrs...)
		tok.Header = &h
	}
	return tok
}

// TestBorrow: a parser that lends its tokens returns the same tokens (and
// errors) as one that gives them, however the input is split; it really
// reuses the space (a lent element is overwritten by the next token, and
// a dialback exchange costs fewer allocations); and an idle one still
// gives its working space back, after the drain loop or after Release.
func TestBorrow(t *testing.T) {
	in := transcript() + testHeader + "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" + testHeader + "<a>&bad;</a>"
	borrow := func(p *Parser) { p.Borrow = true }
	for name, split := range map[string]func(string) [][]byte{"whole": whole, "bytewise": bytewise,
		"pieces of 7": func(s string) [][]byte {
			var out [][]byte
			for i := 0; i < len(s); i += 7 {
				out = append(out, []byte(s[i:min(i+7, len(s))]))
			}
			return out
		}} {
		want := parseWith(in, split, nil)
		if len(want) < len(transcriptElements)+2 || want[len(want)-1].Err == "" {
			t.Fatalf("%s: the input should give every token and end in an error: %v", name, want)
		}
		sameResults(t, "borrowed, "+name, parseWith(in, split, borrow), want)
		sameResults(t, "borrowed, raw discarded, "+name, parseWith(in, split, func(p *Parser) { p.Borrow, p.DiscardRaw = true, true }), withoutRaw(want))
	}

	p := NewParser()
	p.Borrow = true
	p.Feed([]byte(testHeader + transcriptElements[1] + transcriptElements[2]))
	for i := 0; i < 3; i++ {
		if _, ok, err := p.Next(); !ok || err != nil {
			t.Fatalf("token %d: ok=%v err=%v", i, ok, err)
		}
	}
	if p.work == nil {
		t.Fatal("the last token is lent, yet its space went back to the pool")
	}
	if _, ok, _ := p.Next(); ok || p.work != nil {
		t.Fatalf("drained: ok=%v, parked=%v; want no token and the working space given back", ok, p.work == nil)
	}

	p.Feed([]byte(transcriptElements[1] + transcriptElements[2]))
	first, _, _ := p.Next()
	key := first.Elem.Text()
	second, _, _ := p.Next()
	if first.Elem != second.Elem || first.Elem.Local() != "verify" || key != dialbackKey {
		t.Fatalf("a lent element should be reused by the next token: %p %p %s", first.Elem, second.Elem, first.Elem.Local())
	}
	p.Release()
	if p.work != nil {
		t.Fatal("Release with nothing pending should park the parser")
	}

	allocs := func(borrow bool) float64 {
		return testing.AllocsPerRun(200, func() {
			p := NewParser()
			p.Borrow, p.DiscardRaw = borrow, true
			p.Feed([]byte(testHeader + transcriptElements[1]))
			for {
				if _, ok, _ := p.Next(); !ok {
					break
				}
			}
		})
	}
	if lent, given := allocs(true), allocs(false); lent >= given {
		t.Errorf("a header and a <db:result/>: %v allocations lent, %v given; want fewer lent", lent, given)
	}
}

// TestBindingScopes: declarations on elements end with their element
// (they live with the token), the header's last the stream; a header with
// the usual declarations shares a read-only set, an unusual one gets its
// own, and neither is written to by the elements that follow.
func TestBindingScopes(t *testing.T) {
	in := testHeader +
		"<m xmlns:db='urn:other'><db:x/></m>" +
		"<db:result from='a' to='b'>k</db:result>" +
		"<n xmlns='urn:n'><o/></n>" +
		"<iq/>" +
		"<q:r/>"
	p := NewParser()
	p.Feed([]byte(in))
	var spaces []string
	for {
		tok, ok, err := p.Next()
		if err != nil {
			var se *StreamError
			if !errors.As(err, &se) || se.Condition != CondNotWellFormed || !strings.Contains(se.Text, `"q"`) {
				t.Fatalf("want the undeclared prefix q reported, got %v", err)
			}
			break
		}
		if !ok {
			t.Fatal("the stream should end in an error")
		}
		switch tok.Kind {
		case TokStreamStart:
			if !isUsual(p.bindings) {
				t.Errorf("the usual header declarations should be shared: %v", p.bindings)
			}
		case TokElement:
			spaces = append(spaces, tok.Elem.Space)
			for _, c := range tok.Elem.Children() {
				spaces = append(spaces, c.Space)
			}
		}
	}
	want := []string{NSServer, "urn:other", NSDialback, "urn:n", "urn:n", NSServer}
	if !reflect.DeepEqual(spaces, want) {
		t.Errorf("namespaces %q, want %q", spaces, want)
	}

	odd := "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:x='urn:x' to='b'>"
	p = NewParser()
	p.Feed([]byte(odd + "<x:y xmlns:z='urn:z'/>" + "<x:y/>"))
	for i := 0; i < 3; i++ {
		tok, ok, err := p.Next()
		if !ok || err != nil {
			t.Fatalf("token %d: ok=%v err=%v", i, ok, err)
		}
		if i == 0 && (isUsual(p.bindings) || len(p.bindings) != 3) {
			t.Errorf("an unusual header should get its own bindings: %v", p.bindings)
		}
		if i > 0 && tok.Elem.Space != "urn:x" {
			t.Errorf("token %d: <x:y/> in %q, want urn:x", i, tok.Elem.Space)
		}
	}
	for _, u := range usualBindings {
		if len(u) != cap(u) {
			t.Errorf("usual set %v has room to append into", u)
		}
	}
}

func isUsual(bs []binding) bool {
	for _, u := range usualBindings {
		if len(bs) > 0 && len(u) == len(bs) && &u[0] == &bs[0] {
			return true
		}
	}
	return false
}
