package spec

import "strings"

// Starter returns a commented scenario file named name that passes as it
// is: `fedsim new` writes it, and a test keeps it passing.
func Starter(name string) []byte {
	return []byte(strings.ReplaceAll(starter, "NAME", name))
}

const starter = `# A fedsim scenario: a small federation, what happens in it, and what must
# come of it.   Run it:  fedsim test NAME.yaml
# The whole format, by example: scenarios/README.md
name: NAME
seed: 1                 # same seed, same run, byte for byte

# Servers. A preset (type1 … type6, the service types of XEP-0238 §2) sets
# the policy, the kind of certificate and whether the server trusts the
# common CA. Policy fields override it, named as nodes.Policy prints them:
# version, starttls, initiate_tls, dialback, sasl, require_valid_cert, accept.
servers:
  - domain: capulet.lit
    preset: type5       # TLS required, CA-issued certificate
    users: [juliet]
  - domain: montague.lit
    preset: type3       # TLS when required, CA-issued certificate
    users: [romeo]
    # policy: {initiate_tls: if-offered, accept: [E, T]}

# Who sends what to whom, and when (virtual time since the start).
traffic:
  - {at: 0s, ping: romeo@montague.lit, from: juliet@capulet.lit/balcony, id: ping-1}

# Faults, each at a virtual time; uncomment one and watch the outcome change.
# faults:
#   - {kind: partition, target: capulet.lit, peer: montague.lit, at: 50ms, until: 5s}
#   - {kind: cert-expired, target: montague.lit}

expect:
  outcomes:
    capulet.lit -> montague.lit: T     # TLS, then SASL EXTERNAL
    montague.lit -> capulet.lit: T     # the answer travels on a stream of its own
  sent:
    - {from: capulet.lit, to: montague.lit, element: auth, attrs: {mechanism: EXTERNAL}}
  delivered:
    - {id: ping-1, to: romeo@montague.lit}
    - {id: ping-1, type: result}        # the ping's answer came back
  # The invariants must hold and the run must be deterministic unless said
  # otherwise. To pin every byte, add a golden transcript and create it with
  # fedsim test -update NAME.yaml:
  # transcript: golden/NAME.txt
`
