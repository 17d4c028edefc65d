package main

// fedsim serve: the federation explorer (issue 6). One page, embedded in
// the binary, over a small JSON API that runs the simulation in this
// process; nothing is fetched from elsewhere, so it works offline.
//
// It also opens scenario files (issue 12: every command that shows a world
// takes one): those named on its command line, or the shipped ones. A
// request names a file by its index in that list or its path exactly as
// listed, and nothing else is ever opened: the explorer is reachable over
// HTTP and has no authentication.
//
// Because any web page the user visits can send requests to it, the
// explorer guards itself (issue 14): a Host header that is not an IP
// address or localhost is refused (DNS rebinding), a cross-origin POST is
// refused (http.CrossOriginProtection: Sec-Fetch-Site, then Origin against
// Host), a POST must be JSON, bodies are capped, one request may ask for
// little work (limits below) and gets a time budget, only a few runs go at
// once, slow or idle connections are closed, and request fields never
// reach explain's flag parser as flags.

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/spec"
	"github.com/fedsim/fedsim/scenarios/teach"
)

//go:embed web
var webFS embed.FS

func init() {
	register(command{
		name:    "serve",
		usage:   "fedsim serve [--addr 127.0.0.1:8238] [FILE.yaml|DIR ...]",
		summary: "serve the federation explorer: the 6×6 matrix, sequence diagrams, narrated steps, editable policies, faults and attacks, small policy sweeps as heat maps, and the scenario files given (default: the shipped ones under scenarios/)",
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

func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs, addr := serveFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkAddr(*addr); err != nil {
		return err
	}
	files, err := serveScenarios(pos)
	if err != nil {
		return badInput("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if w := exposedWarning(ln.Addr()); w != "" {
		fmt.Fprintf(stderr, "fedsim serve: %s\n", w)
	}
	fmt.Fprintf(stdout, "fedsim explorer on http://%s/ with %d scenario files (Ctrl-C to stop)\n", ln.Addr(), len(files))
	srv := explorerServer(explorerHandler(files), defaultLimits)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkAddr refuses a listen address that is not HOST:PORT with HOST an IP
// address, localhost or empty (all interfaces) and PORT a number, before
// anything is listened on: that is bad input (exit 2), where a port
// already in use is not.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return badInput("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8238 (%v)", addr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return badInput("--addr %q: port %q: want a number from 0 to 65535", addr, port)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return badInput("--addr %q: host %q: want an IP address or localhost", addr, host)
		}
	}
	return nil
}

// exposedWarning is the warning for an explorer listening where other
// machines can reach it ("" for a loopback address): it has no
// authentication, and every run costs CPU.
func exposedWarning(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta.IP.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("warning: listening on %s, which is not a loopback address: anyone who can reach it can use this explorer (it has no authentication) and spend this machine's CPU; reach it by IP address (host names are refused, against DNS rebinding)", a)
}

// limits bound what one request may cost. A run's cost grows with its
// faults (a 60 KB body with 2,000 faults took 20–36 s of CPU before these
// limits), so the form is small and so is the number of runs at once.
type limits struct {
	Body     int64         // bytes of a request body (413 beyond)
	Faults   int           // faults in one request (400 beyond)
	Field    int           // bytes of one string field: a policy, a certificate, a fault, a name (400 beyond)
	Budget   time.Duration // wall time a request may wait for and spend on its runs (503 beyond)
	Parallel int           // runs going at once; a run past its budget keeps its slot until it ends
	// Server timeouts: the headers, the whole request, an idle keep-alive
	// connection, and writing the answer (after the budget).
	ReadHeader, Read, Idle, Write time.Duration
}

var defaultLimits = limits{
	Body:       64 << 10,
	Faults:     8,
	Field:      1 << 10,
	Budget:     30 * time.Second,
	Parallel:   max(1, runtime.GOMAXPROCS(0)/2),
	ReadHeader: 5 * time.Second,
	Read:       15 * time.Second,
	Idle:       60 * time.Second,
	Write:      45 * time.Second,
}

// explorerServer is the HTTP server with the timeouts of lim: a client
// that sends its headers or body slowly, or keeps an idle connection
// open, is cut off.
func explorerServer(h http.Handler, lim limits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeader,
		ReadTimeout:       lim.Read,
		WriteTimeout:      lim.Write,
		IdleTimeout:       lim.Idle,
		MaxHeaderBytes:    16 << 10,
	}
}

// serveScenarios lists the scenario files the explorer offers: those under
// the files and folders given (spec.Find), or, with none given, the shipped
// ones under scenarios/ when run from the repository root (none when that
// folder is absent: the explorer works without files).
func serveScenarios(args []string) ([]string, error) {
	if len(args) == 0 {
		if st, err := os.Stat("scenarios"); err != nil || !st.IsDir() {
			return nil, nil
		}
		args = []string{"scenarios"}
	}
	return spec.Find(args...)
}

// explorerHandler serves the embedded page and the API:
//
//	GET  /api/matrix?seed=N  the 36 outcomes and what the forms offer
//	POST /api/run            one pair with the learner's changes
//	GET  /api/scenarios      the scenario files it may open (files)
//	POST /api/scenario       one of them, a pair of its servers, the changes
//	POST /api/sweep          a small grid over policy fields (serve_sweep.go)
//
// files are the only files it ever reads; a request names one by its index
// or its exact path in that list. Any other method gets 405 with Allow.
func explorerHandler(files []string) http.Handler {
	return newExplorer(files, defaultLimits)
}

// explorer holds what the handlers share: the files and the limits, and a
// slot per run that may go at once.
type explorer struct {
	files []string
	lim   limits
	slots chan struct{}
	cop   *http.CrossOriginProtection
	h     http.Handler
}

func (x *explorer) ServeHTTP(w http.ResponseWriter, r *http.Request) { x.h.ServeHTTP(w, r) }

func newExplorer(files []string, lim limits) *explorer {
	x := &explorer{files: slices.Clone(files), lim: lim, slots: make(chan struct{}, max(1, lim.Parallel)), cop: http.NewCrossOriginProtection()}
	mux := http.NewServeMux()
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic("fedsim: embedded web directory missing: " + err.Error())
	}
	static := http.FileServerFS(sub)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			notAllowed(w, "GET, HEAD")
			return
		}
		static.ServeHTTP(w, r)
	})
	route := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
		allow := method
		if method == http.MethodGet {
			allow = "GET, HEAD"
		}
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { notAllowed(w, allow) })
	}
	route("GET", "/api/matrix", x.apiMatrix)
	route("POST", "/api/run", x.apiRun)
	route("GET", "/api/scenarios", func(w http.ResponseWriter, r *http.Request) { apiScenarios(w, x.files) })
	route("POST", "/api/scenario", x.apiScenario)
	route("POST", "/api/sweep", x.apiSweep)
	x.h = x.guard(mux)
	return x
}

func notAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	apiError(w, http.StatusMethodNotAllowed, "method not allowed; this path takes "+allow)
}

// guard refuses what no page of the explorer's own sends: a Host header
// naming anything but an IP address or localhost (a page whose name was
// rebound to this machine's address, DNS rebinding, sends its own name);
// a cross-origin request other than GET, HEAD or OPTIONS (the standard
// library's check: Sec-Fetch-Site, else Origin against Host; a client that
// sends neither, like curl, passes); and a POST whose body is not JSON (a
// cross-origin page cannot send application/json without a preflight,
// which gets 405). It caps the body.
func (x *explorer) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !localHost(r.Host) {
			apiError(w, http.StatusMisdirectedRequest, fmt.Sprintf("host %q refused: the explorer answers only requests to an IP address or localhost (against DNS rebinding)", r.Host))
			return
		}
		if err := x.cop.Check(r); err != nil {
			apiError(w, http.StatusForbidden, "cross-origin request refused: the explorer answers only its own page ("+err.Error()+")")
			return
		}
		if r.Method == http.MethodPost {
			if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(ct), "application/json") {
				apiError(w, http.StatusUnsupportedMediaType, "the request body must be application/json")
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, x.lim.Body)
		h.ServeHTTP(w, r)
	})
}

// localHost reports whether a Host header names an IP address (any port)
// or localhost. A rebinding attack needs a name it controls; an address
// cannot be rebound.
func localHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// errBudget is the answer of a request whose runs did not end in time.
var errBudget = errors.New("over its time budget")

// run does f in a run slot, within the request's budget: waiting for a
// slot counts. A run past the budget is abandoned, not stopped (the
// simulation has no way to be interrupted), and keeps its slot until it
// ends, so that abandoned runs still bound the CPU the explorer uses.
func (x *explorer) run(r *http.Request, f func()) error {
	timer := time.NewTimer(x.lim.Budget)
	defer timer.Stop()
	select {
	case x.slots <- struct{}{}:
	case <-timer.C:
		return fmt.Errorf("the explorer is busy with other runs: %w (%v)", errBudget, x.lim.Budget)
	case <-r.Context().Done():
		return r.Context().Err()
	}
	done := make(chan struct{})
	go func() {
		defer func() { <-x.slots }()
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return nil
	case <-timer.C:
		return fmt.Errorf("the run went %w (%v) and was abandoned", errBudget, x.lim.Budget)
	case <-r.Context().Done():
		return r.Context().Err()
	}
}

// runError answers a request whose run did not finish.
func runError(w http.ResponseWriter, err error) {
	apiError(w, http.StatusServiceUnavailable, err.Error())
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

func (x *explorer) apiMatrix(w http.ResponseWriter, r *http.Request) {
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
	var results []*scenarios.PairResult
	var err error
	if rerr := x.run(r, func() { results, err = scenarios.RunMatrixOf(kinds, scenarios.PairOptions{Seed: seed, NoTrace: true}) }); rerr != nil {
		runError(w, rerr)
		return
	}
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
		Sweep   any       `json:"sweep"`
	}{Seed: seed, Servers: set, Replay: replay, Fields: policyFieldsJSON(), Certs: teach.CertKinds, Sweep: sweepFieldsJSON()}
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
	sideForm
	Faults []string `json:"faults"`
}

// sideForm is what both explorer forms (a pair, a scenario file) say about
// the two servers: which, the seed, each side's policy and certificate,
// the attack.
type sideForm struct {
	Initiator       string  `json:"initiator"`
	Receiver        string  `json:"receiver"`
	Seed            *uint64 `json:"seed"`
	PolicyInitiator string  `json:"policy_initiator"`
	PolicyReceiver  string  `json:"policy_receiver"`
	CertInitiator   string  `json:"cert_initiator"`
	CertReceiver    string  `json:"cert_receiver"`
	// PublishInitiator and PublishReceiver: what each domain publishes
	// (--publish-…: signed, tlsa=…, posh; docs/dane.md).
	PublishInitiator string `json:"publish_initiator"`
	PublishReceiver  string `json:"publish_receiver"`
	Attack           string `json:"attack"`
}

// args turns the form into the arguments of fedsim explain.
func (q runRequest) args() []string {
	return q.flags([]string{q.Initiator, q.Receiver}, q.Faults)
}

// flags appends the flags the form sets (the seed, each side's policy and
// certificate, faults, the attack) to explain's arguments, each as
// --flag=value: one argument that the flag parser reads as a value
// whatever it holds.
func (q sideForm) flags(a []string, faults []string) []string {
	if q.Seed != nil {
		a = append(a, "--seed="+strconv.FormatUint(*q.Seed, 10))
	}
	add := func(flag, v string) {
		if v != "" {
			a = append(a, flag+"="+v)
		}
	}
	add("--policy-initiator", q.PolicyInitiator)
	add("--policy-receiver", q.PolicyReceiver)
	add("--cert-initiator", q.CertInitiator)
	add("--cert-receiver", q.CertReceiver)
	add("--publish-initiator", q.PublishInitiator)
	add("--publish-receiver", q.PublishReceiver)
	for _, f := range faults {
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

func (x *explorer) apiRun(w http.ResponseWriter, r *http.Request) {
	var q runRequest
	if !x.decodeForm(w, r, &q) {
		return
	}
	// The pair becomes the positional arguments of explain: a value that
	// parses as a flag would shift them, and a lone positional is read as
	// a scenario file, which this API must never open.
	for _, n := range []string{q.Initiator, q.Receiver} {
		if strings.HasPrefix(n, "-") {
			apiError(w, http.StatusBadRequest, fmt.Sprintf("unknown kind of server %q (want one of %s)", n, nodes.PresetNames()))
			return
		}
	}
	if !x.checkFields(w, q.Faults, map[string]string{
		"policy_initiator": q.PolicyInitiator, "policy_receiver": q.PolicyReceiver,
		"cert_initiator": q.CertInitiator, "cert_receiver": q.CertReceiver, "attack": q.Attack,
		"publish_initiator": q.PublishInitiator, "publish_receiver": q.PublishReceiver,
		"initiator": q.Initiator, "receiver": q.Receiver,
	}) {
		return
	}
	cfg, _, err := teachConfig("explain", q.args())
	if err != nil {
		apiError(w, http.StatusBadRequest, explainError(err))
		return
	}
	var out map[string]any
	var status int
	if rerr := x.run(r, func() { out, status, err = runAnswer(cfg) }); rerr != nil {
		runError(w, rerr)
		return
	}
	if err != nil {
		apiError(w, status, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeForm reads one JSON form (the body is capped by guard), refusing
// unknown fields and anything after it.
func (x *explorer) decodeForm(w http.ResponseWriter, r *http.Request, q any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(q)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		apiError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over %d bytes", tooBig.Limit))
		return false
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request is not a run form: "+err.Error())
		return false
	}
	return true
}

// checkFields bounds the work a form may ask for (at most lim.Faults
// faults, lim.Field bytes a field) and refuses a value that starts with
// '-': every field becomes an argument of explain, and none is a flag.
// It reports every bad field at once, in the order of the form.
func (x *explorer) checkFields(w http.ResponseWriter, faults []string, fields map[string]string) bool {
	var errs []string
	if len(faults) > x.lim.Faults {
		errs = append(errs, fmt.Sprintf("%d faults: at most %d in one request", len(faults), x.lim.Faults))
	}
	check := func(name, v string) {
		switch {
		case len(v) > x.lim.Field:
			errs = append(errs, fmt.Sprintf("%s: %d bytes, at most %d", name, len(v), x.lim.Field))
		case strings.HasPrefix(v, "-"):
			errs = append(errs, fmt.Sprintf("%s %q: a value, not a flag, may not start with '-'", name, v))
		}
	}
	names := slices.Sorted(maps.Keys(fields))
	for _, n := range names {
		check(n, fields[n])
	}
	for i, f := range faults {
		if i < x.lim.Faults {
			check(fmt.Sprintf("faults[%d]", i), f)
		}
	}
	if len(errs) == 0 {
		return true
	}
	apiError(w, http.StatusBadRequest, strings.Join(errs, "; "))
	return false
}

// runAnswer runs cfg and gives what the page shows of it: the outcome, the
// sides' policies and certificates, the diagram, the narrated steps, what
// would have changed it and the CLI lines that reproduce it (the CLI's own
// Replay). On failure it gives the HTTP status that fits.
func runAnswer(cfg teach.Config) (map[string]any, int, error) {
	res, err := teach.Run(cfg)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	flow := teach.BuildFlow(res)
	changes, err := teach.Counterfactuals(res)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	var explain, svg, mmd bytes.Buffer
	replay := res.Config.Replay("explain")
	title := fmt.Sprintf("%s → %s: %s", res.From, res.To, res.Outcome.Letter())
	if err := errors.Join(teach.Explain(&explain, res, flow, changes, replay), teach.SVG(&svg, flow, title), teach.Mermaid(&mmd, flow, title)); err != nil {
		return nil, http.StatusInternalServerError, err
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
			"diagram": res.Config.Replay("diagram") + " --format svg",
			"mermaid": res.Config.Replay("diagram") + " --format mermaid",
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
	return out, http.StatusOK, nil
}

// apiScenarios lists the files the explorer may open, in the order given
// (spec.Find's: each folder walked in lexical order). The page groups them
// by folder.
func apiScenarios(w http.ResponseWriter, files []string) {
	type file struct {
		ID     int    `json:"id"`
		Path   string `json:"path"`
		Folder string `json:"folder"`
		Name   string `json:"name"`
	}
	out := struct {
		Files []file `json:"files"`
	}{Files: []file{}}
	for i, p := range files {
		base := filepath.Base(p)
		out.Files = append(out.Files, file{i, p, filepath.Dir(p), strings.TrimSuffix(base, filepath.Ext(base))})
	}
	writeJSON(w, http.StatusOK, out)
}

// scenarioRequest is the explorer's form for a scenario file: which file
// (File, its index in the list, or Path, exactly as listed), which two of
// its servers (by domain; both empty: the file's first stanza's sender and
// addressee) and the learner's changes, as the CLI's flags take them.
type scenarioRequest struct {
	File *int   `json:"file"`
	Path string `json:"path"`
	sideForm
}

// args turns the form into the arguments of fedsim explain FILE, so that
// the file is read, checked and replayed exactly as on the command line.
// path is the listed file, never a value of the request.
func (q scenarioRequest) args(path string) []string {
	if strings.HasPrefix(path, "-") {
		path = "./" + path // a file, not a flag
	}
	a := []string{path}
	if q.Initiator != "" || q.Receiver != "" {
		a = append(a, "--pair="+q.Initiator+","+q.Receiver)
	}
	return q.flags(a, nil)
}

// apiScenario opens one listed scenario file and runs the chosen pair of
// its servers. A file that does not load is not a failure of the server:
// its errors (file:line:col: message, every one) come back with 422 for
// the page to show.
func (x *explorer) apiScenario(w http.ResponseWriter, r *http.Request) {
	files := x.files
	var q scenarioRequest
	if !x.decodeForm(w, r, &q) {
		return
	}
	if !x.checkFields(w, nil, map[string]string{
		"policy_initiator": q.PolicyInitiator, "policy_receiver": q.PolicyReceiver,
		"cert_initiator": q.CertInitiator, "cert_receiver": q.CertReceiver, "attack": q.Attack,
		"publish_initiator": q.PublishInitiator, "publish_receiver": q.PublishReceiver,
		"initiator": q.Initiator, "receiver": q.Receiver,
	}) {
		return
	}
	id := -1
	switch {
	case q.File != nil && q.Path != "":
		apiError(w, http.StatusBadRequest, "name the scenario by file (its index) or by path, not both")
		return
	case q.File != nil:
		if *q.File < 0 || *q.File >= len(files) {
			apiError(w, http.StatusNotFound, fmt.Sprintf("scenario %d: this explorer was started with %d scenario files", *q.File, len(files)))
			return
		}
		id = *q.File
	case q.Path != "":
		id = slices.Index(files, q.Path)
		if id < 0 {
			apiError(w, http.StatusForbidden, fmt.Sprintf("%q is not one of the scenario files this explorer was started with (GET /api/scenarios lists them)", q.Path))
			return
		}
	default:
		apiError(w, http.StatusBadRequest, "name a scenario: file (its index in GET /api/scenarios) or path (exactly as listed)")
		return
	}
	path := files[id]
	about := map[string]any{"id": id, "path": path}
	s, err := spec.Load(path)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error(), "scenario": about})
		return
	}
	wc := s.Config()
	about["name"], about["description"], about["seed"] = s.Name, s.Description, s.Seed
	var servers []map[string]string
	for _, sv := range wc.Servers {
		servers = append(servers, map[string]string{"domain": sv.Domain, "preset": sv.Preset})
	}
	about["servers"] = servers
	var faults, attacks []string
	for _, f := range wc.Faults {
		faults = append(faults, teach.FaultFlag(f))
	}
	for _, a := range wc.Attacks {
		attacks = append(attacks, string(a.Kind))
	}
	about["faults"], about["attacks"] = faults, attacks
	cfg, _, err := teachConfig("explain", q.args(path))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": explainError(err), "scenario": about})
		return
	}
	var out map[string]any
	var status int
	if rerr := x.run(r, func() { out, status, err = runAnswer(cfg) }); rerr != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": rerr.Error(), "scenario": about})
		return
	}
	if err != nil {
		writeJSON(w, status, map[string]any{"error": err.Error(), "scenario": about})
		return
	}
	out["scenario"] = about
	writeJSON(w, http.StatusOK, out)
}

// explainError is what 'fedsim explain' would print for err, the error of
// the explorer's form read as explain's arguments: one "fedsim explain:"
// line per problem.
func explainError(err error) string {
	var b bytes.Buffer
	exitStatus(command{name: "explain"}, err, io.Discard, &b)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) > 1 && strings.HasPrefix(lines[len(lines)-1], "Run 'fedsim help") {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}
