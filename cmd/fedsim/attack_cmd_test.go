package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// fedsim attack dialback-shortcut and plaintext-retry print the matrix with
// the defect, then without it; --defect off prints only the second, and
// --servers picks the kinds. The JSON says which cells ran with the defect.
func TestAttackDefectCommands(t *testing.T) {
	out, errs, code := runCLI("attack", "dialback-shortcut")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"With the defect: dialback_trust_result=true in every receiver's policy.",
		"Without the defect (dialback_trust_result=false, the default: a correct receiver):",
		"impersonated",
		"XEP-0220 §2.1.1",
		"Replay: fedsim attack dialback-shortcut --seed 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("attack dialback-shortcut: no %q in:\n%s", want, out)
		}
	}
	out, errs, code = runCLI("attack", "plaintext-retry", "--servers", "openfire,type2,type5", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m struct {
		Defect string `json:"defect_field"`
		Replay string
		Cells  []struct {
			Initiator, Receiver, Verdict string
			Defect                       *bool
			Downgraded, Read             bool
		}
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || len(m.Cells) != 18 {
		t.Fatalf("%v, %d cells:\n%s", err, len(m.Cells), out)
	}
	if m.Defect != "tls_failure_retry_plaintext" || m.Replay != "fedsim attack plaintext-retry --seed 1 --servers openfire,type2,type5" {
		t.Errorf("defect %q replay %q", m.Defect, m.Replay)
	}
	for _, c := range m.Cells {
		if c.Defect == nil {
			t.Fatalf("%+v: no defect", c)
		}
		want := *c.Defect && c.Initiator == "openfire" && (c.Receiver == "type2" || c.Receiver == "openfire")
		if c.Downgraded != want || c.Read != want {
			t.Errorf("%+v (defect %t): want downgraded and read = %t", c, *c.Defect, want)
		}
	}
	out, _, code = runCLI("attack", "plaintext-retry", "--defect", "off", "--servers", "openfire,type2")
	if code != 0 || strings.Contains(out, "With the defect") || !strings.Contains(out, "Without the defect") || strings.Contains(out, "read+downgraded") ||
		!strings.Contains(out, "Replay: fedsim attack plaintext-retry --seed 1 --servers openfire,type2 --defect off") {
		t.Errorf("--defect off: exit %d:\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"attack", "plaintext-retry", "--defect", "maybe"}, `--defect "maybe": want on or off`},
		{[]string{"attack", "dialback-shortcut", "--servers", "type2,nope"}, `--servers: unknown kind "nope"`},
		{[]string{"attack", "dns-poison", "--dnssec", "--servers", "type2"}, "--servers: the --dnssec matrix"},
	} {
		_, errs, code := runCLI(c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}
