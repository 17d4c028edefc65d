package main

// buildinfo.go says which fedsim this is, from what the Go toolchain
// records in every binary (runtime/debug.ReadBuildInfo): the module's
// version when it was built by 'go install …@version', and the VCS
// revision, its time and whether the tree was modified when it was built
// from a clone (go build stamps these unless -buildvcs=false). Nothing is
// stamped by hand, so the answer cannot go stale.
//
// Everything that records a version — the 'fedsim version' command, the
// shard files of sweep --shard and merge's check of them — reads the same
// string, buildVersion. It lives in the command, its only reader, rather
// than in a package of its own: the design card allows no internal/ folder,
// and scenarios/sweep only compares the string it is given.

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// buildInfo is what the binary knows about its own build.
type buildInfo struct {
	// Module is the main module's path (github.com/fedsim/fedsim), empty
	// when the binary carries no build information.
	Module string
	// Version is the module version: a release (v1.2.0) or pseudo-version
	// when installed with go install …@version; "(devel)" when built from
	// a clone.
	Version string
	// Revision, Time and Modified come from the VCS stamp (vcs.revision,
	// vcs.time, vcs.modified); empty and false when there is none (go
	// install from the module proxy, or -buildvcs=false).
	Revision string
	Time     string
	Modified bool
	// Go is the toolchain (go1.26.8); Platform is GOOS/GOARCH.
	Go, Platform string
}

// readBuildInfo returns this binary's build information.
func readBuildInfo() buildInfo {
	in := buildInfo{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return in
	}
	in.Module = bi.Main.Path
	if bi.Main.Version != "" {
		in.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// buildVersion is the one-token identity of this build, the string to compare
// when two runs must come from the same fedsim: the module version, then
// the first 12 hex digits of the VCS revision unless the version already
// names it (since Go 1.24 a build from a clone gets a pseudo-version
// v0.0.0-TIME-REVISION), then "+dirty" if the tree had uncommitted changes
// (Go's own word for it). Examples: "v0.4.0",
// "v0.0.0-20261203183819-b95930424a34", "(devel)+b95930424a34+dirty",
// "(devel)".
func buildVersion() string { return readBuildInfo().String() }

// String is buildVersion's form of in.
func (in buildInfo) String() string {
	s := in.Version
	if r := in.Revision; r != "" {
		if len(r) > 12 {
			r = r[:12]
		}
		if !strings.Contains(s, r) {
			s += "+" + r
		}
	}
	if in.Modified && !strings.HasSuffix(s, "+dirty") {
		s += "+dirty"
	}
	return s
}
