package scenarios

import (
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

func matrixOf(t *testing.T, k AttackKind, opt AttackOptions) []*AttackResult {
	t.Helper()
	rs, err := RunAttackMatrix(k, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// XEP-0238 §1: verified federation "is still subject to DNS poisoning
// attacks"; trusted federation "effectively prevents" them. The impostor is
// accepted by every receiver that accepts dialback, and stopped only by the
// receiver that requires a CA-issued certificate; the initiator's traffic
// is read unless it checks the receiver's certificate.
func TestDNSPoisonMatrix(t *testing.T) {
	for _, r := range matrixOf(t, AttackDNSPoison, AttackOptions{Seed: 1}) {
		wantImp := r.Receiver != "type6"
		wantRead := r.Initiator != "type6"
		if r.Impersonated != wantImp || r.Read != wantRead {
			t.Errorf("%s -> %s: impersonated=%t read=%t, want %t %t (stopped by %v)", r.Initiator, r.Receiver, r.Impersonated, r.Read, wantImp, wantRead, r.Stopped)
		}
		if !wantImp && !strings.Contains(strings.Join(r.Stopped, " "), "rejects the client certificate: ca: self-signed certificate") {
			t.Errorf("%s -> %s: stopped by %v, want the CA check", r.Initiator, r.Receiver, r.Stopped)
		}
		// The checker reports the impersonation as the attack succeeding,
		// not as a broken invariant.
		rep := Check(r.World)
		if len(rep.Violations) != 0 {
			t.Errorf("%s -> %s: violations %v", r.Initiator, r.Receiver, rep.Violations)
		}
		if wantImp && len(rep.Impersonations) == 0 {
			t.Errorf("%s -> %s: the checker did not report the impersonation", r.Initiator, r.Receiver)
		}
	}
}

// With XEP-0238's policies STARTTLS stripping never downgrades a pair:
// the pairs that use TLS are exactly those where one side requires it, and
// that side refuses to go on. Where TLS was never used there is nothing to
// strip.
func TestStripSTARTTLSMatrix(t *testing.T) {
	for _, r := range matrixOf(t, AttackStripSTARTTLS, AttackOptions{Seed: 1}) {
		usedTLS := r.Baseline == nodes.LevelEncrypted || r.Baseline == nodes.LevelTrusted
		if r.Downgraded {
			t.Errorf("%s -> %s downgraded", r.Initiator, r.Receiver)
		}
		if r.Denied != usedTLS {
			t.Errorf("%s -> %s: refused=%t, baseline %s", r.Initiator, r.Receiver, r.Denied, r.Baseline.Letter())
		}
	}
}

// A server that merely prefers TLS (opportunistic: initiate_tls=if-offered,
// starttls=offered) is downgraded to plaintext dialback and read.
func TestStripSTARTTLSDowngradesOpportunisticTLS(t *testing.T) {
	p, _ := nodes.PresetByName("type3")
	opp := p.Policy
	opp.InitiateTLS = nodes.InitiateIfOffered
	r, err := RunAttack(AttackStripSTARTTLS, Pair{"type3", "type2"}, AttackOptions{Seed: 1, Policies: map[string]nodes.Policy{"type3": opp}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Baseline != nodes.LevelEncrypted || r.Outcome != nodes.LevelVerified || !r.Downgraded || !r.Read {
		t.Fatalf("baseline %s outcome %s downgraded=%t", r.Baseline.Letter(), r.Outcome.Letter(), r.Downgraded)
	}
	var tr strings.Builder
	r.World.Sim.Trace.WriteText(&tr)
	// The trace keeps what each server sent; the stripping is an event, and
	// no TLS handshake follows.
	if !strings.Contains(tr.String(), "strips <starttls/>") || strings.Contains(tr.String(), "ClientHello") {
		t.Fatalf("the trace should show the stripping and no TLS handshake:\n%s", tr.String())
	}
}

// A TLS interceptor reads every pair that uses TLS without checking
// certificates (dialback after TLS authenticates the domain, not the TLS
// peer); a type6 end refuses its certificate.
func TestTLSInterceptMatrix(t *testing.T) {
	for _, cert := range []string{"self-signed", "wrong-name"} {
		for _, r := range matrixOf(t, AttackTLSIntercept, AttackOptions{Seed: 1, InterceptCert: cert}) {
			usedTLS := r.Baseline == nodes.LevelEncrypted || r.Baseline == nodes.LevelTrusted
			type6 := r.Initiator == "type6" || r.Receiver == "type6"
			if r.Read != (usedTLS && !type6) || r.Denied != (usedTLS && type6) {
				t.Errorf("%s: %s -> %s: read=%t refused=%t (baseline %s)", cert, r.Initiator, r.Receiver, r.Read, r.Denied, r.Baseline.Letter())
			}
			// A session that was SASL EXTERNAL without the attacker falls to
			// dialback with it: the interceptor's certificate does not verify.
			if r.Read && r.Baseline == nodes.LevelTrusted && r.Outcome != nodes.LevelEncrypted {
				t.Errorf("%s: %s -> %s: outcome %s under interception, want E", cert, r.Initiator, r.Receiver, r.Outcome.Letter())
			}
		}
	}
}
