package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fedsim/fedsim/nodes"
)

// ErrCannotInitiate is what Ping returns for a server fedsim cannot make
// initiate a stream (one it did not start): only the direction in which
// fedsim's types initiate is measured.
var ErrCannotInitiate = errors.New("interop: fedsim cannot make this server initiate a stream")

// ServerNames are the real servers fedsim can start itself.
var ServerNames = []string{"prosody", "prosody-debian", "ejabberd"}

// ByName returns the server the command line names: "prosody" (Debian's
// prosody 0.12 with its code defaults), "prosody-debian" (with the s2s
// settings of the configuration Debian ships), "ejabberd" (Debian's
// ejabberd 23.01 with the package defaults), or HOST:PORT of a server
// already running on loopback, with its domain and the preset that claims
// to model it.
func ByName(name, domain, preset string) (Server, error) {
	switch name {
	case "prosody":
		return &Prosody{}, nil
	case "prosody-debian":
		return &Prosody{Shipped: true}, nil
	}
	if s, ok := extraServers[name]; ok {
		return s(), nil
	}
	host, port, err := net.SplitHostPort(name)
	if err != nil {
		return nil, fmt.Errorf("interop: %q: want %s, or HOST:PORT of a server already running", name, strings.Join(ServerNames, ", "))
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("interop: %s: fedsim contacts nothing but loopback addresses (127.0.0.0/8, ::1)", name)
	}
	if port != "5269" {
		return nil, fmt.Errorf("interop: %s: the server must listen on port 5269 (fedsim's servers dial the port DNS gives them, 5269 without SRV)", name)
	}
	if domain == "" || preset == "" {
		return nil, fmt.Errorf("interop: %s: give the server's --domain and the --preset that claims to model it", name)
	}
	return &External{Addr: host, Domain: domain, PresetName: preset}, nil
}

// extraServers are the servers other files of the package add (ejabberd).
var extraServers = map[string]func() Server{}

// External is a server already running, which fedsim neither configures,
// starts nor stops: only the types' side is measured (it cannot be made
// to initiate, and it resolves names with its own DNS).
type External struct {
	Addr, Domain, PresetName string
}

func (e *External) Name() string       { return e.Domain }
func (e *External) Preset() string     { return e.PresetName }
func (e *External) Available() error   { return nil }
func (e *External) Stop() error        { return nil }
func (e *External) LogPath() string    { return "" }
func (e *External) Settings() []string { return nil }
func (e *External) Ping(context.Context, string) error {
	return ErrCannotInitiate
}

// Start checks that the server listens.
func (e *External) Start(ctx context.Context, env Env) error {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(e.Addr, "5269"))
	if err != nil {
		return fmt.Errorf("interop: nothing listens on %s:5269: %w", e.Addr, err)
	}
	return c.Close()
}

// CheckName reports whether a scenario file's `real:` names a server fedsim
// can run: one it starts itself, or a loopback HOST:5269.
func CheckName(name string) error {
	for _, n := range ServerNames {
		if n == name {
			return nil
		}
	}
	host, port, err := net.SplitHostPort(name)
	if err != nil {
		return fmt.Errorf("interop: %q: want %s, or HOST:5269 of a server already running on loopback", name, strings.Join(ServerNames, ", "))
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("interop: %s: fedsim contacts nothing but loopback addresses (127.0.0.0/8, ::1)", name)
	}
	if port != "5269" {
		return fmt.Errorf("interop: %s: the server must listen on port 5269", name)
	}
	return nil
}

// settingsOf are the policy writers of the servers fedsim configures.
var settingsOf = map[string]func(nodes.Policy) (settings, cannot []string){
	"prosody": ProsodySettings,
}

// Cannot lists the policy words the named real server cannot express (nil
// for one fedsim does not configure: prosody-debian runs its shipped
// settings, a running server its own).
func Cannot(name string, p nodes.Policy) []string {
	if f, ok := settingsOf[name]; ok {
		_, cannot := f(p)
		return cannot
	}
	return nil
}

// ForScenario is the real server a scenario file's server names: with
// policy set (the file gave a preset or a policy), fedsim writes it into
// the server's configuration where the server is one fedsim configures.
func ForScenario(name, domain string, policy *nodes.Policy) (Server, error) {
	switch name {
	case "prosody":
		return &Prosody{Policy: policy}, nil
	case "prosody-debian":
		return &Prosody{Shipped: true}, nil
	}
	if s, ok := extraServers[name]; ok {
		srv := s()
		if c, ok := srv.(interface{ SetPolicy(*nodes.Policy) }); ok && policy != nil {
			c.SetPolicy(policy)
		}
		return srv, nil
	}
	host, _, err := net.SplitHostPort(name)
	if err != nil {
		return nil, err
	}
	return &External{Addr: host, Domain: domain, PresetName: "type5"}, nil
}

// Loopback is the address of the n-th host of a real run: 127.77.S.n,
// where S is drawn from the process ID, so that two fedsim processes on one
// machine (go test runs packages at once) do not bind the same addresses.
func Loopback(n int) string { return fmt.Sprintf("127.77.%d.%d", subnet, n) }

var subnet = os.Getpid()%250 + 1

// lazyRegexp compiles expr on first use: the patterns that read real
// servers' configurations and logs are needed by interop runs only, and
// compiling them at package initialisation cost every start of fedsim
// (fedsim help included) about 0.2 ms and 300 allocations.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
