package xmlstream

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
	"time"
)

func BenchmarkParser(b *testing.B)        { BenchParser(b) }
func BenchmarkParserChunked(b *testing.B) { BenchParserChunked(b) }
func BenchmarkEncodingXML(b *testing.B)   { BenchEncodingXML(b) }

func BenchmarkParserVaried(b *testing.B)         { BenchParserVaried(b) }
func BenchmarkEncodingXMLVaried(b *testing.B)    { BenchEncodingXMLVaried(b) }
func BenchmarkEncodingXMLRawVaried(b *testing.B) { BenchEncodingXMLRawVaried(b) }

// BenchmarkParserVariedRatio parses the varied stream with the Parser,
// Decoder.Token and Decoder.RawToken in turn, each iteration, and reports
// how many times faster the Parser was than each (x-Token, x-RawToken:
// sums of interleaved timings, so that a machine whose speed drifts moves
// all three alike). The target is 3x both (issue 16).
func BenchmarkParserVariedRatio(b *testing.B) {
	corpus := variedBenchCorpus()
	parse := func() {
		var p Parser
		p.Borrow, p.DiscardRaw = true, true
		p.Feed(corpus)
		drain(b, &p)
		p.Release()
	}
	decode := func(next func(*xml.Decoder) (xml.Token, error)) {
		d := xml.NewDecoder(bytes.NewReader(corpus))
		for {
			if _, err := next(d); err == io.EOF {
				return
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	var tp, tt, tr time.Duration
	b.SetBytes(int64(len(corpus)))
	for b.Loop() {
		t0 := time.Now()
		parse()
		t1 := time.Now()
		decode((*xml.Decoder).Token)
		t2 := time.Now()
		decode((*xml.Decoder).RawToken)
		tp, tt, tr = tp+t1.Sub(t0), tt+t2.Sub(t1), tr+time.Since(t2)
	}
	b.ReportMetric(float64(tt)/float64(tp), "x-Token")
	b.ReportMetric(float64(tr)/float64(tp), "x-RawToken")
}
