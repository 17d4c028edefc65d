// Benchmark bodies, shared by go test -bench and fedsim bench.

package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/sim"
)

// newPairsWorld builds n independent pairs of servers with one preset;
// server 2i pings server 2i+1 at time zero, so every pair runs one complete
// federation: the forward negotiation (with its dialback verification
// connection, or TLS and SASL), the ping, the reverse negotiation and the
// answer.
func newPairsWorld(n int, preset string, seed uint64) (*scenarios.World, error) {
	return newPairsWorldTraced(n, preset, seed, false)
}

// newPairsWorldTraced is newPairsWorld, with the trace kept if traced.
func newPairsWorldTraced(n int, preset string, seed uint64, traced bool) (*scenarios.World, error) {
	cfg, err := scenarios.PairsConfig(n, preset, seed)
	if err != nil {
		return nil, err
	}
	cfg.NoTrace = !traced
	return scenarios.Build(cfg)
}

// FederationBatch is how many pairs one world of the federation benchmark
// holds. The benchmark runs b.N federations as successive worlds of this
// many pairs, each built untimed and dropped after its run, so that what
// is measured is the cost of a federation with 100 others in flight, not
// the cost of a process whose heap grows by a whole federation's state for
// every one run. Measured on the reference machine (SASL, per CPU-second):
// all b.N pairs in one world, the figure fell as b.N grew (72 µs per
// federation at 20,000 pairs, 123 µs at 100,000); in worlds of 1,000
// pairs ~16,000, of 100 ~21,500, of 10 ~22,000 — beyond a few hundred
// pairs in flight, the working set (~50 KB a pair) leaves the caches, and
// that cost is what the large run measures. Below ~100, the timer's
// start and stop (which read the memory statistics) and getrusage around
// each world start to count.
const FederationBatch = 100

// benchFederations runs b.N complete federations of preset, in worlds of
// FederationBatch pairs each (building them is not timed; CPU time is
// summed over the runs alone).
func benchFederations(b *testing.B, preset string) {
	b.StopTimer()
	b.ReportAllocs()
	var cpu, build time.Duration
	cpuOK, events := true, uint64(0)
	for done, seed := 0, uint64(1); done < b.N; seed++ {
		n := min(FederationBatch, b.N-done)
		start := time.Now()
		w, err := newPairsWorld(n, preset, seed)
		build += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		cpu0, ok0 := processCPU()
		b.StartTimer()
		w.Run(scenarios.RunDeadline)
		b.StopTimer()
		cpu1, ok1 := processCPU()
		cpu += cpu1 - cpu0
		cpuOK = cpuOK && ok0 && ok1
		// Each federation delivers the ping and the answer.
		if got := w.Counts.Delivered; got != 2*n {
			b.Fatalf("%s: %d deliveries for %d federations, want %d", preset, got, n, 2*n)
		}
		events += w.Sim.Processed
		done += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "federations/s")
	// The target is per CPU-second: the collector's workers run on other
	// cores beside the simulation, so wall time flatters the figure.
	if cpuOK && cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "federations/CPU-s")
	} else {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "federations/CPU-s")
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/federation")
	// Building the worlds is not timed; it is reported apart (issue 16).
	b.ReportMetric(float64(build.Microseconds())/float64(b.N), "build-µs/federation")
}

// FederationTraffic is what one federation of preset writes, one byte
// stream per connection and direction, each as the units its sender wrote
// (headers, elements, closing tags), in order.
func FederationTraffic(preset string) ([][]string, error) {
	w, err := newPairsWorldTraced(1, preset, 1, true)
	if err != nil {
		return nil, err
	}
	w.Run(scenarios.RunDeadline)
	if w.Counts.Delivered != 2 {
		return nil, fmt.Errorf("bench: %s: the federation delivered %d stanzas, want 2", preset, w.Counts.Delivered)
	}
	type dir struct {
		conn int
		from string
	}
	index := map[dir]int{}
	var out [][]string
	for _, r := range w.Sim.Trace.Records {
		if r.Kind != sim.KindXML {
			continue
		}
		k := dir{r.Conn, r.Node}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], r.XML)
	}
	return out, nil
}

// restartsAfter says whether the receiver of an element starts a new
// stream after it (RFC 6120 §5.4.3.3, §6.4.6): the receiving server after
// <starttls/> and a successful <auth/> (in a benchmark's traffic every one
// succeeds), the initiating one after <proceed/> and <success/>.
func restartsAfter(el *xmlstream.Element) bool {
	switch el.Local() {
	case "starttls", "proceed", "auth", "success":
		return true
	}
	return false
}

// BenchFederationParse parses, b.N times, everything one federation of
// preset writes — as its servers do, one Parser per byte stream, tokens
// lent and raw bytes discarded, restarting after STARTTLS and SASL — and
// nothing else: the share of a federation's cost that parsing its bytes
// takes, against the 20 µs a federation has at 50,000 per CPU-second.
func BenchFederationParse(b *testing.B, preset string) {
	traffic, err := FederationTraffic(preset)
	if err != nil {
		b.Fatal(err)
	}
	bytes, units := 0, 0
	for _, d := range traffic {
		for _, u := range d {
			bytes += len(u)
			units++
		}
	}
	feeds := make([][][]byte, len(traffic))
	for i, d := range traffic {
		for _, u := range d {
			feeds[i] = append(feeds[i], []byte(u))
		}
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	tokens := 0
	for i := 0; i < b.N; i++ {
		var err error
		if tokens, err = parseTraffic(feeds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/federation")
	b.ReportMetric(float64(tokens), "tokens/federation")
	b.ReportMetric(float64(units), "units/federation")
}

// parseTraffic parses each byte stream as a server's stream parses it and
// counts the tokens.
func parseTraffic(feeds [][][]byte) (tokens int, err error) {
	for _, d := range feeds {
		var p xmlstream.Parser
		p.Borrow, p.DiscardRaw = true, true
		for _, u := range d {
			p.Feed(u)
			for {
				tok, ok, err := p.Next()
				if err != nil {
					return tokens, err
				}
				if !ok {
					break
				}
				tokens++
				if tok.Kind == xmlstream.TokElement && restartsAfter(tok.Elem) {
					p.Restart()
				}
			}
		}
	}
	return tokens, nil
}

// BenchFederationDialback: type2 -> type2, Server Dialback without TLS.
func BenchFederationDialback(b *testing.B) { benchFederations(b, "type2") }

// BenchFederationSASL: type5 -> type5, TLS and SASL EXTERNAL.
func BenchFederationSASL(b *testing.B) { benchFederations(b, "type5") }

// BenchMatrix runs the 36-cell matrix, each cell in a fresh world.
func BenchMatrix(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := scenarios.RunMatrix(scenarios.PairOptions{Seed: 1, NoTrace: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// LargeFigures is what one large run measured.
type LargeFigures struct {
	Domains, Peers, Stanzas int
	Wall                    time.Duration // the run, world building excluded
	// CPU is the process's CPU time during the run (every thread, the
	// collector's included), zero where it cannot be read: on a busy
	// machine it measures fedsim's work where wall time measures the
	// neighbours'.
	CPU                 time.Duration
	Build               time.Duration
	PeakRSS             int64 // bytes, the process's high-water mark
	Events              int
	Delivered           int
	Established, Failed int // outbound negotiations
	Connections         int // TCP connections opened, verification ones included
	SimSeconds          float64
}

// MeasureLarge builds and runs a large federation and measures it.
func MeasureLarge(opt scenarios.LargeOptions) (LargeFigures, error) {
	f := LargeFigures{Domains: opt.Domains, Peers: opt.Peers, Stanzas: opt.Stanzas}
	start := time.Now()
	w, res, err := scenarios.NewLargeWorld(opt)
	if err != nil {
		return f, err
	}
	f.Build = time.Since(start)
	cpu0, ok0 := processCPU()
	start = time.Now()
	res.Events = w.Run(scenarios.RunDeadline)
	f.Wall = time.Since(start)
	if cpu1, ok1 := processCPU(); ok0 && ok1 {
		f.CPU = cpu1 - cpu0
	}
	res.Finish()
	f.Events, f.Delivered = res.Events, res.Delivered
	f.Established, f.Failed = res.Established, res.Failed
	f.Connections = res.ConnectionsAll
	f.SimSeconds = time.Duration(res.Elapsed).Seconds()
	f.PeakRSS = PeakRSS()
	if res.Delivered != opt.Stanzas {
		return f, fmt.Errorf("bench: large run delivered %d of %d stanzas", res.Delivered, opt.Stanzas)
	}
	return f, nil
}

// PeakRSS reads the process's peak resident set size (VmHWM on Linux);
// elsewhere it falls back to the bytes the Go runtime obtained.
func PeakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				fields := strings.Fields(line)
				if len(fields) >= 2 {
					if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
						return kb * 1024
					}
				}
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.Sys)
}

// MeasureIdleStreamBytes establishes routes between domains (peers each),
// lets every stream go idle, and returns the heap bytes held per
// established stream (two per route: one at each end), counting everything
// the streams add to the world: connections, stream state, parsers, routes.
func MeasureIdleStreamBytes(domains, peers int) (float64, int, error) {
	opt := scenarios.LargeOptions{Domains: domains, Peers: peers, Stanzas: domains * peers, Seed: 1, Preset: "type5"}
	w, res, err := scenarios.NewLargeWorld(opt)
	if err != nil {
		return 0, 0, err
	}
	before := heapInUse()
	res.Events = w.Run(scenarios.RunDeadline)
	res.Finish()
	after := heapInUse()
	streams := 2 * res.Established
	if streams == 0 {
		return 0, 0, fmt.Errorf("bench: no stream was established")
	}
	runtime.KeepAlive(w)
	return float64(after-before) / float64(streams), streams, nil
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
