package sweep

import (
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
)

// canSend is the sweep's "can send to" graph, read straight from the
// outcome matrix, as gonum's graph.Directed so that gonum's algorithms
// (topo.TarjanSCC finds the islands) run on it. It replaces a
// graph/simple.DirectedGraph built edge by edge: that container imports
// gonum/mat, which brings gonum's BLAS and LAPACK into the build — about 9%
// of what a first 'go run ./cmd/fedsim' compiles with an empty build cache
// — and runs gonum/mat's initialiser (443 allocations) at every start of
// every fedsim command, for a graph that is already a matrix of booleans.
//
// ok[i*n+j] says policy i reached policy j (any outcome but U); the
// diagonal is not an edge. Nodes are policy indexes, in order, so every
// iteration is deterministic (simple.DirectedGraph iterated its maps).
type canSend struct {
	ok []bool
	n  int
}

// policyNode is a policy's index as a graph node.
type policyNode int64

func (p policyNode) ID() int64 { return int64(p) }

// sendEdge is the edge from one policy to another.
type sendEdge struct{ from, to policyNode }

func (e sendEdge) From() graph.Node         { return e.from }
func (e sendEdge) To() graph.Node           { return e.to }
func (e sendEdge) ReversedEdge() graph.Edge { return sendEdge{e.to, e.from} }

func (g canSend) has(id int64) bool { return id >= 0 && id < int64(g.n) }

// Node returns the node with the id, nil when there is none.
func (g canSend) Node(id int64) graph.Node {
	if !g.has(id) {
		return nil
	}
	return policyNode(id)
}

// Nodes returns every policy, in index order.
func (g canSend) Nodes() graph.Nodes {
	nodes := make([]graph.Node, g.n)
	for i := range nodes {
		nodes[i] = policyNode(i)
	}
	return iterator.NewOrderedNodes(nodes)
}

// HasEdgeFromTo says whether policy u reached policy v.
func (g canSend) HasEdgeFromTo(u, v int64) bool {
	return u != v && g.has(u) && g.has(v) && g.ok[u*int64(g.n)+v]
}

// HasEdgeBetween says whether either reached the other.
func (g canSend) HasEdgeBetween(x, y int64) bool {
	return g.HasEdgeFromTo(x, y) || g.HasEdgeFromTo(y, x)
}

// Edge returns the edge from u to v, nil when u did not reach v.
func (g canSend) Edge(u, v int64) graph.Edge {
	if !g.HasEdgeFromTo(u, v) {
		return nil
	}
	return sendEdge{policyNode(u), policyNode(v)}
}

// From returns the policies id reached, in index order.
func (g canSend) From(id int64) graph.Nodes { return g.neighbours(id, false) }

// To returns the policies that reached id, in index order.
func (g canSend) To(id int64) graph.Nodes { return g.neighbours(id, true) }

func (g canSend) neighbours(id int64, to bool) graph.Nodes {
	if !g.has(id) {
		return graph.Empty
	}
	var nodes []graph.Node
	for j := int64(0); j < int64(g.n); j++ {
		if (!to && g.HasEdgeFromTo(id, j)) || (to && g.HasEdgeFromTo(j, id)) {
			nodes = append(nodes, policyNode(j))
		}
	}
	if len(nodes) == 0 {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(nodes)
}

var _ graph.Directed = canSend{}
