package network

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/sim"
)

// app records what a host's network delivers, with virtual times.
type app struct {
	w      *sim.World
	events []string
	data   map[ConnID]*strings.Builder
	onAcc  func(c ConnID)
	onDial func(c ConnID)
}

func newApp(w *sim.World) *app { return &app{w: w, data: map[ConnID]*strings.Builder{}} }

func (a *app) log(f string, args ...any) {
	a.events = append(a.events, fmt.Sprintf("%v ", a.w.Now())+fmt.Sprintf(f, args...))
}
func (a *app) Dialed(c ConnID, tag int64, err error) {
	a.log("dialed c%d tag %d err=%v", c, tag, err)
	if err == nil && a.onDial != nil {
		a.onDial(c)
	}
}
func (a *app) Accepted(c ConnID, port int, remote string) {
	a.log("accepted c%d port %d from %s", c, port, remote)
	if a.onAcc != nil {
		a.onAcc(c)
	}
}
func (a *app) Received(c ConnID, end End, data []byte) {
	if a.data[c] == nil {
		a.data[c] = &strings.Builder{}
	}
	a.data[c].Write(data)
}
func (a *app) TLSDone(c ConnID, end End, r TLSResult) {
	a.log("tls c%d %s ok=%t peerErr=%v err=%v", c, end, r.OK, r.PeerErr != nil, r.Err != nil)
}
func (a *app) Closed(c ConnID, end End, err error) { a.log("closed c%d %s err=%v", c, end, err) }

func setup(t *testing.T) (*sim.World, *Net, *Host, *Host, *app, *app) {
	w := sim.New(1)
	n := New(w)
	ca1, cb := newApp(w), newApp(w)
	a, err := n.AddHost("a.lit", "10.0.0.1", ca1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.AddHost("b.lit", "10.0.0.2", cb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddHost("c.lit", "10.0.0.1", nil); err == nil {
		t.Fatal("duplicate address accepted")
	}
	return w, n, a, b, ca1, cb
}

func TestDialRefusedAndNoRoute(t *testing.T) {
	w, n, a, _, aa, _ := setup(t)
	n.Dial(a, "10.0.0.2", 5269, 7) // b listens on nothing
	n.Dial(a, "10.9.9.9", 5269, 8) // nobody there
	w.Run(sim.Forever)
	all := strings.Join(aa.events, "\n")
	// Both failures cost one round trip.
	for _, want := range []string{"+0.020s dialed c1 tag 7 err=network: connection refused", "+0.020s dialed c2 tag 8 err=network: no route to host"} {
		if !strings.Contains(all, want) {
			t.Fatalf("events %q lack %q", aa.events, want)
		}
	}
}

func TestOrderedDeliveryLatencyAndFragmentation(t *testing.T) {
	for name, seg := range map[string]Segmenter{"whole": nil, "byte": OneByte, "random": RandomSplit} {
		t.Run(name, func(t *testing.T) {
			w, n, a, b, aa, bb := setup(t)
			n.Segmenter = seg
			n.SetLatency("a.lit", "b.lit", 25*time.Millisecond)
			b.Listen(5269)
			msg := []string{"<stream:stream>", "<a/>", "<b>text</b>", "</stream:stream>"}
			aa.onDial = func(c ConnID) {
				for _, m := range msg {
					n.Write(c, Client, []byte(m))
				}
				n.Close(c, Client)
			}
			n.Dial(a, "10.0.0.2", 5269, 1)
			w.Run(sim.Forever)
			if got := bb.data[1].String(); got != strings.Join(msg, "") {
				t.Fatalf("received %q", got)
			}
			// SYN 25ms, SYN-ACK 25ms, data 25ms: last byte at 75ms.
			if w.Now() != sim.Time(75*time.Millisecond) {
				t.Fatalf("quiescent at %v, want +0.075s", w.Now())
			}
			if !strings.Contains(strings.Join(bb.events, "\n"), "closed c1 server err=<nil>") {
				t.Fatalf("FIN not delivered: %q", bb.events)
			}
		})
	}
}

func TestTLSHandshake(t *testing.T) {
	t0 := sim.Epoch
	root := ca.NewRoot("Root", t0.Add(-time.Hour), t0.Add(time.Hour), []byte("r"))
	good := root.Issue(ca.Template{Subject: "b.lit", DNSNames: []string{"b.lit"}, NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour)})
	self := ca.SelfSign(ca.Template{Subject: "a.lit", DNSNames: []string{"a.lit"}, NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour)}, []byte("s"))
	trust := ca.Verifier{Roots: ca.NewPool(root.Cert)}
	cases := []struct {
		name           string
		serverRequires bool
		wantOK         bool
	}{
		{"server accepts a self-signed client for encryption", false, true},
		{"server requiring a valid client certificate aborts", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, n, a, b, aa, bb := setup(t)
			b.Listen(5269)
			bb.onAcc = func(id ConnID) {
				n.StartTLS(id, Server, TLSConfig{Cert: good, Verifier: trust, RequireValid: c.serverRequires})
			}
			aa.onDial = func(id ConnID) {
				n.StartTLS(id, Client, TLSConfig{Cert: self, Verifier: trust, ServerName: "b.lit", RequireValid: true})
			}
			n.Dial(a, "10.0.0.2", 5269, 1)
			w.Run(sim.Forever)
			all := strings.Join(append(aa.events, bb.events...), "\n")
			if c.wantOK {
				if !strings.Contains(all, "tls c1 client ok=true peerErr=false") || !strings.Contains(all, "tls c1 server ok=true peerErr=true") {
					t.Fatalf("want success with a flagged client cert:\n%s", all)
				}
				// Two round trips after the TCP handshake.
				if w.Now() != sim.Time(60*time.Millisecond) {
					t.Fatalf("handshake finished at %v, want +0.060s", w.Now())
				}
			} else if !strings.Contains(all, "tls c1 server ok=false") || !strings.Contains(all, "tls c1 client ok=false") {
				t.Fatalf("want both ends to see the failure:\n%s", all)
			}
		})
	}
	// A client that requires a valid server certificate aborts on a name mismatch.
	w, n, a, b, aa, bb := setup(t)
	b.Listen(5269)
	bb.onAcc = func(id ConnID) { n.StartTLS(id, Server, TLSConfig{Cert: good, Verifier: trust}) }
	aa.onDial = func(id ConnID) {
		n.StartTLS(id, Client, TLSConfig{Verifier: trust, ServerName: "other.lit", RequireValid: true})
	}
	n.Dial(a, "10.0.0.2", 5269, 1)
	w.Run(sim.Forever)
	if !strings.Contains(strings.Join(aa.events, "\n"), "tls c1 client ok=false") {
		t.Fatalf("client accepted a certificate for the wrong name: %q", aa.events)
	}
	rec := w.Trace.Records
	found := false
	for _, r := range rec {
		if r.Event == "tls-fail" && strings.Contains(r.Detail, "does not match") {
			found = true
		}
	}
	if !found {
		t.Fatal("the trace does not say why the handshake failed")
	}
}

func TestReset(t *testing.T) {
	w, n, a, b, aa, bb := setup(t)
	b.Listen(5269)
	aa.onDial = func(id ConnID) {
		n.Write(id, Client, []byte("hello"))
		n.Reset(id, Client) // data not yet delivered is dropped
	}
	n.Dial(a, "10.0.0.2", 5269, 1)
	w.Run(sim.Forever)
	if bb.data[1] != nil {
		t.Fatalf("data delivered after reset: %q", bb.data[1].String())
	}
	if !strings.Contains(strings.Join(bb.events, "\n"), "closed c1 server err=network: connection reset by peer") {
		t.Fatalf("reset not reported: %q", bb.events)
	}
	_ = errors.Is
}

// ctxApp is an app that takes the context of the receiving end.
type ctxApp struct {
	*app
	got []string
}

func (a *ctxApp) ReceivedContext(c ConnID, end End, ctx any, data []byte) {
	a.got = append(a.got, fmt.Sprintf("%v %s %q", ctx, end, data))
}

// TestContextReceiver: a ContextReceiver gets the value attached to the
// receiving end (nil before SetContext, per end, per connection) and never
// Received; other apps keep getting Received.
func TestContextReceiver(t *testing.T) {
	w := sim.New(1)
	n := New(w)
	ca1, cb := &ctxApp{app: newApp(w)}, &ctxApp{app: newApp(w)}
	a, _ := n.AddHost("a.lit", "10.0.0.1", ca1)
	b, _ := n.AddHost("b.lit", "10.0.0.2", cb)
	b.Listen(5269)
	cb.onAcc = func(c ConnID) {
		n.SetContext(c, Server, "server-end")
		n.Write(c, Server, []byte("hello"))
	}
	ca1.onDial = func(c ConnID) {
		n.Write(c, Client, []byte("first")) // before its context is set
		n.SetContext(c, Client, 42)
	}
	n.Dial(a, "10.0.0.2", 5269, 1)
	n.SetContext(99, Client, "no such connection") // ignored
	w.Run(sim.Forever)
	if want := []string{`server-end server "first"`}; fmt.Sprint(cb.got) != fmt.Sprint(want) {
		t.Errorf("server end got %q, want %q", cb.got, want)
	}
	if want := []string{`42 client "hello"`}; fmt.Sprint(ca1.got) != fmt.Sprint(want) {
		t.Errorf("client end got %q, want %q", ca1.got, want)
	}
	if len(ca1.data)+len(cb.data) != 0 {
		t.Error("a ContextReceiver was also given Received")
	}
}

// TestALPN: RFC 7301 §3.2 — a server with an ALPN list refuses a client
// whose offer shares none of it; a client or server without a list goes on.
func TestALPN(t *testing.T) {
	t0 := sim.Epoch
	root := ca.NewRoot("Root", t0.Add(-time.Hour), t0.Add(time.Hour), []byte("r"))
	good := root.Issue(ca.Template{Subject: "b.lit", DNSNames: []string{"b.lit"}, NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour)})
	trust := ca.Verifier{Roots: ca.NewPool(root.Cert)}
	for _, c := range []struct {
		name             string
		offered, serving []string
		wantOK           bool
	}{
		{"agreed", []string{"xmpp-server"}, []string{"xmpp-server"}, true},
		{"client offers none", nil, []string{"xmpp-server"}, true},
		{"server takes any", []string{"xmpp-client"}, nil, true},
		{"no common protocol", []string{"xmpp-client"}, []string{"xmpp-server"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, n, a, b, aa, bb := setup(t)
			b.Listen(5270)
			bb.onAcc = func(id ConnID) {
				n.StartTLS(id, Server, TLSConfig{Cert: good, Verifier: trust, ALPN: c.serving})
			}
			aa.onDial = func(id ConnID) {
				n.StartTLS(id, Client, TLSConfig{Verifier: trust, ServerName: "b.lit", ALPN: c.offered})
			}
			n.Dial(a, "10.0.0.2", 5270, 1)
			w.Run(sim.Forever)
			all := strings.Join(append(aa.events, bb.events...), "\n")
			if ok := strings.Contains(all, "tls c1 client ok=true"); ok != c.wantOK {
				t.Fatalf("client handshake ok=%v, want %v:\n%s", ok, c.wantOK, all)
			}
		})
	}
	if p, ok := alpnAgree([]string{"a", "xmpp-server"}, []string{"xmpp-server", "a"}); !ok || p != "xmpp-server" {
		t.Fatalf("alpnAgree picks %q %v, want the server's first choice xmpp-server", p, ok)
	}
}
