package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct {
		in   Info
		want string
	}{
		{Info{Version: "v0.4.0"}, "v0.4.0"},
		{Info{Version: "(devel)"}, "(devel)"},
		{Info{Version: "(devel)", Revision: "3f2a9c1d0b7e55aa00112233445566778899aabb"}, "(devel)+3f2a9c1d0b7e"},
		{Info{Version: "(devel)", Revision: "3f2a9c1d0b7e55aa00112233445566778899aabb", Modified: true}, "(devel)+3f2a9c1d0b7e+dirty"},
		// Go 1.24+ stamps a pseudo-version that already names the revision
		// and says +dirty: neither is repeated.
		{Info{Version: "v0.0.0-20261203184000-3f2a9c1d0b7e", Revision: "3f2a9c1d0b7e55aa00112233445566778899aabb"}, "v0.0.0-20261203184000-3f2a9c1d0b7e"},
		{Info{Version: "v0.0.0-20261203184000-3f2a9c1d0b7e+dirty", Revision: "3f2a9c1d0b7e55aa00112233445566778899aabb", Modified: true}, "v0.0.0-20261203184000-3f2a9c1d0b7e+dirty"},
	} {
		if got := c.in.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRead reads the test binary's own information: whatever the build
// stamped, the toolchain and platform are always known and the version is
// never empty.
func TestRead(t *testing.T) {
	in := Read()
	if in.Go != runtime.Version() || !strings.Contains(in.Platform, "/") || in.Version == "" {
		t.Fatalf("Read() = %+v", in)
	}
	if v := Version(); !strings.HasPrefix(v, in.Version) {
		t.Fatalf("Version() = %q, does not start with the module version %q", v, in.Version)
	}
}
