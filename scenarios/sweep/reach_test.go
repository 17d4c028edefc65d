package sweep

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/graph/simple"
)

// reachByWalk is the obvious reachability count reachCounts replaced: a
// breadth-first walk over a gonum graph's edges, one by one.
func reachByWalk(ok []bool, n int) []int {
	g := simple.NewDirectedGraph()
	for i := 0; i < n; i++ {
		g.AddNode(simple.Node(i))
	}
	for k, yes := range ok {
		if i, j := k/n, k%n; yes && i != j {
			g.SetEdge(g.NewEdge(simple.Node(i), simple.Node(j)))
		}
	}
	out := make([]int, n)
	for i := 0; i < n; i++ {
		visited := make([]bool, n)
		queue := []int{i}
		visited[i] = true
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			to := g.From(int64(u))
			var next []int
			for to.Next() {
				next = append(next, int(to.Node().ID()))
			}
			sort.Ints(next)
			for _, v := range next {
				if !visited[v] {
					visited[v] = true
					queue = append(queue, v)
				}
			}
		}
		for v, seen := range visited {
			if seen && v != i {
				out[i]++
			}
		}
	}
	return out
}

// The bit-row walk counts what the edge-by-edge walk counts, on random
// graphs from empty to complete, across word boundaries (n = 1 … 130),
// with self-loops present in ok (a policy federating with itself is no
// edge).
func TestReachCountsMatchesTheWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 4))
	for _, n := range []int{1, 2, 3, 63, 64, 65, 127, 130} {
		for _, density := range []float64{0, 0.01, 0.03, 0.1, 0.5, 1} {
			ok := make([]bool, n*n)
			for k := range ok {
				ok[k] = rng.Float64() < density
			}
			if diff := cmp.Diff(reachByWalk(ok, n), reachCounts(ok, n)); diff != "" {
				t.Fatalf("n=%d density %.2f (-walk +bits):\n%s", n, density, diff)
			}
		}
	}
}
