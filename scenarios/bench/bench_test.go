package bench

import (
	"flag"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/scenarios"
)

var largeDomains = flag.Int("large.domains", 1000, "domains in BenchmarkLarge (fedsim bench runs 10,000)")

func BenchmarkFederationDialback(b *testing.B) { BenchFederationDialback(b) }
func BenchmarkFederationSASL(b *testing.B)     { BenchFederationSASL(b) }

// The parsing alone of what one federation writes (see BenchFederationParse).
func BenchmarkFederationParseDialback(b *testing.B) { BenchFederationParse(b, "type2") }
func BenchmarkFederationParseSASL(b *testing.B)     { BenchFederationParse(b, "type5") }
func BenchmarkMatrix(b *testing.B)                  { BenchMatrix(b) }

// BenchmarkLarge: domains each talking to 10 peers, 100 stanzas per domain.
func BenchmarkLarge(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f, err := MeasureLarge(scenarios.LargeOptions{Domains: *largeDomains, Peers: 10, Stanzas: 100 * *largeDomains, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(f.Wall.Seconds(), "wall-s")
		b.ReportMetric(float64(f.PeakRSS)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(f.Events)/f.Wall.Seconds(), "events/s")
	}
}

// BenchmarkIdleStream reports the heap held per established, idle stream.
func BenchmarkIdleStream(b *testing.B) {
	for i := 0; i < b.N; i++ {
		per, _, err := MeasureIdleStreamBytes(500, 4)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(per, "bytes/stream")
	}
}

// TestFederationTraffic: what the parse-only benchmark parses is a whole
// federation — every connection in both directions, each opening with a
// stream header, the ping and its answer among the elements — and the
// servers' own parsing of it succeeds: one token per unit written.
func TestFederationTraffic(t *testing.T) {
	for _, c := range []struct {
		preset  string
		streams int // connections x 2 directions
	}{{"type2", 8}, {"type5", 4}} {
		traffic, err := FederationTraffic(c.preset)
		if err != nil {
			t.Fatal(err)
		}
		if len(traffic) != c.streams {
			t.Errorf("%s: %d byte streams, want %d", c.preset, len(traffic), c.streams)
		}
		units, pings := 0, 0
		feeds := make([][][]byte, len(traffic))
		for i, d := range traffic {
			if len(d) == 0 || !strings.HasPrefix(d[0], "<stream:stream ") {
				t.Errorf("%s: byte stream %d does not open with a stream header: %q", c.preset, i, d)
			}
			for _, u := range d {
				units++
				if strings.Contains(u, "urn:xmpp:ping") || strings.Contains(u, "type='result'") && strings.HasPrefix(u, "<iq") {
					pings++
				}
				feeds[i] = append(feeds[i], []byte(u))
			}
		}
		if pings != 2 {
			t.Errorf("%s: %d of the ping and its answer in the traffic, want 2", c.preset, pings)
		}
		tokens, err := parseTraffic(feeds)
		if err != nil || tokens != units {
			t.Errorf("%s: parsed %d tokens of %d units, err %v", c.preset, tokens, units, err)
		}
	}
}

// BenchmarkRealTLSHandshake: one real TLS 1.3 handshake, mutual, both ends
// (what fedsim's simulated TLS does not compute).
func BenchmarkRealTLSHandshake(b *testing.B) { BenchRealTLSHandshake(b) }

// TestRealTLSHandshake: the handshake the benchmark measures completes
// with both certificates verified, and fails against an unrelated CA.
func TestRealTLSHandshake(t *testing.T) {
	client, server, err := realTLSConfigs()
	if err != nil {
		t.Fatal(err)
	}
	if err := realHandshake(client, server); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	other, _, err := realTLSConfigs()
	if err != nil {
		t.Fatal(err)
	}
	if err := realHandshake(other, server); err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
}
