package main

// fedsim serve: the federation explorer (issue 6). One page, embedded in
// the binary, over a small JSON API that runs the simulation in this
// process; nothing is fetched from elsewhere, so it works offline.

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fedsim/nodes"
	"fedsim/scenarios"
	"fedsim/scenarios/teach"
)

//go:embed web
var webFS embed.FS

func init() {
	register(command{
		name:    "serve",
		usage:   "fedsim serve [--addr 127.0.0.1:8238]",
		summary: "serve the federation explorer: the 6×6 matrix, sequence diagrams, narrated steps, editable policies, faults and attacks",
		run:     cmdServe,
		flags: func() *flag.FlagSet {
			fs, _ := serveFlags(io.Discard)
			return fs
		},
	})
}

func serveFlags(stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8238", "listen address; loopback unless you say otherwise, since the explorer has no authentication")
	return fs, addr
}

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs, addr := serveFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "fedsim serve: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "fedsim serve: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "fedsim explorer on http://%s/ (Ctrl-C to stop)\n", ln.Addr())
	srv := &http.Server{Handler: explorerHandler(), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "fedsim serve: %v\n", err)
		return exitFail
	}
	return exitOK
}

// explorerHandler serves the embedded page and the API:
//
//	GET  /api/matrix?seed=N  the 36 outcomes and what the forms offer
//	POST /api/run            one pair with the learner's changes
func explorerHandler() http.Handler {
	mux := http.NewServeMux()
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic("fedsim: embedded web directory missing: " + err.Error())
	}
	mux.Handle("GET /", http.FileServerFS(sub))
	mux.HandleFunc("GET /api/matrix", apiMatrix)
	mux.HandleFunc("POST /api/run", apiRun)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

type apiType struct {
	Name   string            `json:"name"`
	Title  string            `json:"title"`
	Cert   string            `json:"cert"`
	Policy map[string]string `json:"policy"`
}

// policyMap is a policy as the explorer's form shows it: every field of
// the table that has a select (a composite's parts, not the composite) and
// its value.
func policyMap(p nodes.Policy) map[string]string {
	m := map[string]string{}
	for _, f := range formFields() {
		m[f.Name] = f.Get(p)
	}
	return m
}

// formFields are the policy fields the explorer's form offers, one select
// each: the table's fields, a composite's parts in its place.
func formFields() []nodes.PolicyField {
	var out []nodes.PolicyField
	for _, f := range nodes.AllPolicyFields() {
		if f.Kind != nodes.FieldParts {
			out = append(out, f)
		}
	}
	return out
}

func apiMatrix(w http.ResponseWriter, r *http.Request) {
	seed := uint64(1)
	if s := r.URL.Query().Get("seed"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			apiError(w, http.StatusBadRequest, fmt.Sprintf("seed %q: want a non-negative integer", s))
			return
		}
		seed = n
	}
	// servers picks the kinds of server the matrix runs against each
	// other: the six XEP types, the real-server presets, or both.
	var presets []nodes.Preset
	set := r.URL.Query().Get("servers")
	switch set {
	case "", "xep":
		set, presets = "xep", nodes.Presets()
	case "real":
		presets = nodes.RealPresets()
	case "all":
		presets = nodes.AllPresets()
	default:
		apiError(w, http.StatusBadRequest, fmt.Sprintf("servers %q: want xep, real or all", set))
		return
	}
	var kinds []string
	for _, p := range presets {
		kinds = append(kinds, p.Name)
	}
	replay := fmt.Sprintf("fedsim matrix --seed %d", seed)
	if set != "xep" {
		replay += " --servers " + strings.Join(kinds, ",")
	}
	results, err := scenarios.RunMatrixOf(kinds, scenarios.PairOptions{Seed: seed, NoTrace: true})
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	type cell struct {
		Initiator string `json:"initiator"`
		Receiver  string `json:"receiver"`
		Outcome   string `json:"outcome"`
		Reason    string `json:"reason,omitempty"`
	}
	out := struct {
		Seed    uint64    `json:"seed"`
		Servers string    `json:"servers"`
		Replay  string    `json:"replay"`
		Cells   []cell    `json:"cells"`
		Types   []apiType `json:"types"`
		Fields  any       `json:"fields"`
		Certs   []string  `json:"certs"`
		Faults  []string  `json:"faults"`
		Attacks []string  `json:"attacks"`
	}{Seed: seed, Servers: set, Replay: replay, Fields: policyFieldsJSON(), Certs: teach.CertKinds}
	for _, res := range results {
		out.Cells = append(out.Cells, cell{res.Initiator, res.Receiver, res.Outcome.Letter(), res.Reason})
	}
	for _, p := range presets {
		out.Types = append(out.Types, apiType{p.Name, p.Title, p.Cert.String(), policyMap(p.Policy)})
	}
	for _, k := range scenarios.FaultKinds() {
		out.Faults = append(out.Faults, string(k))
	}
	out.Attacks = scenarios.AttackKindNames()
	writeJSON(w, http.StatusOK, out)
}

func policyFieldsJSON() any {
	type field struct {
		Name   string   `json:"name"`
		Values []string `json:"values"`
		Help   string   `json:"help"`
	}
	var out []field
	for _, f := range formFields() {
		out = append(out, field{f.Name, f.Values, f.Help})
	}
	return out
}

// runRequest is the explorer's form. Policies are "k=v,..." as on the
// command line, so that the API and the CLI validate the same way.
type runRequest struct {
	Initiator       string   `json:"initiator"`
	Receiver        string   `json:"receiver"`
	Seed            *uint64  `json:"seed"`
	PolicyInitiator string   `json:"policy_initiator"`
	PolicyReceiver  string   `json:"policy_receiver"`
	CertInitiator   string   `json:"cert_initiator"`
	CertReceiver    string   `json:"cert_receiver"`
	Faults          []string `json:"faults"`
	Attack          string   `json:"attack"`
}

// args turns the form into the arguments of fedsim explain.
func (q runRequest) args() []string {
	a := []string{q.Initiator, q.Receiver}
	if q.Seed != nil {
		a = append(a, "--seed", strconv.FormatUint(*q.Seed, 10))
	}
	add := func(flag, v string) {
		if v != "" {
			a = append(a, flag, v)
		}
	}
	add("--policy-initiator", q.PolicyInitiator)
	add("--policy-receiver", q.PolicyReceiver)
	add("--cert-initiator", q.CertInitiator)
	add("--cert-receiver", q.CertReceiver)
	for _, f := range q.Faults {
		add("--fault", f)
	}
	add("--attack", q.Attack)
	return a
}

type apiStep struct {
	N       int    `json:"n"`
	Time    string `json:"time"`
	Conn    string `json:"conn,omitempty"`
	From    string `json:"from"`
	To      string `json:"to"`
	Label   string `json:"label"`
	Why     string `json:"why,omitempty"`
	XML     string `json:"xml,omitempty"`
	Failure bool   `json:"failure,omitempty"`
}

func apiRun(w http.ResponseWriter, r *http.Request) {
	var q runRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		apiError(w, http.StatusBadRequest, "the request is not a run form: "+err.Error())
		return
	}
	var msgs bytes.Buffer
	cfg, _, ok := teachConfig("explain", q.args(), &msgs)
	if !ok {
		apiError(w, http.StatusBadRequest, strings.TrimSpace(msgs.String()))
		return
	}
	res, err := teach.Run(cfg)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	flow := teach.BuildFlow(res)
	changes, err := teach.Counterfactuals(res)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	var explain, svg, mmd bytes.Buffer
	replay := cfg.Replay("explain")
	title := fmt.Sprintf("%s → %s: %s", res.From, res.To, res.Outcome.Letter())
	if err := errors.Join(teach.Explain(&explain, res, flow, changes, replay), teach.SVG(&svg, flow, title), teach.Mermaid(&mmd, flow, title)); err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	out := map[string]any{
		"initiator": res.Pair.Initiator, "receiver": res.Pair.Receiver,
		"from": res.From, "to": res.To,
		"outcome": res.Outcome.Letter(), "outcome_text": res.Outcome.String(), "reason": res.Reason,
		"delivered": res.Delivered, "answered": res.Answered, "bounce": res.Bounce,
		"policies": []map[string]string{policyMap(res.Policies[0]), policyMap(res.Policies[1])},
		"certs":    res.Certs,
		"svg":      svg.String(), "mermaid": mmd.String(), "explain": explain.String(),
		"commands": map[string]string{
			"explain": replay,
			"diagram": cfg.Replay("diagram") + " --format svg",
			"mermaid": cfg.Replay("diagram") + " --format mermaid",
		},
	}
	var steps []apiStep
	for _, s := range flow.Steps {
		steps = append(steps, apiStep{s.N, s.Time.String(), s.Conn, flow.Lanes[s.From].Title, flow.Lanes[s.To].Title, s.Label, s.Why, s.XML, s.Failure})
	}
	out["steps"] = steps
	var cs []map[string]string
	for _, c := range changes {
		cs = append(cs, map[string]string{"sentence": c.Sentence, "flag": c.Flag})
	}
	out["changes"] = cs
	if res.Attack != nil {
		out["attack"] = map[string]any{"kind": res.Attack.Kind, "verdict": res.Attack.Verdict(), "stopped": res.Attack.Stopped}
	}
	writeJSON(w, http.StatusOK, out)
}
