package main

// The explorer's sweep view (issue 17): a small grid over policy fields,
// run here with package scenarios/sweep, shown as a heat map whose axes
// name the policies and whose headers carry each policy in full. A sweep
// costs n² runs for n policies, so the form is bounded: a few axes, a few
// values each, and at most maxSweepPolicies policies; anything larger is
// refused with the fedsim sweep line that runs it from the command line.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios/sweep"
)

// Bounds of one sweep request. 16 policies are 256 runs, about a second
// on one core of a loaded 2-core machine.
const (
	maxSweepAxes       = 3
	maxSweepValues     = 6  // values on one axis
	maxSweepCombos     = 64 // combinations before inconsistent ones are dropped
	maxSweepPolicies   = 16 // consistent policies: maxSweepPolicies² runs
	maxSweepFieldBytes = 64
)

// sweepRequest is the sweep form: the policy the grid starts from, its
// axes in order (the first varies slowest) and the seed.
type sweepRequest struct {
	Base string      `json:"base"`
	Axes []sweepAxis `json:"axes"`
	Seed *uint64     `json:"seed"`
}

type sweepAxis struct {
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

// sweepFieldsJSON is what the sweep form offers: every grid field with
// values to choose from (sweep.Fields), and the presets a grid may start
// from.
func sweepFieldsJSON() any {
	type field struct {
		Name   string   `json:"name"`
		Values []string `json:"values"`
		Want   string   `json:"want"`
	}
	var out []field
	for _, f := range sweep.Fields() {
		if len(f.Values) > 0 {
			out = append(out, field{f.Name, f.Values, f.Want})
		}
	}
	var bases []string
	for _, p := range nodes.AllPresets() {
		bases = append(bases, p.Name)
	}
	return map[string]any{"fields": out, "bases": bases, "max_policies": maxSweepPolicies, "max_axes": maxSweepAxes}
}

// check refuses a form over the bounds or naming what does not exist,
// every problem at once, before anything runs.
func (q sweepRequest) check() []string {
	var errs []string
	if _, ok := nodes.PresetByName(q.Base); !ok {
		errs = append(errs, fmt.Sprintf("base %.64q: want one of %s", q.Base, nodes.PresetNames()))
	}
	if len(q.Axes) == 0 {
		errs = append(errs, "no axis: choose a field and at least two of its values")
	}
	if len(q.Axes) > maxSweepAxes {
		return append(errs, fmt.Sprintf("%d axes: at most %d", len(q.Axes), maxSweepAxes))
	}
	known := map[string]bool{}
	for _, f := range sweep.Fields() {
		known[f.Name] = true
	}
	combos := 1
	var seen []string
	for i, a := range q.Axes {
		switch {
		case !known[a.Field]:
			errs = append(errs, fmt.Sprintf("axis %d: unknown field %.64q", i+1, a.Field))
		case slices.Contains(seen, a.Field):
			errs = append(errs, fmt.Sprintf("axis %d: field %s is already an axis", i+1, a.Field))
		case len(a.Values) == 0:
			errs = append(errs, fmt.Sprintf("axis %d (%s): no value chosen", i+1, a.Field))
		case len(a.Values) > maxSweepValues:
			errs = append(errs, fmt.Sprintf("axis %d (%s): %d values, at most %d", i+1, a.Field, len(a.Values), maxSweepValues))
		}
		seen = append(seen, a.Field)
		for _, v := range a.Values {
			if len(v) > maxSweepFieldBytes || strings.HasPrefix(v, "-") || strings.Contains(v, sweep.SetSeparator) {
				errs = append(errs, fmt.Sprintf("axis %d (%s): value %.64q refused", i+1, a.Field, v))
			}
		}
		combos *= max(1, min(len(a.Values), maxSweepValues))
	}
	if combos > maxSweepCombos {
		errs = append(errs, fmt.Sprintf("%d combinations: at most %d in the explorer (run larger grids with fedsim sweep)", combos, maxSweepCombos))
	}
	return errs
}

// opts are the fedsim sweep flags of the form: one --grid flag per axis,
// or per set for a set-valued field (accept=V,E,T), as the CLI reads them;
// no pictures. The explorer then builds the policies, and the line that
// reproduces them, by the CLI's own code (sweepOpts.specs, experiment).
func (q sweepRequest) opts(seed uint64) *sweepOpts {
	o := &sweepOpts{base: q.Base, seed: seed, format: "text", pictures: "none", out: "."}
	set := map[string]bool{}
	for _, f := range sweep.Fields() {
		set[f.Name] = f.Set
	}
	for _, a := range q.Axes {
		if set[a.Field] {
			for _, v := range a.Values {
				o.grid = append(o.grid, a.Field+"="+v)
			}
			continue
		}
		o.grid = append(o.grid, a.Field+"="+strings.Join(a.Values, ","))
	}
	return o
}

func (x *explorer) apiSweep(w http.ResponseWriter, r *http.Request) {
	var q sweepRequest
	if !x.decodeForm(w, r, &q) {
		return
	}
	if errs := q.check(); len(errs) > 0 {
		apiError(w, http.StatusBadRequest, strings.Join(errs, "; "))
		return
	}
	seed := uint64(1)
	if q.Seed != nil {
		seed = *q.Seed
	}
	o := q.opts(seed)
	specs, skipped, axes, err := o.specs()
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	replay := "fedsim sweep" + o.experiment(specs, axes).Args() + reportArgs(o)
	switch {
	case len(specs) == 0:
		apiError(w, http.StatusBadRequest, fmt.Sprintf("none of the %d combinations is a consistent server (e.g. %s)", len(skipped), skipped[0]))
		return
	case len(specs) > maxSweepPolicies:
		apiError(w, http.StatusBadRequest, fmt.Sprintf("%d policies (%d runs): the explorer sweeps at most %d policies (%d runs); fewer values, or from the command line: %s",
			len(specs), len(specs)*len(specs), maxSweepPolicies, maxSweepPolicies*maxSweepPolicies, replay))
		return
	}
	var res *sweep.Result
	if rerr := x.run(r, func() { res, err = sweep.Run(specs, sweep.Options{Seed: seed, Workers: 1}) }); rerr != nil {
		runError(w, rerr)
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	type policy struct {
		Name   string `json:"name"`
		Coords string `json:"coords"` // the grid's fields, as on the axes
		Fields string `json:"fields"` // the whole policy
	}
	out := struct {
		Seed     uint64         `json:"seed"`
		Replay   string         `json:"replay"`
		Policies []policy       `json:"policies"`
		Cells    []sweep.Cell   `json:"cells"`
		Counts   map[string]int `json:"counts"`
		Skipped  []string       `json:"skipped"`
	}{Seed: seed, Replay: replay, Cells: res.Cells, Counts: sweep.Analyse(res).Counts, Skipped: skipped}
	for i, p := range res.Policies {
		out.Policies = append(out.Policies, policy{p.Name, specs[i].Title, p.Fields})
	}
	if out.Skipped == nil {
		out.Skipped = []string{}
	}
	writeJSON(w, http.StatusOK, out)
}
