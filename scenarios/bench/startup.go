package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Startup is what a command costs as a process, start to exit: medians
// over runs, each run of the command followed by a run of the floor, so
// that both meet the same neighbours on a shared machine.
type Startup struct {
	Runs int
	// Wall and CPU (user and system, every thread, from the child's
	// rusage) of the command.
	Wall, CPU time.Duration
	// Inits is the sum of the package initialisers' times (GODEBUG=
	// inittrace=1, "clock"), Own the part in fedsim's own packages, and
	// InitPackages how many packages the trace lists. They come from
	// separate traced runs: tracing writes a line per package, which the
	// untraced figures must not pay.
	Inits, Own   time.Duration
	InitPackages int
	// Floor is the same for the floor process (Floor.Wall, Floor.CPU),
	// zero when there is none.
	Floor struct{ Wall, CPU time.Duration }
	// WallRatio and CPURatio are the medians of each run's command/floor
	// ratio: paired, so a burst of load that hits both cancels out.
	WallRatio, CPURatio float64
}

// Floor returns a process that does nothing, to run beside a command as
// its floor (exec, the dynamic loader, exit): /bin/true or /usr/bin/true,
// "" when neither exists.
func Floor() string {
	for _, p := range []string{"/bin/true", "/usr/bin/true"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// MeasureStartup runs exe with args count times, and floor (a program
// without arguments, skipped when "") after each, and once more per run
// with GODEBUG=inittrace=1 to read what its package initialisers cost.
// Output is discarded; a run that fails is an error.
func MeasureStartup(exe string, args []string, floor string, count int) (Startup, error) {
	var s Startup
	var walls, cpus, fwalls, fcpus, wr, cr, inits, own []float64
	for i := 0; i < count; i++ {
		w, c, _, err := runOnce(exe, args, nil)
		if err != nil {
			return s, err
		}
		walls, cpus = append(walls, w), append(cpus, c)
		if floor != "" {
			fw, fc, _, err := runOnce(floor, nil, nil)
			if err != nil {
				return s, err
			}
			fwalls, fcpus = append(fwalls, fw), append(fcpus, fc)
			wr = append(wr, w/fw)
			if fc > 0 {
				cr = append(cr, c/fc)
			}
		}
		_, _, trace, err := runOnce(exe, args, []string{"GODEBUG=" + withInitTrace(os.Getenv("GODEBUG"))})
		if err != nil {
			return s, err
		}
		total, mine, pkgs, err := ParseInitTrace(bytes.NewReader(trace), "github.com/fedsim/fedsim")
		if err != nil {
			return s, fmt.Errorf("%s %s with GODEBUG=inittrace=1: %w", exe, strings.Join(args, " "), err)
		}
		inits, own, s.InitPackages = append(inits, total), append(own, mine), pkgs
	}
	ms := func(xs []float64) time.Duration { return time.Duration(medianFloat(xs) * 1e6) }
	s.Runs, s.Wall, s.CPU, s.Inits, s.Own = count, ms(walls), ms(cpus), ms(inits), ms(own)
	if floor != "" {
		s.Floor.Wall, s.Floor.CPU = ms(fwalls), ms(fcpus)
		s.WallRatio, s.CPURatio = medianFloat(wr), medianFloat(cr)
	}
	return s, nil
}

// withInitTrace adds inittrace=1 to a GODEBUG value.
func withInitTrace(godebug string) string {
	if godebug == "" {
		return "inittrace=1"
	}
	return godebug + ",inittrace=1"
}

// runOnce runs one process and returns its wall and CPU time in ms and
// its standard error.
func runOnce(exe string, args, env []string) (wall, cpu float64, stderr []byte, err error) {
	cmd := exec.Command(exe, args...)
	var eb bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &eb
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, nil, fmt.Errorf("%s %s: %w", exe, strings.Join(args, " "), err)
	}
	wall = float64(time.Since(start).Nanoseconds()) / 1e6
	if ps := cmd.ProcessState; ps != nil {
		cpu = float64((ps.UserTime() + ps.SystemTime()).Nanoseconds()) / 1e6
	}
	return wall, cpu, eb.Bytes(), nil
}

// ParseInitTrace reads the Go runtime's GODEBUG=inittrace=1 lines,
//
//	init github.com/fedsim/fedsim/nodes @23 ms, 0.11 ms clock, 2600 bytes, 54 allocs
//
// and returns the sum of the "clock" times in ms, the part of it in
// packages whose path starts with own (and in package main), and how many
// packages it listed. Other lines (the command's own stderr) are skipped;
// a trace with no init line is an error.
func ParseInitTrace(r io.Reader, own string) (total, mine float64, packages int, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// init PKG @T ms, C ms clock, B bytes, A allocs
		if len(f) < 7 || f[0] != "init" || !strings.HasPrefix(f[2], "@") || f[5] != "ms" || f[6] != "clock," {
			continue
		}
		c, perr := strconv.ParseFloat(f[4], 64)
		if perr != nil {
			return 0, 0, 0, fmt.Errorf("inittrace line %q: clock %q: %v", sc.Text(), f[4], perr)
		}
		total += c
		if f[1] == "main" || f[1] == own || strings.HasPrefix(f[1], own+"/") {
			mine += c
		}
		packages++
	}
	if err := sc.Err(); err != nil {
		return 0, 0, 0, err
	}
	if packages == 0 {
		return 0, 0, 0, fmt.Errorf("no 'init PACKAGE @... ms clock' line: is GODEBUG=inittrace=1 honoured?")
	}
	return total, mine, packages, nil
}

// medianFloat is the median of xs (which it sorts), 0 for none.
func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
