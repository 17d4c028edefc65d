// Package spec reads scenario files — a federation described in YAML and
// what must come of it — runs them and says, with a diff, what differs.
// It is how fedsim's users regression-test negotiation logic: `fedsim test`
// runs a folder of scenarios, and the same files run in `go test`:
//
//	func TestFederation(t *testing.T) {
//		spec.RunDir(t, "testdata/scenarios", spec.Update(*update))
//	}
//
// or, step by step:
//
//	s, err := spec.Load("scenarios/xep0238/type2-type4.yaml")
//	// err is spec.Errors: every problem, each as file:line:col: message
//	res, err := s.Run()
//	for _, f := range res.Failures { fmt.Println(f) } // diffs, -want +got, in go-cmp's format
//
// A file names servers (a domain, an XEP-0238 preset and/or policy fields,
// a certificate, a trust store, users), optionally certification
// authorities and certificates, DNS records, link latencies, faults at
// virtual times (every scenarios.FaultKind), attackers (every
// scenarios.AttackKind, between any two servers), the stanzas users send,
// and expectations: negotiation outcomes, elements that must or must not be
// sent between two servers, trace events, stanzas delivered or bounced with
// a condition, the invariant checker's report, attack verdicts, the run's
// virtual duration and a golden transcript compared byte for byte.
// scenarios/README.md teaches the format by example; Starter is a file to
// begin from.
//
// Why the loader walks the YAML syntax tree (github.com/goccy/go-yaml's
// ast) instead of unmarshalling into structs: a scenario is written by hand
// and checked by a machine, so every mistake in a file is reported in one
// go, each at its line and column, in the format's own words ("a crash
// fault does not use bytes"), with the cross-references (servers,
// authorities, certificates, attacks) checked as well. Nothing a user
// writes can make the loader panic.
//
// A loaded Scenario is a scenarios.Config in YAML form (its types embed the
// Config's, with the positions they were written at), and Scenario.Config
// hands it to scenarios.Build — the one builder every world in fedsim goes
// through. The XEP-0238 pair world is a Config too (scenarios.PairConfig),
// so the shipped XEP-0238 scenarios reproduce RunPair's traces byte for
// byte (a test checks it), and a scenario is a faithful description of the
// world it names. Every Run builds a fresh world; the same seed gives the
// same run. The same Config runs on real sockets too (package
// scenarios/live).
package spec
