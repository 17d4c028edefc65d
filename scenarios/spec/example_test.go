package spec_test

// These examples use the package as another module does (package
// spec_test imports github.com/fedsim/fedsim/scenarios/spec): the README
// shows the same code, and TestUseFromAnotherModule (external_test.go)
// compiles and runs it in a module of its own.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/scenarios/spec"
)

// Load a scenario, run it and read what held and what did not. Here the
// file is fedsim's starter (what 'fedsim new' writes) with one expectation
// changed, so one check fails with a diff.
func Example() {
	dir, _ := os.MkdirTemp("", "fedsim-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "capulet.yaml")
	data := strings.Replace(string(spec.Starter("capulet")), "montague.lit -> capulet.lit: T", "montague.lit -> capulet.lit: V", 1)
	os.WriteFile(path, []byte(data), 0o644)

	s, err := spec.Load(path) // a spec.Errors, each file:line:col: message, if the file is wrong
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := s.Run() // a fresh simulated world; the same seed gives the same run
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name, "passed:", res.Passed())
	for _, f := range res.Failures {
		// f.String() adds f.Diff, -want +got:
		//	  map[string]string{
		//	  	"capulet.lit -> montague.lit": "T",
		//	- 	"montague.lit -> capulet.lit": "V",
		//	+ 	"montague.lit -> capulet.lit": "T",
		//	  }
		fmt.Println(f.Check+":", f.Message)
	}
	// Output:
	// capulet passed: false
	// outcomes: negotiation outcomes differ (-want +got)
}

// In your own module's tests, every scenario file under a folder runs as
// a subtest (spec.RunFile runs one):
//
//	func TestFederation(t *testing.T) {
//		spec.RunDir(t, "testdata/scenarios", spec.Update(*update))
//	}
func ExampleRunDir() {
	// What a test function in your module holds; here it runs the
	// shipped XEP-0238 scenarios.
	test := func(t *testing.T) {
		spec.RunDir(t, filepath.Join("..", "xep0238"))
	}
	_ = test
}
