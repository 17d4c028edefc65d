package scenarios

import "testing"

// TestLargeRunCounts: a small large run delivers every stanza, negotiates
// each route exactly once (stanzas after the first reuse the stream) and
// fails none, keeps no per-stanza or per-outcome records (CountOnly), and
// the same seed gives the same run.
func TestLargeRunCounts(t *testing.T) {
	opt := LargeOptions{Domains: 40, Peers: 5, Stanzas: 2000, Seed: 7}
	run := func() *LargeResult {
		res, err := RunLarge(opt)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := run()
	if a.Delivered != opt.Stanzas || a.Sent != opt.Stanzas || a.Bounced != 0 {
		t.Errorf("sent %d, delivered %d, bounced %d of %d", a.Sent, a.Delivered, a.Bounced, opt.Stanzas)
	}
	if a.Routes != opt.Domains*opt.Peers || a.Established != a.Routes || a.Failed != 0 {
		t.Errorf("%d routes: %d negotiations established, %d failed", a.Routes, a.Established, a.Failed)
	}
	w := a.World
	if len(w.Outcomes)+len(w.Deliveries)+len(w.Sent)+len(w.Acceptances) != 0 {
		t.Errorf("a count-only world kept records: %d outcomes, %d deliveries", len(w.Outcomes), len(w.Deliveries))
	}
	b := run()
	if a.Events != b.Events || a.Elapsed != b.Elapsed || a.ConnectionsAll != b.ConnectionsAll {
		t.Errorf("same seed, different runs: %d/%d events, %v/%v, %d/%d connections", a.Events, b.Events, a.Elapsed, b.Elapsed, a.ConnectionsAll, b.ConnectionsAll)
	}
}

// TestLargeBidiHalvesConnections (issue 15): when every route carries
// stanzas both ways (Reciprocal), each ordered pair needs its own
// connection without bidi, and with bidi (XEP-0288) the reverse direction
// rides on the stream the first direction opened, so the connection count
// is halved — all but the few pairs whose two servers opened towards each
// other at once, before either stream was authenticated (each keeps its
// own). With one-way traffic bidi saves only those pairs drawn both ways.
func TestLargeBidiHalvesConnections(t *testing.T) {
	run := func(bidi, reciprocal bool) *LargeResult {
		opt := LargeOptions{Domains: 200, Peers: 5, Stanzas: 5000, Seed: 3, Bidi: bidi, Reciprocal: reciprocal}
		res, err := RunLarge(opt)
		if err != nil {
			t.Fatal(err)
		}
		if res.Delivered != opt.Stanzas || res.Failed != 0 {
			t.Fatalf("bidi %v reciprocal %v: delivered %d of %d, %d failed", bidi, reciprocal, res.Delivered, opt.Stanzas, res.Failed)
		}
		return res
	}
	plain, bidi := run(false, true), run(true, true)
	if plain.ConnectionsAll != plain.Established {
		t.Errorf("without bidi: %d connections for %d routes, want one each (type5: no verification connections)", plain.ConnectionsAll, plain.Established)
	}
	pairs := plain.Established / 2 // every unordered pair is used both ways
	if bidi.ConnectionsAll < pairs || bidi.ConnectionsAll > pairs+pairs/50 {
		t.Errorf("with bidi: %d connections for %d pairs used both ways, want about one each (without bidi %d)", bidi.ConnectionsAll, pairs, plain.ConnectionsAll)
	}
	oneWay, oneWayBidi := run(false, false), run(true, false)
	if oneWayBidi.ConnectionsAll > oneWay.ConnectionsAll || oneWay.ConnectionsAll-oneWayBidi.ConnectionsAll > oneWay.ConnectionsAll/20 {
		t.Errorf("one-way traffic: %d connections with bidi, %d without; want a few fewer", oneWayBidi.ConnectionsAll, oneWay.ConnectionsAll)
	}
	t.Logf("reciprocal: %d connections without bidi, %d with; one-way: %d, %d", plain.ConnectionsAll, bidi.ConnectionsAll, oneWay.ConnectionsAll, oneWayBidi.ConnectionsAll)
}
