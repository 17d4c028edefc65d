package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

func TestExplorerHandlers(t *testing.T) {
	srv := httptest.NewServer(explorerHandler(nil))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/run", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("POST %s: answer is not JSON: %v", body, err)
		}
		return resp.StatusCode, m
	}
	// The page and its assets are embedded; nothing points off-site.
	for _, p := range []string{"/", "/app.js", "/style.css"} {
		code, body := get(p)
		if code != 200 {
			t.Fatalf("GET %s: %d", p, code)
		}
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("GET %s refers to another site: the page must work offline", p)
		}
	}
	code, body := get("/api/matrix")
	var m struct {
		Cells []struct{ Initiator, Receiver, Outcome string }
	}
	if code != 200 || json.Unmarshal([]byte(body), &m) != nil || len(m.Cells) != 36 {
		t.Fatalf("GET /api/matrix: %d, %d cells", code, len(m.Cells))
	}
	if code, _ := get("/api/matrix?seed=-1"); code != 400 {
		t.Errorf("GET /api/matrix?seed=-1: %d, want 400", code)
	}
	// The real-server presets: 9×9 cells, the replay names them, and each
	// cell is the one `fedsim matrix --servers` computes.
	code, body = get("/api/matrix?servers=real")
	var rm struct {
		Replay string
		Cells  []struct{ Initiator, Receiver, Outcome string }
	}
	if code != 200 || json.Unmarshal([]byte(body), &rm) != nil || len(rm.Cells) != len(nodes.RealPresets())*len(nodes.RealPresets()) ||
		!strings.Contains(rm.Replay, "--servers prosody-0.12,") {
		t.Fatalf("GET /api/matrix?servers=real: %d, %d cells, replay %q", code, len(rm.Cells), rm.Replay)
	}
	want, err := scenarios.RunPair(scenarios.Pair{Initiator: rm.Cells[1].Initiator, Receiver: rm.Cells[1].Receiver}, scenarios.PairOptions{Seed: 1, NoTrace: true})
	if err != nil || want.Outcome.Letter() != rm.Cells[1].Outcome {
		t.Errorf("cell %+v: RunPair says %v (%v)", rm.Cells[1], want, err)
	}
	if code, body := get("/api/matrix?servers=mine"); code != 400 || !strings.Contains(body, "want xep, real or all") {
		t.Errorf("GET /api/matrix?servers=mine: %d %s, want 400", code, body)
	}

	code, res := post(`{"initiator":"type1","receiver":"type4"}`)
	if code != 200 || res["outcome"] != "U" {
		t.Fatalf("type1 type4: %d %v", code, res["outcome"])
	}
	if err := xml.Unmarshal([]byte(res["svg"].(string)), new(struct{})); err != nil {
		t.Errorf("svg does not parse: %v", err)
	}
	cmds := res["commands"].(map[string]any)
	if cmds["explain"] != "fedsim explain type1 type4 --seed 1" {
		t.Errorf("explain command %q", cmds["explain"])
	}
	// A policy change re-runs the pair: type1 speaking 1.0 with TLS reaches type4.
	code, res = post(`{"initiator":"type1","receiver":"type4","policy_initiator":"version=1.0,initiate_tls=always,accept=V,E"}`)
	if code != 200 || res["outcome"] != "E" {
		t.Fatalf("changed type1: %d %v %v", code, res["outcome"], res["error"])
	}
	if !strings.Contains(res["commands"].(map[string]any)["explain"].(string), "--policy-initiator version=1.0,") {
		t.Errorf("the command does not reproduce the change: %v", res["commands"])
	}
	// What the domains publish (docs/dane.md): two type4 servers with DANE
	// published and accepted reach T, and the command says how.
	code, res = post(`{"initiator":"type4","receiver":"type4","policy_initiator":"dnssec=validate,dane=accept","policy_receiver":"dnssec=validate,dane=accept","publish_initiator":"signed,tlsa=dane-ee","publish_receiver":"signed,tlsa=dane-ee"}`)
	if code != 200 || res["outcome"] != "T" || !strings.Contains(res["commands"].(map[string]any)["explain"].(string), "--publish-receiver signed,tlsa=dane-ee") {
		t.Fatalf("DANE published both ways: %d %v %v %v", code, res["outcome"], res["error"], res["commands"])
	}
	code, res = post(`{"initiator":"type5","receiver":"type5","faults":["cert-expired:initiator"],"attack":"strip-starttls"}`)
	if code != 200 || res["attack"] == nil {
		t.Fatalf("fault and attack: %d %v", code, res["error"])
	}
	for _, bad := range []struct{ body, want string }{
		{`{"initiator":"type9","receiver":"type4"}`, `unknown kind of server "type9"`},
		{`{"initiator":"type1","receiver":"type4","policy_initiator":"version=2"}`, "version=2: want 1.0 or 0.9"},
		{`{"initiator":"type1","receiver":"type4","policy_receiver":"accept=V"}`, "starttls is required but V"},
		{`{"initiator":"type1","receiver":"type4","cert_receiver":"gold"}`, "want none, self-signed or CA-issued"},
		{`{"initiator":"type4","receiver":"type4","publish_receiver":"tlsa=gold"}`, `publish "tlsa=gold"`},
		{`{"initiator":"type1","receiver":"type4","faults":["meteor:receiver"]}`, `unknown fault kind "meteor"`},
		{`{"initiator":"type1","receiver":"type4","attack":"bribe"}`, `--attack "bribe"`},
		{`{"initiator":"type1","colour":"red"}`, "unknown field"},
		// A lone positional would be read as a scenario file: /api/run
		// opens none.
		{`{"initiator":"../../scenarios/faults/cert-expired.yaml","receiver":"--seed=1"}`, `unknown kind of server "--seed=1"`},
		{`{"initiator":"--attack=","receiver":"../../scenarios/faults/cert-expired.yaml"}`, `unknown kind of server "--attack="`},
		{`not json`, "not a run form"},
	} {
		code, res := post(bad.body)
		msg, _ := res["error"].(string)
		if code != 400 || !strings.Contains(msg, bad.want) {
			t.Errorf("POST %s: %d %q, want 400 with %q", bad.body, code, msg, bad.want)
		}
	}
}

func TestServeDefaultsToLoopback(t *testing.T) {
	fs, addr := serveFlags(io.Discard)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*addr, "127.0.0.1:") {
		t.Errorf("default address %s is not loopback", *addr)
	}
}

// TestExplorerScenarios opens scenario files through the API: from the
// repository root the explorer offers the shipped ones, a listed file runs
// with the CLI's own replay line, a policy change shows in it, an unlisted
// path is refused and a broken file gives back its errors with positions.
func TestExplorerScenarios(t *testing.T) {
	t.Chdir("../..") // the repository root, where fedsim serve finds scenarios/
	files, err := serveScenarios(nil)
	if err != nil {
		t.Fatal(err)
	}
	const shipped = "scenarios/faults/cert-expired.yaml"
	id := slices.Index(files, shipped)
	if id < 0 || len(files) < 50 {
		t.Fatalf("serve without arguments offers %d files, %s at %d; want the shipped scenarios", len(files), shipped, id)
	}
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("servers:\n  - {domain: a.example, preset: type2}\n  - {domain: b.example, preset: type7}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, broken)
	srv := httptest.NewServer(explorerHandler(files))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Files []struct {
			ID                 int
			Path, Folder, Name string
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list.Files) != len(files) || list.Files[id].Path != shipped || list.Files[id].Folder != "scenarios/faults" || list.Files[id].Name != "cert-expired" {
		t.Fatalf("GET /api/scenarios: %v, %d files, [%d] = %+v", err, len(list.Files), id, list.Files[id])
	}

	type answer struct {
		Error    string
		Outcome  string
		From, To string
		SVG      string
		Steps    []apiStep
		Policies []map[string]string
		Commands map[string]string
		Scenario struct {
			Path    string
			Name    string
			Servers []struct{ Domain string }
			Faults  []string
		}
	}
	post := func(body string) (int, answer) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/scenario", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a answer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatalf("POST %s: answer is not JSON: %v", body, err)
		}
		return resp.StatusCode, a
	}

	// The file's first stanza's pair, its diagram, steps and replay line:
	// the line fedsim explain prints for the file.
	code, a := post(`{"file":` + strconv.Itoa(id) + `}`)
	if code != 200 || a.Outcome != "E" || a.From != "type3.lit" || a.To != "type5.lit" {
		t.Fatalf("%s: %d %q %s → %s, error %q", shipped, code, a.Outcome, a.From, a.To, a.Error)
	}
	if err := xml.Unmarshal([]byte(a.SVG), new(struct{})); err != nil || !strings.Contains(a.SVG, "type5.lit") {
		t.Errorf("%s: the diagram is not an SVG of the pair: %v", shipped, err)
	}
	if len(a.Steps) < 20 {
		t.Errorf("%s: %d narrated steps", shipped, len(a.Steps))
	}
	want := "fedsim explain scenarios/faults/cert-expired.yaml --pair type3.lit,type5.lit --seed 1"
	if a.Commands["explain"] != want || a.Commands["diagram"] != strings.Replace(want, "explain", "diagram", 1)+" --format svg" {
		t.Errorf("replay lines %v, want %q", a.Commands, want)
	}
	var cli strings.Builder
	if err := cmdExplain(strings.Fields(want)[2:], &cli, io.Discard); err != nil || !strings.Contains(cli.String(), "Replay: "+want+"\n") {
		t.Errorf("the CLI does not print the explorer's replay line: %v", err)
	}
	if len(a.Scenario.Servers) != 2 || len(a.Scenario.Faults) != 1 || a.Scenario.Faults[0] != "cert-expired:type3.lit" || a.Policies[1]["accept"] != "E,T" {
		t.Errorf("the scenario as the page shows it: %+v, receiving policy %v", a.Scenario, a.Policies[1])
	}
	// The same file by its exact path, with a policy changed through the
	// form: the outcome and the replay line follow.
	code, b := post(`{"path":"` + shipped + `","initiator":"type3.lit","receiver":"type5.lit","policy_receiver":"accept=T"}`)
	if code != 200 || b.Outcome != "U" {
		t.Fatalf("accept=T: %d %q %q", code, b.Outcome, b.Error)
	}
	if !strings.HasPrefix(b.Commands["explain"], want+" --policy-receiver ") || !strings.Contains(b.Commands["explain"], "accept=T") || b.Policies[1]["accept"] != "T" {
		t.Errorf("accept=T: replay %q, receiving policy %v", b.Commands["explain"], b.Policies[1])
	}
	// The other direction between the file's servers.
	code, c := post(`{"file":` + strconv.Itoa(id) + `,"initiator":"type5.lit","receiver":"type3.lit"}`)
	if code != 200 || c.From != "type5.lit" || !strings.Contains(c.Commands["explain"], "--pair type5.lit,type3.lit") {
		t.Errorf("type5.lit → type3.lit: %d %s %q", code, c.From, c.Error)
	}

	brokenID := strconv.Itoa(len(files) - 1)
	for _, bad := range []struct {
		body string
		code int
		want string
	}{
		{`{"path":"/etc/passwd"}`, 403, "not one of the scenario files"},
		{`{"path":"scenarios/faults/../faults/cert-expired.yaml"}`, 403, "not one of the scenario files"},
		{`{"path":"../../scenarios/faults/cert-expired.yaml"}`, 403, "not one of the scenario files"},
		{`{"file":` + strconv.Itoa(len(files)) + `}`, 404, "started with"},
		{`{"file":-1}`, 404, "started with"},
		{`{}`, 400, "name a scenario"},
		{`{"file":0,"path":"` + shipped + `"}`, 400, "not both"},
		{`{"file":` + strconv.Itoa(id) + `,"faults":["crash:receiver"]}`, 400, "unknown field"},
		{`{"file":` + strconv.Itoa(id) + `,"initiator":"type3.lit","receiver":"nowhere.lit"}`, 400, `"nowhere.lit" is not a server of the scenario (type3.lit, type5.lit)`},
		{`{"file":` + strconv.Itoa(id) + `,"policy_initiator":"version=2"}`, 400, "version=2: want 1.0 or 0.9"},
		{`{"file":` + strconv.Itoa(id) + `,"attack":"bribe"}`, 400, `--attack "bribe"`},
		{`{"file":` + brokenID + `}`, 422, broken + `:3:33: servers[1].preset: unknown preset "type7"`},
	} {
		code, a := post(bad.body)
		if code != bad.code || !strings.Contains(a.Error, bad.want) {
			t.Errorf("POST %s: %d %q, want %d with %q", bad.body, code, a.Error, bad.code, bad.want)
		}
	}
}

// TestExplorerGuards: what issue 14 found open in fedsim serve. Any page
// the user visits may send requests to the explorer, and any client may
// send it costly or slow ones.
func TestExplorerGuards(t *testing.T) {
	srv := httptest.NewServer(explorerHandler(nil))
	defer srv.Close()
	const run = `{"initiator":"type1","receiver":"type4"}`
	do := func(method, path, body string, header ...string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if method == "POST" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			if header[i] == "Host" {
				req.Host = header[i+1]
				continue
			}
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	faults := func(n int) string {
		var fs []string
		for range n {
			fs = append(fs, `"cert-expired:initiator"`)
		}
		return `{"initiator":"type5","receiver":"type5","faults":[` + strings.Join(fs, ",") + `]}`
	}
	for _, c := range []struct {
		what, method, path, body string
		header                   []string
		code                     int
		want                     string
	}{
		// Its own page, curl (no Origin), and the other names of loopback pass.
		{"same origin", "POST", "/api/run", run, []string{"Origin", srv.URL, "Sec-Fetch-Site", "same-origin"}, 200, `"outcome":"U"`},
		{"no Origin (curl)", "POST", "/api/run", run, nil, 200, `"outcome":"U"`},
		{"localhost", "GET", "/", "", []string{"Host", "localhost:8238"}, 200, "<html"},
		{"IPv6 loopback", "GET", "/", "", []string{"Host", "[::1]:8238"}, 200, "<html"},
		// Cross-site requests: refused before any run.
		{"cross-origin POST", "POST", "/api/run", run, []string{"Origin", "http://evil.example"}, 403, "cross-origin request refused"},
		{"cross-site fetch", "POST", "/api/run", run, []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross-origin request refused"},
		{"another port of localhost", "POST", "/api/scenario", `{"file":0}`, []string{"Origin", "http://127.0.0.1:1", "Sec-Fetch-Site", "same-site"}, 403, "cross-origin request refused"},
		{"Origin null", "POST", "/api/run", run, []string{"Origin", "null"}, 403, "cross-origin request refused"},
		{"a form's text/plain", "POST", "/api/run", run, []string{"Content-Type", "text/plain"}, 415, "application/json"},
		// DNS rebinding: the attacker's name in Host.
		{"rebound name", "GET", "/api/matrix", "", []string{"Host", "evil.example:8238"}, 421, `host \"evil.example:8238\" refused`},
		{"rebound name, POST", "POST", "/api/run", run, []string{"Host", "evil.example", "Origin", "http://evil.example"}, 421, "DNS rebinding"},
		{"localhost.evil", "GET", "/", "", []string{"Host", "localhost.evil.example"}, 421, "refused"},
		// Bounded work.
		{"a body over 64 KiB", "POST", "/api/run", `{"initiator":"type1","receiver":"type4","policy_initiator":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, "over 65536 bytes"},
		{"nine faults", "POST", "/api/run", faults(9), nil, 400, "9 faults: at most 8 in one request"},
		{"eight faults", "POST", "/api/run", faults(8), nil, 200, `"outcome":`},
		{"a long policy", "POST", "/api/run", `{"initiator":"type1","receiver":"type4","policy_initiator":"` + strings.Repeat("accept=V,", 200) + `"}`, nil, 400, "policy_initiator: 1800 bytes, at most 1024"},
		{"two forms", "POST", "/api/run", run + run, nil, 400, "more than one JSON value"},
		// No request value is ever read as a flag.
		{"a flag as a policy", "POST", "/api/run", `{"initiator":"type1","receiver":"type4","policy_initiator":"-h"}`, nil, 400, `policy_initiator \"-h\": a value, not a flag`},
		{"a flag as a fault", "POST", "/api/run", `{"initiator":"type1","receiver":"type4","faults":["--seed=7"]}`, nil, 400, `faults[0] \"--seed=7\": a value, not a flag`},
		{"a flag as an attack", "POST", "/api/run", `{"initiator":"type1","receiver":"type4","attack":"--help"}`, nil, 400, `attack \"--help\"`},
		{"a flag as a certificate", "POST", "/api/run", `{"initiator":"type1","receiver":"type4","cert_receiver":"-fragment=byte"}`, nil, 400, `cert_receiver \"-fragment=byte\"`},
		{"a flag in a scenario's pair", "POST", "/api/scenario", `{"file":0,"initiator":"-h","receiver":"b"}`, nil, 400, `initiator \"-h\"`},
		// Wrong methods: 405 with Allow.
		{"GET /api/run", "GET", "/api/run", "", nil, 405, "this path takes POST"},
		{"PUT /", "PUT", "/", "", nil, 405, "GET, HEAD"},
		{"DELETE /api/matrix", "DELETE", "/api/matrix", "", nil, 405, "GET, HEAD"},
		{"OPTIONS /api/run (a preflight)", "OPTIONS", "/api/run", "", []string{"Origin", "http://evil.example", "Access-Control-Request-Method", "POST"}, 405, "POST"},
		{"POST /api/scenarios", "POST", "/api/scenarios", `{}`, nil, 405, "GET, HEAD"},
	} {
		code, h, body := do(c.method, c.path, c.body, c.header...)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %s %s: %d %.200q, want %d with %q", c.what, c.method, c.path, code, body, c.code, c.want)
		}
		if code == 405 && h.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", c.what)
		}
		if code == 403 && h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: CORS header on a refusal", c.what)
		}
	}
}

// TestExplorerBudget: a run that outlasts the request's budget is
// answered 503, and a request that finds every run slot taken waits at
// most the budget.
func TestExplorerBudget(t *testing.T) {
	lim := defaultLimits
	lim.Budget, lim.Parallel = time.Millisecond, 1
	x := newExplorer(nil, lim)
	srv := httptest.NewServer(x)
	defer srv.Close()
	post := func() (int, string) {
		resp, err := http.Post(srv.URL+"/api/run", "application/json", strings.NewReader(`{"initiator":"type5","receiver":"type5","faults":["cert-expired:initiator"],"attack":"strip-starttls"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(); code != 503 || !strings.Contains(body, "over its time budget (1ms)") {
		t.Errorf("a run past its budget: %d %s", code, body)
	}
	// Wait for the abandoned run to give its slot back, then take it.
	x.slots <- struct{}{}
	if code, body := post(); code != 503 || !strings.Contains(body, "busy with other runs") {
		t.Errorf("no slot free: %d %s", code, body)
	}
	<-x.slots
	lim.Budget = time.Minute
	srv.Config.Handler = newExplorer(nil, lim)
	if code, body := post(); code != 200 {
		t.Errorf("within the budget: %d %s", code, body)
	}
}

// TestExplorerServerTimeouts: a client that sends its headers or its body
// slowly, or keeps an idle connection, is cut off.
func TestExplorerServerTimeouts(t *testing.T) {
	srv := explorerServer(explorerHandler(nil), limits{ReadHeader: 200 * time.Millisecond, Read: 400 * time.Millisecond, Idle: 300 * time.Millisecond, Write: 5 * time.Second})
	if d := explorerServer(nil, defaultLimits); d.ReadHeaderTimeout == 0 || d.ReadTimeout == 0 || d.IdleTimeout == 0 || d.WriteTimeout == 0 || d.MaxHeaderBytes == 0 {
		t.Errorf("the explorer's server has a timeout or limit unset: %+v", d)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	// closedWithin writes what the client sends and reports whether the
	// server has closed the connection within d (what it answered first
	// does not matter).
	closedWithin := func(what, send string, then func(net.Conn), d time.Duration) {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, send); err != nil {
			t.Fatal(err)
		}
		if then != nil {
			then(c)
		}
		start := time.Now()
		c.SetReadDeadline(start.Add(d))
		_, err = io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() { // our deadline: the server kept the connection
			t.Errorf("%s: connection still open after %v: %v", what, time.Since(start).Round(time.Millisecond), err)
		}
	}
	closedWithin("slow headers", "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\n", nil, 3*time.Second)
	closedWithin("slow body", "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"init", nil, 3*time.Second)
	closedWithin("idle keep-alive", "GET /api/scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", func(c net.Conn) {
		// Read the answer, then stay idle.
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /api/scenarios: %v", err)
		}
		resp.Body.Close()
	}, 3*time.Second)
}

func TestServeWarnsOffLoopback(t *testing.T) {
	for _, c := range []struct {
		addr string
		warn bool
	}{
		{"127.0.0.1:8238", false}, {"[::1]:8238", false}, {"127.9.9.9:80", false},
		{"0.0.0.0:8238", true}, {"[::]:8238", true}, {"192.0.2.7:8238", true},
	} {
		a, err := net.ResolveTCPAddr("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		w := exposedWarning(a)
		if (w != "") != c.warn || (c.warn && !strings.Contains(w, "not a loopback address")) {
			t.Errorf("%s: warning %q, want one: %v", c.addr, w, c.warn)
		}
	}
}
