package sim

import (
	"container/heap"
	"testing"
	"time"
)

// selfScheduler is a handler that schedules its successor: the steady
// state of a busy simulation.
type selfScheduler struct{ n int }

func (s *selfScheduler) HandleEvent(w *World, a, b int64) {
	s.n++
	w.After(time.Duration(1+a%7)*time.Microsecond, s, a+1, 0)
}

// BenchKernel measures schedule + dispatch of one event with 10,000 pending
// (fedsim bench and BenchmarkKernel run it).
func BenchKernel(b *testing.B) {
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

// BenchKernelContainerHeap is the same loop on container/heap with
// interface-boxed events: the baseline BenchKernel is compared with.
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

func BenchKernelContainerHeap(b *testing.B) {
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
