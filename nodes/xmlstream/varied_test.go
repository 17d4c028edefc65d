package xmlstream

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
)

// TestVariedCorpus: the varied stream is the same for a seed and differs
// between seeds; encoding/xml and this Parser (as servers run it: tokens
// lent, raw bytes discarded) both read all of it; and it varies in what it
// claims to: stanza sizes from about 100 B to 64 KiB, both quoting styles,
// many element names, prefixed and default namespaces, entities, character
// references and CDATA.
func TestVariedCorpus(t *testing.T) {
	a, b := VariedCorpus(1), VariedCorpus(1)
	if !bytes.Equal(a, b) {
		t.Fatal("VariedCorpus(1) differs between calls")
	}
	if bytes.Equal(a, VariedCorpus(2)) {
		t.Fatal("VariedCorpus(1) and VariedCorpus(2) are the same")
	}
	if len(a) < VariedCorpusSize || len(a) > VariedCorpusSize+80<<10 {
		t.Fatalf("%d bytes, want about %d", len(a), VariedCorpusSize)
	}
	d := xml.NewDecoder(bytes.NewReader(a))
	names := map[string]bool{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("encoding/xml: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			names[se.Name.Local] = true
		}
	}
	if len(names) < 200 {
		t.Errorf("%d distinct element names, want at least 200", len(names))
	}
	var p Parser
	p.Borrow, p.DiscardRaw = true, true
	p.Feed(a)
	lo, hi, stanzas := len(a), 0, 0
	last := int64(0)
	for {
		tok, ok, err := p.Next()
		if err != nil {
			t.Fatalf("Parser: %v", err)
		}
		if !ok {
			break
		}
		if tok.Kind == TokElement {
			size := int(p.Offset() - last)
			lo, hi, stanzas = min(lo, size), max(hi, size), stanzas+1
		}
		last = p.Offset()
		if tok.Kind == TokStreamEnd {
			break
		}
	}
	if stanzas < 100 || lo > 150 || hi < 40<<10 || hi > 70<<10 {
		t.Errorf("%d stanzas of %d to %d bytes, want many from about 100 B to 64 KiB", stanzas, lo, hi)
	}
	for _, want := range []string{`="`, `='`, "&amp;", "&#x", "&#2", "<![CDATA[", "xmlns:", " xmlns='", "日本語"} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("no %q in the corpus", want)
		}
	}
}
