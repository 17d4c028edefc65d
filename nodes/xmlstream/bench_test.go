package xmlstream

import "testing"

func BenchmarkParser(b *testing.B)        { BenchParser(b) }
func BenchmarkParserChunked(b *testing.B) { BenchParserChunked(b) }
func BenchmarkEncodingXML(b *testing.B)   { BenchEncodingXML(b) }

func BenchmarkParserVaried(b *testing.B)         { BenchParserVaried(b) }
func BenchmarkEncodingXMLVaried(b *testing.B)    { BenchEncodingXMLVaried(b) }
func BenchmarkEncodingXMLRawVaried(b *testing.B) { BenchEncodingXMLRawVaried(b) }
