package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fedsim/fedsim/scenarios/sweep"
)

// suggestGrid is a small grid whose --suggest finds changes (a server that
// requires trusted certificates but holds a self-signed one is connected by
// a CA-issued one), with latency and jitter so that negotiation times
// spread: everything merge must reproduce.
var suggestGrid = []string{"--base", "type6", "--grid", "cert=self-signed,ca-issued", "--grid", "trusts_ca=true,false",
	"--grid", "accept=T", "--grid", "accept=E,T", "--latency", "30ms", "--jitter", "7ms", "--suggest"}

// shardFiles runs the shards of a sweep into dir with --out and returns
// their paths in shard order.
func shardFiles(t *testing.T, dir string, n int, args ...string) []string {
	t.Helper()
	var files []string
	for i := 0; i < n; i++ {
		_, errs, code := runCLI(append([]string{"sweep", "--shard", fmt.Sprintf("%d/%d", i, n), "--out", dir}, args...)...)
		if code != 0 {
			t.Fatalf("shard %d/%d: exit %d: %s", i, n, code, errs)
		}
		f := filepath.Join(dir, fmt.Sprintf("shard-%d-of-%d.json", i, n))
		if !strings.Contains(errs, "written to "+f) {
			t.Fatalf("shard %d/%d: stderr %q does not name %s", i, n, errs, f)
		}
		files = append(files, f)
	}
	return files
}

// The merged report is the whole sweep's, byte for byte, in every format
// (text and JSON compared with go-cmp, JSON also as a structure), with
// --suggest's changes computed from trials the shards ran — and the
// suggestion is not empty, so it is compared, not skipped.
func TestMergeEqualsTheWholeSweep(t *testing.T) {
	// Shards do not depend on the report's format: each set is made once.
	dirs := map[int]string{}
	for _, n := range []int{1, 4} {
		dirs[n] = t.TempDir()
		shardFiles(t, dirs[n], n, suggestGrid...)
	}
	for _, format := range []string{"text", "json", "csv"} {
		report := []string{"--format", format, "--pictures", "none"}
		whole, errs, code := runCLI(append(append([]string{"sweep"}, suggestGrid...), report...)...)
		if code != 0 {
			t.Fatalf("sweep: exit %d: %s", code, errs)
		}
		for _, n := range []int{1, 4} {
			merged, errs, code := runCLI(append([]string{"merge", dirs[n]}, report...)...)
			if code != 0 {
				t.Fatalf("merge of %d shards: exit %d: %s", n, code, errs)
			}
			if diff := cmp.Diff(whole, merged); diff != "" {
				t.Fatalf("--format %s: %d shards merged differ from the whole sweep (-whole +merged):\n%s", format, n, diff)
			}
			if format == "json" {
				var a, b map[string]any
				if err := json.Unmarshal([]byte(whole), &a); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(merged), &b); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(a, b); diff != "" {
					t.Fatalf("JSON structure differs:\n%s", diff)
				}
				if ch, _ := a["changes"].([]any); len(ch) == 0 {
					t.Fatalf("the grid should have suggestions: %v", a["changes"])
				}
			}
		}
		if format == "text" && !strings.Contains(whole, "p001: cert self-signed -> ca-issued") {
			t.Fatalf("suggestion missing from the report:\n%s", whole)
		}
	}
}

// writeShard writes a forged or copied shard file.
func writeShardFile(t *testing.T, path string, f *sweep.ShardFile) {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readShardFile(t *testing.T, path string) *sweep.ShardFile {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := sweep.ReadShardFile(fh)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Every way shards can fail to be one sweep: merge exits 2 and the message
// names the difference (the flag, the version, the policy, the file).
func TestMergeRefusals(t *testing.T) {
	base := []string{"--servers", "type2,type3,type5"}
	dir := t.TempDir()
	good := shardFiles(t, filepath.Join(dir, "good"), 3, base...)
	// other makes shard 2 of 3 with extra flags, into its own folder.
	other := func(name string, extra ...string) string {
		d := filepath.Join(dir, name)
		_, errs, code := runCLI(append(append([]string{"sweep", "--shard", "2/3", "--out", d}, base...), extra...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		return filepath.Join(d, "shard-2-of-3.json")
	}
	// forge rewrites shard 2 and seals it again, as a consistent file
	// that only the experiment check can catch.
	forge := func(name string, change func(*sweep.ShardFile)) string {
		f := readShardFile(t, good[2])
		change(f)
		if err := f.Reseal(); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".json")
		writeShardFile(t, p, f)
		return p
	}
	tampered := filepath.Join(dir, "tampered.json")
	b, err := os.ReadFile(good[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), `"outcome": "V"`, `"outcome": "U"`, 1)
	if changed == string(b) {
		t.Fatal("shard 1 has no V cell to tamper with")
	}
	if err := os.WriteFile(tampered, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(dir, "copy-of-1.json")
	if err := os.WriteFile(copied, b, 0o644); err != nil {
		t.Fatal(err)
	}
	gridShard := func(name string, grid ...string) string {
		d := filepath.Join(dir, name)
		_, errs, code := runCLI(append([]string{"sweep", "--shard", "2/3", "--out", d}, grid...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		return filepath.Join(d, "shard-2-of-3.json")
	}
	gridA := shardFiles(t, filepath.Join(dir, "grid"), 3, "--grid", "accept=E,T", "--grid", "accept=T", "--base", "type5")
	notJSON := filepath.Join(dir, "notes.json")
	if err := os.WriteFile(notJSON, []byte(`{"cells": []}`), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name  string
		files []string
		want  []string
	}{
		{"different fault", []string{good[0], good[1], other("fault", "--fault", "cert-expired:initiator")},
			[]string{"--fault differs", `"cert-expired:initiator" in ` + filepath.Join(dir, "fault"), "not given in " + good[0]}},
		{"different latency", []string{good[0], good[1], other("latency", "--latency", "20ms")},
			[]string{"--latency differs", `"20ms"`, `"0s"`}},
		{"different jitter", []string{good[0], good[1], other("jitter", "--jitter", "5ms")},
			[]string{"--jitter differs", `"5ms"`}},
		{"different seed", []string{good[0], good[1], other("seed", "--seed", "9")},
			[]string{"--seed differs", `"9"`, `"1"`}},
		{"suggest in one shard only", []string{good[0], good[1], other("suggest", "--suggest")},
			[]string{"--suggest differs", `"true"`, `"false"`}},
		{"different grid set", []string{gridA[0], gridA[1], gridShard("grid2", "--grid", "accept=E,T", "--grid", "accept=V,E,T", "--base", "type5")},
			[]string{"--grid accept differs", `"E,T;V,E,T"`, `"E,T;T"`}},
		{"grid and servers", []string{good[0], good[1], gridA[2]},
			[]string{"--servers differs"}},
		{"different shard count", []string{good[0], good[1], shardFiles(t, filepath.Join(dir, "four"), 4, base...)[3]},
			[]string{"shard 3/4", "shard 0/3", "shard count"}},
		{"different policy list", []string{good[0], good[1], forge("policies", func(f *sweep.ShardFile) {
			f.Experiment.Policies[1].Fields = strings.Replace(f.Experiment.Policies[1].Fields, "accept=V,E,T", "accept=E,T", 1)
		})}, []string{"the policy list differs", "policy 2 is", "accept=E,T", good[0]}},
		{"different version", []string{good[0], good[1], forge("version", func(f *sweep.ShardFile) { f.Experiment.Fedsim = "v9.9.9+0123abc" })},
			[]string{"made by fedsim v9.9.9+0123abc", "this is fedsim " + buildVersion(), "--ignore-version"}},
		{"digest tampering", []string{good[0], tampered, good[2]},
			[]string{tampered + ": digest", "does not match its contents"}},
		{"missing shard", []string{good[0], good[2]},
			[]string{"2 of 3 shards given", "shard 1 of 3 missing"}},
		{"duplicate shard", []string{good[0], good[1], copied, good[2]},
			[]string{"shard 1/3 is given twice", good[1], copied}},
		{"not a shard", []string{good[0], notJSON},
			[]string{notJSON + ": not a fedsim sweep shard"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := runCLI(append([]string{"merge", "--pictures", "none"}, c.files...)...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing (stderr %s)", code, out, errs)
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
		})
	}

	// --ignore-version merges another build's shard, and says so.
	v := forge("version-ok", func(f *sweep.ShardFile) { f.Experiment.Fedsim = "v9.9.9" })
	out, errs, code := runCLI("merge", "--pictures", "none", "--ignore-version", good[0], good[1], v)
	if code != 0 || !strings.Contains(errs, "warning: --ignore-version: the shards were made by fedsim ") || !strings.Contains(out, "Sweep of 3 policies") {
		t.Fatalf("--ignore-version: exit %d %s\n%s", code, errs, out)
	}
	// A shard writes no report: report flags are refused, not ignored.
	if _, errs, code := runCLI("sweep", "--shard", "0/2", "--format", "csv"); code != 2 || !strings.Contains(errs, "--format shapes the report") {
		t.Fatalf("sweep --shard --format csv: exit %d %s", code, errs)
	}
	// merge takes only its own flags, and its -h says merge.
	if _, errs, code := runCLI("merge", "--seed", "3", good[0]); code != 2 || !strings.Contains(errs, "fedsim merge: flag provided but not defined: -seed") {
		t.Fatalf("merge --seed: exit %d %s", code, errs)
	}
	help, _, code := runCLI("merge", "-h")
	if code != 0 || !strings.HasPrefix(help, "usage: fedsim merge") || !strings.Contains(help, "-ignore-version") {
		t.Fatalf("merge -h: exit %d\n%s", code, help)
	}
	for _, f := range []string{"-grid", "-servers", "-fault", "-seed", "-shard", "-suggest", "-workers"} {
		if strings.Contains(help, "  "+f+" ") || strings.Contains(help, "  "+f+"\n") {
			t.Errorf("merge -h offers sweep's flag %s:\n%s", f, help)
		}
	}
}

// --shard auto reads the shard from a Kubernetes Indexed Job's and from a
// Slurm job array's variables (here an array that starts at 5 and steps
// by 2, --array=5-9:2); the shards of each merge into the whole sweep.
func TestShardAuto(t *testing.T) {
	args := []string{"--grid", "starttls=offered,required", "--grid", "accept=V,E,T", "--grid", "accept=E,T", "--grid", "cert=self-signed,ca-issued"}
	// Whatever batch system runs the tests, its variables are not these.
	for _, k := range []string{"JOB_COMPLETION_INDEX", sweep.ShardCountVar, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
		"SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	whole, errs, code := runCLI(append([]string{"sweep", "--pictures", "none"}, args...)...)
	if code != 0 {
		t.Fatalf("sweep: %s", errs)
	}
	for _, sys := range []struct {
		name string
		env  func(i int) map[string]string
		says string
	}{
		{"kubernetes", func(i int) map[string]string {
			return map[string]string{"JOB_COMPLETION_INDEX": fmt.Sprint(i), sweep.ShardCountVar: "3"}
		}, "Kubernetes Indexed Job"},
		{"slurm", func(i int) map[string]string {
			return map[string]string{"SLURM_ARRAY_TASK_ID": fmt.Sprint(5 + 2*i), "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "9",
				"SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"}
		}, "Slurm job array"},
	} {
		t.Run(sys.name, func(t *testing.T) {
			dir := t.TempDir()
			for i := 0; i < 3; i++ {
				for k, v := range sys.env(i) {
					t.Setenv(k, v)
				}
				_, errs, code := runCLI(append([]string{"sweep", "--shard", "auto", "--out", dir}, args...)...)
				want := fmt.Sprintf("shard %d/3 (from the %s)", i, sys.says)
				if code != 0 || !strings.Contains(errs, want) {
					t.Fatalf("task %d: exit %d, stderr %q; want %q", i, code, errs, want)
				}
			}
			merged, errs, code := runCLI("merge", "--pictures", "none", dir)
			if code != 0 {
				t.Fatalf("merge: exit %d: %s", code, errs)
			}
			if diff := cmp.Diff(whole, merged); diff != "" {
				t.Fatalf("merged differs from the whole sweep:\n%s", diff)
			}
		})
	}
	t.Run("missing count", func(t *testing.T) {
		t.Setenv("JOB_COMPLETION_INDEX", "0")
		_, errs, code := runCLI(append([]string{"sweep", "--shard", "auto"}, args...)...)
		if code != 2 || !strings.Contains(errs, sweep.ShardCountVar+" is not set") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
	t.Run("no batch system", func(t *testing.T) {
		_, errs, code := runCLI(append([]string{"sweep", "--shard", "auto"}, args...)...)
		if code != 2 || !strings.Contains(errs, "neither a Kubernetes Indexed Job") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
}

// The grid's syntax for set-valued fields through the CLI: one set per
// --grid, ';' between sets, and duplicates refused.
func TestGridSets(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in stdout, or with code 2 in stderr
		code int
	}{
		{[]string{"--grid", "accept=V,E,T"}, "Sweep of 1 policies", 0},
		{[]string{"--grid", "accept=V,E,T", "--grid", "accept=E,T"}, "Sweep of 2 policies", 0},
		{[]string{"--grid", "accept=V,E,T;E,T;t"}, "Replay: fedsim sweep --grid accept=V,E,T --grid accept=E,T --grid accept=T --base type3", 0},
		{[]string{"--grid", "accept=E,E"}, "E is given twice in one set", 2},
		{[]string{"--grid", "accept=E,T", "--grid", "accept=T+E"}, "the set E,T is given twice (E,T and T+E are the same set)", 2},
		{[]string{"--grid", "accept=V+E+T,E+T"}, "a set written with two kinds of separator", 2},
		{[]string{"--grid", "starttls=offered,required,offered"}, "the value offered is given twice", 2},
		{[]string{"--grid", "starttls=offered", "--grid", "starttls=offered"}, "the value offered is given twice", 2},
		{[]string{"--grid", "accept=V,X"}, "accept=V,X: want letters among V, E, T", 2},
	} {
		out, errs, code := runCLI(append(append([]string{"sweep"}, c.args...), "--pictures", "none")...)
		got := out
		if c.code != 0 {
			got = errs
		}
		if code != c.code || !strings.Contains(got, c.want) {
			t.Errorf("%v: exit %d (want %d); want %q in\n%s%s", c.args, code, c.code, c.want, out, errs)
		}
	}
	// 'fedsim help sweep' teaches it.
	out, _, _ := runCLI("help", "sweep")
	if !strings.Contains(out, "--grid accept=V,E,T --grid accept=E,T") {
		t.Errorf("help sweep does not show the set syntax:\n%s", out)
	}
}
