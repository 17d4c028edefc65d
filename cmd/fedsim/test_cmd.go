package main

// fedsim test runs scenario files (package scenarios/spec) and fedsim new
// writes a starter one. Together they are how users regression-test
// negotiation logic: describe a world, state what must come of it, and see
// a diff when that changes.

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/fedsim/fedsim/scenarios/spec"
)

func init() {
	register(command{name: "test", usage: "fedsim test [PATH...] [-run REGEX] [-v] [--timing] [-update] [--format text|json|junit]",
		summary: "run scenario files (default: scenarios/, folders recursively) and report what differs from their expectations",
		run:     cmdTest, flags: func() *flag.FlagSet { fs, _ := testFlags(io.Discard); return fs }})
	register(command{name: "new", usage: "fedsim new FILE",
		summary: "write a commented starter scenario file that passes 'fedsim test FILE'",
		run:     cmdNew, flags: newCmdFlags})
}

type testOpts struct {
	run     string
	update  bool
	format  string
	verbose bool
	timing  bool
}

func testFlags(stderr io.Writer) (*flag.FlagSet, *testOpts) {
	o := &testOpts{}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.run, "run", "", "run only scenarios whose file path or name matches this regular expression")
	fs.BoolVar(&o.update, "update", false, "rewrite golden transcripts with what the run produced (review the diff before committing)")
	fs.StringVar(&o.format, "format", "text", "output format: text, json, or junit (JUnit XML for CI systems)")
	fs.BoolVar(&o.verbose, "v", false, "print the transcript of every scenario run (without -v, of the failing ones only)")
	fs.BoolVar(&o.timing, "timing", false, "print wall-clock times in the text report too (without it, the same run prints the same bytes every time)")
	return fs, o
}

// testCase is one scenario file's result, whatever the output format.
type testCase struct {
	File    string
	Name    string
	Status  string // "pass", "fail", "skip" (a real server it names is not installed) or "error" (the file did not load or run)
	Virtual time.Duration
	Wall    time.Duration
	Events  int
	Updated bool
	Err     error
	Res     *spec.Result
}

func cmdTest(args []string, stdout, stderr io.Writer) error {
	flags, o := testFlags(stderr)
	paths, err := parse(flags, args)
	if err != nil {
		return err
	}
	if o.format != "text" && o.format != "json" && o.format != "junit" {
		return badInput("--format %q: want text, json or junit", o.format)
	}
	var sel *regexp.Regexp
	if o.run != "" {
		if sel, err = regexp.Compile(o.run); err != nil {
			return badInput("-run: %v", err)
		}
	}
	if len(paths) == 0 {
		paths = []string{"scenarios"}
	}
	files, err := spec.Find(paths...)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && len(args) == 0 {
			err = fmt.Errorf("%w (run from the repository root, or name the scenario files or folders)", err)
		}
		return badInput("%v", err)
	}
	if len(files) == 0 {
		return badInput("no scenario files (*.yaml, *.yml) under %s", strings.Join(paths, ", "))
	}
	start := time.Now()
	var cases []*testCase
	for _, f := range files {
		c := &testCase{File: filepath.ToSlash(f), Name: strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))}
		s, err := spec.Load(f)
		if err != nil {
			if sel != nil && !sel.MatchString(c.File) {
				continue
			}
			c.Status, c.Err = "error", err
			cases = append(cases, c)
			continue
		}
		c.Name = s.Name
		if sel != nil && !sel.MatchString(c.File) && !sel.MatchString(s.Name) {
			continue
		}
		res, err := s.Run()
		if errors.Is(err, spec.ErrUnavailable) {
			c.Status, c.Err = "skip", err
			cases = append(cases, c)
			continue
		}
		if err != nil {
			c.Status, c.Err = "error", err
			cases = append(cases, c)
			continue
		}
		if o.update {
			if err := res.UpdateTranscript(); err != nil {
				c.Status, c.Err = "error", err
				cases = append(cases, c)
				continue
			}
		}
		c.Res, c.Updated = res, res.Updated
		c.Virtual, c.Wall, c.Events = time.Duration(res.Virtual), res.Wall, res.Events
		c.Status = "pass"
		if !res.Passed() {
			c.Status = "fail"
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		return badInput("-run %q matches no scenario", o.run)
	}
	status := exitOK
	for _, c := range cases {
		switch {
		case c.Status == "error":
			status = exitUsage
		case c.Status == "fail" && status == exitOK:
			status = exitFail
		}
	}
	wall := time.Since(start)
	switch o.format {
	case "json":
		writeTestJSON(stdout, cases, wall)
	case "junit":
		writeJUnit(stdout, cases, wall)
	default:
		writeTestText(stdout, cases, wall, o)
	}
	return exitWith(status)
}

func counts(cases []*testCase) (pass, fail, errs int, virtual time.Duration) {
	for _, c := range cases {
		switch c.Status {
		case "pass":
			pass++
		case "fail":
			fail++
		case "skip":
		default:
			errs++
		}
		virtual += c.Virtual
	}
	return
}

// fmtWall prints a wall time short and readable: 1.2ms, 310ms, 2.4s.
func fmtWall(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// writeTestText is the report people read. Wall-clock times are printed
// only with --timing, so that the same scenarios give the same bytes from
// run to run (a failing CI job and its rerun can be diffed); each failing
// scenario's transcript follows its failures (with -v, every scenario's).
func writeTestText(stdout io.Writer, cases []*testCase, wall time.Duration, o *testOpts) {
	width := 0
	for _, c := range cases {
		width = max(width, len(c.File))
	}
	for _, c := range cases {
		switch c.Status {
		case "skip":
			fmt.Fprintf(stdout, "SKIP  %s\n      %s\n", c.File, strings.TrimPrefix(c.Err.Error(), spec.ErrUnavailable.Error()+": "))
			continue
		case "error":
			fmt.Fprintf(stdout, "ERROR %s\n", c.File)
			for _, line := range strings.Split(c.Err.Error(), "\n") {
				fmt.Fprintf(stdout, "      %s\n", line)
			}
			continue
		case "pass":
			fmt.Fprintf(stdout, "PASS  %-*s  virtual %9s", width, c.File, virtualTime(c.Virtual))
		case "fail":
			fmt.Fprintf(stdout, "FAIL  %-*s  virtual %9s", width, c.File, virtualTime(c.Virtual))
		}
		if o.timing {
			fmt.Fprintf(stdout, "  wall %s", fmtWall(c.Wall))
		}
		if c.Updated {
			fmt.Fprintf(stdout, "  (updated %s)", c.Res.Scenario.TranscriptPath())
		}
		fmt.Fprintln(stdout)
		if c.Status == "fail" {
			fmt.Fprintf(stdout, "      %s\n", c.Name)
			for _, f := range c.Res.Failures {
				fmt.Fprintf(stdout, "      %s: %s\n", f.Check, f.Message)
				for _, line := range strings.Split(strings.TrimRight(f.Diff, "\n"), "\n") {
					if line != "" {
						fmt.Fprintf(stdout, "          %s\n", line)
					}
				}
			}
			fmt.Fprintf(stdout, "      replay: %s\n", c.Res.Replay())
		}
		if c.Status == "fail" || o.verbose {
			fmt.Fprintf(stdout, "      transcript (%s):\n", c.Res.Replay())
			for _, line := range strings.Split(strings.TrimRight(string(c.Res.Transcript), "\n"), "\n") {
				fmt.Fprintf(stdout, "          %s\n", line)
			}
		}
	}
	pass, fail, errs, virtual := counts(cases)
	fmt.Fprintln(stdout)
	plural := "s"
	if len(cases) == 1 {
		plural = ""
	}
	fmt.Fprintf(stdout, "%d scenario%s, %s virtual time simulated", len(cases), plural, virtualTime(virtual))
	if o.timing {
		fmt.Fprintf(stdout, " in %s wall", fmtWall(wall))
	}
	fmt.Fprintln(stdout)
	skipped := len(cases) - pass - fail - errs
	if errs > 0 {
		fmt.Fprintf(stdout, "%d passed, %d failed, %d did not load (bad input)\n", pass, fail, errs)
		return
	}
	if skipped > 0 {
		fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", pass, fail, skipped)
		return
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", pass, fail)
}

// virtualTime prints virtual time as transcripts do: seconds, millisecond precision.
func virtualTime(d time.Duration) string {
	return fmt.Sprintf("%d.%03ds", int64(d)/1e9, (int64(d)%1e9)/1e6)
}

type jsonFailure struct {
	Check   string `json:"check"`
	Message string `json:"message"`
	Diff    string `json:"diff,omitempty"`
}

type jsonCase struct {
	File      string        `json:"file"`
	Name      string        `json:"name"`
	Status    string        `json:"status"`
	VirtualMS float64       `json:"virtual_ms"`
	WallMS    float64       `json:"wall_ms"`
	Events    int           `json:"events"`
	Updated   bool          `json:"updated,omitempty"`
	Error     string        `json:"error,omitempty"`
	Failures  []jsonFailure `json:"failures,omitempty"`
	Replay    string        `json:"replay"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func writeTestJSON(w io.Writer, cases []*testCase, wall time.Duration) {
	pass, fail, errs, virtual := counts(cases)
	out := struct {
		Passed    int        `json:"passed"`
		Failed    int        `json:"failed"`
		Errors    int        `json:"errors"`
		VirtualMS float64    `json:"virtual_ms"`
		WallMS    float64    `json:"wall_ms"`
		Scenarios []jsonCase `json:"scenarios"`
	}{Passed: pass, Failed: fail, Errors: errs, VirtualMS: ms(virtual), WallMS: ms(wall)}
	for _, c := range cases {
		jc := jsonCase{File: c.File, Name: c.Name, Status: c.Status, VirtualMS: ms(c.Virtual), WallMS: ms(c.Wall),
			Events: c.Events, Updated: c.Updated, Replay: "fedsim test " + c.File}
		if c.Err != nil {
			jc.Error = c.Err.Error()
		}
		if c.Res != nil {
			for _, f := range c.Res.Failures {
				jc.Failures = append(jc.Failures, jsonFailure{f.Check, f.Message, f.Diff})
			}
		}
		out.Scenarios = append(out.Scenarios, jc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(out)
}

// The JUnit XML schema as CI systems (Jenkins, GitLab, GitHub actions
// reporters) read it: one testsuite, a testcase per scenario with a
// failure or error element when it did not pass.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Tests   int          `xml:"tests,attr"`
	Fail    int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name   string      `xml:"name,attr"`
	Tests  int         `xml:"tests,attr"`
	Fail   int         `xml:"failures,attr"`
	Errors int         `xml:"errors,attr"`
	Time   string      `xml:"time,attr"`
	Cases  []junitCase `xml:"testcase"`
}

type junitCase struct {
	Class   string        `xml:"classname,attr"`
	Name    string        `xml:"name,attr"`
	File    string        `xml:"file,attr"`
	Time    string        `xml:"time,attr"`
	Failure *junitProblem `xml:"failure,omitempty"`
	Error   *junitProblem `xml:"error,omitempty"`
	Skipped *junitProblem `xml:"skipped,omitempty"`
	Out     string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }

func writeJUnit(w io.Writer, cases []*testCase, wall time.Duration) {
	pass, fail, errs, _ := counts(cases)
	suite := junitSuite{Name: "fedsim scenarios", Tests: pass + fail + errs, Fail: fail, Errors: errs, Time: secs(wall)}
	for _, c := range cases {
		jc := junitCase{Class: strings.TrimSuffix(filepath.ToSlash(filepath.Dir(c.File)), "/"), Name: c.Name, File: c.File, Time: secs(c.Wall),
			Out: fmt.Sprintf("virtual time %s, %d events; replay: fedsim test %s", virtualTime(c.Virtual), c.Events, c.File)}
		switch c.Status {
		case "skip":
			jc.Skipped = &junitProblem{Message: c.Err.Error(), Type: "unavailable"}
		case "error":
			jc.Error = &junitProblem{Message: "the scenario file did not load", Type: "bad-input", Body: c.Err.Error()}
		case "fail":
			var checks, body []string
			for _, f := range c.Res.Failures {
				checks = append(checks, f.Check)
				body = append(body, f.String())
			}
			jc.Failure = &junitProblem{Message: "expectations failed: " + strings.Join(checks, ", "), Type: "expectation", Body: strings.Join(body, "\n\n")}
		}
		suite.Cases = append(suite.Cases, jc)
	}
	out := junitSuites{Tests: suite.Tests, Fail: fail, Errors: errs, Time: secs(wall), Suites: []junitSuite{suite}}
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	_ = enc.Encode(out)
	fmt.Fprintln(w)
}

// newCmdFlags is fedsim new's flag set: it takes none, but -h works.
func newCmdFlags() *flag.FlagSet { return flag.NewFlagSet("new", flag.ContinueOnError) }

func cmdNew(args []string, stdout, stderr io.Writer) error {
	pos, err := parse(newCmdFlags(), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput("want one file name, e.g. 'fedsim new scenarios/mine.yaml'")
	}
	path := pos[0]
	if !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
		return badInput("%s: a scenario file ends in .yaml (fedsim test looks for *.yaml and *.yml)", path)
	}
	if _, err := os.Stat(path); err == nil {
		return badInput("%s already exists; not overwriting it", path)
	}
	// The folder must exist: a typo in it (scenarios/fualts/x.yaml) would
	// otherwise become a new folder nobody asked for (issue 14).
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		what := "does not exist"
		if err == nil {
			what = "is not a folder"
		}
		return badInput("%s: the folder %s %s; fedsim new creates no folders (mkdir -p %s first)", path, dir, what, dir)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	// O_EXCL: a file that appeared since the check above is not overwritten.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(spec.Starter(name))
	if err := errors.Join(err, f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: two servers, a ping and what must come of it.\nRun it: fedsim test %s\nThe format, by example: scenarios/README.md\n", path, path)
	return nil
}
