package xmlstream

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Default limits of a Parser (see Parser.MaxElementBytes and
// Parser.MaxDepth).
const (
	DefaultMaxElementBytes = 1 << 20
	DefaultMaxDepth        = 64
)

// Stream error conditions the parser produces (RFC 6120 §4.9.3).
const (
	CondBadFormat           = "bad-format"           // §4.9.3.1
	CondBadNamespacePrefix  = "bad-namespace-prefix" // §4.9.3.2
	CondInvalidNamespace    = "invalid-namespace"    // §4.9.3.10
	CondNotWellFormed       = "not-well-formed"      // §4.9.3.13
	CondPolicyViolation     = "policy-violation"     // §4.9.3.14
	CondRestrictedXML       = "restricted-xml"       // §4.9.3.18
	CondUnsupportedEncoding = "unsupported-encoding" // §4.9.3.22
)

const (
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
	// maxDeclBytes bounds the XML declaration; a real one is ~40 bytes.
	maxDeclBytes = 1024
	// maxRefBytes bounds an entity or character reference ("&" to ";").
	// The longest useful one, "&#x10FFFF;", is 10 bytes; the slack allows
	// leading zeros. Bounding it keeps the wait-and-rescan of an incomplete
	// reference O(1) per Feed.
	maxRefBytes = 64
	// Interning: strings up to maxInternLen bytes, in a two-way
	// set-associative cache of internSets sets.
	maxInternLen = 64
	internSets   = 32
	// Raw bytes of tokens up to rawChunk/4 bytes share chunks of rawChunk
	// (when Raw is kept): a busy stream starts with 1 KiB chunks and
	// doubles them slabShift times, up to 16 KiB; an idle one starts over.
	rawChunk  = 16 << 10
	slabShift = 4
)

// chunk is the size of the next raw chunk.
func (p *Parser) chunk(max int) int {
	return max >> (slabShift - p.grow)
}

// grown records that the raw slab was refilled: the next chunks are bigger.
func (p *Parser) grown() {
	if p.grow < slabShift {
		p.grow++
	}
}

// Parser is an incremental parser for one direction of an XMPP stream: it
// turns the bytes received from a peer into the stream header, complete
// first-level elements and the closing tag, and rejects everything RFC 6120
// forbids with the stream error condition the RFC names.
//
// Feed it bytes as they arrive, in pieces of any size, and call Next until
// it reports that it needs more. A Parser is not safe for concurrent use.
//
// The configuration fields may be changed after NewParser and before the
// first Feed; zero values select the defaults.
type Parser struct {
	// ContentNS is the content namespace the header must declare as the
	// default namespace (RFC 6120 §4.8.2, §4.8.3). Default NSServer.
	ContentNS string
	// MaxElementBytes bounds the size of the stream header and of every
	// first-level element, markup included (RFC 6120 §13.12 asks servers to
	// limit stanza size). Exceeding it is policy-violation. Default 1 MiB.
	MaxElementBytes int
	// MaxDepth bounds element nesting; a first-level element has depth 1.
	// Exceeding it is policy-violation. Default 64.
	MaxDepth int
	// DiscardRaw leaves Token.Raw nil: a caller that never looks at the
	// received bytes (fedsim's servers trace what they send) saves copying
	// every element. Default false: Raw is kept. With DiscardRaw,
	// Header.Raw is empty too.
	DiscardRaw bool
	// Borrow lends the trees and headers of tokens instead of giving them:
	// Token.Elem, Token.Header and everything reachable from them (not the
	// strings, which are ordinary strings and may be kept) are valid only
	// until the next call to Next, Feed, Restart, DropPending or Release,
	// which reuse their space for the next token. A caller that handles a
	// token and forgets it (fedsim's servers do, for everything but the
	// stanzas they deliver) saves an allocation and a copy per token; one
	// that keeps an element keeps Element.Clone of it. Default false.
	Borrow bool

	base        int64 // stream offset of buf[0] (of the next byte, while parked)
	streamStart int64 // stream offset where the current stream began
	state       state
	crPending   bool // a '\r' ended the buffer; a following '\n' is part of it
	inStream    bool // the header has been accepted
	pendingEnd  bool // header was self-closing: TokStreamEnd is due
	lent        bool // Borrow: the last token's tree or header is in work
	headerName  string
	bindings    []binding         // the header's namespace declarations (read-only: may be shared)
	bindIdx     map[string]string // prefix → namespace of bindings, when there are more than indexAbove
	err         *StreamError

	// The working state of the token being scanned lives apart, in a
	// *work that an idle parser (everything fed consumed) lends to a shared
	// pool and takes back with the next bytes: it is most of a parser's
	// size, so an idle stream holds a small Parser, and a busy one finds
	// its working state warm in the cache, recently used by another. Nil
	// while parked.
	*work
}

// work is a parser's working space for the token being scanned: the input
// buffer, the positions in it, the slices a start tag or element is built
// in and the slabs trees are carved from. Between tokens none of it holds
// anything a later token needs (positions are rewound, slices cleared), so
// which parser gets which work changes nothing a parser returns.
type work struct {
	buf []byte

	// Indexes into buf. Every one of them is >= start while it is in use,
	// so compaction (which drops buf[:start]) just subtracts start.
	pos      int // next byte to scan
	start    int // first byte of the token being scanned
	seg      int // first byte of character data not yet copied into text
	textEnd  int // end of the character data before the '<' just seen
	tagStart int // the '<' of the markup being scanned
	mark     int // start of the name, or CDATA content, being scanned
	colon    int // offset of the last ':' in the name being scanned, or -1
	colons   int // number of ':' in the name being scanned

	quote    byte // quote character of the attribute value being scanned
	sawSpace bool // whitespace since the last name/value in a start tag

	elemName  string // name of the start tag being scanned
	elemColon int    // offset of the colon in elemName, or -1
	attrName  string // name of the attribute being scanned
	attrColon int    // offset of the colon in attrName, or -1
	attrs     []Attr // attributes of the start tag being scanned
	acolons   []int  // offset of the colon in each attrs[i].Name, or -1
	text      []byte // unescaped character data / attribute value
	stack     []openElem
	nodes     []Node // children of the open elements, innermost last
	spans     []span // where each attribute value and text node came from
	// ebind holds the namespace declarations of the open elements of the
	// token being scanned, innermost last. They end with the token, so
	// they live here rather than in the Parser, whose own bindings (the
	// header's) last as long as the stream.
	ebind []binding
	// Once more than indexAbove declarations are open, lookups go through
	// eidx (prefix → index in ebind of its innermost declaration), which
	// covers ebind[:nidx]; eprev[i] is the index of the declaration that
	// ebind[i] shadows, or -1, so that closing an element restores the
	// outer ones. A backward scan is faster for the few declarations real
	// stanzas carry, but costs O(declarations) per prefixed name, so a
	// start tag with thousands of each would be quadratic (issue 14).
	eidx  map[string]int32
	eprev []int32
	nidx  int
	names *[internSets][2]string

	// The tree of the token being scanned is built in these slabs (first
	// the arrays below, then chunks they overflow into) and copied out when
	// the token is complete (export) into one allocation shaped for it; the
	// slabs are then reused for the next token. nEl, nAttr and nNode count
	// what the token used.
	elemSlab          []Element
	attrSlab          []Attr
	nodeSlab          []Node
	nEl, nAttr, nNode int
	// Chunks the trees of a burst are carved from (carve); let go at park.
	burstEl   []Element
	burstAttr []Attr
	burstNode []Node
	rawSlab   []byte // copies of Raw (DiscardRaw false), shared
	grow      uint8  // doublings of the raw chunk size so far
	treeEl    [8]Element
	treeAttr  [16]Attr
	treeNode  [16]Node

	tok Token
	// Borrow: the lent header and room for its attributes.
	hdr      Header
	hdrAttrs [8]Attr

	// First arrays for the slices, big enough for the start tags of s2s
	// traffic: one allocation instead of a chain of appends per slice
	// each time the collector has emptied the pool.
	attrArr  [8]Attr
	colonArr [8]int
	spanArr  [16]span
	nodeArr  [8]Node
	stackArr [4]openElem
	ebindArr [4]binding
	bufArr   [512]byte
}

type binding struct{ prefix, uri string }

// indexAbove is the number of namespace declarations in scope above which
// lookup uses a map instead of a backward scan (see work.eidx).
const indexAbove = 16

// openElem is an element whose end tag has not been seen yet.
type openElem struct {
	el        *Element
	mark      int // len(ebind) when it was opened
	nodeStart int // len(nodes) when it was opened
}

// span locates an attribute value or a text node of the token being built,
// in document order. Values copied verbatim from the input are filled in
// when the token is complete, as substrings of one string holding the whole
// token (one allocation instead of one per value); off < 0 means the value
// was unescaped or interned and is already set.
type span struct{ off, end int }

type state uint8

const (
	stProlog     state = iota // before the header: XML declaration, whitespace
	stXMLDecl                 // inside "<?xml ... ?>"
	stStream                  // between first-level elements
	stAfterEnd                // after </stream:stream>
	stLT                      // just after '<'
	stBang                    // after "<!": comment, CDATA or DOCTYPE?
	stPI                      // after "<?"
	stElemName                // name in a start tag
	stAttrs                   // in a start tag, after the name or a value
	stEmptyClose              // after '/' in a start tag
	stAttrName                // attribute name
	stAttrEq                  // after an attribute name, expecting '='
	stAttrQuote               // after '=', expecting a quote
	stAttrValue               // inside a quoted attribute value
	stEndName                 // name in an end tag
	stEndTail                 // after the name in an end tag
	stText                    // character data inside an element
	stCDATA                   // inside a CDATA section
)

// step is what a state handler reports to the scan loop.
type step uint8

const (
	stepMore  step = iota // need more input
	stepNext              // progress made; run the (new) state
	stepToken             // p.tok is complete
	stepErr               // p.err is set
)

// NewParser returns a parser for a new byte stream, with the default
// configuration.
func NewParser() *Parser {
	return &Parser{
		ContentNS:       NSServer,
		MaxElementBytes: DefaultMaxElementBytes,
		MaxDepth:        DefaultMaxDepth,
	}
}

func (p *Parser) contentNS() string {
	if p.ContentNS == "" {
		return NSServer
	}
	return p.ContentNS
}

func (p *Parser) maxBytes() int {
	if p.MaxElementBytes <= 0 {
		return DefaultMaxElementBytes
	}
	return p.MaxElementBytes
}

func (p *Parser) maxDepth() int {
	if p.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return p.MaxDepth
}

// Feed appends bytes received from the peer. Bytes may arrive split at any
// point (mid-tag, mid-attribute, mid-UTF-8 sequence, mid-entity), including
// one byte at a time. Feed copies b; the caller may reuse it. After an error
// Feed discards its input: the stream is dead.
func (p *Parser) Feed(b []byte) {
	if p.err != nil || len(b) == 0 {
		return
	}
	if p.lent {
		// End the loan without parking (Release would): the bytes below
		// need the working space.
		p.lent = false
		p.resetTree()
	}
	if p.work == nil {
		p.unpark()
	}
	// Drop consumed bytes once they are at least half the buffer: each
	// consumed byte then pays for at most one copied byte, so compaction
	// stays O(n) over the stream.
	if p.start > 0 && p.start >= len(p.buf)-p.start {
		p.compact()
	}
	p.buf = append(p.buf, b...)
}

func (p *Parser) compact() {
	d := p.start
	n := copy(p.buf, p.buf[d:])
	p.buf = p.buf[:n]
	p.base += int64(d)
	p.pos -= d
	p.start = 0
	p.seg -= d
	p.tagStart -= d
	p.mark -= d
	p.textEnd -= d
}

// Next returns the next complete token. ok=false with err=nil means more
// bytes are needed. err is a *StreamError; after an error the parser stays
// failed and returns the same error forever.
func (p *Parser) Next() (tok Token, ok bool, err error) {
	if p.err != nil {
		return Token{}, false, p.err
	}
	if p.pendingEnd {
		p.pendingEnd = false
		return Token{Kind: TokStreamEnd}, true, nil
	}
	if p.work == nil {
		return Token{}, false, nil // parked: nothing fed since the last token
	}
	if p.Release(); p.work == nil {
		return Token{}, false, nil // the lent token was the burst's last
	}
	tok, ok = p.scan()
	if p.err != nil {
		// The stream is dead: let go of what it held.
		*p = Parser{err: p.err, base: p.base + int64(p.start)}
		return Token{}, false, p.err
	}
	if ok && p.Borrow && (tok.Kind == TokElement || tok.Kind == TokStreamStart) {
		// The token lives in the work space: it stays until the next call
		// (Release parks the parser then if the burst is over).
		p.lent = true
		return tok, ok, nil
	}
	if ok && p.start == len(p.buf) {
		// Everything fed has been consumed: the burst is over. The work
		// space goes back to the pool (with the slabs let go: the trees
		// handed out keep what they use), so that an idle stream holds
		// only the parser itself.
		p.base += int64(p.start)
		p.park()
	}
	return tok, ok, nil
}

// Release ends the loan of the last token (Borrow): its tree or header may
// be reused from now on, and a parser with nothing pending gives its
// working space back, as it does after every burst without Borrow. Next,
// Feed, Restart and DropPending release first; a caller that stops calling
// Next before it reports that it needs more bytes (its stream paused or
// closed) calls Release itself, so that an idle stream holds nothing.
func (p *Parser) Release() {
	if !p.lent {
		return
	}
	p.lent = false
	p.resetTree()
	if p.start == len(p.buf) {
		p.base += int64(p.start)
		p.park()
	}
}

// Restart prepares for a new stream header on the same byte stream (RFC 6120
// §4.3.3: after STARTTLS <proceed/> and after SASL <success/> both sides
// start a fresh stream). Bytes already fed but not yet returned as part of a
// token are kept and belong to the new stream; if Next had already started
// to scan them as part of the old stream, that work is discarded and they
// are scanned again under the new stream's rules. Nothing can be left
// unterminated, because tokens are atomic.
//
// Call Restart right after the token that ends the old stream's
// negotiation, before calling Next again: the old stream's rules would
// reject the new header (an XML declaration is a processing instruction
// there). A failed parser stays failed.
func (p *Parser) Restart() {
	if p.err != nil {
		return
	}
	p.Release()
	p.state = stProlog
	p.streamStart = p.Offset()
	p.crPending = false
	p.inStream = false
	p.pendingEnd = false
	p.headerName = ""
	p.bindings, p.bindIdx = nil, nil
	if p.work == nil {
		return // parked: nothing pending to rescan
	}
	p.pos = p.start
	clear(p.stack)
	p.stack = p.stack[:0]
	clear(p.nodes)
	p.nodes = p.nodes[:0]
	p.spans = p.spans[:0]
	p.resetBindings()
	p.attrs = p.attrs[:0]
	p.text = p.text[:0]
	p.resetTree()
}

// DropPending discards every byte fed but not yet returned as part of a
// token, and reports how many there were; call Restart after it. A server
// switching to TLS needs it: bytes that arrived in plaintext after
// <starttls/> or <proceed/> must not be read as the encrypted stream
// (the STARTTLS command injection of CVE-2011-0411).
func (p *Parser) DropPending() int {
	if p.Release(); p.err != nil || p.work == nil {
		return 0
	}
	n := len(p.buf) - p.start
	p.buf = p.buf[:p.start]
	p.pos = p.start
	return n
}

// Offset returns the number of bytes consumed so far: the stream offset just
// past the last token returned (and any whitespace skipped after it).
func (p *Parser) Offset() int64 {
	if p.work == nil {
		return p.base
	}
	return p.base + int64(p.start)
}

// scan runs the state machine until a token is complete (ok=true), more
// input is needed, or an error has been recorded in p.err.
//
// Every handler scans forward from p.pos and never looks at bytes before it
// again, except for bounded look-ahead (a UTF-8 sequence, a reference,
// "<!DOCTYPE") that it waits for without consuming; so the total work is
// O(n) however the input is split. The scanner never looks past
// start+MaxElementBytes: because of that window, both the tokens and the
// errors depend only on the bytes, not on how they were split.
func (p *Parser) scan() (Token, bool) {
	limit := p.maxBytes()
	for {
		lim := len(p.buf)
		if w := p.start + limit; w < lim {
			lim = w
		}
		var s step
		switch p.state {
		case stProlog, stStream, stAfterEnd:
			s = p.between(lim)
		case stXMLDecl:
			s = p.xmlDecl(lim)
		case stLT:
			s = p.lt(lim)
		case stBang:
			s = p.bang(lim)
		case stPI:
			s = p.pi(lim)
		case stElemName:
			s = p.elemNameState(lim)
		case stAttrs:
			s = p.attrList(lim)
		case stEmptyClose:
			s = p.emptyClose(lim)
		case stAttrName:
			s = p.attrNameState(lim)
		case stAttrEq:
			s = p.attrEq(lim)
		case stAttrQuote:
			s = p.attrQuote(lim)
		case stAttrValue:
			s = p.attrValue(lim)
		case stEndName:
			s = p.endNameState(lim)
		case stEndTail:
			s = p.endTail(lim)
		case stText:
			s = p.charData(lim)
		case stCDATA:
			s = p.cdata(lim)
		}
		switch s {
		case stepNext:
			continue
		case stepToken:
			tok := p.tok
			p.tok = Token{}
			return tok, true
		case stepErr:
			return Token{}, false
		}
		// stepMore. If the window is what stopped the scan, the token cannot
		// end within MaxElementBytes. (A handler that moves start passes
		// the moved window on, so this is the window it used.)
		if len(p.buf)-p.start >= limit {
			what := "first-level element"
			if !p.inStream {
				what = "stream header"
			}
			p.fail(CondPolicyViolation, p.start+limit,
				fmt.Sprintf("%s starting at byte %d is larger than MaxElementBytes (%d)",
					what, p.base+int64(p.start), limit))
		}
		return Token{}, false
	}
}

// fail records a stream error found at buf index at.
func (p *Parser) fail(cond string, at int, what string) step {
	off := p.base + int64(at)
	p.err = &StreamError{
		Condition: cond,
		Offset:    off,
		Text:      what + " at byte " + strconv.FormatInt(off, 10),
	}
	return stepErr
}

// decodeAt decodes the rune at buf[at] (a byte >= 0x80) and checks it
// against the Char production. Invalid UTF-8 is unsupported-encoding: RFC
// 6120 §4.9.3.22 covers a stream "improperly encoded ... (e.g., by violating
// the rules of the [UTF-8] encoding)", and §11.6 makes UTF-8 the only
// encoding. A truncated sequence waits for more bytes.
func (p *Parser) decodeAt(at, lim int) (rune, int, step) {
	r, size := utf8.DecodeRune(p.buf[at:lim])
	if r == utf8.RuneError && size <= 1 {
		if !utf8.FullRune(p.buf[at:lim]) {
			return 0, 0, stepMore
		}
		return 0, 0, p.fail(CondUnsupportedEncoding, at,
			fmt.Sprintf("invalid UTF-8 byte 0x%02x", p.buf[at]))
	}
	if !isChar(r) {
		return 0, 0, p.fail(CondNotWellFormed, at,
			fmt.Sprintf("character U+%04X, which XML does not allow,", r))
	}
	return r, size, stepNext
}

// unexpected reports the byte at buf[at], which the grammar does not allow
// there. Encoding and character errors win over the generic complaint, so
// that invalid UTF-8 is always unsupported-encoding wherever it occurs.
func (p *Parser) unexpected(at, lim int, cond, what string) step {
	c := p.buf[at]
	found := strconv.QuoteRune(rune(c))
	switch {
	case c >= utf8.RuneSelf:
		r, _, s := p.decodeAt(at, lim)
		if s != stepNext {
			return s
		}
		found = strconv.QuoteRune(r)
	case c < 0x20 && !isSpace(c):
		return p.fail(CondNotWellFormed, at,
			fmt.Sprintf("control character U+%04X, which XML does not allow,", c))
	}
	return p.fail(cond, at, what+": found "+found)
}

// between handles the stream level: before the header (stProlog), between
// first-level elements (stStream) and after the closing tag (stAfterEnd).
// Whitespace is skipped (RFC 6120 §11.7 allows it between first-level
// elements; it is the whitespace keepalive of §4.6);
// consumed whitespace is dropped from the buffer right away.
func (p *Parser) between(lim int) step {
	buf, pos := p.buf, p.pos
	for {
		for pos < lim && isSpace(buf[pos]) {
			pos++
		}
		p.pos, p.start = pos, pos
		if pos == len(buf) {
			return stepMore
		}
		// The window starts at start, which just moved; if it was what
		// stopped the loop, skip on.
		lim = min(len(buf), pos+p.maxBytes())
		if !isSpace(buf[pos]) {
			break
		}
	}
	if buf[pos] == '<' && p.state != stAfterEnd {
		p.tagStart = pos
		p.pos = pos + 1
		p.state = stLT
		return p.lt(lim)
	}
	return p.strayText(lim)
}

// strayText reports character data at the stream level.
//
// Before the header and after the closing tag it is not-well-formed: XML
// 1.0 §2.1 [1] allows only Misc (here: whitespace) outside the root element.
//
// Between first-level elements it is well-formed XML, but RFC 6120 allows
// nothing there except whitespace (§11.7 permits whitespace
// between first-level elements; the schema of Appendix A.1 gives <stream/>
// element-only content). No defined condition names this exactly:
// not-well-formed (§4.9.3.13) would be false, invalid-xml (§4.9.3.11) is
// for servers that validate (§11.4), so it is bad-format (§4.9.3.1), "XML
// that cannot be processed".
//
// A reference to an undeclared entity is restricted-xml wherever it is
// (§11.1).
func (p *Parser) strayText(lim int) step {
	at := p.pos
	cond, where := CondBadFormat, "at stream level (only whitespace may separate first-level elements)"
	switch p.state {
	case stProlog:
		cond, where = CondNotWellFormed, "before the stream header"
	case stAfterEnd:
		cond, where = CondNotWellFormed, "after the end of the stream"
	}
	if p.buf[at] == '<' {
		return p.fail(cond, at, "markup "+where)
	}
	if p.buf[at] == '&' {
		if s := p.reference(lim); s != stepNext {
			return s
		}
		p.text = p.text[:0]
		return p.fail(cond, at, "reference "+strconv.Quote(string(p.buf[at:p.pos]))+" "+where)
	}
	return p.unexpected(at, lim, cond, "character data "+where)
}

// lt decides what follows a '<'.
func (p *Parser) lt(lim int) step {
	if p.pos >= lim {
		return stepMore
	}
	switch p.buf[p.pos] {
	case '/':
		if !p.inStream {
			return p.fail(CondNotWellFormed, p.tagStart, "end tag before the stream header")
		}
		p.flushText()
		p.pos++
		p.beginName()
		p.state = stEndName
		return p.endNameState(lim)
	case '!':
		p.state = stBang
		return stepNext
	case '?':
		p.state = stPI
		return stepNext
	}
	if p.inStream && len(p.stack) >= p.maxDepth() {
		return p.fail(CondPolicyViolation, p.tagStart,
			fmt.Sprintf("element nested deeper than MaxDepth (%d)", p.maxDepth()))
	}
	p.flushText()
	p.beginName()
	p.attrs = p.attrs[:0]
	p.acolons = p.acolons[:0]
	p.state = stElemName
	return p.elemNameState(lim)
}

// The handlers below call the handler of the state they switch to directly
// instead of returning to scan's loop: a start tag is a fixed sequence of
// states, and the chain is at most a few calls deep (it returns to the loop
// at the end of every attribute value).

func (p *Parser) elemNameState(lim int) step {
	s := p.scanName(lim)
	if s != stepNext {
		return s
	}
	p.elemName = p.intern(p.buf[p.mark:p.pos])
	p.elemColon = p.colon
	p.sawSpace = false
	p.state = stAttrs
	return p.attrList(lim)
}

func (p *Parser) attrNameState(lim int) step {
	s := p.scanName(lim)
	if s != stepNext {
		return s
	}
	p.attrName = p.intern(p.buf[p.mark:p.pos])
	p.attrColon = p.colon
	p.state = stAttrEq
	return p.attrEq(lim)
}

func (p *Parser) endNameState(lim int) step {
	s := p.scanName(lim)
	if s != stepNext {
		return s
	}
	if s = p.endName(); s != stepNext {
		return s
	}
	return p.endTail(lim)
}

// bang handles "<!": a comment or a DOCTYPE is restricted-xml (RFC 6120
// §11.1 forbids comments and DTD subsets). CDATA sections are not on §11.1's
// list, so they are accepted inside elements, as character data.
func (p *Parser) bang(lim int) step {
	const (
		comment = "<!--"
		doctype = "<!DOCTYPE"
		cdata   = "<![CDATA["
	)
	avail := p.buf[p.tagStart:lim]
	if len(avail) < 3 {
		return stepMore
	}
	var lit string
	switch avail[2] {
	case '-':
		lit = comment
	case 'D':
		lit = doctype
	case '[':
		lit = cdata
	default:
		return p.unexpected(p.tagStart+2, lim, CondNotWellFormed,
			"'<!' not followed by a comment, CDATA section or DOCTYPE")
	}
	for i := 3; i < len(lit); i++ {
		if i >= len(avail) {
			return stepMore
		}
		if avail[i] != lit[i] {
			return p.unexpected(p.tagStart+i, lim, CondNotWellFormed,
				fmt.Sprintf("malformed %q", lit))
		}
	}
	switch lit {
	case comment:
		return p.fail(CondRestrictedXML, p.tagStart, "comment")
	case doctype:
		return p.fail(CondRestrictedXML, p.tagStart, "document type declaration (DTD)")
	}
	if len(p.stack) == 0 {
		if p.inStream {
			return p.fail(CondBadFormat, p.tagStart,
				"CDATA section at stream level (only whitespace may separate first-level elements)")
		}
		return p.fail(CondNotWellFormed, p.tagStart, "CDATA section before the stream header")
	}
	p.text = append(p.text, p.buf[p.seg:p.textEnd]...)
	p.pos = p.tagStart + len(cdata)
	p.mark, p.seg = p.pos, p.pos
	p.state = stCDATA
	return stepNext
}

// pi handles "<?". The XML declaration is allowed only as the very first
// bytes of a stream (XML 1.0 §2.8; RFC 6120 §11.5); anything else starting
// with "<?" is a processing instruction, which RFC 6120 §11.1 forbids.
func (p *Parser) pi(lim int) step {
	if !p.inStream && p.base+int64(p.tagStart) == p.streamStart {
		const decl = "<?xml"
		avail := p.buf[p.tagStart:lim]
		isDecl := true
		for i := 2; i <= len(decl) && isDecl; i++ {
			if i >= len(avail) {
				return stepMore
			}
			if i < len(decl) {
				isDecl = avail[i] == decl[i]
			} else {
				isDecl = isSpace(avail[i])
			}
		}
		if isDecl {
			p.pos = p.tagStart + len(decl) + 1
			p.state = stXMLDecl
			return stepNext
		}
	}
	return p.fail(CondRestrictedXML, p.tagStart, "processing instruction")
}

// xmlDecl finds the end of the XML declaration and checks it.
func (p *Parser) xmlDecl(lim int) step {
	buf := p.buf
	for pos := p.pos; pos < lim; pos++ {
		if pos-p.tagStart >= maxDeclBytes {
			return p.fail(CondNotWellFormed, p.tagStart,
				fmt.Sprintf("XML declaration longer than %d bytes", maxDeclBytes))
		}
		if buf[pos] == '>' && buf[pos-1] == '?' {
			body := buf[p.tagStart+5 : pos-1]
			if cond, at, what := checkXMLDecl(body); cond != "" {
				return p.fail(cond, p.tagStart+5+at, what)
			}
			p.pos = pos + 1
			p.start = p.pos
			p.state = stProlog
			return stepNext
		}
	}
	p.pos = lim
	return stepMore
}

// checkXMLDecl checks the inside of "<?xml ... ?>" (XML 1.0 §2.8 [23]):
// version, then optionally encoding and standalone. It returns the failed
// condition ("" if none), the index in body and a description.
func checkXMLDecl(body []byte) (cond string, at int, what string) {
	i := 0
	space := func() bool {
		n := i
		for i < len(body) && isSpace(body[i]) {
			i++
		}
		return i > n
	}
	// pseudo parses name S? '=' S? quoted value at i.
	pseudo := func(name string) (string, bool) {
		if !bytes.HasPrefix(body[i:], []byte(name)) {
			return "", false
		}
		i += len(name)
		space()
		if i >= len(body) || body[i] != '=' {
			return "", false
		}
		i++
		space()
		if i >= len(body) || (body[i] != '\'' && body[i] != '"') {
			return "", false
		}
		q := body[i]
		j := bytes.IndexByte(body[i+1:], q)
		if j < 0 {
			return "", false
		}
		v := string(body[i+1 : i+1+j])
		i += j + 2
		return v, true
	}
	space()
	v, ok := pseudo("version")
	if !ok {
		return CondNotWellFormed, i, "XML declaration without a valid version"
	}
	if len(v) < 3 || v[:2] != "1." || strings.Trim(v[2:], "0123456789") != "" {
		return CondNotWellFormed, i, fmt.Sprintf("XML version %q (XMPP uses XML 1.0, RFC 6120 §11.8)", v)
	}
	sp := space()
	if sp && bytes.HasPrefix(body[i:], []byte("encoding")) {
		encAt := i
		enc, ok := pseudo("encoding")
		if !ok || !validEncName(enc) {
			return CondNotWellFormed, encAt, "malformed encoding declaration"
		}
		if !strings.EqualFold(enc, "UTF-8") {
			// RFC 6120 §11.6: UTF-8 only; "SHOULD be <unsupported-encoding/>".
			return CondUnsupportedEncoding, encAt, fmt.Sprintf("encoding %q declared (only UTF-8 is allowed)", enc)
		}
		sp = space()
	}
	if sp && bytes.HasPrefix(body[i:], []byte("standalone")) {
		sdAt := i
		sd, ok := pseudo("standalone")
		if !ok || (sd != "yes" && sd != "no") {
			return CondNotWellFormed, sdAt, "malformed standalone declaration"
		}
		space()
	}
	if i != len(body) {
		return CondNotWellFormed, i, "unexpected content in XML declaration"
	}
	return "", 0, ""
}

// validEncName is XML 1.0 §4.3.3 [81]: [A-Za-z] ([A-Za-z0-9._] | '-')*.
func validEncName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || !((c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
			return false
		}
	}
	return true
}

// beginName starts scanning a name at p.pos.
func (p *Parser) beginName() {
	p.mark = p.pos
	p.colon = -1
	p.colons = 0
}

// scanName advances over a Name starting at p.mark; it reports stepNext
// once the byte after the name is in view, with p.pos on that byte, and
// p.colon locating its colon. The name must also be a QName (XML-NAMES §4):
// at most one colon, neither first nor last, and the local part must start
// like a name.
func (p *Parser) scanName(lim int) step {
	buf, pos, mark := p.buf, p.pos, p.mark
	for pos < lim {
		c := buf[pos]
		if c < utf8.RuneSelf {
			cls := byteClass[c]
			if cls&clsName == 0 || (pos == mark && cls&clsNameStart == 0) {
				break
			}
			if c == ':' {
				p.colon = pos - mark
				p.colons++
			}
			pos++
			continue
		}
		r, size, s := p.decodeAt(pos, lim)
		if s != stepNext {
			p.pos = pos
			return s
		}
		if !isNameRune(r) || (pos == p.mark && !isNameStartRune(r)) {
			break
		}
		pos += size
	}
	p.pos = pos
	if pos >= lim {
		return stepMore
	}
	if pos == p.mark {
		return p.unexpected(pos, lim, CondNotWellFormed, "expected a name")
	}
	if i := p.colon; i >= 0 {
		name := buf[p.mark:pos]
		local := name[i+1:]
		ok := p.colons == 1 && i > 0 && len(local) > 0
		if ok {
			if local[0] < utf8.RuneSelf {
				ok = byteClass[local[0]]&clsNameStart != 0
			} else {
				r, _ := utf8.DecodeRune(local)
				ok = isNameStartRune(r)
			}
		}
		if !ok {
			return p.fail(CondNotWellFormed, p.mark,
				fmt.Sprintf("name %q is not a valid qualified name (XML-NAMES §4)", name))
		}
	}
	return stepNext
}

// attrList handles the inside of a start tag between attributes.
func (p *Parser) attrList(lim int) step {
	buf := p.buf
	for p.pos < lim {
		c := buf[p.pos]
		switch {
		case isSpace(c):
			p.pos++
			p.sawSpace = true
			continue
		case c == '>':
			p.pos++
			return p.startTagDone(false)
		case c == '/':
			p.pos++
			p.state = stEmptyClose
			return stepNext
		}
		if !p.sawSpace {
			return p.unexpected(p.pos, lim, CondNotWellFormed,
				"expected whitespace, '>' or '/>' in start tag <"+p.elemName+">")
		}
		if p.fastAttr(lim) {
			continue
		}
		p.beginName()
		p.state = stAttrName
		return p.attrNameState(lim)
	}
	return stepMore
}

// fastAttr takes one attribute written the common way — an ASCII name,
// '=' right after it, a quoted value of plain ASCII characters — in one
// pass, when all of it is within lim, and records it exactly as the state
// handlers (attrNameState, attrEq, attrQuote, attrValue) would. For
// anything else (whitespace around '=', references, line ends, non-ASCII,
// a bad qualified name, the end of the window) it reports false having
// changed nothing, and the handlers take the attribute from its start, so
// that every error and every split of the input goes the one slow way.
// Most start tags of s2s traffic are nothing but such attributes.
func (p *Parser) fastAttr(lim int) bool {
	buf, start := p.buf, p.pos
	if byteClass[buf[start]]&clsNameStart == 0 {
		return false
	}
	colon, colons := -1, 0
	pos := start
	for ; pos < lim; pos++ {
		c := buf[pos]
		if byteClass[c]&clsName == 0 { // bytes >= 0x80 have no class
			break
		}
		if c == ':' {
			colon, colons = pos-start, colons+1
		}
	}
	if pos+1 >= lim || buf[pos] != '=' {
		return false
	}
	if colon >= 0 && (colons != 1 || colon == 0 || colon == pos-start-1 ||
		byteClass[buf[start+colon+1]]&clsNameStart == 0) {
		return false
	}
	q := buf[pos+1]
	if q != '\'' && q != '"' {
		return false
	}
	vs := pos + 2
	v := vs
	for v < lim && byteClass[buf[v]]&clsAttr != 0 {
		v++
	}
	if v >= lim || buf[v] != q {
		return false
	}
	name := p.intern(buf[start:pos])
	p.attrName, p.attrColon = name, colon
	p.attrs = append(p.attrs, Attr{Name: name})
	p.acolons = append(p.acolons, colon)
	if name == "type" || name == "xmlns" || strings.HasPrefix(name, "xmlns:") {
		// As in attrValue: values that repeat on every stanza are shared.
		p.attrs[len(p.attrs)-1].Value = p.intern(buf[vs:v])
		p.spans = append(p.spans, span{-1, 0})
	} else {
		p.spans = append(p.spans, span{vs - p.start, v - p.start})
	}
	p.pos = v + 1
	p.sawSpace = false
	return true
}

func (p *Parser) emptyClose(lim int) step {
	if p.pos >= lim {
		return stepMore
	}
	if p.buf[p.pos] != '>' {
		return p.unexpected(p.pos, lim, CondNotWellFormed,
			"expected '>' after '/' in start tag <"+p.elemName+">")
	}
	p.pos++
	return p.startTagDone(true)
}

func (p *Parser) attrEq(lim int) step {
	for p.pos < lim && isSpace(p.buf[p.pos]) {
		p.pos++
	}
	if p.pos >= lim {
		return stepMore
	}
	if p.buf[p.pos] != '=' {
		return p.unexpected(p.pos, lim, CondNotWellFormed,
			"expected '=' after attribute name "+p.attrName)
	}
	p.pos++
	p.state = stAttrQuote
	return p.attrQuote(lim)
}

func (p *Parser) attrQuote(lim int) step {
	for p.pos < lim && isSpace(p.buf[p.pos]) {
		p.pos++
	}
	if p.pos >= lim {
		return stepMore
	}
	c := p.buf[p.pos]
	if c != '\'' && c != '"' {
		return p.unexpected(p.pos, lim, CondNotWellFormed,
			"expected a quoted value for attribute "+p.attrName)
	}
	p.quote = c
	p.pos++
	p.seg = p.pos
	p.text = p.text[:0]
	p.state = stAttrValue
	return p.attrValue(lim)
}

// attrValue scans a quoted attribute value, unescaping references and
// applying attribute-value normalisation (XML 1.0 §3.3.3: each literal
// tab, newline or carriage return, and each "\r\n" pair, becomes a space).
// Characters are copied into p.text only when something must be rewritten;
// a plain value is recorded as a span of the input.
func (p *Parser) attrValue(lim int) step {
	buf := p.buf
	if p.crPending && !p.finishCR(lim) {
		return stepMore
	}
	pos, q := p.pos, p.quote
	for pos < lim {
		c := buf[pos]
		if byteClass[c]&clsAttr != 0 {
			pos++
			continue
		}
		switch {
		case c == q:
			p.attrs = append(p.attrs, Attr{Name: p.attrName})
			p.acolons = append(p.acolons, p.attrColon)
			a := &p.attrs[len(p.attrs)-1]
			n := p.attrName
			switch {
			case len(p.text) > 0:
				p.text = append(p.text, buf[p.seg:pos]...)
				a.Value = string(p.text)
				p.text = p.text[:0]
				p.spans = append(p.spans, span{-1, 0})
			case n == "type" || n == "xmlns" || strings.HasPrefix(n, "xmlns:"):
				// Values that repeat on every stanza (namespace names,
				// stanza types) are shared instead.
				a.Value = p.intern(buf[p.seg:pos])
				p.spans = append(p.spans, span{-1, 0})
			default:
				p.spans = append(p.spans, span{p.seg - p.start, pos - p.start})
			}
			p.pos = pos + 1
			p.sawSpace = false
			p.state = stAttrs
			return stepNext
		case c == '\'' || c == '"':
			pos++
		case c == '<':
			return p.fail(CondNotWellFormed, pos, "'<' in the value of attribute "+p.attrName)
		case c == '&':
			p.text = append(p.text, buf[p.seg:pos]...)
			p.pos, p.seg = pos, pos
			if s := p.reference(lim); s != stepNext {
				return s
			}
			pos = p.pos
			p.seg = pos
		case c == '\t' || c == '\n':
			p.text = append(p.text, buf[p.seg:pos]...)
			p.text = append(p.text, ' ')
			pos++
			p.seg = pos
		case c == '\r':
			pos = p.foldCR(pos, lim, ' ')
		case c < 0x20:
			return p.unexpected(pos, lim, CondNotWellFormed, "unexpected character")
		default:
			if n := charLen23(buf[pos:lim]); n > 0 {
				pos += n
				continue
			}
			_, size, s := p.decodeAt(pos, lim)
			if s != stepNext {
				p.pos = pos
				return s
			}
			pos += size
		}
	}
	p.pos = pos
	return stepMore
}

// finishCR completes a line end that foldCR left open at the end of the
// previous chunk: an LF right after the CR belongs to it and is skipped.
// It reports false when there is still no byte to look at.
func (p *Parser) finishCR(lim int) bool {
	if p.pos >= lim {
		return false
	}
	p.crPending = false
	if p.buf[p.pos] == '\n' {
		p.pos++
		p.seg = p.pos
	}
	return true
}

// foldCR appends the text before the carriage return at pos and then
// repl in place of the CR or CR LF (XML 1.0 §2.11 end-of-line handling;
// in attribute values the result is further normalized to a space, §3.3.3).
// A CR at the end of the buffer leaves crPending so that an LF starting
// the next chunk is swallowed. It returns the position after the line end.
func (p *Parser) foldCR(pos, lim int, repl byte) int {
	p.text = append(p.text, p.buf[p.seg:pos]...)
	p.text = append(p.text, repl)
	pos++
	if pos >= lim {
		p.crPending = true
	} else if p.buf[pos] == '\n' {
		pos++
	}
	p.seg = pos
	return pos
}

// reference decodes the entity or character reference at p.pos (a '&') and
// appends its replacement to p.text, leaving p.pos after the ';'.
//
// RFC 6120 §11.1 forbids entity references other than the five predefined
// ones (restricted-xml); character references are fine, but one to a
// character outside XML's Char production violates XML 1.0 §4.1 (WFC: Legal
// Character), so it is not-well-formed.
func (p *Parser) reference(lim int) step {
	at := p.pos
	b := p.buf[at:lim]
	if len(b) > maxRefBytes {
		b = b[:maxRefBytes]
	}
	i := 1
	if len(b) < 2 {
		return stepMore
	}
	if b[1] == '#' {
		i = 2
		hex := false
		if len(b) < 3 {
			return stepMore
		}
		if b[2] == 'x' {
			hex = true
			i = 3
		}
		digits := i
		var r int64
		for ; i < len(b); i++ {
			c := b[i]
			var d int64
			switch {
			case c == ';':
			case c >= '0' && c <= '9':
				d = int64(c - '0')
			case hex && c >= 'a' && c <= 'f':
				d = int64(c-'a') + 10
			case hex && c >= 'A' && c <= 'F':
				d = int64(c-'A') + 10
			default:
				return p.unexpected(at+i, lim, CondNotWellFormed, "malformed character reference")
			}
			if c == ';' {
				break
			}
			if r <= utf8.MaxRune {
				if hex {
					r = r*16 + d
				} else {
					r = r*10 + d
				}
			}
		}
		if i >= len(b) {
			if i >= maxRefBytes {
				return p.fail(CondNotWellFormed, at, "character reference too long")
			}
			return stepMore
		}
		if i == digits {
			return p.fail(CondNotWellFormed, at, "character reference without digits")
		}
		if r > utf8.MaxRune || !isChar(rune(r)) || !utf8.ValidRune(rune(r)) {
			return p.fail(CondNotWellFormed, at,
				fmt.Sprintf("character reference %q to a character XML does not allow", b[:i+1]))
		}
		p.text = utf8.AppendRune(p.text, rune(r))
		p.pos = at + i + 1
		return stepNext
	}
	for ; i < len(b) && b[i] != ';'; i++ {
		c := b[i]
		if c < utf8.RuneSelf && (byteClass[c]&clsName == 0 || (i == 1 && byteClass[c]&clsNameStart == 0)) {
			return p.unexpected(at+i, lim, CondNotWellFormed, "'&' not followed by a reference")
		}
	}
	if i >= len(b) {
		if i >= maxRefBytes {
			return p.fail(CondRestrictedXML, at, "entity reference (not a predefined entity)")
		}
		return stepMore
	}
	if i == 1 {
		return p.fail(CondNotWellFormed, at, "empty reference \"&;\"")
	}
	var rep byte
	switch string(b[1:i]) {
	case "lt":
		rep = '<'
	case "gt":
		rep = '>'
	case "amp":
		rep = '&'
	case "quot":
		rep = '"'
	case "apos":
		rep = '\''
	default:
		if !utf8.Valid(b[1:i]) {
			// Name bytes >= 0x80 were not decoded above; do it now so that
			// bad UTF-8 is still reported as such.
			for j := 1; j < i; {
				_, size, s := p.decodeAt(at+j, lim)
				if s != stepNext {
					return s
				}
				j += size
			}
		}
		return p.fail(CondRestrictedXML, at,
			fmt.Sprintf("entity reference %q (only &lt; &gt; &amp; &quot; &apos; are predefined)", b[:i+1]))
	}
	p.text = append(p.text, rep)
	p.pos = at + i + 1
	return stepNext
}

// charData scans character data inside an element: references are
// unescaped, line ends normalised (XML 1.0 §2.11: "\r\n" and lone "\r"
// become "\n"), and "]]>" is rejected (XML 1.0 §2.4).
func (p *Parser) charData(lim int) step {
	buf := p.buf
	if p.crPending && !p.finishCR(lim) {
		return stepMore
	}
	pos := p.pos
	for pos < lim {
		c := buf[pos]
		if byteClass[c]&clsText != 0 {
			pos++
			continue
		}
		switch {
		case c == '<':
			p.textEnd = pos
			p.tagStart = pos
			p.pos = pos + 1
			p.state = stLT
			return p.lt(lim)
		case c == '&':
			p.text = append(p.text, buf[p.seg:pos]...)
			p.pos, p.seg = pos, pos
			if s := p.reference(lim); s != stepNext {
				return s
			}
			pos = p.pos
			p.seg = pos
		case c == '>':
			// Both ']' must be literal character data: markup never ends
			// in ']' right before a '>' that is scanned as text.
			if buf[pos-1] == ']' && buf[pos-2] == ']' {
				return p.fail(CondNotWellFormed, pos-2, "\"]]>\" in character data")
			}
			pos++
		case c == '\r':
			pos = p.foldCR(pos, lim, '\n')
		case c < 0x20:
			return p.unexpected(pos, lim, CondNotWellFormed, "unexpected character")
		default:
			if n := charLen23(buf[pos:lim]); n > 0 {
				pos += n
				continue
			}
			_, size, s := p.decodeAt(pos, lim)
			if s != stepNext {
				p.pos = pos
				return s
			}
			pos += size
		}
	}
	p.pos = pos
	return stepMore
}

// cdata scans a CDATA section; its content joins the surrounding character
// data (it is just another way to write text, XML 1.0 §2.7).
func (p *Parser) cdata(lim int) step {
	buf := p.buf
	if p.crPending && !p.finishCR(lim) {
		return stepMore
	}
	pos := p.pos
	for pos < lim {
		c := buf[pos]
		if byteClass[c]&clsCDATA != 0 {
			pos++
			continue
		}
		switch {
		case c == '>':
			if pos-2 >= p.mark && buf[pos-1] == ']' && buf[pos-2] == ']' {
				p.text = append(p.text, buf[p.seg:pos-2]...)
				pos++
				p.pos, p.seg = pos, pos
				p.state = stText
				return stepNext
			}
			pos++
		case c == '\r':
			pos = p.foldCR(pos, lim, '\n')
		case c < 0x20:
			return p.unexpected(pos, lim, CondNotWellFormed, "unexpected character")
		default:
			_, size, s := p.decodeAt(pos, lim)
			if s != stepNext {
				p.pos = pos
				return s
			}
			pos += size
		}
	}
	p.pos = pos
	return stepMore
}

// flushText turns the character data before the '<' at p.textEnd into a
// text node of the innermost open element. Verbatim text (nothing was
// unescaped or normalised) becomes a span, filled in by emitElement.
func (p *Parser) flushText() {
	if len(p.stack) == 0 {
		return
	}
	if len(p.text) == 0 {
		if p.textEnd > p.seg {
			p.nodes = append(p.nodes, Node{})
			p.spans = append(p.spans, span{p.seg - p.start, p.textEnd - p.start})
		}
		return
	}
	p.text = append(p.text, p.buf[p.seg:p.textEnd]...)
	p.nodes = append(p.nodes, Node{Text: string(p.text)})
	p.spans = append(p.spans, span{-1, 0})
	p.text = p.text[:0]
}

// endName checks the name of an end tag against the element it closes (XML
// 1.0 §3 WFC: Element Type Match).
func (p *Parser) endName() step {
	want := p.headerName
	if n := len(p.stack); n > 0 {
		want = p.stack[n-1].el.Name
	}
	if got := p.buf[p.mark:p.pos]; string(got) != want {
		return p.fail(CondNotWellFormed, p.tagStart,
			fmt.Sprintf("end tag </%s> does not match start tag <%s>", got, want))
	}
	p.state = stEndTail
	return stepNext
}

func (p *Parser) endTail(lim int) step {
	for p.pos < lim && isSpace(p.buf[p.pos]) {
		p.pos++
	}
	if p.pos >= lim {
		return stepMore
	}
	if p.buf[p.pos] != '>' {
		return p.unexpected(p.pos, lim, CondNotWellFormed, "expected '>' in end tag")
	}
	p.pos++
	n := len(p.stack)
	if n == 0 {
		p.tok = Token{Kind: TokStreamEnd}
		if !p.DiscardRaw {
			p.tok.Raw = bytes.Clone(p.buf[p.start:p.pos])
		}
		p.start = p.pos
		p.state = stAfterEnd
		return stepToken
	}
	o := p.stack[n-1]
	p.stack[n-1] = openElem{}
	p.stack = p.stack[:n-1]
	p.popBindings(o.mark)
	if k := len(p.nodes) - o.nodeStart; k > 0 {
		o.el.Nodes = p.allocNodes(k)
		copy(o.el.Nodes, p.nodes[o.nodeStart:])
		clear(p.nodes[o.nodeStart:])
		p.nodes = p.nodes[:o.nodeStart]
	}
	if n == 1 {
		return p.emitElement(o.el)
	}
	p.seg = p.pos
	p.state = stText
	return stepNext
}

func (p *Parser) emitElement(el *Element) step {
	if !p.Borrow {
		el = p.export(el)
	}
	raw := p.buf[p.start:p.pos]
	for _, sp := range p.spans {
		if sp.off >= 0 {
			if k := fillSpans(el, string(raw), p.spans, 0); k != len(p.spans) {
				panic("xmlstream: internal error: span count mismatch")
			}
			break
		}
	}
	p.spans = p.spans[:0]
	p.tok = Token{Kind: TokElement, Elem: el}
	if !p.DiscardRaw {
		p.tok.Raw = p.copyRaw(raw)
	}
	p.start = p.pos
	p.state = stStream
	return stepToken
}

// fillSpans sets the verbatim attribute values and text nodes of el and its
// descendants from s (the token's bytes), walking in the document order in
// which the spans were recorded. It returns the index of the next span.
func fillSpans(el *Element, s string, spans []span, k int) int {
	for i := range el.Attrs {
		if sp := spans[k]; sp.off >= 0 {
			el.Attrs[i].Value = s[sp.off:sp.end]
		}
		k++
	}
	for i := range el.Nodes {
		n := &el.Nodes[i]
		if n.Elem != nil {
			k = fillSpans(n.Elem, s, spans, k)
			continue
		}
		if sp := spans[k]; sp.off >= 0 {
			n.Text = s[sp.off:sp.end]
		}
		k++
	}
	return k
}

// copyRaw copies a token's bytes, small ones into a shared chunk.
func (p *Parser) copyRaw(raw []byte) []byte {
	n := len(raw)
	if n > p.chunk(rawChunk)/4 {
		return bytes.Clone(raw)
	}
	if cap(p.rawSlab)-len(p.rawSlab) < n {
		p.rawSlab = make([]byte, 0, p.chunk(rawChunk))
		p.grown()
	}
	i := len(p.rawSlab)
	p.rawSlab = append(p.rawSlab, raw...)
	return p.rawSlab[i : i+n : i+n]
}

// newElement, allocAttrs and allocNodes carve the tree being built from
// the work's slabs. A slab that runs out is replaced by one twice its size,
// kept for the tokens that follow; the tree does not stay in it (export).
func (p *Parser) newElement() *Element {
	if len(p.elemSlab) == cap(p.elemSlab) {
		p.elemSlab = make([]Element, 0, 2*cap(p.elemSlab))
	}
	p.nEl++
	p.elemSlab = p.elemSlab[:len(p.elemSlab)+1]
	return &p.elemSlab[len(p.elemSlab)-1]
}

func (p *Parser) allocAttrs(n int) []Attr {
	if cap(p.attrSlab)-len(p.attrSlab) < n {
		p.attrSlab = make([]Attr, 0, max(n, 2*cap(p.attrSlab)))
	}
	p.nAttr += n
	i := len(p.attrSlab)
	p.attrSlab = p.attrSlab[:i+n]
	return p.attrSlab[i : i+n : i+n]
}

func (p *Parser) allocNodes(n int) []Node {
	if cap(p.nodeSlab)-len(p.nodeSlab) < n {
		p.nodeSlab = make([]Node, 0, max(n, 2*cap(p.nodeSlab)))
	}
	p.nNode += n
	i := len(p.nodeSlab)
	p.nodeSlab = p.nodeSlab[:i+n]
	return p.nodeSlab[i : i+n : i+n]
}

// resetTree empties the tree slabs for the next token (cleared: they must
// not keep the last tree's strings alive).
func (w *work) resetTree() {
	clear(w.elemSlab)
	clear(w.attrSlab)
	clear(w.nodeSlab)
	w.elemSlab, w.attrSlab, w.nodeSlab = w.elemSlab[:0], w.attrSlab[:0], w.nodeSlab[:0]
	w.nEl, w.nAttr, w.nNode = 0, 0, 0
	if w.hdr.Name != "" {
		w.hdr = Header{}
		clear(w.hdrAttrs[:])
	}
}

// Shapes of small trees, each one allocation: a first-level element alone
// (<db:result/>, <proceed/>, <auth/>, an <iq/> answer), with a child (a
// <message/> with its <body/>, a ping), or a few (a feature list). Bigger
// trees get exact slices.
type (
	tree1 struct {
		el    [1]Element
		attrs [4]Attr
		nodes [1]Node
	}
	tree2 struct {
		el    [2]Element
		attrs [6]Attr
		nodes [3]Node
	}
	tree4 struct {
		el    [4]Element
		attrs [8]Attr
		nodes [6]Node
	}
)

// export copies the finished tree rooted at root out of the slabs into
// storage of its own: one allocation for the common shapes instead of
// three or more chunks per token, and no chunk shared between the trees
// of different tokens (shared chunks chain trees together: one tree kept
// alive keeps its neighbours, and theirs — measured, docs/performance.md).
func (p *Parser) export(root *Element) *Element {
	var a treeAlloc
	switch {
	case p.pos < len(p.buf):
		// More input is waiting: a burst (a busy stream, a feature list
		// and what follows it in one segment). Its trees are carved from
		// chunks that grow while the burst lasts and are let go when the
		// parser parks — fewer allocations than a block per tree; the
		// chunks shared within one burst live no longer than its trees.
		a = p.carve()
	default:
		a = newTreeAlloc(p.nEl, p.nAttr, p.nNode)
	}
	el := a.copy(root)
	p.resetTree()
	return el
}

// newTreeAlloc takes room for a tree of nEl elements, nAttr attributes and
// nNode child nodes: one allocation for the common shapes, exact slices for
// bigger trees.
func newTreeAlloc(nEl, nAttr, nNode int) treeAlloc {
	switch {
	case nEl <= 1 && nAttr <= 4 && nNode <= 1:
		b := new(tree1)
		return treeAlloc{b.el[:], b.attrs[:], b.nodes[:]}
	case nEl <= 2 && nAttr <= 6 && nNode <= 3:
		b := new(tree2)
		return treeAlloc{b.el[:], b.attrs[:], b.nodes[:]}
	case nEl <= 4 && nAttr <= 8 && nNode <= 6:
		b := new(tree4)
		return treeAlloc{b.el[:], b.attrs[:], b.nodes[:]}
	}
	return treeAlloc{make([]Element, nEl), make([]Attr, nAttr), make([]Node, nNode)}
}

// carve takes room for the finished tree from the burst chunks.
func (p *Parser) carve() treeAlloc {
	w := p.work
	size := func(have, need, first int) int { return max(need, min(2*have, first<<slabShift), first) }
	if cap(w.burstEl)-len(w.burstEl) < p.nEl {
		w.burstEl = make([]Element, 0, size(cap(w.burstEl), p.nEl, 4))
	}
	if cap(w.burstAttr)-len(w.burstAttr) < p.nAttr {
		w.burstAttr = make([]Attr, 0, size(cap(w.burstAttr), p.nAttr, 8))
	}
	if cap(w.burstNode)-len(w.burstNode) < p.nNode {
		w.burstNode = make([]Node, 0, size(cap(w.burstNode), p.nNode, 8))
	}
	i, j, k := len(w.burstEl), len(w.burstAttr), len(w.burstNode)
	w.burstEl, w.burstAttr, w.burstNode = w.burstEl[:i+p.nEl], w.burstAttr[:j+p.nAttr], w.burstNode[:k+p.nNode]
	return treeAlloc{w.burstEl[i : i+p.nEl], w.burstAttr[j : j+p.nAttr], w.burstNode[k : k+p.nNode]}
}

// treeAlloc hands out the parts of an exported tree.
type treeAlloc struct {
	els   []Element
	attrs []Attr
	nodes []Node
}

// copy copies src and its descendants, in document order.
func (a *treeAlloc) copy(src *Element) *Element {
	e := &a.els[0]
	a.els = a.els[1:]
	e.Name, e.Space = src.Name, src.Space
	if n := len(src.Attrs); n > 0 {
		e.Attrs = a.attrs[:n:n]
		a.attrs = a.attrs[n:]
		copy(e.Attrs, src.Attrs)
	}
	if n := len(src.Nodes); n > 0 {
		e.Nodes = a.nodes[:n:n]
		a.nodes = a.nodes[n:]
		for i, nd := range src.Nodes {
			if nd.Elem != nil {
				e.Nodes[i].Elem = a.copy(nd.Elem)
			} else {
				e.Nodes[i].Text = nd.Text
			}
		}
	}
	return e
}

// startTagDone builds the element whose start tag just ended, or, for the
// first start tag of a stream, the header.
func (p *Parser) startTagDone(empty bool) step {
	if !p.inStream {
		return p.headerDone(empty)
	}
	mark := len(p.ebind)
	if s := p.declare(); s != stepNext {
		return s
	}
	prefix := ""
	if p.elemColon > 0 {
		prefix = p.elemName[:p.elemColon]
	}
	space, ok := p.lookup(prefix)
	if !ok {
		// XML-NAMES §5 (Namespace constraint: Prefix Declared); a
		// namespace-well-formedness error, RFC 6120 §4.9.3.13.
		return p.fail(CondNotWellFormed, p.tagStart,
			fmt.Sprintf("undeclared namespace prefix %q on element <%s>", prefix, p.elemName))
	}
	if len(p.stack) == 0 && space == NSStreams && p.elemName[p.elemColon+1:] == "stream" {
		// A stream header inside an open stream, without a restart
		// (§4.3.3): read as a first-level element it would swallow the
		// rest of the stream until the size limit. Nothing in §4.9.3
		// names it; the XML is well-formed but cannot be processed, so
		// bad-format (§4.9.3.1), as for a wrong root element.
		return p.fail(CondBadFormat, p.tagStart,
			fmt.Sprintf("stream header <%s> inside an open stream", p.elemName))
	}
	if s := p.checkAttrs(); s != stepNext {
		return s
	}
	el := p.newElement()
	el.Name, el.Space = p.elemName, space
	if len(p.attrs) > 0 {
		el.Attrs = p.allocAttrs(len(p.attrs))
		copy(el.Attrs, p.attrs)
	}
	if len(p.stack) > 0 {
		p.nodes = append(p.nodes, Node{Elem: el})
	}
	if empty {
		p.popBindings(mark)
		if len(p.stack) == 0 {
			return p.emitElement(el)
		}
	} else {
		p.stack = append(p.stack, openElem{el: el, mark: mark, nodeStart: len(p.nodes)})
	}
	p.seg = p.pos
	p.state = stText
	return stepNext
}

// headerDone checks the stream header (RFC 6120 §4.7, §4.8) and turns it
// into a TokStreamStart.
func (p *Parser) headerDone(empty bool) step {
	at := p.tagStart
	if s := p.declare(); s != stepNext {
		return s
	}
	if s := p.checkAttrs(); s != stepNext {
		return s
	}
	name := p.elemName
	prefix, local := splitName(name)
	space, ok := p.lookup(prefix)
	switch {
	case !ok:
		// §4.9.3.2: "a namespace prefix that is unsupported".
		return p.fail(CondBadNamespacePrefix, at,
			fmt.Sprintf("undeclared namespace prefix %q on stream header <%s>", prefix, name))
	case space != NSStreams:
		// §4.8.1: the root must be qualified by the streams namespace,
		// else "SHOULD be <invalid-namespace/>" (§4.9.3.10).
		return p.fail(CondInvalidNamespace, at,
			fmt.Sprintf("stream header <%s> is in namespace %q, not %q", name, space, NSStreams))
	case local != "stream":
		// Right namespace, wrong element: nothing in §4.9.3 names this;
		// bad-format (§4.9.3.1) is "XML that cannot be processed".
		return p.fail(CondBadFormat, at,
			fmt.Sprintf("first element <%s> is not a stream header <stream>", name))
	}
	def, _ := p.lookup("")
	if def != p.contentNS() {
		// §4.8.2/§4.8.3 and §4.9.3.10: "the content namespace declared as
		// the default namespace is not supported".
		return p.fail(CondInvalidNamespace, at,
			fmt.Sprintf("content namespace %q, want %q", def, p.contentNS()))
	}
	// A lent header lives in the working space; a given one is one
	// allocation with its attributes. Then one string for the values (and
	// Raw, unless DiscardRaw; the token's Raw shares it).
	var h *Header
	if p.Borrow && len(p.attrs) <= len(p.hdrAttrs) {
		h = &p.hdr
		h.Attrs = p.hdrAttrs[:len(p.attrs):len(p.attrs)]
	} else {
		h = newHeader(len(p.attrs))
	}
	h.Name, h.DefaultNS = name, def
	copy(h.Attrs, p.attrs)
	if p.DiscardRaw {
		p.headerValues(h)
	} else {
		h.Raw = string(p.buf[p.start:p.pos])
		for i, sp := range p.spans {
			if sp.off >= 0 {
				h.Attrs[i].Value = h.Raw[sp.off:sp.end]
			}
		}
	}
	p.spans = p.spans[:0]
	for _, a := range h.Attrs {
		switch a.Name {
		case "from":
			h.From = a.Value
		case "to":
			h.To = a.Value
		case "id":
			h.ID = a.Value
		case "version":
			h.Version = a.Value
		case "xml:lang":
			h.Lang = a.Value
		}
	}
	p.headerName = name
	p.inStream = true
	p.tok = Token{Kind: TokStreamStart, Header: h}
	if !p.DiscardRaw {
		p.tok.Raw = []byte(h.Raw)
	}
	p.start = p.pos
	p.state = stStream
	if empty {
		// <stream:stream .../> opens and closes the stream at once.
		p.pendingEnd = true
		p.state = stAfterEnd
	}
	return stepToken
}

// headerValues sets the verbatim attribute values of a header whose Raw is
// not kept, cut from one string holding just them (a quarter of the tag's
// bytes: the namespace declarations are interned already).
func (p *Parser) headerValues(h *Header) {
	raw := p.buf[p.start:p.pos]
	n := 0
	for _, sp := range p.spans {
		if sp.off < 0 {
			continue
		}
		n += sp.end - sp.off
	}
	if n == 0 {
		return
	}
	var b strings.Builder
	b.Grow(n)
	for _, sp := range p.spans {
		if sp.off >= 0 {
			b.Write(raw[sp.off:sp.end])
		}
	}
	all, at := b.String(), 0
	for i, sp := range p.spans {
		if sp.off >= 0 {
			h.Attrs[i].Value = all[at : at+sp.end-sp.off]
			at += sp.end - sp.off
		}
	}
}

// newHeader allocates a Header with room for n attributes in the same
// allocation (a header has five to eight); more get their own slice.
func newHeader(n int) *Header {
	if n > 8 {
		return &Header{Attrs: make([]Attr, n)}
	}
	b := &struct {
		h     Header
		attrs [8]Attr
	}{}
	b.h.Attrs = b.attrs[:n:n]
	return &b.h
}

// declare pushes the namespace declarations among p.attrs onto the binding
// stack, enforcing the constraints of XML-NAMES §3 (reserved prefixes and
// names; no undeclaring of prefixes in XML-NAMES 1.0).
func (p *Parser) declare() step {
	// A header's declarations are collected here and kept in p.bindings
	// (shared when they are one of the usual sets); an element's go on
	// the token's stack.
	var arr [4]binding
	hdr, header := arr[:0], !p.inStream
	for _, a := range p.attrs {
		var prefix string
		if a.Name == "xmlns" {
			if a.Value == NSXML || a.Value == nsXMLNS {
				return p.fail(CondNotWellFormed, p.tagStart,
					fmt.Sprintf("reserved namespace %q declared as default namespace", a.Value))
			}
		} else if pfx, ok := strings.CutPrefix(a.Name, "xmlns:"); ok {
			prefix = pfx
			switch {
			case prefix == "xmlns":
				return p.fail(CondNotWellFormed, p.tagStart, "prefix \"xmlns\" must not be declared")
			case prefix == "xml":
				if a.Value != NSXML {
					return p.fail(CondNotWellFormed, p.tagStart,
						fmt.Sprintf("prefix \"xml\" bound to %q", a.Value))
				}
				continue
			case a.Value == NSXML || a.Value == nsXMLNS:
				return p.fail(CondNotWellFormed, p.tagStart,
					fmt.Sprintf("reserved namespace %q bound to prefix %q", a.Value, prefix))
			case a.Value == "":
				return p.fail(CondNotWellFormed, p.tagStart,
					fmt.Sprintf("prefix %q declared with an empty namespace name", prefix))
			}
		} else {
			continue
		}
		// No copy is needed to keep a long-lived binding from pinning the
		// token it was read from: a declaration's value is never a span of
		// the token's bytes (attrValue and fastAttr intern it, or make it a
		// string of its own when it had references), and the prefix is cut
		// from the interned attribute name. (Cloning both cost 16 % of the
		// parser's allocations on the varied stream.)
		uri, pfx := a.Value, prefix
		if header {
			hdr = append(hdr, binding{pfx, uri})
		} else {
			p.ebind = append(p.ebind, binding{pfx, uri})
		}
	}
	if header {
		p.bindings, p.bindIdx = sharedBindings(hdr), nil
		if len(hdr) > indexAbove {
			p.bindIdx = make(map[string]string, len(hdr))
			for _, b := range p.bindings {
				p.bindIdx[b.prefix] = b.uri
			}
		}
	}
	return stepNext
}

// usualBindings are the declarations of the headers fedsim's servers (and
// most real ones) write — the content namespace, the streams prefix and
// perhaps the dialback prefix, in any order — each a read-only slice that
// the streams declaring it share: a stream's header costs no allocation
// for its bindings, and an idle stream holds none of its own.
var usualBindings = func() (sets [][]binding) {
	def := binding{"", NSServer}
	st := binding{wkMust("stream"), NSStreams}
	db := binding{wkMust("db"), NSDialback}
	sets = append(sets, []binding{def, st}, []binding{st, def})
	for _, o := range [][3]binding{{def, db, st}, {def, st, db}, {db, def, st}, {db, st, def}, {st, def, db}, {st, db, def}} {
		sets = append(sets, []binding{o[0], o[1], o[2]})
	}
	return sets
}()

// wkMust returns the table's spelling of a well-known string.
func wkMust(s string) string {
	w, ok := wellKnownString(s)
	if !ok {
		panic("xmlstream: " + s + " is not in the well-known table")
	}
	return w
}

// sharedBindings returns the usual set equal to bs, or a copy of bs.
func sharedBindings(bs []binding) []binding {
next:
	for _, u := range usualBindings {
		if len(u) != len(bs) {
			continue
		}
		for i := range u {
			if u[i] != bs[i] {
				continue next
			}
		}
		return u
	}
	if len(bs) == 0 {
		return nil
	}
	return append([]binding(nil), bs...)
}

// checkAttrs enforces that attribute prefixes are declared (XML-NAMES §5)
// and that no attribute appears twice, by qualified name (XML 1.0 §3.1 WFC:
// Unique Att Spec) or by expanded name (XML-NAMES §6.3).
func (p *Parser) checkAttrs() step {
	attrs := p.attrs
	prefixed := 0 // attributes with a prefix other than xmlns
	for i, a := range attrs {
		c := p.acolons[i]
		if c <= 0 || a.Name[:c] == "xmlns" {
			continue
		}
		prefixed++
		if _, ok := p.lookup(a.Name[:c]); !ok {
			return p.fail(CondNotWellFormed, p.tagStart,
				fmt.Sprintf("undeclared namespace prefix %q on attribute %s of <%s>", a.Name[:c], a.Name, p.elemName))
		}
	}
	if len(attrs) < 2 {
		return stepNext
	}
	dup := func(name string) step {
		return p.fail(CondNotWellFormed, p.tagStart,
			fmt.Sprintf("duplicate attribute %s on <%s>", name, p.elemName))
	}
	if len(attrs) <= 8 {
		for i := 1; i < len(attrs); i++ {
			for j := 0; j < i; j++ {
				if attrs[i].Name == attrs[j].Name || (prefixed > 1 && p.sameExpanded(i, j)) {
					return dup(attrs[i].Name)
				}
			}
		}
		return stepNext
	}
	// Many attributes: a set, so that a hostile start tag cannot make this
	// quadratic.
	seen := make(map[string]struct{}, 2*len(attrs))
	for i, a := range attrs {
		if _, ok := seen[a.Name]; ok {
			return dup(a.Name)
		}
		seen[a.Name] = struct{}{}
		if c := p.acolons[i]; c > 0 && a.Name[:c] != "xmlns" {
			uri, _ := p.lookup(a.Name[:c])
			e := "{" + uri + "}" + a.Name[c+1:] // cannot collide with a qualified name
			if _, ok := seen[e]; ok {
				return dup(a.Name)
			}
			seen[e] = struct{}{}
		}
	}
	return stepNext
}

// sameExpanded reports whether attributes i and j, if both are prefixed
// (and not namespace declarations), resolve to the same expanded name.
func (p *Parser) sameExpanded(i, j int) bool {
	a, b := p.attrs[i].Name, p.attrs[j].Name
	ci, cj := p.acolons[i], p.acolons[j]
	if ci <= 0 || cj <= 0 || a[:ci] == "xmlns" || b[:cj] == "xmlns" || a[ci+1:] != b[cj+1:] {
		return false
	}
	ua, _ := p.lookup(a[:ci])
	ub, _ := p.lookup(b[:cj])
	return ua == ub
}

// lookup resolves a prefix ("" for the default namespace) in the current
// scope. The "xml" prefix is bound by definition (XML-NAMES §3); an
// undeclared default namespace is no namespace.
func (p *Parser) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return NSXML, true
	}
	if p.work != nil {
		if len(p.ebind) > indexAbove {
			if i, ok := p.indexBindings()[prefix]; ok {
				return p.ebind[i].uri, true
			}
		} else {
			for i := len(p.ebind) - 1; i >= 0; i-- {
				if p.ebind[i].prefix == prefix {
					return p.ebind[i].uri, true
				}
			}
		}
	}
	if p.bindIdx != nil {
		uri, ok := p.bindIdx[prefix]
		return uri, ok || prefix == ""
	}
	for i := len(p.bindings) - 1; i >= 0; i-- {
		if p.bindings[i].prefix == prefix {
			return p.bindings[i].uri, true
		}
	}
	return "", prefix == ""
}

// indexBindings brings eidx up to date with ebind and returns it.
func (p *Parser) indexBindings() map[string]int32 {
	if p.eidx == nil {
		p.eidx = make(map[string]int32, 2*len(p.ebind))
	}
	for i := p.nidx; i < len(p.ebind); i++ {
		prev, ok := p.eidx[p.ebind[i].prefix]
		if !ok {
			prev = -1
		}
		p.eprev = append(p.eprev, prev)
		p.eidx[p.ebind[i].prefix] = int32(i)
	}
	p.nidx = len(p.ebind)
	return p.eidx
}

// popBindings closes the declarations from ebind[mark] on, restoring in
// eidx those they shadowed.
func (p *Parser) popBindings(mark int) {
	if p.nidx > mark {
		for i := p.nidx - 1; i >= mark; i-- {
			if prev := p.eprev[i]; prev >= 0 {
				p.eidx[p.ebind[i].prefix] = prev
			} else {
				delete(p.eidx, p.ebind[i].prefix)
			}
		}
		p.eprev = p.eprev[:mark]
		p.nidx = mark
	}
	p.ebind = p.ebind[:mark]
}

// resetBindings closes every declaration of the token; an index grown by
// a hostile token is let go rather than kept in the pool.
func (w *work) resetBindings() {
	clear(w.ebind[:cap(w.ebind)])
	if cap(w.ebind) > 64 {
		w.ebind = w.ebindArr[:0]
	}
	w.ebind = w.ebind[:0]
	w.eidx, w.eprev, w.nidx = nil, nil, 0
}

// splitName splits a qualified name at its colon.
func splitName(name string) (prefix, local string) {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// intern returns b as a string, sharing one copy of the short strings that
// repeat on every stanza (names, namespace names). The well-known XMPP
// names come from a shared read-only table; anything else goes through a
// small two-way set-associative cache of the parser's own (most recently
// used first), allocated the first time a stream uses a name the table
// lacks. A collision costs an allocation, never a wrong answer.
func (p *Parser) intern(b []byte) string {
	if len(b) > maxInternLen {
		return string(b)
	}
	n := len(b)
	if n == 0 {
		return ""
	}
	h := nameHash(b[0], b[n/2], b[n-1], n)
	for i := h & wkMask; ; i = (i + 1) & wkMask {
		s := wkTable[i]
		if s == "" {
			break
		}
		if s == string(b) {
			return s
		}
	}
	if p.names == nil {
		p.names = new([internSets][2]string)
	}
	set := &p.names[(h>>wkBits)%internSets]
	if set[0] == string(b) {
		return set[0]
	}
	if s := set[1]; s == string(b) {
		set[0], set[1] = s, set[0]
		return s
	}
	s := string(b)
	set[0], set[1] = s, set[0]
	return s
}

// nameHash mixes length, first, middle and last byte: O(1), and enough to
// tell apart the few dozen names and namespaces a stream uses.
func nameHash(first, mid, last byte, n int) uint32 {
	h := uint32(n) | uint32(first)<<8 | uint32(mid)<<16 | uint32(last)<<24
	return h * 0x9E3779B1 >> 16
}

// wellKnownString returns the shared spelling of s if the table has one.
func wellKnownString(s string) (string, bool) {
	n := len(s)
	if n == 0 || n > maxInternLen {
		return "", false
	}
	for i := nameHash(s[0], s[n/2], s[n-1], n) & wkMask; ; i = (i + 1) & wkMask {
		w := wkTable[i]
		if w == "" {
			return "", false
		}
		if w == s {
			return w, true
		}
	}
}

// wkTable holds the names, namespaces and values that XMPP server-to-server
// streams use over and over, in an open-addressed table (linear probing,
// under a quarter full). It is read-only after package initialisation, so
// parsers on any goroutine may share it; a hit costs no allocation, no map
// hashing and no room in a parser's own cache.
const (
	wkBits = 9
	wkMask = 1<<wkBits - 1
)

var wkTable = func() (t [1 << wkBits]string) {
	for _, s := range []string{
		"stream:stream", "stream:features", "stream:error", "stream", "features", "error",
		"starttls", "required", "proceed", "failure", "mechanisms", "mechanism", "auth", "success",
		"dialback", "errors", "db:result", "db:verify", "result", "verify", "db",
		"iq", "message", "presence", "body", "ping", "text", "subject", "thread", "query",
		"from", "to", "id", "type", "xmlns", "xmlns:db", "xmlns:stream", "version", "xml:lang",
		NSServer, NSDialback, NSStreams, "jabber:client",
		"urn:ietf:params:xml:ns:xmpp-tls", "urn:ietf:params:xml:ns:xmpp-sasl",
		"urn:ietf:params:xml:ns:xmpp-streams", "urn:ietf:params:xml:ns:xmpp-stanzas",
		"urn:xmpp:features:dialback", "urn:xmpp:ping",
		"EXTERNAL", "valid", "invalid", "get", "set", "chat", "normal", "groupchat", "headline",
		"1.0", "en", "wait", "cancel", "modify", "continue",
		"not-authorized", "remote-server-timeout", "remote-server-not-found", "service-unavailable",
		"host-unknown", "not-well-formed", "restricted-xml", "invalid-namespace", "policy-violation",
		"unsupported-stanza-type", "connection-timeout", "remote-connection-failed", "undefined-condition",
		"internal-server-error", "item-not-found", "invalid-mechanism", "invalid-authzid",
	} {
		n := len(s)
		i := nameHash(s[0], s[n/2], s[n-1], n) & wkMask
		for t[i] != "" {
			if t[i] == s {
				panic("xmlstream: duplicate well-known name " + s)
			}
			i = (i + 1) & wkMask
		}
		t[i] = s
	}
	return t
}()

// workPool is process-wide on purpose. It holds capacity, never content
// a parser could observe (the space is cleared and never outlives a token),
// so which parser gets which space changes nothing a parser returns and no
// run's determinism; it is safe across the goroutines of a parallel sweep;
// and the collector empties it, so idle streams really hold nothing. (A
// per-server free list was measured instead: it kept the space alive and
// cost more allocations — docs/performance.md.)
var workPool = sync.Pool{New: func() any {
	w := new(work)
	w.attrs, w.acolons, w.spans = w.attrArr[:0], w.colonArr[:0], w.spanArr[:0]
	w.nodes, w.stack, w.buf = w.nodeArr[:0], w.stackArr[:0], w.bufArr[:0]
	w.ebind = w.ebindArr[:0]
	w.elemSlab, w.attrSlab, w.nodeSlab = w.treeEl[:0], w.treeAttr[:0], w.treeNode[:0]
	return w
}}

// park gives the working space back to the pool. The parser is at a token
// boundary with everything fed consumed: base is the next byte's offset.
func (p *Parser) park() {
	w := p.work
	if cap(w.buf) > 16<<10 {
		w.buf = w.bufArr[:0] // an oversized element made it large: let it go
	}
	clear(w.attrs[:cap(w.attrs)])
	clear(w.nodes[:cap(w.nodes)])
	clear(w.stack[:cap(w.stack)])
	w.resetBindings()
	w.buf, w.attrs, w.acolons, w.spans = w.buf[:0], w.attrs[:0], w.acolons[:0], w.spans[:0]
	w.text, w.nodes, w.stack = w.text[:0], w.nodes[:0], w.stack[:0]
	w.resetTree()
	w.rawSlab, w.grow = nil, 0
	w.burstEl, w.burstAttr, w.burstNode = nil, nil, nil
	w.pos, w.start, w.seg, w.textEnd, w.tagStart, w.mark = 0, 0, 0, 0, 0, 0
	w.elemName, w.attrName, w.tok = "", "", Token{}
	workPool.Put(w)
	p.work = nil
}

// unpark takes working space from the pool; the parser holds on to it
// until it parks again.
func (p *Parser) unpark() {
	p.work = workPool.Get().(*work)
}

// Buffered returns the number of bytes fed and not yet returned as part of
// a token: what the parser holds for the token being scanned. It is at most
// MaxElementBytes plus one Feed's worth, and 0 once the stream failed.
func (p *Parser) Buffered() int {
	if p.work == nil || p.err != nil {
		return 0
	}
	return len(p.buf) - p.start
}
