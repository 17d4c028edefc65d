package xmlstream

import "testing"

func TestSmoke(t *testing.T) {
	p := NewParser()
	p.Feed(Corpus())
	n := 0
	for {
		tok, ok, err := p.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		n++
		if n < 5 || tok.Kind != TokElement {
			t.Logf("%d %s", tok.Kind, tok.Raw)
			if tok.Elem != nil {
				t.Logf("  %s", tok.Elem.String())
			}
		}
	}
	t.Log(n, len(Corpus()))
}
