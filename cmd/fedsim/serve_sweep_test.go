package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestExplorerSweep: /api/sweep runs a grid and answers the matrix fedsim
// sweep prints for the line it gives, each policy in full for the hover;
// forms over the bounds, or naming what does not exist, are refused with
// 400 and every reason, before anything runs.
func TestExplorerSweep(t *testing.T) {
	srv := httptest.NewServer(explorerHandler(nil))
	defer srv.Close()
	post := func(body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/sweep", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("POST /api/sweep %s: %v: %s", body, err, b)
		}
		return resp.StatusCode, m
	}
	code, m := post(`{"base":"type3","axes":[{"field":"initiate_tls","values":["if-required","always"]},{"field":"accept","values":["V,E,T","E,T"]},{"field":"cert","values":["self-signed","ca-issued"]}]}`)
	replay, _ := m["replay"].(string)
	if code != 200 || replay != "fedsim sweep --grid initiate_tls=if-required,always --grid accept=V,E,T --grid accept=E,T --grid cert=self-signed,ca-issued --base type3 --seed 1 --pictures none" {
		t.Fatalf("a 2×2×2 grid: %d %v", code, m)
	}
	var cli strings.Builder
	if err := cmdSweep(append(strings.Fields(replay)[2:], "--format", "json"), &cli, io.Discard); err != nil {
		t.Fatal(err)
	}
	var want struct {
		Policies []struct{ Name, Fields string }
		Cells    []struct{ Initiator, Receiver, Outcome string }
	}
	if err := json.Unmarshal([]byte(cli.String()), &want); err != nil {
		t.Fatal(err)
	}
	policies, _ := m["policies"].([]any)
	cells, _ := m["cells"].([]any)
	if len(policies) != 8 || len(want.Policies) != 8 || len(cells) != 64 || len(want.Cells) != 64 {
		t.Fatalf("%d policies and %d cells; fedsim sweep: %d and %d", len(policies), len(cells), len(want.Policies), len(want.Cells))
	}
	for i, p := range policies {
		p := p.(map[string]any)
		if p["name"] != want.Policies[i].Name || p["fields"] != want.Policies[i].Fields || !strings.HasPrefix(p["coords"].(string), "initiate_tls=") {
			t.Errorf("policy %d: %v, fedsim sweep: %+v", i, p, want.Policies[i])
		}
	}
	kinds := map[string]bool{}
	for i, c := range cells {
		c := c.(map[string]any)
		w := want.Cells[i]
		if c["initiator"] != w.Initiator || c["receiver"] != w.Receiver || c["outcome"] != w.Outcome {
			t.Errorf("cell %d: %v, fedsim sweep: %+v", i, c, w)
		}
		kinds[w.Outcome] = true
	}
	if len(kinds) != 4 {
		t.Errorf("the grid gives outcomes %v, want all of U, V, E, T (a grid that shows something)", kinds)
	}
	for _, c := range []struct{ body, want string }{
		{`{"base":"type3","axes":[{"field":"initiate_tls","values":["never","if-required","if-offered","always"]},{"field":"accept","values":["V,E,T","E,T","T","V"]},{"field":"cert","values":["none","self-signed","ca-issued"]}]}`,
			"32 policies (1024 runs): the explorer sweeps at most 16 policies (256 runs); fewer values, or from the command line: fedsim sweep --grid initiate_tls=never,if-required,if-offered,always --grid accept=V,E,T --grid accept=E,T --grid accept=T --grid accept=V --grid cert=none,self-signed,ca-issued --base type3 --seed 1 --pictures none"},
		{`{"base":"type3","axes":[{"field":"version","values":["1.0"]},{"field":"sasl","values":["never"]},{"field":"cert","values":["none"]},{"field":"accept","values":["T"]}]}`, "4 axes: at most 3"},
		{`{"base":"type3","axes":[{"field":"initiate_tls","values":["never","if-required","if-offered","always","never","always"]},{"field":"accept","values":["V,E,T","E,T","T","V"]},{"field":"cert","values":["none","self-signed","ca-issued"]}]}`, "72 combinations: at most 64"},
		{`{"base":"type3","axes":[{"field":"accept","values":["E,T","T","E,T"]}]}`, "the set E,T is given twice"},
		{`{"base":"type9","axes":[{"field":"nope","values":["x"]},{"field":"cert","values":[]}]}`, `base "type9": want one of type1`},
		{`{"base":"type3","axes":[{"field":"nope","values":["x"]}]}`, `axis 1: unknown field "nope"`},
		{`{"base":"type3","axes":[{"field":"cert","values":[]}]}`, "axis 1 (cert): no value chosen"},
		{`{"base":"type3","axes":[{"field":"cert","values":["none"]},{"field":"cert","values":["none"]}]}`, "axis 2: field cert is already an axis"},
		{`{"base":"type3","axes":[]}`, "no axis"},
		{`{"base":"type3","axes":[{"field":"cert","values":["-x"]}]}`, `value "-x" refused`},
		{`{"base":"type3","axes":[{"field":"starttls","values":["required"]},{"field":"accept","values":["V"]}]}`, "none of the 1 combinations is a consistent server"},
		{`{"base":"type3","axes":[{"field":"cert","values":["sometimes"]}]}`, "cert=sometimes: want none, self-signed or ca-issued"},
	} {
		if code, m := post(c.body); code != 400 || !strings.Contains(m["error"].(string), c.want) {
			t.Errorf("%s: %d %v, want 400 and %q", c.body, code, m, c.want)
		}
	}
	// The form's choices come with the matrix.
	resp, err := http.Get(srv.URL + "/api/matrix")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var mx struct {
		Sweep struct {
			Fields []struct {
				Name   string
				Values []string
			}
			Bases       []string
			MaxPolicies int `json:"max_policies"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&mx); err != nil || len(mx.Sweep.Fields) < 10 || mx.Sweep.MaxPolicies != maxSweepPolicies || len(mx.Sweep.Bases) < 6 {
		t.Errorf("/api/matrix's sweep: %+v %v", mx.Sweep, err)
	}
}
