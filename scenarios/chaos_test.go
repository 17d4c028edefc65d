package scenarios

import (
	"testing"
)

// 1,000 random fault schedules over the XEP world: no invariant breaks.
func TestChaos1000(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	s, err := RunChaosMany(n, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Violating {
		t.Errorf("%v faults=%v: %v\n  replay: %s", c.Pair, c.Faults, c.Report.Violations, c.Replay())
	}
	if s.Faults < n || len(s.ByFault) != len(FaultKinds()) {
		t.Fatalf("only %d faults of %d kinds drawn in %d runs", s.Faults, len(s.ByFault), n)
	}
	t.Logf("%d runs, %d faults, outcomes %v, lost to faults %d", s.Runs, s.Faults, s.ByOutcome, s.Lost)
}

func BenchmarkChaosRun(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := RunChaos(uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}
