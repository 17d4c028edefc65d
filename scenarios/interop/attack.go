package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fedsim/fedsim/dns"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/nodes/xmlstream"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/live"
)

// PoisonResult is what the DNS-poisoning impostor achieved against a real
// server.
type PoisonResult struct {
	Server, Victim string
	// Attack is the attack's kind: dns-poison or dialback-shortcut.
	Attack string
	// Impersonated: the real server accepted a stanza the impostor forged
	// in the victim's name (it answered the forged ping, and the answer,
	// routed by the same poisoned DNS, reached the impostor).
	Impersonated bool
	// Level is how the impostor's own stream to the server was
	// authenticated, as the impostor recorded it (U when refused).
	Level string
	// Settings are the server's s2s settings; Dir holds transcript.txt
	// and the server's log.
	Settings []string
	Dir, Log string
}

// The attack's cast: the genuine victim domain, on a loopback address of
// its own, and the impostor claiming it from another.
const victimDomain = "victim.lit"

var victimAddr, impostorAddr = Loopback(1), Loopback(66)

// PoisonAttack runs XEP-0238's DNS-poisoning threat (§7) against a real
// server: the resolver the server uses is poisoned so that victim.lit
// points at an impostor, which opens a stream claiming victim.lit and sends
// a forged ping in a victim user's name. Server Dialback (XEP-0220 §2.1.2)
// asks victim.lit's Authoritative Server — found through the same poisoned
// DNS, so the impostor itself — and is fooled; a server that requires a
// certificate the victim's CA signed (Prosody's s2s_secure_auth) is not.
// The genuine victim, a CA-issued server, runs too: nothing but the
// server's DNS answers is attacked.
func PoisonAttack(ctx context.Context, srv Server, opt Options) (*PoisonResult, error) {
	return realAttack(ctx, srv, opt, scenarios.AttackDNSPoison)
}

// ShortcutAttack runs the dialback shortcut (fedsim attack
// dialback-shortcut, docs/security.md) against a real server: an impostor
// claiming victim.lit connects to it — nothing is poisoned — and sends
// <db:result type='valid'/> instead of a dialback key, then a forged ping
// in a victim user's name. A server that verifies every key with the
// Authoritative Server (XEP-0220 §2.1.1), or ignores a typed result on an
// incoming stream, never accepts the ping; one with the defect
// dialback_trust_result would.
func ShortcutAttack(ctx context.Context, srv Server, opt Options) (*PoisonResult, error) {
	return realAttack(ctx, srv, opt, scenarios.AttackDialbackShortcut)
}

// realAttack runs an impostor's attack (dns-poison or dialback-shortcut)
// against a real server started by fedsim.
func realAttack(ctx context.Context, srv Server, opt Options, kind scenarios.AttackKind) (*PoisonResult, error) {
	if err := srv.Available(); err != nil {
		return nil, err
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "fedsim-attack-")
		if err != nil {
			return nil, err
		}
		opt.Dir = d
	}
	domain, addr := srv.Name()+".lit", Loopback(100)
	p5, _ := nodes.PresetByName("type5")
	cfg := &scenarios.Config{Seed: opt.Seed, Authorities: []scenarios.Authority{{Name: scenarios.ImplicitCA}},
		Certificates: []scenarios.Certificate{{Name: domain, Issuer: scenarios.ImplicitCA, Subject: domain, DNS: []string{domain}}},
		Servers: []scenarios.Server{{Domain: victimDomain, Address: victimAddr, Preset: "type5", Policy: p5.Policy,
			CertKind: p5.Cert, Trust: []string{scenarios.ImplicitCA}, Users: []string{"alice"}, DNS: "srv",
			NegotiationTimeout: NegotiationTimeout}},
		Addr: []scenarios.AddrRecord{{Host: domain, Addr: addr}}}
	w, err := scenarios.Build(cfg)
	if err != nil {
		return nil, err
	}
	add := scenarios.AddImpostor
	if kind == scenarios.AttackDialbackShortcut {
		add = scenarios.AddShortcutImpostor
	}
	imp, err := add(w, victimDomain, scenarios.ImpostorHost(victimDomain), impostorAddr, []string{"alice"})
	if err != nil {
		return nil, err
	}
	if kind == scenarios.AttackDNSPoison {
		w.DNSFaults = append(w.DNSFaults, dns.Fault{Kind: dns.Poison, Domain: victimDomain, Resolver: domain,
			Targets: []dns.Target{{Host: "poisoned", Addr: impostorAddr, Port: dns.DefaultPort, Via: "poisoned record"}}})
	}
	forged := xmlstream.NewElement("iq", "from", "alice@"+victimDomain+"/forged", "id", "forged-ping", "to", domain, "type", "get")
	forged.AddChild(xmlstream.NewElement("ping", "xmlns", "urn:xmpp:ping"))
	imp.SendAt(0, forged)

	// Only the real server's resolver is poisoned: Launch tells its
	// queries apart by its address.
	launched, err := Launch(ctx, w, opt.Dir, opt.DNSAddr, nil, []Real{{Server: srv, Domain: domain, Addr: addr,
		Cert: w.Prepared.Certificates[domain], Trust: ca.NewPool(w.Prepared.DefaultCA.Cert)}})
	if err != nil {
		return nil, err
	}
	_, err = live.RunWorld(w, launched.Live(live.Options{Deadline: 60 * time.Second}))
	stopErr := launched.Stop()
	if err != nil {
		return nil, err
	}
	if stopErr != nil {
		return nil, stopErr
	}
	if err := WriteTranscript(filepath.Join(opt.Dir, "transcript.txt"), w); err != nil {
		return nil, err
	}
	res := &PoisonResult{Server: srv.Name(), Victim: victimDomain, Attack: string(kind), Level: "U", Settings: srv.Settings(), Dir: opt.Dir, Log: srv.LogPath()}
	for _, o := range w.Outcomes {
		if o.Host == imp.Host.Name && o.To == domain {
			res.Level = o.Level.Letter()
			break
		}
	}
	for _, d := range w.Deliveries {
		if d.Host == imp.Host.Name && d.Stanza.Attr("id") == "forged-ping" && d.Stanza.Attr("type") == "result" {
			res.Impersonated = true
		}
	}
	return res, nil
}

// String says what happened in a sentence.
func (r *PoisonResult) String() string {
	if r.Impersonated && r.Attack == string(scenarios.AttackDialbackShortcut) {
		return fmt.Sprintf("%s accepted a stanza forged in %s's name: it took the impostor's own <db:result type='valid'/> at its word (stream authenticated at %s)", r.Server, r.Victim, r.Level)
	}
	if r.Impersonated {
		return fmt.Sprintf("%s accepted a stanza forged in %s's name: the impostor's stream was authenticated at %s (dialback asked the impostor itself, found through poisoned DNS)", r.Server, r.Victim, r.Level)
	}
	return fmt.Sprintf("%s refused the impostor claiming %s (its stream: %s): the forged stanza was not accepted", r.Server, r.Victim, r.Level)
}
