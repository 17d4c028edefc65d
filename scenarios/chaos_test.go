package scenarios

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/nodes"
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
	chaosKinds := 0
	for _, k := range FaultKinds() {
		if sp, _ := SpecOf(k); !sp.NoChaos {
			chaosKinds++
		}
	}
	if s.Faults < n || len(s.ByFault) != chaosKinds+1 {
		t.Fatalf("only %d faults of %d kinds (with the rogue peer) drawn in %d runs", s.Faults, len(s.ByFault), n)
	}
	t.Logf("%d runs, %d faults, outcomes %v, lost to faults %d", s.Runs, s.Faults, s.ByOutcome, s.Lost)
}

// 1,000 chaos runs with stream management (XEP-0198) on both servers: no
// stanza lost in transit, none delivered twice, no invariant broken. What
// stream management cannot save is counted apart and logged: stanzas lost
// with a sending server that crashed while it held them, and stanzas
// delivered whose acknowledgement was lost and whose session could not be
// resumed (bounced as unconfirmed). Resumption must actually happen in
// these runs, or the test proves nothing.
func TestChaosStreamManagement1000(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	s, err := RunChaosManyWith(n, 1, ChaosOptions{StreamManagement: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Violating {
		t.Errorf("%v faults=%v: %v\n  replay: %s", c.Pair, c.Faults, c.Report.Violations, c.Replay())
	}
	if inTransit := s.Lost - s.LostWithSender; inTransit != 0 {
		t.Errorf("%d stanzas lost in transit with stream management on", inTransit)
	}
	if s.Duplicates != 0 {
		t.Errorf("%d stanzas delivered more than once", s.Duplicates)
	}
	// The same seeds without stream management lose stanzas in transit:
	// the faults do break established streams.
	plain, err := RunChaosManyWith(n, 1, ChaosOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Lost == 0 {
		t.Fatalf("chaos without stream management lost nothing over %d runs: the comparison shows nothing", n)
	}
	t.Logf("%d runs with XEP-0198: lost in transit 0 (without: %d over other pairs), lost with a crashed sender %d, unconfirmed bounces %d, duplicates %d, outcomes %v",
		s.Runs, plain.Lost, s.LostWithSender, s.Unconfirmed, s.Duplicates, s.ByOutcome)
}

// With stream management on, chaos runs do resume sessions: the
// mechanism the test above relies on is exercised, not bypassed.
func TestChaosStreamManagementResumes(t *testing.T) {
	resumed, reconnects := 0, 0
	for seed := uint64(1); seed <= 300 && resumed == 0; seed++ {
		c, err := RunChaosWith(seed, ChaosOptions{StreamManagement: true})
		if err != nil {
			t.Fatal(err)
		}
		if !c.StreamManagement || !strings.Contains(c.Replay(), "--stream-management") {
			t.Fatalf("seed %d: run not marked as stream management: %s", seed, c.Replay())
		}
		w, err := smWorld(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range w.Sim.Trace.Records {
			if strings.HasPrefix(r.XML, "<resumed ") {
				resumed++
			}
			if r.Event == "sm-reconnect" {
				reconnects++
			}
		}
	}
	if resumed == 0 || reconnects == 0 {
		t.Fatalf("no chaos run in 300 resumed a session (%d reconnections)", reconnects)
	}
}

// smWorld rebuilds a chaos run's world with stream management on, for
// reading its trace.
func smWorld(c *ChaosRun) (*World, error) {
	cfg, _, err := PairConfig(c.Pair, PairOptions{Seed: c.Seed, Faults: c.Faults, Specs: smSpecs()})
	if err != nil {
		return nil, err
	}
	w, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	w.Run(RunDeadline)
	return w, nil
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

// crossProcessSeeds are the chaos seeds whose trace hashes are compared
// across processes: the first rogue-peer seeds and others, a sample of every
// kind of run.
var crossProcessSeeds = []uint64{1, 2, 3, 7, 11, 20, 42, 99, 123, 500, 1000, 4242}

// chaosChildEnv marks the child process of TestChaosDeterminismAcrossProcesses.
const chaosChildEnv = "FEDSIM_CHAOS_HASH_CHILD"

// The in-process determinism check re-runs a seed milliseconds later in the
// same process, with the same GOMAXPROCS and the same process-wide state
// (map hash seeds, allocation addresses). This test runs the sample of
// seeds again in a child process of the test binary, with GOMAXPROCS=1, a
// different wall clock (it starts later and sleeps between seeds) and its
// own runtime, and compares the trace hashes it prints with the ones
// computed here at another GOMAXPROCS: anything that depended on the wall
// clock, on scheduling or on per-process randomness would differ.
func TestChaosDeterminismAcrossProcesses(t *testing.T) {
	if os.Getenv(chaosChildEnv) != "" {
		for _, seed := range crossProcessSeeds {
			time.Sleep(7 * time.Millisecond)
			c, err := RunChaos(seed)
			if err != nil {
				fmt.Printf("error %d %v\n", seed, err)
				continue
			}
			fmt.Printf("hash %d %s procs=%d\n", seed, c.Hash, runtime.GOMAXPROCS(0))
		}
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	prev := runtime.GOMAXPROCS(max(4, runtime.NumCPU()))
	defer runtime.GOMAXPROCS(prev)
	here := map[uint64]string{}
	for _, seed := range crossProcessSeeds {
		c, err := RunChaos(seed)
		if err != nil {
			t.Fatal(err)
		}
		here[seed] = c.Hash
	}
	time.Sleep(50 * time.Millisecond)
	cmd := exec.Command(os.Args[0], "-test.run=^TestChaosDeterminismAcrossProcesses$", "-test.count=1")
	cmd.Env = append(os.Environ(), chaosChildEnv+"=1", "GOMAXPROCS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s%s", err, out, stderr.Bytes())
	}
	got := map[uint64]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || (f[0] != "hash" && f[0] != "error") {
			continue
		}
		seed, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			continue
		}
		if f[0] == "error" {
			t.Errorf("child: seed %d: %s", seed, strings.Join(f[2:], " "))
			continue
		}
		if len(f) < 4 || f[3] != "procs=1" {
			t.Errorf("child ran seed %d with %v, want procs=1", seed, f[3:])
		}
		got[seed] = f[2]
	}
	for _, seed := range crossProcessSeeds {
		switch h, ok := got[seed]; {
		case !ok:
			t.Errorf("seed %d: the child printed no hash\n%s", seed, out)
		case h != here[seed]:
			t.Errorf("seed %d: trace hash %s here (GOMAXPROCS=%d), %s in a child process (GOMAXPROCS=1): replay fedsim chaos --runs 1 --seed %d", seed, here[seed][:12], runtime.GOMAXPROCS(0), h[:min(12, len(h))], seed)
		}
	}
	t.Logf("%d seeds: the same trace hashes in this process (GOMAXPROCS=%d) and in a child (GOMAXPROCS=1, later wall clock)", len(crossProcessSeeds), runtime.GOMAXPROCS(0))
}

// CompareAcross turns a differing or missing hash from another process into
// a deterministic violation of that seed, and agreeing hashes into none.
func TestChaosCompareAcross(t *testing.T) {
	s, err := RunChaosMany(3, 10)
	if err != nil {
		t.Fatal(err)
	}
	other := map[uint64]string{10: s.Hashes[0], 11: "0123456789abcdef"}
	n, err := s.CompareAcross(10, other, "a test")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("compared %d seeds, want 2", n)
	}
	var got []string
	for _, c := range s.Violating {
		for _, v := range c.Report.Violations {
			got = append(got, fmt.Sprintf("%d %s", c.Seed, v))
		}
	}
	want := []string{
		fmt.Sprintf("11 deterministic: trace hash %s in this process, 0123456789ab in a test", s.Hashes[1][:12]),
		"12 deterministic: a test printed no trace hash for this seed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
