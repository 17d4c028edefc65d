package spec_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/scenarios/spec"
)

// TestUseFromAnotherModule does what the README tells a user to do: a
// module of their own (example.com/federation) requires
// github.com/fedsim/fedsim — here replaced by this checkout, so the test
// needs no network — and its test is the README's code, taken from the
// README itself, running a scenario file through spec.RunDir: go test
// must pass in that module. (That a failed expectation fails the test
// through testing.TB is TestRunFileReportsThroughTB's.)
func TestUseFromAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and tests a module of its own")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	code := indentedBlock(string(readme), "package federation_test")
	if code == "" || !strings.Contains(code, `"github.com/fedsim/fedsim/scenarios/spec"`) {
		t.Fatalf("README.md has no indented Go block starting 'package federation_test' that imports the spec package:\n%s", code)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := ""
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "go "); ok {
				goVersion = v
			}
		}
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                          "module example.com/federation\n\ngo " + goVersion + "\n\nrequire github.com/fedsim/fedsim v0.0.0\n\nreplace github.com/fedsim/fedsim => " + root + "\n",
		"go.sum":                          string(sum),
		"federation_test.go":              code,
		"testdata/scenarios/capulet.yaml": string(spec.Starter("capulet")),
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goTest := func() (string, error) {
		cmd := exec.Command("go", "test", "-count=1", "-v", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := goTest()
	if err != nil || !strings.Contains(out, "--- PASS: TestFederation/capulet") {
		t.Fatalf("go test in a module that imports fedsim: %v\n%s", err, out)
	}
}

// indentedBlock returns the README's indented code block that starts with
// the line first, without its four-space indent.
func indentedBlock(readme, first string) string {
	lines := strings.Split(readme, "\n")
	for i, l := range lines {
		if l != "    "+first {
			continue
		}
		var b strings.Builder
		for _, l := range lines[i:] {
			if l != "" && !strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "\t") {
				break
			}
			b.WriteString(strings.TrimPrefix(l, "    ") + "\n")
		}
		return strings.TrimRight(b.String(), "\n") + "\n"
	}
	return ""
}
