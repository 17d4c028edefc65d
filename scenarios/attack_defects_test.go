package scenarios

import (
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

// The dialback shortcut (Metronome #391's class): with the defect
// dialback_trust_result every receiver that accepts dialback believes the
// impostor's own <db:result type='valid'/> and delivers its forgery, and
// the invariant checker reports each acceptance as a broken rule, naming
// the forged result; only type6, which needs a CA-issued certificate
// before anything else, stops it. Without the defect every receiver
// refuses the forged result with <unsupported-stanza-type/>, citing
// XEP-0220 §2.1.1, and the checker finds nothing.
func TestDialbackShortcutMatrix(t *testing.T) {
	servers := []string{"type1", "type2", "type3", "type4", "type5", "type6", "openfire", "ejabberd-24", "prosody-0.12", "prosody-0.12-debian"}
	for _, defect := range []bool{true, false} {
		for _, r := range matrixOf(t, AttackDialbackShortcut, AttackOptions{Seed: 1, WithDefect: defect, Servers: servers}) {
			certsOnly := r.Receiver == "type6" || r.Receiver == "prosody-0.12-debian"
			want := defect && !certsOnly
			why := strings.Join(r.Stopped, "; ")
			if r.Impersonated != want || r.Read || r.Downgraded {
				t.Errorf("defect=%t %s -> %s: verdict %s, want impersonated=%t (stopped by %s)", defect, r.Initiator, r.Receiver, r.Verdict(), want, why)
			}
			switch {
			case want:
			case r.Receiver == "type6":
				if !strings.Contains(why, "rejects the client certificate") {
					t.Errorf("defect=%t %s -> type6: stopped by %q, want the certificate check", defect, r.Initiator, why)
				}
			case r.Receiver == "prosody-0.12-debian" && defect:
				if !strings.Contains(why, "accepts only T") {
					t.Errorf("defect=%t %s -> %s: stopped by %q, want the accept levels", defect, r.Initiator, r.Receiver, why)
				}
			default:
				if !strings.Contains(why, "<unsupported-stanza-type/>") || !strings.Contains(why, "XEP-0220 §2.1.1") {
					t.Errorf("defect=%t %s -> %s: stopped by %q, want the refusal of the forged result", defect, r.Initiator, r.Receiver, why)
				}
			}
			rep := Check(r.World)
			var flagged []Violation
			for _, v := range rep.Violations {
				if v.Rule == "dialback-verified" && strings.Contains(v.Detail, "<db:result type='valid'/> that "+ImpostorHost(iniDomain(r.Pair))+" itself sent") {
					flagged = append(flagged, v)
				}
			}
			if want && len(flagged) == 0 {
				t.Errorf("defect=%t %s -> %s: the checker did not flag the impersonation: %v", defect, r.Initiator, r.Receiver, rep.Violations)
			}
			if !want && len(rep.Violations) != 0 {
				t.Errorf("defect=%t %s -> %s: violations %v", defect, r.Initiator, r.Receiver, rep.Violations)
			}
		}
	}
}

// The plaintext retry (Openfire 4.7 and earlier): with the defect
// tls_failure_retry_plaintext an initiator that uses TLS opportunistically
// is downgraded and read wherever the receiver takes plaintext dialback; a
// receiver that requires STARTTLS refuses the retry, and an initiator that
// requires TLS (initiate_tls=always) does not retry. Without the defect
// every pair that used TLS is refused: the broken handshake is a denial of
// service, never a downgrade. Pairs that never used TLS have nothing to
// break.
func TestPlaintextRetryMatrix(t *testing.T) {
	servers := []string{"type1", "type2", "type3", "type4", "type5", "type6", "openfire", "ejabberd-24", "prosody-0.12"}
	policy := func(kind string) nodes.Policy {
		p, _ := nodes.PresetByName(kind)
		return p.Policy
	}
	for _, defect := range []bool{true, false} {
		downgrades := 0
		for _, r := range matrixOf(t, AttackPlaintextRetry, AttackOptions{Seed: 1, WithDefect: defect, Servers: servers}) {
			ini, rec := policy(r.Initiator), policy(r.Receiver)
			usedTLS := r.Baseline == nodes.LevelEncrypted || r.Baseline == nodes.LevelTrusted
			takesPlaintext := rec.StartTLS != nodes.TLSRequired && rec.Accept.Has(nodes.LevelVerified) && ini.Accept.Has(nodes.LevelVerified)
			want := defect && usedTLS && ini.InitiateTLS != nodes.InitiateAlways && takesPlaintext
			if r.Downgraded != want || r.Read != want {
				t.Errorf("defect=%t %s -> %s: verdict %s (baseline %s, outcome %s), want downgraded=%t (stopped by %v)", defect, r.Initiator, r.Receiver, r.Verdict(), r.Baseline.Letter(), r.Outcome.Letter(), want, r.Stopped)
			}
			if want {
				downgrades++
				continue
			}
			if r.Denied != usedTLS {
				t.Errorf("defect=%t %s -> %s: refused=%t with baseline %s", defect, r.Initiator, r.Receiver, r.Denied, r.Baseline.Letter())
			}
			why := strings.Join(r.Stopped, "; ")
			switch {
			case !usedTLS:
			case defect && ini.InitiateTLS == nodes.InitiateAlways:
				if !strings.Contains(why, "no plaintext retry") || !strings.Contains(why, "initiate_tls=always") {
					t.Errorf("%s -> %s: stopped by %q, want the initiator's own policy", r.Initiator, r.Receiver, why)
				}
			case defect:
				if !strings.Contains(why, "requires STARTTLS") {
					t.Errorf("%s -> %s: stopped by %q, want the receiver's STARTTLS requirement", r.Initiator, r.Receiver, why)
				}
			default:
				if !strings.Contains(why, "connection reset") || strings.Contains(why, "plaintext retry") {
					t.Errorf("%s -> %s: stopped by %q, want the reset alone", r.Initiator, r.Receiver, why)
				}
			}
		}
		// openfire and ejabberd-24 each to type2, type3, openfire and
		// ejabberd-24.
		if want := map[bool]int{true: 8, false: 0}[defect]; downgrades != want {
			t.Errorf("defect=%t: %d downgrades, want %d", defect, downgrades, want)
		}
	}
}

// The defects leave the six types' matrix alone: the fields default off,
// and Policy.String prints them only when on.
func TestDefectsDefaultOff(t *testing.T) {
	for _, p := range nodes.AllPresets() {
		if p.Policy.DialbackTrustResult || p.Policy.TLSFailureRetryPlaintext {
			t.Errorf("preset %s has a defect on", p.Name)
		}
		if s := p.Policy.String(); strings.Contains(s, "dialback_trust_result") || strings.Contains(s, "tls_failure_retry_plaintext") {
			t.Errorf("preset %s prints a defect: %s", p.Name, s)
		}
	}
	for _, name := range []string{"dialback_trust_result", "tls_failure_retry_plaintext"} {
		f, ok := nodes.PolicyFieldByName(name)
		if !ok || f.Default != "false" || f.Grid != nil {
			t.Errorf("%s: found=%t default %q grid %v: want a defect field (default false, never in a sweep grid)", name, ok, f.Default, f.Grid)
		}
	}
}

func iniDomain(p Pair) string { d, _ := p.Domains(); return d }
