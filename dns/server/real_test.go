package server

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/dns"
)

// The claims of doc.go about the resolvers inside Prosody and ejabberd,
// checked against the real libraries where they are installed (Debian 12:
// lua5.4 with lua-unbound 1.0.0 over libunbound 1.17.1, which Prosody
// 0.12 loads; erlang-base 25, whose inet_res ejabberd 23.01 uses). Where
// one is missing, the subtest says so and skips.
func TestRealResolvers(t *testing.T) {
	t.Parallel()
	faults := []dns.Fault{{Kind: dns.Poison, Domain: "type1.lit", Resolver: "prosody.lit", Targets: []dns.Target{
		{Host: "poisoned", Addr: "127.0.6.6", Port: 5269, Via: "poisoned record"}}}}
	s, lb := serve(t, testZone(), &faults, Options{Observers: map[string]string{"127.0.0.5": "prosody.lit"}})

	t.Run("prosody-libunbound", func(t *testing.T) {
		t.Parallel()
		lua, err := exec.LookPath("lua5.4")
		if err != nil {
			t.Skip("lua5.4 not installed: Prosody's resolver (lua-unbound) not checked")
		}
		conf, err := ProsodyUnbound(s.Addr(), "127.0.0.5")
		if err != nil {
			t.Fatal(err)
		}
		conf = strings.Replace(conf, "{ ", "{ async = false; ", 1)
		script := `local ok, ub = pcall(require, "lunbound")
if not ok then print("MISSING") return end
local ctx = ub.new(` + conf + `)
local function show(name, qtype)
  local r = assert(ctx:resolve(name, qtype, 1))
  io.write(name, " rcode=", r.rcode, " n=", r.n or #r, "\n")
end
show("_xmpp-server._tcp.srv.lit.", 33)
show("xmpp.srv.lit.", 1)
show("type1.lit.", 1)
show("missing.lit.", 1)
`
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, lua, "-e", script).CombinedOutput()
		if err != nil {
			t.Fatalf("lua: %v\n%s", err, out)
		}
		if strings.TrimSpace(string(out)) == "MISSING" {
			t.Skip("lua-unbound not installed: Prosody's resolver not checked")
		}
		want := "_xmpp-server._tcp.srv.lit. rcode=0 n=2\nxmpp.srv.lit. rcode=0 n=1\ntype1.lit. rcode=0 n=1\nmissing.lit. rcode=3 n=0\n"
		if string(out) != want {
			t.Errorf("libunbound saw:\n%s\nwant:\n%s", out, want)
		}
		// The queries came from the outgoing-interface, so the fault for
		// prosody.lit hit them.
		poisoned := false
		for _, q := range lb.all() {
			if q.Name == "type1.lit" && q.Resolver == "prosody.lit" {
				poisoned = q.Fault == "poison" && q.Answer == "type1.lit A 127.0.6.6"
			}
		}
		if !poisoned {
			t.Errorf("no poisoned answer to 127.0.0.5; log:\n%s", lb)
		}
	})

	t.Run("ejabberd-inet_res", func(t *testing.T) {
		t.Parallel()
		erl, err := exec.LookPath("erl")
		if err != nil {
			t.Skip("erl not installed: ejabberd's resolver (inet_res) not checked")
		}
		rc := filepath.Join(t.TempDir(), "inetrc")
		if err := WriteInetrc(rc, s.Addr()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, erl, "-noshell", "-eval", `
{ok, {hostent, _, _, srv, _, SRV}} = inet_res:getbyname("_xmpp-server._tcp.srv.lit", srv, 2000),
{ok, {hostent, _, _, inet, _, A}} = inet_res:getbyname("xmpp.srv.lit", a, 2000),
{ok, {hostent, _, _, inet, _, L}} = inet:gethostbyname("localhost"),
F = fun({P, W, Port, H}) -> io_lib:format("~b ~b ~b ~s", [P, W, Port, H]) end,
io:format("~s|~s|~s|~w~n", [lists:join(",", [F(X) || X <- SRV]), inet:ntoa(hd(A)), inet:ntoa(hd(L)),
	inet_res:getbyname("missing.lit", a, 2000)]),
halt().`)
		cmd.Env = append(os.Environ(), "ERL_INETRC="+rc)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("erl: %v\n%s", err, out)
		}
		want := "10 5 5270 xmpp.srv.lit,20 0 5269 backup.srv.lit|127.0.0.12|127.0.0.1|{error,nxdomain}"
		if strings.TrimSpace(string(out)) != want {
			t.Errorf("inet_res saw:\n%s\nwant:\n%s", out, want)
		}
	})
}

func TestResolverConfigs(t *testing.T) {
	t.Parallel()
	got, err := ProsodyUnbound("127.0.0.1:5353", "127.0.0.5")
	want := `{ resolvconf = false; hoststxt = false; forward = "127.0.0.1@5353"; options = { ["outgoing-interface:"] = "127.0.0.5" } }`
	if err != nil || got != want {
		t.Errorf("ProsodyUnbound: %s, %v\nwant %s", got, err, want)
	}
	if got, _ := ProsodyUnbound("[::1]:53", ""); got != `{ resolvconf = false; hoststxt = false; forward = "::1@53" }` {
		t.Errorf("ProsodyUnbound IPv6: %s", got)
	}
	for _, c := range [][2]string{{"192.0.2.1:53", ""}, {"127.0.0.1:53", "192.0.2.1"}, {"localhost:53", ""}} {
		if _, err := ProsodyUnbound(c[0], c[1]); err == nil {
			t.Errorf("ProsodyUnbound(%q, %q) accepted", c[0], c[1])
		}
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "inetrc")
	if err := WriteInetrc(path, "[::1]:5353"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "{nameserver, {0,0,0,0,0,0,0,1}, 5353}.\n") ||
		strings.Index(string(b), "{resolv_conf") > strings.Index(string(b), "{nameserver") {
		t.Errorf("inetrc:\n%s", b)
	}
	if err := WriteInetrc("/etc/ejabberd/inetrc", "127.0.0.1:5353"); err == nil {
		t.Error("WriteInetrc wrote into /etc")
	}
	if err := WriteInetrc(path, "10.0.0.1:53"); err == nil {
		t.Error("WriteInetrc accepted a non-loopback server")
	}
}
