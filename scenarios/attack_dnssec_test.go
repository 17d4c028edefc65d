package scenarios

import (
	"strings"
	"testing"
)

// TestDNSSECMatrix: the poisoning matrix over DNSSEC deployments, each
// cell's verdict and reason read from its run. Without signatures, or
// without validation, the poisoner wins wherever it won before (type6's
// CA check is what stops it there); with signed zones and validating
// resolvers it wins nowhere, and the reason is the bogus signature — no
// public CA needed (type1 to type4 hold none the peer trusts).
func TestDNSSECMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("36 attack runs")
	}
	cells, err := RunDNSSECMatrix(AttackDNSPoison, AttackOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != len(Deployments)*len(Types) {
		t.Fatalf("%d cells", len(cells))
	}
	for _, c := range cells {
		want, why := "", ""
		switch {
		case c.Type == "type6" && c.Deployment != "dnssec" && c.Deployment != "dnssec+dane":
			want, why = "", "" // the CA check stops impersonation, as in the plain matrix
		case c.Deployment == "none" || c.Deployment == "signed-only":
			want, why = "impersonated", "does not validate"
		case c.Deployment == "validate-only":
			want, why = "impersonated", "is insecure"
		case c.Deployment == "dnssec" || c.Deployment == "dnssec+dane":
			want, why = "stopped", "bogus"
			if c.Type == "type6" {
				why = "rejects the client certificate" // its TLS check comes before any DNS lookup
			}
		}
		if want != "" && !strings.HasPrefix(c.Verdict(), want) {
			t.Errorf("%s, %s: verdict %s, want %s", c.Deployment, c.Type, c.Verdict(), want)
		}
		if why != "" && !strings.Contains(c.Why, why) {
			t.Errorf("%s, %s: reason %q, want it to say %q", c.Deployment, c.Type, c.Why, why)
		}
		if (c.Deployment == "dnssec" || c.Deployment == "dnssec+dane") && (c.Impersonated || c.Read) {
			t.Errorf("%s, %s: the poisoner won under DNSSEC: %s", c.Deployment, c.Type, c.Verdict())
		}
	}
	// DANE gives type4 (self-signed certificates, no CA) level T.
	for _, c := range cells {
		if c.Type == "type4" && c.Deployment == "dnssec+dane" && c.Baseline.Letter() != "T" {
			t.Errorf("type4 under dnssec+dane reaches %s without the attacker, want T", c.Baseline.Letter())
		}
		if c.Type == "type4" && c.Deployment == "dnssec" && c.Baseline.Letter() != "E" {
			t.Errorf("type4 under dnssec reaches %s, want E (DNSSEC alone authenticates no certificate)", c.Baseline.Letter())
		}
	}
}

// TestDANEOnPath: the on-path attacks under the same deployments. With
// DNSSEC and DANE-EE records, a TLS interceptor's certificate matches no
// TLSA record and the initiator aborts (no public CA involved: type2 and
// type4 hold self-signed certificates), and a stripped STARTTLS is refused
// because usable TLSA records make TLS mandatory (RFC 7673 §2.4). Without
// DANE the interceptor reads type4's traffic, as in security.md.
func TestDANEOnPath(t *testing.T) {
	if testing.Short() {
		t.Skip("72 attack runs")
	}
	for _, c := range []struct {
		kind AttackKind
		why  string
	}{{AttackTLSIntercept, "no TLSA record matches the certificate"}, {AttackStripSTARTTLS, "RFC 7673 §2.4"}} {
		cells, err := RunDNSSECMatrix(c.kind, AttackOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, cell := range cells {
			switch {
			case cell.Deployment == "dnssec+dane" && cell.Type != "type1":
				if cell.Succeeded() || !strings.Contains(cell.ReadWhy, c.why) {
					t.Errorf("%s, %s, %s: %s (%s), want stopped because %q", c.kind, cell.Deployment, cell.Type, cell.Verdict(), cell.ReadWhy, c.why)
				}
			case c.kind == AttackTLSIntercept && cell.Deployment == "dnssec" && cell.Type == "type4":
				if !cell.Read {
					t.Errorf("tls-intercept, dnssec, type4: %s, want read (DNSSEC alone authenticates no certificate)", cell.Verdict())
				}
			}
		}
	}
}
