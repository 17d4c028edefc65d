// Benchmark bodies, shared by go test -bench and fedsim bench.

package xmlstream

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
)

// BenchParser tokenizes Corpus() (about 64 KiB of s2s traffic) into
// the header, complete first-level element trees and the closing tag.
func BenchParser(b *testing.B) {
	corpus := Corpus()
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewParser()
		p.Feed(corpus)
		drain(b, p)
	}
}

// BenchParserChunked feeds Corpus() in 4 KiB pieces, as reads from a
// connection would arrive.
func BenchParserChunked(b *testing.B) {
	corpus := Corpus()
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewParser()
		for rest := corpus; len(rest) > 0; {
			n := min(4096, len(rest))
			p.Feed(rest[:n])
			rest = rest[n:]
			drain(b, p)
		}
	}
}

func drain(b *testing.B, p *Parser) {
	for {
		_, ok, err := p.Next()
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			return
		}
	}
}

// BenchEncodingXML runs encoding/xml's Decoder.Token over the same
// bytes. Token (not RawToken) is the comparable call: it also checks that
// tags match and resolves namespaces.
func BenchEncodingXML(b *testing.B) {
	corpus := Corpus()
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(corpus))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
