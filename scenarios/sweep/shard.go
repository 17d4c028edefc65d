package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ShardFormat names the shard file format. A file without it is not a
// shard; a later, incompatible format gets a new number.
const ShardFormat = "fedsim-sweep-shard/1"

// Experiment is everything that decides a sweep's cells: every flag of
// fedsim sweep that changes a result (not --workers, which never does, nor
// the report's --format, --pictures and --out, which fedsim merge takes
// for itself), the fedsim build, and the policy list those made. Every
// shard file carries it, so that fedsim merge can refuse shards of
// different experiments and say which flag differs.
type Experiment struct {
	// Fedsim is the build that ran the shard (the fedsim command's
	// buildVersion, cmd/fedsim/buildinfo.go: module version and VCS
	// revision from runtime/debug.ReadBuildInfo). The package only
	// compares it; it never reads its own build.
	Fedsim string `json:"fedsim"`
	// Servers is --servers, a list of presets.
	Servers []string `json:"servers,omitempty"`
	// Grid is --grid, the axes as ParseGrid reads them; Base is --base,
	// recorded only with a grid (it is the grid's starting policy).
	Grid []Axis `json:"grid,omitempty"`
	Base string `json:"base,omitempty"`
	// Faults are the --fault flags as given.
	Faults []string `json:"faults,omitempty"`
	Seed   uint64   `json:"seed"`
	// Latency and Jitter are --latency and --jitter as Go durations
	// ("0s": the default).
	Latency string `json:"latency"`
	Jitter  string `json:"jitter"`
	// Suggest is --suggest: shards also run their share of the candidate
	// changes.
	Suggest bool `json:"suggest"`
	// Policies is the policy list the flags made, in order.
	Policies []PolicyInfo `json:"policies"`
}

// flag is one flag of an experiment as a command line gives it.
type flag struct{ name, value string }

// flags lists e's flags in command-line order, each with its value ("" for
// a flag not given).
func (e Experiment) flags() []flag {
	out := []flag{{"--servers", strings.Join(e.Servers, ",")}, {"--fault", strings.Join(e.Faults, " ")}}
	// One entry per grid field, given or not, so that two experiments
	// compare field by field.
	for _, f := range Fields() {
		v := ""
		for _, a := range e.Grid {
			if a.Field == f.Name {
				sep := ","
				if f.Set {
					sep = SetSeparator
				}
				v = strings.Join(a.Values, sep)
			}
		}
		out = append(out, flag{"--grid " + f.Name, v})
	}
	return append(out, flag{"--base", e.Base},
		flag{"--seed", strconv.FormatUint(e.Seed, 10)},
		flag{"--latency", e.Latency}, flag{"--jitter", e.Jitter},
		flag{"--suggest", strconv.FormatBool(e.Suggest)})
}

// Args is the experiment's part of the fedsim sweep command line that
// reproduces it (" --servers … --seed 1"), each flag given only when it
// is not the default.
func (e Experiment) Args() string {
	s := ""
	if len(e.Servers) > 0 {
		s += " --servers " + strings.Join(e.Servers, ",")
	}
	for _, f := range e.Faults {
		s += " --fault " + f
	}
	for _, g := range GridArgs(e.Grid) {
		s += " --grid " + g
	}
	if len(e.Grid) > 0 {
		s += " --base " + e.Base
	}
	s += fmt.Sprintf(" --seed %d", e.Seed)
	if e.Latency != "" && e.Latency != "0s" {
		s += " --latency " + e.Latency
	}
	if e.Jitter != "" && e.Jitter != "0s" {
		s += " --jitter " + e.Jitter
	}
	if e.Suggest {
		s += " --suggest"
	}
	return s
}

// ShardFile is what fedsim sweep --shard i/n writes: the experiment, which
// shard of how many, its cells (pair indices i, i+n, …), its share of the
// suggestion trials, and a digest of all of it.
type ShardFile struct {
	Format     string     `json:"format"`
	Experiment Experiment `json:"experiment"`
	Shard      int        `json:"shard"`
	Shards     int        `json:"shards"`
	Cells      []Cell     `json:"cells"`
	// Suggest is the shard's share of --suggest, nil without it.
	Suggest *SuggestShard `json:"suggest,omitempty"`
	// Digest is "sha256:" and the hex SHA-256 of the file's JSON encoding
	// with Digest empty: a file changed after fedsim wrote it (by hand,
	// by a truncated copy, by a tool that rewrites JSON) no longer
	// matches and is refused.
	Digest string `json:"digest"`
}

// SuggestShard is a shard's share of --suggest.
type SuggestShard struct {
	// Ran is false when the sweep is too large for --suggest
	// (SuggestBudget); then there are no trials in any shard.
	Ran bool `json:"ran"`
	// Candidates counts the candidates of the whole sweep.
	Candidates int     `json:"candidates"`
	Trials     []Trial `json:"trials"`
}

// NewShardFile assembles and seals a shard file.
func NewShardFile(e Experiment, r *Result, s *SuggestShard) (*ShardFile, error) {
	f := &ShardFile{Format: ShardFormat, Experiment: e, Shard: r.Shard, Shards: r.Shards, Cells: r.Cells, Suggest: s}
	if f.Cells == nil {
		f.Cells = []Cell{}
	}
	var err error
	f.Digest, err = f.digest()
	return f, err
}

func (f *ShardFile) digest() (string, error) {
	c := *f
	c.Digest = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("sweep: digest of a shard: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Reseal recomputes the digest (for tests that forge a consistent file).
func (f *ShardFile) Reseal() error {
	var err error
	f.Digest, err = f.digest()
	return err
}

// Write writes the shard file as indented JSON.
func (f *ShardFile) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(f)
}

// ReadShardFile reads and checks what Write wrote: the format, no unknown
// fields, and the digest.
func ReadShardFile(rd io.Reader) (*ShardFile, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("not a fedsim sweep shard: %w", err)
	}
	if probe.Format != ShardFormat {
		if probe.Format == "" {
			return nil, fmt.Errorf("not a fedsim sweep shard (no \"format\": %q; fedsim sweep --shard i/n writes one)", ShardFormat)
		}
		return nil, fmt.Errorf("shard format %q: this fedsim reads %q", probe.Format, ShardFormat)
	}
	var f ShardFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading a shard: %w", err)
	}
	want, err := f.digest()
	if err != nil {
		return nil, err
	}
	if f.Digest != want {
		return nil, fmt.Errorf("digest %s does not match its contents (%s): the file was changed after fedsim sweep wrote it", short(f.Digest), short(want))
	}
	return &f, nil
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	if d == "" {
		return `""`
	}
	return d
}

// Share makes f use prev's policy list when the two are equal, and one
// copy of each cell string (names, outcomes, reasons) through pool: a
// thousand shards of a thousand-policy sweep otherwise hold a thousand
// copies of the list and a million copies of a few dozen reasons while
// fedsim merge reads them. prev may be nil.
func (f *ShardFile) Share(prev *ShardFile, pool map[string]string) {
	if prev != nil && len(prev.Experiment.Policies) == len(f.Experiment.Policies) {
		same := true
		for i, p := range prev.Experiment.Policies {
			if p != f.Experiment.Policies[i] {
				same = false
				break
			}
		}
		if same {
			f.Experiment.Policies = prev.Experiment.Policies
		}
	}
	intern := func(s *string) {
		if v, ok := pool[*s]; ok {
			*s = v
		} else {
			pool[*s] = *s
		}
	}
	for i := range f.Cells {
		c := &f.Cells[i]
		intern(&c.Initiator)
		intern(&c.Receiver)
		intern(&c.Outcome)
		intern(&c.Reason)
	}
}

// Named is a shard file and where it came from, for messages.
type Named struct {
	Name string
	File *ShardFile
}

// MergeOptions tunes MergeShards.
type MergeOptions struct {
	// Version is the running fedsim's (cmd/fedsim's buildVersion()); a shard made by another
	// is refused unless IgnoreVersion.
	Version       string
	IgnoreVersion bool
}

// Merged is the result of merging shard files.
type Merged struct {
	Experiment Experiment
	Result     *Result
	// Suggest holds every trial in candidate order (nil without --suggest).
	Suggest *SuggestShard
	// Versions lists the distinct fedsim versions, when IgnoreVersion let
	// several through.
	Versions []string
}

// MergeShards checks that the shards are one experiment, complete and
// each given once, and combines them. Every refusal names the files and
// what differs: the fedsim version, a flag, the policy list, the shard
// count, a missing or a repeated shard.
func MergeShards(files []Named, opt MergeOptions) (*Merged, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("sweep: no shard files to merge")
	}
	first := files[0]
	versions := []string{}
	for _, f := range files {
		v := f.File.Experiment.Fedsim
		if !opt.IgnoreVersion && v != opt.Version {
			return nil, fmt.Errorf("%s was made by fedsim %s, this is fedsim %s: a different build may build other policies or negotiate differently; merge with the fedsim that made the shards (or pass --ignore-version to merge anyway)", f.Name, v, opt.Version)
		}
		if !contains(versions, v) {
			versions = append(versions, v)
		}
	}
	for _, f := range files[1:] {
		if err := sameExperiment(first, f); err != nil {
			return nil, err
		}
		if f.File.Shards != first.File.Shards {
			return nil, fmt.Errorf("%s is shard %d/%d, %s is shard %d/%d: --shard differs in the shard count", f.Name, f.File.Shard, f.File.Shards, first.Name, first.File.Shard, first.File.Shards)
		}
	}
	n := first.File.Shards
	byShard := map[int]string{}
	var parts []*Result
	for _, f := range files {
		s := f.File
		if s.Shard < 0 || s.Shard >= n {
			return nil, fmt.Errorf("%s: shard %d/%d: want 0 <= i < n", f.Name, s.Shard, n)
		}
		if prev, dup := byShard[s.Shard]; dup {
			return nil, fmt.Errorf("shard %d/%d is given twice: %s and %s", s.Shard, n, prev, f.Name)
		}
		byShard[s.Shard] = f.Name
		if err := checkCells(f, len(first.File.Experiment.Policies)); err != nil {
			return nil, err
		}
		parts = append(parts, &Result{Seed: s.Experiment.Seed, Shard: s.Shard, Shards: n, Policies: s.Experiment.Policies, Cells: s.Cells})
	}
	if len(byShard) != n {
		var missing []string
		for i := 0; i < n; i++ {
			if _, ok := byShard[i]; !ok {
				missing = append(missing, strconv.Itoa(i))
			}
		}
		more := ""
		if len(missing) > 20 {
			more = fmt.Sprintf(" … (%d in all)", len(missing))
			missing = missing[:20]
		}
		what := "shard"
		if len(missing) > 1 {
			what = "shards"
		}
		return nil, fmt.Errorf("%d of %d shards given: %s %s of %d missing", len(byShard), n, what, strings.Join(missing, ", ")+more, n)
	}
	res, err := Merge(parts)
	if err != nil {
		return nil, err
	}
	m := &Merged{Experiment: first.File.Experiment, Result: res}
	if len(versions) > 1 {
		m.Versions = versions
	}
	if m.Experiment.Suggest {
		if m.Suggest, err = mergeSuggest(files, n); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// sameExperiment says which flag, or else which policy, differs.
func sameExperiment(a, b Named) error {
	ea, eb := a.File.Experiment, b.File.Experiment
	fa, fb := ea.flags(), eb.flags()
	for i := range fa {
		if fa[i] != fb[i] {
			return fmt.Errorf("%s and %s are shards of different sweeps: %s differs (%s in %s, %s in %s)",
				b.Name, a.Name, fa[i].name, given(fb[i].value), b.Name, given(fa[i].value), a.Name)
		}
	}
	pa, pb := ea.Policies, eb.Policies
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y string
		if i < len(pa) {
			x = pa[i].Name + " " + pa[i].Fields
		}
		if i < len(pb) {
			y = pb[i].Name + " " + pb[i].Fields
		}
		if x != y {
			return fmt.Errorf("%s and %s are shards of different sweeps: the policy list differs (%d policies in %s, %d in %s; policy %d is %s in %s, %s in %s)",
				b.Name, a.Name, len(pb), b.Name, len(pa), a.Name, i+1, given(y), b.Name, given(x), a.Name)
		}
	}
	return nil
}

func given(v string) string {
	if v == "" {
		return "not given"
	}
	return strconv.Quote(v)
}

// checkCells requires exactly the shard's pair indices, in order.
func checkCells(f Named, policies int) error {
	s := f.File
	k := s.Shard
	for _, c := range s.Cells {
		if c.Index != k || k >= policies*policies {
			return fmt.Errorf("%s: cell %d where shard %d/%d has pair %d", f.Name, c.Index, s.Shard, s.Shards, k)
		}
		k += s.Shards
	}
	if k < policies*policies {
		return fmt.Errorf("%s: shard %d/%d ends at pair %d of %d", f.Name, s.Shard, s.Shards, k, policies*policies)
	}
	return nil
}

// mergeSuggest combines the shards' trials in candidate order.
func mergeSuggest(files []Named, n int) (*SuggestShard, error) {
	var out *SuggestShard
	for _, f := range files {
		s := f.File.Suggest
		if s == nil {
			return nil, fmt.Errorf("%s: made with --suggest but holds no suggestion trials", f.Name)
		}
		if out == nil {
			out = &SuggestShard{Ran: s.Ran, Candidates: s.Candidates}
		}
		if s.Ran != out.Ran || s.Candidates != out.Candidates {
			return nil, fmt.Errorf("%s: %d suggestion candidates (ran %t), %s: %d (ran %t)", f.Name, s.Candidates, s.Ran, files[0].Name, out.Candidates, out.Ran)
		}
		for i, t := range s.Trials {
			if want := f.File.Shard + i*n; t.Candidate != want {
				return nil, fmt.Errorf("%s: suggestion trial for candidate %d where shard %d/%d has %d", f.Name, t.Candidate, f.File.Shard, n, want)
			}
		}
		out.Trials = append(out.Trials, s.Trials...)
	}
	sort.Slice(out.Trials, func(i, j int) bool { return out.Trials[i].Candidate < out.Trials[j].Candidate })
	if out.Ran && len(out.Trials) != out.Candidates {
		return nil, fmt.Errorf("%d suggestion trials for %d candidates", len(out.Trials), out.Candidates)
	}
	return out, nil
}
