package sweep

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fedsim/fedsim/nodes"
)

// testBuild stands for the fedsim build that made and merges the shards:
// the package only compares the string (the command reads the real one).
const testBuild = "v0.0.0-20261203184000-3f2a9c1d0b7e"

// Shards written as files, read back and merged give the structure of one
// run: the cells, the policies and the suggestion trials, compared with
// go-cmp (the CLI's test compares the rendered reports).
func TestMergedShardsAreTheWholeRun(t *testing.T) {
	base, _ := nodes.PresetByName("type6")
	specs, _, err := Grid(base, map[string][]string{"cert": {"self-signed", "ca-issued"}, "trusts_ca": {"true", "false"}, "accept": {"T", "E,T"}})
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Seed: 3, Workers: 2}
	whole, err := Run(specs, opt)
	if err != nil {
		t.Fatal(err)
	}
	cands, ran := Candidates(specs, SuggestBudget)
	if !ran || len(cands) == 0 {
		t.Fatalf("candidates: %d, ran %t", len(cands), ran)
	}
	allTrials, err := RunTrials(specs, cands, opt)
	if err != nil {
		t.Fatal(err)
	}
	exp := Experiment{Fedsim: testBuild, Base: "type6", Seed: 3, Latency: "0s", Jitter: "0s", Suggest: true}
	for _, s := range specs {
		exp.Policies = append(exp.Policies, PolicyInfo{s.Name, Describe(s)})
	}
	const n = 3
	var files []Named
	for i := n - 1; i >= 0; i-- { // any order
		o := opt
		o.Shard, o.Shards = i, n
		r, err := Run(specs, o)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := RunTrials(specs, cands, o)
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewShardFile(exp, r, &SuggestShard{Ran: true, Candidates: len(cands), Trials: tr})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		back, err := ReadShardFile(&b)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, Named{Name: "s" + string(rune('0'+i)), File: back})
	}
	m, err := MergeShards(files, MergeOptions{Version: testBuild})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(whole, m.Result, cmpopts.IgnoreFields(Result{}, "Specs")); diff != "" {
		t.Fatalf("merged result differs from the whole run (-whole +merged):\n%s", diff)
	}
	if diff := cmp.Diff(allTrials, m.Suggest.Trials); diff != "" {
		t.Fatalf("merged trials differ:\n%s", diff)
	}
	a, err := FinishSuggest(specs, whole, cands, allTrials)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FinishSuggest(specs, m.Result, cands, m.Suggest.Trials)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 {
		t.Fatal("no suggestion to compare")
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("suggestions differ:\n%s", diff)
	}
	// The old single-machine Suggest gives the same changes.
	c, _, err := Suggest(specs, whole, opt, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, c); diff != "" {
		t.Fatalf("Suggest differs from the trials:\n%s", diff)
	}
}

func TestParseGrid(t *testing.T) {
	for _, c := range []struct {
		flags []string
		want  []Axis
		err   string
	}{
		{flags: []string{"accept=V,E,T"}, want: []Axis{{"accept", []string{"V,E,T"}}}},
		{flags: []string{"accept=T,e", "accept=v"}, want: []Axis{{"accept", []string{"E,T", "V"}}}},
		{flags: []string{"accept=V+E+T;E/T;T"}, want: []Axis{{"accept", []string{"V,E,T", "E,T", "T"}}}},
		// Axes come in the order of Fields, whatever the flags' order.
		{flags: []string{"cert=none,ca-issued", "starttls=offered", "starttls=required"},
			want: []Axis{{"starttls", []string{"offered", "required"}}, {"cert", []string{"none", "ca-issued"}}}},
		{flags: []string{"errors=policy-violation//"}, want: []Axis{{"errors", []string{"policy-violation/not-authorized/remote-server-timeout"}}}},
		{flags: []string{"accept=E,E"}, err: "--grid accept=E,E: E is given twice in one set"},
		{flags: []string{"accept=E,T", "accept=T,E"}, err: "the set E,T is given twice (E,T and T,E are the same set)"},
		{flags: []string{"accept=E;E"}, err: "the set E is given twice"},
		{flags: []string{"accept=V+E,T"}, err: "a set written with two kinds of separator"},
		{flags: []string{"starttls=offered,offered"}, err: "the value offered is given twice"},
		{flags: []string{"trusts_ca=true,1"}, err: "the value true is given twice (true and 1 are the same value)"},
		{flags: []string{"errors=//", "errors=policy-violation//"}, want: []Axis{{"errors", []string{"not-authorized/not-authorized/remote-server-timeout", "policy-violation/not-authorized/remote-server-timeout"}}}},
		{flags: []string{"errors=//", "errors=not-authorized//"}, err: "the value not-authorized/not-authorized/remote-server-timeout is given twice (// and not-authorized// are the same value)"},
		{flags: []string{"colour=red"}, err: `unknown field "colour"`},
		{flags: []string{"accept"}, err: "want FIELD=V1,V2"},
		{flags: []string{"starttls=offered,"}, err: "an empty value"},
		{flags: []string{"accept=V,X"}, err: "accept=V,X: want letters among V, E, T"},
	} {
		got, err := ParseGrid(c.flags)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want %q", c.flags, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.flags, err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%v:\n%s", c.flags, diff)
		}
		// GridArgs writes what ParseGrid reads back.
		again, err := ParseGrid(GridArgs(got))
		if err != nil || !cmp.Equal(got, again) {
			t.Errorf("%v: GridArgs %v reads back as %v, %v", c.flags, GridArgs(got), again, err)
		}
	}
}

// Which grid fields take sets is the policy table's word, not a list of
// the sweep's own: every FieldLevels field, and nothing else.
func TestSetValuedFieldsComeFromThePolicyTable(t *testing.T) {
	sets := 0
	for _, pf := range nodes.AllPolicyFields() {
		f, ok := fieldByName(pf.Name)
		if !ok {
			t.Errorf("policy field %s is not a grid field", pf.Name)
			continue
		}
		if f.Set != (pf.Kind == nodes.FieldLevels) {
			t.Errorf("%s: grid says set-valued %t, table says kind %d", pf.Name, f.Set, pf.Kind)
		}
		if f.Set {
			sets++
			// Each of the field's sets is one grid value.
			axes, err := ParseGrid([]string{pf.Name + "=" + strings.Join(pf.Values, SetSeparator)})
			if err != nil || len(axes[0].Values) != len(pf.Values) {
				t.Errorf("%s: every set of the table as one axis: %v %v", pf.Name, axes, err)
			}
		}
	}
	if sets == 0 {
		t.Fatal("the policy table has no set-valued field: the test checks nothing")
	}
}

func TestShardFromEnv(t *testing.T) {
	for _, c := range []struct {
		name      string
		env       map[string]string
		shard, of int
		err       string
	}{
		{"kubernetes", map[string]string{"JOB_COMPLETION_INDEX": "7", ShardCountVar: "10"}, 7, 10, ""},
		{"kubernetes without its count", map[string]string{"JOB_COMPLETION_INDEX": "7"}, 0, 0, ShardCountVar + " is not set (JOB_COMPLETION_INDEX is set, so this is a Kubernetes Indexed Job, and Kubernetes does not give the count: set FEDSIM_SHARD_COUNT in the Job's pod template to its spec.completions)"},
		{"kubernetes index beyond the count", map[string]string{"JOB_COMPLETION_INDEX": "10", ShardCountVar: "10"}, 0, 0, "JOB_COMPLETION_INDEX=10 with FEDSIM_SHARD_COUNT=10"},
		{"kubernetes count not a number", map[string]string{"JOB_COMPLETION_INDEX": "1", ShardCountVar: "ten"}, 0, 0, `FEDSIM_SHARD_COUNT="ten": want a whole number`},
		{"slurm from 0", map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "4"}, 0, 4, ""},
		{"slurm from 1", map[string]string{"SLURM_ARRAY_TASK_ID": "1000", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "1000"}, 999, 1000, ""},
		{"slurm with a step", map[string]string{"SLURM_ARRAY_TASK_ID": "14", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, 2, 3, ""},
		{"slurm with gaps", map[string]string{"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, 0, 0, "contiguous array"},
		{"slurm off the step", map[string]string{"SLURM_ARRAY_TASK_ID": "11", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, 0, 0, "contiguous array"},
		{"slurm without its count", map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0"}, 0, 0, "SLURM_ARRAY_TASK_COUNT is not set (SLURM_ARRAY_TASK_ID is set, so this is a Slurm job array"},
		{"slurm without its minimum", map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}, 0, 0, "SLURM_ARRAY_TASK_MIN is not set"},
		{"both", map[string]string{"JOB_COMPLETION_INDEX": "1", ShardCountVar: "2", "SLURM_ARRAY_TASK_ID": "1"}, 0, 0, "both JOB_COMPLETION_INDEX"},
		{"neither", map[string]string{"HOME": "/root"}, 0, 0, "neither a Kubernetes Indexed Job"},
	} {
		lookup := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
		i, n, _, err := ShardFromEnv(lookup)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %d/%d, %v; want an error with %q", c.name, i, n, err, c.err)
			}
			continue
		}
		if err != nil || i != c.shard || n != c.of {
			t.Errorf("%s: %d/%d, %v; want %d/%d", c.name, i, n, err, c.shard, c.of)
		}
	}
}
