// Package xmlstream reads and writes the XML of XMPP streams: the byte
// level of fedsim's server-to-server federation.
//
// # What it holds
//
//   - Parser, an incremental parser for one direction of a stream. Feed it
//     bytes as the network delivers them; Next hands back the stream header
//     (TokStreamStart), each complete first-level element as a tree
//     (TokElement, with the exact bytes received in Raw) and the closing tag
//     (TokStreamEnd). Restart begins a new stream on the same bytes, as
//     STARTTLS and SASL require.
//   - Element, Header and friends: the parsed data, plus helpers to build
//     elements and serialise them (AppendXML, single-quoted attributes).
//   - StreamError: every rule violation, carrying the RFC 6120 stream error
//     condition to send back, the stream offset and a description of what
//     was found there ("comment at byte 120").
//   - Corpus, ~64 KiB of realistic s2s traffic for benchmarks and demos.
//
// # Why a hand-written parser
//
// encoding/xml is a general XML tokenizer: it pulls from an io.Reader (a
// stream split mid-tag blocks it inside Token, which a deterministic
// simulator that owns the byte delivery cannot allow), it accepts comments,
// processing instructions and DTDs that XMPP forbids, it does not keep the
// raw bytes of an element, and it allocates for every token. The parser
// here is a resumable byte-level state machine: it keeps everything it
// needs between Feed calls, scans every byte once however the input is
// split (O(n) even with one-byte feeds, and with thousands of namespace
// declarations and prefixed names in one stanza: prefixes resolve through
// an index once more than a few declarations are in scope), rejects
// XMPP's forbidden constructs as it meets them, and builds each stanza's
// tree directly, carving elements, attribute lists and node lists from
// shared slabs and taking attribute values and text that need no
// unescaping as substrings of one string per stanza. On Corpus it is several times faster than
// encoding/xml's Decoder.Token, which only tokenizes (see the benchmarks).
//
// Tokens and errors depend only on the bytes, never on how they were split
// into Feed calls: the tests and FuzzParser check this. Raw slices of small
// tokens share a backing array (each is capped at its own length, so
// appending to one cannot clobber another), and a verbatim value keeps its
// stanza's string alive; copy what you keep for long.
//
// # Which rule comes from where (RFC 6120)
//
//   - §4.1, §4.7: a stream is a <stream/> header, first-level elements and
//     a closing tag. Anything else first is rejected: an element outside the
//     streams namespace is invalid-namespace (§4.8.1); a root element in the
//     right namespace but not named "stream" is bad-format (§4.9.3.1: no
//     condition names it, and the XML is well-formed but unprocessable);
//     text or an end tag before the header is not-well-formed (XML allows
//     only whitespace outside the root element).
//   - §4.8.1, §4.9.3.10: the header must be in
//     http://etherx.jabber.org/streams, else invalid-namespace.
//   - §4.9.3.2: an undeclared prefix on the header is bad-namespace-prefix.
//   - §4.8.2, §4.8.3, §4.9.3.10: the default namespace must be the content
//     namespace (Parser.ContentNS, jabber:server), else invalid-namespace.
//   - §11.7: only whitespace may separate first-level elements (the
//     whitespace keepalive); other character data there is bad-format
//     (§4.9.3.1), since it is well-formed XML that XMPP cannot process.
//   - §11.1, §4.9.3.18: comments, processing instructions (other than the
//     XML declaration at the very start of a stream, §11.5), DTDs and
//     references to entities other than the five predefined ones are
//     restricted-xml. CDATA sections are not on the list and are accepted.
//   - §11.3, §4.9.3.13: XML and XML-NAMES well-formedness (matching tags,
//     attribute syntax, unique attributes, declared prefixes, the Char
//     production, legal character references) is not-well-formed.
//   - §11.6, §4.9.3.22: UTF-8 only. A declared encoding other than UTF-8,
//     and bytes that are not valid UTF-8, are unsupported-encoding.
//   - §13.12, §4.9.3.14: Parser.MaxElementBytes (size of a header or
//     first-level element) and Parser.MaxDepth (nesting) are local policy;
//     exceeding them is policy-violation.
//   - §4.3.3: after STARTTLS <proceed/> and SASL <success/> both sides
//     restart the stream: call Parser.Restart right after that token.
//     A stream header anywhere else, as a first-level element of an
//     open stream, is bad-format (§4.9.3.1: well-formed, but read as an
//     element it would swallow the rest of the stream).
package xmlstream
