package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Object identifiers of the subjectAltName extension and of the otherName
// forms XMPP uses.
var (
	// OIDSubjectAltName is id-ce-subjectAltName (RFC 5280 §4.2.1.6).
	OIDSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	// OIDDNSSRV is id-on-dnsSRV, the SRV-ID (RFC 4985 §2): an IA5String
	// "_Service.Name".
	OIDDNSSRV = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 7}
	// OIDXMPPAddr is id-on-xmppAddr (RFC 6120 §13.7.1.4): a UTF8String
	// holding a JID, here a server's domain.
	OIDXMPPAddr = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 5}
)

// GeneralName tags (RFC 5280 §4.2.1.6; the module uses implicit tagging).
const (
	tagOtherName = 0
	tagDNSName   = 2
)

// sanExtension encodes a subjectAltName extension with dNSName entries
// and otherName entries for SRV-IDs and XmppAddrs. crypto/x509 writes
// only dNSName, rfc822Name, iPAddress and URI entries, so the extension is
// built here and handed over as an ExtraExtension (which replaces the one
// crypto/x509 would build). RFC 5280 §4.2.1.6: it is critical when the
// subject is empty.
func sanExtension(dns, srv, xmpp []string, critical bool) (pkix.Extension, error) {
	var names []asn1.RawValue
	for _, n := range dns {
		if !isIA5(n) {
			return pkix.Extension{}, fmt.Errorf("dNSName %q is not an IA5String", n)
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagDNSName, Bytes: []byte(n)})
	}
	for _, n := range srv {
		if !isIA5(n) {
			return pkix.Extension{}, fmt.Errorf("SRV-ID %q is not an IA5String", n)
		}
		on, err := otherName(OIDDNSSRV, asn1.TagIA5String, n)
		if err != nil {
			return pkix.Extension{}, err
		}
		names = append(names, on)
	}
	for _, n := range xmpp {
		if !utf8.ValidString(n) {
			return pkix.Extension{}, fmt.Errorf("xmppAddr %q is not UTF-8", n)
		}
		on, err := otherName(OIDXMPPAddr, asn1.TagUTF8String, n)
		if err != nil {
			return pkix.Extension{}, err
		}
		names = append(names, on)
	}
	der, err := asn1.Marshal(names) // GeneralNames ::= SEQUENCE OF GeneralName
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: OIDSubjectAltName, Critical: critical, Value: der}, nil
}

// otherName encodes
//
//	otherName [0] IMPLICIT SEQUENCE {
//	    type-id  OBJECT IDENTIFIER,
//	    value    [0] EXPLICIT ANY DEFINED BY type-id }
//
// with value a string of the given universal tag.
func otherName(oid asn1.ObjectIdentifier, tag int, s string) (asn1.RawValue, error) {
	id, err := asn1.Marshal(oid)
	if err != nil {
		return asn1.RawValue{}, err
	}
	str, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: []byte(s)})
	if err != nil {
		return asn1.RawValue{}, err
	}
	val, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: str})
	if err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagOtherName, IsCompound: true, Bytes: append(id, val...)}, nil
}

func isIA5(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// names are the presented identifiers of a certificate (RFC 6125 §1.8).
type names struct {
	dns, srv, xmpp []string
}

// namesOf reads the identifiers of x: the dNSName entries crypto/x509
// parsed, and the SRV-ID and XmppAddr otherName entries it skips. An
// otherName whose value has the wrong string type is not an identifier
// (RFC 4985 §2 says IA5String, RFC 6120 §13.7.1.4 UTF8String) and is
// ignored, as are entries that do not parse.
func namesOf(x *x509.Certificate) names {
	n := names{dns: x.DNSNames}
	for _, ext := range x.Extensions {
		if ext.Id.Equal(OIDSubjectAltName) {
			n.srv, n.xmpp, _, _ = parseSAN(ext.Value)
		}
	}
	return n
}

// withSANHandled returns x, or a copy of x that no longer lists a critical
// subjectAltName among its unhandled critical extensions when every entry
// of it is one this package or crypto/x509 processes. RFC 5280 §4.2.1.6
// makes the extension critical when the subject is empty, and
// crypto/x509 counts it as unhandled when it holds none of the name forms
// it parses (golang/go#55897) — an XmppAddr-only certificate, say. Its
// documentation lets an application that handles an extension remove it
// from the list before Verify; this package handles otherName SRV-IDs and
// XmppAddrs.
func withSANHandled(x *x509.Certificate) *x509.Certificate {
	i := slices.IndexFunc(x.UnhandledCriticalExtensions, func(id asn1.ObjectIdentifier) bool { return id.Equal(OIDSubjectAltName) })
	if i < 0 {
		return x
	}
	for _, ext := range x.Extensions {
		if !ext.Id.Equal(OIDSubjectAltName) {
			continue
		}
		if _, _, other, err := parseSAN(ext.Value); err != nil || other > 0 {
			return x // something in it is not understood: leave it unhandled
		}
	}
	c := *x
	c.UnhandledCriticalExtensions = slices.Delete(slices.Clone(x.UnhandledCriticalExtensions), i, i+1)
	return &c
}

// parseSAN reads the SRV-IDs and XmppAddrs of a subjectAltName
// extension's value, and counts the entries that are neither those nor a
// dNSName (which crypto/x509 reads).
func parseSAN(der []byte) (srv, xmpp []string, other int, err error) {
	var gns []asn1.RawValue
	rest, err := asn1.Unmarshal(der, &gns)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(rest) > 0 {
		return nil, nil, 0, errors.New("trailing data after subjectAltName")
	}
	for _, gn := range gns {
		if gn.Class == asn1.ClassContextSpecific && gn.Tag == tagDNSName && !gn.IsCompound {
			continue
		}
		if s, x, ok := parseOtherName(gn); ok {
			srv, xmpp = append(srv, s...), append(xmpp, x...)
			continue
		}
		other++
	}
	return srv, xmpp, other, nil
}

// parseOtherName reads one GeneralName as an SRV-ID or an XmppAddr.
func parseOtherName(gn asn1.RawValue) (srv, xmpp []string, ok bool) {
	if gn.Class != asn1.ClassContextSpecific || gn.Tag != tagOtherName || !gn.IsCompound {
		return nil, nil, false
	}
	var id asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(gn.Bytes, &id)
	if err != nil {
		return nil, nil, false
	}
	var val asn1.RawValue
	if rest, err = asn1.Unmarshal(rest, &val); err != nil || len(rest) > 0 ||
		val.Class != asn1.ClassContextSpecific || val.Tag != 0 || !val.IsCompound {
		return nil, nil, false
	}
	var str asn1.RawValue
	if rest, err = asn1.Unmarshal(val.Bytes, &str); err != nil || len(rest) > 0 || str.Class != asn1.ClassUniversal {
		return nil, nil, false
	}
	switch {
	case id.Equal(OIDDNSSRV) && str.Tag == asn1.TagIA5String && isIA5(string(str.Bytes)):
		return []string{string(str.Bytes)}, nil, true
	case id.Equal(OIDXMPPAddr) && str.Tag == asn1.TagUTF8String && utf8.Valid(str.Bytes):
		return nil, []string{string(str.Bytes)}, true
	}
	return nil, nil, false
}
