package xmlstream

import (
	"testing"
	"unicode/utf8"
)

// TestCharLen23 checks the fast path against the careful one for every
// lead byte >= 0x80 followed by every two further bytes: wherever charLen23
// accepts a sequence, it must be exactly one valid UTF-8 character of that
// length that XML's Char production allows; and every two- or three-byte
// Char must be accepted (the fast path may not turn the common case away).
func TestCharLen23(t *testing.T) {
	var b [3]byte
	accepted := 0
	for c0 := 0x80; c0 <= 0xFF; c0++ {
		for c1 := 0; c1 <= 0xFF; c1++ {
			for c2 := 0; c2 <= 0xFF; c2++ {
				b[0], b[1], b[2] = byte(c0), byte(c1), byte(c2)
				r, size := utf8.DecodeRune(b[:])
				valid := !(r == utf8.RuneError && size <= 1) && isChar(r)
				want := 0
				if valid && size <= 3 {
					want = size
				}
				if got := charLen23(b[:]); got != want {
					t.Fatalf("charLen23(% x) = %d, want %d (rune %U, size %d)", b, got, want, r, size)
				}
				if want == 2 {
					if got := charLen23(b[:2]); got != 2 {
						t.Fatalf("charLen23(% x) = %d, want 2", b[:2], got)
					}
				}
				if want > 0 {
					accepted++
				}
			}
		}
	}
	// 1,920 two-byte characters, each followed by any of 256 bytes, and the
	// 61,438 three-byte ones (U+0800–U+FFFF less 2,048 surrogates and
	// U+FFFE, U+FFFF).
	if want := 1920*256 + 61438; accepted != want {
		t.Errorf("accepted %d sequences, want %d", accepted, want)
	}
	for _, short := range [][]byte{{0xC3}, {0xE6, 0x97}, {0xE6}} {
		if got := charLen23(short); got != 0 {
			t.Errorf("charLen23(% x) = %d for a truncated sequence, want 0", short, got)
		}
	}
}
