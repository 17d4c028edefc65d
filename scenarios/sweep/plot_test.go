package sweep

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fedsim/fedsim/nodes"
)

// svgText is a <text> as a test reads it back: where the layout put it
// and what it says.
type svgText struct {
	class, text, anchor string
	x, y, size          float64
	vertical, hasTitle  bool
}

// svgRect is a <rect>.
type svgRect struct {
	class, fill, title string
	x, y, w, h         float64
}

type svgDoc struct {
	w, h  float64
	texts []svgText
	rects []svgRect
}

// parseSVG reads an SVG with encoding/xml (so it must be well-formed)
// and collects its texts and rectangles in document order.
func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []string
	var cur *svgText
	var curRect *svgRect
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Name.Local] = a.Value
			}
			f := func(k string) float64 {
				v, _ := strconv.ParseFloat(attr[k], 64)
				return v
			}
			switch tok.Name.Local {
			case "svg":
				if tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root namespace %q", tok.Name.Space)
				}
				var x0, y0 float64
				if _, err := fmt.Sscanf(attr["viewBox"], "%g %g %g %g", &x0, &y0, &doc.w, &doc.h); err != nil || x0 != 0 || y0 != 0 {
					t.Fatalf("viewBox %q: %v", attr["viewBox"], err)
				}
			case "text":
				doc.texts = append(doc.texts, svgText{class: attr["class"], anchor: attr["text-anchor"], x: f("x"), y: f("y"), size: f("font-size"),
					vertical: strings.HasPrefix(attr["transform"], "rotate(-90 ")})
				cur = &doc.texts[len(doc.texts)-1]
			case "rect":
				doc.rects = append(doc.rects, svgRect{class: attr["class"], fill: attr["fill"], x: f("x"), y: f("y"), w: f("width"), h: f("height")})
				curRect = &doc.rects[len(doc.rects)-1]
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			switch tok.Name.Local {
			case "text":
				cur = nil
			case "rect":
				curRect = nil
			}
		case xml.CharData:
			switch {
			case len(stack) > 0 && stack[len(stack)-1] == "title" && cur != nil:
				cur.hasTitle = true
			case len(stack) > 0 && stack[len(stack)-1] == "title" && curRect != nil:
				curRect.title += string(tok)
			case cur != nil:
				cur.text += string(tok)
			}
		}
	}
	return doc
}

// inside checks that every text lies within the viewBox by the
// monospace measure the layout uses (the title included: nothing clipped).
func (d svgDoc) inside(t *testing.T) {
	t.Helper()
	for _, tx := range d.texts {
		s := shape{kind: textShape, x: tx.x, y: tx.y, text: tx.text, size: tx.size, anchor: tx.anchor, vertical: tx.vertical}
		if tx.anchor == "" {
			s.anchor = "start"
		}
		x0, y0, x1, y1 := s.textBox()
		if x0 < 0 || y0 < 0 || x1 > d.w || y1 > d.h {
			t.Errorf("text %q (%s) spans (%.1f,%.1f)-(%.1f,%.1f), outside the %gx%g viewBox", tx.text, tx.class, x0, y0, x1, y1, d.w, d.h)
		}
	}
}

func (d svgDoc) class(c string) []svgText {
	var out []svgText
	for _, tx := range d.texts {
		if tx.class == c {
			out = append(out, tx)
		}
	}
	return out
}

func names(ts []svgText) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.text)
	}
	return out
}

// synthetic builds a result of n policies without running them: the
// picture code reads only names, fields and outcomes. Outcomes follow a
// pattern that is not symmetric, so a transposed or flipped matrix shows.
func synthetic(n int) *Result {
	r := &Result{Seed: 7}
	for i := 0; i < n; i++ {
		r.Policies = append(r.Policies, PolicyInfo{Name: fmt.Sprintf("p%03d", i+1), Fields: fmt.Sprintf("starttls=offered accept=V,E,T n=%d", i)})
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			o := outcomes[(i*3+j*j+i*j)%4]
			reason := ""
			if o == "U" {
				reason = "remote-server-timeout"
			}
			r.Cells = append(r.Cells, Cell{Index: i*n + j, Initiator: r.Policies[i].Name, Receiver: r.Policies[j].Name, Outcome: o, Reason: reason,
				TimeMS: float64(100 + (i*j)%50)})
		}
	}
	return r
}

func sixTypes(t *testing.T) *Result {
	t.Helper()
	res, err := Run(nodes.Presets(), Options{Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func matrixSVG(t *testing.T, r *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := matrixCanvas(r, Analyse(r)).writeSVG(&b, "t", "d"); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The heat map reads like the text matrix: every policy named on both
// axes in the report's order (rows top to bottom, columns left to right),
// each cell in its initiator's row and its receiver's column with its
// outcome's colour, a legend for the four outcomes, and no label clipped.
func TestMatrixPicture(t *testing.T) {
	for _, c := range []struct {
		name string
		res  func(*testing.T) *Result
	}{
		{"six types", sixTypes},
		{"200 policies", func(*testing.T) *Result { return synthetic(200) }},
		{"one policy", func(*testing.T) *Result { return synthetic(1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.res(t)
			n := len(r.Policies)
			doc := parseSVG(t, matrixSVG(t, r))
			doc.inside(t)
			var want []string
			for _, p := range r.Policies {
				want = append(want, p.Name)
			}
			rows, cols := doc.class("row"), doc.class("col")
			if !slices.Equal(names(rows), want) || !slices.Equal(names(cols), want) {
				t.Fatalf("row names %v, column names %v; want both %v", names(rows), names(cols), want)
			}
			for k := 1; k < n; k++ {
				if rows[k].y <= rows[k-1].y || cols[k].x <= cols[k-1].x || !cols[k].vertical || rows[k].vertical {
					t.Fatalf("names out of order or orientation at %d: rows %+v %+v, columns %+v %+v", k, rows[k-1], rows[k], cols[k-1], cols[k])
				}
			}
			for _, tx := range append(rows, cols...) {
				if !tx.hasTitle {
					t.Errorf("%s %q: no hover text with its policy", tx.class, tx.text)
				}
			}
			if got := names(doc.class("legend-letter")); !slices.Equal(got, outcomes) {
				t.Errorf("legend letters %v, want %v", got, outcomes)
			}
			for k, l := range doc.class("legend") {
				if want := outcomeMeaning[outcomes[k]]; !strings.HasPrefix(l.text, want) {
					t.Errorf("legend %q, want it to start %q", l.text, want)
				}
			}
			title := doc.class("title")
			if len(title) != 1 || !strings.Contains(title[0].text, fmt.Sprintf("%d policies, %d ordered pairs", n, n*n)) {
				t.Errorf("title %v", names(title))
			}
			if got := names(doc.class("key-name")); !slices.Equal(got, want) {
				t.Errorf("key names %v, want %v", got, want)
			}
			// Each cell by its position: in row i's band and column j's.
			// Rows' and columns' bands are read from the name labels (a
			// label sits on its band's centre line, 0.35 font size below
			// for rows; to the right for upright column names).
			c := cellSize(n)
			rowOf := func(y float64) int {
				for i, rw := range rows {
					if mid := rw.y - 0.35*labelSize; y <= mid && mid <= y+c {
						return i
					}
				}
				return -1
			}
			colsOf := func(x, w float64) []int {
				var out []int
				for j, cl := range cols {
					if mid := cl.x - 0.35*labelSize; x <= mid && mid <= x+w {
						out = append(out, j)
					}
				}
				return out
			}
			seen := make([]bool, n*n)
			for _, rc := range doc.rects {
				if rc.class == "legend-swatch" || rc.fill == "#ffffff" {
					continue
				}
				i := rowOf(rc.y)
				if i < 0 {
					t.Fatalf("rect %+v is in no row", rc)
				}
				js := colsOf(rc.x, rc.w)
				if len(js) == 0 {
					t.Fatalf("rect %+v is in no column", rc)
				}
				for _, j := range js {
					cell := r.Cells[i*n+j]
					if cell.Index != i*n+j || outcomeColour[cell.Outcome].fill != rc.fill {
						t.Fatalf("row %s column %s drawn %s, but %s -> %s is %s", want[i], want[j], rc.fill, cell.Initiator, cell.Receiver, cell.Outcome)
					}
					if rc.title != "" && !strings.HasPrefix(rc.title, cell.Initiator+" → "+cell.Receiver+": "+cell.Outcome) {
						t.Fatalf("cell %s -> %s has hover text %q", cell.Initiator, cell.Receiver, rc.title)
					}
					if seen[i*n+j] {
						t.Fatalf("%s -> %s drawn twice", cell.Initiator, cell.Receiver)
					}
					seen[i*n+j] = true
				}
			}
			if k := slices.Index(seen, false); k >= 0 {
				t.Fatalf("%s -> %s not drawn", r.Cells[k].Initiator, r.Cells[k].Receiver)
			}
		})
	}
}

// The six types' picture with its letters: type1 -> type4 is U and
// type5 -> type6 is T, as in the README's matrix.
func TestMatrixPictureLetters(t *testing.T) {
	b := matrixSVG(t, sixTypes(t))
	for _, want := range []string{"<title>type1 → type4: U (", "<title>type5 → type6: T</title>"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the picture has no %q", want)
		}
	}
	if got := len(parseSVG(t, b).class("letter")); got != 36 {
		t.Errorf("%d letters in cells, want 36", got)
	}
}

// The histogram: the bars add up to the pairs that federated, the ticks
// increase, nothing is clipped; with no pair federated it says so.
func TestTimesPicture(t *testing.T) {
	for _, c := range []struct {
		name string
		r    *Result
	}{{"varied", synthetic(30)}, {"one value", func() *Result {
		r := synthetic(3)
		for k := range r.Cells {
			r.Cells[k].Outcome, r.Cells[k].TimeMS = "E", 202
		}
		return r
	}()}, {"none federated", func() *Result {
		r := synthetic(3)
		for k := range r.Cells {
			r.Cells[k].Outcome = "U"
		}
		return r
	}()}} {
		t.Run(c.name, func(t *testing.T) {
			a := Analyse(c.r)
			var b bytes.Buffer
			if err := timesCanvas(a).writeSVG(&b, "t", "d"); err != nil {
				t.Fatal(err)
			}
			doc := parseSVG(t, b.Bytes())
			doc.inside(t)
			federated := a.Counts["V"] + a.Counts["E"] + a.Counts["T"]
			sum := 0
			for _, rc := range doc.rects {
				if rc.class != "bar" {
					continue
				}
				var o string
				var k int
				if _, err := fmt.Sscanf(rc.title, "%1s: %d pairs", &o, &k); err != nil || outcomeColour[o].fill != rc.fill {
					t.Fatalf("bar %+v", rc)
				}
				sum += k
			}
			if sum != federated {
				t.Errorf("bars add up to %d pairs, %d federated", sum, federated)
			}
			if federated == 0 && len(doc.class("empty")) != 1 {
				t.Errorf("no pair federated and the picture does not say so")
			}
			for _, cl := range []string{"xtick", "ytick"} {
				ticks := doc.class(cl)
				for k := 1; k < len(ticks); k++ {
					a, _ := strconv.ParseFloat(ticks[k-1].text, 64)
					b, _ := strconv.ParseFloat(ticks[k].text, 64)
					if b <= a {
						t.Errorf("%s ticks %v do not increase", cl, names(ticks))
					}
				}
				if federated > 0 && len(ticks) < 2 {
					t.Errorf("%s: %d ticks", cl, len(ticks))
				}
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []float64
	}{
		{122, 202, []float64{120, 140, 160, 180, 200, 220}},
		{0, 9, []float64{0, 2, 4, 6, 8, 10}},
		{0, 1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{201, 203, []float64{201, 201.5, 202, 202.5, 203}},
		{5, 5, []float64{5, 5.2, 5.4, 5.6, 5.8, 6}}, // an empty range is taken as one wide
	} {
		got := niceTicks(c.lo, c.hi, 5)
		ok := len(got) == len(c.want)
		for k := 0; ok && k < len(got); k++ {
			ok = strconv.FormatFloat(got[k], 'f', 6, 64) == strconv.FormatFloat(c.want[k], 'f', 6, 64)
		}
		if !ok {
			t.Errorf("niceTicks(%g, %g) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}

// WritePlots writes the two pictures into the folder it is given and
// nowhere else; the same sweep gives the same bytes; the PNG has the
// canvas's size and each cell's colour where the SVG has it.
func TestWritePlots(t *testing.T) {
	r := sixTypes(t)
	a := Analyse(r)
	for _, ext := range []string{"svg", "png"} {
		dir := t.TempDir()
		files, err := WritePlots(r, a, dir, ext)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{filepath.Join(dir, "sweep-matrix."+ext), filepath.Join(dir, "sweep-times."+ext)}
		if !slices.Equal(files, want) {
			t.Fatalf("files %v, want %v", files, want)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Fatalf("%d entries in the folder, want 2", len(entries))
		}
		first, _ := os.ReadFile(files[0])
		if _, err := WritePlots(r, a, dir, ext); err != nil {
			t.Fatal(err)
		}
		again, _ := os.ReadFile(files[0])
		if !bytes.Equal(first, again) {
			t.Fatalf("%s: the same sweep drew different bytes", ext)
		}
		if ext != "png" {
			continue
		}
		img, err := png.Decode(bytes.NewReader(first))
		if err != nil {
			t.Fatal(err)
		}
		cv := matrixCanvas(r, a)
		if b := img.Bounds(); b.Dx() != int(cv.w) || b.Dy() != int(cv.h) {
			t.Fatalf("PNG %v, canvas %gx%g", b, cv.w, cv.h)
		}
		for _, s := range cv.shapes {
			if s.class != "cell" {
				continue
			}
			cr, cg, cb, _ := img.At(int(s.x+2), int(s.y+2)).RGBA()
			if got := fmt.Sprintf("#%02x%02x%02x", cr>>8, cg>>8, cb>>8); got != s.fill {
				t.Fatalf("%s: PNG pixel %s, SVG fill %s", s.title, got, s.fill)
			}
		}
	}
	if _, err := WritePlots(r, a, t.TempDir(), "gif"); err == nil || !strings.Contains(err.Error(), `"gif"`) {
		t.Fatalf("gif: %v", err)
	}
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		s     string
		width int
		want  []string
	}{
		{"a bb ccc", 4, []string{"a bb", "ccc"}},
		{"a bb ccc", 8, []string{"a bb ccc"}},
		{"abcdefgh ij", 4, []string{"abcdefgh", "ij"}},
		{"", 4, []string{""}},
	} {
		if got := wrap(c.s, c.width); !slices.Equal(got, c.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.s, c.width, got, c.want)
		}
	}
}
