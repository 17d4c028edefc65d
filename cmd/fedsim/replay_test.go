package main

import (
	"fmt"
	"html"
	"strings"
	"sync"
	"testing"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/sweep"
)

// replayOf finds the line a command printed to reproduce itself: a
// "Replay: fedsim …" line, or the command in a diagram's title.
func replayOf(out string) string {
	replay := ""
	for _, l := range strings.Split(out, "\n") {
		if _, r, ok := strings.Cut(l, "Replay: fedsim "); ok {
			r, _, _ = strings.Cut(r, "</desc>") // an SVG's description
			replay = html.UnescapeString(r)
		}
		if _, r, ok := strings.Cut(l, "(fedsim diagram "); ok && strings.Contains(r, ")") {
			replay = "diagram " + r[:strings.Index(r, ")")]
		}
	}
	return strings.TrimSpace(replay)
}

// checkReplay runs args, takes the replay line it prints, runs that and
// requires exit 0 and the same bytes.
func checkReplay(t *testing.T, args ...string) {
	t.Helper()
	out, errs, code := runCLI(args...)
	if code != 0 {
		t.Errorf("fedsim %s: exit %d: %s", strings.Join(args, " "), code, errs)
		return
	}
	replay := replayOf(out)
	if replay == "" {
		t.Errorf("fedsim %s printed no replay line:\n%s", strings.Join(args, " "), out)
		return
	}
	again, errs, code := runCLI(strings.Fields(replay)...)
	if code != 0 || again != out {
		t.Errorf("fedsim %s: its replay line\n  fedsim %s\ngave exit %d (%s) and %s", strings.Join(args, " "), replay, code, strings.TrimSpace(errs), firstDiff(out, again))
	}
}

// firstDiff says where two outputs part.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("different output from line %d:\n  first: %s\n  again: %s", i+1, al[i], bl[i])
		}
	}
	if len(al) != len(bl) {
		return fmt.Sprintf("%d lines, then %d", len(al), len(bl))
	}
	return "the same output"
}

// parallel runs the jobs on a few goroutines (each command runs its own
// worlds; nothing is shared).
func parallel(jobs []func()) {
	var wg sync.WaitGroup
	ch := make(chan func())
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				j()
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
}

// Every value of every policy field, on a preset where it makes a server
// that runs, through run, explain and diagram as either side: the replay
// line each prints re-runs with exit 0 and the same output. (The drift
// this pins: 'explain prosody-13 type6 --policy-initiator accept=T' once
// printed a replay line that exit 2 refused.)
func TestReplayLinesForEveryPolicyValue(t *testing.T) {
	type job struct{ preset, flag string }
	var jobs []job
	for _, f := range nodes.AllPolicyFields() {
		for _, v := range values(f) {
			flag := f.Name + "=" + v
			found := ""
			for _, p := range nodes.AllPresets() {
				if _, _, code := runCLI("run", p.Name, "type3", "--policy-initiator", flag); code == 0 {
					found = p.Name
					break
				}
			}
			if found == "" {
				t.Errorf("%s: no preset runs with it", flag)
				continue
			}
			jobs = append(jobs, job{found, flag})
		}
	}
	var fns []func()
	for _, j := range jobs {
		for _, c := range [][]string{
			{"run", j.preset, "type3", "--policy-initiator", j.flag},
			{"explain", j.preset, "type6", "--policy-initiator", j.flag},
			{"diagram", j.preset, "type5", "--policy-initiator", j.flag, "--format", "mermaid"},
			{"run", "type2", j.preset, "--policy-receiver", j.flag},
			{"explain", "prosody-13", j.preset, "--policy-receiver", j.flag},
		} {
			fns = append(fns, func() { checkReplay(t, c...) })
		}
	}
	parallel(fns)
	if len(jobs) < 100 {
		t.Errorf("only %d field values", len(jobs))
	}
}

// values lists what a flag may set a field to: every value, or for a
// composite the profile of its defaults and one of other conditions.
func values(f nodes.PolicyField) []string {
	if f.Kind != nodes.FieldParts {
		return f.Values
	}
	return []string{f.Default, "policy-violation//remote-server-not-found"}
}

// Every fault kind, with the flag's defaults and with every parameter it
// takes given, through run, explain and diagram: the replay line re-runs
// with exit 0 and the same output.
func TestReplayLinesForEveryFaultKind(t *testing.T) {
	var fns []func()
	for _, s := range scenarios.FaultSpecs() {
		flags := []string{string(s.Kind) + ":receiver"}
		full := string(s.Kind) + ":receiver"
		if s.Takes(scenarios.ParamPeer) {
			full += ":initiator"
		}
		for _, p := range s.Params {
			switch p {
			case scenarios.ParamObserver:
				full += ",observer=initiator"
			case scenarios.ParamAddr:
				full += ",addr=10.9.9.9"
			case scenarios.ParamAt:
				full += ",at=20ms"
			case scenarios.ParamUntil:
				full += ",until=30s"
			case scenarios.ParamBytes:
				full += ",bytes=777"
			case scenarios.ParamDelay:
				full += ",delay=1.5s"
			case scenarios.ParamJitter:
				full += ",jitter=30ms"
			}
		}
		if full != flags[0] {
			flags = append(flags, full)
		}
		for _, fl := range flags {
			for _, c := range [][]string{
				{"run", "type3", "type5", "--fault", fl},
				{"explain", "type3", "type5", "--fault", fl},
				{"diagram", "type2", "type4", "--fault", fl, "--format", "svg"},
				{"run", "prosody-13", "ejabberd-24", "--fault", fl, "--policy-receiver", "dialback_errors=false"},
			} {
				fns = append(fns, func() { checkReplay(t, c...) })
			}
		}
		// A sweep takes faults in roles; its replay line is the flags given.
		fns = append(fns, func() { checkReplay(t, "sweep", "--servers", "type2,type5", "--fault", full, "--pictures", "none") })
	}
	parallel(fns)
}

// Every field's grid values in a sweep, and every attack: the replay line
// re-runs with exit 0 and the same output.
func TestReplayLinesOfSweepAndAttack(t *testing.T) {
	var fns []func()
	for _, f := range nodes.AllPolicyFields() {
		vals := f.Grid
		if len(vals) == 0 {
			vals = values(f)
			if f.Kind == nodes.FieldEnum {
				vals = []string{f.Default, "policy-violation"}
			}
		}
		// A set-valued field takes one set per --grid.
		args := []string{"sweep", "--base", "type3", "--pictures", "none"}
		for _, g := range sweep.GridArgs([]sweep.Axis{{Field: f.Name, Values: vals}}) {
			args = append(args, "--grid", g)
		}
		fns = append(fns, func() { checkReplay(t, args...) })
	}
	for _, a := range scenarios.AttackKindSpecs() {
		fns = append(fns, func() { checkReplay(t, "attack", string(a.Kind)) })
		if a.Cert {
			fns = append(fns, func() { checkReplay(t, "attack", string(a.Kind), "--cert", "wrong-name", "--seed", "3") })
		}
	}
	parallel(fns)
}
