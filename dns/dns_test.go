package dns

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestLookupServer(t *testing.T) {
	z := NewZone()
	z.AddAddr("type1.lit", "10.0.0.1")
	z.AddSRV("type2.lit", SRV{Target: "xmpp.type2.lit", Port: 5270, Priority: 10, Weight: 5})
	z.AddSRV("type2.lit", SRV{Target: "backup.type2.lit", Port: 5269, Priority: 20, Weight: 0})
	z.AddAddr("xmpp.type2.lit", "10.0.0.2")
	z.AddAddr("backup.type2.lit", "10.0.0.22")
	z.AddSRV("none.lit", SRV{Target: ".", Port: 0})
	z.AddSRV("dangling.lit", SRV{Target: "nowhere.lit", Port: 5269})
	r := &Resolver{Zone: z, Rand: rand.New(rand.NewPCG(1, 2))}

	a := r.LookupServer("type1.lit")
	if a.Err != nil || len(a.Targets) != 1 || a.Targets[0].Port != 5269 || a.Targets[0].Via != "A" {
		t.Fatalf("A fallback: %+v", a)
	}
	a = r.LookupServer("TYPE2.lit.")
	if a.Err != nil || len(a.Targets) != 2 || a.Targets[0].Addr != "10.0.0.2" || a.Targets[0].Port != 5270 || a.Targets[1].Addr != "10.0.0.22" {
		t.Fatalf("SRV by priority: %+v", a)
	}
	for _, d := range []string{"missing.lit", "none.lit", "dangling.lit"} {
		if a := r.LookupServer(d); !errors.Is(a.Err, ErrNXDomain) || a.Note == "" {
			t.Fatalf("%s: %+v, want NXDOMAIN with a note", d, a)
		}
	}
	// An override (a poisoned record) wins over the zone.
	r.Overrides = append(r.Overrides, func(d string) (Answer, bool) {
		if d != "type1.lit" {
			return Answer{}, false
		}
		return Answer{Targets: []Target{{Host: "evil", Addr: "10.6.6.6", Port: 5269, Via: "A"}}, Note: "poisoned"}, true
	})
	if a := r.LookupServer("type1.lit"); a.Targets[0].Addr != "10.6.6.6" || a.Domain != "type1.lit" {
		t.Fatalf("override ignored: %+v", a)
	}
}

// Weighted order follows RFC 2782: heavier targets come first more often.
func TestWeightedOrder(t *testing.T) {
	z := NewZone()
	z.AddSRV("w.lit", SRV{Target: "heavy", Port: 1, Priority: 1, Weight: 90})
	z.AddSRV("w.lit", SRV{Target: "light", Port: 2, Priority: 1, Weight: 10})
	z.AddAddr("heavy", "1")
	z.AddAddr("light", "2")
	r := &Resolver{Zone: z, Rand: rand.New(rand.NewPCG(3, 4))}
	heavyFirst := 0
	for i := 0; i < 1000; i++ {
		if r.LookupServer("w.lit").Targets[0].Host == "heavy" {
			heavyFirst++
		}
	}
	if heavyFirst < 800 || heavyFirst > 970 {
		t.Fatalf("heavy first %d/1000 times, want about 900", heavyFirst)
	}
}

// TestLookupDirect: XEP-0368 §3 mixes _xmpp-server and _xmpps-server
// records by priority and weight; a server that does not ask for Direct
// TLS never sees the latter; a "." _xmpps-server record means no Direct
// TLS; with only _xmpps-server records, the address fallback comes last.
func TestLookupDirect(t *testing.T) {
	z := NewZone()
	z.AddSRV("both.lit", SRV{Target: "xmpp.both.lit", Port: 5269, Priority: 10, Weight: 1})
	z.AddSRV("both.lit", SRV{Target: "xmpp.both.lit", Port: 5270, Priority: 5, Weight: 1, Direct: true})
	z.AddAddr("xmpp.both.lit", "10.0.0.2")
	z.AddSRV("dot.lit", SRV{Target: "xmpp.dot.lit", Port: 5269, Priority: 10, Weight: 1})
	z.AddSRV("dot.lit", SRV{Target: ".", Direct: true})
	z.AddAddr("xmpp.dot.lit", "10.0.0.3")
	z.AddSRV("only.lit", SRV{Target: "only.lit", Port: 5270, Priority: 5, Weight: 1, Direct: true})
	z.AddAddr("only.lit", "10.0.0.4")
	r := &Resolver{Zone: z, Rand: rand.New(rand.NewPCG(1, 2))}
	ports := func(a Answer) (out []string) {
		for _, t := range a.Targets {
			out = append(out, t.Addr+":"+strconv.Itoa(t.Port)+"/"+strconv.FormatBool(t.Direct))
		}
		return out
	}
	for _, c := range []struct {
		domain string
		direct bool
		want   string
	}{
		{"both.lit", true, "10.0.0.2:5270/true 10.0.0.2:5269/false"},
		{"both.lit", false, "10.0.0.2:5269/false"},
		{"dot.lit", true, "10.0.0.3:5269/false"},
		{"only.lit", true, "10.0.0.4:5270/true 10.0.0.4:5269/false"},
		{"only.lit", false, "10.0.0.4:5269/false"},
	} {
		a := r.Lookup(c.domain, c.direct)
		if got := strings.Join(ports(a), " "); a.Err != nil || got != c.want {
			t.Errorf("Lookup(%s, direct=%v) = %q (err %v), want %q", c.domain, c.direct, got, a.Err, c.want)
		}
	}
}
