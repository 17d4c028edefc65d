package sweep

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
)

// components gives TarjanSCC's components as sorted lists of ids, sorted,
// so that two graphs' answers compare whatever order each iterates in.
func components(g graph.Directed) [][]int64 {
	var out [][]int64
	for _, c := range topo.TarjanSCC(g) {
		var ids []int64
		for _, nd := range c {
			ids = append(ids, nd.ID())
		}
		slices.Sort(ids)
		out = append(out, ids)
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i], out[j]) < 0 })
	return out
}

// TestCanSendIsTheSimpleGraph checks the matrix-backed graph against the
// graph/simple.DirectedGraph Analyse used to build edge by edge: the same
// islands (strongly connected components) and the same edges, on random
// outcome matrices from sparse to dense, diagonal included (never an edge).
func TestCanSendIsTheSimpleGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(40)
		density := rng.Float64()
		ok := make([]bool, n*n)
		s := simple.NewDirectedGraph()
		for i := 0; i < n; i++ {
			s.AddNode(simple.Node(i))
		}
		for k := range ok {
			ok[k] = rng.Float64() < density*density
			if i, j := k/n, k%n; ok[k] && i != j {
				s.SetEdge(s.NewEdge(simple.Node(i), simple.Node(j)))
			}
		}
		g := canSend{ok, n}
		if got, want := components(g), components(s); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("trial %d (n=%d): islands %v, simple.DirectedGraph's %v", trial, n, got, want)
		}
		for u := int64(-1); u <= int64(n); u++ {
			for v := int64(-1); v <= int64(n); v++ {
				if g.HasEdgeFromTo(u, v) != s.HasEdgeFromTo(u, v) || g.HasEdgeBetween(u, v) != s.HasEdgeBetween(u, v) ||
					(g.Edge(u, v) == nil) != (s.Edge(u, v) == nil) {
					t.Fatalf("trial %d: edge %d->%d differs from simple.DirectedGraph's", trial, u, v)
				}
			}
			if u >= 0 && u < int64(n) && (g.From(u).Len() != s.From(u).Len() || g.To(u).Len() != s.To(u).Len()) {
				t.Fatalf("trial %d: node %d has %d/%d neighbours, simple.DirectedGraph %d/%d", trial, u,
					g.From(u).Len(), g.To(u).Len(), s.From(u).Len(), s.To(u).Len())
			}
		}
	}
}
