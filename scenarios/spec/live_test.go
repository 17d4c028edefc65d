package spec

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/scenarios/live"
)

// knownLiveDifferences are the expectations a real run cannot meet, and
// why: a TLS alert carries a code, not a reason (RFC 5246 §7.2), so the
// client whose certificate type6 rejects reads "bad certificate" where the
// simulated alert quotes the server's verdict ("ca: self-signed").
var knownLiveDifferences = map[string]string{
	"type2 -> type6 (XEP-0238 §5.6) events": "the rejected client learns only the alert's code (bad_certificate), not the server's reason",
	"type4 -> type6 (XEP-0238 §7.6) events": "the rejected client learns only the alert's code (bad_certificate), not the server's reason",
}

// The shipped scenarios that mean the same in real time pass on real
// sockets: the same servers, built from the same file, over real TCP and
// real TLS, meet the file's expectations as in the simulation.
func TestShippedScenariosLive(t *testing.T) {
	if testing.Short() {
		t.Skip("opens real sockets")
	}
	files, err := Find("../../scenarios")
	if err != nil {
		t.Fatal(err)
	}
	ran, skipped := 0, map[string]string{}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if why := s.LiveSkip(); why != "" {
			skipped[f] = why
			continue
		}
		sim, err := s.Run()
		if err != nil {
			t.Fatal(err)
		}
		if sim.Virtual > 3e9 {
			skipped[f] = fmt.Sprintf("its simulated run lasts %v", sim.Virtual)
			continue
		}
		res, err := s.RunLive(live.Options{Idle: 150 * time.Millisecond, Loopback: func(k int) string { return fmt.Sprintf("127.79.%d.%d", os.Getpid()%250+1, k+1) }})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ran++
		for _, fl := range res.Failures {
			if why, ok := knownLiveDifferences[s.Name+" "+fl.Check]; ok && strings.Contains(fl.Diff, "TLS handshake failed: remote error: tls: bad certificate") {
				t.Logf("%s: expected difference on real sockets: %s", f, why)
				continue
			}
			t.Errorf("%s on real sockets: %s", f, fl)
		}
	}
	t.Logf("%d scenarios ran on real sockets; %d skipped:", ran, len(skipped))
	for f, why := range skipped {
		t.Logf("  %s: %s", f, why)
	}
	if ran < 30 {
		t.Errorf("only %d scenarios ran on real sockets", ran)
	}
}
