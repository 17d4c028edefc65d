package main

// fedsim interop: the six XEP-0238 types against a real server, beside the
// simulation of the preset that claims to model it (issue 13).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fedsim/fedsim/scenarios/interop"
)

func init() {
	register(command{name: "interop",
		usage:   "fedsim interop prosody|prosody-debian|ejabberd|HOST:PORT [--domain D --preset P] [--dir DIR] [--seed N] [--format text|json] [--attack dns-poison|dialback-shortcut]",
		summary: "start a real server (Debian's prosody or ejabberd), federate the six types with it over real sockets both ways, and compare with its preset",
		run:     cmdInterop, flags: func() *flag.FlagSet { fs, _ := interopFlags(io.Discard); return fs }})
}

type interopOpts struct {
	domain, preset, dir, format string
	attack                      string
	seed                        uint64
	verbose                     bool
}

func interopFlags(stderr io.Writer) (*flag.FlagSet, *interopOpts) {
	o := &interopOpts{}
	fs := flag.NewFlagSet("interop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.domain, "domain", "", "with HOST:PORT: the domain the running server hosts")
	fs.StringVar(&o.preset, "preset", "", "with HOST:PORT: the preset that claims to model it")
	fs.StringVar(&o.dir, "dir", "", "scratch folder for the server's configuration, certificates, log and the transcripts (default: a new temporary folder, kept)")
	fs.Uint64Var(&o.seed, "seed", 1, "the worlds' seed")
	fs.StringVar(&o.format, "format", "text", "output format: text or json")
	fs.BoolVar(&o.verbose, "v", false, "say what is happening, on stderr")
	fs.StringVar(&o.attack, "attack", "", "instead of the matrix, attack the server: dns-poison (an impostor claims victim.lit through the server's poisoned DNS and forges a ping) or dialback-shortcut (an impostor claiming victim.lit sends <db:result type='valid'/> instead of a key, then a forged ping)")
	return fs, o
}

func cmdInterop(args []string, stdout, stderr io.Writer) error {
	fs, o := interopFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput("want one server (%s, or HOST:PORT), got %d arguments", strings.Join(interop.ServerNames, ", "), len(pos))
	}
	if o.format != "text" && o.format != "json" {
		return badInput("--format %q: want text or json", o.format)
	}
	srv, err := interop.ByName(pos[0], o.domain, o.preset)
	if err != nil {
		return badInput("%v", err)
	}
	if err := srv.Available(); err != nil {
		return badInput("%v", err)
	}
	if o.dir != "" {
		if err := os.MkdirAll(o.dir, 0o700); err != nil {
			return badInput("--dir: %v", err)
		}
	}
	opt := interop.Options{Dir: o.dir, Seed: o.seed}
	if o.verbose {
		opt.Progress = stderr
	}
	if o.attack != "" {
		return interopAttack(srv, opt, o, stdout, stderr)
	}
	m, err := interop.Run(context.Background(), srv, opt)
	if err != nil {
		return err
	}
	status := exitOK
	if !m.Agree() {
		status = exitFail
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			return err
		}
		return exitWith(status)
	}
	writeInterop(stdout, m)
	return exitWith(status)
}

func writeInterop(w io.Writer, m *interop.Matrix) {
	fmt.Fprintf(w, "%s (%s) beside the preset %s, simulated\n", m.Server, m.Domain, m.Preset)
	switch {
	case len(m.Settings) > 0:
		fmt.Fprintf(w, "s2s configuration written: %s\n", strings.Join(m.Settings, "; "))
	case m.Log != "":
		fmt.Fprintln(w, "s2s configuration: the server's code defaults (fedsim wrote no s2s setting)")
	}
	fmt.Fprintln(w)
	width := 0
	for _, c := range m.Cells {
		width = max(width, len(c.Initiator)+len(c.Receiver)+4)
	}
	fmt.Fprintf(w, "%-*s  real  %s\n", width, "initiator -> receiver", m.Preset)
	agree := 0
	for _, c := range m.Cells {
		mark := ""
		if c.Agree {
			agree++
		} else {
			mark = "   <- differs: " + c.Differs
		}
		fmt.Fprintf(w, "%-*s  %-4s  %s%s\n", width, c.Initiator+" -> "+c.Receiver, c.Real, c.Simulated, mark)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "U: no authenticated stream; V: dialback without TLS; E: TLS, then dialback; T: TLS, then SASL EXTERNAL.\n")
	fmt.Fprintf(w, "A type's row is the level its own negotiation reached; the server's row, the level at which the type authenticated the server.\n")
	fmt.Fprintf(w, "%d cells, %d agree. Real run %s (start, %d negotiations, stop); simulated %s.\n",
		len(m.Cells), agree, m.Wall.Round(10*time.Millisecond), m.Negotiations, m.Simulated.Round(10*time.Microsecond))
	if m.SimNegotiation > 0 {
		fmt.Fprintf(w, "A negotiation with the real server took %s (median of the types' own); the simulation spends %s of wall time on one (%.0fx), %s of virtual time.\n",
			m.RealNegotiation.Round(10*time.Microsecond), m.SimNegotiation.Round(100*time.Nanosecond),
			float64(m.RealNegotiation)/float64(m.SimNegotiation), m.SimVirtual.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "Transcripts: %s/transcript.txt (real; .jsonl beside it), %s/simulated.txt", m.Dir, m.Dir)
	if m.Log != "" {
		fmt.Fprintf(w, "; the server's log: %s", m.Log)
	}
	fmt.Fprintln(w)
}

// interopAttack runs an attack against the real server: exit 1 when the
// attacker got what it wanted.
func interopAttack(srv interop.Server, opt interop.Options, o *interopOpts, stdout, stderr io.Writer) error {
	run := map[string]func(context.Context, interop.Server, interop.Options) (*interop.PoisonResult, error){
		"dns-poison": interop.PoisonAttack, "dialback-shortcut": interop.ShortcutAttack}[o.attack]
	if run == nil {
		return badInput("--attack %q: want dns-poison or dialback-shortcut", o.attack)
	}
	if _, ext := srv.(*interop.External); ext {
		return badInput("--attack needs a server fedsim starts (its resolver must be fedsim's DNS)")
	}
	r, err := run(context.Background(), srv, opt)
	if err != nil {
		return err
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r)
	} else {
		fmt.Fprintln(stdout, r)
		if len(r.Settings) > 0 {
			fmt.Fprintf(stdout, "s2s configuration: %s\n", strings.Join(r.Settings, "; "))
		}
		fmt.Fprintf(stdout, "Transcript: %s/transcript.txt; the server's log: %s\n", r.Dir, r.Log)
	}
	if r.Impersonated {
		return statusError(exitFail)
	}
	return nil
}
