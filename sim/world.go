package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// Epoch is the instant every simulation starts at. Certificates carry real
// validity dates, so virtual time is anchored to a real calendar instant
// rather than to zero; it is fixed so that runs are reproducible.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Time is virtual time: nanoseconds since Epoch.
type Time int64

// Duration re-exports time.Duration for virtual intervals.
type Duration = time.Duration

// Std converts virtual time to a calendar instant (for certificate checks).
func (t Time) Std() time.Time { return Epoch.Add(time.Duration(t)) }

// String prints virtual time as seconds with millisecond precision, the unit
// transcripts use ("+0.030s").
func (t Time) String() string {
	return fmt.Sprintf("+%d.%03ds", int64(t)/1e9, (int64(t)%1e9)/1e6)
}

// Handler receives the events it scheduled. The two integer arguments are
// the handler's own (a connection id and a direction, a timer id, ...): the
// kernel never looks at them.
type Handler interface {
	HandleEvent(w *World, a, b int64)
}

// entry is what the heap orders: 16 bytes, four to a cache line, so that a
// node's four children are compared within one line. key is the insertion
// sequence shifted left by slotBits, with the payload's slot in the low
// bits: ordering by key is ordering by sequence, since sequences are unique.
type entry struct {
	at  Time
	key uint64
}

const (
	slotBits = 24 // up to 16M events pending at once
	slotMask = 1<<slotBits - 1
)

func (e *entry) before(o *entry) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.key < o.key
}

// b2i is 1 for true: the compiler turns it into a flag move, no branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lessIdx is before without branches: the comparisons in a heap walk are
// unpredictable, and a mispredicted branch costs more than the arithmetic.
func lessIdx(a, b *entry) int {
	return b2i(a.at < b.at) | b2i(a.at == b.at)&b2i(a.key < b.key)
}

// payload is the rest of an event, kept in a slab indexed by slot.
type payload struct {
	h     Handler
	a, b  int64
	timer int32
	gen   uint32
}

// TimerID names a cancellable timer. The zero value is no timer.
type TimerID struct {
	slot int32
	gen  uint32
}

// Valid reports whether id names a timer (armed, fired or cancelled).
func (id TimerID) Valid() bool { return id.slot != 0 }

// World is the simulation: clock, queue, random source and trace.
// It is not safe for concurrent use: one goroutine owns it.
type World struct {
	now  Time
	seq  uint64
	heap []entry
	// payloads holds the events' handlers and arguments; free lists the
	// slots that can be reused.
	payloads []payload
	free     []uint32
	live     int // events in the heap that will fire (not cancelled)

	// timer slots; slot 0 is unused so that TimerID{} is "no timer".
	timerGen  []uint32
	timerLive []bool
	freeSlots []int32

	seed uint64
	rng  *rand.Rand

	// Trace receives every record; nil disables tracing (benchmarks).
	Trace *Trace

	// Processed counts dispatched events (for --stats).
	Processed uint64

	touch Time // keeps pop's early loads from being optimised away
}

// New returns a world at Epoch whose randomness derives from seed only.
func New(seed uint64) *World {
	return &World{
		seed:      seed,
		rng:       rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		timerGen:  []uint32{0},
		timerLive: []bool{false},
		Trace:     &Trace{},
	}
}

// Now is the current virtual time.
func (w *World) Now() Time { return w.now }

// Seed is the master seed the world was created with.
func (w *World) Seed() uint64 { return w.seed }

// Rand is the world's own random source. Prefer Stream for anything whose
// draws must not shift when another subsystem draws more or fewer numbers.
func (w *World) Rand() *rand.Rand { return w.rng }

// Stream returns a random source derived from the master seed and name
// alone, so that, say, the stream ids one server draws do not depend on how
// many numbers the network's fragmenter drew before.
func (w *World) Stream(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(w.seed, h.Sum64()))
}

// Pending is the number of events that will still fire.
func (w *World) Pending() int { return w.live }

// At schedules h.HandleEvent(w, a, b) at virtual time t (not before now).
func (w *World) At(t Time, h Handler, a, b int64) {
	if t < w.now {
		t = w.now
	}
	w.push(t, payload{h: h, a: a, b: b})
}

// After schedules h.HandleEvent(w, a, b) d after now.
func (w *World) After(d Duration, h Handler, a, b int64) {
	w.At(w.now+Time(d), h, a, b)
}

// Timer schedules a cancellable event d after now.
func (w *World) Timer(d Duration, h Handler, a, b int64) TimerID {
	var slot int32
	if n := len(w.freeSlots); n > 0 {
		slot = w.freeSlots[n-1]
		w.freeSlots = w.freeSlots[:n-1]
	} else {
		slot = int32(len(w.timerGen))
		w.timerGen = append(w.timerGen, 0)
		w.timerLive = append(w.timerLive, false)
	}
	w.timerLive[slot] = true
	gen := w.timerGen[slot]
	w.push(w.now+Time(d), payload{h: h, a: a, b: b, timer: slot, gen: gen})
	return TimerID{slot: slot, gen: gen}
}

// Cancel stops a timer that has not fired. Cancelling a fired, cancelled or
// zero timer does nothing. It reports whether a pending timer was stopped.
func (w *World) Cancel(id TimerID) bool {
	if id.slot <= 0 || int(id.slot) >= len(w.timerGen) {
		return false
	}
	if w.timerGen[id.slot] != id.gen || !w.timerLive[id.slot] {
		return false
	}
	w.timerLive[id.slot] = false
	w.live--
	if dead := len(w.heap) - heapPad - w.live; dead > compactMin && dead > 2*w.live {
		w.compact()
	}
	return true
}

// compactMin is the number of cancelled timers a heap may carry before
// Cancel considers compacting it.
const compactMin = 1024

// compact drops cancelled timers from the heap and rebuilds it. Cancelled
// timers are otherwise left in place until they come due (Step skips
// them), which is cheap per cancel but lets them pile up: in a federation
// of thousands of streams, each arming negotiation and verification
// deadlines that are nearly always cancelled, the heap held ~90,000
// entries for fewer than a hundred live events, and every push and pop
// walked the deep heap through cache misses. Compacting when the dead
// outnumber the live two to one costs O(n) per n/3 cancels: O(1)
// amortised. The order of events does not change: it is fixed by (time,
// sequence), which is unique, not by where entries sit in the heap.
func (w *World) compact() {
	h := w.heap[heapPad:]
	k := 0
	for _, e := range h {
		slot := uint32(e.key & slotMask)
		p := &w.payloads[slot]
		if t := p.timer; t != 0 && (w.timerGen[t] != p.gen || !w.timerLive[t]) {
			if w.timerGen[t] == p.gen {
				w.retire(t)
			}
			*p = payload{}
			w.free = append(w.free, slot)
			continue
		}
		h[k] = e
		k++
	}
	clear(h[k:])
	w.heap = w.heap[:heapPad+k]
	// Floyd's construction: sift down every parent, the last first. (With
	// fewer than two entries there is no parent; note that (k-2)/4 would
	// be 0, not -1, for k = 0 or 1.)
	for i := (k - 2) / 4; k > 1 && i >= 0; i-- {
		w.down(i)
	}
}

// down moves logical node i towards the leaves (heap construction).
func (w *World) down(i int) {
	h := w.heap[heapPad:]
	n := len(h)
	e := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if h[j].before(&h[m]) {
				m = j
			}
		}
		if !h[m].before(&e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}

func (w *World) push(t Time, p payload) {
	var slot uint32
	if n := len(w.free); n > 0 {
		slot = w.free[n-1]
		w.free = w.free[:n-1]
		w.payloads[slot] = p
	} else {
		slot = uint32(len(w.payloads))
		if slot > slotMask {
			panic("sim: more than 16M events pending")
		}
		w.payloads = append(w.payloads, p)
	}
	w.seq++
	w.live++
	if w.heap == nil {
		w.heap = make([]entry, heapPad, 64)
	}
	w.heap = append(w.heap, entry{at: t, key: w.seq<<slotBits | uint64(slot)})
	w.up(len(w.heap) - 1 - heapPad)
}

// The queue is a 4-ary heap: shallower than a binary heap, so fewer cache
// lines are touched per operation. Logical node j lives at w.heap[j+heapPad]
// and its children are 4j+1 … 4j+4, which sit at physical 4(j+1) … 4(j+1)+3:
// with 16-byte entries the four siblings share one 64-byte cache line
// (large slices are allocated page-aligned).
const heapPad = 3

// up moves logical node i towards the root.
func (w *World) up(i int) {
	h := w.heap[heapPad:]
	e := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// pop removes the earliest event and frees its payload slot. The caller
// guarantees the heap is not empty.
//
// It sifts bottom-up (Wegener's bottom-up heapsort): the hole left at the
// root walks down to a leaf along the smallest children, and only then does
// the last element, which usually belongs near the bottom anyway, climb back
// up from there. That saves most comparisons against the moved element.
func (w *World) pop() (Time, payload) {
	h := w.heap[heapPad:]
	top := h[0]
	// Load the payload first: it was written when the event was pushed,
	// long ago, and is likely out of the cache; issued before the sift,
	// the load overlaps it instead of following it.
	slot := uint32(top.key & slotMask)
	p := w.payloads[slot]
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	w.heap = w.heap[:heapPad+n]
	var touch Time
	if n > 0 {
		i := 0
		for {
			c := 4*i + 1
			if c+3 < n {
				// All four children exist: pick the least without a loop.
				g := h[c : c+4 : c+4]
				if gc := 4*c + 1; gc+15 < n {
					// Touch the four children's children (four lines) now:
					// the next step needs one of them, and the loads run
					// while this step compares.
					touch ^= h[gc].at ^ h[gc+4].at ^ h[gc+8].at ^ h[gc+12].at
				}
				m := lessIdx(&g[1], &g[0])
				m2 := 2 + lessIdx(&g[3], &g[2])
				m += (m2 - m) * lessIdx(&g[m2], &g[m])
				h[i] = g[m]
				i = c + m
				continue
			}
			if c >= n {
				break
			}
			m := c
			for j := c + 1; j < n; j++ {
				if h[j].before(&h[m]) {
					m = j
				}
			}
			h[i] = h[m]
			i = m
		}
		h[i] = last
		w.up(i)
	}
	w.touch = touch
	// The slot's handler reference is left in place: the free list is
	// last-in first-out, so the next push overwrites it at once, and a
	// quiescent world lets all slots go (dropCancelled).
	w.free = append(w.free, slot)
	return top.at, p
}

// Step dispatches the next live event. It reports false when none is left
// or the next one is after deadline.
func (w *World) Step(deadline Time) bool {
	for len(w.heap) > heapPad {
		if w.heap[heapPad].at > deadline {
			return false
		}
		at, e := w.pop()
		if e.timer != 0 {
			if w.timerGen[e.timer] != e.gen || !w.timerLive[e.timer] {
				// cancelled: its live count was already taken back.
				if w.timerGen[e.timer] == e.gen {
					w.retire(e.timer)
				}
				continue
			}
			w.timerLive[e.timer] = false
			w.retire(e.timer)
		}
		w.live--
		w.now = at
		w.Processed++
		e.h.HandleEvent(w, e.a, e.b)
		return true
	}
	return false
}

// retire frees a timer slot for reuse with a new generation.
func (w *World) retire(slot int32) {
	w.timerGen[slot]++
	w.freeSlots = append(w.freeSlots, slot)
}

// Forever is a deadline that is never reached.
const Forever = Time(1<<63 - 1)

// Run dispatches events until none is left (the world is quiescent) or the
// next one is due after deadline; virtual time then stands at the last
// dispatched event, or at deadline if it was reached with events pending.
// It returns the number of events dispatched.
func (w *World) Run(deadline Time) int {
	n := 0
	for w.Step(deadline) {
		n++
	}
	if w.live > 0 && deadline != Forever && w.now < deadline {
		w.now = deadline
	}
	if w.live == 0 {
		w.dropCancelled()
	}
	return n
}

// dropCancelled empties a heap that holds only cancelled timers (the world
// is quiescent): they would otherwise keep their handlers, and what those
// point to, alive until their time came.
func (w *World) dropCancelled() {
	if len(w.heap) > heapPad {
		w.compact() // every entry is a cancelled timer: all go
	}
	// Nothing is pending, so no slot is in use: drop them all, with the
	// handler references popped events left behind.
	clear(w.payloads)
	w.payloads, w.free = w.payloads[:0], w.free[:0]
}

// RunFor runs for d of virtual time from now.
func (w *World) RunFor(d Duration) int { return w.Run(w.now + Time(d)) }
