package nodes

import (
	"fmt"
	"strings"
	"testing"
)

// stringBeforeTable is Policy.String as it was written by hand before the
// field table: the table must print the same bytes (golden transcripts
// and replay lines print policies).
func stringBeforeTable(p Policy) string {
	s := fmt.Sprintf("version=%s starttls=%s initiate_tls=%s dialback=%t sasl=%s require_valid_cert=%t accept=%s",
		p.Version, p.StartTLS, p.InitiateTLS, p.Dialback, p.SASL, p.RequireValidCert, p.Accept)
	if p.EnforceClientAuthEKU {
		s += " enforce_clientauth_eku=true"
	}
	if p.DialbackWithSASL {
		s += " dialback_with_sasl=true"
	}
	if p.SASLFallback {
		s += " sasl_fallback=true"
	}
	if p.DialbackErrors {
		s += " dialback_errors=true"
	}
	if e := p.Errors; e != (ErrorProfile{}) {
		s += fmt.Sprintf(" errors=%s/%s/%s", e.TLSRequiredCondition(), e.RefusedCondition(), e.BounceCondition())
	}
	return s
}

func TestStringFromTableIsByteIdentical(t *testing.T) {
	var ps []Policy
	for _, pr := range AllPresets() {
		ps = append(ps, pr.Policy)
	}
	// Every value of every field, one field at a time, over each preset.
	for _, pr := range AllPresets() {
		for _, f := range AllPolicyFields() {
			for _, v := range f.Values {
				p := pr.Policy
				if err := f.Set(&p, v); err != nil {
					t.Fatalf("%s: %v", pr.Name, err)
				}
				ps = append(ps, p)
			}
		}
	}
	// Fields added after the table print only when set; without them the
	// bytes are the hand-written ones.
	known := map[string]bool{}
	for _, kv := range strings.Fields(stringBeforeTable(Policy{EnforceClientAuthEKU: true, DialbackWithSASL: true, SASLFallback: true, DialbackErrors: true, Errors: ErrorProfile{Bounce: "gone"}})) {
		k, _, _ := strings.Cut(kv, "=")
		known[k] = true
	}
	before := func(p Policy) string {
		var old []string
		for _, kv := range strings.Fields(p.String()) {
			if k, _, _ := strings.Cut(kv, "="); known[k] {
				old = append(old, kv)
			}
		}
		return strings.Join(old, " ")
	}
	for _, p := range ps {
		if got, want := before(p), stringBeforeTable(p); got != want {
			t.Errorf("String from the table:\n  %s\nby hand:\n  %s", got, want)
		}
	}
	// A preset may set a field added after the table (ejabberd-23.01:
	// verify_before_tls=false); the rest of its bytes are the hand-written.
	for _, pr := range AllPresets() {
		if got, want := before(pr.Policy), stringBeforeTable(pr.Policy); got != want {
			t.Errorf("%s: String from the table:\n  %s\nby hand:\n  %s", pr.Name, got, want)
		}
	}
}

// Every value of every field is read back as it was written, and Set
// refuses what a field does not take with a message naming both.
func TestPolicyFieldsSetGet(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range AllPolicyFields() {
		if seen[f.Name] {
			t.Errorf("field %s listed twice", f.Name)
		}
		seen[f.Name] = true
		if f.Help == "" || !strings.Contains(f.Help, "§") && !strings.Contains(f.Help, "XEP-") {
			t.Errorf("%s: help %q cites no spec section", f.Name, f.Help)
		}
		if f.Kind == FieldParts {
			if f.Get(Policy{}) != f.Default {
				t.Errorf("%s: zero policy prints %q, default %q", f.Name, f.Get(Policy{}), f.Default)
			}
			continue
		}
		if len(f.Values) == 0 {
			t.Errorf("%s has no values", f.Name)
		}
		if !f.Always && f.Get(Policy{}) != f.Default {
			t.Errorf("%s: zero policy prints %q, default %q", f.Name, f.Get(Policy{}), f.Default)
		}
		for _, v := range f.Values {
			var p Policy
			if err := f.Set(&p, v); err != nil {
				t.Errorf("%s=%s: %v", f.Name, v, err)
			}
			if got := f.Get(p); got != v {
				t.Errorf("%s=%s reads back as %q", f.Name, v, got)
			}
		}
		p := Presets()[2].Policy
		err := f.Set(&p, "bogus")
		if err == nil || !strings.Contains(err.Error(), f.Name+"=bogus: want ") {
			t.Errorf("%s=bogus: %v", f.Name, err)
		}
		if p != Presets()[2].Policy {
			t.Errorf("%s: a refused value changed the policy", f.Name)
		}
	}
	// A profile that names only defaults is the empty profile.
	var p Policy
	f, _ := PolicyFieldByName("errors")
	if err := f.Set(&p, "not-authorized//remote-server-timeout"); err != nil || p.Errors != (ErrorProfile{}) {
		t.Errorf("errors of defaults: %+v %v", p.Errors, err)
	}
	if err := f.Set(&p, "policy-violation//remote-server-not-found"); err != nil || p.Errors != (ErrorProfile{TLSRequired: "policy-violation", Bounce: "remote-server-not-found"}) {
		t.Errorf("errors: %+v %v", p.Errors, err)
	}
	if err := f.Set(&p, "policy-violation"); err == nil {
		t.Error("errors with one part accepted")
	}
}
