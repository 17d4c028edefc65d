package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/sweep"
)

func init() {
	register(command{name: "sweep", usage: "fedsim sweep [--grid FIELD=V1,V2 ...] [--servers P1,P2,...] [--fault KIND:ROLE ...] [--base typeN] [--workers N] [--shard i/n|auto [--out DIR]] [--latency D --jitter D] [--format text|csv|json] [--pictures svg|png|none] [--out DIR] [--suggest]",
		summary: "run every ordered pair of a set of policies (the six types, or a grid over policy fields) and analyse who federates with whom",
		run:     cmdSweep, flags: func() *flag.FlagSet { fs, _ := sweepFlags(io.Discard); return fs }})
	register(command{name: "merge", usage: "fedsim merge SHARD.json|DIR ... [--format text|csv|json] [--pictures svg|png|none] [--out DIR] [--ignore-version]",
		summary: "combine the shard files of one sweep (fedsim sweep --shard i/n), or a folder of them, into the report the whole sweep prints",
		run:     cmdMerge, flags: func() *flag.FlagSet { fs, _ := mergeFlags(io.Discard); return fs }})
}

type gridFlag []string

func (g *gridFlag) String() string     { return strings.Join(*g, " ") }
func (g *gridFlag) Set(v string) error { *g = append(*g, v); return nil }

type sweepOpts struct {
	servers         string
	faults          gridFlag
	grid            gridFlag
	base            string
	workers         int
	shard           string
	seed            uint64
	latency, jitter time.Duration
	format          string
	pictures        string
	out             string
	outGiven        bool
	suggest         bool
	ignoreVersion   bool
}

// gridHelp lists the grid's fields with their values, set-valued fields
// with their sets.
func gridHelp() string {
	var names []string
	for _, f := range sweep.Fields() {
		if len(f.Values) == 0 {
			names = append(names, f.Name+" ("+f.Want+")")
			continue
		}
		if f.Set {
			names = append(names, f.Name+" (one set per flag: "+f.Want+")")
			continue
		}
		names = append(names, f.Name+" ("+strings.Join(f.Values, "|")+")")
	}
	return "a grid axis FIELD=V1,V2 (repeat for more axes). A set-valued field (accept) takes one set per flag, written as in --policy: " +
		"--grid accept=V,E,T --grid accept=E,T sweeps the two sets {V,E,T} and {E,T} (or, quoted, 'accept=V,E,T" + sweep.SetSeparator + "E,T'); " +
		"a value or set given twice is an error. Fields: " + strings.Join(names, "; ") + ". Without --grid the six XEP-0238 types are swept"
}

// reportFlags are the flags of the report, which sweep and merge share.
func reportFlags(fs *flag.FlagSet, o *sweepOpts, outHelp string) {
	fs.StringVar(&o.format, "format", "text", "output format: text, csv or json")
	fs.StringVar(&o.pictures, "pictures", "", "the pictures' format, with --out: svg (the default), png, or none")
	fs.StringVar(&o.out, "out", "", outHelp)
}

func sweepFlags(stderr io.Writer) (*flag.FlagSet, *sweepOpts) {
	o := &sweepOpts{}
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&o.grid, "grid", gridHelp())
	fs.StringVar(&o.servers, "servers", "", "sweep this list of presets instead (comma-separated: type1 … type6 and the real-server presets)")
	fs.Var(&o.faults, "fault", "inject a fault into every pair: KIND:ROLE[:PEERROLE][,PARAM=VALUE...], roles initiator or receiver (e.g. cert-no-clientauth:initiator, partition:initiator:receiver, dns-slow:receiver,delay=5s); kinds: "+strings.Join(faultKindNames(), ", ")+"; repeat for more")
	fs.StringVar(&o.base, "base", "type3", "the policy a grid starts from (fields not on an axis keep its values)")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "parallel workers (results are identical for any number)")
	fs.StringVar(&o.shard, "shard", "", "run only shard i of n (i/n, 0 <= i < n: the pairs, and with --suggest the candidate changes, whose index is i mod n) and write a shard file for fedsim merge: to stdout, or with --out into that folder as shard-I-of-N.json. "+
		"'auto' reads i and n from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX and "+sweep.ShardCountVar+") or a Slurm job array (SLURM_ARRAY_TASK_ID, _MIN, _COUNT, _STEP); docs/distributed.md")
	fs.Uint64Var(&o.seed, "seed", 1, "master seed")
	fs.DurationVar(&o.latency, "latency", 0, "one-way latency of every pair's link (default 10ms)")
	fs.DurationVar(&o.jitter, "jitter", 0, "random extra delay per segment, up to this much")
	reportFlags(fs, o, picturesOut+"; with --shard, the folder the shard file is written into (shard-I-of-N.json) instead of stdout")
	fs.BoolVar(&o.suggest, "suggest", false, "find the single policy change that would connect the most pairs (costs about 2·n²·alternatives runs; shards share them)")
	return fs, o
}

func mergeFlags(stderr io.Writer) (*flag.FlagSet, *sweepOpts) {
	o := &sweepOpts{}
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reportFlags(fs, o, picturesOut)
	fs.BoolVar(&o.ignoreVersion, "ignore-version", false, "merge shards made by another fedsim build than this one (refused by default: another build may build other policies or negotiate differently)")
	return fs, o
}

// picturesOut is --out's help: pictures are written there and nowhere
// else.
const picturesOut = "draw the matrix heat map (sweep-matrix.svg) and the negotiation-time histogram (sweep-times.svg) into this folder, made if missing; without --out no file is written"

// checkReport refuses report flags that make no sense, naming the flag
// (sweep and merge).
func (o *sweepOpts) checkReport() error {
	switch {
	case o.format != "text" && o.format != "csv" && o.format != "json":
		return badInput("--format %q: want text, csv or json", o.format)
	case o.pictures != "" && o.pictures != "svg" && o.pictures != "png" && o.pictures != "none":
		return badInput("--pictures %q: want svg, png or none", o.pictures)
	case o.pictures != "" && o.pictures != "none" && o.out == "":
		return badInput("--pictures %s: say where with --out DIR (fedsim writes no picture anywhere else)", o.pictures)
	}
	if o.pictures == "" {
		o.pictures = "svg"
	}
	return nil
}

// check refuses sweep's values that make no sense, naming the flag.
func (o *sweepOpts) check() error {
	if err := o.checkReport(); err != nil {
		return err
	}
	switch {
	case o.workers < 1:
		return badInput("--workers %d: want at least 1", o.workers)
	case o.latency < 0:
		return badInput("--latency %s: want a duration of 0 or more", o.latency)
	case o.jitter < 0:
		return badInput("--jitter %s: want a duration of 0 or more", o.jitter)
	}
	if _, ok := nodes.PresetByName(o.base); !ok {
		return badInput("--base %q: want one of %s", o.base, nodes.PresetNames())
	}
	return nil
}

// specs builds the policy set: the six types as explicit policy fields, a
// list of presets, or the grid (with its axes as ParseGrid read them).
func (o *sweepOpts) specs() ([]sweep.Spec, []string, []sweep.Axis, error) {
	if o.servers != "" {
		if len(o.grid) > 0 {
			return nil, nil, nil, fmt.Errorf("--servers and --grid are alternatives")
		}
		var out []sweep.Spec
		for _, k := range strings.Split(o.servers, ",") {
			p, ok := nodes.PresetByName(strings.TrimSpace(k))
			if !ok {
				return nil, nil, nil, fmt.Errorf("--servers: unknown preset %q", k)
			}
			p.Title = sweep.Describe(p)
			out = append(out, p)
		}
		return out, nil, nil, nil
	}
	if len(o.grid) == 0 {
		var out []sweep.Spec
		for _, p := range nodes.Presets() {
			p.Title = sweep.Describe(p)
			out = append(out, p)
		}
		return out, nil, nil, nil
	}
	base, ok := nodes.PresetByName(o.base)
	if !ok {
		return nil, nil, nil, fmt.Errorf("--base %q: want one of %s", o.base, nodes.PresetNames())
	}
	axes, err := sweep.ParseGrid(o.grid)
	if err != nil {
		return nil, nil, nil, err
	}
	specs, skipped, err := sweep.Grid(base, sweep.Axes(axes))
	return specs, skipped, axes, err
}

// experiment records what decides the sweep's cells (sweep.Experiment).
func (o *sweepOpts) experiment(specs []sweep.Spec, axes []sweep.Axis) sweep.Experiment {
	e := sweep.Experiment{Fedsim: buildVersion(), Grid: axes, Faults: o.faults, Seed: o.seed,
		Latency: o.latency.String(), Jitter: o.jitter.String(), Suggest: o.suggest}
	if o.servers != "" {
		for _, k := range strings.Split(o.servers, ",") {
			e.Servers = append(e.Servers, strings.TrimSpace(k))
		}
	}
	if len(axes) > 0 {
		e.Base = o.base
	}
	for _, s := range specs {
		e.Policies = append(e.Policies, sweep.PolicyInfo{Name: s.Name, Fields: sweep.Describe(s)})
	}
	return e
}

// fromExperiment gives the sweep flags that made e, for fedsim merge to
// rebuild the policies with.
func fromExperiment(e sweep.Experiment) (*sweepOpts, error) {
	o := &sweepOpts{servers: strings.Join(e.Servers, ","), faults: e.Faults, grid: sweep.GridArgs(e.Grid),
		base: e.Base, seed: e.Seed, suggest: e.Suggest}
	var err error
	if o.latency, err = time.ParseDuration(e.Latency); err != nil {
		return nil, fmt.Errorf("latency %q: %v", e.Latency, err)
	}
	if o.jitter, err = time.ParseDuration(e.Jitter); err != nil {
		return nil, fmt.Errorf("jitter %q: %v", e.Jitter, err)
	}
	return o, nil
}

// sweepOptions turns the flags into sweep.Options (shard aside).
func (o *sweepOpts) sweepOptions() (sweep.Options, error) {
	opt := sweep.Options{Seed: o.seed, Workers: o.workers, Latency: o.latency, Jitter: o.jitter}
	for _, f := range o.faults {
		ft, err := scenarios.ParseFaultFlag(f, role, otherRole)
		if err != nil {
			return opt, fmt.Errorf("--fault %q: %v", f, err)
		}
		opt.Faults = append(opt.Faults, ft)
	}
	return opt, nil
}

func cmdSweep(args []string, stdout, stderr io.Writer) error {
	fs, o := sweepFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var reportFlag string
	fs.Visit(func(f *flag.Flag) {
		o.outGiven = o.outGiven || f.Name == "out"
		if f.Name == "format" || f.Name == "pictures" {
			reportFlag = f.Name
		}
	})
	if o.shard != "" && reportFlag != "" {
		// A shard is data, not a report: say so rather than ignore the flag.
		return badInput("--%s shapes the report, and a shard writes a shard file: give --%s to fedsim merge", reportFlag, reportFlag)
	}
	if len(pos) > 0 {
		return badInput("unexpected argument %q", pos[0])
	}
	if err := o.check(); err != nil {
		return err
	}
	if isSet(fs, "base") && len(o.grid) == 0 {
		return badInput("--base %s: the policy a grid starts from, and there is no --grid", o.base)
	}
	specs, skipped, axes, err := o.specs()
	if err != nil {
		return badInput("%v", err)
	}
	if len(specs) < 1 {
		return badInput("the grid has no consistent policy (%d combinations rejected)", len(skipped))
	}
	opt, err := o.sweepOptions()
	if err != nil {
		return badInput("%v", err)
	}
	source := ""
	switch {
	case o.shard == "auto":
		opt.Shard, opt.Shards, source, err = sweep.ShardFromEnv(os.LookupEnv)
		if err != nil {
			return badInput("%v", err)
		}
	case o.shard != "":
		i, n, ok := strings.Cut(o.shard, "/")
		si, e1 := strconv.Atoi(i)
		sn, e2 := strconv.Atoi(n)
		if !ok || e1 != nil || e2 != nil || sn < 1 || si < 0 || si >= sn {
			return badInput("--shard %q: want i/n with 0 <= i < n, or auto", o.shard)
		}
		opt.Shard, opt.Shards = si, sn
	}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && stderr == os.Stderr {
		last := time.Time{}
		opt.Progress = func(done, total int) {
			if now := time.Now(); now.Sub(last) > 200*time.Millisecond || done == total {
				last = now
				w := 40 * done / total
				fmt.Fprintf(stderr, "\r[%s%s] %d/%d pairs", strings.Repeat("#", w), strings.Repeat(".", 40-w), done, total)
				if done == total {
					fmt.Fprintln(stderr)
				}
			}
		}
	}
	res, err := sweep.Run(specs, opt)
	if err != nil {
		return err
	}
	var sug *sweep.SuggestShard
	var cands []sweep.Candidate
	if o.suggest {
		var ran bool
		cands, ran = sweep.Candidates(specs, sweep.SuggestBudget)
		sug = &sweep.SuggestShard{Ran: ran, Candidates: len(cands), Trials: []sweep.Trial{}}
		if ran {
			if sug.Trials, err = sweep.RunTrials(specs, cands, opt); err != nil {
				return err
			}
		}
	}
	exp := o.experiment(specs, axes)
	if o.shard != "" {
		// A shard is data for fedsim merge, not a report.
		return writeShard(exp, res, sug, o, source, stdout, stderr)
	}
	changes, note, err := finishSuggest(specs, res, cands, sug)
	if err != nil {
		return err
	}
	return report(res, skipped, changes, note, o, "fedsim sweep"+exp.Args()+reportArgs(o), stdout, stderr)
}

// finishSuggest gives --suggest's changes, or the note that says why
// there are none to give.
func finishSuggest(specs []sweep.Spec, res *sweep.Result, cands []sweep.Candidate, sug *sweep.SuggestShard) ([]sweep.Change, string, error) {
	if sug == nil {
		return nil, "", nil
	}
	if !sug.Ran {
		return nil, fmt.Sprintf("too many policies for --suggest (over %d runs)", sweep.SuggestBudget), nil
	}
	changes, err := sweep.FinishSuggest(specs, res, cands, sug.Trials)
	return changes, "", err
}

// writeShard writes a shard file to stdout, or into --out as
// shard-I-of-N.json (written to a temporary name and renamed, so that a
// merge of the folder never reads half a file).
func writeShard(exp sweep.Experiment, res *sweep.Result, sug *sweep.SuggestShard, o *sweepOpts, source string, stdout, stderr io.Writer) error {
	f, err := sweep.NewShardFile(exp, res, sug)
	if err != nil {
		return err
	}
	if !o.outGiven {
		return f.Write(stdout)
	}
	name := filepath.Join(o.out, fmt.Sprintf("shard-%0*d-of-%d.json", len(strconv.Itoa(res.Shards-1)), res.Shard, res.Shards))
	err = os.MkdirAll(o.out, 0o755)
	var tmp *os.File
	if err == nil {
		tmp, err = os.CreateTemp(o.out, ".shard-*.tmp")
	}
	if err == nil {
		err = f.Write(tmp)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), 0o644) // CreateTemp makes it 0600
		}
		if err == nil {
			err = os.Rename(tmp.Name(), name)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		return fmt.Errorf("writing the shard: %v", err)
	}
	from := ""
	if source != "" {
		from = " (from the " + source + ")"
	}
	fmt.Fprintf(stderr, "fedsim sweep: shard %d/%d%s: %d pairs written to %s\n", res.Shard, res.Shards, from, len(res.Cells), name)
	return nil
}

// role reads a sweep fault's target, peer or observer: a role, which each
// pair maps to its own domains.
func role(s string) (string, error) {
	switch s {
	case "initiator", "receiver":
		return s, nil
	}
	return "", fmt.Errorf("%q: want initiator or receiver (a sweep's pairs have no fixed domains)", s)
}

func otherRole(r string) string {
	if r == "initiator" {
		return "receiver"
	}
	return "initiator"
}

func faultKindNames() []string {
	var out []string
	for _, k := range scenarios.FaultKinds() {
		out = append(out, string(k))
	}
	return out
}

// reportArgs are the flags that shape the report (the replay line must
// give the same bytes and the same pictures).
func reportArgs(o *sweepOpts) string {
	s := ""
	if o.format != "text" {
		s += " --format " + o.format
	}
	if o.pictures != "svg" {
		s += " --pictures " + o.pictures
	}
	if o.out != "" && o.pictures != "none" {
		s += " --out " + o.out
	}
	return s
}

// shardPaths expands merge's arguments: a file, or a folder's *.json
// files in name order.
func shardPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no shard files (*.json) in the folder", a)
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs, o := mergeFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return badInput("want the shard files or a folder of them (fedsim sweep --shard i/n > shard-i.json, or --shard i/n --out DIR)")
	}
	if err := o.checkReport(); err != nil {
		return err
	}
	paths, err := shardPaths(pos)
	if err != nil {
		return badInput("%v", err)
	}
	var files []sweep.Named
	pool := map[string]string{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return badInput("%v", err)
		}
		sf, err := sweep.ReadShardFile(f)
		f.Close()
		if err != nil {
			return badInput("%s: %v", p, err)
		}
		var prev *sweep.ShardFile
		if len(files) > 0 {
			prev = files[0].File
		}
		sf.Share(prev, pool)
		files = append(files, sweep.Named{Name: p, File: sf})
	}
	m, err := sweep.MergeShards(files, sweep.MergeOptions{Version: buildVersion(), IgnoreVersion: o.ignoreVersion})
	if err != nil {
		return badInput("%v", err)
	}
	if len(m.Versions) > 0 {
		fmt.Fprintf(stderr, "fedsim merge: warning: --ignore-version: the shards were made by fedsim %s; this is %s\n", strings.Join(m.Versions, ", "), buildVersion())
	}
	// The policies again, from the shards' own flags: the list they
	// recorded must be the one this fedsim builds, or their cells and the
	// report's policy names would not belong together.
	so, err := fromExperiment(m.Experiment)
	var specs []sweep.Spec
	var skipped []string
	if err == nil {
		specs, skipped, _, err = so.specs()
	}
	if err != nil {
		return badInput("the shards' flags make no sweep here: %v", err)
	}
	if diff := policyDiff(so.experiment(specs, m.Experiment.Grid).Policies, m.Experiment.Policies); diff != "" {
		return badInput("the shards' policy list is not the one their flags make with this fedsim: %s", diff)
	}
	var changes []sweep.Change
	note := ""
	if m.Suggest != nil {
		cands, ran := sweep.Candidates(specs, sweep.SuggestBudget)
		if ran != m.Suggest.Ran || len(cands) != m.Suggest.Candidates {
			return badInput("the shards tried %d suggestion candidates, this fedsim makes %d", m.Suggest.Candidates, len(cands))
		}
		if changes, note, err = finishSuggest(specs, m.Result, cands, m.Suggest); err != nil {
			return badInput("%v", err)
		}
	}
	so.format, so.pictures, so.out = o.format, o.pictures, o.out
	return report(m.Result, skipped, changes, note, so, "fedsim sweep"+m.Experiment.Args()+reportArgs(so), stdout, stderr)
}

// policyDiff names the first policy where two lists part, or "".
func policyDiff(built, recorded []sweep.PolicyInfo) string {
	for i := 0; i < len(built) || i < len(recorded); i++ {
		var b, r sweep.PolicyInfo
		if i < len(built) {
			b = built[i]
		}
		if i < len(recorded) {
			r = recorded[i]
		}
		if b != r {
			return fmt.Sprintf("policy %d is %q in the shards, %q here (%d policies in the shards, %d here)", i+1, r.Name+" "+r.Fields, b.Name+" "+b.Fields, len(recorded), len(built))
		}
	}
	return ""
}

func report(res *sweep.Result, skipped []string, changes []sweep.Change, suggestNote string, o *sweepOpts, replay string, stdout, stderr io.Writer) error {
	a := sweep.Analyse(res)
	var pictures []string
	if o.pictures != "none" && o.out != "" {
		var err error
		if err = os.MkdirAll(o.out, 0o755); err == nil {
			pictures, err = sweep.WritePlots(res, a, o.out, o.pictures)
		}
		if err != nil {
			return err
		}
	}
	switch o.format {
	case "csv":
		w := csv.NewWriter(stdout)
		w.Write([]string{"initiator", "receiver", "outcome", "negotiation_ms", "reason"})
		for _, c := range res.Cells {
			w.Write([]string{c.Initiator, c.Receiver, c.Outcome, strconv.FormatFloat(c.TimeMS, 'f', 3, 64), c.Reason})
		}
		w.Flush()
		return w.Error()
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		if err := enc.Encode(map[string]any{"seed": res.Seed, "replay": replay, "policies": res.Policies, "cells": res.Cells,
			"counts": a.Counts, "reasons": a.Reasons, "islands": a.Islands, "mutual_pairs": a.Mutual, "reach": a.Reach,
			"times_ms": a.Times, "changes": changes, "pictures": pictures}); err != nil {
			return err
		}
		return nil
	}
	n := len(res.Policies)
	fmt.Fprintf(stdout, "Sweep of %d policies, %d ordered pairs, each in a fresh world (seed %d).\n", n, len(res.Cells), res.Seed)
	if len(skipped) > 0 {
		fmt.Fprintf(stdout, "%d grid combinations were not servers and were left out (e.g. %s).\n", len(skipped), skipped[0])
	}
	fmt.Fprintln(stdout)
	if n <= 24 {
		w := 6
		for _, p := range res.Policies {
			if len(p.Name)+2 > w {
				w = len(p.Name) + 2
			}
		}
		fmt.Fprintf(stdout, "%-*s", w, "")
		for _, p := range res.Policies {
			fmt.Fprintf(stdout, "%-*s", w, p.Name)
		}
		fmt.Fprintln(stdout)
		for i, p := range res.Policies {
			fmt.Fprintf(stdout, "%-*s", w, p.Name)
			for j := 0; j < n; j++ {
				fmt.Fprintf(stdout, "%-*s", w, res.Cells[i*n+j].Outcome)
			}
			fmt.Fprintln(stdout)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "outcomes: U %d  V %d  E %d  T %d\n", a.Counts["U"], a.Counts["V"], a.Counts["E"], a.Counts["T"])
	fmt.Fprintf(stdout, "unordered pairs that federate both ways: %d of %d\n", a.Mutual, n*(n-1)/2)
	fmt.Fprintln(stdout, "\nwhy pairs fail (classes, most frequent first):")
	for i, r := range a.Reasons {
		if i == 10 {
			fmt.Fprintf(stdout, "  … %d more classes\n", len(a.Reasons)-10)
			break
		}
		fmt.Fprintf(stdout, "  %6d  %s\n", r.Count, r.Reason)
	}
	fmt.Fprintf(stdout, "\nislands (strongly connected components of 'can send to'): %d\n", len(a.Islands))
	for i, isl := range a.Islands {
		if i == 8 {
			fmt.Fprintf(stdout, "  … %d more\n", len(a.Islands)-8)
			break
		}
		show := isl
		if len(show) > 12 {
			show = append(append([]string{}, show[:12]...), fmt.Sprintf("… (%d in all)", len(isl)))
		}
		fmt.Fprintf(stdout, "  %s\n", strings.Join(show, " "))
	}
	fmt.Fprintln(stdout, "\nnegotiation time until the outcome (virtual ms): median / p95 / p99")
	for _, out := range []string{"U", "V", "E", "T"} {
		if q, ok := a.Times[out]; ok {
			fmt.Fprintf(stdout, "  %s  %6d pairs  %8.1f / %8.1f / %8.1f\n", out, q.N, q.Median, q.P95, q.P99)
		}
	}
	if o.suggest {
		fmt.Fprintln(stdout, "\nsingle policy changes that connect the most pairs:")
		if suggestNote != "" {
			fmt.Fprintln(stdout, "  "+suggestNote)
		}
		for i, c := range changes {
			if i == 10 {
				break
			}
			fmt.Fprintf(stdout, "  +%d  %s: %s %s -> %s\n", c.Gain, c.Policy, c.Field, c.From, c.To)
		}
		if len(changes) == 0 && suggestNote == "" {
			fmt.Fprintln(stdout, "  none: no single change connects more pairs")
		}
	}
	if n > 24 || len(res.Policies) > 0 {
		fmt.Fprintln(stdout, "\npolicies:")
		for i, p := range res.Policies {
			if i == 24 {
				fmt.Fprintf(stdout, "  … %d more (--format json lists them all)\n", n-24)
				break
			}
			fmt.Fprintf(stdout, "  %s  %s\n", p.Name, p.Fields)
		}
	}
	for _, p := range pictures {
		fmt.Fprintf(stdout, "picture: %s\n", p)
	}
	fmt.Fprintln(stdout, "Replay: "+replay)
	return nil
}
