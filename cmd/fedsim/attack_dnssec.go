package main

import (
	"fmt"
	"io"

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
	spec, _ := scenarios.AttackKindOf(kind)
	replay := attackReplay(kind, spec, o)
	if o.format == "json" {
		type cell struct {
			Deployment string `json:"deployment"`
			Type       string `json:"type"`
			verdictJSON
			Baseline string `json:"baseline"`
			Outcome  string `json:"outcome"`
			Why      string `json:"impersonation_why"`
			ReadWhy  string `json:"interception_why"`
		}
		out := cellsJSON[cell]{Seed: o.seed, Replay: replay}
		for _, c := range cells {
			out.Cells = append(out.Cells, cell{c.Deployment, c.Type, verdictOf(c.AttackResult), c.Baseline.Letter(), c.Outcome.Letter(), c.Why, c.ReadWhy})
		}
		return encodeIndented(stdout, out)
	}
	fmt.Fprintf(stdout, "%s under DNSSEC and DANE: rows are deployments, columns each XEP-0238 type talking to its own kind;\n", kind)
	fmt.Fprintln(stdout, "each cell is the verdict, then in brackets the level the pair reaches without the attacker.")
	fmt.Fprintln(stdout)
	n := len(scenarios.Types)
	var heads []string
	rows := make([][]string, len(scenarios.Deployments))
	for i, d := range scenarios.Deployments {
		heads = append(heads, d.Name)
		for j := range scenarios.Types {
			c := cells[i*n+j]
			rows[i] = append(rows[i], fmt.Sprintf("%s [%s]", c.Verdict(), c.Baseline.Letter()))
		}
	}
	writeGrid(stdout, heads, scenarios.Types, rows, 23, 12)
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
