package spec

import (
	"path/filepath"
	"strings"
	"testing"
)

// Option tunes RunFile and RunDir.
type Option func(*options)

type options struct {
	update bool
	filter func(path, name string) bool
}

// Update rewrites golden transcripts instead of comparing them, as
// `fedsim test -update` does; wire it to a test flag:
//
//	var update = flag.Bool("update", false, "rewrite golden transcripts")
//	spec.RunDir(t, "testdata/scenarios", spec.Update(*update))
func Update(on bool) Option { return func(o *options) { o.update = on } }

// Select runs only the scenarios for which keep returns true (given the
// file path and the scenario's name).
func Select(keep func(path, name string) bool) Option {
	return func(o *options) { o.filter = keep }
}

// runner is what *testing.T has and testing.TB lacks: subtests.
type runner interface {
	Run(name string, f func(t *testing.T)) bool
}

// RunFile loads and runs one scenario file in a go test, reporting a load
// error or each failed expectation (with its diff, -want +got)
// through t. With a *testing.T it runs as a subtest named after the file.
func RunFile(t testing.TB, path string, opts ...Option) {
	t.Helper()
	runFile(t, path, testName(path), opts)
}

func runFile(t testing.TB, path, name string, opts []Option) {
	t.Helper()
	o := &options{}
	for _, f := range opts {
		f(o)
	}
	body := func(t testing.TB) {
		t.Helper()
		s, err := Load(path)
		if err != nil {
			t.Fatalf("loading scenario:\n%v", err)
			return
		}
		if o.filter != nil && !o.filter(path, s.Name) {
			t.Skip("not selected")
			return
		}
		res, err := s.Run()
		if err != nil {
			t.Fatalf("running %s: %v", path, err)
			return
		}
		if o.update {
			if err := res.UpdateTranscript(); err != nil {
				t.Fatal(err)
			}
			if res.Updated {
				t.Logf("updated %s", s.TranscriptPath())
			}
		}
		for _, f := range res.Failures {
			t.Errorf("%s: %s", s.Name, f)
		}
		if !res.Passed() {
			t.Logf("replay: %s", res.Replay())
		}
	}
	if r, ok := t.(runner); ok {
		r.Run(name, func(t *testing.T) { body(t) })
		return
	}
	body(t)
}

// RunDir runs every scenario file under dir (recursively), each as a
// subtest when t is a *testing.T.
func RunDir(t testing.TB, dir string, opts ...Option) {
	t.Helper()
	files, err := Find(dir)
	if err != nil {
		t.Fatal(err)
		return
	}
	if len(files) == 0 {
		t.Fatalf("no scenario files (*.yaml) under %s", dir)
		return
	}
	for _, f := range files {
		rel, err := filepath.Rel(dir, f)
		if err != nil {
			rel = f
		}
		runFile(t, f, testName(rel), opts)
	}
}

// testName is the subtest name for a file: its path without extension.
func testName(path string) string {
	return strings.TrimSuffix(filepath.ToSlash(path), filepath.Ext(path))
}
