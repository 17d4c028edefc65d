// Command fedsim runs simulated XMPP server-to-server federation.
//
//	fedsim matrix [--seed N] [--format text|json] [--compare xep0238]
//	fedsim run INITIATOR RECEIVER [--seed N] [--format text|jsonl] [--fragment whole|random|byte] [the flags of explain]
//	fedsim explain INITIATOR RECEIVER [--policy-initiator k=v,...] [--fault kind:target] [--attack KIND] …
//	fedsim help [COMMAND]
//
// Every run is deterministic: the same command and seed print the same
// bytes. Each command prints the line that reproduces it.
package main

import (
	"encoding/json"
	"sort"
	"time"

	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

type command struct {
	name, usage, summary string
	// run does the command's work; its error decides the exit status
	// (exit.go).
	run func(args []string, stdout, stderr io.Writer) error
	// flags returns the command's flag set, the one run parses, for
	// 'fedsim help CMD' and 'fedsim CMD -h' (nil: it takes no flags).
	flags func() *flag.FlagSet
}

// commands is the command table. Commands in other files add themselves
// with register from an init function.
var commands []command

func register(c command) { commands = append(commands, c) }

func init() {
	commands = append(commands, []command{
		{"matrix", "fedsim matrix [--seed N] [--format text|json] [--compare xep0238]",
			"run all 36 XEP-0238 pairs, each in a fresh world, and print the outcome matrix", cmdMatrix, flagsFor("matrix")},
		{"attack", "fedsim attack " + strings.Join(scenarios.AttackKindNames(), "|") + " [--seed N] [--format text|json] [--cert self-signed|wrong-name]",
			"run every pair of XEP-0238 types under an attack and print what the attacker achieved", cmdAttack, flagsFor("attack")},
		{"chaos", "fedsim chaos [--runs N] [--seed S] [--format text|json] [--stream-management] [--check-determinism-across-processes]",
			"draw random fault schedules over the XEP world, run them and check the invariants", cmdChaos, flagsFor("chaos")},
		{"help", "fedsim help [COMMAND]", "show help for fedsim, one command, or a topic (policy, faults, attacks); list the exit statuses", cmdHelp, nil},
	}...)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			return exitStatus(c, c.run(args[1:], stdout, stderr), stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "fedsim: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

// helpOrder is the order 'fedsim help' lists commands in: from looking at
// one pair to measuring fedsim itself. Commands not named go last.
var helpOrder = []string{"matrix", "run", "explain", "diagram", "serve", "attack", "chaos", "test", "new", "sweep", "merge", "large", "bench", "interop", "version", "help"}

func ordered() []command {
	rank := func(name string) int {
		for i, n := range helpOrder {
			if n == name {
				return i
			}
		}
		return len(helpOrder)
	}
	out := append([]command(nil), commands...)
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].name) < rank(out[j].name) })
	return out
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "fedsim — a deterministic simulator of XMPP server-to-server federation (XEP-0238)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range ordered() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'fedsim help COMMAND' (or 'fedsim COMMAND -h') for a command's flags. Same command + same --seed = same output, byte for byte.")
	fmt.Fprintln(w, "Topics: 'fedsim help policy', 'fedsim help faults', 'fedsim help attacks'.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status, in every command:")
	fmt.Fprintln(w, "  0  done, nothing failed")
	fmt.Fprintln(w, "  1  it ran and found a failure: a scenario whose expectations failed (test), an invariant violated (chaos),")
	fmt.Fprintln(w, "     a real server that differs from its preset or an attack on it that succeeded (interop), or an error while running")
	fmt.Fprintln(w, "  2  bad input: an unknown command, flag or argument, a value that makes no sense, a scenario file that does not load")
}

func cmdHelp(args []string, stdout, stderr io.Writer) error {
	pos, err := parse(flag.NewFlagSet("help", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		usage(stdout)
		return nil
	case 1:
	default:
		return badInput("want one command or topic, got %d arguments", len(pos))
	}
	for _, c := range commands {
		if c.name == pos[0] {
			writeHelp(stdout, c)
			return nil
		}
	}
	if t, ok := helpTopics[pos[0]]; ok {
		t(stdout)
		return nil
	}
	return badInput("unknown command or topic %q (topics: policy, faults, attacks)", pos[0])
}

// helpTopics print the vocabularies' tables: the policy fields, the fault
// kinds and the attacks with their verdicts.
var helpTopics = map[string]func(io.Writer){
	"policy": func(w io.Writer) {
		fmt.Fprintln(w, "Policy fields: --policy-initiator/--policy-receiver k=v,..., a scenario's policy: mapping, sweep --grid.")
		fmt.Fprintln(w, "Without a preset, a scenario's policy gives every field marked 'required'; the others default as shown.")
		for _, f := range nodes.AllPolicyFields() {
			def := "required"
			if !f.Always {
				def = "default " + f.Default
			}
			vals := strings.Join(f.Values, " | ")
			if f.Kind == nodes.FieldParts || f.Kind == nodes.FieldLevels {
				vals = f.Want()
			}
			fmt.Fprintf(w, "\n  %s  (%s)\n      %s\n      values: %s\n", f.Name, def, f.Help, vals)
		}
	},
	"faults": func(w io.Writer) {
		fmt.Fprintln(w, "Fault kinds: --fault KIND:TARGET[:PEER][,PARAM=VALUE...], a scenario's faults: list, sweep --fault.")
		for _, k := range scenarios.FaultSpecs() {
			var ps []string
			for _, p := range k.Params {
				ps = append(ps, string(p))
			}
			var needs []string
			for _, g := range k.Needs {
				needs = append(needs, scenarios.Need(g))
			}
			fmt.Fprintf(w, "\n  %s  (%s)\n      %s\n", k.Kind, k.Layer, k.Help)
			switch {
			case k.Cert:
				fmt.Fprintln(w, "      applied when certificates are made: the target must hold one; no other field")
			case len(ps) == 0:
				fmt.Fprintln(w, "      no other field")
			default:
				fmt.Fprintf(w, "      fields: %s\n", strings.Join(ps, ", "))
			}
			if len(needs) > 0 {
				fmt.Fprintf(w, "      needs: %s (--fault's default: %s)\n", strings.Join(needs, "; "), k.FlagDefaults())
			}
		}
		fmt.Fprintln(w, "\nFields:")
		for _, p := range scenarios.FaultParams() {
			fmt.Fprintf(w, "  %-9s %s\n", p.Name, p.Help)
		}
	},
	"attacks": func(w io.Writer) {
		fmt.Fprintln(w, "Attacks: fedsim attack KIND, --attack KIND, a scenario's attack: or attacks:.")
		for _, a := range scenarios.AttackKindSpecs() {
			fmt.Fprintf(w, "\n  %s\n      %s\n", a.Kind, strings.ReplaceAll(a.Intro, "\n", "\n      "))
		}
		fmt.Fprintln(w, "\nVerdicts (what the attacker achieved; achievements combine as impersonated+read):")
		for _, v := range scenarios.VerdictSpecs() {
			fmt.Fprintf(w, "  %-13s %s\n", v.Name, v.Help)
		}
	},
}

type opts struct {
	servers string
	stats   bool
	runs    int
	cert    string
	seed    uint64
	format  string
	compare string
	// chaos: acrossProcs re-runs the seeds in a child process and compares
	// trace hashes; printHashes prints them (what that child does).
	acrossProcs, printHashes bool
	// chaos: streamManagement turns XEP-0198 on in both servers.
	streamManagement bool
	// attack dns-poison --dnssec: the DNSSEC and DANE deployments matrix.
	dnssec bool
	// attack: on or off, the attack kind's defect (dialback-shortcut,
	// plaintext-retry).
	defect string
}

// flagsFor returns the flags function of matrix, attack or chaos.
func flagsFor(name string) func() *flag.FlagSet {
	return func() *flag.FlagSet {
		fs, _ := newFlags(name, &opts{}, io.Discard)
		return fs
	}
}

func newFlags(name string, o *opts, stderr io.Writer) (*flag.FlagSet, *opts) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&o.seed, "seed", 1, "master seed: stream ids, dialback secrets, fragmentation; same seed, same output")
	if name == "matrix" {
		fs.BoolVar(&o.stats, "stats", false, "print events processed, events per second, simulated seconds per wall second and stanzas delivered (on stderr)")
	}
	switch name {
	case "matrix":
		fs.StringVar(&o.format, "format", "text", "output format: text or json")
		fs.StringVar(&o.compare, "compare", "", "mark cells that differ from a reference table: xep0238 (with the six types only)")
		fs.StringVar(&o.servers, "servers", "", "comma-separated kinds of server to run against each other: type1 … type6 and the real-server presets of docs/presets.md (default: the six types)")
	case "chaos":
		fs.IntVar(&o.runs, "runs", 100, "number of runs; run i uses seed S+i and replays alone with --runs 1 --seed S+i")
		fs.BoolVar(&o.acrossProcs, "check-determinism-across-processes", false, "also run every seed in a child fedsim process with another GOMAXPROCS and a later wall clock, and compare trace hashes (catches dependence on the clock or on scheduling)")
		fs.BoolVar(&o.printHashes, "print-hashes", false, "print 'SEED HASH' for each run instead of the report (what --check-determinism-across-processes reads from its child)")
		fs.StringVar(&o.format, "format", "text", "output format: text or json")
		fs.BoolVar(&o.streamManagement, "stream-management", false, "run both servers with stream_management=true (XEP-0198): stanzas on a broken stream are resumed or bounced, not lost; pairs are drawn from type2..type6 (type1's XMPP 0.9 has no stream features)")
	case "attack":
		fs.StringVar(&o.format, "format", "text", "output format: text or json")
		fs.StringVar(&o.cert, "cert", "self-signed", "tls-intercept: the interceptor's certificate, self-signed or wrong-name (CA-issued for another name)")
		fs.BoolVar(&o.dnssec, "dnssec", false, "instead of the 6x6 matrix, each type against its own kind under DNSSEC and DANE deployments (signed zones, validating resolvers, TLSA records; docs/dane.md)")
		fs.StringVar(&o.servers, "servers", "", "comma-separated kinds of server to run against each other: type1 … type6 and the real-server presets of docs/presets.md (default: the six types; dialback-shortcut and plaintext-retry add openfire and ejabberd-24)")
		fs.StringVar(&o.defect, "defect", "on", "dialback-shortcut and plaintext-retry: on runs the matrix with the attack's defect switched on in the victim's policy, then again without it; off only without it")
	}
	return fs, o
}

func cmdMatrix(args []string, stdout, stderr io.Writer) error {
	fs, o := newFlags("matrix", &opts{}, stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return badInput("unexpected argument %q", pos[0])
	}
	if o.format != "text" && o.format != "json" {
		return badInput("--format %q: want text or json", o.format)
	}
	if o.compare != "" && o.compare != "xep0238" {
		return badInput("--compare %q: the only reference table is xep0238", o.compare)
	}
	kinds := scenarios.Types
	if o.servers != "" {
		if kinds, err = parseServers(o.servers); err != nil {
			return err
		}
		if o.compare != "" && strings.Join(kinds, ",") != strings.Join(scenarios.Types, ",") {
			return badInput("--compare xep0238 needs the six types, in order")
		}
	}
	start := time.Now()
	results, err := scenarios.RunMatrixOf(kinds, scenarios.PairOptions{Seed: o.seed})
	if err != nil {
		return err
	}
	if o.stats {
		st := statsOf{wall: time.Since(start)}
		for _, r := range results {
			st.events += r.Events
			st.sim += time.Duration(r.Elapsed).Seconds()
			st.delivered += r.World.Counts.Delivered
		}
		printStats(stderr, st)
	}
	replay := fmt.Sprintf("fedsim matrix --seed %d", o.seed)
	if o.servers != "" {
		replay += " --servers " + o.servers
	}
	if o.format != "text" {
		replay += " --format " + o.format
	}
	if o.compare != "" {
		replay += " --compare " + o.compare
	}
	if o.format == "json" {
		return writeMatrixJSON(stdout, stderr, results, o, replay)
	}
	writeMatrixText(stdout, kinds, results, o.compare != "", replay)
	return nil
}

type jsonCell struct {
	Initiator  string `json:"initiator"`
	Receiver   string `json:"receiver"`
	From       string `json:"from"`
	To         string `json:"to"`
	Outcome    string `json:"outcome"`
	Level      string `json:"level"`
	Reason     string `json:"reason,omitempty"`
	Bounce     string `json:"bounce,omitempty"`
	BounceType string `json:"bounce_type,omitempty"`
	Delivered  bool   `json:"delivered"`
	Answered   bool   `json:"answered"`
	Reverse    string `json:"reverse"`
	// ReceiverAuth is how the initiator authenticated the receiver:
	// "certificate", "DNS only" or "nothing" (who verified whom).
	ReceiverAuth string `json:"receiver_auth"`
	Events       int    `json:"events"`
	VirtualMS    int64  `json:"virtual_ms"`
	XEP0238      string `json:"xep0238,omitempty"`
	Differs      *bool  `json:"differs,omitempty"`
}

func writeMatrixJSON(stdout, stderr io.Writer, results []*scenarios.PairResult, o *opts, replay string) error {
	out := cellsJSON[jsonCell]{Seed: o.seed, Replay: replay}
	for _, r := range results {
		c := jsonCell{
			Initiator: r.Initiator, Receiver: r.Receiver, From: r.From, To: r.To,
			Outcome: r.Outcome.Letter(), Level: r.Outcome.String(), Reason: r.Reason,
			Bounce: r.Bounce, BounceType: r.BounceType, Delivered: r.Delivered, Answered: r.Answered,
			Reverse: r.Reverse.Letter(), ReceiverAuth: r.ReceiverAuth.String(), Events: r.Events, VirtualMS: int64(r.Elapsed) / 1e6,
		}
		if o.compare != "" {
			c.XEP0238 = scenarios.XEPCell(r.Pair)
			d := c.XEP0238 != c.Outcome
			c.Differs = &d
		}
		out.Cells = append(out.Cells, c)
	}
	return encodeIndented(stdout, out)
}

func writeMatrixText(w io.Writer, kinds []string, results []*scenarios.PairResult, compare bool, replay string) {
	title := "XEP-0238 outcome matrix"
	if strings.Join(kinds, ",") != strings.Join(scenarios.Types, ",") {
		title = "Outcome matrix"
	}
	fmt.Fprintln(w, title+": rows initiate, columns receive; each cell ran in a fresh world.")
	if compare {
		fmt.Fprintln(w, "A cell marked * differs from the XEP's summary table (shown in brackets).")
	}
	fmt.Fprintln(w)
	width := 9
	for _, k := range kinds {
		if len(k)+2 > width {
			width = len(k) + 2
		}
	}
	fmt.Fprintf(w, "%-*s", width, "")
	for j, k := range kinds {
		if j == len(kinds)-1 {
			fmt.Fprint(w, k)
		} else {
			fmt.Fprintf(w, "%-*s", width, k)
		}
	}
	fmt.Fprintln(w)
	var diffs []string
	for i, a := range kinds {
		fmt.Fprintf(w, "%-*s", width, a)
		for j := range kinds {
			r := results[i*len(kinds)+j]
			cell := r.Outcome.Letter()
			if compare {
				if x := scenarios.XEPCell(r.Pair); x != cell {
					cell += "* [" + x + "]"
					diffs = append(diffs, fmt.Sprintf("  %s -> %s: fedsim %s, XEP table %s", r.Initiator, r.Receiver, r.Outcome.Letter(), x))
				}
			}
			if j == len(kinds)-1 {
				fmt.Fprint(w, cell)
			} else {
				fmt.Fprintf(w, "%-*s", width, cell)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "U unsuccessful (stanza bounced)   V verified: dialback, no TLS")
	fmt.Fprintln(w, "E encrypted: TLS + dialback        T trusted: TLS + SASL EXTERNAL")
	if compare {
		fmt.Fprintln(w)
		if len(diffs) == 0 {
			fmt.Fprintln(w, "No cell differs from XEP-0238's table.")
		} else {
			fmt.Fprintf(w, "%d cells differ from XEP-0238's table (its own flows disagree with it; see docs/xep0238.md):\n", len(diffs))
			for _, d := range diffs {
				fmt.Fprintln(w, d)
			}
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Why a cell came out as it did: fedsim run INITIATOR RECEIVER")
	fmt.Fprintln(w, "Replay: "+replay)
}

// writeSummary says in two lines how the ping from → to went.
func writeSummary(w io.Writer, from, to string, r scenarios.PairReading) {
	fmt.Fprintf(w, "Outcome: %s — %s -> %s %s", r.Outcome.Letter(), from, to, r.Outcome)
	if r.Outcome == nodes.LevelNone {
		fmt.Fprintf(w, ": %s", r.Reason)
	} else {
		fmt.Fprintf(w, "; %s authenticated %s by %s", from, to, r.ReceiverAuth)
	}
	fmt.Fprintln(w)
	switch {
	case r.Answered:
		fmt.Fprintf(w, "The ping was delivered and answered; the answer travelled on a stream %s -> %s negotiated at level %s.\n", to, from, r.Reverse.Letter())
	case r.Delivered:
		fmt.Fprintf(w, "The ping was delivered but the answer did not come back (reverse stream: %s).\n", r.Reverse.Letter())
	case r.Bounce != "":
		fmt.Fprintf(w, "The ping was bounced to its sender with <%s/> (type %s).\n", r.Bounce, r.BounceType)
	default:
		fmt.Fprintln(w, "The ping was neither delivered nor bounced.")
	}
}

func cmdChaos(args []string, stdout, stderr io.Writer) error {
	fs, o := newFlags("chaos", &opts{}, stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return badInput("unexpected argument %q", pos[0])
	}
	if o.runs < 1 {
		return badInput("--runs %d: want at least 1", o.runs)
	}
	if o.format != "text" && o.format != "json" {
		return badInput("--format %q: want text or json", o.format)
	}
	s, err := scenarios.RunChaosManyWith(o.runs, o.seed, scenarios.ChaosOptions{StreamManagement: o.streamManagement})
	if err != nil {
		return err
	}
	if o.printHashes {
		for i, h := range s.Hashes {
			fmt.Fprintf(stdout, "%d %s\n", o.seed+uint64(i), h)
		}
		return nil
	}
	across, acrossHow := 0, ""
	if o.acrossProcs {
		var other map[uint64]string
		other, acrossHow, err = chaosChildHashes(o)
		if err == nil {
			across, err = s.CompareAcross(o.seed, other, acrossHow)
		}
		if err != nil {
			return fmt.Errorf("--check-determinism-across-processes: %w", err)
		}
	}
	status := exitOK
	if len(s.Violating) > 0 {
		status = exitFail
	}
	if o.format == "json" {
		type violation struct {
			Seed       uint64   `json:"seed"`
			Pair       string   `json:"pair"`
			Faults     []string `json:"faults"`
			Violations []string `json:"violations"`
			Replay     string   `json:"replay"`
		}
		out := struct {
			Runs       int            `json:"runs"`
			Seed       uint64         `json:"seed"`
			Faults     int            `json:"faults"`
			ByFault    map[string]int `json:"by_fault"`
			Outcomes   map[string]int `json:"outcomes"`
			Lost       int            `json:"lost_to_faults"`
			Duplicates int            `json:"duplicates"`
			// LostWithSender (of lost_to_faults) and Unconfirmed: see
			// scenarios.Report.
			LostWithSender int `json:"lost_with_crashed_sender"`
			Unconfirmed    int `json:"unconfirmed_bounces"`
			// SM: both servers ran with stream_management=true.
			SM         bool        `json:"stream_management,omitempty"`
			Events     int         `json:"events"`
			Violations []violation `json:"violations"`
			// Across is how many seeds were compared with a child process
			// (--check-determinism-across-processes).
			Across int `json:"compared_across_processes,omitempty"`
		}{Across: across, Runs: s.Runs, Seed: o.seed, Faults: s.Faults, ByFault: map[string]int{}, Outcomes: s.ByOutcome, Lost: s.Lost, Duplicates: s.Duplicates, LostWithSender: s.LostWithSender, Unconfirmed: s.Unconfirmed, SM: o.streamManagement, Events: s.Events, Violations: []violation{}}
		for k, n := range s.ByFault {
			out.ByFault[string(k)] = n
		}
		for _, c := range s.Violating {
			v := violation{Seed: c.Seed, Pair: c.Pair.Initiator + "->" + c.Pair.Receiver, Replay: c.Replay()}
			for _, f := range c.Faults {
				v.Faults = append(v.Faults, f.String())
			}
			for _, x := range c.Report.Violations {
				v.Violations = append(v.Violations, x.String())
			}
			out.Violations = append(out.Violations, v)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
		return exitWith(status)
	}
	fmt.Fprintf(stdout, "chaos: %d runs (seeds %d..%d), %d faults injected, %d events\n", s.Runs, o.seed, o.seed+uint64(s.Runs)-1, s.Faults, s.Events)
	fmt.Fprintf(stdout, "faults:   %s\n", strings.Join(s.FaultCounts(), ", "))
	fmt.Fprintf(stdout, "outcomes: U %d  V %d  E %d  T %d (first negotiation of each run)\n", s.ByOutcome["U"], s.ByOutcome["V"], s.ByOutcome["E"], s.ByOutcome["T"])
	if o.streamManagement {
		fmt.Fprintf(stdout, "stream management (XEP-0198) on both servers; pairs drawn from type2..type6 (type1's XMPP 0.9 cannot negotiate it)\n")
		fmt.Fprintf(stdout, "stanzas lost in transit when a fault broke an established stream (XEP-0198: resumed and re-sent, or bounced): %d\n", s.Lost-s.LostWithSender)
		fmt.Fprintf(stdout, "stanzas lost with the memory of their sending server, which crashed while it held them: %d\n", s.LostWithSender)
		fmt.Fprintf(stdout, "stanzas delivered but bounced as unconfirmed (the ack was lost, the session could not be resumed): %d\n", s.Unconfirmed)
		fmt.Fprintf(stdout, "stanzas delivered more than once: %d\n", s.Duplicates)
	} else {
		fmt.Fprintf(stdout, "stanzas lost in transit when a fault broke an established stream (no XEP-0198): %d\n", s.Lost)
	}
	if o.streamManagement {
		fmt.Fprintf(stdout, "invariants: exactly-once delivery or bounce, authenticated origin at an accepted level, stream management enabled and resumed only on authenticated streams, determinism\n")
	} else {
		fmt.Fprintf(stdout, "invariants: exactly-once delivery or bounce, authenticated origin at an accepted level, determinism\n")
	}
	if o.acrossProcs {
		fmt.Fprintf(stdout, "determinism across processes: %d of %d seeds compared with %s\n", across, s.Runs, acrossHow)
	}
	if len(s.Violating) == 0 {
		fmt.Fprintln(stdout, "violations: none")
	} else {
		fmt.Fprintf(stdout, "violations: %d runs\n", len(s.Violating))
		for _, c := range s.Violating {
			fmt.Fprintf(stdout, "  seed %d %s -> %s, faults %v\n", c.Seed, c.Pair.Initiator, c.Pair.Receiver, c.Faults)
			for _, v := range c.Report.Violations {
				fmt.Fprintf(stdout, "    %s\n", v)
			}
			fmt.Fprintf(stdout, "    replay: %s\n", c.Replay())
		}
	}
	if o.streamManagement {
		fmt.Fprintf(stdout, "Replay: fedsim chaos --stream-management --runs %d --seed %d\n", o.runs, o.seed)
	} else {
		fmt.Fprintf(stdout, "Replay: fedsim chaos --runs %d --seed %d\n", o.runs, o.seed)
	}
	return exitWith(status)
}

// chaosChildHashes runs the same seeds in a child fedsim with another
// GOMAXPROCS (1, or 2 if this process has 1), started after this one has
// finished its runs (so on a later wall clock), and reads the trace hash it
// prints for each seed.
func chaosChildHashes(o *opts) (map[uint64]string, string, error) {
	exe := os.Args[0]
	if p, err := exec.LookPath(exe); err == nil {
		exe = p
	} else if p, err := os.Executable(); err == nil {
		exe = p
	}
	procs := 1
	if runtime.GOMAXPROCS(0) == 1 {
		procs = 2
	}
	how := fmt.Sprintf("a child process with GOMAXPROCS=%d (here %d)", procs, runtime.GOMAXPROCS(0))
	args := []string{"chaos", "--runs", strconv.Itoa(o.runs), "--seed", strconv.FormatUint(o.seed, 10), "--print-hashes"}
	if o.streamManagement {
		args = append(args, "--stream-management")
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, how, fmt.Errorf("%s chaos --print-hashes: %w: %s", exe, err, strings.TrimSpace(stderr.String()))
	}
	hashes := map[uint64]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if seed, err := strconv.ParseUint(f[0], 10, 64); err == nil {
			hashes[seed] = f[1]
		}
	}
	return hashes, how, nil
}
