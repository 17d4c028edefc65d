package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// badInputs lists, for every command, inputs it must refuse before doing
// any work: exit 2, nothing on stdout, and a message on stderr that names
// the flag or value (want). TestEveryCommandRefusesBadInput fails for a
// command without a case, so a new command comes with its own.
var badInputCases = map[string][]struct {
	args []string
	want string
}{
	"matrix": {
		{[]string{"--format", "xml"}, `--format "xml": want text or json`},
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
		{[]string{"--servers", "type1,type9"}, `--servers: unknown kind "type9"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
	},
	"run": {
		{[]string{"type1", "type4", "--fragment", "bits"}, `--fragment "bits"`},
		{[]string{"type1"}, "want INITIATOR RECEIVER"},
		{[]string{"type4", "type4", "--publish-receiver", "tlsa=dane-xx"}, `--publish-receiver: publish "tlsa=dane-xx"`},
	},
	"explain": {
		{[]string{"type1", "type9"}, `unknown kind of server "type9"`},
		{[]string{"type1", "type4", "--attack", "nope"}, `--attack "nope"`},
	},
	"diagram": {
		{[]string{"type1", "type4", "--format", "png"}, `--format "png": want mermaid or svg`},
	},
	"serve": {
		{[]string{"--addr", "x"}, `--addr "x": want HOST:PORT`},
		{[]string{"--addr", "127.0.0.1:99999"}, `port "99999"`},
		{[]string{"--addr", "example.com:8238"}, `host "example.com": want an IP address or localhost`},
	},
	"attack": {
		{[]string{"nope"}, `unknown attack "nope"`},
		{[]string{"tls-intercept", "--cert", "none"}, `--cert "none"`},
		{[]string{"tls-intercept", "--dnssec", "--cert", "gold"}, `--cert "gold"`},
	},
	"chaos": {
		{[]string{"--runs", "0"}, "--runs 0: want at least 1"},
		{[]string{"--format", "xml"}, `--format "xml"`},
	},
	"test": {
		{[]string{"--format", "xml"}, `--format "xml"`},
		{[]string{"-run", "("}, "-run: error parsing regexp"},
	},
	"new": {
		{[]string{"--seed", "3", "x.yaml"}, "flag provided but not defined: -seed"},
		{[]string{"x.txt"}, "x.txt: a scenario file ends in .yaml"},
	},
	"sweep": {
		{[]string{"--fault", "nope:initiator"}, `--fault "nope:initiator": unknown fault kind "nope"`},
		{[]string{"--base", "type9"}, `--base "type9"`},
		{[]string{"--base", "type5"}, "--base type5: the policy a grid starts from, and there is no --grid"},
		{[]string{"--workers", "-3"}, "--workers -3: want at least 1"},
		{[]string{"--workers", "0"}, "--workers 0: want at least 1"},
		{[]string{"--latency", "-1s"}, "--latency -1s"},
		{[]string{"--shard", "4/4"}, `--shard "4/4"`},
		{[]string{"--shard", "0/2", "--format", "csv"}, "--format shapes the report"},
		{[]string{"--grid", "accept=E,E"}, "--grid accept=E,E: E is given twice in one set"},
		{[]string{"--grid", "starttls=offered,offered"}, "the value offered is given twice"},
	},
	"merge": {
		{nil, "want the shard files"},
		{[]string{"--format", "xml", "a.json"}, `--format "xml"`},
		{[]string{"--seed", "1", "a.json"}, "flag provided but not defined: -seed"},
		{[]string{"no-such-folder"}, "no-such-folder"},
	},
	"large": {
		{[]string{"--domains", "0"}, "--domains 0: want at least 2"},
		{[]string{"--domains", "5", "--peers", "5"}, "--peers 5: want at least 1 and fewer than --domains (5)"},
		{[]string{"--stanzas", "0"}, "--stanzas 0"},
		{[]string{"--preset", "type9"}, `--preset "type9"`},
		{[]string{"--memory-limit", "-1"}, "--memory-limit -1: want 0 (none) or a size in MiB"},
		{[]string{"--bidi", "--preset", "type1"}, "--bidi with --preset type1: nodes: inconsistent policy: version 0.9 has no stream features, so bidi must be false"},
	},
	"bench": {
		{[]string{"--count", "0"}, "--count 0: want at least 1"},
		{[]string{"--large-domains", "5"}, "--large-domains 5"},
		{[]string{"--large-base", "10"}, "--large-base 10: want more than 10"},
		{[]string{"--format", "xml"}, `--format "xml"`},
	},
	"interop": {
		{[]string{"prosody", "--format", "xml"}, `--format "xml"`},
		{nil, "want one server"},
	},
	"version": {
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--short"}, "flag provided but not defined: -short"},
	},
	"help": {
		{[]string{"nope"}, `unknown command or topic "nope"`},
	},
}

func TestEveryCommandRefusesBadInput(t *testing.T) {
	// Commands run in a fresh folder: a bad input must leave no file
	// behind (sweep's pictures, new's scenario).
	dir := t.TempDir()
	t.Chdir(dir)
	for _, c := range commands {
		cases := badInputCases[c.name]
		if len(cases) == 0 {
			t.Errorf("fedsim %s: no bad-input case in badInputCases", c.name)
		}
		for _, bc := range cases {
			args := append([]string{c.name}, bc.args...)
			out, errs, code := runCLI(args...)
			if code != exitUsage || !strings.Contains(errs, bc.want) || !strings.HasPrefix(errs, "fedsim "+c.name+": ") {
				t.Errorf("fedsim %s: exit %d, stderr %q; want exit 2 and \"fedsim %s: …%s…\"", strings.Join(args, " "), code, errs, c.name, bc.want)
			}
			if out != "" {
				t.Errorf("fedsim %s: bad input, yet stdout %q", strings.Join(args, " "), out)
			}
		}
	}
	for name := range badInputCases {
		if !slices.ContainsFunc(commands, func(c command) bool { return c.name == name }) {
			t.Errorf("badInputCases has %q, which is no command", name)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("bad inputs left files behind: %v", left)
	}
}

// TestHelpFlag: 'fedsim CMD -h' (and -help, --help, anywhere among the
// arguments) prints what 'fedsim help CMD' prints, on stdout, exit 0; that
// help lists exactly the flags the command accepts.
func TestHelpFlag(t *testing.T) {
	for _, c := range commands {
		want, errs, code := runCLI("help", c.name)
		if code != exitOK || errs != "" || !strings.HasPrefix(want, "usage: fedsim "+c.name) {
			t.Fatalf("fedsim help %s: exit %d, stderr %q, stdout %q", c.name, code, errs, want)
		}
		for _, h := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"x", "-h"}} {
			args := append([]string{c.name}, h...)
			got, errs, code := runCLI(args...)
			if code != exitOK || errs != "" || got != want {
				t.Errorf("fedsim %s: exit %d, stderr %q, stdout:\n%s\nwant exit 0 and 'fedsim help %s':\n%s", strings.Join(args, " "), code, errs, got, c.name, want)
			}
		}
		// Every flag the help lists is one the command parses, and the
		// other way round: the help is generated from the same flag set.
		if c.flags == nil {
			if strings.Contains(want, "\nFlags:") {
				t.Errorf("fedsim help %s lists flags, but %s takes none", c.name, c.name)
			}
			continue
		}
		c.flags().VisitAll(func(f *flag.Flag) {
			if !strings.Contains(want, "  -"+f.Name+" ") && !strings.Contains(want, "  -"+f.Name+"\n") && !strings.Contains(want, "  -"+f.Name+"\t") {
				t.Errorf("fedsim help %s does not list -%s", c.name, f.Name)
			}
		})
	}
	// fedsim help lists every command in a chosen place (helpOrder), not
	// last by accident.
	for _, c := range commands {
		if !slices.Contains(helpOrder, c.name) {
			t.Errorf("fedsim %s is not in helpOrder", c.name)
		}
	}
	// help new lists no -seed, which new would refuse.
	if out, _, _ := runCLI("help", "new"); strings.Contains(out, "-seed") {
		t.Errorf("fedsim help new lists -seed:\n%s", out)
	}
	if out, _, _ := runCLI("help", "merge"); !strings.HasPrefix(out, "usage: fedsim merge") {
		t.Errorf("fedsim help merge:\n%s", out)
	}
}

// TestExitStatuses: the one mapping from a command's error to its exit
// status and message, and 'fedsim help' documents it.
func TestExitStatuses(t *testing.T) {
	c := command{name: "demo", usage: "fedsim demo", summary: "a demo"}
	for _, tc := range []struct {
		err        error
		code       int
		out, errs  string
		errsSubstr bool
	}{
		{nil, 0, "", "", false},
		{badInput("--x %d: want at least 1", 0), 2, "", "fedsim demo: --x 0: want at least 1\nRun 'fedsim help demo' for its arguments and flags.\n", false},
		{badInputs([]string{"--a: no", "--b: no"}), 2, "", "fedsim demo: --a: no\nfedsim demo: --b: no\n", true},
		{fmt.Errorf("wrapped: %w", badInput("--y")), 2, "", "fedsim demo: --y\n", true},
		{statusError(exitFail), 1, "", "", false},
		{exitWith(exitOK), 0, "", "", false},
		{errors.New("demo: disk full"), 1, "", "fedsim demo: disk full\n", false},
	} {
		var out, errs strings.Builder
		code := exitStatus(c, tc.err, &out, &errs)
		okErrs := errs.String() == tc.errs || (tc.errsSubstr && strings.HasPrefix(errs.String(), tc.errs))
		if code != tc.code || out.String() != tc.out || !okErrs {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.err, code, out.String(), errs.String(), tc.code, tc.out, tc.errs)
		}
	}
	out, _, code := runCLI("help")
	for _, want := range []string{"Exit status", "  1  it ran and found a failure", "  2  bad input"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("fedsim help (exit %d) does not say %q:\n%s", code, want, out)
		}
	}
	if _, errs, code := runCLI(); code != exitUsage || !strings.Contains(errs, "Commands:") {
		t.Errorf("fedsim with no command: exit %d, stderr %q", code, errs)
	}
}
