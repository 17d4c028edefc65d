package main

import (
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// topLevel is the design card's list of top-level folders: the four layers
// (sim, nodes, network, dns), the one command, the scenarios built on them,
// and CI, documents and test data. A package anywhere else (internal/,
// pkg/, util/) is a layer nobody designed; its code belongs with its users.
var topLevel = map[string]bool{
	"sim": true, "nodes": true, "network": true, "dns": true, "cmd": true, "scenarios": true,
	".ci": true, "docs": true, "testdata": true,
}

// TestLayoutFollowsTheDesignCard fails when a Go package lives outside the
// folders the design card allows (internal/buildinfo did, until it moved
// into this command, its only user), when cmd/ holds another command than
// fedsim, or when the repository tracks files in another top-level folder.
func TestLayoutFollowsTheDesignCard(t *testing.T) {
	root := filepath.Join("..", "..")
	packages := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir // .git, .ci, and Go's own ignored testdata
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		parts := strings.Split(filepath.ToSlash(filepath.Dir(rel)), "/")
		switch {
		case parts[0] == ".":
			t.Errorf("%s: a Go file at the repository's root; the card allows packages only under its folders", rel)
		case !topLevel[parts[0]] || parts[0] == "docs" || parts[0] == "testdata":
			t.Errorf("%s: package folder %s/ is not one the design card allows (sim, nodes, network, dns, cmd/fedsim, scenarios)", rel, parts[0])
		case parts[0] == "cmd" && (len(parts) < 2 || parts[1] != "fedsim"):
			t.Errorf("%s: cmd/ holds only cmd/fedsim, the one command", rel)
		}
		packages++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if packages == 0 {
		t.Fatalf("no Go files found under %s", root)
	}

	// Folders without Go files: what git tracks at the top (a folder the
	// user made, like out/, is not the repository's).
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git: tracked top-level folders not checked")
	}
	cmd := exec.Command(git, "ls-files")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a clone?): tracked top-level folders not checked", err)
	}
	var bad []string
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if top, _, isDir := strings.Cut(f, "/"); isDir && !topLevel[top] && !slices.Contains(bad, top) {
			bad = append(bad, top)
		}
	}
	for _, top := range bad {
		t.Errorf("the repository tracks files under %s/, a top-level folder the design card does not allow", top)
	}
}
