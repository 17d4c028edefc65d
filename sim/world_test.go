package sim

import (
	"container/heap"
	"testing"
	"time"
)

type recorder struct{ got []int64 }

func (r *recorder) HandleEvent(w *World, a, b int64) { r.got = append(r.got, a) }

func TestOrderByTimeThenInsertion(t *testing.T) {
	w := New(1)
	r := &recorder{}
	w.After(20*time.Millisecond, r, 3, 0)
	w.After(10*time.Millisecond, r, 1, 0)
	w.After(10*time.Millisecond, r, 2, 0) // same time: after 1, inserted later
	w.After(0, r, 0, 0)
	if n := w.Run(Forever); n != 4 {
		t.Fatalf("dispatched %d events, want 4", n)
	}
	want := []int64{0, 1, 2, 3}
	for i := range want {
		if r.got[i] != want[i] {
			t.Fatalf("order %v, want %v", r.got, want)
		}
	}
	if w.Now() != Time(20*time.Millisecond) {
		t.Fatalf("now = %v, want +0.020s", w.Now())
	}
}

func TestCancelledTimerDoesNotFireOrKeepWorldBusy(t *testing.T) {
	w := New(1)
	r := &recorder{}
	id := w.Timer(time.Hour, r, 9, 0)
	w.After(time.Millisecond, r, 1, 0)
	if !w.Cancel(id) {
		t.Fatal("Cancel of a pending timer returned false")
	}
	if w.Cancel(id) {
		t.Fatal("second Cancel returned true")
	}
	if w.Pending() != 1 {
		t.Fatalf("Pending = %d, want 1", w.Pending())
	}
	w.Run(Forever)
	if len(r.got) != 1 || r.got[0] != 1 {
		t.Fatalf("fired %v, want [1]", r.got)
	}
	// Quiescent at the last live event, not at the cancelled timer's time.
	if w.Now() != Time(time.Millisecond) {
		t.Fatalf("now = %v", w.Now())
	}
	// A fired timer cannot be cancelled, and its slot is reused safely.
	id2 := w.Timer(time.Second, r, 2, 0)
	w.Run(Forever)
	if w.Cancel(id2) {
		t.Fatal("Cancel of a fired timer returned true")
	}
	id3 := w.Timer(time.Second, r, 3, 0)
	if w.Cancel(id2) {
		t.Fatal("stale id cancelled a reused slot")
	}
	_ = id3
	w.Run(Forever)
	if got := r.got[len(r.got)-1]; got != 3 {
		t.Fatalf("reused-slot timer did not fire: %v", r.got)
	}
}

func TestRunStopsAtDeadline(t *testing.T) {
	w := New(1)
	r := &recorder{}
	w.After(time.Second, r, 1, 0)
	w.After(3*time.Second, r, 2, 0)
	w.Run(Time(2 * time.Second))
	if len(r.got) != 1 || w.Now() != Time(2*time.Second) {
		t.Fatalf("got %v at %v", r.got, w.Now())
	}
	w.Run(Forever)
	if len(r.got) != 2 {
		t.Fatalf("got %v", r.got)
	}
}

func TestStreamsAreIndependentAndSeeded(t *testing.T) {
	a, b := New(7), New(7)
	a.Rand().Uint64() // drawing from one source must not shift a named stream
	if a.Stream("dns").Uint64() != b.Stream("dns").Uint64() {
		t.Fatal("named stream depends on other draws")
	}
	if New(7).Stream("x").Uint64() == New(8).Stream("x").Uint64() {
		t.Fatal("different seeds gave the same stream")
	}
	if New(7).Stream("x").Uint64() == New(7).Stream("y").Uint64() {
		t.Fatal("different names gave the same stream")
	}
}

type selfScheduler struct{ n int }

func (s *selfScheduler) HandleEvent(w *World, a, b int64) {
	s.n++
	w.After(time.Duration(1+a%7)*time.Microsecond, s, a+1, 0)
}

// The steady-state loop (pop one, push one, 10,000 pending) allocates nothing.
func TestDispatchDoesNotAllocate(t *testing.T) {
	w := New(1)
	w.Trace = nil
	s := &selfScheduler{}
	for i := 0; i < 10000; i++ {
		w.After(time.Duration(i)*time.Nanosecond, s, int64(i), 0)
	}
	for i := 0; i < 1000; i++ { // warm up
		w.Step(Forever)
	}
	allocs := testing.AllocsPerRun(1000, func() { w.Step(Forever) })
	if allocs != 0 {
		t.Fatalf("dispatch allocates %.1f times per event", allocs)
	}
}

// BenchmarkKernel: schedule + dispatch one event with 10,000 pending.
func BenchmarkKernel(b *testing.B) {
	w := New(1)
	w.Trace = nil
	s := &selfScheduler{}
	for i := 0; i < 10000; i++ {
		w.After(time.Duration(i)*time.Nanosecond, s, int64(i), 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Step(Forever)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// The same loop on container/heap with interface-boxed events: the baseline.
type boxedEvent struct {
	at, seq int64
	h       func(*boxedQueue, int64)
	a       int64
}
type boxedQueue struct {
	items []any
	seq   int64
	now   int64
}

func (q *boxedQueue) Len() int { return len(q.items) }
func (q *boxedQueue) Less(i, j int) bool {
	a, b := q.items[i].(*boxedEvent), q.items[j].(*boxedEvent)
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}
func (q *boxedQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *boxedQueue) Push(x any)    { q.items = append(q.items, x) }
func (q *boxedQueue) Pop() any {
	n := len(q.items) - 1
	x := q.items[n]
	q.items = q.items[:n]
	return x
}

func boxedHandler(q *boxedQueue, a int64) {
	q.seq++
	heap.Push(q, &boxedEvent{at: q.now + 1000*(1+a%7), seq: q.seq, h: boxedHandler, a: a + 1})
}

func BenchmarkKernelContainerHeap(b *testing.B) {
	q := &boxedQueue{}
	for i := 0; i < 10000; i++ {
		q.seq++
		heap.Push(q, &boxedEvent{at: int64(i), seq: q.seq, h: boxedHandler, a: int64(i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := heap.Pop(q).(*boxedEvent)
		q.now = e.at
		e.h(q, e.a)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
