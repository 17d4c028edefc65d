package interop

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/fedsim/fedsim/dns/server"
	"github.com/fedsim/fedsim/network/ca"
	"github.com/fedsim/fedsim/network/pki"
	"github.com/fedsim/fedsim/scenarios"
	"github.com/fedsim/fedsim/scenarios/live"
	"github.com/fedsim/fedsim/sim"
)

// Real is one real server of a world: the program, where it runs, and the
// certificate and trust store the world gives it.
type Real struct {
	Server       Server
	Domain, Addr string
	// Cert is what it presents (nil: none); Trust what it trusts.
	Cert  *ca.Cert
	Trust *ca.Pool
}

// Launched is a world's real servers, running, with what they were given.
type Launched struct {
	// PKI holds the real X.509 counterparts of the world's certificates
	// (the live runtime's handshakes use it too); DNS is fedsim's DNS
	// server, answering from the world's zone and DNS faults.
	PKI     *pki.PKI
	DNS     *server.Server
	names   map[string]string
	started []Server
}

// Launch gives each real server of w its certificate and key, its trust
// store (CA bundle and CRLs) and fedsim's DNS server (its queries told
// apart by its address, for faults scoped to it), all as files under dir
// (a folder per server when there are several), and starts it. log, when
// set, gets a line per DNS query. Stop ends them.
func Launch(ctx context.Context, w *scenarios.World, dir, dnsAddr string, log io.Writer, reals []Real) (*Launched, error) {
	l := &Launched{PKI: pki.New(time.Since(sim.Epoch)), names: map[string]string{}}
	// Authorities first, parents before children: the PKI signs a
	// certificate with the real twin of the authority that issued it.
	for _, name := range authoritiesInOrder(w.Prepared) {
		if err := l.PKI.Add(w.Prepared.Authorities[name].Cert); err != nil {
			return nil, err
		}
	}
	observers := map[string]string{}
	for _, r := range reals {
		observers[r.Addr], l.names[r.Addr] = r.Domain, r.Domain
	}
	if dnsAddr == "" {
		dnsAddr = "127.0.0.1:0"
	}
	opts := server.Options{Addr: dnsAddr, Observers: observers}
	if log != nil {
		opts.Log = func(q server.Query) { fmt.Fprintln(log, q) }
	}
	var err error
	if l.DNS, err = server.Serve(w.Zone, &w.DNSFaults, opts); err != nil {
		return nil, err
	}
	for _, r := range reals {
		sdir := dir
		if len(reals) > 1 {
			sdir = filepath.Join(dir, r.Domain)
			if err := os.MkdirAll(sdir, 0o700); err != nil {
				l.Stop()
				return nil, err
			}
		}
		env := Env{Dir: sdir, Domain: r.Domain, Addr: r.Addr, DNS: l.DNS.Addr()}
		if r.Cert != nil {
			if env.CertFile, env.KeyFile, err = l.PKI.WritePEM(sdir, r.Cert); err != nil {
				l.Stop()
				return nil, err
			}
		}
		if env.CAFile, env.CRLFile, err = l.PKI.WriteTrust(sdir, ca.Verifier{Roots: r.Trust}); err != nil {
			l.Stop()
			return nil, err
		}
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = r.Server.Start(sctx, env)
		cancel()
		l.started = append(l.started, r.Server)
		if err != nil {
			l.Stop()
			return nil, err
		}
	}
	return l, nil
}

// Live is what the live runtime needs to federate with the launched
// servers: TLS from the same PKI, and their names for the transcript.
func (l *Launched) Live(opt live.Options) live.Options {
	opt.TLS, opt.Names = live.PKI(l.PKI), l.names
	return opt
}

// Stop stops every server started (by PID) and the DNS server; it returns
// the first error.
func (l *Launched) Stop() error {
	var first error
	for _, s := range l.started {
		if err := s.Stop(); err != nil && first == nil {
			first = err
		}
	}
	l.started = nil
	if l.DNS != nil {
		l.DNS.Close()
	}
	return first
}

// authoritiesInOrder lists the prepared authorities parents first, by name
// among equals (no dependence on map order).
func authoritiesInOrder(p *scenarios.Prepared) []string {
	var names, out []string
	for name := range p.Authorities {
		names = append(names, name)
	}
	sort.Strings(names)
	done := map[string]bool{}
	for len(out) < len(names) {
		progress := false
		for _, name := range names {
			if done[name] {
				continue
			}
			a := p.Authorities[name]
			ready := a.Cert.Issuer == a.Cert.Subject
			for _, n := range names {
				if done[n] && p.Authorities[n].Cert.Subject == a.Cert.Issuer {
					ready = true
				}
			}
			if ready {
				out, done[name], progress = append(out, name), true, true
			}
		}
		if !progress {
			break
		}
	}
	return out
}
