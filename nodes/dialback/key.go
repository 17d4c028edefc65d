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

// Keyer computes keys for one secret, reusing its HMAC state: a server
// makes and checks many keys, and the hashed secret never changes. Not safe
// for concurrent use (a server is driven by one goroutine).
type Keyer struct {
	mac hash.Hash
	msg []byte // "receiving originating streamID", reused
	out [64]byte
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
	k.mac.Reset()
	// One Write of a reused buffer: the HMAC has no WriteString, so
	// io.WriteString copied each part into a fresh slice.
	k.msg = append(append(append(append(append(k.msg[:0], receiving...), ' '), originating...), ' '), streamID...)
	k.mac.Write(k.msg)
	var sum [32]byte
	hex.Encode(k.out[:], k.mac.Sum(sum[:0]))
	return string(k.out[:])
}

// Equal compares keys in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
