package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fedsim/fedsim/scenarios"
)

// attackDNSSEC prints fedsim attack dns-poison --dnssec: the poisoning
// matrix over DNSSEC and DANE deployments (scenarios.RunDNSSECMatrix),
// each cell's verdict and reasons computed from its run.
func attackDNSSEC(kind scenarios.AttackKind, o *opts, stdout io.Writer) error {
	cells, err := scenarios.RunDNSSECMatrix(kind, scenarios.AttackOptions{Seed: o.seed, InterceptCert: o.cert})
	if err != nil {
		return err
	}
	replay := fmt.Sprintf("fedsim attack %s --dnssec --seed %d", kind, o.seed)
	if kind == scenarios.AttackTLSIntercept && o.cert != "self-signed" {
		replay += " --cert " + o.cert
	}
	if o.format == "json" {
		type cell struct {
			Deployment   string `json:"deployment"`
			Type         string `json:"type"`
			Verdict      string `json:"verdict"`
			Impersonated bool   `json:"impersonated"`
			Read         bool   `json:"read"`
			Baseline     string `json:"baseline"`
			Outcome      string `json:"outcome"`
			Why          string `json:"impersonation_why"`
			ReadWhy      string `json:"interception_why"`
		}
		out := struct {
			Seed   uint64 `json:"seed"`
			Replay string `json:"replay"`
			Cells  []cell `json:"cells"`
		}{Seed: o.seed, Replay: replay}
		for _, c := range cells {
			out.Cells = append(out.Cells, cell{c.Deployment, c.Type, c.Verdict(), c.Impersonated, c.Read, c.Baseline.Letter(), c.Outcome.Letter(), c.Why, c.ReadWhy})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "%s under DNSSEC and DANE: rows are deployments, columns each XEP-0238 type talking to its own kind;\n", kind)
	fmt.Fprintln(stdout, "each cell is the verdict, then in brackets the level the pair reaches without the attacker.")
	fmt.Fprintln(stdout)
	width := 12
	label := func(c *scenarios.DNSSECCell) string { return fmt.Sprintf("%s [%s]", c.Verdict(), c.Baseline.Letter()) }
	for _, c := range cells {
		if l := len(label(c)) + 2; l > width {
			width = l
		}
	}
	first := 23
	row := func(head string, cols []string) {
		line := fmt.Sprintf("%-*s", first, head)
		for _, c := range cols {
			line += fmt.Sprintf("%-*s", width, c)
		}
		fmt.Fprintln(stdout, strings.TrimRight(line, " "))
	}
	row("", scenarios.Types)
	n := len(scenarios.Types)
	for i, d := range scenarios.Deployments {
		var cols []string
		for j := range scenarios.Types {
			cols = append(cols, label(cells[i*n+j]))
		}
		row(d.Name, cols)
	}
	fmt.Fprintln(stdout)
	for _, d := range scenarios.Deployments {
		fmt.Fprintf(stdout, "%-23s %s\n", d.Name, d.Help)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "Why, per cell (computed from each run's DNS answers and outcomes):")
	for _, c := range cells {
		if kind != scenarios.AttackDNSPoison {
			fmt.Fprintf(stdout, "  %s, %s: %s\n", c.Deployment, c.Type, c.ReadWhy)
			continue
		}
		fmt.Fprintf(stdout, "  %s, %s: impersonation: %s\n", c.Deployment, c.Type, c.Why)
		fmt.Fprintf(stdout, "  %s, %s: interception: %s\n", c.Deployment, c.Type, c.ReadWhy)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "See docs/dane.md. Replay: "+replay)
	return nil
}
