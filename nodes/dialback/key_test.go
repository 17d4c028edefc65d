package dialback

import (
	"strings"
	"testing"
)

// The worked examples of XEP-0220 §2.1.1 / §2.2.2 and XEP-0185 §3.
func TestKeyWorkedExamples(t *testing.T) {
	cases := []struct {
		name, secret, receiving, originating, id, want string
	}{
		{"XEP-0220 §2.1.1 (Example 1)", "s3cr3tf0rd14lb4ck", "montague.example", "capulet.example", "D60000229F",
			"b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3"},
		{"XEP-0220 §2.2.2 (Example 12)", "d14lb4ck43v3r", "capulet.example", "montague.example", "417GAF25",
			"225cc5aa6a071133249d25fef42ae516fc7a86c523aa1c6980a7f73e784c972d"},
		{"XEP-0185 §3 (worked example)", "s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229F",
			"37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643"},
	}
	for _, c := range cases {
		if got := Key(c.secret, c.receiving, c.originating, c.id); got != c.want {
			t.Errorf("%s: Key = %s, want %s", c.name, got, c.want)
		}
		k := NewKeyer(c.secret)
		for i := 0; i < 2; i++ { // a reused Keyer gives the same key
			if got := k.Key(c.receiving, c.originating, c.id); got != c.want {
				t.Errorf("%s: Keyer.Key = %s, want %s", c.name, got, c.want)
			}
		}
	}
}

func TestKeyDependsOnEveryInput(t *testing.T) {
	base := Key("s", "a.example", "b.example", "id1")
	for _, k := range []string{
		Key("t", "a.example", "b.example", "id1"),
		Key("s", "b.example", "a.example", "id1"),
		Key("s", "a.example", "b.example", "id2"),
	} {
		if Equal(k, base) {
			t.Fatal("key did not change with its input")
		}
	}
}

// TestKeyerMatchesHMAC: the Keyer (one crypto/hmac state, Reset per key) gives Key's
// answer for secrets, domains and ids of many lengths (including a secret
// longer than a block and empty parts), reused across calls.
func TestKeyerMatchesHMAC(t *testing.T) {
	parts := []string{"", "a", "example.org", "xn--bcher-kva.example", strings.Repeat("x", 63), strings.Repeat("y", 64), strings.Repeat("z", 200)}
	for _, secret := range parts {
		k := NewKeyer(secret)
		for _, r := range parts {
			for _, o := range parts[:4] {
				for _, id := range parts[2:5] {
					if got, want := k.Key(r, o, id), Key(secret, r, o, id); got != want {
						t.Fatalf("secret %q, %q %q %q: Keyer %s, Key %s", secret, r, o, id, got, want)
					}
				}
			}
		}
	}
}
