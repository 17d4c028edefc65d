package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

// cmdAttack runs fedsim attack KIND: every pair of servers under one
// attack (scenarios.RunAttackMatrix), or with --dnssec the deployments
// matrix (attackDNSSEC). For an attack on a server's defect
// (dialback-shortcut, plaintext-retry) the matrix runs with the defect
// switched on in the victim's policy, then again without it, so that the
// second matrix shows a correct server stopping what the first let in.
func cmdAttack(args []string, stdout, stderr io.Writer) error {
	fs, o := newFlags("attack", &opts{}, stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	names := scenarios.AttackKindNames()
	if len(pos) != 1 {
		return badInput("want one attack kind: %s", strings.Join(names, ", "))
	}
	kind := scenarios.AttackKind(pos[0])
	spec, known := scenarios.AttackKindOf(kind)
	if !known {
		return badInput("unknown attack %q (want %s)", pos[0], strings.Join(names, ", "))
	}
	if o.format != "text" && o.format != "json" {
		return badInput("--format %q: want text or json", o.format)
	}
	if o.cert != "self-signed" && o.cert != "wrong-name" {
		return badInput("--cert %q: want self-signed or wrong-name", o.cert)
	}
	if o.defect != "on" && o.defect != "off" {
		return badInput("--defect %q: want on or off", o.defect)
	}
	servers := scenarios.AttackOptions{Servers: spec.Servers}.MatrixServers()
	if o.servers != "" {
		if servers, err = parseServers(o.servers); err != nil {
			return err
		}
	}
	if o.dnssec {
		if o.servers != "" {
			return badInput("--servers: the --dnssec matrix runs each XEP-0238 type against its own kind")
		}
		return attackDNSSEC(kind, o, stdout)
	}
	// The matrices to run: with the defect (when the kind has one and
	// --defect on), then without.
	defects := []bool{false}
	if spec.Defect != "" && o.defect == "on" {
		defects = []bool{true, false}
	}
	var sets [][]*scenarios.AttackResult
	for _, d := range defects {
		rs, err := scenarios.RunAttackMatrix(kind, scenarios.AttackOptions{Seed: o.seed, InterceptCert: o.cert, WithDefect: d, Servers: servers})
		if err != nil {
			return err
		}
		sets = append(sets, rs)
	}
	replay := attackReplay(kind, spec, o)
	if o.format == "json" {
		type cell struct {
			Initiator string `json:"initiator"`
			Receiver  string `json:"receiver"`
			Attack    string `json:"attack"`
			Defect    *bool  `json:"defect,omitempty"`
			verdictJSON
			Downgraded bool     `json:"downgraded"`
			Refused    bool     `json:"refused"`
			Baseline   string   `json:"baseline"`
			Outcome    string   `json:"outcome"`
			Stopped    []string `json:"stopped_by,omitempty"`
		}
		out := struct {
			Seed   uint64 `json:"seed"`
			Attack string `json:"attack"`
			Defect string `json:"defect_field,omitempty"`
			Replay string `json:"replay"`
			Cells  []cell `json:"cells"`
		}{Seed: o.seed, Attack: string(kind), Defect: spec.Defect, Replay: replay}
		for i, rs := range sets {
			var defect *bool
			if spec.Defect != "" {
				defect = &defects[i]
			}
			for _, r := range rs {
				out.Cells = append(out.Cells, cell{r.Initiator, r.Receiver, string(kind), defect, verdictOf(r),
					r.Downgraded, r.Denied, r.Baseline.Letter(), r.Outcome.Letter(), r.Stopped})
			}
		}
		return encodeIndented(stdout, out)
	}
	fmt.Fprintf(stdout, "Security matrix under %s: rows initiate, columns receive; each cell ran in a fresh world.\n", kind)
	fmt.Fprintln(stdout, spec.Intro)
	for i, rs := range sets {
		fmt.Fprintln(stdout)
		if spec.Defect != "" {
			if defects[i] {
				fmt.Fprintf(stdout, "With the defect: %s=true in every %s's policy.\n", spec.Defect, spec.DefectSide)
			} else {
				fmt.Fprintf(stdout, "Without the defect (%s=false, the default: a correct %s):\n", spec.Defect, spec.DefectSide)
			}
		}
		writeAttackGrid(stdout, servers, rs)
	}
	fmt.Fprintln(stdout)
	for _, v := range scenarios.VerdictSpecs() {
		fmt.Fprintf(stdout, "%-13s %s\n", v.Name, v.Help)
	}
	for i, rs := range sets {
		fmt.Fprintln(stdout)
		switch {
		case spec.Defect == "":
			fmt.Fprintln(stdout, "What stopped the attacker (per cell):")
		case defects[i]:
			fmt.Fprintf(stdout, "What stopped the attacker with %s=true (each reason, then the cells it held in):\n", spec.Defect)
		default:
			fmt.Fprintln(stdout, "What stopped the attacker without the defect (each reason, then the cells it held in):")
		}
		if spec.Defect != "" {
			writeStoppedGrouped(stdout, rs)
			continue
		}
		for _, r := range rs {
			for _, s := range r.Stopped {
				if strings.HasPrefix(s, "nothing to") || strings.HasPrefix(s, "no TLS to") {
					continue
				}
				fmt.Fprintf(stdout, "  %s -> %s: %s\n", r.Initiator, r.Receiver, s)
			}
		}
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "See docs/security.md. Replay: "+replay)
	return nil
}

// attackReplay is the command that reproduces an attack run: the kind, the
// flags that change what it runs (in this order), and the seed.
func attackReplay(kind scenarios.AttackKind, spec scenarios.AttackKindSpec, o *opts) string {
	replay := "fedsim attack " + string(kind)
	for _, f := range []struct {
		given bool
		arg   string
	}{
		{o.dnssec, " --dnssec"},
		{true, fmt.Sprintf(" --seed %d", o.seed)},
		{spec.Cert && o.cert != "self-signed", " --cert " + o.cert},
		{o.servers != "", " --servers " + o.servers},
		{spec.Defect != "" && o.defect != "on", " --defect " + o.defect},
	} {
		if f.given {
			replay += f.arg
		}
	}
	return replay
}

// cellsJSON is the JSON of fedsim matrix and fedsim attack --dnssec: the
// seed, the command that replays the run, and one object per cell.
type cellsJSON[C any] struct {
	Seed   uint64 `json:"seed"`
	Replay string `json:"replay"`
	Cells  []C    `json:"cells"`
}

// verdictJSON is what every attack cell's JSON says first about its
// verdict, in fedsim attack and fedsim attack --dnssec.
type verdictJSON struct {
	Verdict      string `json:"verdict"`
	Impersonated bool   `json:"impersonated"`
	Read         bool   `json:"read"`
}

func verdictOf(r *scenarios.AttackResult) verdictJSON {
	return verdictJSON{r.Verdict(), r.Impersonated, r.Read}
}

// parseServers reads --servers: comma-separated XEP-0238 types and
// real-server presets, by the names nodes.PresetByName knows.
func parseServers(list string) ([]string, error) {
	var kinds []string
	for _, k := range strings.Split(list, ",") {
		p, ok := nodes.PresetByName(strings.TrimSpace(k))
		if !ok {
			return nil, badInput("--servers: unknown kind %q (want %s)", k, nodes.PresetNames())
		}
		kinds = append(kinds, p.Name)
	}
	return kinds, nil
}

// encodeIndented writes v as JSON indented by two spaces, as every --format json of fedsim attack.
func encodeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeAttackGrid prints one matrix: a row per initiator, a column per
// receiver, each cell its verdict.
func writeAttackGrid(w io.Writer, servers []string, rs []*scenarios.AttackResult) {
	rows := make([][]string, len(servers))
	for i := range servers {
		for j := range servers {
			rows[i] = append(rows[i], rs[i*len(servers)+j].Verdict())
		}
	}
	writeGrid(w, servers, servers, rows, 8, 14)
}

// writeGrid prints a table: the row heads in a first column as wide as the
// widest plus two spaces (at least minFirst), then one column per colHeads, each as wide as its widest cell
// plus two spaces (at least minWidth); trailing spaces are trimmed.
func writeGrid(w io.Writer, rowHeads, colHeads []string, rows [][]string, minFirst, minWidth int) {
	first := minFirst
	for _, h := range rowHeads {
		first = max(first, len(h)+2)
	}
	width := minWidth
	for _, c := range colHeads {
		width = max(width, len(c)+2)
	}
	for _, r := range rows {
		for _, c := range r {
			width = max(width, len(c)+2)
		}
	}
	line := func(head string, cols []string) {
		l := fmt.Sprintf("%-*s", first, head)
		for _, c := range cols {
			l += fmt.Sprintf("%-*s", width, c)
		}
		fmt.Fprintln(w, strings.TrimRight(l, " "))
	}
	line("", colHeads)
	for i, r := range rows {
		line(rowHeads[i], r)
	}
}

// writeStoppedGrouped prints what stopped the attacker, each reason once
// (the pair's domains written as "the initiator" and "the receiver") with
// the cells it stopped the attacker in.
func writeStoppedGrouped(w io.Writer, rs []*scenarios.AttackResult) {
	var order []string
	cells := map[string][]string{}
	for _, r := range rs {
		var why []string
		for _, s := range r.Stopped {
			if !strings.HasPrefix(s, "nothing to") && !strings.HasPrefix(s, "no TLS to") {
				why = append(why, s)
			}
		}
		if len(why) == 0 {
			continue
		}
		from, to := r.Pair.Domains()
		g := strings.ReplaceAll(strings.ReplaceAll(strings.Join(why, "; "), to, "the receiver"), from, "the initiator")
		if _, seen := cells[g]; !seen {
			order = append(order, g)
		}
		cells[g] = append(cells[g], r.Initiator+" -> "+r.Receiver)
	}
	for _, g := range order {
		fmt.Fprintf(w, "  %s\n", g)
		line := "     "
		for i, c := range cells[g] {
			if i > 0 {
				c = ", " + c
			}
			if len(line)+len(c) > 110 {
				fmt.Fprintln(w, line+",")
				line = "     " + strings.TrimPrefix(c, ", ")
				continue
			}
			line += c
		}
		fmt.Fprintln(w, line)
	}
}
