package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestBuildInfoString(t *testing.T) {
	for _, c := range []struct {
		in   buildInfo
		want string
	}{
		{buildInfo{Version: "v0.4.0"}, "v0.4.0"},
		{buildInfo{Version: "(devel)"}, "(devel)"},
		{buildInfo{Version: "(devel)", Revision: "3f2a9c1d0b7e55aa00112233445566778899aabb"}, "(devel)+3f2a9c1d0b7e"},
		{buildInfo{Version: "(devel)", Revision: "3f2a9c1d0b7e55aa00112233445566778899aabb", Modified: true}, "(devel)+3f2a9c1d0b7e+dirty"},
		// Go 1.24+ stamps a pseudo-version that already names the revision
		// and says +dirty: neither is repeated.
		{buildInfo{Version: "v0.0.0-20261203184000-3f2a9c1d0b7e", Revision: "3f2a9c1d0b7e55aa00112233445566778899aabb"}, "v0.0.0-20261203184000-3f2a9c1d0b7e"},
		{buildInfo{Version: "v0.0.0-20261203184000-3f2a9c1d0b7e+dirty", Revision: "3f2a9c1d0b7e55aa00112233445566778899aabb", Modified: true}, "v0.0.0-20261203184000-3f2a9c1d0b7e+dirty"},
	} {
		if got := c.in.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRead reads the test binary's own information: whatever the build
// stamped, the toolchain and platform are always known and the version is
// never empty.
func TestReadBuildInfo(t *testing.T) {
	in := readBuildInfo()
	if in.Go != runtime.Version() || !strings.Contains(in.Platform, "/") || in.Version == "" {
		t.Fatalf("readBuildInfo() = %+v", in)
	}
	if v := buildVersion(); !strings.HasPrefix(v, in.Version) {
		t.Fatalf("buildVersion() = %q, does not start with the module version %q", v, in.Version)
	}
}
