// Benchmark bodies, shared by go test -bench and fedsim bench.

package xmlstream

import (
	"bytes"
	"encoding/xml"
	"io"
	"sync"
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

// VariedSeed is the seed of the varied stream the benchmarks parse.
const VariedSeed = 16

// variedBenchCorpus is VariedCorpus(VariedSeed), made once: callers that
// read the process's CPU time around a whole benchmark (fedsim bench) must
// not count making it.
var variedBenchCorpus = sync.OnceValue(func() []byte { return VariedCorpus(VariedSeed) })

// BenchParserVaried parses VariedCorpus(VariedSeed) as servers run the
// Parser: tokens lent (Borrow), raw bytes discarded (DiscardRaw), every
// first-level element built as a tree with its namespaces resolved.
func BenchParserVaried(b *testing.B) {
	corpus := variedBenchCorpus()
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	for b.Loop() {
		var p Parser
		p.Borrow, p.DiscardRaw = true, true
		p.Feed(corpus)
		drain(b, &p)
		p.Release()
	}
}

// BenchEncodingXMLVaried runs Decoder.Token over the varied stream: it
// checks that tags match and resolves namespaces, as the Parser does.
func BenchEncodingXMLVaried(b *testing.B) {
	benchDecoder(b, variedBenchCorpus(), (*xml.Decoder).Token)
}

// BenchEncodingXMLRawVaried runs Decoder.RawToken over the varied stream:
// no tag matching, no namespaces — less work than the Parser does, the
// fastest encoding/xml reads these bytes.
func BenchEncodingXMLRawVaried(b *testing.B) {
	benchDecoder(b, variedBenchCorpus(), (*xml.Decoder).RawToken)
}

func benchDecoder(b *testing.B, corpus []byte, next func(*xml.Decoder) (xml.Token, error)) {
	b.SetBytes(int64(len(corpus)))
	b.ReportAllocs()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(corpus))
		for {
			_, err := next(d)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
