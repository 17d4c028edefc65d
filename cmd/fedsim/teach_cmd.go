package main

// fedsim explain and fedsim diagram: the teaching views of one pair (issue
// 6). Both derive everything from the run's trace (package scenarios/teach).

import (
	"bytes"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/spec"
	"github.com/fedsim/fedsim/scenarios/teach"
)

func init() {
	register(command{
		name:    "run",
		usage:   "fedsim run INITIATOR RECEIVER | FILE.yaml [--pair FROM,TO] [--seed N] [--format text|jsonl] [--fragment whole|random|byte] [--stats] [the flags of explain]",
		summary: "run one pair (type1 … type6 or a real-server preset), or a scenario file, and print every element and event in virtual-time order",
		run:     cmdRun,
		flags:   func() *flag.FlagSet { fs, _ := teachFlags("run", io.Discard); return fs },
	})
	register(command{
		name:    "explain",
		usage:   "fedsim explain INITIATOR RECEIVER | FILE.yaml [--pair FROM,TO] [--seed N] [--policy-initiator k=v,...] [--policy-receiver k=v,...] [--cert-initiator KIND] [--cert-receiver KIND] [--publish-initiator WORDS] [--publish-receiver WORDS] [--fault kind:target[:peer]]... [--attack KIND] [--fragment whole|random|byte]",
		summary: "narrate one pair (or a scenario file's first stanza's pair) step by step: who sends what to whom and why, the outcome, and what would have changed it",
		run:     cmdExplain,
		flags:   func() *flag.FlagSet { fs, _ := teachFlags("explain", io.Discard); return fs },
	})
	register(command{
		name:    "diagram",
		usage:   "fedsim diagram INITIATOR RECEIVER | FILE.yaml --format mermaid|svg [--seed N] [the flags of explain]",
		summary: "draw one pair (or a scenario file's) as a sequence diagram (Mermaid text, or an SVG drawn by fedsim)",
		run:     cmdDiagram,
		flags:   func() *flag.FlagSet { fs, _ := teachFlags("diagram", io.Discard); return fs },
	})
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

type teachOpts struct {
	seed           uint64
	polI, polR     string
	certI, certR   string
	pubI, pubR     string
	faults         multi
	attack, format string
	fragment       string
	stats          bool
	pair           string
}

func teachFlags(name string, stderr io.Writer) (*flag.FlagSet, *teachOpts) {
	o := &teachOpts{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&o.seed, "seed", 1, "master seed; same seed, same output")
	fs.StringVar(&o.polI, "policy-initiator", "", "change the initiating server's policy: k=v,... over "+strings.Join(nodes.PolicyFieldNames(), ", ")+" (e.g. version=1.0,initiate_tls=always,accept=V,E; 'fedsim help policy' lists the values)")
	fs.StringVar(&o.polR, "policy-receiver", "", "change the receiving server's policy (as --policy-initiator)")
	fs.StringVar(&o.certI, "cert-initiator", "", "the initiating server's certificate: none, self-signed or CA-issued (default: the preset's)")
	fs.StringVar(&o.certR, "cert-receiver", "", "the receiving server's certificate (as --cert-initiator)")
	fs.StringVar(&o.pubI, "publish-initiator", "", "what the initiating domain publishes: signed (a DNSSEC-signed zone), tlsa=dane-ee or tlsa=dane-ta, posh (a POSH document), joined by commas, or none (docs/dane.md)")
	fs.StringVar(&o.pubR, "publish-receiver", "", "what the receiving domain publishes (as --publish-initiator)")
	fs.Var(&o.faults, "fault", "inject a fault, kind:target[:peer][,param=value...] with target initiator, receiver or a domain (repeatable), e.g. cert-expired:receiver or dns-slow:receiver,delay=5s; 'fedsim help faults' lists the kinds")
	fs.StringVar(&o.attack, "attack", "", "place an attacker between the two: "+nodes.OrList(scenarios.AttackKindNames()))
	fs.StringVar(&o.fragment, "fragment", "whole", "how writes are cut on the wire: whole, random (up to 4 pieces) or byte (one byte per segment)")
	fs.StringVar(&o.pair, "pair", "", "with a scenario file: the two servers to show, FROM,TO (default: the sender of the file's first stanza and its addressee)")
	switch name {
	case "diagram":
		fs.StringVar(&o.format, "format", "mermaid", "mermaid or svg")
	case "run":
		fs.StringVar(&o.format, "format", "text", "output format: text or jsonl (one JSON object per trace record)")
		fs.BoolVar(&o.stats, "stats", false, "print events processed, events per second, simulated seconds per wall second and stanzas delivered (on stderr)")
	}
	return fs, o
}

// teachConfig reads the positional arguments and flags into a config,
// reporting every bad value at once.
func teachConfig(name string, args []string) (teach.Config, *teachOpts, error) {
	fs, o := teachFlags(name, io.Discard)
	pos, err := parse(fs, args)
	if err != nil {
		return teach.Config{}, nil, err
	}
	if len(pos) == 1 && isScenarioFile(pos[0]) {
		return scenarioConfig(name, fs, pos[0], o)
	}
	if len(pos) != 2 {
		return teach.Config{}, nil, badInput("want INITIATOR RECEIVER (type1 … type6 or a real-server preset) or a scenario file, got %d arguments", len(pos))
	}
	if o.pair != "" {
		return teach.Config{}, nil, badInput("--pair picks two servers of a scenario file; give the pair itself as INITIATOR RECEIVER")
	}
	cfg := teach.Config{Initiator: pos[0], Receiver: pos[1], Seed: o.seed, Fragment: o.fragment}
	var errs []string
	presets := [2]nodes.Preset{}
	for i, n := range pos {
		p, ok := nodes.PresetByName(n)
		if !ok {
			errs = append(errs, fmt.Sprintf("unknown kind of server %q (want one of %s)", n, nodes.PresetNames()))
			continue
		}
		presets[i] = p
	}
	if len(errs) == 0 {
		cfg.Initiator, cfg.Receiver = presets[0].Name, presets[1].Name
		errs = append(errs, o.sides(&cfg, [2]nodes.Policy{presets[0].Policy, presets[1].Policy})...)
		pair := scenarios.Pair{Initiator: cfg.Initiator, Receiver: cfg.Receiver}
		for _, spec := range o.faults {
			f, err := teach.ParseFault(pair, spec)
			if err != nil {
				errs = append(errs, "--fault: "+err.Error())
				continue
			}
			cfg.Faults = append(cfg.Faults, f)
		}
	}
	return checkTeachOpts(name, cfg, o, errs)
}

// checkTeachOpts checks the flags both forms share, adds them to cfg and
// reports every bad value at once.
func checkTeachOpts(name string, cfg teach.Config, o *teachOpts, errs []string) (teach.Config, *teachOpts, error) {
	if o.attack != "" {
		if _, ok := scenarios.AttackKindOf(scenarios.AttackKind(o.attack)); !ok {
			errs = append(errs, fmt.Sprintf("--attack %q: want %s", o.attack, nodes.OrList(scenarios.AttackKindNames())))
		}
		cfg.Attack = scenarios.AttackKind(o.attack)
	}
	for i, c := range []string{o.certI, o.certR} {
		if c != "" && c != teach.CertNone && c != teach.CertSelfSigned && c != teach.CertCAIssued {
			errs = append(errs, fmt.Sprintf("--cert-%s %q: want none, self-signed or CA-issued", []string{"initiator", "receiver"}[i], c))
		}
	}
	for i, v := range []string{o.pubI, o.pubR} {
		if v == "" {
			continue
		}
		if _, err := teach.ParsePublish(v); err != nil {
			errs = append(errs, fmt.Sprintf("--publish-%s: %s", []string{"initiator", "receiver"}[i], strings.TrimPrefix(err.Error(), "teach: ")))
		}
		cfg.Sides[i].Publish = v
	}
	if name == "diagram" && o.format != "mermaid" && o.format != "svg" {
		errs = append(errs, fmt.Sprintf("--format %q: want mermaid or svg", o.format))
	}
	if name == "run" && o.format != "text" && o.format != "jsonl" {
		errs = append(errs, fmt.Sprintf("--format %q: want text or jsonl", o.format))
	}
	if !slices.Contains(teach.Fragments, o.fragment) {
		errs = append(errs, fmt.Sprintf("--fragment %q: want %s", o.fragment, strings.Join(teach.Fragments, ", ")))
	}
	if len(errs) > 0 {
		return cfg, o, badInputs(errs)
	}
	return cfg, o, nil
}

// cmdRun prints a pair's whole trace. Without overrides, faults or an
// attack it is the run of that cell of the matrix, byte for byte.
func cmdRun(args []string, stdout, stderr io.Writer) error {
	cfg, o, err := teachConfig("run", args)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := teach.Run(cfg)
	if err != nil {
		return badInput("%v", err)
	}
	if o.stats {
		printStats(stderr, statsOf{events: res.Events, wall: time.Since(start), sim: time.Duration(res.World.Sim.Now()).Seconds(), delivered: res.World.Counts.Delivered})
	}
	tr := res.World.Sim.Trace
	if o.format == "jsonl" {
		if err := tr.WriteJSONL(stdout); err != nil {
			return err
		}
		return nil
	}
	fmt.Fprintf(stdout, "%s (%s) -> %s (%s), seed %d\n", res.From, res.Presets[0].Title, res.To, res.Presets[1].Title, cfg.Seed)
	fmt.Fprintln(stdout, "Times are virtual seconds; cN.M is connection N, stream M (a new stream follows TLS and SASL).")
	fmt.Fprintln(stdout)
	if err := tr.WriteText(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	writeSummary(stdout, res.From, res.To, res.PairReading)
	if res.Attack != nil {
		fmt.Fprintf(stdout, "Attack %s: %s\n", res.Attack.Kind, res.Attack.Verdict())
	}
	fmt.Fprintf(stdout, "Trace: %d records, %d events, sha256 %s\n", len(tr.Records), res.Events, tr.Hash()[:16])
	fmt.Fprintln(stdout, "Replay: "+res.Config.Replay("run"))
	return nil
}

func cmdExplain(args []string, stdout, stderr io.Writer) error {
	cfg, _, err := teachConfig("explain", args)
	if err != nil {
		return err
	}
	res, err := teach.Run(cfg)
	if err != nil {
		return badInput("%v", err)
	}
	changes, err := teach.Counterfactuals(res)
	if err != nil {
		return err
	}
	if err := teach.Explain(stdout, res, teach.BuildFlow(res), changes, res.Config.Replay("explain")); err != nil {
		return err
	}
	return nil
}

func cmdDiagram(args []string, stdout, stderr io.Writer) error {
	cfg, o, err := teachConfig("diagram", args)
	if err != nil {
		return err
	}
	res, err := teach.Run(cfg)
	if err != nil {
		return badInput("%v", err)
	}
	flow := teach.BuildFlow(res)
	replay := res.Config.Replay("diagram") + " --format " + o.format
	title := fmt.Sprintf("%s → %s: %s   (%s)", res.From, res.To, res.Outcome.Letter(), replay)
	if o.format == "svg" {
		// The drawn title is cut to the picture's width; the whole replay
		// line goes into the SVG's description.
		var svg bytes.Buffer
		if err = teach.SVG(&svg, flow, title); err == nil {
			out := svg.String()
			if i := strings.LastIndex(out, "</svg>"); i >= 0 {
				out = out[:i] + "<desc>Replay: " + html.EscapeString(replay) + "</desc>\n" + out[i:]
			}
			_, err = io.WriteString(stdout, out)
		}
	} else {
		err = teach.Mermaid(stdout, flow, title)
	}
	if err != nil {
		return err
	}
	return nil
}

// isScenarioFile tells a scenario file from a preset name: it ends in .yaml
// or .yml, or names a file that exists.
func isScenarioFile(arg string) bool {
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return true
	}
	st, err := os.Stat(arg)
	return err == nil && !st.IsDir()
}

// scenarioConfig reads a scenario file into a config: the file's world,
// its seed unless --seed is given, its faults (so that explain can take
// each away), and the pair --pair names or the file's first stanza's.
func scenarioConfig(name string, fs *flag.FlagSet, path string, o *teachOpts) (teach.Config, *teachOpts, error) {
	s, err := spec.Load(path)
	if err != nil {
		return teach.Config{}, nil, badInput("%v", err)
	}
	if s.HasReal() {
		return teach.Config{}, nil, badInput("%s names a real server: run it with fedsim test (%s simulates, and a real program cannot be simulated)", path, name)
	}
	wc := s.Config()
	cfg := teach.Config{Scenario: wc, Path: path, Seed: s.Seed, Faults: wc.Faults, Fragment: o.fragment}
	if !flagSet(fs, "fragment") {
		cfg.Fragment = s.Fragment
	}
	if flagSet(fs, "seed") {
		cfg.Seed = o.seed
	}
	var errs []string
	if o.pair != "" {
		a, b, ok := strings.Cut(o.pair, ",")
		if !ok || a == "" || b == "" {
			errs = append(errs, fmt.Sprintf("--pair %q: want FROM,TO (two domains of the scenario)", o.pair))
		}
		cfg.Initiator, cfg.Receiver = strings.TrimSpace(a), strings.TrimSpace(b)
	}
	// The sides' policies are the file's, changed by the flags.
	_, res, err := cfg.World()
	if err != nil {
		return cfg, o, badInput("%v", err)
	}
	cfg.Initiator, cfg.Receiver = res.From, res.To
	errs = append(errs, o.sides(&cfg, res.Policies)...)
	if len(o.faults) > 0 {
		errs = append(errs, "--fault: with a scenario file, write faults in the file (its faults section); explain takes each away in turn")
	}
	return checkTeachOpts(name, cfg, o, errs)
}

// flagSet reports whether the command line set the named flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// sides applies the --policy-… and --cert-… flags to the two servers, whose
// policies without them are base, and returns the bad values.
func (o *teachOpts) sides(cfg *teach.Config, base [2]nodes.Policy) []string {
	var errs []string
	for i, spec := range []string{o.polI, o.polR} {
		if spec == "" {
			continue
		}
		p, err := teach.ParsePolicy(base[i], spec)
		if err == nil {
			err = p.Validate()
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("--policy-%s: %v", []string{"initiator", "receiver"}[i], err))
			continue
		}
		cfg.Sides[i].Policy = &p
	}
	cfg.Sides[0].Cert, cfg.Sides[1].Cert = o.certI, o.certR
	return errs
}
