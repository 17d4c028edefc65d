package main

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestExplorerInChromium drives the explorer in headless Chromium: load
// the page, click a cell, see its diagram, change a policy, see the
// outcome change. Screenshots are kept in $FEDSIM_ARTEFACTS (default: a
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
	srv := httptest.NewServer(explorerHandler())
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1500, 1000))
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
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	cell := `#matrix td[data-i="type1"][data-r="type4"]`
	do("loading the page", chromedp.Navigate(srv.URL+"/"))
	do("waiting for the matrix", chromedp.WaitVisible(cell))
	do("clicking type1 → type4", chromedp.Click(cell))
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
	for i := 0; i < 3; i++ {
		do("stepping", chromedp.Click(`#next`))
	}
	if cmd := text(`#cmd-explain`); !strings.Contains(cmd, "--policy-receiver") {
		t.Errorf("the CLI line %q does not reproduce the change", cmd)
	}
	shot("explorer-type1-type4-changed.png")
	// Switch the matrix to the real-server presets and open a cell.
	do("choosing the real servers", chromedp.SetValue(`#server-set`, "real"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("server-set").dispatchEvent(new Event("change")); true`)); err != nil {
		t.Fatal(err)
	}
	real := `#matrix td[data-i="prosody-13"][data-r="ejabberd-25.08"]`
	do("waiting for the real-server matrix", chromedp.WaitVisible(real))
	do("clicking prosody-13 → ejabberd-25.08", chromedp.Click(real))
	poll("the prosody-13 → ejabberd-25.08 run", `document.getElementById("pair-title").textContent === "prosody-13.lit → ejabberd-25.08.lit"`)
	if cmd := text(`#matrix-cmd`); !strings.Contains(cmd, "--servers prosody-0.12,") {
		t.Errorf("the matrix CLI line %q does not name the presets", cmd)
	}
	shot("explorer-real-servers.png")
}
