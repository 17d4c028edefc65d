package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseInitTrace(t *testing.T) {
	for _, c := range []struct {
		name, in   string
		total, own float64
		packages   int
		wantErr    string
	}{
		{"fedsim's and others'", `init internal/bytealg @0.049 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @2.4 ms, 0.34 ms clock, 0 bytes, 0 allocs
init github.com/fedsim/fedsim/nodes @23 ms, 0.11 ms clock, 2600 bytes, 54 allocs
init github.com/fedsim/fedsimulator @23 ms, 1 ms clock, 0 bytes, 0 allocs
usage: fedsim COMMAND
init main @24 ms, 0.20 ms clock, 2680 bytes, 13 allocs
`, 1.65, 0.31, 5, ""},
		{"the command's stderr only", "fedsim: unknown command\n", 0, 0, 0, "no 'init PACKAGE"},
		{"a clock that is no number", "init os @6.8 ms, x ms clock, 432 bytes, 9 allocs\n", 0, 0, 0, `clock "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			total, own, n, err := ParseInitTrace(strings.NewReader(c.in), "github.com/fedsim/fedsim")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil || n != c.packages || !near(total, c.total) || !near(own, c.own) {
				t.Fatalf("got %g ms, own %g ms, %d packages, %v; want %g, %g, %d", total, own, n, err, c.total, c.own, c.packages)
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestMeasureStartup measures this test binary as a process (running no
// test), beside the floor: its package initialisers include fedsim's.
func TestMeasureStartup(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	s, err := MeasureStartup(exe, []string{"-test.run=^$"}, Floor(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if s.Runs != 3 || s.Wall <= 0 || s.Inits <= 0 || s.Own <= 0 || s.Own > s.Inits || s.InitPackages < 20 {
		t.Fatalf("implausible: %+v", s)
	}
	if Floor() != "" && (s.Floor.Wall <= 0 || s.WallRatio <= 0) {
		t.Fatalf("the floor was not measured: %+v", s)
	}
	if _, err := MeasureStartup(filepath.Join(t.TempDir(), "no-such-program"), nil, "", 1); err == nil {
		t.Fatal("a program that does not run gave no error")
	}
}

// BenchmarkHelpProcess is 'fedsim help' as a process, start to exit
// (issue 16's row: <= 5 ms), built as users build it (go build, default
// flags), beside two floors measured in the same run: a Go program that
// prints one line, and /bin/true. ns/op is the median wall time.
func BenchmarkHelpProcess(b *testing.B) {
	dir := b.TempDir()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command on PATH")
	}
	fedsim := filepath.Join(dir, "fedsim")
	if out, err := exec.Command(gocmd, "build", "-o", fedsim, "github.com/fedsim/fedsim/cmd/fedsim").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	hello := filepath.Join(dir, "hello")
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"hello\\n\") }\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(gocmd, "build", "-o", hello, src)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build hello.go: %v\n%s", err, out)
	}
	b.ResetTimer()
	s, err := MeasureStartup(fedsim, []string{"help"}, hello, b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	b.ReportMetric(float64(s.Wall.Nanoseconds()), "ns/op")
	b.ReportMetric(ms(s.CPU), "cpu-ms/op")
	b.ReportMetric(ms(s.Inits), "inits-ms")
	b.ReportMetric(ms(s.Own), "own-inits-ms")
	b.ReportMetric(ms(s.Floor.Wall), "hello-ms")
	b.ReportMetric(s.WallRatio, "x-hello")
	if f := Floor(); f != "" {
		t, err := MeasureStartup(fedsim, []string{"help"}, f, min(b.N, 5))
		if err == nil {
			b.ReportMetric(ms(t.Floor.Wall), "true-ms")
		}
	}
}
