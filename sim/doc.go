// Package sim is fedsim's deterministic discrete-event kernel.
//
// One World owns one virtual clock, one event queue and one seeded random
// source; everything that happens in a simulation — a byte segment arriving,
// a timer firing, a DNS answer — is an event in that queue, ordered by
// (virtual time, insertion sequence). Nothing here reads the wall clock,
// starts a goroutine or uses a global random source, so the same scenario
// and seed always produce the same sequence of events and therefore the same
// Trace, byte for byte.
//
// The design follows the deterministic simulation testers fedsim learns from
// (FoundationDB, TigerBeetle's VOPR, madsim): a single thread, virtual time,
// one master seed from which named random streams are derived, and a trace
// whose hash proves a run was replayed exactly.
//
// The queue is typed: an event is a 16-byte heap entry (time; sequence and
// slot) whose handler and two integer arguments wait in a slab, kept in a
// 4-ary heap of values. Scheduling and dispatching do not box payloads in
// interfaces or allocate once the heap has grown to its working size;
// handlers keep their own payloads (for example the network keeps each
// connection's byte segments in FIFO order) and the event only says whose
// turn it is.
package sim
