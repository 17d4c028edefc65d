package nodes

import (
	"bytes"
	"strings"
	"testing"
)

// TestArenaUnits: units carved from the arena keep their bytes however
// many follow, cannot be appended into a neighbour (cap == len), and a
// unit bigger than the chunk's free space gets its own array.
func TestArenaUnits(t *testing.T) {
	var a Arena
	var units [][]byte
	var want []string
	for i := 0; i < 200; i++ {
		s := strings.Repeat(string(rune('a'+i%26)), 1+i*7%300)
		units = append(units, a.bytes(s))
		want = append(want, s)
	}
	big := strings.Repeat("z", 3*arenaChunk)
	units = append(units, a.bytes(big))
	want = append(want, big)
	units = append(units, a.bytes("after"))
	want = append(want, "after")
	for i, u := range units {
		if cap(u) != len(u) {
			t.Fatalf("unit %d: cap %d, len %d", i, cap(u), len(u))
		}
		_ = append(u, '!') // must not write into the next unit
	}
	for i, u := range units {
		if string(u) != want[i] {
			t.Fatalf("unit %d changed: %q...", i, u[:min(len(u), 20)])
		}
	}
	if !bytes.Equal(units[len(units)-1], []byte("after")) {
		t.Fatal("the unit after an oversized one is wrong")
	}
}
