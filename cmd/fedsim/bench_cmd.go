package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/scenarios/bench"
	"github.com/fedsim/fedsim/sim"
)

func init() {
	register(command{name: "bench", usage: "fedsim bench [--count N] [--large-domains N] [--format text|json]",
		summary: "measure fedsim against its performance targets and print each figure, its target and the ratio",
		run:     cmdBench, flags: func() *flag.FlagSet { fs, _ := benchFlags(io.Discard); return fs }})
}

type benchOpts struct {
	count        int
	largeDomains int
	format       string
}

func benchFlags(stderr io.Writer) (*flag.FlagSet, *benchOpts) {
	o := &benchOpts{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.count, "count", 5, "runs of each benchmark, the large run included; figures are medians, ratios medians of paired runs")
	fs.IntVar(&o.largeDomains, "large-domains", 10000, "domains in the large federation (10 peers each, 100 stanzas per domain); 0 skips it")
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
	Note     string  `json:"note,omitempty"`
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
	case o.format != "text" && o.format != "json":
		return badInput("--format %q: want text or json", o.format)
	}
	progress := func(what string) {
		if o.format == "text" {
			fmt.Fprintf(stderr, "measuring %s...\n", what)
		}
	}
	var rows []benchRow

	progress("the kernel")
	k, kb, kr := pairedMedians(o.count, sim.BenchKernel, sim.BenchKernelContainerHeap, nsPerOp, func(x, y float64) float64 { return y / x })
	rows = append(rows, benchRow{What: "kernel: schedule + dispatch, 10,000 pending", Figure: k, Unit: "ns/event",
		Target: "<= 100 ns and >= 2x container/heap", Met: k <= 100 && kr >= 2, Ratio: kr, RatioOf: "container/heap time / kernel time, median of paired runs", Baseline: kb})

	progress("the stream parser")
	p, pb, pr := pairedMedians(o.count, xmlstream.BenchParser, xmlstream.BenchEncodingXML, mbPerS, func(x, y float64) float64 { return x / y })
	rows = append(rows, benchRow{What: "stream parser on s2s traffic", Figure: p, Unit: "MB/s",
		Target: ">= 3x encoding/xml", Met: pr >= 3, Ratio: pr, RatioOf: "parser / encoding/xml throughput, median of paired runs", Baseline: pb})

	progress("federations")
	// The note says how much of the target's budget (20 µs at 50,000 per
	// CPU-second) parsing the federation's bytes takes on its own.
	parseNote := func(preset string) string {
		bench := func(b *testing.B) { bench.BenchFederationParse(b, preset) }
		var us, tokens, bytes []float64
		for i := 0; i < o.count; i++ {
			r := testing.Benchmark(bench)
			us, tokens, bytes = append(us, r.Extra["µs/federation"]), append(tokens, r.Extra["tokens/federation"]), append(bytes, float64(r.Bytes))
		}
		u := median(us)
		return fmt.Sprintf("parsing its %.0f bytes (%.0f tokens) alone, as its servers parse them: %.1f µs, %.0f%% of the %.0f µs a federation has at the target",
			median(bytes), median(tokens), u, 100*u/20, 20.0)
	}
	fd := medianOf(o.count, bench.BenchFederationDialback, extra("federations/CPU-s"))
	rows = append(rows, benchRow{What: "Server Dialback federation (type2 -> type2, both ways, ping answered)", Figure: fd, Unit: "federations/CPU-s",
		Target: ">= 50,000 per CPU-second", Met: fd >= 50000, Ratio: fd / 50000, RatioOf: "figure / target", Note: parseNote("type2")})
	fsasl := medianOf(o.count, bench.BenchFederationSASL, extra("federations/CPU-s"))
	rows = append(rows, benchRow{What: "TLS + SASL EXTERNAL federation (type5 -> type5)", Figure: fsasl, Unit: "federations/CPU-s",
		Target: ">= 50,000 per CPU-second", Met: fsasl >= 50000, Ratio: fsasl / 50000, RatioOf: "figure / target", Note: parseNote("type5")})

	progress("the matrix")
	m := medianOf(o.count, bench.BenchMatrix, nsPerOp) / 1e6
	rows = append(rows, benchRow{What: "36-cell matrix, in process", Figure: m, Unit: "ms",
		Target: "<= 5 ms", Met: m <= 5, Ratio: 5 / m, RatioOf: "target / figure"})

	if exe, err := os.Executable(); err == nil {
		var xs []float64
		for i := 0; i < o.count; i++ {
			start := time.Now()
			cmd := exec.Command(exe, "matrix")
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
			if err := cmd.Run(); err != nil {
				break
			}
			xs = append(xs, float64(time.Since(start).Microseconds())/1000)
		}
		if len(xs) > 0 {
			mp := median(xs)
			rows = append(rows, benchRow{What: "fedsim matrix as a process, start to exit", Figure: mp, Unit: "ms",
				Target: "<= 50 ms", Met: mp <= 50, Ratio: 50 / mp, RatioOf: "target / figure"})
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
		progress(fmt.Sprintf("a federation of %d domains (in a child process, so that its peak memory is its own)", o.largeDomains))
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		stanzas := 100 * o.largeDomains
		type largeRun struct {
			Events   int     `json:"events"`
			Wall     float64 `json:"wall_s"`
			Build    float64 `json:"build_s"`
			SimS     float64 `json:"sim_s"`
			PeakRSS  int64   `json:"peak_rss_bytes"`
			EventsPS float64 `json:"events_per_s"`
		}
		// count runs, each in its own process: the median wall time, and
		// the largest peak memory of any run.
		var runs []largeRun
		var walls []float64
		for i := 0; i < o.count; i++ {
			out, err := exec.Command(exe, "large", "--domains", fmt.Sprint(o.largeDomains), "--peers", "10",
				"--stanzas", fmt.Sprint(stanzas), "--format", "json").Output()
			if err != nil {
				return fmt.Errorf("the large run failed: %w", err)
			}
			var r largeRun
			if err := json.Unmarshal(out, &r); err != nil {
				return fmt.Errorf("reading the large run: %w", err)
			}
			runs, walls = append(runs, r), append(walls, r.Wall)
		}
		mw := median(walls)
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
		note := fmt.Sprintf("%d events, %.0f events/s, %.1f simulated s per wall s, world built in %.1fs", f.Events, f.EventsPS, f.SimS/f.Wall, f.Build)
		rows = append(rows, benchRow{What: fmt.Sprintf("%d domains x 10 peers, %d stanzas: wall", o.largeDomains, stanzas), Figure: f.Wall, Unit: "s",
			Target: "<= 10 s", Met: f.Wall <= 10, Ratio: 10 / f.Wall, RatioOf: "target / figure", Note: note})
		rows = append(rows, benchRow{What: fmt.Sprintf("%d domains: peak memory (process RSS, largest run)", o.largeDomains), Figure: float64(f.PeakRSS) / (1 << 20), Unit: "MiB",
			Target: "<= 2 GiB", Met: f.PeakRSS <= 2<<30, Ratio: float64(int64(2)<<30) / float64(f.PeakRSS), RatioOf: "target / figure"})
	}

	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Count int        `json:"count"`
			Rows  []benchRow `json:"rows"`
		}{o.count, rows}); err != nil {
			return err
		}
		return nil
	}
	fmt.Fprintf(stdout, "fedsim bench: medians of %d runs on this machine (%d CPUs visible)\n\n", o.count, numCPU())
	fmt.Fprintf(stdout, "%-68s %14s  %-36s %-5s %s\n", "what", "figure", "target", "met", "ratio")
	for _, r := range rows {
		met := "no"
		if r.Met {
			met = "yes"
		}
		fmt.Fprintf(stdout, "%-68s %14s  %-36s %-5s %.2f (%s)\n", r.What, fmtFigure(r.Figure, r.Unit), r.Target, met, r.Ratio, r.RatioOf)
		if r.Baseline != 0 {
			fmt.Fprintf(stdout, "%-68s %14s\n", "  baseline in the same run", fmtFigure(r.Baseline, r.Unit))
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
