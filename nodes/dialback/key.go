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
	"hash"
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

// Keyer computes keys for one secret: a server makes and checks many keys,
// and the hashed secret never changes, so one crypto/hmac state is made
// once and Reset for each key (after its first Sum, crypto/hmac restores
// the keyed state instead of hashing the padded key again). The three
// parts are written as one Write from a reused buffer. Key above is the
// reference; the tests check the two agree. Not safe for concurrent use (a
// server is driven by one goroutine).
//
// Until issue 16 this was HMAC-SHA256 written out by hand per RFC 2104; it
// saved about 10 allocations per dialback federation, but crypto is under
// 2 % of a federation's CPU, and measured A/B the hand-written version was
// not worth owning (docs/performance.md).
type Keyer struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewKeyer prepares the key function for secret.
func NewKeyer(secret string) *Keyer {
	h := sha256.Sum256([]byte(secret))
	var k [64]byte
	hex.Encode(k[:], h[:])
	return &Keyer{mac: hmac.New(sha256.New, k[:])}
}

// Key is Key(secret, receiving, originating, streamID) for the Keyer's
// secret.
func (k *Keyer) Key(receiving, originating, streamID string) string {
	b := append(append(append(append(append(k.buf[:0], receiving...), ' '), originating...), ' '), streamID...)
	k.buf = b
	k.mac.Reset()
	k.mac.Write(b)
	var out [64]byte
	hex.Encode(out[:], k.mac.Sum(k.sum[:0]))
	return string(out[:])
}

// Equal compares keys in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
