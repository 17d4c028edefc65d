// Package sweep runs every ordered pair of a set of server policies — a
// list, or a grid over chosen policy fields — and analyses the outcomes:
// the outcome matrix, counts per outcome, the reason for each class of
// failure, which policies can federate with which as a graph (gonum/graph's
// algorithms on the outcome matrix, graph.go: strongly connected components
// are the "islands" of the network; reachability, the single policy change
// that would connect the most pairs), and, with latency and jitter switched
// on, the distribution of negotiation times per outcome (empirical
// quantiles, as gonum/stat defines them).
//
// Sweeps are embarrassingly parallel: each pair runs in its own world on
// any worker, results are stored by pair index, and the report is computed
// from them in index order — so it is byte-identical whatever the number of
// workers, and a sweep split into shards (--shard i/n: pairs whose index is
// i modulo n) merges back into exactly the report of one run.
//
// A shard file (shard.go) carries the whole experiment — every flag that
// decides a cell, the fedsim build, the policy list — and a digest, so that
// merging refuses, naming the difference, shards that are not one sweep:
// before, a shard run with a fault merged silently with fault-free ones.
// --suggest is sharded the same way (its candidate changes, index mod n)
// and finished from the merged cells. Grid axes are read against the
// policy table (grid.go): a set-valued field takes sets. ShardFromEnv
// (env.go) reads the shard from a Kubernetes Indexed Job or a Slurm job
// array (docs/distributed.md).
package sweep

import (
	"fmt"
	mathbits "math/bits"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/graph/topo"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/scenarios"
)

// Spec is one policy of a sweep: a name, the policy, the certificate the
// server holds and whether it trusts the common CA. (It is a nodes.Preset;
// Title carries the field=value description.)
type Spec = nodes.Preset

// Field is a sweepable dimension: its name, the values --suggest tries
// and how to apply a value.
type Field struct {
	Name   string
	Values []string
	// Want says what the field takes, for help and errors.
	Want string
	// Set: a value is a set of members (a nodes.FieldLevels field such
	// as accept), written "V,E,T"; a grid axis of it lists sets (ParseGrid).
	Set   bool
	apply func(*Spec, string) error
	get   func(Spec) string
}

// Fields lists the grid dimensions, in a fixed order: every field of the
// policy table (nodes.PolicyFields, a composite's parts by their dotted
// names), then the server's certificate and whether it trusts the CA.
func Fields() []Field {
	var out []Field
	for _, f := range nodes.AllPolicyFields() {
		out = append(out, Field{Name: f.Name, Values: f.Grid, Want: f.Want(), Set: f.Kind == nodes.FieldLevels,
			apply: func(s *Spec, v string) error { return f.Set(&s.Policy, v) },
			get:   func(s Spec) string { return f.Get(s.Policy) }})
	}
	certs := []string{"none", "self-signed", "ca-issued"}
	return append(out,
		Field{Name: "cert", Values: certs, Want: nodes.OrList(certs),
			apply: func(s *Spec, v string) error {
				for i, n := range certs {
					if n == v {
						s.Cert = nodes.CertKind(i)
						return nil
					}
				}
				return fmt.Errorf("cert=%s: want %s", v, nodes.OrList(certs))
			},
			get: func(s Spec) string { return certName(s.Cert) }},
		Field{Name: "trusts_ca", Values: []string{"true", "false"}, Want: "true or false",
			apply: func(s *Spec, v string) error {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("trusts_ca=%s: want true or false", v)
				}
				s.TrustsCA = b
				return nil
			},
			get: func(s Spec) string { return strconv.FormatBool(s.TrustsCA) }},
		boolSpecField("signed", "the domain's DNS zone is DNSSEC-signed (RFC 4033)", func(s *Spec) *bool { return &s.Signed }),
		Field{Name: "tlsa", Values: tlsaWords, Want: nodes.OrList(tlsaWords),
			apply: func(s *Spec, v string) error {
				for _, w := range tlsaWords {
					if w == v {
						s.TLSA = strings.TrimPrefix(v, "none")
						return nil
					}
				}
				return fmt.Errorf("tlsa=%s: want %s", v, nodes.OrList(tlsaWords))
			},
			get: func(s Spec) string { return orNone(s.TLSA) }},
		boolSpecField("posh_document", "the domain serves a POSH document for its certificate (RFC 7711)", func(s *Spec) *bool { return &s.POSH }))
}

// tlsaWords are the values of the sweep field tlsa: what the domain
// publishes for its endpoint (scenarios.Server.TLSA).
var tlsaWords = append([]string{"none"}, scenarios.TLSAWords...)

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// boolSpecField is a true/false field of what a spec's domain publishes.
func boolSpecField(name, _ string, field func(*Spec) *bool) Field {
	return Field{Name: name, Values: []string{"false", "true"}, Want: "true or false",
		apply: func(s *Spec, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s=%s: want true or false", name, v)
			}
			*field(s) = b
			return nil
		},
		get: func(s Spec) string { return strconv.FormatBool(*field(&s)) }}
}

func fieldByName(name string) (Field, bool) {
	for _, f := range Fields() {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Describe prints a spec as field=value pairs (the grid's coordinates).
func Describe(s Spec) string {
	d := fmt.Sprintf("%s cert=%s trusts_ca=%t", s.Policy, certName(s.Cert), s.TrustsCA)
	// What the domain publishes, only when it publishes something: the
	// descriptions of sweeps without it read as they always did.
	if s.Signed {
		d += " signed=true"
	}
	if s.TLSA != "" {
		d += " tlsa=" + s.TLSA
	}
	if s.POSH {
		d += " posh_document=true"
	}
	return d
}

func certName(c nodes.CertKind) string {
	return [...]string{"none", "self-signed", "ca-issued"}[c]
}

// Grid builds every combination of the given field values on top of base,
// in a fixed order (the first field varies slowest), and keeps the
// consistent ones (nodes.Policy.Validate, and a certificate where the
// policy needs one). axes maps a field name to its values; fields not named
// keep base's value.
func Grid(base Spec, axes map[string][]string) ([]Spec, []string, error) {
	var dims []Field
	var vals [][]string
	for _, f := range Fields() {
		if v, ok := axes[f.Name]; ok {
			dims = append(dims, f)
			vals = append(vals, v)
		}
	}
	var names []string
	for name := range axes {
		names = append(names, name)
	}
	sort.Strings(names) // the first unknown name, whatever the map's order
	for _, name := range names {
		if _, ok := fieldByName(name); !ok {
			return nil, nil, fmt.Errorf("sweep: unknown field %q (want one of %s)", name, fieldNames())
		}
	}
	for d, f := range dims {
		seen := map[string]string{}
		for _, v := range vals[d] {
			c, err := f.canonical(v)
			if err != nil {
				return nil, nil, fmt.Errorf("sweep: %v", err)
			}
			if prev, dup := seen[c]; dup {
				return nil, nil, fmt.Errorf("sweep: grid field %s: %q and %q are the same value %s", f.Name, prev, v, c)
			}
			seen[c] = v
		}
	}
	var out []Spec
	var skipped []string
	idx := make([]int, len(dims))
	for {
		s := base
		var coords []string
		for d, f := range dims {
			v := vals[d][idx[d]]
			if err := f.apply(&s, v); err != nil {
				return nil, nil, fmt.Errorf("sweep: %v", err)
			}
			coords = append(coords, f.Name+"="+f.get(s))
		}
		if err := consistent(s); err != nil {
			skipped = append(skipped, strings.Join(coords, " ")+": "+err.Error())
		} else {
			s.Name = fmt.Sprintf("p%03d", len(out)+1)
			s.Title = strings.Join(coords, " ")
			out = append(out, s)
		}
		// next combination
		d := len(dims) - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < len(vals[d]) {
				break
			}
			idx[d] = 0
		}
		if d < 0 {
			break
		}
	}
	return out, skipped, nil
}

func fieldNames() string {
	var n []string
	for _, f := range Fields() {
		n = append(n, f.Name)
	}
	return strings.Join(n, ", ")
}

// consistent rejects combinations that cannot be a server.
func consistent(s Spec) error {
	if err := s.Policy.Validate(); err != nil {
		return err
	}
	if (s.Policy.StartTLS != nodes.TLSNotOffered || s.Policy.InitiateTLS != nodes.InitiateNever) && s.Cert == nodes.CertNone {
		return fmt.Errorf("TLS needs a certificate")
	}
	if (s.TLSA != "" || s.POSH) && s.Cert == nodes.CertNone {
		return fmt.Errorf("tlsa and posh publish a certificate, and there is none")
	}
	if s.TLSA == "dane-ta" && s.Cert != nodes.CertCAIssued {
		return fmt.Errorf("tlsa=dane-ta names the issuing authority of a CA-issued certificate")
	}
	return nil
}

// Options tunes a sweep.
type Options struct {
	Seed    uint64
	Workers int // <= 0: one
	// Shard and Shards select the pairs whose index is Shard mod Shards.
	Shard, Shards int
	// Latency and Jitter apply to the link of every pair (zero: defaults).
	Latency, Jitter time.Duration
	// Faults are injected into every pair; Target and Peer name a role,
	// "initiator" or "receiver", which each pair maps to its domains.
	Faults []scenarios.Fault
	// Progress, if set, is called after each finished pair with the count.
	Progress func(done, total int)
}

// roleDomain maps a fault's role name to the pair's domain.
func roleDomain(role, from, to string) (string, error) {
	switch role {
	case "initiator":
		return from, nil
	case "receiver":
		return to, nil
	case "":
		return "", nil
	}
	return "", fmt.Errorf("sweep: fault role %q: want initiator or receiver", role)
}

// Cell is one ordered pair's result.
type Cell struct {
	Index     int     `json:"index"`
	Initiator string  `json:"initiator"`
	Receiver  string  `json:"receiver"`
	Outcome   string  `json:"outcome"`
	Reason    string  `json:"reason,omitempty"`
	TimeMS    float64 `json:"negotiation_ms"` // virtual time until the outcome
}

// Result is a sweep or a shard of one.
type Result struct {
	Seed   uint64 `json:"seed"`
	Shard  int    `json:"shard"`
	Shards int    `json:"shards"`
	Specs  []Spec `json:"-"`
	// Policies describe the specs (name → field=value) for merging.
	Policies []PolicyInfo `json:"policies"`
	Cells    []Cell       `json:"cells"`
}

// PolicyInfo is a spec as a report shows it.
type PolicyInfo struct {
	Name   string `json:"name"`
	Fields string `json:"fields"`
}

// Run sweeps every ordered pair of specs (within the selected shard).
func Run(specs []Spec, opt Options) (*Result, error) {
	if opt.Shards <= 0 {
		opt.Shards, opt.Shard = 1, 0
	}
	if opt.Shard < 0 || opt.Shard >= opt.Shards {
		return nil, fmt.Errorf("sweep: shard %d/%d: want 0 <= i < n", opt.Shard, opt.Shards)
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	pairOpt := scenarios.PairOptions{Seed: opt.Seed, NoTrace: true, Specs: map[string]nodes.Preset{}}
	for _, s := range specs {
		pairOpt.Specs[s.Name] = s
	}
	res := &Result{Seed: opt.Seed, Shard: opt.Shard, Shards: opt.Shards, Specs: specs}
	for _, s := range specs {
		res.Policies = append(res.Policies, PolicyInfo{s.Name, Describe(s)})
	}
	n := len(specs)
	var idx []int
	for k := opt.Shard; k < n*n; k += opt.Shards {
		idx = append(idx, k)
	}
	cells := make([]Cell, len(idx))
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	next := make(chan int)
	for w := 0; w < opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				k := idx[j]
				a, b := specs[k/n], specs[k%n]
				cells[j], errs[j] = runPair(k, a, b, pairOpt, opt)
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress(done, len(idx))
					mu.Unlock()
				}
			}
		}()
	}
	for j := range idx {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	res.Cells = cells
	return res, nil
}

// runPair runs one ordered pair in a fresh world. The pair's seed derives
// from the sweep's seed and the pair's index alone, so a pair draws the
// same stream ids and jitter whichever worker or shard runs it, and pairs
// differ from each other (a latency distribution is not one value).
func runPair(k int, a, b Spec, pairOpt scenarios.PairOptions, opt Options) (Cell, error) {
	pairOpt.Seed = opt.Seed ^ (uint64(k)+1)*0x9e3779b97f4a7c15
	p := scenarios.Pair{Initiator: a.Name, Receiver: b.Name}
	if len(opt.Faults) > 0 {
		from, to := p.Domains()
		pairOpt.Faults = nil
		for _, f := range opt.Faults {
			var err error
			if f.Target, err = roleDomain(f.Target, from, to); err != nil {
				return Cell{}, err
			}
			if f.Peer, err = roleDomain(f.Peer, from, to); err != nil {
				return Cell{}, err
			}
			if f.Observer, err = roleDomain(f.Observer, from, to); err != nil {
				return Cell{}, err
			}
			pairOpt.Faults = append(pairOpt.Faults, f)
		}
	}
	cfg, p, err := scenarios.PairConfig(p, pairOpt)
	if err != nil {
		return Cell{}, err
	}
	from, to := p.Domains()
	if opt.Latency > 0 || opt.Jitter > 0 {
		cfg.Links = []scenarios.Link{{A: from, B: to, Latency: opt.Latency, HasLatency: opt.Latency > 0, Jitter: opt.Jitter}}
	}
	w, err := scenarios.Build(cfg)
	if err != nil {
		return Cell{}, err
	}
	w.Run(scenarios.RunDeadline)
	c := Cell{Index: k, Initiator: a.Name, Receiver: b.Name, Outcome: "U", Reason: "no outcome"}
	for _, o := range w.Outcomes {
		if o.Host == from && o.From == from && o.To == to {
			c.Outcome, c.Reason = o.Level.Letter(), o.Reason
			c.TimeMS = float64(o.Time) / float64(time.Millisecond)
			break
		}
	}
	c.Reason = anonymise(c.Reason, from, to)
	return c, nil
}

// streamID is compiled on first use, not at every start of fedsim.
var streamID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[a-z0-9]{16}`) })

// anonymise turns a failure reason into its class: the pair's domains
// become "initiator"/"receiver" so that reasons group across pairs.
func anonymise(reason, from, to string) string {
	if reason == "" {
		return ""
	}
	r := strings.ReplaceAll(reason, from, "<initiator>")
	r = strings.ReplaceAll(r, to, "<receiver>")
	return streamID().ReplaceAllString(r, "<id>")
}

// Merge combines shards of one sweep into the result of a single run.
func Merge(parts []*Result) (*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("sweep: nothing to merge")
	}
	first := parts[0]
	out := &Result{Seed: first.Seed, Shard: 0, Shards: 1, Policies: first.Policies}
	seen := map[int]bool{}
	for _, p := range parts {
		if p.Seed != first.Seed || p.Shards != first.Shards || !samePolicies(p.Policies, first.Policies) {
			return nil, fmt.Errorf("sweep: shard %d/%d is from a different sweep (seed, shard count or policies differ)", p.Shard, p.Shards)
		}
		if seen[p.Shard] {
			return nil, fmt.Errorf("sweep: shard %d/%d given twice", p.Shard, p.Shards)
		}
		seen[p.Shard] = true
		out.Cells = append(out.Cells, p.Cells...)
	}
	if len(seen) != first.Shards {
		return nil, fmt.Errorf("sweep: %d of %d shards given", len(seen), first.Shards)
	}
	sort.Slice(out.Cells, func(i, j int) bool { return out.Cells[i].Index < out.Cells[j].Index })
	n := len(first.Policies)
	if len(out.Cells) != n*n {
		return nil, fmt.Errorf("sweep: %d cells for %d policies, want %d", len(out.Cells), n, n*n)
	}
	return out, nil
}

func samePolicies(a, b []PolicyInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Analysis is what a report says about a whole sweep.
type Analysis struct {
	Policies int
	Pairs    int
	Counts   map[string]int
	// Reasons counts failure classes, most frequent first.
	Reasons []ReasonCount
	// Islands are the strongly connected components of the "can federate"
	// graph (an edge a→b when a's stanzas reach b's users), largest first.
	Islands [][]string
	// Mutual counts unordered pairs that federate both ways.
	Mutual int
	// Reach[i] counts the policies policy i can reach, directly or through
	// others (transitively: where relaying across domains is imagined).
	Reach map[string]int
	// Times are negotiation-time quantiles per outcome, in virtual ms.
	Times map[string]Quantiles
}

// ReasonCount is one failure class.
type ReasonCount struct {
	Reason string
	Count  int
}

// Quantiles of negotiation times.
type Quantiles struct {
	N                int
	Median, P95, P99 float64
	Min, Max         float64
	Values           []float64 `json:"-"`
}

// Analyse computes the report of a whole sweep (not of a shard).
func Analyse(r *Result) *Analysis {
	n := len(r.Policies)
	a := &Analysis{Policies: n, Pairs: len(r.Cells), Counts: map[string]int{}, Reach: map[string]int{}, Times: map[string]Quantiles{}}
	reasons := map[string]int{}
	ok := make([]bool, n*n)
	times := map[string][]float64{}
	for _, c := range r.Cells {
		a.Counts[c.Outcome]++
		if c.Outcome == "U" {
			reasons[c.Reason]++
		} else {
			ok[c.Index] = true
		}
		times[c.Outcome] = append(times[c.Outcome], c.TimeMS)
	}
	for reason, k := range reasons {
		a.Reasons = append(a.Reasons, ReasonCount{reason, k})
	}
	sort.Slice(a.Reasons, func(i, j int) bool {
		if a.Reasons[i].Count != a.Reasons[j].Count {
			return a.Reasons[i].Count > a.Reasons[j].Count
		}
		return a.Reasons[i].Reason < a.Reasons[j].Reason
	})
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if ok[i*n+j] && ok[j*n+i] {
				a.Mutual++
			}
		}
	}
	for _, comp := range topo.TarjanSCC(canSend{ok, n}) {
		var names []string
		for _, nd := range comp {
			names = append(names, r.Policies[nd.ID()].Name)
		}
		sort.Strings(names)
		a.Islands = append(a.Islands, names)
	}
	sort.Slice(a.Islands, func(i, j int) bool {
		if len(a.Islands[i]) != len(a.Islands[j]) {
			return len(a.Islands[i]) > len(a.Islands[j])
		}
		return a.Islands[i][0] < a.Islands[j][0]
	})
	for i, c := range reachCounts(ok, n) {
		a.Reach[r.Policies[i].Name] = c
	}
	for outcome, xs := range times {
		sort.Float64s(xs)
		a.Times[outcome] = Quantiles{N: len(xs), Median: empiricalQuantile(0.5, xs),
			P95: empiricalQuantile(0.95, xs), P99: empiricalQuantile(0.99, xs),
			Min: xs[0], Max: xs[len(xs)-1], Values: xs}
	}
	return a
}

// empiricalQuantile is the p-quantile of the sorted, non-empty xs as
// gonum's stat.Quantile(p, stat.Empirical, xs, nil) defines it: the first
// value whose cumulative count reaches p·n — the inverse of the empirical
// distribution function, no interpolation — computed the same way, so the
// figures are those fedsim printed before. It is written out rather than
// imported because gonum/stat brings gonum/mat, its BLAS and LAPACK and an
// LP solver into the build for these lines (graph.go says what that costs;
// docs/performance.md, start-up and size).
// TestEmpiricalQuantileIsGonums checks it against stat.Quantile.
func empiricalQuantile(p float64, xs []float64) float64 {
	var cum float64
	at := p * float64(len(xs))
	for _, x := range xs {
		if cum++; cum >= at {
			return x
		}
	}
	return xs[len(xs)-1]
}

// reachCounts counts, for each policy i, the other policies reachable from
// it over "can send to" edges (ok[i*n+j], i != j), directly or through
// others. It walks breadth-first from every policy like the obvious
// version, but over rows of bits: a step ORs the new node's whole row of
// successors (n/64 words) into the visited set instead of iterating its
// edges one by one through the graph library. The obvious walk is n·E
// edge visits — for the 1,112-policy sweep of docs/distributed.md, about
// 550 million, measured at 3m43s; this is n² row ORs of 18 words, about
// 22 million word operations (TestReachCountsMatchesTheWalk checks it
// against the edge-by-edge walk).
func reachCounts(ok []bool, n int) []int {
	words := (n + 63) / 64
	adj := make([]uint64, n*words)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j && ok[i*n+j] {
				adj[i*words+j/64] |= 1 << (j % 64)
			}
		}
	}
	out := make([]int, n)
	visited := make([]uint64, words)
	queue := make([]int, 0, n)
	for i := 0; i < n; i++ {
		clear(visited)
		visited[i/64] |= 1 << (i % 64)
		queue = append(queue[:0], i)
		for q := 0; q < len(queue); q++ {
			row := adj[queue[q]*words : (queue[q]+1)*words]
			for w, bits := range row {
				fresh := bits &^ visited[w]
				visited[w] |= fresh
				for fresh != 0 {
					queue = append(queue, w*64+mathbits.TrailingZeros64(fresh))
					fresh &= fresh - 1
				}
			}
		}
		out[i] = len(queue) - 1
	}
	return out
}

// Change is one single-field change to one policy and what it would do.
type Change struct {
	Policy, Field, From, To string
	// Gain is how many more unordered pairs would federate both ways.
	Gain int
}

// Candidate is one single-field change --suggest tries: policy number
// Policy (an index into the specs) with Field set to To.
type Candidate struct {
	Policy          int
	Field, From, To string
	spec            Spec
}

// Trial is what one candidate achieved: with the change, the policy
// federates both ways with After of the other policies. A trial needs
// only the specs, so shards run their share of the candidates (index mod
// the shard count) beside their share of the pairs, and the suggestion is
// finished from the merged cells (FinishSuggest).
type Trial struct {
	Candidate int `json:"candidate"`
	After     int `json:"after"`
}

// SuggestBudget is the most pair runs --suggest spends (2·n²·alternatives);
// a larger sweep reports that it was too large instead.
const SuggestBudget = 2_000_000

// Candidates lists every single-field change of every policy (each
// alternative grid value of each field, where the result is a consistent
// server), in a fixed order: by policy, then field, then value. It
// returns false, and none, when trying them would take more than budget
// pair runs (0: no bound).
func Candidates(specs []Spec, budget int) ([]Candidate, bool) {
	n := len(specs)
	alts := 0
	for _, f := range Fields() {
		alts += len(f.Values) - 1
	}
	if budget > 0 && 2*n*n*alts > budget {
		return nil, false
	}
	var out []Candidate
	for i, s := range specs {
		for _, f := range Fields() {
			cur := f.get(s)
			for _, v := range f.Values {
				if v == cur {
					continue
				}
				t := s
				if err := f.apply(&t, v); err != nil || consistent(t) != nil {
					continue
				}
				t.Name = s.Name + "-alt"
				out = append(out, Candidate{Policy: i, Field: f.Name, From: cur, To: v, spec: t})
			}
		}
	}
	return out, true
}

// RunTrials runs the candidates of opt's shard (index mod opt.Shards)
// against every other policy in both directions, on opt.Workers workers;
// the trials come back in candidate order.
func RunTrials(specs []Spec, cands []Candidate, opt Options) ([]Trial, error) {
	if opt.Shards <= 0 {
		opt.Shards, opt.Shard = 1, 0
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	var idx []int
	for c := opt.Shard; c < len(cands); c += opt.Shards {
		idx = append(idx, c)
	}
	out := make([]Trial, len(idx))
	errs := make([]error, len(idx))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker has its own spec table: the candidate joins it
			// under its own name for its runs.
			pairOpt := scenarios.PairOptions{Seed: opt.Seed, NoTrace: true, Specs: map[string]nodes.Preset{}}
			for _, s := range specs {
				pairOpt.Specs[s.Name] = s
			}
			for j := range next {
				c := cands[idx[j]]
				t := c.spec
				pairOpt.Specs[t.Name] = t
				after := 0
				for k, o := range specs {
					if k == c.Policy {
						continue
					}
					c1, err := runPair(0, t, o, pairOpt, opt)
					if err != nil {
						errs[j] = err
						break
					}
					c2, err := runPair(0, o, t, pairOpt, opt)
					if err != nil {
						errs[j] = err
						break
					}
					if c1.Outcome != "U" && c2.Outcome != "U" {
						after++
					}
				}
				delete(pairOpt.Specs, t.Name)
				out[j] = Trial{Candidate: idx[j], After: after}
			}
		}()
	}
	for j := range idx {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FinishSuggest turns the trials of every candidate (in candidate order)
// into the changes that connect more pairs than the policy does now, as
// the whole sweep's cells say, best first (ties in candidate order).
func FinishSuggest(specs []Spec, r *Result, cands []Candidate, trials []Trial) ([]Change, error) {
	if len(trials) != len(cands) {
		return nil, fmt.Errorf("sweep: %d suggestion trials for %d candidates", len(trials), len(cands))
	}
	n := len(specs)
	ok := make([]bool, n*n)
	for _, c := range r.Cells {
		ok[c.Index] = c.Outcome != "U"
	}
	var out []Change
	for k, c := range cands {
		if trials[k].Candidate != k {
			return nil, fmt.Errorf("sweep: suggestion trial %d is for candidate %d", k, trials[k].Candidate)
		}
		i := c.Policy
		before := 0
		for j := range specs {
			if j != i && ok[i*n+j] && ok[j*n+i] {
				before++
			}
		}
		if after := trials[k].After; after > before {
			out = append(out, Change{Policy: specs[i].Name, Field: c.Field, From: c.From, To: c.To, Gain: after - before})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Gain > out[b].Gain })
	return out, nil
}

// Suggest tries every single-field change of every policy (Candidates)
// against all the other policies, and returns the changes that connect
// the most pairs, best first. It runs about 2·n²·alternatives pairs;
// budget bounds that number (0: no bound), and Suggest reports false when
// the sweep is too large for it.
func Suggest(specs []Spec, r *Result, opt Options, budget int) ([]Change, bool, error) {
	cands, ran := Candidates(specs, budget)
	if !ran {
		return nil, false, nil
	}
	opt.Shard, opt.Shards = 0, 1
	trials, err := RunTrials(specs, cands, opt)
	if err != nil {
		return nil, true, err
	}
	changes, err := FinishSuggest(specs, r, cands, trials)
	return changes, true, err
}
