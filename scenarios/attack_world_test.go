package scenarios

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// InstallAttack, placed in the pair world by hand, reaches the same verdict
// as RunAttack for every pair and attack: the generalisation scenario files
// use is the same attack.
func TestInstallAttackAgreesWithRunAttack(t *testing.T) {
	type verdict struct {
		Verdict                                string
		Impersonated, Read, Downgraded, Denied bool
		Outcome                                string
	}
	for _, kind := range AttackKinds {
		for _, p := range allPairs() {
			want, err := RunAttack(kind, p, AttackOptions{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewPairWorld(p, PairOptions{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			from, to := p.Domains()
			a, err := w.InstallAttack(AttackPlan{Kind: kind, Initiator: from, Receiver: to})
			if err != nil {
				t.Fatal(err)
			}
			a.Launch() // after the ping NewPairWorld scheduled, as Build does
			w.Run(RunDeadline)
			got := a.Result(want.Baseline)
			v := func(r *AttackResult) verdict {
				return verdict{r.Verdict(), r.Impersonated, r.Read, r.Downgraded, r.Denied, r.Outcome.Letter()}
			}
			if d := cmp.Diff(v(want), v(got)); d != "" {
				t.Errorf("%s %s -> %s (-RunAttack +InstallAttack):\n%s", kind, p.Initiator, p.Receiver, d)
			}
		}
	}
}
