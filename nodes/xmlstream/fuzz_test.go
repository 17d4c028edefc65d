package xmlstream

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// FuzzParser checks, for any input:
//   - the parser never panics;
//   - feeding the input whole, byte by byte, or in pieces of a size taken
//     from the input gives the same tokens and the same error, and so does
//     a parser that lends its tokens and discards raw bytes (as servers do)
//     returns them without their raw bytes;
//   - every element's Raw, re-parsed after the stream's header, gives an
//     equal element, and so does the element's AppendXML output.
//
// Tokens named proceed or success trigger Restart, as the protocol code
// does, so that restarts are fuzzed too.
func FuzzParser(f *testing.F) {
	f.Add([]byte(transcript()))
	f.Add([]byte(testHeader + "<message><body>a&amp;b&#x41;<![CDATA[<x>]]></body></message></stream:stream>"))
	f.Add([]byte(testHeader + "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><?xml version='1.0'?>" + testHeader))
	f.Add([]byte(testHeader + "<m a='x\r\ny\tz'>1\r\n2\r3</m> \n<n xmlns:p='urn:p' p:a='1'><p:o/></n>"))
	f.Add([]byte(testHeader + "<ä xmlns='urn:ü'>日本</ä><m>\xff</m>"))
	f.Add([]byte("<?xml version='1.0' encoding='UTF-8'?>" + testHeader + "<!-- c -->"))
	f.Add([]byte(testHeader + "<a><b><c/></b></a>&foo;"))
	// More declarations in scope than indexAbove: lookups go through the
	// index, with shadowing, and closing elements restore outer bindings.
	var many strings.Builder
	many.WriteString(testHeader + "<m")
	for i := range indexAbove + 2 {
		fmt.Fprintf(&many, " xmlns:p%d='urn:%d'", i, i)
	}
	many.WriteString("><p1:n xmlns:p1='urn:x' p0:a='1' p17:a='2'><p1:o/></p1:n><p1:n p1:a='3' p2:a='4'/></m>")
	f.Add([]byte(many.String()))
	for _, v := range violations {
		if len(v.in) < 512 && v.setup == nil {
			in := v.in
			if !v.noHeader {
				in = testHeader + in
			}
			f.Add([]byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want := fuzzFeed(in, 0, 1<<12)
		sameResults(t, "byte by byte", fuzzFeed(in, 1, 1<<12), want)
		if len(in) > 0 {
			sameResults(t, "in pieces", fuzzFeed(in, 1+int(in[0])%17, 1<<12), want)
			sameResults(t, "lent, raw discarded, in pieces", fuzzFeedWith(in, 1+int(in[0])%13, 1<<12, true), withoutRaw(want))
			// A size limit the input can reach: the policy-violation (or
			// whatever comes first) must not depend on the split either.
			limit := 1 + int(in[len(in)-1])
			sameResults(t, "small limit, byte by byte", fuzzFeed(in, 1, limit), fuzzFeed(in, 0, limit))
		}

		var header string
		for _, r := range want {
			switch {
			case r.Err != "":
			case r.Tok.Kind == TokStreamStart:
				header = r.Tok.Header.Raw
			case r.Tok.Kind == TokElement:
				reparse(t, header, r.Tok.Raw, r.Tok)
				reparse(t, header, r.Tok.Elem.AppendXML(nil), Token{Kind: TokElement, Elem: r.Tok.Elem})
			}
		}
	})
}

// fuzzFeed parses in, fed in pieces of size n (0: whole), with the given
// MaxElementBytes.
func fuzzFeed(in []byte, n, limit int) []result { return fuzzFeedWith(in, n, limit, false) }

// fuzzFeedWith is fuzzFeed, with tokens lent and raw bytes discarded (as
// fedsim's servers parse) if borrow is set.
func fuzzFeedWith(in []byte, n, limit int, borrow bool) []result {
	if n == 0 {
		n = len(in) + 1
	}
	var chunks [][]byte
	for i := 0; i < len(in); i += n {
		chunks = append(chunks, in[i:min(i+n, len(in))])
	}
	// Small limits, so that the fuzzer reaches them.
	p := NewParser()
	p.MaxElementBytes = limit
	p.MaxDepth = 8
	p.Borrow, p.DiscardRaw = borrow, borrow
	return feedAll(p, chunks)
}

// reparse parses header+raw and checks that it yields want's element (and,
// when want has Raw, the same Raw).
func reparse(t *testing.T, header string, raw []byte, want Token) {
	t.Helper()
	p := NewParser()
	p.MaxDepth = 8 // AppendXML may be longer than Raw (escapes), so the default size limit
	p.Feed([]byte(header))
	p.Feed(raw)
	if _, ok, err := p.Next(); !ok || err != nil {
		t.Fatalf("re-parse of header %q: ok=%v err=%v", header, ok, err)
	}
	tok, ok, err := p.Next()
	if !ok || err != nil {
		t.Fatalf("re-parse of %q: ok=%v err=%v", raw, ok, err)
	}
	if !reflect.DeepEqual(tok.Elem, want.Elem) {
		t.Fatalf("re-parse of %q:\n got  %+v\n want %+v", raw, tok.Elem, want.Elem)
	}
	if want.Raw != nil && string(tok.Raw) != string(want.Raw) {
		t.Fatalf("re-parse of %q: Raw %q", raw, tok.Raw)
	}
}

// withoutRaw is what a DiscardRaw parser returns for the same input.
func withoutRaw(rs []result) []result {
	out := make([]result, len(rs))
	for i, r := range rs {
		r.Tok.Raw = nil
		if r.Tok.Header != nil {
			h := *r.Tok.Header
			h.Raw = ""
			r.Tok.Header = &h
		}
		out[i] = r
	}
	return out
}
