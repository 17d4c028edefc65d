package nodes

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsOnlyLeaves pins what package nodes (its non-test files)
// depends on, directly or through other packages: the server is a pure
// state machine, so it may use leaf packages (dns, network/ca,
// network/transport, its own sub-packages) but nothing of the simulator —
// not the network, not the sim kernel, not the worlds built on them. A
// transport over real sockets must be able to drive it without them.
func TestImportsOnlyLeaves(t *testing.T) {
	// go test puts its own GOROOT/bin first on the PATH of the test binary
	// (since Go 1.19), so this is the go command that is running the test.
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	// One line per dependency: its import path, then what it imports.
	out, err := exec.Command(gocmd, "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/fedsim/fedsim/nodes").Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list -deps github.com/fedsim/fedsim/nodes: %v\n%s", err, msg)
	}
	forbidden := func(p string) bool {
		return p == "github.com/fedsim/fedsim/network" || p == "github.com/fedsim/fedsim/sim" || strings.HasPrefix(p, "github.com/fedsim/fedsim/sim/") ||
			p == "github.com/fedsim/fedsim/scenarios" || strings.HasPrefix(p, "github.com/fedsim/fedsim/scenarios/") || strings.HasPrefix(p, "github.com/fedsim/fedsim/cmd/")
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "github.com/fedsim/fedsim/nodes" {
			found = true
		}
		for _, imp := range f[1:] {
			if forbidden(imp) && !forbidden(f[0]) {
				t.Errorf("package nodes depends on %s (imported by %s): nodes must import only leaf packages; "+
					"a type it shares with the transport belongs in github.com/fedsim/fedsim/network/transport, not in the simulator", imp, f[0])
			}
		}
	}
	if !found {
		t.Fatalf("go list -deps github.com/fedsim/fedsim/nodes did not list github.com/fedsim/fedsim/nodes:\n%s", out)
	}
}
