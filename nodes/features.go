package nodes

import (
	"strings"

	"github.com/fedsim/fedsim/nodes/xmlstream"
)

// A feature is one stream feature (RFC 6120 §4.3) as a value, in the shape
// mellium.im/xmpp gives its StreamFeature: what the stream must already
// have for it to be offered (needs), what rules it out (forbids), how the
// receiving entity lists it, which elements it handles there, and how the
// initiating entity takes it up. The negotiation is then one loop over a
// server's features (Server.feats) on each side, not a hand-coded order of
// steps: a new feature — Direct TLS's security, bidirectional streams,
// stream management — is one more value, not a new path through the state
// machine.
//
// The order of Server.feats is the order of RFC 6120 §4.3.2 and §9: TLS
// first, then authentication, then what is negotiated on an authenticated
// stream.
type feature struct {
	// name identifies the feature in docs and tests.
	name string
	// needs and forbids are session bits (session): the feature is listed
	// and taken up only on a stream that has every bit of needs and none
	// of forbids.
	needs, forbids session
	// space and local name the feature's child of <stream:features/>.
	space, local string

	// Receiving side.
	//
	// offer decides whether st gets the feature, and in which form: 0 is
	// not offered, n >= 1 lists forms[n-1]. It may note why (the notes are
	// part of the trace, in the order of the features).
	offer func(s *Server, st *stream) int
	// forms are the feature's serialisations, built once from trees so
	// that AppendXML decides their bytes (TestFeatureForms).
	forms []string
	// handles reports whether el, received on a receiving stream, belongs
	// to this feature; receive then handles it.
	handles func(st *stream, el *xmlstream.Element) bool
	receive func(s *Server, st *stream, el *xmlstream.Element)

	// Initiating side.
	//
	// take decides what the Originating Server does about the feature,
	// given its advertisement ad (nil: not listed, or a pre-1.0 peer that
	// lists nothing — features is nil then too).
	take func(s *Server, st *stream, ad, features *xmlstream.Element) step
	// answers reports whether el, received on an originating stream, is
	// the peer's answer to this feature's negotiation; answer handles it.
	answers func(st *stream, el *xmlstream.Element) bool
	answer  func(s *Server, st *stream, el *xmlstream.Element)
}

// session holds what a stream has negotiated, as the bits feature.needs
// and feature.forbids are written in.
type session uint8

const (
	// secure: TLS is up on the stream.
	secure session = 1 << iota
	// authenticated: the stream itself is authenticated (SASL succeeded and
	// the stream restarted). Dialback authenticates a domain pair on a
	// stream, not the stream, and sets no bit.
	authenticated
)

func (st *stream) session() session {
	var b session
	if st.tls {
		b |= secure
	}
	if st.saslDone {
		b |= authenticated
	}
	return b
}

func (f *feature) applies(have session) bool {
	return have&f.needs == f.needs && have&f.forbids == 0
}

// step is what a feature's take decided.
type step uint8

const (
	// pass: not taken up; the next feature decides.
	pass step = iota
	// settled: the feature began a negotiation (and waits for its answer),
	// or gave up on the stream; no later feature is looked at.
	settled
)

// featuresFor lists the features a server with policy p knows, in
// negotiation order. The three of XEP-0238 are always there: their offer
// and take read the policy.
func featuresFor(p Policy) []*feature {
	return []*feature{&startTLSFeature, &bidiFeature, &saslExternalFeature, &smFeature, &dialbackFeature}
}

// features serialises <stream:features/> for the receiving stream st
// (RFC 6120 §4.3.2): every feature that applies and that the policy offers,
// in order.
func (s *Server) features(st *stream) []byte {
	st.offeredSASL = false
	have := st.session()
	var listed [8]string // more than any server has
	n := 0
	for _, f := range s.feats {
		if !f.applies(have) {
			continue
		}
		if form := f.offer(s, st); form > 0 {
			listed[n] = f.forms[form-1]
			n++
		}
	}
	return s.arena().appendWith(func(b []byte) []byte {
		if n == 0 {
			return append(b, "<stream:features/>"...)
		}
		b = append(b, "<stream:features>"...)
		for _, f := range listed[:n] {
			b = append(b, f...)
		}
		return append(b, "</stream:features>"...)
	})
}

// receivingFeature finds the feature that handles el on a receiving
// stream, or nil.
func (s *Server) receivingFeature(st *stream, el *xmlstream.Element) *feature {
	for _, f := range s.feats {
		if f.handles(st, el) {
			return f
		}
	}
	return nil
}

// answeringFeature finds the feature whose negotiation el answers on an
// originating stream, or nil.
func (s *Server) answeringFeature(st *stream, el *xmlstream.Element) *feature {
	for _, f := range s.feats {
		if f.answers(st, el) {
			return f
		}
	}
	return nil
}

// chooseAuth is the Originating Server's decision after the response
// header (a pre-1.0 peer: features nil) or after each <stream:features/>:
// the first feature that applies and settles the matter decides. A stream
// authenticated by SASL is established: RFC 6120 §6.4.6, the restarted
// stream's features carry nothing mandatory.
func (s *Server) chooseAuth(st *stream, features *xmlstream.Element) {
	have := st.session()
	if have&authenticated != 0 {
		// What is negotiated on the authenticated stream (stream
		// management) only notes its offer here; none settles.
		for _, f := range s.feats {
			if f.applies(have) && features != nil {
				f.take(s, st, features.ChildNS(f.space, f.local), features)
			}
		}
		s.established(st, LevelTrusted, "TLS + SASL EXTERNAL")
		return
	}
	for _, f := range s.feats {
		if !f.applies(have) {
			continue
		}
		var ad *xmlstream.Element
		if features != nil {
			ad = features.ChildNS(f.space, f.local)
		}
		if f.take(s, st, ad, features) == settled {
			return
		}
	}
	// Unreachable with the dialback feature last, which always settles;
	// a stream nothing settles must not hang.
	s.giveUp(st, "no stream feature could authenticate "+s.cfg.Domain+" to "+st.peer)
}

// featureForm serialises a feature element built by build.
func featureForm(build func() *xmlstream.Element) string { return build().String() }

// isElement reports whether el is <local xmlns='space'/>.
func isElement(el *xmlstream.Element, space, local string) bool {
	return el.Space == space && el.Local() == local
}

// hasMechanism reports whether <mechanisms/> lists mech.
func hasMechanism(mechs *xmlstream.Element, mech string) bool {
	if mechs == nil {
		return false
	}
	for _, m := range mechs.Children() {
		if m.Local() == "mechanism" && strings.TrimSpace(m.Text()) == mech {
			return true
		}
	}
	return false
}
