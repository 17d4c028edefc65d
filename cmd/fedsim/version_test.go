package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersion builds fedsim with the VCS stamp forced on (the CI
// environment may set -buildvcs=false) and checks that 'fedsim version'
// reports this module and the worktree's commit.
func TestVersion(t *testing.T) {
	if _, _, code := runCLI("version", "extra"); code != exitUsage {
		t.Errorf("fedsim version extra: exit %d, want %d", code, exitUsage)
	}
	out, errs, code := runCLI("version")
	if code != 0 || !strings.HasPrefix(out, "fedsim ") || !strings.Contains(out, "  go        go") {
		t.Fatalf("fedsim version: exit %d\n%s%s", code, out, errs)
	}
	if testing.Short() {
		t.Skip("-short: not building a stamped binary")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git: no VCS stamp to check")
	}
	// The go command stamps only a checkout whose .git is a folder (a
	// clone), not a git worktree's .git file (cmd/go/internal/vcs).
	if fi, err := os.Stat(filepath.Join("..", "..", ".git")); err != nil || !fi.IsDir() {
		t.Skip("not a clone (a git worktree, or no .git): the go command stamps no VCS revision here")
	}
	head, err := exec.Command(git, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout (%v): no VCS stamp to check", err)
	}
	bin := filepath.Join(t.TempDir(), "fedsim")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, b)
	}
	b, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	rev := strings.TrimSpace(string(head))
	if !strings.Contains(string(b), "module    github.com/fedsim/fedsim ") || !strings.Contains(string(b), "revision  "+rev) ||
		!strings.Contains(strings.SplitN(string(b), "\n", 2)[0], rev[:12]) {
		t.Fatalf("fedsim version of a build at %s:\n%s", rev, b)
	}
}
