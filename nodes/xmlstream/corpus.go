package xmlstream

import "strconv"

// corpusTarget is the approximate size of Corpus's output.
const corpusTarget = 64 << 10

// Corpus returns about 64 KiB of realistic server-to-server traffic: one
// stream (XML declaration, header with the jabber:server, dialback and
// streams namespaces), features, then a repeating mix of dialback, ping,
// SASL, message and presence stanzas separated now and then by whitespace
// keepalives, a stream error, and the closing tag. The bytes are the same on
// every call. Benchmarks use it to compare this parser with encoding/xml on
// identical input; the CLI can replay it.
func Corpus() []byte {
	b := make([]byte, 0, corpusTarget+4096)
	b = append(b, "<?xml version='1.0'?>"+
		"<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback'"+
		" xmlns:stream='http://etherx.jabber.org/streams'"+
		" from='example.net' to='example.org' id='D60000229F' version='1.0' xml:lang='en'>"...)
	b = append(b, "<stream:features>"+
		"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"+
		"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms>"+
		"<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"+
		"</stream:features>"...)
	for i := 0; len(b) < corpusTarget-1024; i++ {
		n := strconv.Itoa(i)
		switch i % 10 {
		case 0:
			b = append(b, "<db:result from='example.org' to='example.net'>"+
				"b4835385f37fe2895af6c196b59097b16862406db80559900d596b42a7fc4c0e"+n+
				"</db:result>"...)
		case 1:
			b = append(b, "<db:verify from='example.org' id='417GAF25"+n+"' to='example.net'>"+
				"b4835385f37fe2895af6c196b59097b16862406db80559900d596b42a7fc4c0e"+
				"</db:verify>"...)
		case 2:
			b = append(b, "<iq from='example.org' id='s2s-ping-"+n+"' to='example.net' type='get'>"+
				"<ping xmlns='urn:xmpp:ping'/></iq>"...)
		case 3:
			b = append(b, "<iq from='example.net' id='s2s-ping-"+n+"' to='example.org' type='result'/>"...)
		case 4:
			b = append(b, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>"+
				"ZXhhbXBsZS5vcmc="+"</auth>"...)
		case 5:
			b = append(b, "<message from='juliet@example.org/balcony' id='msg-"+n+"'"+
				" to='romeo@example.net' type='chat' xml:lang='en'>"+
				"<body>Art thou not Romeo, and a Montague? &amp; what &lt;is&gt; in a name — ça va?</body>"+
				"<thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>"+
				"<active xmlns='http://jabber.org/protocol/chatstates'/>"+
				"</message>"...)
		case 6:
			b = append(b, "<presence from='juliet@example.org/balcony' to='romeo@example.net'>"+
				"<show>away</show><status>be right back</status><priority>5</priority>"+
				"<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://psi-im.org'"+
				" ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>"+
				"</presence>"...)
		case 7:
			b = append(b, "\n "...) // whitespace keepalive (RFC 6120 §11.7)
			b = append(b, "<iq from='example.org' id='disco-"+n+"' to='example.net' type='get'>"+
				"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>"...)
		case 8:
			b = append(b, "<iq from='example.net' id='disco-"+n+"' to='example.org' type='result'>"+
				"<query xmlns='http://jabber.org/protocol/disco#info'>"+
				"<identity category='server' type='im' name='Example'/>"+
				"<feature var='urn:xmpp:ping'/><feature var='http://jabber.org/protocol/disco#info'/>"+
				"<feature var='urn:xmpp:features:dialback'/>"+
				"</query></iq>"...)
		case 9:
			b = append(b, "<message from='romeo@example.net/orchard' id='msg-"+n+"'"+
				" to='juliet@example.org' type='chat'>"+
				"<body>Wherefore art thou? 日本語のテキスト</body>"+
				"<html xmlns='http://jabber.org/protocol/xhtml-im'>"+
				"<body xmlns='http://www.w3.org/1999/xhtml'><p>Wherefore <em>art</em> thou?</p></body>"+
				"</html></message>"...)
		}
	}
	b = append(b, "<stream:error>"+
		"<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"+
		"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>no such host</text>"+
		"</stream:error>"+
		"</stream:stream>"...)
	return b
}
