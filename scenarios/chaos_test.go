package scenarios

import (
	"strings"
	"testing"

	"fedsim/nodes"
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
	if s.Faults < n || len(s.ByFault) != len(FaultKinds())+1 {
		t.Fatalf("only %d faults of %d kinds (with the rogue peer) drawn in %d runs", s.Faults, len(s.ByFault), n)
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

// chaosBrokenSeeds is how many seeds the broken-receiver test runs.
const chaosBrokenSeeds = 200

// A receiver that trusts dialback keys unchecked is caught by chaos itself:
// over the same seeds, the rogue peer's forged stanza is accepted in at
// least one run when every server breaks the rule, and no run of correct
// servers has any violation.
func TestChaosCatchesRogueAcceptance(t *testing.T) {
	broken := map[string]nodes.BrokenRule{}
	for _, ty := range Types {
		broken[ty] = nodes.SkipDialbackVerification
	}
	good, err := RunChaosManyWith(chaosBrokenSeeds, 1, ChaosOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := RunChaosManyWith(chaosBrokenSeeds, 1, ChaosOptions{Broken: broken})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range good.Violating {
		t.Errorf("correct servers: %v: %v\n  replay: %s", c.Pair, c.Report.Violations, c.Replay())
	}
	rogues := good.ByFault[RoguePeerKind]
	if rogues == 0 {
		t.Fatalf("no rogue peer placed in %d runs", chaosBrokenSeeds)
	}
	byRogue := 0
	for _, c := range bad.Violating {
		for _, v := range c.Report.Violations {
			if c.Rogue != nil && v.Rule == "authenticated-origin" && strings.Contains(v.Detail, "rogue peer") {
				byRogue++
				break
			}
		}
	}
	if byRogue == 0 {
		t.Errorf("broken receivers: no run caught the rogue's stanza (%d runs violating, %d rogues placed)", len(bad.Violating), rogues)
	}
	t.Logf("%d seeds, %d rogue peers: correct servers %d violating runs; broken servers %d violating runs, %d of them by the rogue's accepted stanza",
		chaosBrokenSeeds, rogues, len(good.Violating), len(bad.Violating), byRogue)
}
