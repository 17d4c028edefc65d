// Package teach turns a run's trace into teaching material: numbered,
// narrated steps (Explain), counterfactuals ("what would have changed the
// outcome", found by re-running the pair), and sequence diagrams in Mermaid
// and SVG.
//
// Everything here is derived from sim.Trace, the canonical record of a run
// (house style, rule 4): the sentence that says why a step happened is the
// Detail of the decision the state machine noted (which policy field, which
// certificate check, which DNS answer), or, where a step needs no decision
// (a stream header, a reply), a sentence chosen by the element's kind. No
// text is written per pair, so any policy, certificate or fault gets a
// narration as good as the XEP-0238 presets do.
//
// Detail is only ever shown, never read for facts: what a step is (a
// failure, an outcome's level, a bounce's condition, a connection's
// failure reason, the stanza concerned) comes from the record's typed
// fields (sim.Record.Outcome, Condition, Reason, Failure, Stanza), its
// event name, and the elements themselves, parsed with nodes/xmlstream.
//
// Run builds a pair's world the way scenarios.RunPair does and then lets
// each side's policy and certificate kind be replaced per role, not per
// preset name, so that a same-type pair (type3 → example.lit) can give its
// two servers different policies.
package teach
