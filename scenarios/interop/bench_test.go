package interop

import (
	"context"
	"testing"
	"time"
)

// BenchmarkInteropProsody runs the 12 real-server interop runs (6 types x
// 2 directions) against one Prosody per iteration, its start and stop
// included, and reports, from the same run, the median wall time of a
// negotiation with the real server beside the wall time fedsim's
// simulation spends per negotiation, and their ratio. Run it with
// -benchtime 1x -count 5 and take medians: each iteration costs about
// 10 s, most of it the type1 cell, where Prosody never answers and the
// fedsim server waits out NegotiationTimeout.
func BenchmarkInteropProsody(b *testing.B) {
	srv := &Prosody{}
	if err := srv.Available(); err != nil {
		b.Skipf("REAL-SERVER BENCHMARK NOT RUN: %v", err)
	}
	var real, simulated time.Duration
	for i := 0; i < b.N; i++ {
		m, err := Run(context.Background(), srv, Options{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		real += m.RealNegotiation
		simulated += m.SimNegotiation
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((real/n).Microseconds())/1000, "real-ms/negotiation")
	b.ReportMetric(float64((simulated/n).Nanoseconds())/1000, "sim-µs/negotiation")
	if simulated > 0 {
		b.ReportMetric(float64(real)/float64(simulated), "real/sim")
	}
}
