package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/sweep"
)

func init() {
	register(command{name: "sweep", usage: "fedsim sweep [--grid FIELD=V1,V2 ...] [--base typeN] [--workers N] [--shard i/n] [--latency D --jitter D] [--format text|csv|json] [--pictures svg|png|none] [--out DIR] [--suggest]",
		summary: "run every ordered pair of a set of policies (the six types, or a grid over policy fields) and analyse who federates with whom",
		run:     cmdSweep, flags: func() *flag.FlagSet { fs, _ := sweepFlags(io.Discard); return fs }})
	register(command{name: "merge", usage: "fedsim merge SHARD.json ... [--format text|csv|json] [--pictures svg|png|none] [--out DIR]",
		summary: "combine the shards of a sweep (fedsim sweep --shard i/n) into the report of one run",
		run:     cmdMerge, flags: func() *flag.FlagSet { fs, _ := sweepFlags(io.Discard); return fs }})
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
	suggest         bool
}

func sweepFlags(stderr io.Writer) (*flag.FlagSet, *sweepOpts) {
	o := &sweepOpts{}
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var names []string
	for _, f := range sweep.Fields() {
		if len(f.Values) == 0 {
			names = append(names, f.Name+" ("+f.Want+")")
			continue
		}
		var vs []string
		for _, v := range f.Values {
			vs = append(vs, gridValue(v))
		}
		names = append(names, f.Name+" ("+strings.Join(vs, "|")+")")
	}
	fs.Var(&o.grid, "grid", "a grid axis FIELD=V1,V2 (repeat for more axes; a value that holds commas is written with + instead, accept=V+E+T,E+T); fields: "+strings.Join(names, "; ")+". Without --grid the six XEP-0238 types are swept")
	fs.StringVar(&o.servers, "servers", "", "sweep this list of presets instead (comma-separated: type1 … type6 and the real-server presets)")
	fs.Var(&o.faults, "fault", "inject a fault into every pair: KIND:ROLE[:PEERROLE][,PARAM=VALUE...], roles initiator or receiver (e.g. cert-no-clientauth:initiator, partition:initiator:receiver, dns-slow:receiver,delay=5s); kinds: "+strings.Join(faultKindNames(), ", ")+"; repeat for more")
	fs.StringVar(&o.base, "base", "type3", "the policy a grid starts from (fields not on an axis keep its values)")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "parallel workers (results are identical for any number)")
	fs.StringVar(&o.shard, "shard", "", "run only shard i of n (i/n, 0 <= i < n) and write it as JSON for fedsim merge")
	fs.Uint64Var(&o.seed, "seed", 1, "master seed")
	fs.DurationVar(&o.latency, "latency", 0, "one-way latency of every pair's link (default 10ms)")
	fs.DurationVar(&o.jitter, "jitter", 0, "random extra delay per segment, up to this much")
	fs.StringVar(&o.format, "format", "text", "output format: text, csv or json")
	fs.StringVar(&o.pictures, "pictures", "svg", "draw the matrix heat map and the negotiation-time histogram: svg, png or none")
	fs.StringVar(&o.out, "out", ".", "folder for the pictures")
	fs.BoolVar(&o.suggest, "suggest", false, "find the single policy change that would connect the most pairs (costs about 2·n²·alternatives runs)")
	return fs, o
}

// check refuses values that make no sense, naming the flag.
func (o *sweepOpts) check() error {
	switch {
	case o.format != "text" && o.format != "csv" && o.format != "json":
		return badInput("--format %q: want text, csv or json", o.format)
	case o.pictures != "svg" && o.pictures != "png" && o.pictures != "none":
		return badInput("--pictures %q: want svg, png or none", o.pictures)
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

// specs builds the policy set: the six types as explicit policy fields, or
// the grid.
func (o *sweepOpts) specs() ([]sweep.Spec, []string, error) {
	if o.servers != "" {
		if len(o.grid) > 0 {
			return nil, nil, fmt.Errorf("--servers and --grid are alternatives")
		}
		var out []sweep.Spec
		for _, k := range strings.Split(o.servers, ",") {
			p, ok := nodes.PresetByName(strings.TrimSpace(k))
			if !ok {
				return nil, nil, fmt.Errorf("--servers: unknown preset %q", k)
			}
			p.Title = sweep.Describe(p)
			out = append(out, p)
		}
		return out, nil, nil
	}
	if len(o.grid) == 0 {
		var out []sweep.Spec
		for _, p := range nodes.Presets() {
			p.Title = sweep.Describe(p)
			out = append(out, p)
		}
		return out, nil, nil
	}
	base, ok := nodes.PresetByName(o.base)
	if !ok {
		return nil, nil, fmt.Errorf("--base %q: want one of %s", o.base, nodes.PresetNames())
	}
	axes := map[string][]string{}
	for _, g := range o.grid {
		name, vals, ok := strings.Cut(g, "=")
		if !ok || vals == "" {
			return nil, nil, fmt.Errorf("--grid %q: want FIELD=V1,V2", g)
		}
		if _, dup := axes[name]; dup {
			return nil, nil, fmt.Errorf("--grid: field %s given twice", name)
		}
		axes[name] = strings.Split(vals, ",")
	}
	return sweep.Grid(base, axes)
}

func cmdSweep(args []string, stdout, stderr io.Writer) error {
	fs, o := sweepFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
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
	specs, skipped, err := o.specs()
	if err != nil {
		return badInput("%v", err)
	}
	if len(specs) < 1 {
		return badInput("the grid has no consistent policy (%d combinations rejected)", len(skipped))
	}
	opt := sweep.Options{Seed: o.seed, Workers: o.workers, Latency: o.latency, Jitter: o.jitter}
	for _, f := range o.faults {
		ft, err := scenarios.ParseFaultFlag(f, role, otherRole)
		if err != nil {
			return badInput("--fault %q: %v", f, err)
		}
		opt.Faults = append(opt.Faults, ft)
	}
	if o.shard != "" {
		i, n, ok := strings.Cut(o.shard, "/")
		si, e1 := strconv.Atoi(i)
		sn, e2 := strconv.Atoi(n)
		if !ok || e1 != nil || e2 != nil || sn < 1 || si < 0 || si >= sn {
			return badInput("--shard %q: want i/n with 0 <= i < n", o.shard)
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
	if opt.Shards > 1 {
		// A shard is data for fedsim merge, not a report.
		if err := res.WriteJSON(stdout); err != nil {
			return err
		}
		return nil
	}
	replay := "fedsim sweep" + gridArgs(o)
	return report(res, specs, skipped, o, opt, replay, stdout, stderr)
}

// gridValue writes a value as --grid reads it: commas separate values,
// so a value's own commas become '+' ("V+E+T").
func gridValue(v string) string { return strings.ReplaceAll(v, ",", "+") }

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

func gridArgs(o *sweepOpts) string {
	s := ""
	if o.servers != "" {
		s += " --servers " + o.servers
	}
	for _, f := range o.faults {
		s += " --fault " + f
	}
	for _, g := range o.grid {
		s += " --grid " + g
	}
	if len(o.grid) > 0 {
		s += " --base " + o.base
	}
	s += fmt.Sprintf(" --seed %d", o.seed)
	if o.latency > 0 {
		s += " --latency " + o.latency.String()
	}
	if o.jitter > 0 {
		s += " --jitter " + o.jitter.String()
	}
	if o.suggest {
		s += " --suggest"
	}
	return s + reportArgs(o)
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
	if o.out != "." && o.pictures != "none" {
		s += " --out " + o.out
	}
	return s
}

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs, o := sweepFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return badInput("want the shard files (fedsim sweep --shard i/n > shard-i.json)")
	}
	if err := o.check(); err != nil {
		return err
	}
	var parts []*sweep.Result
	for _, p := range pos {
		f, err := os.Open(p)
		if err != nil {
			return badInput("%v", err)
		}
		r, err := sweep.ReadJSON(f)
		f.Close()
		if err != nil {
			return badInput("%s: %v", p, err)
		}
		parts = append(parts, r)
	}
	res, err := sweep.Merge(parts)
	if err != nil {
		return badInput("%v", err)
	}
	o.suggest = false // needs the policies themselves, which shards do not carry
	return report(res, nil, nil, o, sweep.Options{Seed: res.Seed}, "fedsim merge "+strings.Join(pos, " ")+reportArgs(o), stdout, stderr)
}

func report(res *sweep.Result, specs []sweep.Spec, skipped []string, o *sweepOpts, opt sweep.Options, replay string, stdout, stderr io.Writer) error {
	a := sweep.Analyse(res)
	var pictures []string
	if o.pictures != "none" {
		var err error
		if err = os.MkdirAll(o.out, 0o755); err == nil {
			pictures, err = sweep.WritePlots(res, a, o.out, o.pictures)
		}
		if err != nil {
			return err
		}
	}
	var changes []sweep.Change
	suggestNote := ""
	if o.suggest && specs != nil {
		var ran bool
		var err error
		changes, ran, err = sweep.Suggest(specs, res, opt, 2_000_000)
		if err != nil {
			return err
		}
		if !ran {
			suggestNote = "too many policies for --suggest (over 2,000,000 runs)"
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
		if err := w.Error(); err != nil {
			return err
		}
		return nil
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
