package sweep

import (
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// TestEmpiricalQuantileIsGonums checks empiricalQuantile against the
// function it replaced, gonum's stat.Quantile with stat.Empirical, on
// sorted samples of 1 to 300 values (with repeats, as outcome times have)
// and on every quantile a sweep prints plus the edges and a fine grid.
func TestEmpiricalQuantileIsGonums(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 16))
	ps := []float64{0, 0.5, 0.95, 0.99, 1}
	for i := 1; i < 100; i++ {
		ps = append(ps, float64(i)/100)
	}
	checked := 0
	for n := 1; n <= 300; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(rng.IntN(n/3+1)) * 1.5 // repeats on purpose
		}
		sort.Float64s(xs)
		for _, p := range ps {
			want := stat.Quantile(p, stat.Empirical, xs, nil)
			if got := empiricalQuantile(p, xs); got != want {
				t.Fatalf("n=%d p=%g: %g, gonum's stat.Quantile says %g (xs=%v)", n, p, got, want, xs)
			}
			checked++
		}
	}
	if checked != 300*len(ps) {
		t.Fatalf("checked %d cases", checked)
	}
}
