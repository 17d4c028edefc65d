// Package dialback holds the Server Dialback key function of XEP-0185.
//
// XEP-0220 leaves the key format to the implementation but requires that
// the Authoritative Server can recompute it from the 'from', 'to' and 'id'
// of a <db:verify/> and a secret it alone knows. XEP-0185 §3 recommends:
//
//	key = HMAC-SHA256( SHA256(Secret), { Receiving Server, ' ', Originating Server, ' ', Stream ID } )
//
// with SHA256(Secret) and the HMAC output both in lowercase hexadecimal
// (XEP-0185 §3: "The output of the SHA256 hashing algorithm MUST be provided
// in the hexadecimal representation"). Hashing the secret first keeps the
// HMAC key at least half the hash output long whatever the secret's length
// (RFC 2104 §3).
package dialback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Key computes the dialback key that the Originating Server sends in
// <db:result/> and the Authoritative Server recomputes to answer
// <db:verify/>. receiving is the Receiving Server's domain (the 'to' of
// db:result), originating the Originating Server's ('from'), streamID the
// id of the Receiving Server's response stream header.
func Key(secret, receiving, originating, streamID string) string {
	h := sha256.Sum256([]byte(secret))
	var k [64]byte
	hex.Encode(k[:], h[:])
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(receiving))
	m.Write([]byte{' '})
	m.Write([]byte(originating))
	m.Write([]byte{' '})
	m.Write([]byte(streamID))
	var out [64]byte
	hex.Encode(out[:], m.Sum(nil))
	return string(out[:])
}

// Keyer computes keys for one secret without allocating beyond the key
// string: a server makes and checks many keys, and the hashed secret never
// changes. It is HMAC-SHA256 written out as RFC 2104 §2 defines it,
// H((K ^ opad) || H((K ^ ipad) || text)), over one reused buffer: the
// key K, hex(SHA256(secret)), is exactly SHA-256's 64-byte block, so it is
// used as it is. (crypto/hmac allocated its two hash states, their saved
// copies and every Write of a string.) Key above is the reference; the
// tests check the two agree. Not safe for concurrent use (a server is
// driven by one goroutine).
type Keyer struct {
	ipad, opad [sha256.BlockSize]byte
	buf        []byte
}

// NewKeyer prepares the key function for secret.
func NewKeyer(secret string) *Keyer {
	h := sha256.Sum256([]byte(secret))
	var k [64]byte
	hex.Encode(k[:], h[:])
	kr := &Keyer{}
	for i, c := range k {
		kr.ipad[i] = c ^ 0x36
		kr.opad[i] = c ^ 0x5c
	}
	return kr
}

// Key is Key(secret, receiving, originating, streamID) for the Keyer's
// secret.
func (k *Keyer) Key(receiving, originating, streamID string) string {
	b := append(k.buf[:0], k.ipad[:]...)
	b = append(append(append(append(append(b, receiving...), ' '), originating...), ' '), streamID...)
	inner := sha256.Sum256(b)
	b = append(append(b[:0], k.opad[:]...), inner[:]...)
	sum := sha256.Sum256(b)
	k.buf = b
	var out [64]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// Equal compares keys in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
