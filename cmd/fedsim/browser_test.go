package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestExplorerInChromium drives the explorer in headless Chromium: load
// the page, click a cell, see its diagram, change a policy, see the
// outcome change, in the diagram and in the matrix's cell, marked as
// edited; make an edit the server refuses and see form, diagram and CLI
// line still agree; narrow the window to 1,100 and 800 px and see the
// whole diagram; sweep a grid and compare its heat map with fedsim sweep's;
// open a scenario file from the menu, see its diagram and replay line,
// change a policy and the pair; open a broken file and see its errors;
// from another site's page, send it POSTs and see them refused, and reach
// it under a rebound name and see that refused too, while its own page
// still works (issue 14). It never waits for a time: before it clicks or
// reads, it waits until the page has shown every answer it asked for
// (body[data-busy="0"]), so a click cannot land on a matrix being
// re-rendered. Screenshots are kept in $FEDSIM_ARTEFACTS (default: a
// directory under the system temp dir, printed in the log).
func TestExplorerInChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skip("no chromium binary on PATH (apt-get install chromium): the browser test is skipped")
	}
	dir := os.Getenv("FEDSIM_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "fedsim-artefacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(dir) {
		dir, _ = filepath.Abs(dir)
	}
	// From the repository root the explorer offers the shipped scenarios,
	// named as fedsim serve names them; one broken file is added.
	t.Chdir("../..")
	files, err := serveScenarios(nil)
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("servers:\n  - {domain: a.example, preset: type2}\n  - {domain: b.example, preset: type7}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Every request the explorer answers is logged with its Origin, for
	// the cross-origin check at the end.
	var mu sync.Mutex
	type logged struct {
		method, path, origin string
		code                 int
	}
	var log []logged
	explorer := explorerHandler(append(files, broken))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: 200}
		explorer.ServeHTTP(sw, r)
		mu.Lock()
		log = append(log, logged{r.Method, r.URL.Path, r.Header.Get("Origin"), sw.code})
		mu.Unlock()
	}))
	defer srv.Close()
	// Another site, attacker.example, whose page posts to the explorer:
	// a "simple" request (text/plain, no preflight, the answer unreadable)
	// and a JSON one (which needs a preflight).
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>elsewhere</title><script>
const url = `+strconv.Quote(srv.URL+"/api/run")+`, body = '{"initiator":"type1","receiver":"type4"}';
window.results = {};
fetch(url, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body})
  .then(() => results.simple = "sent", () => results.simple = "failed");
fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body})
  .then(r => results.json = "read " + r.status, () => results.json = "blocked");
</script>`)
	}))
	defer attacker.Close()
	_, explorerPort, _ := net.SplitHostPort(srv.Listener.Addr().String())
	_, attackerPort, _ := net.SplitHostPort(attacker.Listener.Addr().String())

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1500, 1000),
		// Two names for this machine, as DNS could give them: another
		// site, and a name rebound to the explorer's address.
		chromedp.Flag("host-resolver-rules", "MAP attacker.example 127.0.0.1, MAP rebound.example 127.0.0.1"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Generous: on a loaded CI machine a cold Chromium takes its time to start.
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", path)
	}
	do := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, a); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}
	poll := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
			st, e2 := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("pair-title").textContent + " | " + document.getElementById("cmd-explain").textContent + " | " + document.getElementById("error").textContent`))
			t.Logf("page: %s %v", st, e2)
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	// settle waits until the page shows every answer it asked for.
	settle := func(what string) {
		t.Helper()
		poll(what+" (the page settled)", `document.body.dataset.busy === "0"`)
	}
	click := func(what, sel string) {
		t.Helper()
		settle("before " + what)
		do(what, chromedp.Click(sel))
		settle(what)
	}
	eval := func(what, expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	cell := `#matrix td[data-i="type1"][data-r="type4"]`
	do("loading the page", chromedp.Navigate(srv.URL+"/"))
	do("waiting for the matrix", chromedp.WaitVisible(cell))
	click("clicking type1 → type4", cell)
	poll("the type1 → type4 diagram", `document.getElementById("pair-title").textContent === "type1.lit → type4.lit" && document.querySelector("#diagram svg") !== null`)
	svg, err := chromedp.Run(ctx, chromedp.OuterHTML(`#diagram svg`))
	if err != nil {
		t.Fatal(err)
	}
	if o := text(`#outcome`); o != "U" || !strings.Contains(svg, "header (no version: 0.9)") {
		t.Fatalf("type1 → type4: outcome %q, diagram shows the 0.9 header: %v", o, strings.Contains(svg, "header (no version: 0.9)"))
	}
	shot("explorer-type1-type4.png")
	// Make type4.lit offer STARTTLS without requiring it and accept
	// dialback without TLS, through its form: the outcome turns V.
	do("choosing starttls=offered", chromedp.SetValue(`select[name="starttls-1"]`, "offered"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('select[name="starttls-1"]').dispatchEvent(new Event("change")); true`)); err != nil {
		t.Fatal(err)
	}
	poll("the first re-run", `document.querySelector('select[name="starttls-1"]') && document.querySelector('select[name="starttls-1"]').value === "offered" && document.getElementById("cmd-explain").textContent.includes("starttls=offered")`)
	do("choosing accept=V,E,T", chromedp.SetValue(`select[name="accept-1"]`, "V,E,T"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('select[name="accept-1"]').dispatchEvent(new Event("change")); true`)); err != nil {
		t.Fatal(err)
	}
	poll("the outcome to turn V", `document.getElementById("outcome").textContent === "V"`)
	settle("the edit")
	// The matrix's cell shows the edited run's outcome, marked as edited,
	// with the presets' in its title; the note under the matrix says so.
	if got := eval("reading the edited cell", `{const td = document.querySelector(`+strconv.Quote(cell)+`); td.textContent + " " + td.className + " | " + td.title + " | " + document.getElementById("edited-note").textContent}`); !strings.HasPrefix(got, "V o-V sel edited | type1 → type4: V with your changes (the presets give U)") || !strings.Contains(got, "shows V with your changes; the presets give U") {
		t.Errorf("the edited cell: %q", got)
	}
	if got := eval("reading another cell", `document.querySelector('#matrix td[data-i="type2"][data-r="type4"]').className`); got != "o-E" {
		t.Errorf("an unedited cell has class %q, want o-E", got)
	}
	for i := 0; i < 3; i++ {
		do("stepping", chromedp.Click(`#next`))
	}
	cmdV := text(`#cmd-explain`)
	if !strings.Contains(cmdV, "--policy-receiver") {
		t.Errorf("the CLI line %q does not reproduce the change", cmdV)
	}
	shot("explorer-type1-type4-changed.png")
	// The window as a user sees it, for docs/explorer.png.
	eval("scrolling to the top", `scrollTo(0, 0); ""`)
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err != nil {
		t.Fatalf("screenshot: %v", err)
	} else if err := os.WriteFile(filepath.Join(dir, "explorer-window.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	// An edit the server refuses (type4 accepting V and E without
	// dialback is no server): the error says why, and the form goes back
	// to what the diagram and the CLI line show.
	choose0 := func(sel, value string) {
		t.Helper()
		settle("before choosing " + value)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`{const s = document.querySelector(`+strconv.Quote(sel)+`); s.value = `+strconv.Quote(value)+`; s.dispatchEvent(new Event("change")); true}`)); err != nil {
			t.Fatalf("choosing %s=%s: %v", sel, value, err)
		}
		settle("choosing " + value)
	}
	choose0(`select[name="dialback-1"]`, "false")
	if got := eval("reading the refused edit", `[document.getElementById("error").hidden, document.getElementById("error").textContent, document.querySelector('select[name="dialback-1"]').value, document.getElementById("cmd-explain").textContent, document.getElementById("outcome").textContent, document.querySelector('#diagram svg') !== null, document.querySelector(`+strconv.Quote(cell)+`).textContent].join(" | ")`); got != "false | fedsim explain: --policy-receiver: nodes: inconsistent policy: accept includes V or E but dialback is off: those levels need Server Dialback\nNot run: the form is back to the settings the diagram and the CLI line show. | true | "+cmdV+" | V | true | V" {
		t.Errorf("after a refused edit: %q", got)
	}
	shot("explorer-refused-edit.png")
	// The next edit starts from the form as shown, not from the refused one.
	choose0(`select[name="accept-1"]`, "V,E")
	poll("accept=V,E", `document.getElementById("error").hidden && document.getElementById("cmd-explain").textContent.includes("dialback=true") && document.getElementById("cmd-explain").textContent.endsWith("accept=V,E")`)
	// Narrow windows: from 800 px up the whole diagram is in view (it
	// shrinks to fit, to no less than 600 px), not a third of it.
	for _, width := range []int64{1100, 800} {
		do("resizing", chromedp.EmulateViewport(width, 1000))
		settle("resizing")
		got := eval("measuring the diagram", `{const d = document.getElementById("diagram"), s = document.querySelector("#diagram svg"), r = s.getBoundingClientRect(); [Math.round(r.left), Math.round(r.right), Math.round(r.width), s.width.baseVal.value, d.clientWidth, innerWidth].join(" ")}`)
		var left, right, w, natural, box, inner int
		if _, err := fmt.Sscan(got, &left, &right, &w, &natural, &box, &inner); err != nil {
			t.Fatalf("%d px: %q: %v", width, got, err)
		}
		// Its own width, or the box's when that is narrower: all of it.
		if want := min(natural, box); left < 0 || right > inner || w < want-2 || w > want+2 || w < 600 {
			t.Errorf("%d px: the diagram (%d px wide of its own) spans %d..%d px (%d wide) in a box %d wide, window %d: not all of it in view", width, natural, left, right, w, box, inner)
		}
		shot(fmt.Sprintf("explorer-%dpx.png", width))
	}
	do("resizing back", chromedp.EmulateViewport(1500, 1000))
	// The sweep view: a grid over three fields, its heat map the same
	// matrix fedsim sweep prints for the line it shows.
	choose0("#mode", "sweep")
	poll("the sweep", `document.querySelectorAll("#sweep-matrix td").length > 0`)
	sweepCmd := text("#sweep-cmd")
	wantCmd := "fedsim sweep --grid initiate_tls=if-required,always --grid accept=V,E,T --grid accept=E,T --grid cert=self-signed,ca-issued --base type3 --seed 1 --pictures none"
	if sweepCmd != wantCmd {
		t.Errorf("the sweep's CLI line %q, want %q", sweepCmd, wantCmd)
	}
	shot("explorer-sweep.png")
	page := eval("reading the heat map", `[...document.querySelectorAll("#sweep-matrix tr")].slice(1).map(tr => [...tr.querySelectorAll("td")].map(td => td.textContent).join("")).join(" ")`)
	titles := eval("reading the headers", `[...document.querySelectorAll("#sweep-matrix th[title]")].map(th => th.title).join("\n")`)
	var cli strings.Builder
	if err := cmdSweep(append(strings.Fields(sweepCmd)[2:], "--format", "json"), &cli, io.Discard); err != nil {
		t.Fatalf("%s: %v", sweepCmd, err)
	}
	var fromCLI struct {
		Policies []struct{ Name, Fields string }
		Cells    []struct{ Outcome string }
	}
	if err := json.Unmarshal([]byte(cli.String()), &fromCLI); err != nil {
		t.Fatal(err)
	}
	var rows []string
	n := len(fromCLI.Policies)
	for i := 0; i < n; i++ {
		var row strings.Builder
		for k := 0; k < n; k++ {
			row.WriteString(fromCLI.Cells[i*n+k].Outcome)
		}
		rows = append(rows, row.String())
		if want := fromCLI.Policies[i].Name + ": " + fromCLI.Policies[i].Fields; !strings.Contains(titles, want) {
			t.Errorf("no header of the heat map has the title %q", want)
		}
	}
	if n < 4 || page != strings.Join(rows, " ") {
		t.Errorf("the heat map %q differs from fedsim sweep's %q", page, strings.Join(rows, " "))
	}
	// A grid over the bound is refused, saying what to do instead; the
	// heat map goes, so nothing stale stays beside the message.
	checkAll := func(keep string) {
		t.Helper()
		settle("before changing the grid")
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`{const keep = `+keep+`; const all = [...document.querySelectorAll('#sweep-axes .axis input')]; all.forEach(i => i.checked = keep(i)); all[0].dispatchEvent(new Event("change")); true}`)); err != nil {
			t.Fatal(err)
		}
		settle("changing the grid")
	}
	checkAll(`i => true`)
	if got := text("#sweep-summary"); !strings.Contains(got, "policies (") || !strings.Contains(got, " runs): the explorer sweeps at most 16 policies (256 runs); fewer values, or from the command line: fedsim sweep --grid initiate_tls=never,if-required,if-offered,always --grid accept=V,E,T --grid accept=E,T --grid accept=T --grid accept=V --grid cert=none,self-signed,ca-issued --base type3 --seed 1 --pictures none") || text("#sweep-matrix") != "" {
		t.Errorf("a grid over the bound: %q", got)
	}
	shot("explorer-sweep-refused.png")
	checkAll(`i => ["if-required", "always", "V,E,T", "E,T", "self-signed", "ca-issued"].includes(i.value)`)
	if got := text("#sweep-cmd"); got != wantCmd {
		t.Errorf("the grid back as it was: %q", got)
	}
	// A cell of the heat map opens as a pair, with the same outcome.
	sweepCell := `#sweep-matrix tr:nth-child(7) td:nth-of-type(8)` // p006 → p008: T, certificates and all
	want := text(sweepCell)
	click("opening a cell of the sweep", sweepCell)
	if got := text("#outcome"); want != "T" || got != want || !strings.Contains(text("#cmd-explain"), "fedsim explain type3 type3 --seed 1 --policy-initiator ") || !strings.Contains(text("#cmd-explain"), "--cert-receiver ") {
		t.Errorf("the sweep's cell %s opened as %s: %s", want, got, text("#cmd-explain"))
	}
	shot("explorer-sweep-pair.png")
	click("back to the presets", "#reset")
	click("clicking type1 → type4", cell)
	if got := eval("the cell after the reset", `document.querySelector(`+strconv.Quote(cell)+`).className + " " + document.getElementById("edited-note").hidden`); got != "o-U sel true" {
		t.Errorf("after going back to the presets the cell is %q", got)
	}
	// Switch the matrix to the real-server presets and open a cell.
	do("choosing the real servers", chromedp.SetValue(`#server-set`, "real"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("server-set").dispatchEvent(new Event("change")); true`)); err != nil {
		t.Fatal(err)
	}
	real := `#matrix td[data-i="prosody-13"][data-r="ejabberd-25.08"]`
	do("waiting for the real-server matrix", chromedp.WaitVisible(real))
	click("clicking prosody-13 → ejabberd-25.08", real)
	poll("the prosody-13 → ejabberd-25.08 run", `document.getElementById("pair-title").textContent === "prosody-13.lit → ejabberd-25.08.lit"`)
	if cmd := text(`#matrix-cmd`); !strings.Contains(cmd, "--servers prosody-0.12,") {
		t.Errorf("the matrix CLI line %q does not name the presets", cmd)
	}
	shot("explorer-real-servers.png")

	// Open a scenario file from the menu: its first stanza's pair, its
	// diagram, and the CLI's own replay line.
	choose := func(what, sel, value string) {
		t.Helper()
		// In one script: chromedp.SetValue finds its node by a search that
		// can land on the wrong select of a pair.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`{const s = document.querySelector(`+strconv.Quote(sel)+`); s.value = `+strconv.Quote(value)+`; s.dispatchEvent(new Event("change")); s.value === `+strconv.Quote(value)+`}`)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	optionOf := func(path string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#scenario option")].find(o => o.title === `+strconv.Quote(path)+`).value`))
		if err != nil {
			t.Fatalf("the scenario menu has no %s: %v", path, err)
		}
		return v
	}
	replay := "fedsim explain scenarios/faults/cert-expired.yaml --pair type3.lit,type5.lit --seed 1"
	choose("opening scenarios/faults/cert-expired.yaml", "#scenario", optionOf("scenarios/faults/cert-expired.yaml"))
	poll("the scenario's diagram", `document.getElementById("pair-title").textContent === "type3.lit → type5.lit" && document.querySelector("#diagram svg") !== null && document.getElementById("cmd-explain").textContent === `+strconv.Quote(replay))
	if o, matrix := text(`#outcome`), text(`#scenario-path`); o != "E" || matrix != "scenarios/faults/cert-expired.yaml" {
		t.Errorf("cert-expired.yaml: outcome %q, path shown %q", o, matrix)
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("matrix-box").hidden && !document.getElementById("scenario-box").hidden && document.getElementById("file-faults").textContent.includes("cert-expired:type3.lit")`)); err != nil || !hidden {
		t.Errorf("the scenario's panel and its faults are not shown instead of the matrix (%v)", err)
	}
	shot("explorer-scenario.png")
	// The receiving server's policy, through the same form as a preset's.
	choose("choosing accept=T for type5.lit", `select[name="accept-1"]`, "T")
	poll("the outcome to turn U", `document.getElementById("outcome").textContent === "U" && document.getElementById("cmd-explain").textContent.startsWith(`+strconv.Quote(replay+" --policy-receiver ")+`)`)
	// Another pair of the file's servers.
	choose("choosing type5.lit to initiate", `#pair-from`, "type5.lit")
	poll("type5.lit → type3.lit", `document.getElementById("pair-title").textContent === "type5.lit → type3.lit" && document.getElementById("cmd-explain").textContent.includes("--pair type5.lit,type3.lit --seed 1") && !document.getElementById("cmd-explain").textContent.includes("--policy")`)
	// A file that does not load: its errors with their positions, and no
	// stale diagram under them.
	choose("opening the broken file", "#scenario", optionOf(broken))
	poll("the broken file's errors", `!document.getElementById("error").hidden && document.getElementById("error").textContent.includes(`+strconv.Quote(broken+":3:33: servers[1].preset: unknown preset \"type7\"")+`) && document.querySelector("#diagram svg") === null`)
	shot("explorer-scenario-broken.png")
	// Back to the matrix.
	choose("closing the scenario", "#scenario", "")
	poll("the matrix", `!document.getElementById("matrix-box").hidden && document.getElementById("error").hidden && document.querySelector("#diagram svg") !== null`)
	// A link to a scenario's view opens it when the page loads.
	do("loading a link to a scenario", chromedp.Navigate(srv.URL+"/#scenario=scenarios%2Fattacks%2Fstrip-starttls-downgrade.yaml"))
	poll("the linked scenario", `document.getElementById("scenario-path").textContent === "scenarios/attacks/strip-starttls-downgrade.yaml" && document.querySelector("#diagram svg") !== null && document.getElementById("cmd-explain").textContent.startsWith("fedsim explain scenarios/attacks/strip-starttls-downgrade.yaml --pair ")`)
	shot("explorer-scenario-attack.png")

	// From another site's page: both POSTs are refused before any run, and
	// the JSON one does not even get past its preflight.
	do("loading another site's page", chromedp.Navigate("http://attacker.example:"+attackerPort+"/"))
	poll("the other site's requests", `!!(window.results && results.simple && results.json)`)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`results.simple + ", " + results.json`))
	if err != nil || got != "sent, blocked" {
		t.Errorf("the other site's fetches: %q %v, want the simple one sent and the JSON one blocked", got, err)
	}
	mu.Lock()
	var refused int
	for _, l := range log {
		if l.origin == "http://attacker.example:"+attackerPort {
			switch {
			case l.method == "POST" && l.code == 403, l.method == "OPTIONS" && l.code == 405:
				refused++
			default:
				t.Errorf("a request from another site was answered %d: %s %s", l.code, l.method, l.path)
			}
		}
	}
	mu.Unlock()
	if refused != 2 {
		t.Errorf("%d requests from the other site reached the explorer and were refused, want 2 (the POST and the JSON one's preflight)", refused)
	}
	// DNS rebinding: the explorer's own address under another name.
	do("loading the explorer under a rebound name", chromedp.Navigate("http://rebound.example:"+explorerPort+"/"))
	if body := text("body"); !strings.Contains(body, `host \"rebound.example:`+explorerPort+`\" refused`) {
		t.Errorf("the explorer under a rebound name answered %.200q", body)
	}
	// Its own page still works.
	do("loading the page again", chromedp.Navigate(srv.URL+"/"))
	do("waiting for the matrix", chromedp.WaitVisible(cell))
	click("clicking type1 → type4", cell)
	poll("the type1 → type4 diagram", `document.getElementById("pair-title").textContent === "type1.lit → type4.lit" && document.querySelector("#diagram svg") !== null && document.getElementById("outcome").textContent === "U"`)
	shot("explorer-after-cross-origin.png")
}

// statusWriter notes the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}
