package xmlstream

import "testing"

func BenchmarkParser(b *testing.B)        { BenchParser(b) }
func BenchmarkParserChunked(b *testing.B) { BenchParserChunked(b) }
func BenchmarkEncodingXML(b *testing.B)   { BenchEncodingXML(b) }
