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
