package nodes

import "github.com/fedsim/fedsim/nodes/xmlstream"

// Arena hands out the byte slices servers serialise their output into,
// carved from shared chunks. Every XML unit a server writes is kept by the
// network until it is delivered, so each used to be an allocation of its
// own (sized for the largest element); carving them from a chunk makes a
// few dozen writes one allocation. A chunk lives while any unit cut from it
// is still in flight.
//
// The Arena also holds the slice the effects of one input are collected
// in (an Effect is about 400 bytes, its note's Text included, and a
// server's own slice grew afresh in every new server). The slice an input
// method returns is reused by the next input to any server sharing the
// arena, so it must be consumed first — which the world does, carrying
// out each input's effects before the next event.
//
// One world's servers can share an Arena (Server.Arena): they run on one
// goroutine. A server without one gets its own.
type Arena struct {
	chunk   []byte
	effects []Effect
}

const (
	arenaChunk = 16 << 10
	// arenaSlack is the free space below which a new chunk is started, so
	// that an element rarely outgrows the chunk it starts in.
	arenaSlack = 512
)

// appendWith calls f with an empty slice whose capacity is the chunk's free
// space, and returns what f appended, cut off (cap == len) so that nobody's
// append can run into the next unit. If f outgrew the free space, append
// has moved its result to a fresh array, which is returned as it is.
func (a *Arena) appendWith(f func([]byte) []byte) []byte {
	if cap(a.chunk)-len(a.chunk) < arenaSlack {
		a.chunk = make([]byte, 0, arenaChunk)
	}
	start := len(a.chunk)
	free := cap(a.chunk) - start
	b := f(a.chunk[start:start])
	if len(b) > free {
		return b // reallocated by append: not in the chunk
	}
	a.chunk = a.chunk[:start+len(b)]
	return b[:len(b):len(b)]
}

// element serialises el.
func (a *Arena) element(el *xmlstream.Element) []byte {
	return a.appendWith(el.AppendXML)
}

// bytes copies s.
func (a *Arena) bytes(s string) []byte {
	return a.appendWith(func(b []byte) []byte { return append(b, s...) })
}
