package main

import (
	"bytes"
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// failingScenario is test_fail.txtar's wrong.yaml: two expectations fail,
// each with a diff.
const failingScenario = `name: expects too much
servers:
  - {domain: type2.lit, preset: type2, dns: srv, users: [juliet]}
  - {domain: type4.lit, preset: type4, dns: srv, users: [hamlet]}
traffic:
  - {ping: hamlet@type4.lit, from: juliet@type2.lit/foo, id: p1}
expect:
  outcomes:
    type2.lit -> type4.lit: T
  delivered:
    - p1
    - {id: p2, to: hamlet@type4.lit}
`

// goCmpCoin is the coin go-cmp v0.7.0 flips once per process, seeded with
// the second the process started in (cmp/report_text.go and
// cmp/internal/diff/diff.go: rand.New(rand.NewSource(time.Now().Unix())).
// Intn(2) == 0): true gives normal spaces and forward edit scripts, false
// gives U+00A0 and backward ones.
func goCmpCoin(unix int64) bool { return rand.New(rand.NewSource(unix)).Intn(2) == 0 }

// A failing `fedsim test` prints the same bytes in every process: the
// diffs included, whatever go-cmp's per-process coin says. Each run is its
// own process (the coin is drawn at process start) and the runs are timed
// so that both faces of the coin come up, else five runs would all agree
// one time in sixteen even with go-cmp's raw output.
func TestFailingTestOutputIsStableAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the wall clock's second to change")
	}
	fedsim, err := exec.LookPath("fedsim") // the test binary, put there by testscript.Main in TestMain
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wrong.yaml"), []byte(failingScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	const runs = 5
	var outs []string
	var coins []bool
	for len(outs) < runs {
		if len(outs) == 1 {
			// Start the second run in a second whose coin differs from the first's.
			s := time.Now().Unix() + 1
			for goCmpCoin(s) == coins[0] {
				s++
			}
			time.Sleep(time.Until(time.Unix(s, int64(20*time.Millisecond))))
		}
		start := time.Now().Unix()
		var out bytes.Buffer
		cmd := exec.Command(fedsim, "test", "wrong.yaml")
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if time.Now().Unix() != start {
			continue // the process may have drawn either coin: run it again
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("fedsim test wrong.yaml: %v, want exit status 1\n%s", err, out.String())
		}
		outs = append(outs, out.String()) // no wall times without --timing: nothing to mask
		coins = append(coins, goCmpCoin(start))
	}
	t.Logf("go-cmp's coin in the %d runs: %v", runs, coins)
	for i, o := range outs {
		if strings.ContainsRune(o, '\u00a0') {
			t.Errorf("run %d (go-cmp coin %v) printed a U+00A0:\n%q", i+1, coins[i], o)
		}
		if o != outs[0] {
			t.Errorf("run %d (go-cmp coin %v) printed\n%q\nrun 1 (coin %v) printed\n%q", i+1, coins[i], o, coins[0], outs[0])
		}
	}
	for _, re := range []string{`(?m)^ +-.*"type2\.lit -> type4\.lit": +"T",$`, `(?m)^ +\+.*"id=p2 to hamlet@type4\.lit": +"never sent",$`,
		`(?m)^      transcript \(fedsim test wrong\.yaml\):$`, `(?m)^          \+0\.000s +\* user-send type2\.lit: juliet@type2\.lit/foo sends `} {
		if !regexp.MustCompile(re).MatchString(outs[0]) {
			t.Errorf("the report lacks the diff line %s:\n%s", re, outs[0])
		}
	}
}
