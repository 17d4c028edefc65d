package xmlstream

// Character classes of XML 1.0 (Fifth Edition) §2.2 (Char) and §2.3
// (NameStartChar, NameChar), as the parser needs them.
//
// The hot loops classify a byte with one table load instead of a chain of
// comparisons; everything at or above 0x80 goes to a slow path that decodes
// the rune. The tables are computed once at package initialisation and only
// read afterwards.

const (
	// clsName: the byte may appear in a Name (ASCII part of NameChar).
	clsName = 1 << iota
	// clsNameStart: the byte may start a Name (ASCII part of NameStartChar).
	clsNameStart
	// clsText: plain character data inside an element; anything else ('<',
	// '&', '>', '\r', control characters, non-ASCII) needs a closer look.
	clsText
	// clsAttr: plain attribute-value data; excluded are both quotes, '<',
	// '&', the whitespace characters that attribute-value normalisation
	// rewrites (XML §3.3.3), control characters and non-ASCII bytes.
	clsAttr
	// clsCDATA: plain CDATA content; excluded are '>', '\r', control
	// characters and non-ASCII bytes.
	clsCDATA
	// clsSpace: XML's S production (#x20 | #x9 | #xD | #xA).
	clsSpace
)

var byteClass = buildByteClass()

func buildByteClass() (t [256]uint8) {
	for c := 0; c < 0x80; c++ {
		b := byte(c)
		isLetter := (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
		if isLetter || b == '_' || b == ':' {
			t[c] |= clsNameStart | clsName
		}
		if (b >= '0' && b <= '9') || b == '-' || b == '.' {
			t[c] |= clsName
		}
		if b >= 0x20 || b == '\t' || b == '\n' {
			if b != '<' && b != '&' && b != '>' {
				t[c] |= clsText
			}
			if b >= 0x20 && b != '<' && b != '&' && b != '\'' && b != '"' {
				t[c] |= clsAttr
			}
			if b != '>' {
				t[c] |= clsCDATA
			}
		}
		if b == ' ' || b == '\t' || b == '\n' || b == '\r' {
			t[c] |= clsSpace
		}
	}
	return t
}

func isSpace(c byte) bool { return byteClass[c]&clsSpace != 0 }

// isChar reports whether r matches XML 1.0's Char production. Surrogates
// never reach it: utf8.DecodeRune rejects them as invalid UTF-8.
func isChar(r rune) bool {
	switch {
	case r < 0x20:
		return r == 0x9 || r == 0xA || r == 0xD
	case r <= 0xD7FF:
		return true
	case r < 0xE000:
		return false
	case r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0x10FFFF
	}
}

// isNameStartRune is NameStartChar for runes >= 0x80 (XML 1.0 §2.3 [4]).
func isNameStartRune(r rune) bool {
	switch {
	case r < 0xC0:
		return false
	case r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF:
		return true
	case r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF:
		return true
	case r >= 0x200C && r <= 0x200D, r >= 0x2070 && r <= 0x218F:
		return true
	case r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF:
		return true
	case r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0xEFFFF
	}
}

// isNameRune is NameChar for runes >= 0x80 (XML 1.0 §2.3 [4a]).
func isNameRune(r rune) bool {
	return isNameStartRune(r) || r == 0xB7 ||
		(r >= 0x300 && r <= 0x36F) || (r >= 0x203F && r <= 0x2040)
}

// charLen23 returns the length of the character at the start of b when it
// is a complete two- or three-byte UTF-8 sequence of an XML Char, and 0 for
// anything else (ASCII, four-byte sequences, invalid or truncated UTF-8,
// U+FFFE and U+FFFF), which the caller then hands to the careful path
// (Parser.decodeAt) for its verdict and its error. Every two-byte character
// (U+0080–U+07FF) is a Char; of the three-byte ones only the surrogates
// (ED A0–BF xx, which are not UTF-8 either) and U+FFFE/U+FFFF are not.
//
// It is the text and attribute-value loops' way past non-ASCII characters
// without decoding each rune and classifying it (utf8.DecodeRune and
// isChar, through a call): on the varied stream, whose text mixes Latin,
// Greek and Japanese, the Parser took 3 % less CPU time with it (16
// interleaved pairs of 100 parses, load 3-4: median ratio 1.03, range
// 0.93-1.15) — at the bar below which a trick is not kept, no more.
// TestCharLen23 checks it against decodeAt's verdict for every two- and
// three-byte sequence.
func charLen23(b []byte) int {
	if len(b) < 2 || b[1]&0xC0 != 0x80 {
		return 0
	}
	c0, c1 := b[0], b[1]
	switch {
	case c0 >= 0xC2 && c0 < 0xE0:
		return 2
	case c0 < 0xE0 || c0 >= 0xF0 || len(b) < 3 || b[2]&0xC0 != 0x80:
		return 0
	case c0 == 0xE0 && c1 < 0xA0: // overlong
		return 0
	case c0 == 0xED && c1 >= 0xA0: // surrogates
		return 0
	case c0 == 0xEF && c1 == 0xBF && b[2] >= 0xBE: // U+FFFE, U+FFFF
		return 0
	}
	return 3
}
