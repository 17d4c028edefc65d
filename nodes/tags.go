package nodes

// tagTable maps the tags of a server's outstanding requests and timers to
// what they are for. A tag is a slot and a generation: slots are reused, so
// the table is only as large as the most requests ever pending at once and
// a lookup is an index rather than a map probe (a small gain in the large
// run, measured; none measurable per federation), while the generation
// makes a stale tag — a timer
// already cancelled, an answer after its timeout — miss instead of finding
// the slot's next occupant. Tags are never 0 (0 means "no tag").
type tagTable struct {
	slots []tagSlot
	free  []int32
}

type tagSlot struct {
	e    tagEntry
	gen  uint32
	live bool
}

// slotOf is the slot of a tag: a small integer, unique among the
// server's pending tags.
func slotOf(tag int64) int { return int(uint32(tag)) }

func (t *tagTable) add(e tagEntry) int64 {
	var i int32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		if t.slots == nil {
			t.slots = make([]tagSlot, 0, 8) // a negotiation holds a handful at once
		}
		i = int32(len(t.slots))
		t.slots = append(t.slots, tagSlot{})
	}
	sl := &t.slots[i]
	sl.gen++
	sl.e, sl.live = e, true
	return int64(sl.gen)<<32 | int64(i)
}

// get finds a live tag's entry.
func (t *tagTable) get(tag int64) (*tagEntry, bool) {
	i := slotOf(tag)
	if tag <= 0 || i >= len(t.slots) {
		return nil, false
	}
	sl := &t.slots[i]
	if !sl.live || sl.gen != uint32(tag>>32) {
		return nil, false
	}
	return &sl.e, true
}

// take removes a live tag and returns its entry.
func (t *tagTable) take(tag int64) (tagEntry, bool) {
	e, ok := t.get(tag)
	if !ok {
		return tagEntry{}, false
	}
	v := *e
	sl := &t.slots[slotOf(tag)]
	sl.e, sl.live = tagEntry{}, false
	t.free = append(t.free, int32(slotOf(tag)))
	return v, true
}
