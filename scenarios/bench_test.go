package scenarios

import (
	"flag"
	"testing"
)

var largeDomains = flag.Int("large.domains", 1000, "domains in BenchmarkLarge (fedsim bench runs 10,000)")

func BenchmarkFederationDialback(b *testing.B) { BenchFederationDialback(b) }
func BenchmarkFederationSASL(b *testing.B)     { BenchFederationSASL(b) }

// The parsing alone of what one federation writes (see BenchFederationParse).
func BenchmarkFederationParseDialback(b *testing.B) { BenchFederationParse(b, "type2") }
func BenchmarkFederationParseSASL(b *testing.B)     { BenchFederationParse(b, "type5") }
func BenchmarkMatrix(b *testing.B)                  { BenchMatrix(b) }

// BenchmarkLarge: domains each talking to 10 peers, 100 stanzas per domain.
func BenchmarkLarge(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f, err := MeasureLarge(LargeOptions{Domains: *largeDomains, Peers: 10, Stanzas: 100 * *largeDomains, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(f.Wall.Seconds(), "wall-s")
		b.ReportMetric(float64(f.PeakRSS)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(f.Events)/f.Wall.Seconds(), "events/s")
	}
}

// BenchmarkIdleStream reports the heap held per established, idle stream.
func BenchmarkIdleStream(b *testing.B) {
	for i := 0; i < b.N; i++ {
		per, _, err := MeasureIdleStreamBytes(500, 4)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(per, "bytes/stream")
	}
}
