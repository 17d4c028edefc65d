package transport_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fedsim/fedsim/network"
	"github.com/fedsim/fedsim/network/transport"
)

// TestNetworkAliases: package network's names are these types and values,
// not copies, so a TLS alert the simulated network wraps is still
// transport.ErrTLSAlert to errors.Is (a server tells a refusal from a
// transient failure by it).
func TestNetworkAliases(t *testing.T) {
	alert := fmt.Errorf("%w: handshake_failure", network.ErrTLSAlert)
	if !errors.Is(alert, transport.ErrTLSAlert) {
		t.Fatal("an alert wrapped by package network is not transport.ErrTLSAlert")
	}
	var e transport.End = network.Server
	if e != transport.Server || e.Other() != network.Client || e.String() != "server" || e.Other().String() != "client" {
		t.Fatalf("End: %v, other %v", e, e.Other())
	}
}
