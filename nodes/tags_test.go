package nodes

import "testing"

// TestTagTable: tags are never 0, a taken tag misses afterwards, and a
// reused slot's new tag differs from the old one, so a stale tag (a timer
// already cancelled) cannot find the slot's next occupant.
func TestTagTable(t *testing.T) {
	var tt tagTable
	a := tt.add(tagEntry{kind: tagRouteTimer})
	if a == 0 {
		t.Fatal("tag 0 handed out")
	}
	if e, ok := tt.take(a); !ok || e.kind != tagRouteTimer {
		t.Fatalf("take(%d) = %v, %v", a, e, ok)
	}
	if _, ok := tt.take(a); ok {
		t.Fatal("a tag was taken twice")
	}
	b := tt.add(tagEntry{kind: tagVerifyTimer})
	if slotOf(b) != slotOf(a) || b == a {
		t.Fatalf("slot not reused with a new generation: %x then %x", a, b)
	}
	if _, ok := tt.get(a); ok {
		t.Fatal("a stale tag found the slot's new occupant")
	}
	if e, ok := tt.get(b); !ok || e.kind != tagVerifyTimer {
		t.Fatal("the new tag misses")
	}
	for _, bad := range []int64{0, -1, 1 << 40} {
		if _, ok := tt.take(bad); ok {
			t.Fatalf("take(%d) found something", bad)
		}
	}
}
