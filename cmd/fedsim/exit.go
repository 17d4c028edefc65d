package main

// How a command ends (issue 17). Every command returns an error, and main
// alone turns it into a message and an exit status, so that "bad input"
// means the same thing, and exits the same way, in every command:
//
//	nil                      exit 0
//	flag.ErrHelp (-h)        the command's help on stdout (what 'fedsim help CMD' prints), exit 0
//	*usageError              "fedsim CMD: what was wrong" on stderr, exit 2
//	statusError(n)           exit n; the command has already said why (a report)
//	anything else            "fedsim CMD: error" on stderr, exit 1
//
// Exit 1 is "it ran, and found a failure" (a failing scenario, a chaos
// violation, a real server that differs from its preset); exit 2 is "it
// could not run what you asked" (a flag, a value, an argument or a file).
// A command whose own work may fail on bad input (a scenario file that
// does not load) says so by returning a usageError too.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found a failure
	exitUsage = 2 // bad input
)

// usageError is bad input: a flag, a value, an argument or a file the
// command cannot use. Its message names the flag or value; each of its
// lines is printed after "fedsim CMD: ".
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// badInput is a usageError with a formatted message.
func badInput(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// badInputs is one usageError for several problems, one per line, so that
// a command can report every bad value at once.
func badInputs(msgs []string) error {
	return &usageError{msg: strings.Join(msgs, "\n")}
}

// statusError ends a command with that exit status after it has reported
// on its own: a test run with a failing scenario (1) or a broken file (2).
type statusError int

func (s statusError) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// exitWith is nil for exitOK and the statusError otherwise.
func exitWith(status int) error {
	if status == exitOK {
		return nil
	}
	return statusError(status)
}

// exitStatus reports err the one way every command shares and returns the
// process's exit status.
func exitStatus(c command, err error, stdout, stderr io.Writer) int {
	var u *usageError
	var s statusError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		writeHelp(stdout, c)
		return exitOK
	case errors.As(err, &u):
		for _, line := range strings.Split(u.msg, "\n") {
			fmt.Fprintf(stderr, "fedsim %s: %s\n", c.name, strings.TrimPrefix(line, c.name+": "))
		}
		fmt.Fprintf(stderr, "Run 'fedsim help %s' for its arguments and flags.\n", c.name)
		return exitUsage
	case errors.As(err, &s):
		return int(s)
	default:
		fmt.Fprintf(stderr, "fedsim %s: %s\n", c.name, strings.TrimPrefix(err.Error(), c.name+": "))
		return exitFail
	}
}

// parse parses flags anywhere among args (so "run type2 type4 --seed 3"
// works) and returns the positional arguments. The flag package prints
// nothing: its error becomes a usageError (naming the flag), and -h or
// -help becomes flag.ErrHelp, which prints the command's help.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp
			}
			return nil, &usageError{msg: err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// noArgs is the usageError for positional arguments a command does not
// take.
func noArgs(pos []string) error {
	if len(pos) > 0 {
		return badInput("unexpected argument %q", pos[0])
	}
	return nil
}

// writeHelp prints a command's help: what 'fedsim help CMD' and
// 'fedsim CMD -h' both print.
func writeHelp(w io.Writer, c command) {
	fmt.Fprintf(w, "usage: %s\n\n%s.\n", c.usage, c.summary)
	if c.flags == nil {
		return
	}
	fs := c.flags()
	if !hasFlags(fs) {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// isSet reports whether the command line gave the flag name (a value equal
// to the default included).
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
