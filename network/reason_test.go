package network

import (
	"testing"
	"time"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/sim"
)

// TestTraceReasons: the failure records carry their reason as data
// (sim.Record.Reason, Failure) beside the words of Detail.
func TestTraceReasons(t *testing.T) {
	type key struct{ event, node string }
	reasons := func(w *sim.World) map[key]sim.Record {
		m := map[key]sim.Record{}
		for _, r := range w.Trace.Records {
			m[key{r.Event, r.Node}] = r
		}
		return m
	}
	w, n, a, _, _, _ := setup(t)
	n.Dial(a, "10.0.0.2", 5269, 7) // b listens on nothing
	n.Dial(a, "10.9.9.9", 5269, 8) // nobody there
	w.Run(sim.Forever)
	failed := map[int]string{}
	for _, r := range w.Trace.Records {
		if r.Event == "connect-failed" {
			failed[r.Conn] = r.Reason
			if !r.Failure {
				t.Errorf("connect-failed c%d is not marked as a failure", r.Conn)
			}
		}
	}
	if len(failed) != 2 || failed[1] != "refused" || failed[2] != "no-route" {
		t.Errorf("connect-failed reasons by connection %v, want c1 refused, c2 no-route", failed)
	}
	if r := reasons(w)[key{"refuse", "b.lit"}]; r.Reason != "refused" || !r.Failure {
		t.Errorf("refuse record %+v, want reason refused and a failure", r)
	}

	t0 := sim.Epoch
	root := ca.NewRoot("Root", t0.Add(-time.Hour), t0.Add(time.Hour), []byte("r"))
	good := root.Issue(ca.Template{Subject: "b.lit", DNSNames: []string{"b.lit"}, NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour)})
	trust := ca.Verifier{Roots: ca.NewPool(root.Cert)}
	w, n, a, b, aa, bb := setup(t)
	b.Listen(5269)
	bb.onAcc = func(id ConnID) { n.StartTLS(id, Server, TLSConfig{Cert: good, Verifier: trust}) }
	aa.onDial = func(id ConnID) {
		n.StartTLS(id, Client, TLSConfig{Verifier: trust, ServerName: "other.lit", RequireValid: true})
	}
	n.Dial(a, "10.0.0.2", 5269, 1)
	w.Run(sim.Forever)
	got := reasons(w)
	if r := got[key{"tls-fail", "a.lit"}]; r.Reason != "cert-name-mismatch" || !r.Failure {
		t.Errorf("the rejecting client's tls-fail %+v, want reason cert-name-mismatch and a failure", r)
	}
	if r := got[key{"tls-fail", "b.lit"}]; r.Reason != "tls-alert" || !r.Failure {
		t.Errorf("the server's tls-fail %+v, want reason tls-alert and a failure", r)
	}
}

func TestReasonCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""}, {ErrRefused, "refused"}, {ErrNoRoute, "no-route"}, {ErrReset, "reset"}, {ErrTLSAlert, "tls-alert"},
	} {
		if got := reasonOf(c.err); got != c.want {
			t.Errorf("reasonOf(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	for _, r := range certReasons {
		if got := certReason(&ca.VerifyError{Err: r.err}); got != r.code {
			t.Errorf("certReason(%v) = %q, want %q", r.err, got, r.code)
		}
	}
	if got := certReason(nil); got != "" {
		t.Errorf("certReason(nil) = %q", got)
	}
}
