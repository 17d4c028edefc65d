package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sort"
	"testing"
	"time"

	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/scenarios/bench"
	"github.com/fedsim/fedsim/sim"
)

func init() {
	register(command{name: "bench", usage: "fedsim bench [--count N] [--large-domains N] [--large-base N] [--format text|json]",
		summary: "measure fedsim against its performance targets and print each figure, its target and the ratio",
		run:     cmdBench, flags: func() *flag.FlagSet { fs, _ := benchFlags(io.Discard); return fs }})
}

type benchOpts struct {
	count        int
	largeDomains int
	largeBase    int
	format       string
}

func benchFlags(stderr io.Writer) (*flag.FlagSet, *benchOpts) {
	o := &benchOpts{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.count, "count", 5, "runs of each benchmark, the large run included; figures are medians, ratios medians of paired runs")
	fs.IntVar(&o.largeDomains, "large-domains", 100000, "domains in the large federation (10 peers each, 100 stanzas per domain); 0 skips it")
	fs.IntVar(&o.largeBase, "large-base", 1000, "domains in the small run the large run's cost per domain is compared with, measured in the same bench")
	fs.StringVar(&o.format, "format", "text", "output format: text or json")
	return fs, o
}

// benchRow is one line of the report.
type benchRow struct {
	What     string  `json:"what"`
	Figure   float64 `json:"figure"`
	Unit     string  `json:"unit"`
	Target   string  `json:"target"`
	Met      bool    `json:"met"`
	Ratio    float64 `json:"ratio"`
	RatioOf  string  `json:"ratio_of"`
	Baseline float64 `json:"baseline,omitempty"`
	// OneCore is the figure with GOMAXPROCS=1, for the per-CPU-second rows.
	OneCore float64 `json:"one_core,omitempty"`
	Note    string  `json:"note,omitempty"`
}

// medianOf runs fn count times with testing.Benchmark and returns the
// median of metric(result).
func medianOf(count int, fn func(*testing.B), metric func(testing.BenchmarkResult) float64) float64 {
	var xs []float64
	for i := 0; i < count; i++ {
		xs = append(xs, metric(testing.Benchmark(fn)))
	}
	return median(xs)
}

// pairedMedians runs fn and its baseline alternately, count times each,
// and returns the median of each and the median of the per-pair ratios
// ratio(fn, baseline). Each ratio compares two measurements taken seconds
// apart, so a machine whose speed drifts (a noisy neighbour, frequency
// changes) moves both sides of it alike.
func pairedMedians(count int, fn, baseline func(*testing.B), metric func(testing.BenchmarkResult) float64, ratio func(a, b float64) float64) (a, b, r float64) {
	var as, bs, rs []float64
	for i := 0; i < count; i++ {
		x, y := metric(testing.Benchmark(fn)), metric(testing.Benchmark(baseline))
		as, bs, rs = append(as, x), append(bs, y), append(rs, ratio(x, y))
	}
	return median(as), median(bs), median(rs)
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func nsPerOp(r testing.BenchmarkResult) float64 { return float64(r.T.Nanoseconds()) / float64(r.N) }
func mbPerS(r testing.BenchmarkResult) float64 {
	return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
}
func extra(name string) func(testing.BenchmarkResult) float64 {
	return func(r testing.BenchmarkResult) float64 { return r.Extra[name] }
}

func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs, o := benchFlags(stderr)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return noArgs(pos)
	case o.count < 1:
		return badInput("--count %d: want at least 1", o.count)
	case o.largeDomains < 0 || (o.largeDomains > 0 && o.largeDomains <= 10):
		return badInput("--large-domains %d: want 0 (skip the large run) or more than 10 (each domain has 10 peers)", o.largeDomains)
	case o.largeBase <= 10:
		return badInput("--large-base %d: want more than 10 (each domain has 10 peers)", o.largeBase)
	case o.format != "text" && o.format != "json":
		return badInput("--format %q: want text or json", o.format)
	}
	progress := func(what string) {
		if o.format == "text" {
			fmt.Fprintf(stderr, "measuring %s...\n", what)
		}
	}
	var rows []benchRow
	load0 := loadNow()
	if w := loadWarning(load0, load0); w != "" {
		fmt.Fprintf(stderr, "fedsim bench: %s\n", w)
	}

	progress("the kernel")
	k, kb, kr := pairedMedians(o.count, sim.BenchKernel, sim.BenchKernelContainerHeap, nsPerOp, func(x, y float64) float64 { return y / x })
	rows = append(rows, benchRow{What: "kernel: schedule + dispatch, 10,000 pending", Figure: k, Unit: "ns/event",
		Target: "<= 100 ns and >= 2x container/heap", Met: k <= 100 && kr >= 2, Ratio: kr, RatioOf: "container/heap time / kernel time, median of paired runs", Baseline: kb})

	// Throughput per CPU-second: bytes over the process's CPU time across
	// the benchmark (bench.WithCPU), so that another process's work on a
	// shared machine is not counted against either side.
	mbPerCPUs := func(r testing.BenchmarkResult) float64 {
		if ns := r.Extra["cpu-ns/op"]; ns > 0 {
			return float64(r.Bytes) / ns * 1e3
		}
		return mbPerS(r)
	}
	progress("the stream parser")
	parser := bench.WithCPU(xmlstream.BenchParserVaried)
	p, pb, pr := pairedMedians(o.count, parser, bench.WithCPU(xmlstream.BenchEncodingXMLVaried), mbPerCPUs, func(x, y float64) float64 { return x / y })
	varied := fmt.Sprintf("a %d KiB varied s2s stream (xmlstream.VariedCorpus, seed %d): ", xmlstream.VariedCorpusSize>>10, xmlstream.VariedSeed)
	rows = append(rows, benchRow{What: "stream parser vs encoding/xml Decoder.Token", Figure: p, Unit: "MB/CPU-s",
		Target: ">= 3x Decoder.Token", Met: pr >= 3, Ratio: pr, RatioOf: "parser / Decoder.Token throughput per CPU-second, median of paired runs", Baseline: pb,
		Note: varied + "the parser in servers' mode: tokens lent, raw bytes discarded, every stanza built as a tree with namespaces resolved"})
	p, pb, pr = pairedMedians(o.count, parser, bench.WithCPU(xmlstream.BenchEncodingXMLRawVaried), mbPerCPUs, func(x, y float64) float64 { return x / y })
	rows = append(rows, benchRow{What: "stream parser vs encoding/xml Decoder.RawToken", Figure: p, Unit: "MB/CPU-s",
		Target: ">= 3x Decoder.RawToken", Met: pr >= 3, Ratio: pr, RatioOf: "parser / Decoder.RawToken throughput per CPU-second, median of paired runs", Baseline: pb,
		Note: "the same stream; RawToken neither matches tags nor resolves namespaces: less work than the parser does"})

	progress("federations (on every core, then on one)")
	// The note says how much of the target's budget (20 µs at 50,000 per
	// CPU-second) parsing the federation's bytes takes on its own.
	parseNote := func(preset string) string {
		bench := bench.WithCPU(func(b *testing.B) { bench.BenchFederationParse(b, preset) })
		var us, tokens, bytes []float64
		for i := 0; i < o.count; i++ {
			r := testing.Benchmark(bench)
			us, tokens, bytes = append(us, r.Extra["cpu-ns/op"]/1e3), append(tokens, r.Extra["tokens/federation"]), append(bytes, float64(r.Bytes))
		}
		u := median(us)
		return fmt.Sprintf("parsing its %.0f bytes (%.0f tokens) alone, as its servers parse them: %.1f µs CPU, %.0f%% of the %.0f µs a federation has at the target",
			median(bytes), median(tokens), u, 100*u/20, 20.0)
	}
	// federation measures fn on every core the process has and with
	// GOMAXPROCS=1, alternately: per CPU-second, the collector's workers
	// on a second core are counted in the first figure and share the one
	// core in the second.
	federation := func(fn func(*testing.B)) (all, one, buildUS float64) {
		var as, ones, bs []float64
		procs := runtime.GOMAXPROCS(0)
		for i := 0; i < o.count; i++ {
			r := testing.Benchmark(fn)
			as, bs = append(as, r.Extra["federations/CPU-s"]), append(bs, r.Extra["build-µs/federation"])
			runtime.GOMAXPROCS(1)
			ones = append(ones, testing.Benchmark(fn).Extra["federations/CPU-s"])
			runtime.GOMAXPROCS(procs)
		}
		return median(as), median(ones), median(bs)
	}
	fedRow := func(what string, all, one float64, note string) benchRow {
		return benchRow{What: what, Figure: all, Unit: "federations/CPU-s", Target: ">= 50,000 per CPU-second",
			Met: all >= 50000 && one >= 50000, Ratio: min(all, one) / 50000, RatioOf: "the lower of the two figures / target",
			OneCore: one, Note: note}
	}
	fd, fd1, fdb := federation(bench.BenchFederationDialback)
	rows = append(rows, fedRow("Server Dialback federation (type2 -> type2, both ways, ping answered)", fd, fd1,
		fmt.Sprintf("%s; building its world, not counted: %.1f µs a federation", parseNote("type2"), fdb)))
	fsasl, fsasl1, fsb := federation(bench.BenchFederationSASL)
	rows = append(rows, fedRow("TLS + SASL EXTERNAL federation (type5 -> type5)", fsasl, fsasl1,
		fmt.Sprintf("%s; building its world, not counted: %.1f µs a federation", parseNote("type5"), fsb)))
	progress("a real TLS 1.3 handshake")
	hs := medianOf(o.count, bench.WithCPU(bench.BenchRealTLSHandshake), extra("cpu-ns/op")) / 1e3
	perFed := 1e6 / min(fsasl, fsasl1)
	rows = append(rows, benchRow{What: "  beside it: one real Go TLS 1.3 handshake (mutual, ECDSA P-256, X25519)", Figure: hs, Unit: "µs CPU",
		Target: "none (for comparison)", Met: true, Ratio: hs / perFed, RatioOf: "handshake / one simulated SASL federation, CPU",
		Note: fmt.Sprintf("fedsim models TLS without handshake cryptography; a SASL federation makes 2 handshakes: with real ones it would cost about %.0f µs instead of %.0f (%.0f per CPU-second)",
			perFed+2*hs, perFed, 1e6/(perFed+2*hs))})

	progress("the matrix")
	m := medianOf(o.count, bench.BenchMatrix, nsPerOp) / 1e6
	rows = append(rows, benchRow{What: "36-cell matrix, in process", Figure: m, Unit: "ms",
		Target: "<= 5 ms", Met: m <= 5, Ratio: 5 / m, RatioOf: "target / figure"})

	if exe, err := os.Executable(); err == nil {
		progress("fedsim as a process")
		for _, c := range []struct {
			arg    string
			target float64
		}{{"matrix", 50}, {"help", 5}} {
			// Each run is followed by one of the floor, a process that does
			// nothing, and by one traced with GODEBUG=inittrace=1.
			floor := ""
			if c.arg == "help" {
				floor = bench.Floor()
			}
			st, err := bench.MeasureStartup(exe, []string{c.arg}, floor, o.count)
			if err != nil {
				break
			}
			ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
			mp := ms(st.Wall)
			rows = append(rows, benchRow{What: "fedsim " + c.arg + " as a process, start to exit", Figure: mp, Unit: "ms",
				Target: fmt.Sprintf("<= %.0f ms", c.target), Met: mp <= c.target, Ratio: c.target / mp, RatioOf: "target / figure",
				Note: fmt.Sprintf("%.1f ms CPU; its %d package initialisers %.1f ms (fedsim's own %.2f ms) in runs traced with GODEBUG=inittrace=1, which slows them (untraced, a profile puts them at about a quarter of the CPU)%s",
					ms(st.CPU), st.InitPackages, ms(st.Inits), ms(st.Own), cgoNote())})
			if floor != "" {
				rows = append(rows, benchRow{What: "  beside it: " + floor + " as a process (the floor: exec and exit)", Figure: ms(st.Floor.Wall), Unit: "ms",
					Target: "none (for comparison)", Met: true, Ratio: st.WallRatio, RatioOf: "fedsim " + c.arg + " / the floor, wall, median of paired runs",
					Note: fmt.Sprintf("%.1f ms CPU; fedsim %s / the floor in CPU: %.2fx. A Go program that prints a line takes about 2x the floor (docs/performance.md, start-up)",
						ms(st.Floor.CPU), c.arg, st.CPURatio)})
			}
		}
	}

	progress("idle streams")
	per, streams, err := bench.MeasureIdleStreamBytes(1000, 5)
	if err != nil {
		return err
	}
	rows = append(rows, benchRow{What: "memory per established, idle stream", Figure: per, Unit: "bytes",
		Target: "<= 2 KiB", Met: per <= 2048, Ratio: 2048 / per, RatioOf: "target / figure", Note: fmt.Sprintf("%d streams", streams)})

	if o.largeDomains > 0 {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		type largeRun struct {
			Events   int     `json:"events"`
			Wall     float64 `json:"wall_s"`
			CPU      float64 `json:"cpu_s"`
			Build    float64 `json:"build_s"`
			SimS     float64 `json:"sim_s"`
			PeakRSS  int64   `json:"peak_rss_bytes"`
			EventsPS float64 `json:"events_per_s"`
		}
		// large runs domains count times, each in its own process so that
		// its peak memory is its own: the median run (by wall time, world
		// building excluded) and the largest peak of any run.
		large := func(domains int) (largeRun, []largeRun, error) {
			var runs []largeRun
			var walls []float64
			for i := 0; i < o.count; i++ {
				out, err := exec.Command(exe, "large", "--domains", fmt.Sprint(domains), "--peers", "10",
					"--stanzas", fmt.Sprint(100*domains), "--format", "json").Output()
				if err != nil {
					return largeRun{}, nil, fmt.Errorf("the large run of %d domains failed: %w", domains, err)
				}
				var r largeRun
				if err := json.Unmarshal(out, &r); err != nil {
					return largeRun{}, nil, fmt.Errorf("reading the large run: %w", err)
				}
				runs, walls = append(runs, r), append(walls, r.Wall)
			}
			mw := median(append([]float64(nil), walls...))
			f := runs[0]
			for _, r := range runs {
				if r.Wall == mw {
					f = r // the median run's counts in the note
				}
			}
			f.Wall = mw
			for _, r := range runs {
				f.PeakRSS = max(f.PeakRSS, r.PeakRSS)
			}
			return f, runs, nil
		}
		progress(fmt.Sprintf("a federation of %d domains, the baseline of the cost per domain", o.largeBase))
		_, baseRuns, err := large(o.largeBase)
		if err != nil {
			return err
		}
		progress(fmt.Sprintf("a federation of %d domains (in a child process, so that its peak memory is its own)", o.largeDomains))
		f, runs, err := large(o.largeDomains)
		if err != nil {
			return err
		}
		stanzas := 100 * o.largeDomains
		// The large targets are for 100,000 domains; for another size they
		// scale with the domains (10 stanzas per ms; memory beyond the 32
		// MiB any Go process of this size starts with, ~42 KiB per domain).
		wallTarget := 100 * float64(o.largeDomains) / 100000
		memTarget := 32<<20 + (int64(4<<30)-32<<20)*int64(o.largeDomains)/100000
		note := fmt.Sprintf("%d events, %.0f events/s, %.1f simulated s per wall s, %.1f s of CPU", f.Events, f.EventsPS, f.SimS/f.Wall, f.CPU)
		if o.largeDomains != 100000 {
			note += "; the targets, set for 100,000 domains, scaled to this size"
		}
		rows = append(rows, benchRow{What: fmt.Sprintf("%d domains x 10 peers, %d stanzas: wall, world building excluded", o.largeDomains, stanzas), Figure: f.Wall, Unit: "s",
			Target: fmt.Sprintf("<= %.3g s", wallTarget), Met: f.Wall <= wallTarget, Ratio: wallTarget / f.Wall, RatioOf: "target / figure", Note: note})
		rows = append(rows, benchRow{What: "  its world's building (apart from the wall figure)", Figure: f.Build, Unit: "s",
			Target: "none (reported apart)", Met: true, Ratio: f.Build / f.Wall, RatioOf: "building / run"})
		rows = append(rows, benchRow{What: fmt.Sprintf("%d domains: peak memory (process RSS, largest run)", o.largeDomains), Figure: float64(f.PeakRSS) / (1 << 20), Unit: "MiB",
			Target: fmt.Sprintf("<= %.4g MiB", float64(memTarget)/(1<<20)), Met: f.PeakRSS <= memTarget, Ratio: float64(memTarget) / float64(f.PeakRSS), RatioOf: "target / figure"})
		// Cost per domain: each large run against the base run of the same
		// index, then the median; in CPU time (the process's, during the
		// run) where the runs report it, since on a shared machine the two
		// runs' wall times measure different neighbours.
		var ratios []float64
		unit := "CPU time"
		for i := range runs {
			a, b := runs[i].CPU, baseRuns[i].CPU
			if a <= 0 || b <= 0 {
				a, b, unit = runs[i].Wall, baseRuns[i].Wall, "wall time"
			}
			ratios = append(ratios, (a/float64(o.largeDomains))/(b/float64(o.largeBase)))
		}
		scale := median(ratios)
		perDomain := func(r []largeRun, domains int) float64 {
			var xs []float64
			for _, x := range r {
				if unit == "CPU time" {
					xs = append(xs, x.CPU)
				} else {
					xs = append(xs, x.Wall)
				}
			}
			return 1e6 * median(xs) / float64(domains)
		}
		rows = append(rows, benchRow{What: fmt.Sprintf("cost per domain at %d domains against %d (%s per domain)", o.largeDomains, o.largeBase, unit), Figure: scale, Unit: "x",
			Target: "<= 1.25x", Met: scale <= 1.25, Ratio: 1.25 / scale, RatioOf: "target / figure",
			Note: fmt.Sprintf("%.1f µs per domain at %d, %.1f µs at %d (medians; ratio: median of paired runs)", perDomain(baseRuns, o.largeBase), o.largeBase, perDomain(runs, o.largeDomains), o.largeDomains)})
	}

	warning := loadWarning(load0, loadNow())
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Count   int        `json:"count"`
			CPUs    int        `json:"cpus"`
			Warning string     `json:"load_warning,omitempty"`
			Rows    []benchRow `json:"rows"`
		}{o.count, numCPU(), warning, rows}); err != nil {
			return err
		}
		return nil
	}
	fmt.Fprintf(stdout, "fedsim bench: medians of %d runs on this machine (%d CPUs visible)\n", o.count, numCPU())
	if warning != "" {
		fmt.Fprintf(stdout, "WARNING: %s\n", warning)
	}
	fmt.Fprintln(stdout)
	width := 40
	for _, r := range rows {
		width = max(width, len([]rune(r.What)))
	}
	fmt.Fprintf(stdout, "%-*s %16s  %-36s %-5s %s\n", width, "what", "figure", "target", "met", "ratio")
	for _, r := range rows {
		met := "no"
		if r.Met {
			met = "yes"
		}
		pad := width - len([]rune(r.What)) + len(r.What) // %-*s counts bytes
		fmt.Fprintf(stdout, "%-*s %16s  %-36s %-5s %.2f (%s)\n", pad, r.What, fmtFigure(r.Figure, r.Unit), r.Target, met, r.Ratio, r.RatioOf)
		if r.OneCore != 0 {
			fmt.Fprintf(stdout, "%-*s %16s\n", width, "  the same on one core (GOMAXPROCS=1)", fmtFigure(r.OneCore, r.Unit))
		}
		if r.Baseline != 0 {
			fmt.Fprintf(stdout, "%-*s %16s\n", width, "  baseline in the same run", fmtFigure(r.Baseline, r.Unit))
		}
		if r.Note != "" {
			fmt.Fprintf(stdout, "  %s\n", r.Note)
		}
	}
	return nil
}

func fmtFigure(v float64, unit string) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	default:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
}

func numCPU() int { return runtime.NumCPU() }

// loadNow is the one-minute load average (0 where it cannot be read).
func loadNow() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	if _, err := fmt.Sscan(string(b), &l); err != nil {
		return 0
	}
	return l
}

// loadWarning says why the figures cannot be trusted when the machine was
// busier than its cores at the start or the end of the bench: other
// processes then take time the figures count (wall time) or slow what they
// measure through shared caches (CPU time). At a load of 12 on 2 cores the
// bench once reported six targets missed that a quiet machine meets.
func loadWarning(start, end float64) string {
	cpus := float64(numCPU())
	if l := max(start, end); l > cpus {
		return fmt.Sprintf("the machine's load average (%.1f at the start, %.1f at the end) is above its %d CPUs: other work competes with the measurements, and a missed target may be the machine's, not fedsim's; measure again on a quiet machine",
			start, end, numCPU())
	}
	return ""
}

// cgoNote says, when this binary was built with cgo, what building it
// without would save at start: package net's C resolver makes the binary
// link libc, and the dynamic loader then runs at every start (measured in
// docs/performance.md: a static build starts in about three quarters of
// the time). Empty for a static build or when the build recorded nothing.
func cgoNote() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "CGO_ENABLED" && s.Value == "1" {
			return "; this binary links libc (built with CGO_ENABLED=1): CGO_ENABLED=0 go install … starts in about 3/4 of the time"
		}
	}
	return ""
}
