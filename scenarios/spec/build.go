package spec

import (
	"github.com/fedsim/fedsim/scenarios"
)

// Config is the world the scenario describes, as scenarios.Build takes it:
// the file's servers, certificates, records, links, faults, attacks and
// traffic with the defaults the loader filled in. The XEP-0238 scenario
// files describe exactly the Config scenarios.PairConfig makes, so they
// reproduce RunPair's trace byte for byte (TestXEPScenariosMatchRunPair).
func (s *Scenario) Config() *scenarios.Config {
	cfg := &scenarios.Config{Seed: s.Seed, Deadline: s.Deadline, Fragment: s.Fragment, DNSDelay: s.DNSDelay,
		Broken: s.broken}
	for _, a := range s.Authorities {
		cfg.Authorities = append(cfg.Authorities, a.Authority)
	}
	for _, c := range s.Certificates {
		cfg.Certificates = append(cfg.Certificates, c.Certificate)
	}
	for _, sv := range s.Servers {
		cfg.Servers = append(cfg.Servers, sv.Server)
	}
	for _, r := range s.SRV {
		cfg.SRV = append(cfg.SRV, r.SRVRecord)
	}
	for _, r := range s.Addr {
		cfg.Addr = append(cfg.Addr, r.AddrRecord)
	}
	for _, k := range s.Links {
		cfg.Links = append(cfg.Links, k.Link)
	}
	for _, f := range s.Faults {
		cfg.Faults = append(cfg.Faults, f.Fault)
	}
	for _, a := range s.Attacks {
		cfg.Attacks = append(cfg.Attacks, a.AttackSpec)
	}
	for _, t := range s.Traffic {
		cfg.Traffic = append(cfg.Traffic, t.Send)
	}
	return cfg
}
