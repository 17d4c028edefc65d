package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	mdns "github.com/miekg/dns"

	"github.com/fedsim/fedsim/dns"
)

// testZone has every shape of answer RFC 6120 §3.2.1 knows: SRV records
// over two priorities, weights within a priority (RFC 2782), a target with
// two addresses, address-record fallback, "." (no service), a dangling
// target, and one domain with more records than fit a UDP answer.
func testZone() *dns.Zone {
	z := dns.NewZone()
	z.AddAddr("type1.lit", "127.0.0.11")

	z.AddSRV("srv.lit", dns.SRV{Target: "xmpp.srv.lit", Port: 5270, Priority: 10, Weight: 5})
	z.AddSRV("srv.lit", dns.SRV{Target: "backup.srv.lit", Port: 5269, Priority: 20, Weight: 0})
	z.AddAddr("xmpp.srv.lit", "127.0.0.12")
	z.AddAddr("backup.srv.lit", "127.0.0.13")

	for i, w := range []int{10, 0, 30, 60} {
		h := fmt.Sprintf("w%d.weighted.lit", i)
		z.AddSRV("weighted.lit", dns.SRV{Target: h, Port: 5269 + i, Priority: 5, Weight: w})
		z.AddAddr(h, fmt.Sprintf("127.0.1.%d", i+1))
	}
	z.AddSRV("weighted.lit", dns.SRV{Target: "Last.Weighted.lit", Port: 5300, Priority: 50, Weight: 1})
	z.AddAddr("last.weighted.lit", "127.0.1.9")

	z.AddSRV("multi.lit", dns.SRV{Target: "two.multi.lit", Port: 5269, Priority: 1, Weight: 1})
	z.AddAddr("two.multi.lit", "127.0.2.1")
	z.AddAddr("two.multi.lit", "127.0.2.2")

	z.AddSRV("none.lit", dns.SRV{Target: "."})
	z.AddSRV("dangling.lit", dns.SRV{Target: "nowhere.lit", Port: 5269, Priority: 1})

	for i := range 40 {
		h := fmt.Sprintf("a-rather-long-host-name-number-%02d.big.lit", i)
		z.AddSRV("big.lit", dns.SRV{Target: h, Port: 5269, Priority: i / 10, Weight: 1 + i%3})
		z.AddAddr(h, fmt.Sprintf("127.0.3.%d", i+1))
	}
	return z
}

// logbook collects a server's query log.
type logbook struct {
	mu sync.Mutex
	qs []Query
}

func (l *logbook) add(q Query) { l.mu.Lock(); l.qs = append(l.qs, q); l.mu.Unlock() }

func (l *logbook) all() []Query {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Query(nil), l.qs...)
}

func (l *logbook) String() string {
	var b strings.Builder
	for _, q := range l.all() {
		fmt.Fprintf(&b, "\t%s %s\n", q.Net, q)
	}
	return b.String()
}

func serve(t *testing.T, zone *dns.Zone, faults *[]dns.Fault, opts Options) (*Server, *logbook) {
	t.Helper()
	lb := &logbook{}
	opts.Log = lb.add
	s, err := Serve(zone, faults, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("query log:\n%s", lb)
		}
	})
	return s, lb
}

var faultKinds = []dns.FaultKind{0, dns.Poison, dns.NXDomain, dns.ServFail, dns.NoAnswer, dns.Slow}

func faultFor(kind dns.FaultKind, domain string) []dns.Fault {
	switch kind {
	case 0:
		return nil
	case dns.Poison:
		return []dns.Fault{{Kind: dns.Poison, Domain: domain, Targets: []dns.Target{
			{Host: "poisoned", Addr: "127.0.6.6", Port: dns.DefaultPort, Via: "poisoned record"},
			{Host: "poisoned", Addr: "127.0.6.7", Port: dns.DefaultPort, Via: "poisoned record"},
			{Host: "evil.example", Addr: "127.0.6.8", Port: 5999, Via: "poisoned record"},
		}}}
	case dns.Slow:
		return []dns.Fault{{Kind: dns.Slow, Domain: domain, Delay: 10 * time.Millisecond}}
	}
	return []dns.Fault{{Kind: kind, Domain: domain}}
}

// The real lookup over UDP/TCP and the mock lookup give equal Answers for
// every domain shape, with and without each fault kind, and keep agreeing
// over repeated lookups with the same random stream (weighted order).
func TestLookupMatchesMock(t *testing.T) {
	t.Parallel()
	domains := []string{"type1.lit", "srv.lit", "SRV.lit.", "weighted.lit", "multi.lit",
		"none.lit", "dangling.lit", "missing.lit", "big.lit"}
	for _, d := range domains {
		for _, k := range faultKinds {
			name := d + "/" + k.String()
			if k == 0 {
				name = d + "/none"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				zone := testZone()
				faults := faultFor(k, d)
				s, _ := serve(t, zone, &faults, Options{})
				mock := &dns.Resolver{Name: "me.lit", Zone: zone, Rand: rand.New(rand.NewPCG(7, 8)), Faults: &faults,
					Now: func() time.Duration { return 0 }}
				c := &Client{Timeout: 2 * time.Second, Rand: rand.New(rand.NewPCG(7, 8))}
				if k == dns.NoAnswer {
					c.Timeout = 60 * time.Millisecond
				}
				for i := range 3 {
					want := mock.LookupServer(d)
					got := c.LookupServer(context.Background(), s.Addr(), d)
					if diff := cmp.Diff(want, got, cmpopts.EquateErrors()); diff != "" {
						t.Fatalf("lookup %d of %s: real differs from mock (-mock +real):\n%s", i+1, d, diff)
					}
					if k == dns.NoAnswer {
						break // one timeout says it all
					}
				}
			})
		}
	}
}

func query(t *testing.T, network, addr, name string, qtype uint16) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	c := &mdns.Client{Net: network, Timeout: time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, mdns.TypeToString[qtype], network, err)
	}
	return r
}

// What goes over the wire, over UDP and TCP alike.
func TestServerAnswers(t *testing.T) {
	t.Parallel()
	s, _ := serve(t, testZone(), nil, Options{TTL: 7})
	type row struct {
		name  string
		qtype uint16
		rcode int
		want  []string // answer records, presentation format
	}
	rows := []row{
		{"_xmpp-server._tcp.srv.lit", mdns.TypeSRV, mdns.RcodeSuccess, []string{
			"_xmpp-server._tcp.srv.lit.\t7\tIN\tSRV\t10 5 5270 xmpp.srv.lit.",
			"_xmpp-server._tcp.srv.lit.\t7\tIN\tSRV\t20 0 5269 backup.srv.lit."}},
		{"_xmpp-server._tcp.none.lit", mdns.TypeSRV, mdns.RcodeSuccess, []string{
			"_xmpp-server._tcp.none.lit.\t7\tIN\tSRV\t0 0 0 ."}},
		{"xmpp.srv.lit", mdns.TypeA, mdns.RcodeSuccess, []string{"xmpp.srv.lit.\t7\tIN\tA\t127.0.0.12"}},
		{"XMPP.Srv.Lit", mdns.TypeA, mdns.RcodeSuccess, []string{"XMPP.Srv.Lit.\t7\tIN\tA\t127.0.0.12"}},
		{"two.multi.lit", mdns.TypeA, mdns.RcodeSuccess, []string{
			"two.multi.lit.\t7\tIN\tA\t127.0.2.1", "two.multi.lit.\t7\tIN\tA\t127.0.2.2"}},
		{"type1.lit", mdns.TypeA, mdns.RcodeSuccess, []string{"type1.lit.\t7\tIN\tA\t127.0.0.11"}},
		{"type1.lit", mdns.TypeAAAA, mdns.RcodeSuccess, nil},
		{"type1.lit", mdns.TypeMX, mdns.RcodeSuccess, nil},
		// A known domain without SRV records: no records there (NODATA),
		// so resolvers fall back to the address record.
		{"_xmpp-server._tcp.type1.lit", mdns.TypeSRV, mdns.RcodeSuccess, nil},
		// fedsim offers no direct TLS (XEP-0368): nothing, but no NXDOMAIN.
		{"_xmpps-server._tcp.srv.lit", mdns.TypeSRV, mdns.RcodeSuccess, nil},
		{"_xmpp-server._tcp.srv.lit", mdns.TypeA, mdns.RcodeSuccess, nil},
		{"_xmpp-server._tcp.missing.lit", mdns.TypeSRV, mdns.RcodeNameError, nil},
		{"_xmpps-server._tcp.missing.lit", mdns.TypeSRV, mdns.RcodeNameError, nil},
		{"missing.lit", mdns.TypeA, mdns.RcodeNameError, nil},
		{"nowhere.lit", mdns.TypeA, mdns.RcodeNameError, nil},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, r := range rows {
			resp := query(t, network, s.Addr(), r.name, r.qtype)
			var got []string
			for _, rr := range resp.Answer {
				got = append(got, rr.String())
			}
			if resp.Rcode != r.rcode || !cmp.Equal(got, r.want, cmpopts.EquateEmpty()) {
				t.Errorf("%s %s %s: %s %q, want %s %q", network, r.name, mdns.TypeToString[r.qtype],
					mdns.RcodeToString[resp.Rcode], got, mdns.RcodeToString[r.rcode], r.want)
			}
			if !resp.Authoritative || !resp.Response || resp.Id == 0 {
				t.Errorf("%s %s: header %+v", network, r.name, resp.MsgHdr)
			}
			// Negative answers carry the SOA whose minimum bounds negative
			// caching (RFC 2308).
			if len(resp.Answer) == 0 {
				if len(resp.Ns) != 1 || resp.Ns[0].(*mdns.SOA).Minttl != 7 {
					t.Errorf("%s %s: negative answer without SOA: %v", network, r.name, resp.Ns)
				}
			}
		}
	}
}

// A fault scoped to one resolver hits only queries from that server's
// loopback address; the log says who asked, what, and which fault applied.
func TestObserverFaults(t *testing.T) {
	t.Parallel()
	faults := []dns.Fault{
		{Kind: dns.Poison, Domain: "srv.lit", Resolver: "victim.lit", Targets: []dns.Target{
			{Host: "poisoned", Addr: "127.0.6.6", Port: 5269, Via: "poisoned record"}}},
		{Kind: dns.ServFail, Domain: "type1.lit", Resolver: "victim.lit"},
		{Kind: dns.NXDomain, Domain: "multi.lit"}, // everyone
	}
	s, lb := serve(t, testZone(), &faults, Options{Observers: map[string]string{
		"127.0.0.2": "victim.lit", "127.0.0.3": "bystander.lit"}})
	victim := &Client{LocalAddr: "127.0.0.2", Timeout: time.Second}
	bystander := &Client{LocalAddr: "127.0.0.3", Timeout: time.Second}
	ctx := context.Background()

	a := victim.LookupServer(ctx, s.Addr(), "srv.lit")
	want := []dns.Target{{Host: "poisoned", Addr: "127.0.6.6", Port: 5269, Via: "poisoned record"}}
	if !cmp.Equal(a.Targets, want) || a.Note != "POISONED answer for srv.lit -> 127.0.6.6:5269" {
		t.Errorf("victim: %+v", a)
	}
	a = bystander.LookupServer(ctx, s.Addr(), "srv.lit")
	if len(a.Targets) != 2 || a.Targets[0].Addr != "127.0.0.12" || a.Targets[0].Via != "SRV" {
		t.Errorf("bystander sees the poison: %+v", a)
	}
	// The poisoned SRV target's address record is poisoned for the victim
	// only.
	if r := query(t, "udp", s.Addr(), "poisoned", mdns.TypeA); r.Rcode != mdns.RcodeNameError {
		t.Errorf("poisoned host visible to 127.0.0.1: %v", r)
	}
	if a := victim.LookupServer(ctx, s.Addr(), "type1.lit"); a.Err != dns.ErrServFail || a.Note != "injected SERVFAIL for type1.lit" {
		t.Errorf("victim type1.lit: %+v", a)
	}
	if a := bystander.LookupServer(ctx, s.Addr(), "type1.lit"); a.Err != nil {
		t.Errorf("bystander type1.lit: %+v", a)
	}
	for _, c := range []*Client{victim, bystander} {
		if a := c.LookupServer(ctx, s.Addr(), "multi.lit"); a.Err != dns.ErrNXDomain || a.Note != "injected NXDOMAIN for multi.lit" {
			t.Errorf("%s multi.lit: %+v", c.LocalAddr, a)
		}
	}

	var saw []string
	for _, q := range lb.all() {
		if q.Name == "_xmpp-server._tcp.srv.lit" {
			saw = append(saw, fmt.Sprintf("%s %s %s %q %s", q.Resolver, q.Type, q.Rcode, q.Answer, q.Fault))
		}
		if !strings.HasPrefix(q.From, "127.0.0.") || q.Time.IsZero() || q.Net != "udp" {
			t.Errorf("log entry %+v", q)
		}
	}
	wantLog := []string{
		`victim.lit SRV NOERROR "_xmpp-server._tcp.srv.lit SRV 0 0 5269 poisoned." poison`,
		`bystander.lit SRV NOERROR "_xmpp-server._tcp.srv.lit SRV 10 5 5270 xmpp.srv.lit.; _xmpp-server._tcp.srv.lit SRV 20 0 5269 backup.srv.lit." `,
	}
	if diff := cmp.Diff(wantLog, saw); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

// A fault acts only inside its window, measured from the server's epoch
// in real time, as the mock measures it in virtual time.
func TestFaultWindow(t *testing.T) {
	t.Parallel()
	faults := []dns.Fault{{Kind: dns.NXDomain, Domain: "type1.lit", From: time.Hour, Until: 2 * time.Hour}}
	for _, c := range []struct {
		ago    time.Duration // how long before now the epoch lies
		faulty bool
	}{{0, false}, {90 * time.Minute, true}, {2 * time.Hour, false}, {3 * time.Hour, false}} {
		s, _ := serve(t, testZone(), &faults, Options{Epoch: time.Now().Add(-c.ago)})
		a := LookupServer(context.Background(), s.Addr(), "type1.lit")
		if (a.Err == dns.ErrNXDomain) != c.faulty {
			t.Errorf("%v into the run: %+v, fault active: want %v", c.ago, a, c.faulty)
		}
	}
	// A fault added while the server runs (through Update) acts at once.
	var later []dns.Fault
	s, _ := serve(t, testZone(), &later, Options{})
	if a := LookupServer(context.Background(), s.Addr(), "type1.lit"); a.Err != nil {
		t.Errorf("before Update: %+v", a)
	}
	s.Update(func() { later = append(later, dns.Fault{Kind: dns.ServFail, Domain: "type1.lit"}) })
	if a := LookupServer(context.Background(), s.Addr(), "type1.lit"); a.Err != dns.ErrServFail {
		t.Errorf("after Update: %+v", a)
	}
}

// A slow answer arrives after the fault's delay (real time), and says so.
func TestSlow(t *testing.T) {
	t.Parallel()
	faults := []dns.Fault{{Kind: dns.Slow, Domain: "srv.lit", Delay: 80 * time.Millisecond}}
	s, lb := serve(t, testZone(), &faults, Options{})
	start := time.Now()
	a := LookupServer(context.Background(), s.Addr(), "srv.lit")
	if took := time.Since(start); took < 80*time.Millisecond || took > time.Second {
		t.Errorf("slow lookup took %v, want just over 80ms", took)
	}
	if a.Err != nil || len(a.Targets) != 2 || a.Delay != 80*time.Millisecond || !strings.HasSuffix(a.Note, " (answered 80ms late)") {
		t.Errorf("slow answer: %+v", a)
	}
	if q := lb.all()[0]; q.Fault != "slow" || q.Delay != 80*time.Millisecond || q.Rcode != "NOERROR" {
		t.Errorf("log: %+v", q)
	}
}

// No answer at all: the client gives up after its own timeout.
func TestNoAnswer(t *testing.T) {
	t.Parallel()
	faults := []dns.Fault{{Kind: dns.NoAnswer, Domain: "srv.lit"}}
	s, lb := serve(t, testZone(), &faults, Options{})
	c := &Client{Timeout: 100 * time.Millisecond}
	start := time.Now()
	a := c.LookupServer(context.Background(), s.Addr(), "srv.lit")
	if took := time.Since(start); took < 100*time.Millisecond || took > time.Second {
		t.Errorf("took %v, want the client's 100ms timeout", took)
	}
	if !a.Lost || a.Reason() != "no-answer" || a.Note != "the query for srv.lit goes unanswered" {
		t.Errorf("answer %+v", a)
	}
	if q := lb.all()[0]; q.Rcode != "" || q.Fault != "no-answer" {
		t.Errorf("log: %+v", q)
	}
	// A cancelled context abandons the lookup with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if a := c.LookupServer(ctx, s.Addr(), "type1.lit"); a.Err != context.Canceled {
		t.Errorf("cancelled: %+v", a)
	}
}

// An answer too big for UDP goes out truncated; the client asks again over
// TCP. A client can also use TCP from the start.
func TestTCP(t *testing.T) {
	t.Parallel()
	s, lb := serve(t, testZone(), nil, Options{})
	a := LookupServer(context.Background(), s.Addr(), "big.lit")
	if a.Err != nil || len(a.Targets) != 40 {
		t.Fatalf("big.lit: %d targets, %v", len(a.Targets), a.Err)
	}
	qs := lb.all()
	if len(qs) < 2 || qs[0].Net != "udp" || !qs[0].Truncated || qs[1].Net != "tcp" || qs[1].Truncated ||
		qs[1].Name != "_xmpp-server._tcp.big.lit" || strings.Count(qs[1].Answer, " SRV ") != 40 {
		t.Fatalf("want a truncated UDP answer then TCP; log:\n%s", lb)
	}

	s2, lb2 := serve(t, testZone(), nil, Options{})
	c := &Client{Net: "tcp"}
	if a := c.LookupServer(context.Background(), s2.Addr(), "srv.lit"); a.Err != nil || len(a.Targets) != 2 {
		t.Fatalf("over TCP: %+v", a)
	}
	for _, q := range lb2.all() {
		if q.Net != "tcp" {
			t.Errorf("%+v went over %s", q, q.Net)
		}
	}
}

// Close stops both listeners, cuts a slow answer short and leaves no
// goroutine behind; the port is free again afterwards.
func TestClose(t *testing.T) {
	before := runtime.NumGoroutine()
	faults := []dns.Fault{{Kind: dns.Slow, Domain: "srv.lit", Delay: time.Hour}}
	s, err := Serve(testZone(), &faults, Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	// One query held back by the slow fault, one TCP connection left open.
	go (&Client{Timeout: 300 * time.Millisecond}).LookupServer(context.Background(), addr, "srv.lit")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v", took)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	deadline := time.Now().Add(time.Second) // the client gives up after 300ms
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
	s2, err := Serve(testZone(), nil, Options{Addr: addr})
	if err != nil {
		t.Fatalf("port not freed: %v", err)
	}
	s2.Close()
}

// Nothing but loopback: the server will not listen elsewhere, the client
// will not ask elsewhere.
func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:53", "localhost:0"} {
		if s, err := Serve(testZone(), nil, Options{Addr: addr}); err == nil {
			s.Close()
			t.Errorf("Serve(%q) listened", addr)
		}
	}
	a := LookupServer(context.Background(), "192.0.2.1:53", "srv.lit")
	if a.Err == nil || a.Reason() != "servfail" || !strings.Contains(a.Note, "not a loopback") {
		t.Errorf("non-loopback server: %+v", a)
	}
	if _, err := Serve(testZone(), nil, Options{Observers: map[string]string{"victim": "x"}}); err == nil {
		t.Error("an observer that is not an IP address was accepted")
	}
}

func TestWriteResolvConf(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	if err := WriteResolvConf(path, "127.0.53.53:53"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nnameserver 127.0.53.53\n") || strings.Count(string(b), "nameserver") != 1 {
		t.Errorf("resolv.conf:\n%s", b)
	}
	for _, c := range []struct{ path, addr string }{
		{filepath.Join(dir, "other"), "127.0.0.1:5353"}, // resolv.conf cannot say a port
		{filepath.Join(dir, "other"), "192.0.2.1:53"},   // not loopback
		{"/etc/resolv.conf", "127.0.53.53:53"},          // never the system's
	} {
		if err := WriteResolvConf(c.path, c.addr); err == nil {
			t.Errorf("WriteResolvConf(%q, %q) wrote", c.path, c.addr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "other")); err == nil {
		t.Error("a refused resolv.conf was written anyway")
	}
}

func TestParseEDE(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text, kind, via string
		delay           time.Duration
	}{
		{"fedsim fault=poison via=\"poisoned record\"", "poison", "poisoned record", 0},
		{"fedsim fault=slow delay=1.5s", "slow", "", 1500 * time.Millisecond},
		{"fedsim fault=nxdomain", "nxdomain", "", 0},
	} {
		m := new(mdns.Msg)
		m.SetEdns0(1232, false)
		o := m.IsEdns0()
		o.Option = append(o.Option, &mdns.EDNS0_EDE{InfoCode: 0, ExtraText: "unrelated"}, &mdns.EDNS0_EDE{ExtraText: c.text})
		kind, via, delay, ok := parseEDE(m)
		if !ok || kind != c.kind || via != c.via || delay != c.delay {
			t.Errorf("%q: %q %q %v %v", c.text, kind, via, delay, ok)
		}
	}
	if _, _, _, ok := parseEDE(new(mdns.Msg)); ok {
		t.Error("fault found in a message without EDNS")
	}
}

// A poisoned answer for one domain does not rewrite the address records of
// hosts the zone holds: a victim resolving another domain whose SRV
// target is that host gets the real address.
func TestPoisonLeavesOtherHosts(t *testing.T) {
	t.Parallel()
	faults := []dns.Fault{{Kind: dns.Poison, Domain: "type1.lit", Targets: []dns.Target{
		{Host: "xmpp.srv.lit", Addr: "127.0.6.6", Port: 5269, Via: "poisoned record"}}}}
	s, _ := serve(t, testZone(), &faults, Options{})
	if a := LookupServer(context.Background(), s.Addr(), "srv.lit"); a.Err != nil || a.Targets[0].Addr != "127.0.0.12" {
		t.Errorf("srv.lit: %+v", a)
	}
	// The poisoned domain itself now points at the real host's address.
	a := LookupServer(context.Background(), s.Addr(), "type1.lit")
	if a.Err != nil || len(a.Targets) != 1 || a.Targets[0].Host != "xmpp.srv.lit" || a.Targets[0].Addr != "127.0.0.12" {
		t.Errorf("type1.lit: %+v", a)
	}
}
