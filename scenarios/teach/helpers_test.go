package teach

import (
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

func mustPreset(t *testing.T, name string) nodes.Policy {
	t.Helper()
	p, ok := nodes.PresetByName(name)
	if !ok {
		t.Fatalf("no preset %s", name)
	}
	return p.Policy
}
