package teach

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/scenarios"
)

// TestRefusedConnectionIsAFailure pins that a refused connection is drawn
// as a failure in every rendering: the steps on the refused connection
// after its connect (the refusal at the receiver, the failed connect at the
// initiator) are failures in the flow, end with ✗ in the explanation, are
// marked ✗ in Mermaid and use the failure class in the SVG. (They were
// neutral notes while the flow matched "refused", an event nothing emits.)
func TestRefusedConnectionIsAFailure(t *testing.T) {
	p := scenarios.Pair{Initiator: "type2", Receiver: "type1"}
	f, err := ParseFault(p, "refuse:receiver")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Initiator: "type2", Receiver: "type1", Seed: 1, Faults: []scenarios.Fault{f}}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	flow := BuildFlow(res)
	var refused []Step
	connected := false
	for _, s := range flow.Steps {
		if s.Conn != "c1" {
			continue
		}
		if !connected {
			connected = true // the TCP connect itself
			continue
		}
		refused = append(refused, s)
	}
	if len(refused) == 0 {
		t.Fatalf("no step after the connect on the refused connection c1; steps: %+v", flow.Steps)
	}
	var e, m, s bytes.Buffer
	if err := Explain(&e, res, flow, nil, cfg.Replay("explain")); err != nil {
		t.Fatal(err)
	}
	if err := Mermaid(&m, flow, "refused"); err != nil {
		t.Fatal(err)
	}
	if err := SVG(&s, flow, "refused"); err != nil {
		t.Fatal(err)
	}
	for _, st := range refused {
		if !st.Failure {
			t.Errorf("step %d %q on the refused connection is not a failure", st.N, st.Label)
		}
		if line := lineWith(e.String(), fmt.Sprintf("%3d. [", st.N)); !strings.HasSuffix(line, "✗") {
			t.Errorf("explain: step %d is not marked as a failure: %q", st.N, line)
		}
		if line := lineWith(m.String(), fmt.Sprintf(": %d. ", st.N)); !strings.HasSuffix(line, "✗") {
			t.Errorf("mermaid: step %d is not marked as a failure: %q", st.N, line)
		}
		group := s.String()[strings.Index(s.String(), fmt.Sprintf(`data-step="%d"`, st.N)):]
		group = group[:strings.Index(group, "</g>")]
		if !strings.Contains(group, `class="lblfail"`) {
			t.Errorf("svg: step %d is not drawn as a failure: %s", st.N, group)
		}
	}
	if !strings.Contains(m.String(), "-x") {
		t.Errorf("mermaid: no failed arrow for the refusal:\n%s", m.String())
	}
}

// lineWith returns the first line of s containing sub.
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
