package main

import (
	"flag"
	"fmt"
	"io"
)

func init() {
	register(command{name: "version", usage: "fedsim version",
		summary: "print which fedsim this is: module version, VCS revision (when the build stamped one) and Go toolchain",
		run:     cmdVersion, flags: versionFlags})
}

// cmdVersion prints what the Go toolchain recorded in the binary
// (buildinfo.go): 'go install github.com/fedsim/fedsim/cmd/fedsim@v1.2.0'
// records v1.2.0; a build from a clone records (devel) and, unless built
// with -buildvcs=false, the commit, its time and whether the tree was
// modified.
func cmdVersion(args []string, stdout, stderr io.Writer) error {
	pos, err := parse(versionFlags(), args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return badInput("unexpected argument %q (it takes none)", pos[0])
	}
	in := readBuildInfo()
	fmt.Fprintf(stdout, "fedsim %s\n", in)
	mod := in.Module
	if mod == "" {
		mod = "(no build information in this binary)"
	}
	fmt.Fprintf(stdout, "  module    %s %s\n", mod, in.Version)
	if in.Revision != "" {
		rev := in.Revision
		if in.Time != "" {
			rev += " " + in.Time
		}
		if in.Modified {
			rev += " (modified: uncommitted changes)"
		}
		fmt.Fprintf(stdout, "  revision  %s\n", rev)
	} else {
		fmt.Fprintln(stdout, "  revision  not stamped (installed from the module proxy, or built with -buildvcs=false)")
	}
	fmt.Fprintf(stdout, "  go        %s %s\n", in.Go, in.Platform)
	return nil
}

// versionFlags is fedsim version's flag set: it takes none, but -h works.
func versionFlags() *flag.FlagSet { return flag.NewFlagSet("version", flag.ContinueOnError) }
