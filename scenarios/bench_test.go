package scenarios

import "testing"

func benchPair(b *testing.B, p Pair) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r, err := RunPair(p, PairOptions{Seed: uint64(i), NoTrace: true})
		if err != nil || !r.Answered {
			b.Fatalf("%v: %v answered=%v", p, err, r != nil && r.Answered)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "federations/s")
}

// One complete Server Dialback federation: both streams, both verification
// connections, the ping delivered and answered.
func BenchmarkFederationDialback(b *testing.B) { benchPair(b, Pair{"type2", "type2"}) }

// One complete TLS + SASL EXTERNAL federation, both directions.
func BenchmarkFederationSASL(b *testing.B) { benchPair(b, Pair{"type5", "type5"}) }

// The whole 36-cell matrix, in process.
func BenchmarkMatrix(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := RunMatrix(PairOptions{Seed: 1, NoTrace: true}); err != nil {
			b.Fatal(err)
		}
	}
}
